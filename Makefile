# Two commands matter: `make run` and `make test`.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := marketplace:create_app

.PHONY: run test install lint migrate translations-extract translations-update translations-compile bench clean

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "python3.11 not found; set PY=..."; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Creates the venv, migrates, seeds demo data on first run, builds the search index, serves.
run: $(STAMP) translations-compile
	$(BIN)/marketplace db upgrade
	$(BIN)/marketplace seed-demo --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: $(STAMP) translations-compile
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

migrate: $(STAMP)
	$(BIN)/flask db migrate -m "$(m)"

translations-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o marketplace/translations/messages.pot .

translations-update: translations-extract
	$(BIN)/pybabel update -N -i marketplace/translations/messages.pot -d marketplace/translations

translations-compile: $(STAMP)
	$(BIN)/pybabel compile -f -d marketplace/translations

clean:
	rm -rf $(VENV) .pytest_cache
