"""Cash taken at the one-stop desk: the receiver records the amount the applicant handed over,
which must be exactly what is due. One transaction: the cash attempt started (start_attempt)
and settled (settle: the payment paid, the dossier back to processing when it waited, the
receipt queued) — or nothing at all."""

from __future__ import annotations

from django.db import transaction

from egov.core.actors import Actor
from egov.core.errors import DomainError, NotAllowed

from ..error_codes import PaymentErrorCode as Code
from ..models import Payment, PaymentStatus
from ..providers.cash import Cash
from . import attempts
from .settle import settle


class InvalidAmount(DomainError):
    code = Code.INVALID_AMOUNT


def record_cash(*, actor: Actor, payment: str, amount: int) -> Payment:
    """A receiver took `amount` đồng in cash for `payment` (its code)."""
    found = attempts.visible_payment(actor, payment)
    if not attempts.is_desk(actor):
        raise NotAllowed("Chỉ cán bộ tiếp nhận Một cửa được thu tiền mặt.")
    if found.status != PaymentStatus.DUE:
        raise attempts.NothingDue(
            f"Khoản {found.code} không còn phải thu ({found.get_status_display().lower()})."
        )
    if isinstance(amount, bool) or not isinstance(amount, int) or amount != found.amount:
        due = f"{found.amount:,}".replace(",", ".")
        raise InvalidAmount(
            f"Số tiền thu phải đúng bằng số tiền phải nộp: {due} đồng.",
            fields={"amount": [f"Nhập đúng {due} đồng."]},
        )
    with transaction.atomic(durable=True):
        attempt = attempts.start(actor=actor, payment=payment, provider=Cash.code, durable=False)
        return settle(actor=actor, attempt=attempt, amount=amount, durable=False)
