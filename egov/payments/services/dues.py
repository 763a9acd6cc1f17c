"""Payments opened and closed by their dossier's events (run by projector.py inside the
dossier event's transaction)."""

from __future__ import annotations

from typing import Any

from egov.cases import begin, perform
from egov.catalog.models import PaymentTiming
from egov.core.actors import SYSTEM, Actor
from egov.dossiers.models import Dossier, PaymentState
from egov.dossiers.services import note_payment
from egov.events.models import Event

from .. import event_types as E
from ..cases import PAYMENT
from ..models import Payment, PaymentStatus, Purpose
from . import refunds


def _actor(event: Event) -> Actor:
    return Actor(
        kind=event.actor_kind,
        user_id=event.actor_user_id,
        api_client_id=event.actor_api_client_id,
        label=event.actor_label,
    )


def _dossier(event: Event) -> Dossier | None:
    # An event about a dossier row that is not there (an imported log, a test) opens nothing.
    return (
        Dossier.objects.select_related("procedure", "agency").filter(code=event.subject_id).first()
    )


def _next_code(dossier: Dossier) -> str:
    count = Payment.objects.filter(dossier=dossier).count()
    return f"{dossier.code}-TT{count + 1}"


def _open(
    event: Event,
    dossier: Dossier,
    *,
    purpose: str,
    amount: int,
    lines: list[dict[str, Any]],
    before_processing: bool,
) -> Payment:
    with begin(PAYMENT, "open", actor=_actor(event), durable=False) as act:
        payment = Payment.objects.create(
            code=_next_code(dossier),
            dossier=dossier,
            agency=dossier.agency,
            purpose=purpose,
            opened_by_event=event.pk,
            lines=lines,
            amount=amount,
            status=PaymentStatus.DUE,
            before_processing=before_processing,
        )
        act.case = payment
        act.record(
            E.OPENED,
            purpose=purpose,
            before_processing=before_processing,
            cause=event.pk,
        )
        note_payment(dossier, state=PaymentState.DUE)
    return payment


def open_for_fees(event: Event) -> Payment | None:
    """A dossier submitted online, or received in person, with fees due: what it owes."""
    recorded = (event.payload or {}).get("fee_total")
    if recorded is not None and int(recorded) <= 0:
        # The submission's own record says nothing is due: the dossier's wide row is not read
        # inside the submission's transaction for nothing (issue #19).
        return None
    dossier = _dossier(event)
    if dossier is None or dossier.fee_total <= 0:
        return None
    if Payment.objects.filter(dossier=dossier, purpose=Purpose.SUBMISSION).exists():
        return None  # received after an online submission: opened then
    return _open(
        event,
        dossier,
        purpose=Purpose.SUBMISSION,
        amount=dossier.fee_total,
        lines=list(dossier.fee_lines or []),
        before_processing=dossier.procedure.payment_timing == PaymentTiming.BEFORE_PROCESSING,
    )


def open_for_request(event: Event) -> Payment | None:
    """A step asked the applicant to pay (dossier.payment_requested: amount, reason)."""
    if event.payload.get("fees_due"):
        return None  # waits for the payment opened with the fees (onestop._await_fees)
    dossier = _dossier(event)
    amount = int(event.payload.get("amount") or 0)
    if dossier is None or amount <= 0:
        return None
    reason = str(event.payload.get("reason", ""))
    line = {
        "kind": "charge",
        "name": reason[:255] or "Nghĩa vụ tài chính",
        "rule": "",
        "amount": amount,
        "quantity": 1,
        "unit": "",
        "optional": False,
        "total": amount,
    }
    return _open(
        event,
        dossier,
        purpose=Purpose.REQUESTED,
        amount=amount,
        lines=[line],
        before_processing=True,  # the dossier waits in status 6 until paid
    )


def on_dossier_ended(event: Event) -> None:
    """Refused, withdrawn or stopped: what was still due is no longer owed. What was paid is
    asked back where an automatic refund rule hands the whole fee back (services.refunds; a
    leader still approves it); otherwise it stays paid until someone asks."""
    due = Payment.objects.filter(dossier__code=event.subject_id, status=PaymentStatus.DUE)
    for code in due.values_list("code", flat=True):
        with perform(PAYMENT, "cancel", actor=SYSTEM, case=code, durable=False) as act:
            act.save()
            act.record(E.CANCELLED, reason=f"Hồ sơ kết thúc ({event.event_type}).")
    dossier = _dossier(event)
    if dossier is not None and dossier.payment_state == PaymentState.DUE:
        note_payment(dossier, state=PaymentState.NONE)
    refunds.on_dossier_ended(event.subject_id)
