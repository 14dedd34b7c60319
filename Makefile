# IETS portal. `make` alone lists the targets; README.md explains the two that matter most.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PYTHON := $(VENV)/bin/python
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-m 'not e2e' -x"`.
PYTEST_ARGS ?=

.PHONY: help setup run test lint format messages compose-check deploy-check bench

help: ## Show this list of targets
	@echo "IETS portal — make targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "} {printf "  make %-14s %s\n", $$1, $$2}'

setup: ## Create .venv and install what running the portal needs (idempotent)
	bash scripts/setup.sh

run: ## Set up and start on the embedded default at http://127.0.0.1:8000 with demo data
	bash scripts/run-embedded.sh

test: ## Set up and run all tests (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
	bash scripts/setup.sh --test
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: ## Check the code with ruff (lint and formatting)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: ## Format the code and apply ruff's safe fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: ## Update the zh_Hans and en message catalogues and compile them (needs gettext)
	$(PYTHON) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=tests --ignore=var --no-obsolete
	$(PYTHON) manage.py compilemessages -l zh_Hans -l en --ignore=.venv --ignore=var

compose-check: ## Validate docker-compose.yml (needs docker-compose, not a Docker engine)
	docker-compose -f docker-compose.yml config -q

deploy-check: ## Run Django's deployment checks on the production settings, with a throwaway key
	DJANGO_SETTINGS_MODULE=ietsportal.settings_production \
	SECRET_KEY="$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(45))')" \
	CERTIFICATE_SIGNING_KEY="$$($(PYTHON) -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')" \
	CERTIFICATE_SIGNING_KEY_ID=deploy-check \
	PERSONAL_DATA_KEY="$$($(PYTHON) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	$(PYTHON) manage.py check --deploy --fail-level WARNING

bench: ## Benchmark at a million certificates (PostgreSQL, Redis, wrk; docs/performance.md)
	$(PYTHON) -m bench $(BENCH_ARGS)
