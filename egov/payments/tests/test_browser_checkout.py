"""The issue's acceptance scenario for checkout, in a real browser (check_page on every page):

1. now: a citizen submits the criminal-record certificate procedure (200.000 đồng, paid before
   processing), sees the breakdown before sending and before paying, chooses to pay later; the
   desk receives the dossier, which waits for its fee (status 6), takes the cash ("Thu tiền
   mặt"); the dossier shows "Đã thanh toán" to the citizen and to the official, and processing
   goes on;
2. with the national helper's stand-in (egov.payments.standin, merged separately): a citizen pays
   through the stand-in national platform, comes back, and the dossier shows "Đã thanh toán";
   the official's screen shows it paid;
3. with the VietQR helper's provider (egov.payments.providers.vietqr): another citizen chooses
   VietQR and sees the QR, the account and the exact transfer content.

Parts 2 and 3 skip, saying which module they wait for, until that code is on the branch."""

from __future__ import annotations

import re
import subprocess
import tempfile
from typing import Any

import pyotp
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from egov.conftest import check_page, fresh_totp
from egov.dossiers.models import Dossier, PaymentState, Status
from egov.payments.models import AttemptStatus, PaymentStatus
from egov.payments.standin import PaymentPlatformStandIn
from egov.signing.services import validate_pdf

from .checkout_support import WAITING
from .conftest import CRIMINAL_RECORD, PARTNER_SECRET, payment_of
from .receipts_helpers import seal_fixture, seal_hierarchy_fixture  # noqa: F401
from .vietqr_support import csv_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mat-khau-2026!"
NAMES = ("Nguyễn", "Văn")  # people's names are Vietnamese already; codes are skipped


def sign_in(page: Any, username: str, secret: str | None = None) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    if secret is not None:
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.get_by_label("Mã xác thực").fill(fresh_totp(secret))
        page.get_by_role("button", name="Xác nhận").click()
        page.wait_for_url("**/lam-viec/")
    page.wait_for_load_state()


def sign_out(page: Any) -> None:
    page.context.clear_cookies()


def submit_criminal_record(page: Any) -> Dossier:
    """The form, the check page with the fee breakdown, the declaration."""
    page.goto(page.base_url + f"/thu-tuc/{CRIMINAL_RECORD}/nop-ho-so/")
    check_page(page)
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_url("**/kiem-tra/")
    check_page(page)
    breakdown = page.locator("dl.fee-lines").inner_text()
    assert "Phí cung cấp thông tin lý lịch tư pháp" in breakdown and "200.000 đồng" in breakdown
    page.get_by_label(re.compile("Tôi cam đoan")).check()
    page.get_by_role("button", name="Xác nhận và gửi hồ sơ").click()
    page.wait_for_url("**/da-nop/**")
    check_page(page)
    return Dossier.objects.latest("pk")


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def test_pay_later_then_cash_at_the_desk(
    page, settings, criminal_record, staff, make_citizen, give_totp
):
    settings.PAYMENT_PROVIDERS = [WAITING.code, "cash"]
    citizen = make_citizen()
    sign_in(page, citizen.username)
    dossier = submit_criminal_record(page)
    payment = payment_of(dossier)
    expect(page.get_by_role("link", name="Thanh toán sau")).to_be_visible()
    # "Thanh toán ngay": the breakdown and the providers, then a try left waiting.
    page.get_by_role("link", name="Thanh toán ngay").click()
    page.wait_for_url(f"**/thanh-toan/{payment.code}/")
    check_page(page)
    assert "200.000 đồng" in page.locator("dl.fee-lines").inner_text()
    page.get_by_label(WAITING.label).check()
    page.get_by_role("button", name="Thanh toán", exact=True).click()
    page.wait_for_url("**/lan/**")
    check_page(page)
    expect(page.get_by_text("Đang kết nối tới đơn vị thanh toán")).to_be_visible()
    # Paying later, from "Hồ sơ của tôi".
    page.goto(page.base_url + f"/ho-so-cua-toi/{dossier.code}/")
    check_page(page, allow=NAMES)
    expect(page.get_by_role("link", name=re.compile("^Thanh toán")).first).to_be_visible()

    # The desk receives it: it waits for its fee, and the receiver takes the cash.
    sign_out(page)
    secret = pyotp.random_base32()
    give_totp(staff.receiver.user, secret)
    sign_in(page, staff.receiver.user.username, secret)
    page.goto(page.base_url + f"/mot-cua/ho-so/{dossier.code}/")
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_load_state()
    check_page(page, allow=NAMES)
    assert Dossier.objects.get(pk=dossier.pk).status == Status.PAYMENT_REQUESTED
    page.get_by_role("link", name="Thu tiền mặt").click()
    page.wait_for_url(f"**/thanh-toan/quay/{payment.code}/")
    check_page(page, allow=NAMES)
    page.get_by_label("Số tiền đã nhận (đồng)").fill("200000")
    page.get_by_label("Tôi đã nhận đủ số tiền mặt trên từ người nộp").check()
    page.get_by_role("button", name="Ghi nhận đã thu tiền mặt").click()
    page.wait_for_load_state()
    check_page(page, allow=NAMES)
    expect(page.get_by_text("Đã ghi nhận thu tiền mặt 200.000 đồng")).to_be_visible()
    page.get_by_role("link", name="Về trang hồ sơ").click()
    page.wait_for_url(f"**/mot-cua/ho-so/{dossier.code}/")
    check_page(page, allow=NAMES)
    assert "Đã thanh toán" in page.locator("#thanh-toan").inner_text()
    dossier.refresh_from_db()
    assert (dossier.status, dossier.payment_state) == (Status.PROCESSING, PaymentState.PAID)
    # The try left waiting was superseded by the cash.
    assert payment.attempts.get(provider=WAITING.code).status == AttemptStatus.ABANDONED

    sign_out(page)
    sign_in(page, citizen.username)
    page.goto(page.base_url + f"/ho-so-cua-toi/{dossier.code}/")
    check_page(page, allow=NAMES)
    paid = page.locator("#thanh-toan").inner_text()
    assert "Đã thanh toán 200.000 đồng lúc" in paid and "Tiền mặt tại Bộ phận Một cửa" in paid


def test_pay_through_the_national_platform_stand_in(
    page, settings, live_server, criminal_record, staff, make_citizen, give_totp, seal
):
    settings.PAYMENT_PROVIDERS = ["national", "cash"]
    settings.PAYMENT_PUBLIC_URL = live_server.url  # where the platform calls back and returns
    with PaymentPlatformStandIn(
        secret=PARTNER_SECRET, partner=settings.PAYMENT_PARTNER_CODE
    ) as platform:
        settings.PAYMENT_PLATFORM_URL = platform.url
        citizen = make_citizen()
        sign_in(page, citizen.username)
        dossier = submit_criminal_record(page)
        payment = payment_of(dossier)
        page.get_by_role("link", name="Thanh toán ngay").click()
        page.wait_for_url(f"**/thanh-toan/{payment.code}/")
        check_page(page)
        page.get_by_label("Cổng thanh toán quốc gia", exact=False).check()
        page.get_by_role("button", name="Thanh toán", exact=True).click()
        # The waiting page sends the browser on to the platform's own payment page...
        page.wait_for_url(f"{platform.base}/**")
        expect(page.get_by_text("200.000").first).to_be_visible()
        page.get_by_role("button", name="Thanh toán", exact=True).click()
        # ... which confirms to us (callback) and sends the citizen back (national_return).
        page.wait_for_url(f"{live_server.url}/**")
        page.get_by_text("Đã thanh toán", exact=False).first.wait_for()
        check_page(page, allow=NAMES)
        page.goto(page.base_url + f"/ho-so-cua-toi/{dossier.code}/")
        check_page(page, allow=NAMES)
        block = page.locator("#thanh-toan")
        assert "Đã thanh toán" in block.inner_text()
        # The electronic receipt, issued by the worker from the settle's outbox message.
        pdf_link = block.get_by_role("link", name="PDF")
        pdf = page.request.get(page.base_url + pdf_link.get_attribute("href")).body()
    assert payment_of(dossier).status == PaymentStatus.PAID
    assert validate_pdf(pdf).valid
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        done = subprocess.run(
            ["/usr/bin/pdfsig", handle.name], capture_output=True, text=True, timeout=60
        )
    assert "Signature is Valid" in done.stdout, done.stdout
    # The official's screen shows it paid, with the receipt.
    sign_out(page)
    secret = pyotp.random_base32()
    give_totp(staff.receiver.user, secret)
    sign_in(page, staff.receiver.user.username, secret)
    page.goto(page.base_url + f"/mot-cua/ho-so/{dossier.code}/")
    check_page(page, allow=NAMES)
    block = page.locator("#thanh-toan")
    assert "Đã thanh toán" in block.inner_text()
    assert "Biên lai điện tử số 0000001" in block.inner_text()


def test_another_citizen_pays_by_vietqr_and_the_statement_matches_it(
    page, settings, criminal_record, staff, make_citizen, give_totp, tmp_path
):
    settings.PAYMENT_PROVIDERS = ["vietqr", "cash"]
    citizen = make_citizen()
    sign_in(page, citizen.username)
    dossier = submit_criminal_record(page)
    payment = payment_of(dossier)
    page.goto(page.base_url + f"/ho-so-cua-toi/{dossier.code}/")
    page.get_by_role("link", name=re.compile("^Thanh toán")).first.click()
    page.wait_for_url(f"**/thanh-toan/{payment.code}/")
    check_page(page)
    page.get_by_label(re.compile("VietQR|chuyển khoản", re.I)).first.check()
    page.get_by_role("button", name="Thanh toán", exact=True).click()
    page.wait_for_url("**/lan/**")
    check_page(page)
    attempt = payment.attempts.get()
    assert attempt.qr_payload.startswith("000201")
    expect(page.locator(".vietqr svg, .vietqr img.qr").first).to_be_visible()
    transfer = page.locator("dl.transfer").inner_text()
    assert attempt.reference in transfer and "200.000 đồng" in transfer
    assert "113000012345" in transfer  # the collector's account

    # The citizen's bank app alters the content (case, spaces); the accountant imports the
    # day's statement and the line is matched to the transfer.
    mangled = attempt.reference.lower()
    statement = csv_file(
        [
            (
                timezone.localtime(),
                "200.000",
                f"CT DEN: {mangled} NOP PHI",
                "FT26338001",
                "NGUYEN VAN A",
            )
        ]
    )
    path = tmp_path / "sao-ke.csv"
    path.write_bytes(statement.read())
    sign_out(page)
    secret = pyotp.random_base32()
    give_totp(staff.accountant.user, secret)
    sign_in(page, staff.accountant.user.username, secret)
    page.goto(page.base_url + "/thanh-toan/sao-ke/")
    check_page(page, allow=NAMES)
    page.get_by_label(re.compile("Tệp sao kê")).set_input_files(str(path))
    page.get_by_role("button", name="Nhập sao kê").click()
    page.get_by_text("khớp", exact=False).first.wait_for()
    check_page(page, allow=NAMES)
    assert payment_of(dossier).status == PaymentStatus.PAID

    sign_out(page)
    sign_in(page, citizen.username)
    page.goto(page.base_url + f"/ho-so-cua-toi/{dossier.code}/")
    check_page(page, allow=NAMES)
    assert "Đã thanh toán" in page.locator("#thanh-toan").inner_text()
