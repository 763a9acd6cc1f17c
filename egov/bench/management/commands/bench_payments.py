"""`python manage.py bench_payments`: the payments benchmark (egov/bench/payments.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.test.utils import override_settings

from egov.bench.payments import (
    PaymentsConfig,
    render,
    run_payments_bench,
    write_payments_report,
)


class Command(BaseCommand):
    help = (
        "Benchmark the national payment platform's callbacks (through the stand-in platform, "
        "concurrently, with the receipts issued by the worker) beside the /healthz floor, in a "
        "database of its own, and write the figures to their section of docs/benchmarks.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--attempts", type=int, default=300)
        parser.add_argument("--concurrency", type=int, default=16)
        parser.add_argument("--workers", type=int, default=4)
        parser.add_argument("--huey-workers", type=int, default=4)
        parser.add_argument(
            "--db-name",
            default="egov_bench_payments",
            help="the benchmark database (PostgreSQL; dropped and created fresh)",
        )
        parser.add_argument("--no-write", dest="write", action="store_false", default=True)
        parser.add_argument(
            "--output", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = PaymentsConfig(
            attempts=options["attempts"],
            concurrency=options["concurrency"],
            workers=options["workers"],
            huey_workers=options["huey_workers"],
            db_name=options["db_name"],
        )
        started = time.monotonic()

        def log(line: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {line}")
            self.stdout.flush()

        with override_settings(DEBUG=False):
            report = run_payments_bench(config, log)
        for problem in report.problems:
            log(f"PROBLEM: {problem}")
        if options["write"]:
            write_payments_report(report, Path(options["output"]))
            log(f"figures written to {options['output']}")
        else:
            self.stdout.write(render(report))
