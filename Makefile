# ccop-cases — `make` lists the targets.
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_ENV := CCOP_ENV=development
PORT ?= 5000
# Succeeds when the key directory the settings name (CCOP_KEY_DIR, else its default) exists.
HAVE_KEYS := $(BIN)/python -c 'from ccop_cases.settings import Settings; raise SystemExit(not Settings.from_env().key_dir.is_dir())'

.PHONY: help install run test lint bench clean

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/\$$(PORT)/$(PORT)/g' \
		| awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools

run: $(STAMP) ## Serve on http://127.0.0.1:$(PORT) (SQLite, fictional demo accounts; another port: make run PORT=8080)
	@$(DEV_ENV) $(HAVE_KEYS) 2>/dev/null || $(DEV_ENV) $(BIN)/ccop keys init
	$(DEV_ENV) $(BIN)/ccop db upgrade
	$(DEV_ENV) $(BIN)/ccop demo seed
	$(DEV_ENV) $(BIN)/ccop run --host 127.0.0.1 --port $(PORT)

test: $(STAMP) ## Run the whole test suite (PostgreSQL too: CCOP_DATABASE_URL=postgresql+psycopg://…)
	$(BIN)/pytest

lint: $(STAMP) ## ruff (with security rules), mypy (strict on crypto/ and audit/), import contracts (lint-imports)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP) ## Run every benchmark in bench/ (prints figures, asserts nothing)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean: ## Remove the virtualenv and caches (keeps instance/: keys and local database)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
