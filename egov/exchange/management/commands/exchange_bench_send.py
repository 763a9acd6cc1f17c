"""The sending side of the exchange benchmark (run inside a throw-away instance by
`egov.exchange.bench.run`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Đo hiệu năng liên thông: gửi liên tục gói tin edXML đã ký tới một cơ quan trong số giây "
        "cho trước với số luồng cho trước, in kết quả JSON. Chỉ chạy trên bản cài thử nghiệm "
        "(do egov.exchange.bench.run tạo)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--config", required=True, help="Tệp cấu hình JSON của bản cài.")
        parser.add_argument("--seconds", type=float, default=20.0)
        parser.add_argument("--concurrency", type=int, default=4)
        parser.add_argument("--to", required=True, help="Mã định danh cơ quan nhận.")
        parser.add_argument("--attachment-bytes", type=int, default=50_000)

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.exchange.bench import RESULT_PREFIX, send_for
        from egov.exchange.standin import InstanceConfig, setup_instance

        setup_instance(InstanceConfig.load(Path(options["config"])))
        result = send_for(
            options["seconds"],
            options["concurrency"],
            to_organ_id=options["to"],
            attachment_bytes=options["attachment_bytes"],
        )
        self.stdout.write(RESULT_PREFIX + json.dumps(result, ensure_ascii=False))
