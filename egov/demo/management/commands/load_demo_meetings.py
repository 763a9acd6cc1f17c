"""The demo's meetings and written consultation (after load_demo and load_demo_results)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Tạo cuộc họp minh họa của Ủy ban nhân dân tỉnh (một phiên họp sắp tới đã gửi giấy mời, "
        "một phiên họp đã kết thúc có biểu quyết và biên bản đã ký) và một phiếu lấy ý kiến "
        "thành viên đang mở, qua đúng các bước nghiệp vụ. Chạy sau load_demo; chạy lại không "
        "tạo trùng. Không dùng trên hệ thống thật."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.demo.meetings import load_demo_meetings

        made = load_demo_meetings()
        self.stdout.write(
            f"Cuộc họp minh họa: tạo mới {made.meetings} cuộc họp, "
            f"{made.consultations} phiếu lấy ý kiến."
        )
