"""`manage.py load_demo_webhooks --target http://127.0.0.1:8030/hook`: the demo's webhook
subscriber (egov/demo/webhooks.py). Prints the subscription's signing secret (new on every run)
on standard output, alone, for scripts/run to hand to the stand-in receiver."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        'Tạo ứng dụng API minh họa "Ứng dụng kết nối mẫu" đăng ký nhận sự kiện hồ sơ '
        "(dossier.*) tại địa chỉ --target, cấp khóa ký mới và in khóa đó ra. Chạy lại không tạo "
        "trùng. Không dùng trên hệ thống thật."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--target", required=True, help="Địa chỉ nhận webhook.")

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.core.errors import DomainError
        from egov.demo.webhooks import load_demo_webhook

        try:
            made = load_demo_webhook(target_url=options["target"])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(made.secret)
