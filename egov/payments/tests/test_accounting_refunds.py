"""Refunds: asked by the system when a paid dossier is refused or withdrawn under an automatic
rule, or by the agency's accountant or desk where a rule allows it; approved or rejected by the
agency's leader (never the person who asked); paid out by the accountant. Every refusal changes
nothing."""

from __future__ import annotations

import pytest

from egov.cases import CaseErrorCode
from egov.core.actors import SYSTEM, actor_for_user
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.dossiers.models import PaymentState
from egov.events.models import Event
from egov.onestop import services as onestop
from egov.org.models import Role
from egov.payments.models import PaymentStatus, Refund, RefundStatus
from egov.payments.services import refunds

from .accounting_support import pay, rules
from .conftest import FEE, actor, payment_of

pytestmark = pytest.mark.django_db

FULL_ON_REFUSAL_AND_WITHDRAWAL = (("refused", True, 100, True), ("withdrawn", True, 100, True))


def events(name: str) -> list[Event]:
    return list(Event.objects.filter(event_type=f"payment.{name}").order_by("pk"))


def test_a_paid_dossier_withdrawn_is_asked_back_approved_and_paid_out(
    criminal_record, submit, make_citizen, staff
):
    rules(*FULL_ON_REFUSAL_AND_WITHDRAWAL)
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    pay(payment_of(dossier))
    onestop.withdraw_by_applicant(user=citizen, dossier=dossier.code, reason="Nộp nhầm thủ tục")

    payment = payment_of(dossier)
    assert payment.status == PaymentStatus.REFUND_REQUESTED
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.requested_by_id) == (
        FEE,
        RefundStatus.REQUESTED,
        None,
    )
    asked = events("refund_requested")[0]
    assert asked.payload["automatic"] is True
    assert asked.payload["refund_amount"] == FEE
    assert asked.actor_kind == "system"

    refunds.approve(actor=actor(staff.leader), refund=refund, version=refund.version)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.APPROVED
    refunds.complete(
        actor=actor(staff.accountant), refund=refund, reference="UNC 0001", version=refund.version
    )
    refund.refresh_from_db()
    payment = payment_of(dossier)
    assert (refund.status, refund.payout_reference) == (RefundStatus.PAID, "UNC 0001")
    assert payment.status == PaymentStatus.REFUNDED
    dossier.refresh_from_db()
    assert dossier.payment_state == PaymentState.REFUNDED
    assert [e.event_type for e in Event.objects.filter(event_type__startswith="payment.refund")]
    assert len(events("refund_approved")) == len(events("refunded")) == 1


def test_money_arriving_after_the_withdrawal_is_asked_back_at_once(
    criminal_record, submit, make_citizen
):
    rules(*FULL_ON_REFUSAL_AND_WITHDRAWAL)
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    onestop.withdraw_by_applicant(user=citizen, dossier=dossier.code, reason="Không cần nữa")
    assert payment_of(dossier).status == PaymentStatus.CANCELLED
    pay(payment_of(dossier), "vietqr")  # the transfer was already on its way
    assert payment_of(dossier).status == PaymentStatus.REFUND_REQUESTED
    assert Refund.objects.get().amount == FEE


def test_no_rule_no_automatic_refund_and_a_request_is_refused(
    criminal_record, submit, make_citizen, staff
):
    rules(("withdrawn", True, 100, False))  # allowed, but asked by a person
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    pay(payment_of(dossier))
    onestop.receive_online(actor=actor(staff.receiver), dossier=dossier.code)
    onestop.forward(actor=actor(staff.specialist), dossier=dossier.code, note="Đã xác minh")
    onestop.stop(actor=actor(staff.leader), dossier=dossier.code, reason="Không đủ điều kiện")
    assert payment_of(dossier).status == PaymentStatus.PAID
    assert not Refund.objects.exists()
    with pytest.raises(DomainError) as refused:
        refunds.request_refund(
            actor=actor(staff.accountant),
            payment=payment_of(dossier),
            amount=FEE,
            reason="Hồ sơ dừng xử lý",
        )
    assert refused.value.code == "refund_not_allowed"
    assert not Refund.objects.exists() and not events("refund_requested")


def test_a_rule_for_processed_dossiers_allows_its_share_only(
    criminal_record, submit, make_citizen, staff
):
    rules(("stopped", False, 50, False))
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    pay(payment_of(dossier), "cash")
    onestop.receive_online(actor=actor(staff.receiver), dossier=dossier.code)
    onestop.forward(actor=actor(staff.specialist), dossier=dossier.code, note="Đã xác minh")
    onestop.stop(actor=actor(staff.leader), dossier=dossier.code, reason="Không đủ điều kiện")
    payment = payment_of(dossier)
    with pytest.raises(DomainError) as too_much:
        refunds.request_refund(
            actor=actor(staff.accountant), payment=payment, amount=FEE, reason="Dừng xử lý"
        )
    assert too_much.value.code == "invalid_amount" and "amount" in too_much.value.fields
    for bad in (0, -5, "100000", 1.5, True):
        with pytest.raises(DomainError) as invalid:
            refunds.request_refund(
                actor=actor(staff.accountant), payment=payment, amount=bad, reason="Dừng xử lý"
            )
        assert invalid.value.code == "invalid_amount"
    with pytest.raises(DomainError) as no_reason:
        refunds.request_refund(
            actor=actor(staff.accountant), payment=payment, amount=FEE // 2, reason="  "
        )
    assert "reason" in no_reason.value.fields

    refund = refunds.request_refund(
        actor=actor(staff.receiver),
        payment=payment,
        amount=FEE // 2,
        reason="Dừng xử lý sau khi xác minh",
        version=payment.version,
    )
    assert refund.basis == "Quy định thử nghiệm (Dừng xử lý)"
    refunds.approve(actor=actor(staff.leader), refund=refund.pk)
    refunds.complete(actor=actor(staff.accountant), refund=refund.pk)
    # Half went back: the payment keeps the rest and stays paid, nothing more may be asked.
    assert payment_of(dossier).status == PaymentStatus.PAID
    dossier.refresh_from_db()
    assert dossier.payment_state == PaymentState.PAID
    assert refunds.allowance(payment_of(dossier)) is None


def test_who_may_do_what(criminal_record, submit, make_citizen, staff, make_official, other_agency):
    rules(("stopped", False, 100, False))
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    pay(payment_of(dossier))
    onestop.receive_online(actor=actor(staff.receiver), dossier=dossier.code)
    onestop.stop(actor=actor(staff.leader), dossier=dossier.code, reason="Không đủ điều kiện")
    payment = payment_of(dossier)
    outsider = make_official(other_agency, [Role.ACCOUNTANT, Role.LEADER], username="ketoankhac")

    def ask(person):  # type: ignore[no-untyped-def]
        return refunds.request_refund(
            actor=person, payment=payment.code, amount=FEE, reason="Dừng xử lý"
        )

    # The applicant, a specialist, a leader, an operator, another agency: refused.
    with pytest.raises(NotAllowed):
        ask(actor_for_user(citizen))
    with pytest.raises(NotAllowed):
        ask(actor(staff.specialist))
    with pytest.raises(NotAllowed):
        ask(actor(staff.leader))
    with pytest.raises(NotFoundError):
        ask(actor(outsider))
    assert not Refund.objects.exists()

    both = make_official(staff.leader.agency, [Role.ACCOUNTANT, Role.LEADER], username="kiemnhiem")
    refund = ask(actor(both))
    # Nobody approves their own request; an accountant cannot approve; another agency's
    # leader does not even find it.
    with pytest.raises(NotAllowed):
        refunds.approve(actor=actor(both), refund=refund)
    with pytest.raises(NotAllowed):
        refunds.approve(actor=actor(staff.accountant), refund=refund)
    with pytest.raises(NotFoundError):
        refunds.approve(actor=actor(outsider), refund=refund)
    with pytest.raises(DomainError) as early:
        refunds.complete(actor=actor(staff.accountant), refund=refund)  # not approved yet
    assert early.value.code == CaseErrorCode.INVALID_TRANSITION
    with pytest.raises(NotAllowed):
        refunds.reject(actor=actor(staff.accountant), refund=refund, note="Không")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED
    # The leader refuses it: a reason is needed, then the payment is paid again.
    with pytest.raises(DomainError):
        refunds.reject(actor=actor(staff.leader), refund=refund, note="")
    refunds.reject(actor=actor(staff.leader), refund=refund, note="Đã có kết quả xác minh")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REJECTED
    assert payment_of(dossier).status == PaymentStatus.PAID
    assert len(events("refund_rejected")) == 1


def test_a_stale_version_changes_nothing(criminal_record, submit, make_citizen, staff):
    rules(*FULL_ON_REFUSAL_AND_WITHDRAWAL)
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    pay(payment_of(dossier))
    onestop.withdraw_by_applicant(user=citizen, dossier=dossier.code, reason="Nộp nhầm")
    refund = Refund.objects.get()
    seen = refund.version
    refunds.reject(actor=actor(staff.leader), refund=refund, note="Chưa đủ chứng từ")
    with pytest.raises(DomainError) as stale:
        refunds.approve(actor=actor(staff.leader), refund=refund, version=seen)
    assert stale.value.code == CaseErrorCode.STALE_VERSION
    with pytest.raises(DomainError) as wrong_state:
        refunds.approve(actor=actor(staff.leader), refund=refund)
    assert wrong_state.value.code == CaseErrorCode.INVALID_TRANSITION
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REJECTED
    assert not events("refund_approved")


def test_refused_at_reception_after_paying(criminal_record, submit, make_citizen, staff):
    rules(*FULL_ON_REFUSAL_AND_WITHDRAWAL)
    dossier = submit(make_citizen(), criminal_record)
    pay(payment_of(dossier))
    onestop.refuse(actor=actor(staff.receiver), dossier=dossier.code, reason="Sai thẩm quyền")
    assert payment_of(dossier).status == PaymentStatus.REFUND_REQUESTED
    assert (
        events("refund_requested")[0].payload["basis"]
        == "Quy định thử nghiệm (Không được tiếp nhận)"
    )
    assert SYSTEM.kind == events("refund_requested")[0].actor_kind


def test_operators_keep_the_rules(criminal_record, staff):
    from egov.core.actors import Actor
    from egov.payments.models import RefundRule

    operator = Actor(kind="operator", label="quantri")
    rule = RefundRule(
        outcome="stopped",
        procedure=criminal_record,
        before_processing_only=False,
        percent=50,
        automatic=False,
        legal_source="  Thông tư   thử nghiệm  ",
    )
    with pytest.raises(NotAllowed):
        refunds.save_rule(actor=actor(staff.leader), rule=rule)
    with pytest.raises(DomainError):
        refunds.save_rule(actor=operator, rule=RefundRule(outcome="lost", legal_source="x"))
    refunds.save_rule(actor=operator, rule=rule)
    saved = Event.objects.get(event_type="refund_rule.saved")
    assert saved.payload["procedure"] == criminal_record.code
    assert saved.payload["legal_source"] == "Thông tư thử nghiệm"
    assert saved.subject_id == str(rule.pk)
