"""`python manage.py bench_meetings`: the meetings benchmark (egov/bench/meetings.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.test.utils import override_settings

from egov.bench.meetings import (
    MeetingsConfig,
    render,
    run_meetings_bench,
    write_meetings_report,
)


class Command(BaseCommand):
    help = (
        "Benchmark a meeting of 50 members with 200 MB of materials (publish, 50 members "
        "opening the agenda and a 20 MB material, a vote of 50 ballots) in a database of its "
        "own, and write the figures to their section of docs/benchmarks.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=50)
        parser.add_argument("--materials", type=int, default=10)
        parser.add_argument("--material-mb", type=int, default=20)
        parser.add_argument("--workers", type=int, default=4)
        parser.add_argument("--no-write", dest="write", action="store_false", default=True)
        parser.add_argument(
            "--output", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = MeetingsConfig(
            members=options["members"],
            materials=options["materials"],
            material_mb=options["material_mb"],
            workers=options["workers"],
        )
        started = time.monotonic()

        def log(line: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {line}")
            self.stdout.flush()

        with override_settings(DEBUG=False):
            report = run_meetings_bench(config, log)
        for problem in report.problems:
            log(f"PROBLEM: {problem}")
        if options["write"]:
            write_meetings_report(report, Path(options["output"]))
            log(f"figures written to {options['output']}")
        else:
            self.stdout.write(render(report))
