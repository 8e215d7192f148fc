# Two commands matter: `make run` and `make test`.
# Python 3.11: python3.11 if present, else python3 when it is 3.11 (override with PY=...).
PY ?= $(shell command -v python3.11 2>/dev/null || { python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null && command -v python3; })
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
HOST ?= 127.0.0.1
PORT ?= 5000
FILE ?= translations-missing.json
INSTANCE := $(or $(MARKETPLACE_INSTANCE_PATH),instance)
export FLASK_APP := marketplace:create_app

.PHONY: run test install lock typecheck lint migrate translations-update translations-compile translations-check \
	translations-export translations-apply ci clean

# The whole dependency tree comes from requirements.lock (`make lock` regenerates it from
# pyproject.toml); the package itself is installed on top, editable, without dependencies.
$(STAMP): $(LOCK) pyproject.toml
	@test -n "$(PY)" || { echo "Python 3.11 not found: install it or run make PY=/path/to/python3.11"; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r $(LOCK)
	$(BIN)/pip install -q --no-deps -e .
	# pyIATI only supplies the IATI 2.03 XSDs for tests; its own pins (lxml 4.2) no longer build.
	$(BIN)/pip install -q --no-deps pyIATI==0.4.1
	touch $(STAMP)

install: $(STAMP)

# Pin every dependency, direct and transitive, into requirements.lock (run after editing the
# dependencies in pyproject.toml, then `make install`). Pins already in the lock are kept when
# they still fit; `make lock LOCK_FLAGS=--upgrade` moves everything to the newest allowed.
lock:
	@test -n "$(PY)" || { echo "Python 3.11 not found: install it or run make PY=/path/to/python3.11"; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	test -x $(BIN)/pip-compile || $(BIN)/pip install -q "$$(grep -o 'pip-tools==[0-9.]*' pyproject.toml)"
	$(BIN)/pip-compile -q --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		--no-header --annotation-style line $(LOCK_FLAGS) -o $(LOCK) pyproject.toml

# Creates the venv, migrates, seeds demo data (each part once), serves on http://127.0.0.1:5000.
run: $(STAMP) translations-compile
	$(BIN)/marketplace db upgrade
	$(BIN)/marketplace seed-demo --if-empty
	$(BIN)/marketplace search reindex --if-needed
	@echo "demo users' password: $${MARKETPLACE_DEMO_PASSWORD:-$$(cat '$(INSTANCE)/demo-password.txt' 2>/dev/null || echo 'see $(INSTANCE)/demo-password.txt')}"
	MARKETPLACE_PUBLIC_URL=$${MARKETPLACE_PUBLIC_URL:-http://$(HOST):$(PORT)} $(BIN)/flask run --host $(HOST) --port $(PORT)

# Lint (ruff, the import-linter layer contract), type check and the whole suite (SQLite; TEST_DATABASE_URL=postgresql://... for
# PostgreSQL), with coverage of marketplace/: the total and the COV_SHOW least-covered files
# (`make test COV=` runs without coverage, `make test CHECKS=` without the lint and type checks).
# Each that is asked for runs even when one before it failed, so one failure does not hide another;
# any of them fails the target.
COV ?= --cov --cov-report=
COV_SHOW ?= 15
CHECKS ?= yes
test: $(STAMP) translations-compile
	@status=0; \
	if [ -n "$(CHECKS)" ]; then \
		echo "$(BIN)/ruff check ."; $(BIN)/ruff check . || status=1; \
		echo "$(BIN)/lint-imports"; $(BIN)/lint-imports || status=1; \
		echo "$(BIN)/mypy"; $(BIN)/mypy || status=1; \
	fi; \
	echo "$(BIN)/pytest $(COV) $(PYTEST_ARGS)"; $(BIN)/pytest $(COV) $(PYTEST_ARGS) || status=1; \
	if [ -n "$(COV)" ] && [ -f .coverage ]; then \
		echo "coverage of marketplace/ (least covered first; full table: $(BIN)/coverage report)"; \
		$(BIN)/coverage report --sort=cover --skip-covered | awk 'NR <= 2 + $(COV_SHOW) || /^TOTAL/'; \
	fi; \
	exit $$status

typecheck: $(STAMP)
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

migrate: $(STAMP)
	$(BIN)/flask db migrate -m "$(m)"

# Translations: extract + merge into fr/es, list what is missing, export it for a translator,
# apply the translated file, compile (.mo files are build output, not committed).
translations-update: $(STAMP)
	$(BIN)/python -m marketplace.i18n_cli update

translations-check: $(STAMP)
	$(BIN)/python -m marketplace.i18n_cli check

translations-export: $(STAMP)
	$(BIN)/python -m marketplace.i18n_cli export-missing $(FILE)

translations-apply: $(STAMP)
	$(BIN)/python -m marketplace.i18n_cli apply $(FILE)

translations-compile: $(STAMP)
	$(BIN)/python -m marketplace.i18n_cli compile

# What CI runs: SQLite, then PostgreSQL, with the browser tests (needs root for apt-get).
ci:
	bash .ci/run

clean:
	rm -rf $(VENV) .pytest_cache test-results .coverage
