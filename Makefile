# `make run`: set up and serve the embedded mode on http://127.0.0.1:8000
# `make test`: set up and run the whole suite (SQLite); `make test-scaled` on
# PostgreSQL and Redis at 127.0.0.1.
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
REDIS_URL_TEST ?= redis://127.0.0.1:6379/0

.PHONY: install run test test-scaled lint bench

$(BIN)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

run: install
	mkdir -p instance
	$(BIN)/flask --app wsgi.py db upgrade --directory migrations
	$(BIN)/flask --app wsgi.py wfb seed-demo
	WFB_EMBEDDED_WORKER=true WEB_CONCURRENCY=1 WFB_BIND=127.0.0.1:$${PORT:-8000} \
		$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

lint: install
	$(BIN)/ruff check wfb tests bench
	$(BIN)/ruff format --check wfb tests bench

test: lint
	$(BIN)/pytest

test-scaled: install
	TEST_DATABASE_URL=$(PG_URL) TEST_REDIS_URL=$(REDIS_URL_TEST) $(BIN)/pytest
