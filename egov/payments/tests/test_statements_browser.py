"""In the browser: the accountant imports a statement that pays a citizen's VietQR transfer, is
refused an ignore without a reason (the error summary), then ignores a line; every page state
accessible and in Vietnamese."""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings

from egov.conftest import check_page, login_client
from egov.payments.models import LineStatus, PaymentStatus, StatementLine

from .conftest import FEE, payment_of
from .vietqr_support import HEADERS, open_vietqr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The statement's own words (bank references, unaccented descriptions) are not interface text.
ALLOW = ("tt", "k7q2m9xw", "xw", "chuyen", "tien", "lai", "gui")


def sign_in(page, user) -> None:  # type: ignore[no-untyped-def]
    client = login_client(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": page.base_url}]
    )


def expected_400(page) -> None:  # type: ignore[no-untyped-def]
    """A refused form answers 400, which Chromium logs as a console error: expected here."""
    page.console_errors[:] = [e for e in page.console_errors if "status of 400" not in e]


def statement_csv(path) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerow([1, "04/12/2026 09:15:00", "", FEE, "NGUYEN VAN A chuyen tien TT K7Q2M9XW",
                     "FT1", "NGUYEN VAN A"])  # fmt: skip
    writer.writerow([2, "04/12/2026 17:00:00", "", "75.000", "Lai tien gui", "FT2", ""])
    path.write_text(out.getvalue(), encoding="utf-8")


def test_the_accountant_imports_and_ignores(
    page, staff, criminal_record, submit, make_citizen, tmp_path
):  # type: ignore[no-untyped-def]
    citizen = make_citizen()
    dossier = submit(citizen, criminal_record)
    open_vietqr(payment_of(dossier), "TT-K7Q2M9XW", by_user=citizen)
    sign_in(page, staff.accountant.user)
    page.goto(page.base_url + "/thanh-toan/sao-ke/")
    page.get_by_role("heading", name="Sao kê ngân hàng và đối chiếu chuyển khoản").wait_for()
    check_page(page)

    file = tmp_path / "sao-ke-0412.csv"
    statement_csv(file)
    page.get_by_label("Tệp sao kê").set_input_files(str(file))
    page.get_by_role("button", name="Nhập sao kê").click()
    page.get_by_text("1 dòng khớp tự động").wait_for()
    check_page(page, allow=ALLOW)
    assert payment_of(dossier).status == PaymentStatus.PAID

    page.get_by_text("Bỏ qua dòng FT2").click()
    page.get_by_role("button", name="Bỏ qua", exact=True).click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert "Ghi rõ vì sao bỏ qua dòng sao kê này." in summary.inner_text()
    expected_400(page)
    check_page(page, allow=ALLOW)

    page.get_by_label("Lý do bỏ qua").fill("Lãi tiền gửi tháng 11")
    page.get_by_role("button", name="Bỏ qua", exact=True).click()
    page.get_by_text("Đã bỏ qua dòng FT2.").wait_for()
    check_page(page, allow=ALLOW)
    assert StatementLine.objects.get(bank_reference="FT2").status == LineStatus.IGNORED
    # An empty file input: the error names the field, in Vietnamese.
    page.get_by_role("button", name="Nhập sao kê").click()
    page.locator(".error-summary").get_by_text("Chọn tệp sao kê cần nhập.").wait_for()
    expected_400(page)
    check_page(page)
