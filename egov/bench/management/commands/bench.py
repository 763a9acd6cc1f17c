"""`python manage.py bench`: the project's benchmark (see docs/benchmarks.md, egov/bench/)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import override_settings

from egov.bench.report import write_report
from egov.bench.runner import BenchConfig, run_bench
from egov.bench.scenarios import SCENARIOS


class Command(BaseCommand):
    help = (
        "Benchmark the platform in a dedicated database (egov_bench on PostgreSQL, a temporary "
        "file on SQLite) and write the figures to docs/benchmarks.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only",
            default="",
            help=f"comma-separated scenarios to run (default: all): {', '.join(SCENARIOS)}",
        )
        parser.add_argument(
            "--quick", action="store_true", help="small counts and 3-second runs (a quick check)"
        )
        parser.add_argument(
            "--write",
            action="store_true",
            default=None,
            help="write the figures to --output (default: on under `make bench` for a full run)",
        )
        parser.add_argument(
            "--no-write", dest="write", action="store_false", help="do not write the figures"
        )
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"),
            help="the report file (default: docs/benchmarks.md)",
        )
        parser.add_argument(
            "--keep",
            action="store_true",
            help="reuse the benchmark database if it exists and keep it afterwards",
        )
        parser.add_argument(
            "--db-name", default="egov_bench", help="the benchmark database (PostgreSQL)"
        )
        parser.add_argument("--duration", type=float, help="measured seconds per HTTP scenario")
        parser.add_argument("--warmup", type=float, help="warm-up seconds per HTTP scenario")
        parser.add_argument(
            "--inproc-seconds", type=float, help="seconds per in-process measurement"
        )
        parser.add_argument("--clients", type=int, help="concurrent HTTP clients (16)")
        parser.add_argument("--citizens", type=int, help="citizens to seed")
        parser.add_argument(
            "--prime", type=int, help="dossiers submitted before measuring (for the lookups)"
        )
        parser.add_argument(
            "--worker-class",
            choices=["auto", "sync", "gthread"],
            help="gunicorn worker class (auto: probe both, use the faster)",
        )
        parser.add_argument("--workers", type=int, help="gunicorn workers (4)")

    def handle(self, *args: Any, **options: Any) -> None:
        only = [s.strip() for s in options["only"].split(",") if s.strip()]
        try:
            config = BenchConfig.make(
                quick=options["quick"],
                only=only or None,
                db_name=options["db_name"],
                keep=options["keep"],
                duration=options["duration"],
                warmup=options["warmup"],
                inproc_seconds=options["inproc_seconds"],
                clients=options["clients"],
                citizens=options["citizens"],
                prime=options["prime"],
                worker_class=options["worker_class"],
                workers=options["workers"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        write = options["write"]
        if write is None:
            # `make bench` exports MAKELEVEL: a full run there writes; by hand it does not.
            write = "MAKELEVEL" in os.environ and not config.quick and not only
        started = time.monotonic()

        def log(line: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {line}")
            self.stdout.flush()

        # The in-process scenarios must not pay for DEBUG's query log (dev settings turn it on).
        with override_settings(DEBUG=False):
            report = run_bench(config, log)
        if write:
            output = Path(options["output"])
            write_report(report, output)
            log(f"figures written to {output}")
        else:
            log("figures not written (use --write)")
        if report.problems:
            raise CommandError(
                "the benchmark found problems:\n" + "\n".join(f"- {p}" for p in report.problems)
            )
        log("done: no errors")
