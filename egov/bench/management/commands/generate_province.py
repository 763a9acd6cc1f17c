"""Bulk-load province-years of dossiers into PostgreSQL (see egov/bench/province.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.bench.province import GenConfig, generate


class Command(BaseCommand):
    help = (
        "Tạo dữ liệu quy mô lớn (hồ sơ nhiều năm của một tỉnh) bằng COPY vào PostgreSQL, "
        "kèm số liệu tổng hợp của bảng điều hành. Chỉ chạy trên cơ sở dữ liệu chưa có hồ sơ."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dossiers", type=int, default=1_000_000)
        parser.add_argument("--years", type=float, default=2.0)
        parser.add_argument("--agencies", type=int, default=210)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        config = GenConfig(
            dossiers=options["dossiers"],
            years=options["years"],
            agencies=options["agencies"],
            seed=options["seed"],
        )
        try:
            result = generate(config, log=self.stdout.write)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{result.dossiers} hồ sơ, {result.steps} bước xử lý, {result.supplements} yêu cầu "
            f"bổ sung, {result.ratings} đánh giá, {result.open_dossiers} hồ sơ đang theo dõi; "
            f"{result.agencies} cơ quan, {result.procedures} thủ tục."
        )
        for name, seconds in result.seconds.items():
            self.stdout.write(f"  {name}: {seconds:.1f} s")
