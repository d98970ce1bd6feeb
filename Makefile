# Two entry points: `make run` (set up + start the app, embedded default) and `make test`
# (set up + run every check). Everything they need they install themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup frontend lint typecheck pytest bench browser-deps clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ontolabel needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[worker,dev]'
	touch $(STAMP)

setup: $(STAMP)

frontend:
	@if [ -f frontend/package.json ]; then \
	  command -v npm >/dev/null || { echo "npm (Node.js 20+) is needed to build the frontend"; exit 1; }; \
	  cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build; \
	fi

run: setup frontend
	$(BIN)/ontolabel ontologies load
	$(BIN)/ontolabel demo --teacher
	$(BIN)/ontolabel serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check backend worker tests bench

typecheck: setup
	$(BIN)/mypy

browser-deps:
	@bash scripts/ensure-chromium.sh

pytest: setup frontend browser-deps
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist
