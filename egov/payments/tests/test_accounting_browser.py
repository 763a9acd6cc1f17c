"""In the browser: the leader finds a refund from the header, approves it; the accountant opens
the day's reconciliation, looks at another day, downloads the workbook and confirms the payout.
Every page accessible and in Vietnamese (check_page), under the strict CSP."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from egov.conftest import check_page
from egov.onestop import services as onestop
from egov.payments.models import LineStatus, Refund, RefundStatus, StatementImport, StatementLine
from egov.payments.services import refunds

from .accounting_support import pay, rules, sign_in
from .conftest import FEE, actor, payment_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_refund_approved_and_paid_out_and_the_day_reconciled(
    page, criminal_record, submit, make_citizen, staff
):  # type: ignore[no-untyped-def]
    rules(("stopped", False, 100, False))
    dossier = submit(make_citizen(), criminal_record)
    pay(payment_of(dossier), "vietqr")
    onestop.receive_online(actor=actor(staff.receiver), dossier=dossier.code)
    onestop.stop(actor=actor(staff.leader), dossier=dossier.code, reason="Không đủ điều kiện")
    refund = refunds.request_refund(
        actor=actor(staff.receiver),
        payment=dossier.code + "-TT1",
        amount=FEE,
        reason="Hồ sơ dừng xử lý",
    )
    statement = StatementImport.objects.first()
    StatementLine.objects.create(
        statement=statement,
        agency=dossier.agency,
        booked_at=timezone.now(),
        amount=120_000,
        description="CHUYEN TIEN KHONG RO NOI DUNG",
        bank_reference="FT-LA-1",
        status=LineStatus.UNMATCHED,
    )
    base = page.base_url

    sign_in(page, staff.leader.user)
    page.goto(base + "/lam-viec/")
    page.get_by_role("link", name="Thu phí").click()
    page.wait_for_url("**/thanh-toan/doi-soat/")
    expect(page.get_by_role("heading", name="Đối soát thanh toán phí, lệ phí")).to_be_visible()
    check_page(page, allow=("saoke",))
    page.get_by_role("link", name="Hoàn trả phí, lệ phí").click()
    page.wait_for_url("**/thanh-toan/hoan-tra/")
    check_page(page)
    page.get_by_role("link", name=f"Số {refund.pk}").click()
    page.wait_for_url(f"**/thanh-toan/hoan-tra/{refund.pk}/")
    check_page(page)
    page.get_by_role("radio", name="Không phê duyệt").check()
    page.get_by_role("button", name="Ghi nhận quyết định").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Nhập lý do không phê duyệt").first).to_be_visible()  # error summary
    check_page(page)
    page.get_by_role("radio", name="Phê duyệt", exact=True).check()
    page.get_by_role("button", name="Ghi nhận quyết định").click()
    page.get_by_text("Đã phê duyệt hoàn trả.").wait_for()
    check_page(page)

    sign_in(page, staff.accountant.user)
    page.goto(base + "/thanh-toan/doi-soat/")
    check_page(page, allow=("saoke",))  # the statement file's name
    expect(page.get_by_text("1 dòng sao kê chưa khớp")).to_be_visible()
    expect(page.get_by_role("cell", name="CHUYEN TIEN KHONG RO NOI DUNG")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải về (XLSX)").click()
    with open(info.value.path(), "rb") as saved:
        book = load_workbook(io.BytesIO(saved.read()))
    assert "Sao kê chưa khớp" in book.sheetnames
    page.get_by_label("Ngày", exact=True).fill("2025-01-02")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url("**ngay=2025-01-02**")
    expect(page.get_by_text("Không có giao dịch trong ngày.")).to_be_visible()
    check_page(page)

    page.goto(base + f"/thanh-toan/hoan-tra/{refund.pk}/")
    page.get_by_label("Chứng từ chi trả (số ủy nhiệm chi, phiếu chi)").fill("UNC 2026/15")
    page.get_by_role("button", name="Xác nhận đã hoàn trả").click()
    page.get_by_text("Đã xác nhận chi trả khoản hoàn trả.").wait_for()
    check_page(page, allow=("UNC",))
    assert Refund.objects.get().status == RefundStatus.PAID
