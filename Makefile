# Shortcuts around ./run (the README's two commands) and the checks CI runs.
.PHONY: demo test test-postgres lint types check migrations-check

PORT ?= 8000
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

demo:
	./run demo --port $(PORT)

test:
	./run test

test-postgres:
	DATABASE_URL=$(POSTGRES_URL) ./run test

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

types:
	COMANAGED_MODE=test .venv/bin/mypy comanaged

migrations-check:
	COMANAGED_MODE=test .venv/bin/comanaged makemigrations --check --dry-run

check: lint types migrations-check test test-postgres
