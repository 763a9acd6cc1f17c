"""`python manage.py bench_cluster` (`make bench-cluster`): the local cluster's throughput with
one and two web instances and the dashboard from the replica vs the primary
(egov/bench/cluster_bench.py). Run in the cluster's environment: `scripts/cluster bench`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.bench.cluster_bench import (
    ClusterBenchConfig,
    render,
    run_cluster_bench,
    write_cluster_report,
)


class Command(BaseCommand):
    help = (
        "Đo cụm máy cục bộ (make cluster) qua HAProxy: một và hai máy chủ web, trang điều hành "
        "đọc từ bản sao và từ máy chính; ghi kết quả vào docs/benchmarks.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dossiers", type=int, default=200_000)
        parser.add_argument("--duration", type=float, default=15.0)
        parser.add_argument("--clients", type=int, default=16)
        parser.add_argument("--no-write", dest="write", action="store_false", default=True)
        parser.add_argument(
            "--output", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = ClusterBenchConfig(
            dossiers=options["dossiers"], duration=options["duration"], clients=options["clients"]
        )
        if not settings.DATABASES["default"]["NAME"] == config.db_name:
            raise CommandError(
                f"Run it in the cluster's environment on its own database: "
                f"scripts/cluster bench --dossiers {config.dossiers} (DATABASE_URL must name "
                f"{config.db_name} on the cluster's primary)."
            )
        started = time.monotonic()

        def log(line: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {line}")
            self.stdout.flush()

        report = run_cluster_bench(config, log)
        self.stdout.write(render(report))
        self.stdout.write(
            "On two cores a second web instance shows cost, not speed-up: both share the same "
            "cores with HAProxy, PgBouncer, PostgreSQL and the load generator."
        )
        if options["write"]:
            write_cluster_report(report, Path(options["output"]))
            log(f"wrote {options['output']}")
