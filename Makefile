# Two commands set everything up on a fresh machine with Python 3.11:
#   make run    install, migrate, load reference + demo data, start web + worker + beat
#   make test   install, then run the static checks and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test install install-dev lint checks pytest audit lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.dev-installed: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@ $(VENV)/.runtime-installed

install: $(VENV)/.runtime-installed

install-dev: $(VENV)/.dev-installed

# Web, worker and beat share one metrics directory (prometheus-client's multiprocess mode).
run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo_data
	rm -rf var/metrics && mkdir -p var/metrics
	PATH="$(abspath $(BIN)):$$PATH" PORT=$(PORT) PROMETHEUS_MULTIPROC_DIR="$(abspath var)/metrics" \
		honcho --procfile Procfile.dev start

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

checks: install-dev
	$(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=False SECRET_KEY=check-deploy-only-$$(date +%s)-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ \
		ALLOWED_HOSTS=sourcewise.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

pytest: install-dev
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

test: lint checks pytest

# Known vulnerabilities in the pinned runtime dependencies (asks the package index's advisory
# service, so it needs that network access; not part of `make test` for that reason).
audit: install-dev
	$(BIN)/pip-audit --require-hashes --disable-pip -r requirements.lock

# Re-pin the dependencies (needs uv: pip install uv). Lock files carry versions and hashes only.
lock:
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --no-header -o requirements.lock
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --no-header -o requirements-dev.lock

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
