"""In a real browser: the applicant opens their receipt (fields, signature check, downloads), an
official of the collecting agency opens it too, and anyone checks it by the lookup code from
the QR — every page accessible and in Vietnamese."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from egov.conftest import check_page, login_client
from egov.payments.services import receipts

from .receipts_helpers import pay, seal_fixture, seal_hierarchy_fixture  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, user, *, with_mfa: bool) -> None:  # type: ignore[no-untyped-def]
    client = login_client(user, with_mfa=with_mfa)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": page.base_url}]
    )


def test_the_receipt_pages(page, criminal_record, submit, make_citizen, staff, seal):
    citizen = make_citizen()
    receipt = receipts.issue(pay(submit(citizen, criminal_record)).code)
    url = page.base_url + reverse("payments:receipt", args=[receipt.uid])

    _sign_in(page, citizen, with_mfa=False)
    page.goto(url)
    expect(page.get_by_role("heading", name="Biên lai thu phí, lệ phí số 0000001")).to_be_visible()
    expect(page.get_by_text("Hợp lệ", exact=True)).to_be_visible()
    expect(page.get_by_text("Hai trăm nghìn đồng").first).to_be_visible()
    check_page(page, allow=("SHA-256", "PDF", "XML"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Biên lai (PDF có chữ ký số)").click()
    assert download.value.suggested_filename == "bien-lai-TP-26E-0000001.pdf"

    _sign_in(page, staff.accountant.user, with_mfa=True)
    page.goto(url)
    expect(page.get_by_role("heading", name="Kiểm tra chữ ký số")).to_be_visible()
    check_page(page, allow=("SHA-256", "PDF", "XML"))

    page.context.clear_cookies()
    page.goto(page.base_url + reverse("payments:receipt_lookup"))
    check_page(page)
    page.get_by_label("Mã tra cứu biên lai").fill(receipts.lookup_code_text(receipt.lookup_code))
    page.get_by_role("button", name="Tra cứu").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Kết quả tra cứu")).to_be_visible()
    expect(page.get_by_text(citizen.get_full_name())).to_have_count(0)
    check_page(page, allow=("SHA-256", "PDF"))
