.PHONY: run test test-pg lint format bench setup

PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

setup:
	scripts/setup --test

run:
	scripts/run

test:
	scripts/test

test-pg:
	DATABASE_URL=$(PG_URL) scripts/test

lint:
	.venv/bin/ruff check egov
	.venv/bin/ruff format --check egov
	.venv/bin/mypy egov

format:
	.venv/bin/ruff check --fix egov
	.venv/bin/ruff format egov

bench:
	DATABASE_URL=$(PG_URL) .venv/bin/python manage.py bench
