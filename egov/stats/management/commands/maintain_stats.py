"""Fold pending counter increments and close finished days now (the periodic job does it every
minute; this is for scripts and benchmarks)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from egov.stats import aggregates


class Command(BaseCommand):
    help = "Gộp số liệu chờ gộp và chốt số hồ sơ đang xử lý cuối các ngày đã qua."

    def handle(self, *args: Any, **options: Any) -> None:
        folded, closed = aggregates.maintain()
        self.stdout.write(f"Đã gộp {folded} dòng, chốt {closed} ngày.")
