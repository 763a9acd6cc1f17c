"""What the accounting tests share: paying a payment through a provider as the providers'
services do (an attempt, the provider's evidence, the one settle), and the refund rules set
explicitly (not relying on the seeded ones)."""

from __future__ import annotations

import hashlib
import itertools
from datetime import datetime

from egov.core.actors import SYSTEM
from egov.org.models import Official
from egov.payments.models import (
    Attempt,
    AttemptStatus,
    Callback,
    DossierOutcome,
    LineStatus,
    Payment,
    RefundRule,
    StatementImport,
    StatementLine,
    Verdict,
)
from egov.payments.services.settle import settle

_serial = itertools.count(1)


def pay(
    payment: Payment,
    provider: str = "national",
    *,
    paid_at: datetime | None = None,
    evidence: bool = True,
    uploader=None,  # type: ignore[no-untyped-def]
) -> Attempt:
    """Pay `payment` in full through `provider`. With `evidence`, what the provider's own
    service keeps is written too: an accepted callback (national), a matched statement line
    (vietqr)."""
    n = next(_serial)
    attempt = Attempt.objects.create(
        payment=payment,
        provider=provider,
        reference=f"{payment.code}-L{n}",
        amount=payment.amount,
        status=AttemptStatus.OPEN,
    )
    callback_id = line_id = None
    if evidence and provider == "national":
        body = f'{{"MaThamChieu": "{attempt.reference}", "MaLoi": "00"}}'
        callback_id = Callback.objects.create(
            provider="national",
            body=body,
            sha256=hashlib.sha256(body.encode()).hexdigest(),
            attempt=attempt,
            verdict=Verdict.ACCEPTED,
        ).pk
    if evidence and provider == "vietqr":
        if uploader is None:  # the agency's accountant, as the statements page would have it
            uploader = Official.objects.filter(agency=payment.agency).first().user  # type: ignore[union-attr]
        statement = StatementImport.objects.create(
            agency=payment.agency,
            uploaded_by=uploader,
            filename=f"saoke-{n}.csv",
            file_format="csv",
            sha256=f"{n:064d}",
            line_count=1,
            matched_count=1,
        )
        line_id = StatementLine.objects.create(
            statement=statement,
            agency=payment.agency,
            booked_at=paid_at or attempt.created_at,
            amount=payment.amount,
            description=attempt.reference,
            bank_reference=f"FT{n:08d}",
            status=LineStatus.MATCHED,
            attempt=attempt,
        ).pk
    settle(
        actor=SYSTEM,
        attempt=attempt,
        amount=payment.amount,
        provider_transaction=f"GD{n:06d}",
        paid_at=paid_at,
        callback_id=callback_id,
        statement_line_id=line_id,
    )
    return attempt


def rules(*rows: tuple[str, bool, int, bool]) -> list[RefundRule]:
    """Replace the refund rules by (outcome, before_processing_only, percent, automatic)."""
    RefundRule.objects.all().delete()
    return [
        RefundRule.objects.create(
            outcome=outcome,
            before_processing_only=before_only,
            percent=percent,
            automatic=automatic,
            legal_source=f"Quy định thử nghiệm ({DossierOutcome(outcome).label})",
        )
        for outcome, before_only, percent, automatic in rows
    ]


def sign_in(page, user) -> None:  # type: ignore[no-untyped-def]
    """The browser carries the session of `user` after password and TOTP (made server-side)."""
    from django.conf import settings

    from egov.conftest import login_client

    client = login_client(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": page.base_url}]
    )
