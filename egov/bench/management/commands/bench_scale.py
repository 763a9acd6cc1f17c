"""The scale benchmark (egov/bench/scale.py): generated province, work queue, lifecycles,
dashboard, pgbench; figures into docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.bench.scale import SCENARIOS, ScaleConfig, run_scale, write_scale_report
from egov.bench.server import SERVERS


class Command(BaseCommand):
    help = (
        "Đo hiệu năng ở quy mô lớn trên PostgreSQL: tạo (hoặc dùng lại) cơ sở dữ liệu "
        "egov_scale_<N> với N hồ sơ, đo danh sách hồ sơ cần xử lý, vòng đời hồ sơ qua API, "
        "bảng điều hành và pgbench, ghi kết quả vào docs/benchmarks.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dossiers", type=int, default=1_000_000)
        parser.add_argument("--fresh", action="store_true", help="tạo lại dữ liệu")
        parser.add_argument("--duration", type=float, default=20.0)
        parser.add_argument("--clients", type=int, default=16)
        parser.add_argument("--no-write", action="store_true", help="không ghi docs/benchmarks.md")
        parser.add_argument(
            "--procedures",
            type=int,
            default=2000,
            help="số thủ tục của danh mục cho kịch bản trang công khai (public)",
        )
        parser.add_argument(
            "--servers",
            default="gunicorn",
            help="máy chủ ứng dụng đo lần lượt trong cùng một lần chạy (phân cách bằng dấu phẩy), "
            f"trong: {', '.join(SERVERS)}",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=ScaleConfig.workers,
            help="số tiến trình (sync) của gunicorn",
        )
        parser.add_argument(
            "--granian-workers",
            type=int,
            default=ScaleConfig.granian_workers,
            help="số tiến trình của granian (khi đo granian)",
        )
        parser.add_argument(
            "--granian-threads",
            type=int,
            default=ScaleConfig.granian_threads,
            help="số luồng chặn (blocking threads) mỗi tiến trình granian",
        )
        parser.add_argument(
            "--database",
            default="",
            help="tên cơ sở dữ liệu dùng thay cho egov_scale_<N> (không ghi docs/benchmarks.md)",
        )
        parser.add_argument(
            "--only",
            default=None,
            help="chỉ chạy các kịch bản này (phân cách bằng dấu phẩy; rỗng: chỉ tạo dữ liệu), "
            f"trong: {', '.join(SCENARIOS)}",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = ScaleConfig(
            dossiers=options["dossiers"],
            fresh=options["fresh"],
            duration=options["duration"],
            clients=options["clients"],
            lifecycle_clients=options["clients"],
            procedures=options["procedures"],
            database=options["database"],
            workers=options["workers"],
            granian_workers=options["granian_workers"],
            granian_threads=options["granian_threads"],
        )
        servers = tuple(name.strip() for name in options["servers"].split(",") if name.strip())
        unknown_servers = set(servers) - set(SERVERS)
        if not servers or unknown_servers:
            raise CommandError(f"máy chủ không có: {', '.join(sorted(unknown_servers))}")
        config.servers = servers
        if options["only"] is not None:
            only = {name.strip() for name in options["only"].split(",") if name.strip()}
            unknown = only - set(SCENARIOS)
            if unknown:
                raise CommandError(f"kịch bản không có: {', '.join(sorted(unknown))}")
            config.only = frozenset(only)
        try:
            report = run_scale(config, log=self.stdout.write)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        problems = [p for r in report.results for p in r.problems]
        if not options["no_write"] and config.only is None and not config.database:
            path = Path(settings.BASE_DIR) / "docs" / "benchmarks.md"
            write_scale_report(report, path)
            self.stdout.write(f"written: {path}")
        if problems:
            raise CommandError("problems: " + " | ".join(problems))
