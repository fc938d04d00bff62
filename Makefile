# Guichet. Two commands do all the set-up on a fresh Debian machine (Python 3.11, node 20):
#
#   make demo   Debian packages, virtualenv, front-end assets, migrations, diagrams, demo data,
#               then http://127.0.0.1:5000 with an in-process Celery worker and beat (Ctrl-C stops)
#   make test   the same set-up, then ruff and the whole pytest suite on SQLite and on PostgreSQL
#
# Every step is skipped when it is already done, so the second run starts at once.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
APT_PACKAGES := chromium libldap2-dev libsasl2-dev slapd ldap-utils dovecot-imapd postgresql-client wrk
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/guichet_test
PYTEST_ARGS ?=

VENV_STAMP := $(VENV)/.guichet-installed
NPM_STAMP := node_modules/.guichet-installed
ASSETS_STAMP := webapp/static/vendor/VERSIONS.json

.PHONY: help setup system-packages venv assets demo test lint test-sqlite test-postgres \
        migration migration-initial db-check clean

help:
	@echo "make demo               set up everything and serve the demo on http://$(HOST):$(PORT)"
	@echo "make test               set up everything, then ruff + pytest on SQLite and PostgreSQL"
	@echo "make lint               ruff only"
	@echo "make test-sqlite        pytest on SQLite only       (PYTEST_ARGS='-k ...')"
	@echo "make test-postgres      pytest on PostgreSQL only   (PG_TEST_URL=...)"
	@echo "make migration m='...'  autogenerate the next Alembic migration from the models"
	@echo "make migration-initial  regenerate 0001_initial (only while it is the only migration)"
	@echo "make clean              remove the virtualenv, node_modules and generated assets"

# ----------------------------------------------------------------------------- set-up

setup: system-packages venv assets

system-packages:
	@bash scripts/system-packages.sh $(APT_PACKAGES)

venv: $(VENV_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstalled whenever pyproject.toml changes (dependencies, entry points, packages).
$(VENV_STAMP): pyproject.toml | $(BIN)/python system-packages
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

assets: $(ASSETS_STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

$(ASSETS_STAMP): $(NPM_STAMP) scripts/build-assets.mjs
	node scripts/build-assets.mjs

# ----------------------------------------------------------------------------- run

demo: setup
	$(BIN)/guichet demo --host $(HOST) --port $(PORT)

# ----------------------------------------------------------------------------- checks

lint: venv
	$(BIN)/ruff check .

# The benchmark smoke tests (marker pg_bench) always use PostgreSQL, so the SQLite run leaves
# them to the PostgreSQL run instead of doing the same work twice.
SQLITE_PYTEST := env -u GUICHET_TEST_DATABASE_URL $(BIN)/pytest -m "not pg_bench" $(PYTEST_ARGS)
POSTGRES_PYTEST := GUICHET_TEST_DATABASE_URL='$(PG_TEST_URL)' $(BIN)/pytest $(PYTEST_ARGS)
TEST_LOGS := .test-logs

test-sqlite: setup
	$(SQLITE_PYTEST)

test-postgres: setup
	$(POSTGRES_PYTEST)

# ruff and both pytest runs always happen (one CI run shows every failure); the target fails
# when any of them failed. The two database runs share nothing (their own databases, broker
# queues, ports and temporary directories), so they run side by side; each one's output is
# kept in $(TEST_LOGS)/ and printed whole when both are done.
test: setup
	@status=0; mkdir -p $(TEST_LOGS); \
	echo "==> ruff check ."; \
	$(BIN)/ruff check . || status=1; \
	echo "==> pytest on SQLite and on PostgreSQL ($(PG_TEST_URL)), side by side"; \
	( $(SQLITE_PYTEST) > $(TEST_LOGS)/sqlite.log 2>&1 ) & sqlite_pid=$$!; \
	( $(POSTGRES_PYTEST) > $(TEST_LOGS)/postgres.log 2>&1 ) & pg_pid=$$!; \
	wait $$sqlite_pid || { status=1; echo "==> pytest on SQLite FAILED"; }; \
	wait $$pg_pid || { status=1; echo "==> pytest on PostgreSQL FAILED"; }; \
	echo "==> pytest on SQLite"; cat $(TEST_LOGS)/sqlite.log; \
	echo "==> pytest on PostgreSQL ($(PG_TEST_URL))"; cat $(TEST_LOGS)/postgres.log; \
	if [ $$status -ne 0 ]; then echo "==> make test FAILED (see above)"; else echo "==> make test passed"; fi; \
	exit $$status

# ----------------------------------------------------------------------------- migrations

migration: venv
	@test -n "$(m)" || { echo 'usage: make migration m="what it does"'; exit 2; }
	$(BIN)/guichet db revision -m "$(m)"

migration-initial: venv
	@n=$$(find migrations/versions -name '*.py' ! -name '0001_*' | wc -l); \
	if [ "$$n" -ne 0 ]; then echo "Other migrations exist; write a new one: make migration m=..."; exit 2; fi
	rm -f migrations/versions/0001_*.py
	$(BIN)/guichet db revision -m initial --rev-id 0001

db-check: venv
	$(BIN)/guichet db check

clean:
	rm -rf $(VENV) node_modules webapp/static/vendor
