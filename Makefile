# Kesheng: `make demo` runs the product with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: install demo test lint format messages bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: install
	$(BIN)/kesheng migrate --noinput
	$(BIN)/kesheng demo-data --if-empty
	$(BIN)/kesheng serve --host $(HOST) --port $(PORT)

test: install
	VENV=$(VENV) sh scripts/test.sh $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Rebuild the translation catalogues (needs GNU gettext: apt-get install gettext).
messages: install
	cd kesheng && ../$(BIN)/kesheng makemessages --locale zh_Hans --locale en --no-obsolete
	cd kesheng && ../$(BIN)/kesheng compilemessages --locale zh_Hans --locale en

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
