"""Sign where the sharing message log ends now (the worker does it every five minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from egov.core.actors import SYSTEM
from egov.sharing.services import checkpoint_message_log


class Command(BaseCommand):
    help = "Tạo điểm chốt có chữ ký cho nhật ký trao đổi dữ liệu."

    def handle(self, *args: Any, **options: Any) -> None:
        row = checkpoint_message_log(actor=SYSTEM)
        self.stdout.write(f"Điểm chốt: bản ghi số {row.seq}, mã băm {row.hash}.")
