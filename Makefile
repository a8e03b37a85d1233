# Two entry points: `make run` and `make test`. Everything else is set up by them.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
export SSL_CERT_FILE ?= /etc/ssl/certs/ca-certificates.crt
export UV_PYTHON := $(VENV)/bin/python
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test setup lint typecheck pytest bench clean system precompiled-sql

$(VENV)/.synced: pyproject.toml uv.lock
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	test -x $(UV) || $(VENV)/bin/python -m pip install -q "uv==$(UV_VERSION)"
	$(UV) sync --frozen --all-extras --inexact
	touch $@

setup: $(VENV)/.synced

run: setup
	$(VENV)/bin/touchpoint demo

lint: setup
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/lint-imports

typecheck: setup
	$(VENV)/bin/mypy src bench

system:
	bash scripts/system-deps.sh

# Rebuild the SQL shipped for the common survey shapes (after an engine change;
# tests/engine/test_engine_precompiled.py fails until it is rebuilt).
precompiled-sql: setup
	$(VENV)/bin/python -m touchpoint.engine.precompiled

pytest: setup system
	bash scripts/with-services.sh $(VENV)/bin/pytest

test: lint typecheck pytest

bench: setup system
	bash scripts/bench-deps.sh
	$(VENV)/bin/python bench/quality_report.py
	bash scripts/with-services.sh $(VENV)/bin/python bench/api_writes.py --runs 3

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
