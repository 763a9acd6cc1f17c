"""The accounting pages: the reconciliation (and its XLSX) for the agency's accountants and
leaders and for operators; the refunds pages, where the desk or the accountant asks, the leader
decides and the accountant confirms the payout. Everyone else is refused (403 for the page, 404
for another agency's refund or payment) and nothing changes."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from egov.conftest import login_client
from egov.events.models import Event
from egov.onestop import services as onestop
from egov.org.models import Role
from egov.payments.models import PaymentStatus, Refund, RefundStatus

from .accounting_support import pay, rules
from .conftest import FEE, actor, payment_of

pytestmark = pytest.mark.django_db

RECONCILIATION = "/thanh-toan/doi-soat/"
XLSX = "/thanh-toan/doi-soat/tai-xuong.xlsx"
REFUNDS = "/thanh-toan/hoan-tra/"


@pytest.fixture
def stopped_paid(criminal_record, submit, make_citizen, staff):  # type: ignore[no-untyped-def]
    """A dossier paid, received, then stopped: a rule lets a person ask for the whole fee."""
    rules(("stopped", False, 100, False))
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    pay(payment_of(dossier), "vietqr")
    onestop.receive_online(actor=actor(staff.receiver), dossier=dossier.code)
    onestop.stop(actor=actor(staff.leader), dossier=dossier.code, reason="Không đủ điều kiện")
    return payment_of(dossier)


@pytest.fixture
def outsiders(make_official, make_citizen, other_agency, agency):  # type: ignore[no-untyped-def]
    return {
        "another agency's accountant": make_official(
            other_agency, [Role.ACCOUNTANT], username="ketoan2"
        ).user,
        "another agency's leader": make_official(
            other_agency, [Role.LEADER], username="lanhdao2"
        ).user,
    }


def test_the_reconciliation_for_accountant_leader_and_operator(
    stopped_paid, staff, make_official, agency
):
    url = reverse("payments:reconciliation")
    assert url == RECONCILIATION
    for person in (staff.accountant, staff.leader):
        page = login_client(person.user).get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert "Đối soát thanh toán phí, lệ phí" in text and stopped_paid.code in text
    operator = make_official(agency, [Role.OPERATOR], username="quantri").user
    page = login_client(operator).get(url, {"agency": agency.pk})
    assert page.status_code == 200 and stopped_paid.code in page.content.decode()
    listing = login_client(operator).get(REFUNDS, {"agency": agency.pk, "tab": "co-the-de-nghi"})
    assert listing.status_code == 200 and stopped_paid.code in listing.content.decode()
    assert "Đề nghị hoàn trả<" not in listing.content.decode()  # operators look, never ask

    download = login_client(staff.accountant.user).get(XLSX, {"hinh_thuc": "vietqr"})
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in download["Content-Disposition"]
    book = load_workbook(io.BytesIO(download.content))
    rows = list(book["Đã thu"].iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r and r[0] == "Mã thanh toán")
    assert [r[0] for r in rows[header + 1 :]] == [stopped_paid.code]


def test_bad_filters_are_explained(stopped_paid, staff):
    client = login_client(staff.accountant.user)
    page = client.get(RECONCILIATION, {"ngay": "2026-02-30", "hinh_thuc": "bitcoin"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ngày không hợp lệ" in text and "Hình thức thanh toán không có" in text
    assert "error-summary" in text


def test_the_reconciliation_is_refused_to_everyone_else(
    stopped_paid, staff, outsiders, make_citizen, agency, client
):
    for person in (staff.receiver.user, staff.specialist.user, stopped_paid.dossier.applicant):
        for url in (RECONCILIATION, XLSX):
            assert login_client(person).get(url).status_code == 403, (person.username, url)
    # Another agency's accountant sees their own (empty) day, never this agency's, even asking.
    other = login_client(outsiders["another agency's accountant"])
    page = other.get(RECONCILIATION)
    assert page.status_code == 200 and stopped_paid.code not in page.content.decode()
    for url in (RECONCILIATION, XLSX):
        assert other.get(url, {"agency": agency.pk}).status_code == 404
    assert client.get(RECONCILIATION).status_code == 302  # to the login


def test_ask_decide_and_pay_out_through_the_pages(stopped_paid, staff):
    desk = login_client(staff.receiver.user)
    listing = desk.get(REFUNDS, {"tab": "co-the-de-nghi"})
    assert listing.status_code == 200 and stopped_paid.code in listing.content.decode()
    ask_url = reverse("payments:refund_request", args=[stopped_paid.code])
    assert desk.get(ask_url).status_code == 200

    # Too much, then nothing as a reason: explained, nothing kept.
    answer = desk.post(
        ask_url, {"amount": "300.000", "reason": "Dừng xử lý", "version": stopped_paid.version}
    )
    assert answer.status_code == 200 and "Tối đa 200.000 đồng" in answer.content.decode()
    answer = desk.post(ask_url, {"amount": "abc", "reason": "", "version": stopped_paid.version})
    assert answer.status_code == 200 and "error-summary" in answer.content.decode()
    assert not Refund.objects.exists()

    answer = desk.post(
        ask_url,
        {"amount": "200.000", "reason": "Hồ sơ dừng xử lý", "version": stopped_paid.version},
    )
    refund = Refund.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"{REFUNDS}{refund.pk}/"
    assert refund.amount == FEE and refund.requested_by == staff.receiver.user

    leader = login_client(staff.leader.user)
    detail = f"{REFUNDS}{refund.pk}/"
    page = leader.get(detail)
    assert page.status_code == 200 and "Ghi nhận quyết định" in page.content.decode()
    # Rejecting needs a reason.
    answer = leader.post(
        detail, {"form": "decision", "decision": "reject", "note": "", "version": refund.version}
    )
    assert answer.status_code == 200 and "Nhập lý do không phê duyệt" in answer.content.decode()
    answer = leader.post(
        detail, {"form": "decision", "decision": "approve", "note": "", "version": refund.version}
    )
    assert answer.status_code == 302
    refund.refresh_from_db()
    assert refund.status == RefundStatus.APPROVED
    # The same form again (the version it saw is gone): refused, nothing changes.
    answer = leader.post(
        detail, {"form": "decision", "decision": "approve", "note": "", "version": 1}
    )
    assert answer.status_code == 403  # not a decision any more

    accountant = login_client(staff.accountant.user)
    answer = accountant.post(
        detail, {"form": "payout", "reference": "UNC 12", "version": refund.version}
    )
    assert answer.status_code == 302
    refund.refresh_from_db()
    assert (refund.status, refund.payout_reference) == (RefundStatus.PAID, "UNC 12")
    assert payment_of(stopped_paid.dossier).status == PaymentStatus.REFUNDED
    listing = accountant.get(REFUNDS, {"tab": "da-hoan"})
    assert f"Số {refund.pk}" in listing.content.decode()


def test_a_stale_form_is_refused_and_changes_nothing(stopped_paid, staff):
    from egov.payments.services import refunds

    refund = refunds.request_refund(
        actor=actor(staff.accountant), payment=stopped_paid, amount=FEE, reason="Dừng xử lý"
    )
    seen = refund.version
    refunds.reject(actor=actor(staff.leader), refund=refund, note="Không đủ căn cứ")
    refund = refunds.request_refund(
        actor=actor(staff.accountant), payment=stopped_paid.code, amount=FEE, reason="Lần hai"
    )
    leader = login_client(staff.leader.user)
    answer = leader.post(
        f"{REFUNDS}{refund.pk}/",
        {"form": "decision", "decision": "approve", "note": "", "version": seen + 5},
    )
    assert answer.status_code == 200 and "vừa được người khác xử lý" in answer.content.decode()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED


def test_refund_pages_refuse_the_others(stopped_paid, staff, outsiders, make_official):
    from egov.payments.services import refunds

    refund = refunds.request_refund(
        actor=actor(staff.accountant), payment=stopped_paid, amount=FEE, reason="Dừng xử lý"
    )
    detail = f"{REFUNDS}{refund.pk}/"
    ask_url = reverse("payments:refund_request", args=[stopped_paid.code])
    before = Event.objects.count()
    # The applicant and a specialist: not their pages at all.
    for person in (stopped_paid.dossier.applicant, staff.specialist.user):
        client = login_client(person)
        for url in (REFUNDS, detail, ask_url):
            assert client.get(url).status_code == 403, (person.username, url)
        answer = client.post(detail, {"form": "decision", "decision": "approve", "version": 1})
        assert answer.status_code == 403
    # Another agency's people: the refund and the payment are not found.
    for who, user in outsiders.items():
        client = login_client(user)
        assert client.get(detail).status_code == 404, who
        answer = client.post(
            detail, {"form": "decision", "decision": "approve", "version": refund.version}
        )
        assert answer.status_code == 404, who
    assert login_client(outsiders["another agency's accountant"]).get(ask_url).status_code == 404
    # The leader may not ask; the accountant may not decide.
    assert login_client(staff.leader.user).get(ask_url).status_code == 403
    answer = login_client(staff.accountant.user).post(
        detail, {"form": "decision", "decision": "approve", "version": refund.version}
    )
    assert answer.status_code == 403
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED and Event.objects.count() == before
