"""The payment case type (egov.cases kernel): who may do what to a payment, from which state.

A payment is seen by its dossier's applicant, the officials of the collecting agency (and of
the desk that received the dossier: scopes.py) and operators; anyone else gets "not found".
Desk and accountant work needs the agency's roles (receiver, accountant; a leader approves
refunds); what providers tell us runs as the system.

Lock order with the dossier: a dossier action locks the dossier first, records on the agency's
chain, and its payments projector then locks the dossier's payments (a refusal, withdrawal or
stop cancels what is due and asks back what was paid: services/dues.on_dossier_ended). So every
payment action locks its dossier before the payment (`lock_first`). Payment first, the two
could each hold what the other waits for: settling or a refund paid back (they write the
dossier's payment state) waiting for the dossier, and any payment action waiting for the
chain head the dossier action holds (the deadlocks the national deliverer had with the dossier
actions, issue #19). Code that locks a payment outside an action (the national platform's
callback) takes `lock_dossier_of` first itself.
"""

from __future__ import annotations

from typing import Any

from egov.cases import Action, CaseType, Transition
from egov.core.actors import Actor
from egov.dossiers.models import Dossier
from egov.org.models import Role

from .models import Payment
from .models import PaymentStatus as S
from .scopes import received_at_desks

APPLICANTS = frozenset({"citizen", "business"})
SYSTEM = frozenset({"system"})
OFFICIAL_OR_SYSTEM = frozenset({"official", "system"})
ANYONE = frozenset({"citizen", "business", "official", "system", "operator", "api_client"})


def lock_dossier_of(**payment: Any) -> None:
    """Lock the dossier of the payment named by `code=` or `pk=`, in one statement, inside the
    caller's transaction (before the payment: see the module's docstring)."""
    owner = Payment.objects.filter(**payment).values("dossier_id")
    list(Dossier.objects.select_for_update().filter(pk__in=owner).values_list("pk"))


class PaymentCaseType(CaseType[Payment]):
    def lock_first(self, case: Payment | Any) -> None:
        lock_dossier_of(code=self.key_of(case))

    def event_payload(self, act: Action[Payment]) -> dict[str, Any]:
        p = act.case
        return {"status": p.status, "dossier": p.dossier.code, "amount": p.amount}

    def visible(self, actor: Actor, case: Payment) -> bool:
        if actor.is_operator:
            return True
        if actor.kind in APPLICANTS:
            return actor.user_id is not None and case.dossier.applicant_id == actor.user_id
        if actor.kind == "official":
            return (
                case.agency_id in actor.agency_ids
                or received_at_desks(actor.agency_ids).filter(dossier_id=case.dossier_id).exists()
            )
        if actor.kind == "api_client":
            return case.agency_id in actor.agency_ids and actor.has_scope("payments:read")
        return False


PAYMENT: PaymentCaseType = PaymentCaseType(
    name="payment",
    model=Payment,
    key="code",
    related=("dossier", "agency"),
    noun="khoản thanh toán",
    subject_type="payment",
    transitions=[
        # Opened by the dossier's own event (projector.py), whoever recorded it.
        Transition("open", "Mở khoản phải nộp", frozenset(), S.DUE, by=ANYONE),
        Transition(
            "start_attempt",
            "Thanh toán",
            frozenset({S.DUE}),
            S.DUE,
            by=APPLICANTS | OFFICIAL_OR_SYSTEM,
        ),
        Transition("attempt_opened", "Mở trang thanh toán", frozenset({S.DUE}), S.DUE, by=SYSTEM),
        # A failure may be told late, after another attempt paid: it changes no state then.
        Transition(
            "attempt_failed",
            "Ghi nhận thanh toán không thành công",
            frozenset(S.values),
            None,
            by=SYSTEM,
        ),
        # Money arrived: from a provider (system), cash at the desk or a bank line matched by
        # hand (official). A payment cancelled meanwhile (dossier withdrawn) is still settled:
        # the money is there, and a refund follows.
        Transition(
            "settle",
            "Xác nhận đã thanh toán",
            frozenset({S.DUE, S.CANCELLED}),
            S.PAID,
            by=OFFICIAL_OR_SYSTEM,
        ),
        Transition(
            "refuse_callback",
            "Từ chối thông báo thanh toán",
            frozenset(S.values),
            None,
            by=SYSTEM,
        ),
        Transition(
            "issue_receipt",
            "Lập biên lai điện tử",
            frozenset({S.PAID, S.REFUND_REQUESTED, S.REFUNDED}),
            None,
            by=SYSTEM,
        ),
        Transition(
            "cancel", "Hủy khoản phải nộp", frozenset({S.DUE}), S.CANCELLED, by=OFFICIAL_OR_SYSTEM
        ),
        Transition(
            "request_refund",
            "Đề nghị hoàn trả",
            frozenset({S.PAID}),
            S.REFUND_REQUESTED,
            by=OFFICIAL_OR_SYSTEM,
        ),
        Transition(
            "approve_refund",
            "Phê duyệt hoàn trả",
            frozenset({S.REFUND_REQUESTED}),
            S.REFUND_REQUESTED,
            Role.LEADER,
        ),
        Transition(
            "reject_refund",
            "Không phê duyệt hoàn trả",
            frozenset({S.REFUND_REQUESTED}),
            S.PAID,
            Role.LEADER,
        ),
        # Refunded when the whole amount went back; a part refunded leaves it paid (and another
        # part may be asked for later, up to what is left).
        Transition(
            "complete_refund",
            "Xác nhận đã hoàn trả",
            frozenset({S.REFUND_REQUESTED}),
            None,
            Role.ACCOUNTANT,
            outcomes=frozenset({S.REFUNDED, S.PAID}),
        ),
    ],
)
