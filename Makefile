# Cascade: `make run` starts the service, `make test` runs every test. Both set themselves up.
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FORGE := node_modules/@foundry-rs/forge-linux-amd64/bin/forge
PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: setup run test test-contracts test-python fuzz lint bench bench-quick constraints clean

setup: $(PY_STAMP) $(NPM_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint constraints.txt -e '.[dev]'
	touch $@

# Pins constraints.txt to the newest releases pyproject.toml admits (in a scratch venv); run `make test` after.
LOCK_VENV := build/constraints-venv
constraints:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet -e '.[dev]'
	{ head -n 2 constraints.txt; $(LOCK_VENV)/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(LOCK_VENV)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(BIN)/cascade serve

test: test-contracts test-python

test-contracts: setup
	$(FORGE) test

test-python: setup
	$(BIN)/pytest

# API fuzzing with many more generated examples per operation than `make test` runs (not part of it).
FUZZ_EXAMPLES ?= 250
fuzz: setup
	CASCADE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/test_api_fuzz.py

lint: setup
	$(BIN)/ruff check service migrations tests scripts benchmarks
	$(BIN)/ruff format --check service migrations tests scripts benchmarks
	$(BIN)/mypy service benchmarks tests

# Benchmarks (not part of `make test`): ceiling, gas, end to end, scale; writes benchmarks/results.json.
bench: setup
	$(BIN)/python -m benchmarks

bench-quick: setup
	$(BIN)/python -m benchmarks --quick

clean:
	rm -rf $(VENV) node_modules build contracts/out contracts/cache data
