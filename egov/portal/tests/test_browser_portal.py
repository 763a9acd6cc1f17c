"""A citizen, in a real browser: find a procedure without typing accents, submit with a PDF,
get the code and receipt, see it under "my dossiers", and look it up publicly."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from egov.conftest import check_page
from egov.dossiers.models import Dossier
from egov.dossiers.tests.conftest import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def test_citizen_finds_submits_tracks_and_looks_up(
    page,
    birth_procedure,
    agency,
    make_citizen,
    tmp_path,
):
    citizen = make_citizen(personal_id="022195001234")
    pdf = tmp_path / "giay-chung-sinh.pdf"
    pdf.write_bytes(make_pdf(2))

    page.goto(page.base_url + "/")
    check_page(page)
    page.get_by_label("Tìm thủ tục hành chính").fill("dang ky khai sinh")
    page.get_by_role("button", name="Tìm kiếm").click()
    page.get_by_role("link", name="Đăng ký khai sinh").click()
    expect(page.get_by_text("Nếu nộp ngay bây giờ, ngày hẹn trả")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()

    # Not logged in yet: the login page comes first, then back to the form.
    check_page(page)
    page.get_by_label("Tên đăng nhập").fill(citizen.username)
    page.get_by_label("Mật khẩu").fill("Mat-khau-2026!")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/nop-ho-so/")
    check_page(page)

    page.get_by_label("Họ, chữ đệm, tên của trẻ").fill("Nguyễn Minh An")
    page.get_by_label("Ngày sinh").fill("2026-11-01")
    page.get_by_label("Giới tính").select_option("Nam")
    page.get_by_label("Giấy chứng sinh").set_input_files(str(pdf))
    page.get_by_role("button", name="Tiếp tục").click()
    # The answers are checked before anything is sent; the declaration comes last.
    page.wait_for_url("**/kiem-tra/")
    assert not Dossier.objects.exists()
    check_page(page, exclude=(".messages",))
    page.get_by_label("Tôi cam đoan những thông tin đã khai là đúng sự thật").check()
    page.get_by_role("button", name="Xác nhận và gửi hồ sơ").click()

    page.wait_for_url("**/da-nop/*/")
    dossier = Dossier.objects.get()
    assert page.locator(".panel-code").inner_text() == dossier.code
    check_page(page)
    page.get_by_role("link", name="Xem hồ sơ và tiến độ xử lý").click()
    page.wait_for_url("**/ho-so-cua-toi/*/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải Giấy tiếp nhận hồ sơ và hẹn trả kết quả (PDF)").click()
    receipt = download_info.value
    assert receipt.suggested_filename == f"giay-tiep-nhan-{dossier.code}.pdf"
    assert Path(receipt.path()).read_bytes()[:5] == b"%PDF-"

    page.get_by_role("link", name="Hồ sơ của tôi").first.click()
    expect(page.get_by_role("link", name=dossier.code)).to_be_visible()
    check_page(page)

    page.get_by_role("button", name="Đăng xuất").click()
    page.goto(page.base_url + "/tra-cuu/")
    page.get_by_label("Mã hồ sơ").fill(dossier.code)
    page.get_by_label("Số định danh cá nhân, mã số thuế hoặc số điện thoại của chủ hồ sơ").fill(
        citizen.username
    )
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.get_by_role("heading", name="Kết quả tra cứu")).to_be_visible()
    expect(page.get_by_text("Mới đăng ký")).to_be_visible()
    check_page(page)
