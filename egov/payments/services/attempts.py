"""An applicant (or the one-stop desk on their behalf) starts paying a payment through one of
the providers offered: earlier unfinished attempts are abandoned, a new attempt gets a fresh
reference, and the provider begins (enqueues its call, builds its QR) — one kernel action,
`start_attempt`.

Who may start: the dossier's applicant (online providers only), or a receiver who sees the
payment (the collecting agency's desk, or the desk that received the dossier: scopes.py), who
may also use the desk's providers (cash). Anyone else is told the payment does not exist.
"""

from __future__ import annotations

import re
import secrets
from base64 import b32encode

from django.utils import timezone

from egov.cases import Action, perform
from egov.core.actors import Actor
from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.core.scoping import visible_to
from egov.org.models import Role

from .. import event_types as E
from .. import providers
from ..cases import APPLICANTS, PAYMENT
from ..error_codes import PaymentErrorCode as Code
from ..models import Attempt, AttemptStatus, Collector, Payment, PaymentStatus

# The reference goes into VietQR's purpose field (EMVCo additional data, ID 08: at most 25
# characters) and into the transfer content people type: letters and digits only, since bank
# apps drop or change punctuation.
REFERENCE_MAX = 25
UNFINISHED = (AttemptStatus.CREATED, AttemptStatus.OPEN)
# What a provider may change on the attempt it starts (saved after it, unless it saved itself).
PROVIDER_FIELDS = ("status", "redirect_url", "qr_payload", "provider_transaction", "failure")


class NothingDue(Conflict):
    code = Code.NOTHING_DUE


class ProviderUnavailable(DomainError):
    code = Code.PROVIDER_UNAVAILABLE


def visible_payment(actor: Actor, code: str) -> Payment:
    """The payment if the actor may see it (scopes.py), else "not found" (never "forbidden": a
    refusal must not tell that it exists)."""
    payment = (
        visible_to(actor, Payment.objects.select_related("dossier__procedure", "agency"))
        .filter(code=code)
        .first()
    )
    if payment is None:
        raise NotFoundError("Không tìm thấy khoản thanh toán.")
    return payment


def is_desk(actor: Actor) -> bool:
    return actor.kind == "official" and Role.RECEIVER in actor.roles


def collector_of(payment: Payment) -> Collector | None:
    return Collector.objects.filter(agency_id=payment.agency_id).first()


def offered(actor: Actor, payment: Payment) -> list[providers.Provider]:
    """The providers this actor may choose for this payment: online ones for an applicant, the
    desk's too for a receiver."""
    return providers.enabled(collector_of(payment), online_only=actor.kind in APPLICANTS)


def new_reference(payment: Payment) -> str:
    """ "<payment code, letters and digits>L<n>" (n: this payment's nth attempt), which the
    accountant can read back to the dossier; a random one ("TT" + 16 base32 characters) when
    that would be longer than REFERENCE_MAX or is taken."""
    base = re.sub(r"[^0-9A-Z]", "", payment.code.upper())
    reference = f"{base}L{payment.attempts.count() + 1}"
    while len(reference) > REFERENCE_MAX or Attempt.objects.filter(reference=reference).exists():
        reference = "TT" + b32encode(secrets.token_bytes(10)).decode()
    return reference


def start(*, actor: Actor, payment: str, provider: str, durable: bool = True) -> Attempt:
    """Start paying `payment` (its code) through `provider` (a provider code); returns the new
    attempt as the provider left it (open with its QR, or waiting for the platform's page)."""
    found = visible_payment(actor, payment)
    if actor.kind == "official" and not is_desk(actor):
        raise NotAllowed("Chỉ người nộp hồ sơ hoặc cán bộ tiếp nhận Một cửa được thanh toán.")
    if found.status != PaymentStatus.DUE:
        raise NothingDue(
            f"Khoản {found.code} không còn phải thanh toán ({found.get_status_display().lower()})."
        )
    chosen = next((p for p in offered(actor, found) if p.code == provider), None)
    if chosen is None:
        raise ProviderUnavailable(
            "Hình thức thanh toán này hiện không nhận, vui lòng chọn hình thức khác.",
            fields={"provider": ["Chọn một hình thức thanh toán trong danh sách."]},
        )
    with perform(PAYMENT, "start_attempt", actor=actor, case=found.code, durable=durable) as act:
        _abandon_unfinished(act, f"Người nộp chọn thanh toán lại ({chosen.label}).")
        attempt = Attempt.objects.create(
            payment=act.case,
            provider=chosen.code,
            reference=new_reference(act.case),
            amount=act.case.amount,
            started_by_id=actor.user_id,
        )
        act.save()
        act.record(E.ATTEMPT_STARTED, attempt=attempt.reference, provider=chosen.code)
        before = {f: getattr(attempt, f) for f in PROVIDER_FIELDS}
        chosen.start(act, attempt)
        changed = [f for f in PROVIDER_FIELDS if getattr(attempt, f) != before[f]]
        if changed:
            attempt.save(update_fields=changed)
    attempt.refresh_from_db()
    return attempt


def _abandon_unfinished(act: Action[Payment], reason: str) -> None:
    """Earlier attempts still open are superseded: a late confirmation of one is the provider's
    word on money that arrived anyway (settle refuses a second payment; a refund follows)."""
    now = timezone.now()
    for old in Attempt.objects.select_for_update().filter(payment=act.case, status__in=UNFINISHED):
        old.status, old.finished_at, old.failure = AttemptStatus.ABANDONED, now, reason[:255]
        old.save(update_fields=["status", "finished_at", "failure"])
        act.record(E.ATTEMPT_FAILED, attempt=old.reference, provider=old.provider, reason=reason)
