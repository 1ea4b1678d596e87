# belegflow: `make run` starts everything and processes samples/, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
PACKAGES := -e ./contracts[runtime] -e ./services/ingest -e ./services/ocr -e ./services/matching \
            -e ./services/accrual -e ./services/export -e ./infra[local] -e ./edge
STAMP := $(VENV)/.installed
SOURCES := contracts/src services/*/src infra/src edge/src

.PHONY: install run test lint typecheck unit e2e schemas bench bench-edge bench-recognition bench-engines samples down clean install-tesseract \
        devset devset-tools bench-accruals bench-books bench-learning install-chromium

install: $(STAMP)

$(STAMP): contracts/pyproject.toml services/*/pyproject.toml infra/pyproject.toml edge/pyproject.toml requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade uv
	$(UV) pip install --python $(PY) --quiet $(PACKAGES) -r requirements-dev.txt
	@# tesseract is an optional engine: installed where we may (root with apt), its tests skip elsewhere
	-@command -v tesseract >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  timeout 600 $(MAKE) --no-print-directory install-tesseract >/dev/null 2>&1 && echo "installed tesseract"; } || true
	@# the review page's browser test drives Debian's chromium (never a downloaded browser); it skips where absent
	-@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  timeout 900 $(MAKE) --no-print-directory install-chromium >/dev/null 2>&1 && echo "installed chromium"; } || true
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

# The recognition development set (held-out seed 2; seed 1 is the development part) and its accuracy bench.
# The e-invoice corpus and the XRechnung visualisation are used from ../shared (see bench/recognition/xrviz.py).
RECOGNITION_SEED ?= 2
RECOGNITION_ARGS ?=

devset-tools: install
	$(UV) pip install --python $(PY) --quiet "saxonche>=12.5" "weasyprint>=62"
	@# WeasyPrint prints with Pango; installed where we may (root with apt)
	-@$(PY) -c "import weasyprint" 2>/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update >/dev/null && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
	  libharfbuzz-subset0 >/dev/null; } || true
	$(PY) -c "import saxonche, weasyprint"

devset: devset-tools
	$(PY) -m bench.recognition.sources --out out/recognition-set --seed $(RECOGNITION_SEED) $(RECOGNITION_ARGS)

bench-recognition: devset-tools
	$(PY) -m bench.recognition.accuracy --seed $(RECOGNITION_SEED) --work out/recognition-work \
	  --json out/recognition-accuracy.json $(RECOGNITION_ARGS)

bench-engines: install
	$(PY) -m bench.recognition.engines

bench-accruals: install
	$(PY) -m bench.accruals --invoices 300 --accruals 1000000

bench-books: install
	$(PY) -m bench.books --invoices 100000 --archive 2000

# Learning from corrections: 30 unseen supplier layouts x 10 invoices, and 30 creditors' collective invoices.
bench-learning: install
	$(PY) -m bench.learning --suppliers 30 --per-supplier 10

clean:
	-$(VENV)/bin/belegflow stack down
	rm -rf .belegflow out

# Optional: the tesseract OCR engine (BELEGFLOW_OCR_ENGINE=tesseract) with German language data, on Debian/Ubuntu.
install-tesseract:
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-deu
	tesseract --list-langs

# The browser for the review page's test (tests/e2e/test_desk_browser.py), from Debian's packages.
install-chromium:
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y --no-install-recommends chromium
	chromium --version
