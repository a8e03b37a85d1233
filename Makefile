# Two entry points: `make run` and `make test`. Everything else is set up by them.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
export SSL_CERT_FILE ?= /etc/ssl/certs/ca-certificates.crt
export UV_PYTHON := $(VENV)/bin/python
export UV_PROJECT_ENVIRONMENT := $(VENV)

# Two installs from uv.lock, each with its own stamp:
#   run:  the runtime dependencies only (no dev group, no extras);
#   test: those plus the dev group (ruff, mypy, pytest, Playwright...) and the spark extra.
# Both are --inexact, so neither removes what the other installed: `make test` after
# `make run` adds the test tools, `make run` after `make test` keeps them.
# --compile-bytecode writes the .pyc of site-packages at install time, and
# compileall does the same for our own package (installed editable from src/, which uv
# does not compile), so the CLI does not compile at start-up even where
# PYTHONDONTWRITEBYTECODE is set. compileall only rewrites stale files.
UV_SYNC := $(UV) sync --frozen --inexact --compile-bytecode
COMPILE_SRC := $(VENV)/bin/python -m compileall -q src

.PHONY: run test setup setup-run setup-test lint typecheck pytest bench clean system \
	precompiled-sql

$(UV):
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q "uv==$(UV_VERSION)"

$(VENV)/.synced-run: pyproject.toml uv.lock | $(UV)
	$(UV_SYNC) --no-dev
	touch $@

$(VENV)/.synced-test: pyproject.toml uv.lock | $(UV)
	$(UV_SYNC) --group dev --extra spark
	touch $@

setup-run: $(VENV)/.synced-run
	$(COMPILE_SRC)

setup-test: $(VENV)/.synced-test
	$(COMPILE_SRC)

setup: setup-test

run: setup-run
	$(VENV)/bin/touchpoint demo

lint: setup-test
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/lint-imports

typecheck: setup-test
	$(VENV)/bin/mypy src bench tests

system:
	bash scripts/system-deps.sh

# Rebuild the SQL shipped for the common survey shapes (after an engine change;
# tests/engine/test_engine_precompiled.py fails until it is rebuilt).
precompiled-sql: setup-test
	$(VENV)/bin/python -m touchpoint.engine.precompiled

# Two pytest workers (pytest-xdist), one per core of the machine CI runs on; a module's
# tests stay on one worker (--dist loadscope), so its database is migrated once.
pytest: setup-test system
	bash scripts/with-services.sh $(VENV)/bin/pytest -n 2 --dist loadscope

test: lint typecheck pytest

bench: setup-test system
	bash scripts/bench-deps.sh
	$(VENV)/bin/python bench/quality_report.py
	bash scripts/with-services.sh $(VENV)/bin/python bench/api_writes.py --runs 3

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
	find src -name __pycache__ -type d -prune -exec rm -rf {} +
