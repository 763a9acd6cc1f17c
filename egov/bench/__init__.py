"""The project's benchmark (`python manage.py bench`, `make bench`): plain modules, no models.

- `runner`: prepares the dedicated database, seeds it, runs the scenarios, writes the report;
- `database`: creates (and drops) the benchmark database, migrated programmatically;
- `seed`: the agency, procedure, citizens and login sessions the scenarios need;
- `server`: the application under gunicorn on 127.0.0.1 with `egov.settings.bench`;
- `loadgen`: the HTTP load generator (keep-alive clients in processes and threads, stdlib only);
- `scenarios`: events, calendar, submit_http, tracking_http, pgbench, memory;
- `machine`: the machine description read from the system;
- `report`: renders the figures and replaces them in docs/benchmarks.md.

Performance is measured here, never by timed unit tests.
"""
