# Reelhouse: `make run` (embedded default, no services) and `make test` (real services).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements/*.txt | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv services services-down lint fmt bench bench-media migrate-local

$(STAMP): requirements/base.txt requirements/dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements/dev.txt
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

## The embedded default: SQLite, in-process tasks, in-memory channel layer, demo data.
run: venv
	mkdir -p .run
	DJANGO_SETTINGS_MODULE=settings.local $(BIN)/python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=settings.local $(BIN)/python manage.py seed_demo
	DJANGO_SETTINGS_MODULE=settings.local $(BIN)/uvicorn settings.asgi:application --host $(HOST) --port $(PORT)

## Every test against real PostgreSQL, Redis and Cassandra, installed and started here; then the
## tests marked `embedded` again on the embedded default's settings (SQLite, inline, LocMem).
test: venv
	bash platform/services/system-deps.sh
	bash platform/services/up.sh
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)
	$(BIN)/pytest --ds=settings.test_embedded -m embedded -q

services:
	bash platform/services/up.sh

services-down:
	bash platform/services/down.sh

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

fmt: venv
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

bench: venv
	bash bench/run.sh

## Media: the real pipeline vs bare ffmpeg, and two concurrent uploads -> bench/results/media.json
bench-media: venv
	$(BIN)/python bench/media/run.py
