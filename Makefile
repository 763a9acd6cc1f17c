.PHONY: run test test-pg lint format bench bench-scale bench-meetings bench-payments bench-national setup cluster cluster-stop cluster-status cluster-test bench-cluster

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
	.venv/bin/lint-imports --no-cache

format:
	.venv/bin/ruff check --fix egov
	.venv/bin/ruff format egov

bench:
	DATABASE_URL=$(PG_URL) .venv/bin/python manage.py bench

# Generated province (kept as egov_scale_<N> and reused); DOSSIERS=10000000 for the national scale.
DOSSIERS ?= 1000000
# The HTTP scenarios run under each server in turn, in the same run (issue #19: granian vs gunicorn).
SERVERS ?= gunicorn,granian
bench-scale:
	DATABASE_URL=$(PG_URL) .venv/bin/python manage.py bench_scale --dossiers $(DOSSIERS) --servers $(SERVERS)

bench-meetings:
	DATABASE_URL=$(PG_URL) .venv/bin/python manage.py bench_meetings

bench-payments:
	DATABASE_URL=$(PG_URL) .venv/bin/python manage.py bench_payments

bench-national:
	DATABASE_URL=$(PG_URL) .venv/bin/python manage.py bench_national

# The local cluster (docs/deployment.md, "Several machines"): state under var/cluster/.
cluster:
	scripts/cluster start

cluster-stop:
	scripts/cluster stop

cluster-status:
	scripts/cluster status

cluster-test:
	scripts/cluster test

bench-cluster:
	scripts/cluster bench
