"""`python manage.py bench_national`: the national portal sync benchmark
(egov/bench/national.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.test.utils import override_settings

from egov.bench.national import NationalConfig, render, run_national_bench, write_national_report


class Command(BaseCommand):
    help = (
        "Benchmark the sync to the national public service portal (stand-in) under submission "
        "load, in a database of its own, and write the figures to their section of "
        "docs/benchmarks.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dossiers", type=int, default=300)
        parser.add_argument("--submitters", type=int, default=4)
        parser.add_argument("--senders", type=int, default=2)
        parser.add_argument("--db-name", default="egov_bench_national")
        parser.add_argument("--no-write", dest="write", action="store_false", default=True)
        parser.add_argument(
            "--output", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = NationalConfig(
            dossiers=options["dossiers"],
            submitters=options["submitters"],
            senders=options["senders"],
            db_name=options["db_name"],
        )
        started = time.monotonic()

        def log(line: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {line}")
            self.stdout.flush()

        with override_settings(DEBUG=False):
            report = run_national_bench(config, log)
        for problem in report.problems:
            log(f"PROBLEM: {problem}")
        self.stdout.write(render(report))
        if options["write"]:
            write_national_report(report, Path(options["output"]))
            log(f"wrote {options['output']}")
