"""Deliver due outbox messages once, in the foreground (what the worker does every minute)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from egov.events.services import outbox_stats, sweep_outbox


class Command(BaseCommand):
    help = "Gửi ngay các tin nhắn đến hạn trong hàng đợi outbox; --stats chỉ in thống kê."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--stats", action="store_true", help="Chỉ in số tin theo trạng thái.")
        parser.add_argument("--time-budget", type=float, default=50.0)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["stats"]:
            report = sweep_outbox(time_budget=options["time_budget"])
            self.stdout.write(
                f"Đã nhận {report.claimed}, gửi xong {report.delivered}, "
                f"chờ thử lại {report.retrying}, hỏng {report.dead}."
            )
        self.stdout.write(json.dumps(outbox_stats(), ensure_ascii=False))
