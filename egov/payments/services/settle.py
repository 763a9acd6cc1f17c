"""The one place a payment becomes paid, whichever provider brought the money (a confirmed
callback, a bank statement line matched, cash at the desk), and where the receipt is queued.

Settling runs as one kernel action: the attempt succeeded, the payment paid, the dossier's
payment state, a dossier waiting in status 6 back to processing (onestop), the `payment.paid`
event and the outbox message that issues the receipt — all committed together or not at all.
The receipt itself is issued by the worker from that message (topic RECEIPT_TOPIC): a worker
killed in between loses nothing, the message is delivered after restart, and issuing is
idempotent (one receipt per payment).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from egov.cases import perform
from egov.core.actors import Actor
from egov.core.errors import Conflict
from egov.dossiers.models import PaymentState
from egov.dossiers.services import note_payment
from egov.onestop.services import payment_settled

from .. import event_types as E
from ..cases import PAYMENT
from ..error_codes import PaymentErrorCode as Code
from ..models import Attempt, AttemptStatus, Payment

RECEIPT_TOPIC = "payment_receipt"


class AmountMismatch(Conflict):
    code = Code.CALLBACK_AMOUNT_MISMATCH


def settle(
    *,
    actor: Actor,
    attempt: Attempt | str,
    amount: int,
    provider_transaction: str = "",
    paid_at: datetime | None = None,
    callback_id: int | None = None,
    statement_line_id: int | None = None,
    durable: bool = True,
) -> Payment:
    """Mark the attempt's payment paid. `amount` is what the provider (or the desk) says was
    paid: anything but the attempt's amount is refused (AmountMismatch) and nothing changes.
    Settling an attempt that already succeeded is a no-op that returns the payment (duplicate
    confirmations answer the same)."""
    reference = attempt.reference if isinstance(attempt, Attempt) else attempt
    found = Attempt.objects.select_related("payment").get(reference=reference)
    if found.status == AttemptStatus.SUCCEEDED:
        return found.payment
    with perform(PAYMENT, "settle", actor=actor, case=found.payment.code, durable=durable) as act:
        payment = act.case
        locked = Attempt.objects.select_for_update().get(pk=found.pk)
        if locked.status == AttemptStatus.SUCCEEDED:
            raise RuntimeError("settled concurrently")  # the payment row lock prevents this
        if not isinstance(amount, int) or isinstance(amount, bool) or amount != locked.amount:
            raise AmountMismatch(
                f"Số tiền {amount} không khớp với số tiền phải nộp {locked.amount} đồng."
            )
        when = paid_at or timezone.now()
        locked.status = AttemptStatus.SUCCEEDED
        locked.provider_transaction = provider_transaction[:64]
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "provider_transaction", "finished_at"])
        payment.paid_at = when
        payment.paid_provider = locked.provider
        payment.settled_attempt = locked
        act.save("paid_at", "paid_provider", "settled_attempt")
        dossier = payment.dossier
        note_payment(
            dossier,
            state=PaymentState.PAID,
            amount_paid=dossier.amount_paid + payment.amount,
            paid_at=when,
        )
        payment_settled(actor=actor, dossier_code=dossier.code, reference=payment.code)
        act.record(
            E.PAID,
            attempt=locked.reference,
            provider=locked.provider,
            provider_transaction=locked.provider_transaction,
            paid_at=when,
            recorded_by=actor.label if actor.kind == "official" else "",
            callback=callback_id,
            statement_line=statement_line_id,
        )
        act.enqueue(
            RECEIPT_TOPIC,
            {"payment": payment.code},
            idempotency_key=f"receipt-{payment.code}",
        )
    return act.case
