# Cascade: `make run` starts the service, `make test` runs every test. Both set themselves up.
#
#   make run                               the service on http://127.0.0.1:8000, its data in ./data
#   PORT=8001 make run                     on another port (HOST=0.0.0.0 to listen beyond this machine)
#   CASCADE_DATA_DIR=/path make run        chain state, database and keys in another directory
#   ANVIL_PORT=8546 make run               the embedded chain on another port (a second service beside one)
#   make help                              every target and setting
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FORGE := node_modules/@foundry-rs/forge-linux-amd64/bin/forge
PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help setup run test test-contracts test-python fuzz lint errors bench bench-quick constraints clean

help:
	@echo "make run          start the service on http://$(HOST):$(PORT) (Ctrl-C stops it)"
	@echo "make test         every test: forge, then pytest (SQLite and PostgreSQL on 127.0.0.1:5432)"
	@echo "make lint         ruff, ruff format --check, mypy"
	@echo "make fuzz         the API fuzzer with many more examples (FUZZ_EXAMPLES=$(FUZZ_EXAMPLES))"
	@echo "make errors       write docs/errors.md from the error classes"
	@echo "make bench        benchmarks (bench-quick: about a minute)"
	@echo "make setup        the virtualenv and npm packages (run and test do it themselves)"
	@echo "make clean        remove them, the build and ./data"
	@echo ""
	@echo "settings (environment or make variables):"
	@echo "  PORT=8001 make run                   serve on another port (default 8000)"
	@echo "  HOST=0.0.0.0 make run                listen beyond this machine (default 127.0.0.1)"
	@echo "  CASCADE_DATA_DIR=/path make run      keep chain, database and keys there (default ./data)"
	@echo "  ANVIL_PORT=8546 make run             the embedded chain's port (default 8545)"
	@echo "  WORKERS=4 make run                   worker processes (default 2)"

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
	$(BIN)/cascade serve --host $(HOST) --port $(PORT)

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

errors: setup
	$(BIN)/cascade errors --output docs/errors.md

# Benchmarks (not part of `make test`): ceiling, gas, end to end, scale; writes benchmarks/results.json.
bench: setup
	$(BIN)/python -m benchmarks

bench-quick: setup
	$(BIN)/python -m benchmarks --quick

clean:
	rm -rf $(VENV) node_modules build contracts/out contracts/cache data
