"""`python manage.py national_reconcile [--date YYYY-MM-DD] [--agency CODE]`: compare the
dossiers the national portal acknowledged with what it holds, re-send the missing ones and
print the report (egov/national/reconcile.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from egov.core.actors import SYSTEM


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError("Ngày phải có dạng YYYY-MM-DD.") from exc


class Command(BaseCommand):
    help = (
        "Đối soát hồ sơ đã đồng bộ với Cổng Dịch vụ công quốc gia theo đơn vị và ngày; gửi lại "
        "hồ sơ Cổng quốc gia còn thiếu."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", default="", help="Ngày nộp hồ sơ (YYYY-MM-DD), mặc định hôm nay."
        )
        parser.add_argument("--agency", default="", help="Mã định danh đơn vị (DonViXuLy).")

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.national.adapter import PortalError
        from egov.national.reconcile import reconcile

        day = _day(options["date"]) if options["date"] else timezone.localdate()
        try:
            outcome = reconcile(actor=SYSTEM, day=day, agency=options["agency"].strip())
        except PortalError as exc:
            raise CommandError(f"Không đối soát được với Cổng quốc gia: {exc}") from exc
        self.stdout.write(outcome.report())
