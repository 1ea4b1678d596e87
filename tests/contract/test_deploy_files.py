"""Deployment files agree with the code: compose, Kubernetes and NATS config name only real packages and settings."""

from __future__ import annotations

import importlib
import inspect
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "compose.yaml"
DOCKERFILE = "infra/docker/service.Dockerfile"
K8S = REPO / "infra" / "k8s" / "base"
NATS_CONF = REPO / "infra" / "nats" / "nats-server.conf"
ENV_PREFIX = "BELEGFLOW_"

SERVICES = ("ingest", "ocr", "matching", "accrual", "export")
DATABASE_SERVICES = ("ingest", "ocr", "matching", "accrual", "export")
# Built from the same Dockerfile, but its package lives outside services/.
TOOLS = {"ops": "infra"}


class DeployFileError(ValueError):
    """A deployment file does not have the shape these checks rely on."""


@dataclass(frozen=True, slots=True)
class BuiltService:
    """A compose service built from the service Dockerfile, and the settings it is given."""

    name: str
    package: str
    package_dir: Path
    dockerfile: str
    local_deps: tuple[str, ...]
    env: dict[str, str]
    extras: tuple[str, ...] = ()

    @property
    def env_names(self) -> frozenset[str]:
        return frozenset(key for key in self.env if key.startswith(ENV_PREFIX))


def _as_mapping(value: Any, *, what: str) -> dict[str, str]:
    """Compose accepts both ``KEY: value`` mappings and ``KEY=value`` lists."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(key): "" if item is None else str(item) for key, item in value.items()}
    if isinstance(value, list):
        pairs = (str(item).partition("=") for item in value)
        return {key: item for key, _, item in pairs}
    raise DeployFileError(f"{what} must be a mapping or a list, got {type(value).__name__}")


def built_services(compose_file: Path) -> list[BuiltService]:
    """Every compose service with a ``build``; refuses one that builds a package belegflow does not have."""
    data = yaml.safe_load(compose_file.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise DeployFileError(f"{compose_file.name}: no 'services' mapping")
    result: list[BuiltService] = []
    for name, spec in data["services"].items():
        if not isinstance(spec, dict):
            raise DeployFileError(f"{compose_file.name}: service {name!r} is not a mapping")
        build = spec.get("build")
        if build is None:
            continue
        if not isinstance(build, dict):
            raise DeployFileError(f"{compose_file.name}: service {name!r} must build with args (SERVICE=...)")
        args = _as_mapping(build.get("args"), what=f"{name}.build.args")
        package = args.get("SERVICE", "")
        if package not in SERVICES and package not in TOOLS:
            known = ", ".join((*SERVICES, *TOOLS))
            raise DeployFileError(
                f"{compose_file.name}: service {name!r} builds unknown service {package!r}; known: {known}"
            )
        package_dir = args.get("PACKAGE_DIR") or TOOLS.get(package) or f"services/{package}"
        result.append(
            BuiltService(
                name=str(name),
                package=package,
                package_dir=REPO / package_dir,
                dockerfile=str(build.get("dockerfile", "Dockerfile")),
                local_deps=tuple(args.get("LOCAL_DEPS", "").split()),
                env=_as_mapping(spec.get("environment"), what=f"{name}.environment"),
                extras=tuple(e.strip() for e in args.get("SERVICE_EXTRAS", "").split(",") if e.strip()),
            )
        )
    return result


def _settings_class(package: str, package_dir: Path, monkeypatch: pytest.MonkeyPatch) -> type[BaseSettings]:
    """``belegflow_<package>.settings``: its ``Settings``, or else the one settings class it defines."""
    monkeypatch.syspath_prepend(str(REPO / "contracts" / "src"))
    monkeypatch.syspath_prepend(str(package_dir / "src"))
    module = importlib.import_module(f"belegflow_{package}.settings")
    candidates = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, BaseSettings) and obj.__module__ == module.__name__
    ]
    named = [cls for cls in candidates if cls.__name__ == "Settings"]
    if named:
        return named[0]
    if len(candidates) != 1:
        raise DeployFileError(f"{module.__name__} defines {len(candidates)} settings classes and none named Settings")
    return candidates[0]


def _env_names(cls: type[BaseSettings]) -> dict[str, bool]:
    """Environment name of every field -> whether it is required."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    assert prefix == ENV_PREFIX, f"{cls.__module__}.{cls.__name__} reads env prefix {prefix!r}"
    names: dict[str, bool] = {}
    for field_name, field in cls.model_fields.items():
        names[f"{prefix}{field_name}".upper()] = field.is_required()
        if isinstance(field.validation_alias, str):
            names[field.validation_alias.upper()] = field.is_required()
    return names


_BUILT = built_services(COMPOSE)
_BUILT_IDS = [service.name for service in _BUILT]


# --- compose ---------------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def test_compose_builds_every_service_once_without_profile() -> None:
    default = [s for s in _BUILT if s.package in SERVICES and not _compose()["services"][s.name].get("profiles")]
    assert sorted(s.package for s in default) == sorted(SERVICES)


@pytest.mark.parametrize("service", _BUILT, ids=_BUILT_IDS)
def test_built_service_has_its_package(service: BuiltService) -> None:
    assert (service.package_dir / "src" / f"belegflow_{service.package}").is_dir()
    assert (service.package_dir / "pyproject.toml").is_file()
    assert service.dockerfile == DOCKERFILE


@pytest.mark.parametrize("service", _BUILT, ids=_BUILT_IDS)
def test_local_dependencies_are_built_from_the_repository(service: BuiltService) -> None:
    # A belegflow-* dependency left to the index would fail the build, or install someone else's package.
    project = tomllib.loads((service.package_dir / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    requirements = [*project.get("dependencies", []), *(r for extra in service.extras for r in extras.get(extra, []))]
    needed = {
        re.split(r"[\s\[<>=~!;]", requirement, maxsplit=1)[0]
        for requirement in requirements
        if requirement.startswith("belegflow-") and not requirement.startswith("belegflow-contracts")
    }
    provided = {
        tomllib.loads((REPO / dep / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
        for dep in service.local_deps
    }
    assert needed <= provided, f"{service.name}: add {sorted(needed - provided)} to LOCAL_DEPS"


def test_an_extra_s_local_dependency_needs_local_deps_too() -> None:
    # GIVEN the operator CLI's image with the books extra (belegflow-export) but no LOCAL_DEPS
    image = BuiltService(name="ops", package="ops", package_dir=REPO / "infra", dockerfile=DOCKERFILE, local_deps=(),
                         env={}, extras=("books",))
    # WHEN checked THEN export is named as missing
    with pytest.raises(AssertionError, match="belegflow-export"):
        test_local_dependencies_are_built_from_the_repository(image)


@pytest.mark.parametrize("service", _BUILT, ids=_BUILT_IDS)
def test_compose_env_names_are_settings_fields(service: BuiltService, monkeypatch: pytest.MonkeyPatch) -> None:
    fields = _env_names(_settings_class(service.package, service.package_dir, monkeypatch))
    unknown = sorted(service.env_names - fields.keys())
    assert not unknown, f"{service.name} sets {unknown}, which belegflow_{service.package}.settings does not read"


@pytest.mark.parametrize("service", _BUILT, ids=_BUILT_IDS)
def test_compose_sets_every_required_setting(service: BuiltService, monkeypatch: pytest.MonkeyPatch) -> None:
    fields = _env_names(_settings_class(service.package, service.package_dir, monkeypatch))
    missing = sorted(name for name, required in fields.items() if required and name not in service.env)
    assert not missing, f"{service.name} lacks required settings {missing}"


@pytest.mark.parametrize("package", DATABASE_SERVICES)
def test_each_database_service_logs_in_with_its_own_role(package: str) -> None:
    for service in (s for s in _BUILT if s.package == package):
        url = urlsplit(service.env["BELEGFLOW_DATABASE_URL"])
        assert url.username == package
        assert url.path == "/belegflow"


def test_gpu_variant_reserves_an_nvidia_gpu() -> None:
    spec = _compose()["services"]["ocr-gpu"]
    assert spec["profiles"] == ["gpu"]
    devices = spec["deploy"]["resources"]["reservations"]["devices"]
    assert any(d["driver"] == "nvidia" and "gpu" in d["capabilities"] for d in devices)


def test_compose_mounts_the_nats_config_and_postgres_init() -> None:
    services = _compose()["services"]
    assert "./infra/nats/nats-server.conf:/etc/nats/nats-server.conf:ro" in services["nats"]["volumes"]
    assert any(v.startswith("./infra/postgres/init.sql:") for v in services["postgres"]["volumes"])
    for role in DATABASE_SERVICES:
        assert f"{role.upper()}_DB_PASSWORD" in services["postgres"]["environment"]


def test_dockerfile_runs_the_service_module_as_non_root() -> None:
    text = (REPO / DOCKERFILE).read_text(encoding="utf-8")
    assert re.search(r"^ARG SERVICE$", text, re.MULTILINE)
    assert re.search(r"^USER 10001", text, re.MULTILINE)
    assert "SERVICE_MODULE=belegflow_${SERVICE}" in text
    assert 'python -m \\"$SERVICE_MODULE\\"' in text


# --- Kubernetes ------------------------------------------------------------------------------


def _k8s_documents() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document is not None:
                assert isinstance(document, dict), f"{path.name}: not a manifest"
                assert "kind" in document, f"{path.name}: not a manifest"
                documents.append(document)
    return documents


def _k8s(kind: str, name: str) -> dict[str, Any]:
    for document in _k8s_documents():
        if document["kind"] == kind and document["metadata"]["name"] == name:
            return document
    raise AssertionError(f"no {kind} {name!r} in infra/k8s/base")


def test_k8s_manifests_parse_and_kustomization_lists_existing_files() -> None:
    kinds = {d["kind"] for d in _k8s_documents()}
    assert {"Kustomization", "Namespace", "ConfigMap", "Secret", "Deployment", "Service", "ScaledObject"} <= kinds
    kustomization = next(d for d in _k8s_documents() if d["kind"] == "Kustomization")
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file(), resource


def _deployment_env_names(deployment: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        names.update(item["name"] for item in container.get("env", []))
        for source in container.get("envFrom", []):
            ref = source.get("configMapRef")
            assert ref is not None, "only the shared ConfigMap is imported whole; secrets are picked key by key"
            names.update(_k8s("ConfigMap", ref["name"])["data"])
    return names


@pytest.mark.parametrize("package", SERVICES)
def test_k8s_deployment_env_names_are_settings_fields(package: str, monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = _k8s("Deployment", package)
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == f"belegflow/{package}"
    fields = _env_names(_settings_class(package, REPO / "services" / package, monkeypatch))
    names = {n for n in _deployment_env_names(deployment) if n.startswith(ENV_PREFIX)}
    assert not sorted(names - fields.keys()), f"{package} Deployment sets settings its service does not read"
    missing = sorted(name for name, required in fields.items() if required and name not in names)
    assert not missing, f"{package} Deployment lacks required settings {missing}"


def test_k8s_secret_example_has_every_key_the_deployments_use() -> None:
    keys = set(_k8s("Secret", "belegflow-secrets")["stringData"])
    for package in SERVICES:
        for container in _k8s("Deployment", package)["spec"]["template"]["spec"]["containers"]:
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref is not None:
                    assert ref["name"] == "belegflow-secrets", item["name"]
                    assert ref["key"] in keys, item["name"]


@pytest.mark.parametrize("package", SERVICES)
def test_every_service_probes_liveness_and_readiness_apart(package: str) -> None:
    # liveness never depends on NATS or Postgres (an outage must not restart every pod); readiness does
    container = _k8s("Deployment", package)["spec"]["template"]["spec"]["containers"][0]
    port = "http" if package == "ingest" else "metrics"
    assert container["startupProbe"]["httpGet"] == {"path": "/livez", "port": port}
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": port}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}


def test_every_ingest_replica_signs_sessions_with_the_same_secret_from_a_secret() -> None:
    # compose: from a variable compose refuses to start without (no example value); Kubernetes: from the Secret
    compose_env = next(s for s in _BUILT if s.name == "ingest").env
    assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", compose_env.get("BELEGFLOW_SESSION_SECRET", "")), compose_env
    container = _k8s("Deployment", "ingest")["spec"]["template"]["spec"]["containers"][0]
    item = next((i for i in container.get("env", []) if i["name"] == "BELEGFLOW_SESSION_SECRET"), None)
    assert item is not None, "the ingest Deployment (several replicas) sets no BELEGFLOW_SESSION_SECRET"
    assert "value" not in item
    assert item["valueFrom"]["secretKeyRef"]["name"] == "belegflow-secrets"
    # and X-Forwarded-For is read only from the addresses the Deployment names as proxies
    trusted = next(i for i in container["env"] if i["name"] == "BELEGFLOW_TRUSTED_PROXIES")["value"]
    assert "0.0.0.0/0" not in trusted


def test_ingest_has_a_service() -> None:
    assert _k8s("Service", "ingest")["spec"]["selector"] == {"app.kubernetes.io/name": "ingest"}


def test_ocr_scales_on_its_jetstream_consumer_backlog() -> None:
    scaled = _k8s("ScaledObject", "ocr")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "ocr"
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "nats-jetstream"
    assert trigger["metadata"]["stream"] == "DOCS"
    assert trigger["metadata"]["consumer"] == "ocr-ingested"
    assert "replicas" not in _k8s("Deployment", "ocr")["spec"], "KEDA owns the replica count"


# --- NATS ------------------------------------------------------------------------------------


def test_nats_config_sets_sync_interval_explicitly() -> None:
    lines = [line.split("#", 1)[0].strip() for line in NATS_CONF.read_text(encoding="utf-8").splitlines()]
    settings = [line for line in lines if re.match(r"sync_interval\s*:", line)]
    assert settings == ["sync_interval: always"]
    assert "max_payload: 8MB" in lines


# --- bad input to the reader -----------------------------------------------------------------


def test_reader_rejects_a_compose_file_building_an_unknown_service(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        "services:\n  billing:\n    build:\n      context: .\n      args:\n        SERVICE: billing\n",
        encoding="utf-8",
    )
    with pytest.raises(DeployFileError, match="unknown service 'billing'"):
        built_services(compose)


def test_reader_rejects_a_build_without_service_arg(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  ingest:\n    build: .\n", encoding="utf-8")
    with pytest.raises(DeployFileError, match="must build with args"):
        built_services(compose)


def test_reader_rejects_a_file_without_services(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text("version: '3'\n", encoding="utf-8")
    with pytest.raises(DeployFileError, match="no 'services' mapping"):
        built_services(compose)


def test_reader_accepts_list_form_environment(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        "services:\n  ingest:\n    build:\n      args: [SERVICE=ingest]\n"
        "    environment: [BELEGFLOW_NATS_URL=nats://n:4222, OTHER=1]\n",
        encoding="utf-8",
    )
    (service,) = built_services(compose)
    assert service.package == "ingest"
    assert service.env_names == {"BELEGFLOW_NATS_URL"}
