"""Grant (or revoke) an API client the right to call one sharing service.

python manage.py sharing_grant --client 12 --service dossier-status [--until 2027-01-01]
python manage.py sharing_grant --revoke 34
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from egov.accounts.models import ApiClient
from egov.core.actors import SYSTEM
from egov.core.errors import DomainError
from egov.sharing.models import ServiceGrant
from egov.sharing.services import grant_service, revoke_grant


class Command(BaseCommand):
    help = "Cấp hoặc thu hồi quyền dùng dịch vụ chia sẻ dữ liệu của một ứng dụng API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", type=int, help="Mã (id) ứng dụng API.")
        parser.add_argument("--service", help="Mã dịch vụ, ví dụ dossier-status.")
        parser.add_argument("--until", help="Hết hiệu lực ngày (YYYY-MM-DD).")
        parser.add_argument("--reason", default="", help="Căn cứ cấp quyền.")
        parser.add_argument("--revoke", type=int, help="Thu hồi quyền có mã (id) này.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["revoke"]:
                grant = ServiceGrant.objects.filter(pk=options["revoke"]).first()
                if grant is None:
                    raise CommandError("Không có quyền này.")
                revoke_grant(actor=SYSTEM, grant=grant)
                self.stdout.write(f"Đã thu hồi quyền {grant.pk}.")
                return
            client = ApiClient.objects.filter(pk=options["client"] or 0).first()
            if client is None or not options["service"]:
                raise CommandError("Cần --client (ứng dụng có thật) và --service.")
            until = None
            if options["until"]:
                until = timezone.make_aware(datetime.fromisoformat(options["until"]))
            grant = grant_service(
                actor=SYSTEM,
                client=client,
                service=options["service"],
                valid_until=until,
                reason=options["reason"],
            )
        except (DomainError, ValueError) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from exc
        self.stdout.write(f"Đã cấp quyền {grant.pk}: {client.name} → {grant.service}.")
