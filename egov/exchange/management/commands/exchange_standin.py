"""Run this platform as a stand-in exchange peer (tests, demonstrations, the benchmark)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Chạy nền tảng như một điểm liên thông thử nghiệm: tạo cơ quan, chứng thư từ CA minh họa "
        "dùng chung và điểm liên thông theo tệp cấu hình JSON, rồi phục vụ API liên thông trên "
        "127.0.0.1 kèm tiến trình gửi hàng đợi; tự trả lời trạng thái 03, 04, 05, 06. "
        "Chỉ dùng cho phát triển và kiểm thử."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--config", required=True, help="Tệp cấu hình JSON (InstanceConfig).")
        parser.add_argument(
            "--setup-only", action="store_true", help="Chỉ tạo dữ liệu, không chạy máy chủ."
        )
        parser.add_argument("--port", type=int, default=None, help="Cổng (mặc định theo tệp).")

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.exchange.standin import InstanceConfig, serve, setup_instance

        config = InstanceConfig.load(Path(options["config"]))
        if options["port"] is not None:
            config.port = options["port"]
        if config.host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("Điểm liên thông thử nghiệm chỉ chạy trên 127.0.0.1.")
        setup_instance(config)
        if options["setup_only"]:
            self.stdout.write("Đã tạo dữ liệu điểm liên thông thử nghiệm.")
            return

        def announce(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        serve(config, announce=announce)
