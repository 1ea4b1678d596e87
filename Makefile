# belegflow: `make run` starts everything and processes samples/, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
PACKAGES := -e ./contracts[runtime] -e ./services/ingest -e ./services/ocr -e ./services/matching \
            -e ./services/accrual -e ./services/export -e ./infra[local] -e ./edge
STAMP := $(VENV)/.installed
SOURCES := contracts/src services/*/src infra/src edge/src

.PHONY: install run test lint typecheck unit e2e schemas bench bench-edge bench-recognition bench-engines samples down clean install-tesseract

install: $(STAMP)

$(STAMP): contracts/pyproject.toml services/*/pyproject.toml infra/pyproject.toml edge/pyproject.toml requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade uv
	$(UV) pip install --python $(PY) --quiet $(PACKAGES) -r requirements-dev.txt
	@# tesseract is an optional engine: installed where we may (root with apt), its tests skip elsewhere
	-@command -v tesseract >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  timeout 600 $(MAKE) --no-print-directory install-tesseract >/dev/null 2>&1 && echo "installed tesseract"; } || true
	touch $@

run: install
	$(VENV)/bin/belegflow demo --samples samples --out out

down: install
	$(VENV)/bin/belegflow stack down

lint: install
	$(VENV)/bin/ruff check .

typecheck: install
	$(VENV)/bin/mypy $(SOURCES) bench samples tests services/*/tests contracts/tests infra/tests edge/tests

test: install lint typecheck
	$(VENV)/bin/belegflow schemas --check
	$(VENV)/bin/pytest

schemas: install
	$(VENV)/bin/belegflow schemas

samples: install
	$(PY) samples/generate.py

bench: install
	$(PY) -m bench.pipeline

bench-edge: install
	$(PY) -m bench.edge --documents 10000

bench-recognition: install
	$(PY) -m bench.recognition.accuracy --json out/recognition-accuracy.json

bench-engines: install
	$(PY) -m bench.recognition.engines

clean:
	-$(VENV)/bin/belegflow stack down
	rm -rf .belegflow out

# Optional: the tesseract OCR engine (BELEGFLOW_OCR_ENGINE=tesseract) with German language data, on Debian/Ubuntu.
install-tesseract:
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-deu
	tesseract --list-langs
