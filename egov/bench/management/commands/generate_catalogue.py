"""Add a generated catalogue of N procedures (egov/bench/catalogue.py), for the benchmarks."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from egov.bench.catalogue import generate_catalogue


class Command(BaseCommand):
    help = (
        "Tạo danh mục thủ tục hành chính quy mô một tỉnh (mặc định 2.000 thủ tục) để đo hiệu "
        "năng; chạy lại chỉ thêm những thủ tục còn thiếu."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--procedures", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = generate_catalogue(
            options["procedures"], seed=options["seed"], log=self.stdout.write
        )
        for warning in result.warnings[:10]:
            self.stderr.write(self.style.WARNING(warning))
        self.stdout.write(
            self.style.SUCCESS(f"{result.summary()} ({time.monotonic() - started:.0f} s)")
        )
