"""Create the demo CA and certificates for the demo agencies and officials (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from egov.core.actors import SYSTEM


class Command(BaseCommand):
    help = (
        "Tạo CA minh họa (CA gốc, CA trung gian, TSA cấp dấu thời gian), đưa CA gốc vào danh "
        "sách tin cậy, cấp chứng thư ký số cho mọi cơ quan và cho lãnh đạo, văn thư (hoặc mọi "
        "công chức với --all-officials). Chạy lại không cấp trùng. Chỉ dùng cho môi trường phát "
        "triển và kiểm thử."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all-officials", action="store_true", help="Cấp cho mọi công chức.")
        parser.add_argument(
            "--rsa", action="store_true", help="Dùng khóa RSA-2048 thay cho EC P-256."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.signing.services import ensure_demo_ca

        result = ensure_demo_ca(
            actor=SYSTEM,
            all_officials=options["all_officials"],
            key_type="rsa" if options["rsa"] else "ec",
        )
        self.stdout.write(
            f"CA minh họa: {result.root.name} / {result.intermediate.name}"
            f"{f' / {result.tsa.name}' if result.tsa else ''}. "
            f"Cấp mới {len(result.created)} chứng thư, giữ nguyên {result.kept}."
        )
        for identity in result.created:
            kind = "cá nhân" if identity.official_id else "cơ quan"
            self.stdout.write(
                f"  + {identity.owner_name} ({kind}, hết hạn {identity.not_after:%d/%m/%Y})"
            )
