# syntax=docker/dockerfile:1
# One image per belegflow service, built from the repository root:
#   docker build -f infra/docker/service.Dockerfile --build-arg SERVICE=ingest -t belegflow/ingest .
# SERVICE: ingest | ocr | matching | accrual | export. The operator CLI uses SERVICE=ops PACKAGE_DIR=infra.
# SYSTEM_PACKAGES: extra Debian packages for the runtime image (e.g. tesseract-ocr for the OCR worker).
# SERVICE_EXTRAS: optional extras of the service package (e.g. gpu for the OCR worker).
# LOCAL_DEPS: other packages of this repository the package needs (space-separated directories).

# A released patch version, never a moving tag; replace with a digest (@sha256:...) where the registry is reachable.
ARG PYTHON_IMAGE=python:3.11.9-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG SERVICE
ARG PACKAGE_DIR=services/${SERVICE}
ARG SERVICE_EXTRAS=""
ARG LOCAL_DEPS=""
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN test -n "${SERVICE}" || { echo "build arg SERVICE is required (ingest|ocr|matching|accrual|export)" >&2; exit 1; }
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:${PATH}
# Sources only (see service.Dockerfile.dockerignore); this stage is thrown away.
COPY contracts/ /src/contracts/
COPY services/ /src/services/
COPY infra/ /src/infra/
COPY requirements.lock /src/requirements.lock
# One resolve for all local packages, so a belegflow-* dependency is always the local one, never an index's;
# every other version is the lock's (the same make and CI install). Then every module of the package imports with
# what was installed (__main__ would start the service); tests/contract/test_images.py checks the same without docker.
RUN set -- "/src/contracts" "/src/${PACKAGE_DIR}${SERVICE_EXTRAS:+[${SERVICE_EXTRAS}]}"; \
    for dep in ${LOCAL_DEPS}; do set -- "$@" "/src/${dep}"; done; \
    pip install --constraint /src/requirements.lock "$@" \
    && python -c "import importlib, pkgutil; p = importlib.import_module('belegflow_${SERVICE}'); \
[importlib.import_module(m.name) for m in pkgutil.walk_packages(p.__path__, p.__name__ + '.') \
if not m.name.endswith('.__main__')]"
# onnxruntime and onnxruntime-gpu share one module: with the gpu extra, the CUDA build must be the one left.
RUN if pip show onnxruntime-gpu >/dev/null 2>&1 && pip show onnxruntime >/dev/null 2>&1; then \
        version="$(pip show onnxruntime-gpu | sed -n 's/^Version: //p')" \
        && pip uninstall -y onnxruntime \
        && pip install --constraint /src/requirements.lock --no-deps --force-reinstall "onnxruntime-gpu==${version}"; \
    fi

FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
ARG SYSTEM_PACKAGES=""
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# SYSTEM_PACKAGES are Debian packages of the base image's release (bookworm, pinned above): their versions
# are that release's, which is the pin; naming versions here would break on every security update.
# hadolint ignore=DL3008
RUN if [ -n "${SYSTEM_PACKAGES}" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends ${SYSTEM_PACKAGES} \
        && rm -rf /var/lib/apt/lists/*; \
    fi
# Fixed numeric ids, so Kubernetes' runAsNonRoot can verify them and volume ownership is predictable.
RUN groupadd --system --gid 10001 belegflow \
    && useradd --system --uid 10001 --gid belegflow --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin belegflow \
    && mkdir -p /app /data/inbox /data/exports \
    && chown -R belegflow:belegflow /app /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SERVICE_MODULE=belegflow_${SERVICE}
LABEL org.opencontainers.image.title="belegflow-${SERVICE}"
WORKDIR /app
USER 10001:10001
# Exec form cannot expand a build arg; the shell expands it once and exec hands PID 1 to Python,
# so SIGTERM reaches the service directly and it can drain its consumers.
CMD ["sh", "-c", "exec python -m \"$SERVICE_MODULE\""]
