# Cascade: `make run` starts the service, `make test` runs every test. Both set themselves up.
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FORGE := node_modules/@foundry-rs/forge-linux-amd64/bin/forge
PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: setup run test test-contracts test-python lint bench bench-quick clean

setup: $(PY_STAMP) $(NPM_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

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

lint: setup
	$(BIN)/ruff check service migrations tests scripts benchmarks
	$(BIN)/ruff format --check service migrations tests scripts benchmarks
	$(BIN)/mypy service

clean:
	rm -rf $(VENV) node_modules build contracts/out contracts/cache data
