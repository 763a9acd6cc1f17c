"""Finished demo dossiers whose result is an electronic original (after make_demo_ca)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Tạo hồ sơ minh họa đã giải quyết xong có kết quả là bản chính điện tử (lãnh đạo ký số "
        "khi phê duyệt). Chạy sau load_demo; chạy lại không tạo trùng. Không dùng trên hệ thống "
        "thật."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.demo.results import load_demo_results

        made = load_demo_results()
        self.stdout.write(f"Hồ sơ minh họa có kết quả ký số: tạo mới {made} hồ sơ.")
