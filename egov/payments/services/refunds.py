"""Refunds of fees already paid (hoàn trả phí, lệ phí), for dossiers that ended without their
result where a refund rule says so (models.RefundRule, data an operator keeps).

The flow, each step one kernel action on the payment (its row locked, its version + 1, a
declared event in the same transaction):

1. `request_refund` — by the agency's accountant or one-stop receiver, or by the system as a
   paid dossier is refused or withdrawn under an automatic rule (`on_dossier_ended`, run inside
   the dossier event's transaction; `after_paid` when the money arrives after the dossier
   ended). Payment → refund_requested.
2. `approve` / `reject` — by the agency's leader (the case type requires Role.LEADER), never the
   person who asked. A rejection sends the payment back to paid.
3. `complete` — by the accountant once the money went back: the refund paid, the payment
   refunded (or still paid when only a part went back), the dossier's payment state refunded
   when nothing it paid is kept.

Amounts are integer đồng: at most the rule's share of what was paid, less what is already
refunded or being refunded. Each refund row carries its own version: a page that saw an old one
is refused (`stale_version`) and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from egov.cases import CaseErrorCode, TransitionRefused, perform
from egov.core.actors import SYSTEM, Actor
from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.dossiers.models import Dossier, PaymentState, Status
from egov.dossiers.services import note_payment
from egov.events.models import Event
from egov.events.services import record_event
from egov.onestop.models import DossierStep, StepStatus
from egov.org.models import Role

from .. import event_types as E
from ..cases import PAYMENT
from ..error_codes import PaymentErrorCode as Code
from ..models import (
    DossierOutcome,
    Payment,
    PaymentStatus,
    Refund,
    RefundRule,
    RefundStatus,
)

MAX_REASON = 500
MAX_BASIS = 255
MAX_NOTE = 500
MAX_REFERENCE = 100
# Who may ask for a refund at the agency (besides the system).
REQUESTERS = frozenset({Role.ACCOUNTANT, Role.RECEIVER})
# Refunds that hold part of the payment: asked, approved, paid.
HOLDING = (RefundStatus.REQUESTED, RefundStatus.APPROVED, RefundStatus.PAID)
# The dossier's end, by its status code.
OUTCOME_OF_STATUS: dict[int, str] = {
    Status.REFUSED: DossierOutcome.REFUSED,
    Status.WITHDRAWAL_REQUESTED: DossierOutcome.WITHDRAWN,
    Status.STOPPED: DossierOutcome.STOPPED,
}
RECEIVER_ROLE = "receiver"


@dataclass(frozen=True)
class Allowance:
    """What the rules allow for one payment now: the rule and the most that may be asked."""

    rule: RefundRule
    amount: int


# --- the rules --------------------------------------------------------------------------------


def outcome_of(dossier: Dossier) -> str | None:
    return OUTCOME_OF_STATUS.get(dossier.status)


def processed(dossier: Dossier) -> bool:
    """Whether any processing was done: a step past the desk's reception finished."""
    return (
        DossierStep.objects.filter(dossier_id=dossier.pk, status=StepStatus.DONE)
        .exclude(role=RECEIVER_ROLE)
        .exists()
    )


def rule_for(dossier: Dossier) -> RefundRule | None:
    """The refund rule that applies to this ended dossier (the procedure's own rule before the
    general one, the newest active first), or None: no refund."""
    outcome = outcome_of(dossier)
    if outcome is None:
        return None
    rules = RefundRule.objects.filter(outcome=outcome, is_active=True)
    rule = (
        rules.filter(procedure_id=dossier.procedure_id).order_by("-pk").first()
        or rules.filter(procedure__isnull=True).order_by("-pk").first()
    )
    if rule is None or rule.percent <= 0:
        return None
    if rule.before_processing_only and processed(dossier):
        return None
    return rule


def held(payment: Payment) -> int:
    """What refunds already take from this payment (asked, approved or paid)."""
    total = Refund.objects.filter(payment=payment, status__in=HOLDING).aggregate(s=Sum("amount"))
    return int(total["s"] or 0)


def refunded(payment: Payment) -> int:
    total = Refund.objects.filter(payment=payment, status=RefundStatus.PAID).aggregate(
        s=Sum("amount")
    )
    return int(total["s"] or 0)


def allowance(payment: Payment) -> Allowance | None:
    """The rule and the most that may be refunded now; None when nothing may be."""
    if payment.status != PaymentStatus.PAID:
        return None
    rule = rule_for(payment.dossier)
    if rule is None:
        return None
    share = payment.amount * rule.percent // 100  # whole đồng, never more than the share
    most = min(share, payment.amount) - held(payment)
    return Allowance(rule, most) if most > 0 else None


# --- checks -------------------------------------------------------------------------------------


def _text(value: Any, field: str, limit: int, *, required: bool, label: str) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise DomainError(f"Nhập {label}.", code="invalid", fields={field: [f"Nhập {label}."]})
    if len(text) > limit:
        raise DomainError(
            f"{label.capitalize()} dài quá {limit} ký tự.",
            code="invalid",
            fields={field: [f"Tối đa {limit} ký tự."]},
        )
    return text


def _amount(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise DomainError(
            "Số tiền hoàn trả phải là số nguyên dương (đồng).",
            code=Code.INVALID_AMOUNT,
            fields={"amount": ["Nhập số tiền bằng số nguyên dương, đơn vị đồng."]},
        )
    return value


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _stale() -> Conflict:
    return Conflict(
        "Đề nghị hoàn trả vừa được người khác xử lý. Vui lòng tải lại trang và thử lại.",
        code=CaseErrorCode.STALE_VERSION,
    )


def _load(actor: Actor, refund: Refund | int, version: int | None) -> Refund:
    """The refund row if the actor may see its payment (not locked yet: the payment's lock is
    taken first). A version already passed is told as such before the payment's state is (the
    locked check decides)."""
    pk = refund.pk if isinstance(refund, Refund) else refund
    found = Refund.objects.select_related("payment__dossier").filter(pk=pk).first()
    if found is None or not PAYMENT.visible(actor, found.payment):
        raise NotFoundError("Không tìm thấy đề nghị hoàn trả.")
    if version is not None and found.version != version:
        raise _stale()
    return found


def _lock(refund: Refund, version: int | None, wanted: str, action: str) -> Refund:
    """Inside the payment's action: the refund row locked, at the version the caller saw and in
    the state the action needs."""
    locked = Refund.objects.select_for_update().get(pk=refund.pk)
    if version is not None and locked.version != version:
        raise _stale()
    if locked.status != wanted:
        raise TransitionRefused(
            f"Không thể {action} khi đề nghị hoàn trả đang ở trạng thái "
            f"“{locked.get_status_display()}”."
        )
    return locked


def _user_id(actor: Actor) -> int | None:
    return actor.user_id if actor.kind == "official" else None


# --- the actions --------------------------------------------------------------------------------


def request_refund(
    *,
    actor: Actor,
    payment: Payment | str,
    amount: int,
    reason: str,
    basis: str = "",
    version: int | None = None,
    durable: bool = True,
    automatic: bool = False,
) -> Refund:
    """Ask for `amount` of a paid payment back. Refused (nothing changes) unless the dossier
    ended in a way a refund rule covers and the amount fits what the rule still allows.
    `basis` defaults to the rule's legal source."""
    reason = _text(reason, "reason", MAX_REASON, required=True, label="lý do hoàn trả")
    basis = _text(basis, "basis", MAX_BASIS, required=False, label="căn cứ hoàn trả")
    amount = _amount(amount)
    code = payment.code if isinstance(payment, Payment) else payment
    with perform(
        PAYMENT,
        "request_refund",
        actor=actor,
        case=code,
        expected_version=version,
        durable=durable,
    ) as act:
        if act.official is not None and not (act.official.role_codes & REQUESTERS):
            raise NotAllowed("Chỉ kế toán hoặc cán bộ Một cửa của cơ quan được đề nghị hoàn trả.")
        locked = act.case
        allowed = allowance(locked)
        if allowed is None:
            raise DomainError(
                "Khoản này không được hoàn trả: hồ sơ không thuộc trường hợp quy định hoàn "
                "trả phí, lệ phí (bị từ chối, rút hoặc dừng xử lý theo quy định).",
                code=Code.REFUND_NOT_ALLOWED,
            )
        if amount > allowed.amount:
            raise DomainError(
                f"Số tiền hoàn trả tối đa là {_money(allowed.amount)}.",
                code=Code.INVALID_AMOUNT,
                fields={"amount": [f"Tối đa {_money(allowed.amount)}."]},
            )
        basis = basis or allowed.rule.legal_source[:MAX_BASIS]
        refund = Refund.objects.create(
            payment=locked,
            amount=amount,
            reason=reason,
            basis=basis,
            requested_by_id=_user_id(actor),
        )
        act.save()
        act.record(
            E.REFUND_REQUESTED,
            refund=refund.pk,
            refund_amount=amount,
            reason=reason,
            basis=basis,
            automatic=automatic,
            rule=allowed.rule.pk,
        )
    return refund


def approve(
    *, actor: Actor, refund: Refund | int, note: str = "", version: int | None = None
) -> Refund:
    """The leader approves: the accountant may pay it out."""
    note = _text(note, "note", MAX_NOTE, required=False, label="ý kiến")
    found = _load(actor, refund, version)
    with perform(PAYMENT, "approve_refund", actor=actor, case=found.payment.code) as act:
        locked = _lock(found, version, RefundStatus.REQUESTED, "phê duyệt")
        if locked.requested_by_id is not None and locked.requested_by_id == actor.user_id:
            raise NotAllowed("Người đề nghị hoàn trả không tự phê duyệt đề nghị của mình.")
        _decide(locked, actor, RefundStatus.APPROVED, note)
        act.save()
        act.record(E.REFUND_APPROVED, refund=locked.pk, refund_amount=locked.amount, note=note)
    return locked


def reject(*, actor: Actor, refund: Refund | int, note: str, version: int | None = None) -> Refund:
    """The leader refuses, with the reason: the payment is paid again (nothing goes back)."""
    note = _text(note, "note", MAX_NOTE, required=True, label="lý do không phê duyệt")
    found = _load(actor, refund, version)
    with perform(PAYMENT, "reject_refund", actor=actor, case=found.payment.code) as act:
        locked = _lock(found, version, RefundStatus.REQUESTED, "từ chối")
        _decide(locked, actor, RefundStatus.REJECTED, note)
        act.save()
        act.record(E.REFUND_REJECTED, refund=locked.pk, refund_amount=locked.amount, note=note)
    return locked


def _decide(refund: Refund, actor: Actor, status: str, note: str) -> None:
    refund.status = status
    refund.decided_by_id = actor.user_id
    refund.decided_at = timezone.now()
    refund.decision_note = note
    refund.version += 1
    refund.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "version"])


def complete(
    *,
    actor: Actor,
    refund: Refund | int,
    reference: str = "",
    version: int | None = None,
) -> Refund:
    """The accountant paid the approved amount back (`reference`: the transfer or the cash
    voucher). The payment is refunded once all of it went back; the dossier's payment state
    says refunded once nothing it paid is kept."""
    reference = _text(reference, "reference", MAX_REFERENCE, required=False, label="chứng từ")
    found = _load(actor, refund, version)
    with perform(PAYMENT, "complete_refund", actor=actor, case=found.payment.code) as act:
        locked = _lock(found, version, RefundStatus.APPROVED, "xác nhận đã hoàn trả")
        now = timezone.now()
        locked.status = RefundStatus.PAID
        locked.paid_at = now
        locked.paid_by_id = actor.user_id
        locked.payout_reference = reference
        locked.version += 1
        locked.save(update_fields=["status", "paid_at", "paid_by", "payout_reference", "version"])
        payment = act.case
        whole = refunded(payment) >= payment.amount
        act.save(state=PaymentStatus.REFUNDED if whole else PaymentStatus.PAID)
        if whole:
            _note_dossier(payment)
        act.record(
            E.REFUNDED,
            refund=locked.pk,
            refund_amount=locked.amount,
            payout_reference=reference,
        )
    return locked


def _note_dossier(payment: Payment) -> None:
    """The dossier says refunded once none of its payments holds money any more."""
    keeps = (
        Payment.objects.filter(dossier_id=payment.dossier_id)
        .exclude(pk=payment.pk)
        .filter(status__in=[PaymentStatus.PAID, PaymentStatus.REFUND_REQUESTED])
        .exists()
    )
    if not keeps:
        note_payment(payment.dossier, state=PaymentState.REFUNDED)


# --- the rules, kept by operators -----------------------------------------------------------------


def save_rule(*, actor: Actor, rule: RefundRule) -> RefundRule:
    """An operator adds or changes a refund rule (the administration): checked, saved and
    recorded (refund_rule.saved) together."""
    from django.db import transaction

    if not actor.is_operator:
        raise NotAllowed("Chỉ quản trị hệ thống được sửa quy định hoàn trả.")
    if rule.outcome not in DossierOutcome.values:
        raise DomainError(
            "Chọn trường hợp hồ sơ kết thúc.", code="invalid", fields={"outcome": ["Không hợp lệ."]}
        )
    if isinstance(rule.percent, bool) or not 0 <= int(rule.percent) <= 100:
        raise DomainError(
            "Tỷ lệ hoàn trả từ 0 đến 100%.", code="invalid", fields={"percent": ["0–100."]}
        )
    rule.legal_source = " ".join((rule.legal_source or "").split())[:255]
    if not rule.legal_source:
        raise DomainError(
            "Nhập căn cứ hoàn trả.", code="invalid", fields={"legal_source": ["Bắt buộc."]}
        )
    with transaction.atomic():
        rule.save()
        record_event(
            actor=actor,
            event_type=E.REFUND_RULE_SAVED,
            subject_type=E.REFUND_RULE,
            subject_id=rule.pk,
            payload={
                "outcome": rule.outcome,
                "procedure": rule.procedure.code if rule.procedure_id else "",  # type: ignore[union-attr]
                "before_processing_only": rule.before_processing_only,
                "percent": int(rule.percent),
                "automatic": rule.automatic,
                "legal_source": rule.legal_source,
                "is_active": rule.is_active,
            },
        )
    return rule


# --- asked by the system --------------------------------------------------------------------


def request_automatic(payment: Payment) -> Refund | None:
    """Inside a dossier's or a payment's event transaction: the whole allowed amount asked back
    when the rule is automatic and refunds all of it. Anything else waits for a person."""
    allowed = allowance(payment)
    if allowed is None or not allowed.rule.automatic or allowed.rule.percent < 100:
        return None
    outcome = DossierOutcome(allowed.rule.outcome).label
    return request_refund(
        actor=SYSTEM,
        payment=payment.code,
        amount=allowed.amount,
        reason=f"Hồ sơ {payment.dossier.code}: {str(outcome).lower()}; hoàn trả phí, lệ phí "
        "đã nộp theo quy định.",
        durable=False,
        automatic=True,
    )


def on_dossier_ended(dossier_code: str) -> list[Refund]:
    """A dossier refused, withdrawn or stopped: its paid payments asked back where an
    automatic rule says the whole fee is refunded (services.dues runs it in the event's
    transaction)."""
    paid = Payment.objects.select_related("dossier").filter(
        dossier__code=dossier_code, status=PaymentStatus.PAID
    )
    found = []
    for payment in paid.order_by("pk"):
        refund = request_automatic(payment)
        if refund is not None:
            found.append(refund)
    return found


def after_paid(event: Event) -> Refund | None:
    """payment.paid for a dossier that has already ended (the money came after a withdrawal):
    asked back at once where the rule says so (projector.py, in the settle's transaction)."""
    payment = Payment.objects.select_related("dossier").filter(code=event.subject_id).first()
    if payment is None or outcome_of(payment.dossier) is None:
        return None
    return request_automatic(payment)
