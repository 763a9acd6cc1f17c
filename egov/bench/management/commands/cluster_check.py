"""`python manage.py cluster_check` (`make cluster-test`): the local cluster's acceptance check
(egov/bench/cluster_check.py); exits non-zero on failure."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from egov.bench.cluster_check import CheckConfig, run_check


class Command(BaseCommand):
    help = (
        "Kiểm tra cụm máy cục bộ (make cluster): nộp hồ sơ và xử lý trọn vòng đời qua HAProxy "
        "trong khi lần lượt tắt đột ngột một máy chủ web, dừng bản sao cơ sở dữ liệu, tắt đột "
        "ngột một tiến trình Huey; in PASS/FAIL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--phase-seconds", type=float, default=6.0)
        parser.add_argument("--submit-clients", type=int, default=6)
        parser.add_argument("--lifecycle-clients", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()

        def log(line: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {line}")
            self.stdout.flush()

        report = run_check(
            CheckConfig(
                phase_seconds=options["phase_seconds"],
                submit_clients=options["submit_clients"],
                lifecycle_clients=options["lifecycle_clients"],
            ),
            log,
        )
        self.stdout.write(report.render())
        if not report.passed:
            sys.exit(1)
