"""The project's benchmarks (`make bench`, `make bench-scale`): plain modules, no models.

- `runner`: prepares the dedicated database, seeds it, runs the scenarios, writes the report;
- `database`: creates (and drops) the benchmark database, migrated programmatically;
- `seed`: the agency, procedure, citizens and login sessions the scenarios need;
- `server`: the application under gunicorn on 127.0.0.1 with `egov.settings.bench`;
- `loadgen`: the HTTP load generator (keep-alive clients in processes and threads, stdlib only);
- `scenarios`: events, calendar, submit_http, tracking_http, pgbench, memory;
- `machine`: the machine description read from the system;
- `report`: renders the figures and replaces them in docs/benchmarks.md;
- `province`: the scale data generator (`manage.py generate_province`, COPY into PostgreSQL);
- `scale`: the scale benchmark on a generated province (`manage.py bench_scale`);
- `lifecycle_load`: drives whole dossier lifecycles through the one-stop API (stdlib only).

Performance is measured here, never by timed unit tests.
"""
