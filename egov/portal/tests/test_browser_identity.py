"""The eID on the portal in a real browser (#18): a level-2 account is offered the prefill from
its verified claims, consents, sees the filled fields marked "Đã xác thực qua VNeID" (read-only,
the mark inside the label so a screen reader says it) and submits the level-2 procedure; a
level-1 account opening the same procedure is refused with the explanation and the way to
level 2. The accounts' eID links are rows the identity login would have written."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from egov.conftest import check_page as _check_page
from egov.dossiers.models import Dossier
from egov.events.models import Event

from .identity_setup import link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def check_page(page) -> None:  # type: ignore[no-untyped-def]
    # base.html's flash messages are a <ul role="status"> axe refuses (as in the submission
    # journey's test); the rest of each page is checked.
    _check_page(page, exclude=(".messages",), allow=("Mạo",))


def log_in(page, citizen, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{page.base_url}{path}")
    page.get_by_label("Tên đăng nhập").fill(citizen.username)
    page.get_by_label("Mật khẩu").fill("Mat-khau-2026!")
    page.get_by_role("button", name="Đăng nhập").click()


def test_level_two_consents_prefills_marked_fields_and_submits(
    page, record_procedure, agency, make_citizen
):
    citizen = make_citizen()
    link(citizen, 2)
    path = f"/thu-tuc/{record_procedure.code}/"
    page.goto(f"{page.base_url}{path}")
    expect(
        page.get_by_role("heading", name="Thủ tục này yêu cầu tài khoản định danh điện tử mức độ 2")
    ).to_be_visible()
    check_page(page)

    log_in(page, citizen, path + "nop-ho-so/")
    page.wait_for_url("**/nop-ho-so/")
    offer = page.get_by_role("region", name="Điền sẵn từ thông tin định danh điện tử (VNeID)")
    expect(offer).to_be_visible()
    expect(offer.get_by_text("14/03/1985")).to_be_visible()  # what will be used, as read
    expect(offer.get_by_text(citizen.get_full_name())).to_be_visible()
    expect(page.locator(".verified-mark")).to_have_count(0)
    check_page(page)

    offer.get_by_role("button", name="Đồng ý và điền sẵn từ VNeID").click()
    expect(page.locator(".verified-mark")).to_have_count(6)
    # The mark is part of each field's accessible name; the value is the claim's, read-only.
    name = page.get_by_role("textbox", name="Họ, chữ đệm, tên Đã xác thực qua VNeID")
    expect(name).to_have_value(citizen.get_full_name())
    expect(name).to_have_attribute("readonly", "readonly")
    expect(page.get_by_role("textbox", name="Giới tính Đã xác thực qua VNeID")).to_have_value("Nam")
    expect(page.get_by_label("Ngày, tháng, năm sinh")).to_have_value("1985-03-14")
    expect(
        page.get_by_role("textbox", name="Số định danh cá nhân Đã xác thực qua VNeID")
    ).to_have_value(citizen.username)
    # A field the claims do not fill stays the applicant's, unmarked.
    purpose = page.get_by_label("Mục đích sử dụng phiếu", exact=True)
    expect(purpose).not_to_have_attribute("readonly", "readonly")
    check_page(page)

    # Typing into a verified field changes nothing (read-only in the page, ignored by the server).
    name.press_sequentially("Mạo", delay=0)
    expect(name).to_have_value(citizen.get_full_name())
    purpose.fill("Bổ sung hồ sơ xin việc")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_url("**/kiem-tra/")
    expect(page.get_by_role("heading", name="Kiểm tra lại thông tin")).to_be_visible()
    expect(page.locator(".verified-mark")).to_have_count(6)
    expect(page.get_by_text("14/03/1985")).to_be_visible()
    check_page(page)

    page.get_by_label("Tôi cam đoan").check()
    page.get_by_role("button", name="Xác nhận và gửi hồ sơ").click()
    page.wait_for_url("**/da-nop/**")
    expect(page.get_by_role("heading", name="Đã gửi hồ sơ")).to_be_visible()
    check_page(page)
    dossier = Dossier.objects.get()
    assert dossier.form_data["to-khai"]["full_name"] == citizen.get_full_name()
    event = Event.objects.get(event_type="dossier.submitted", subject_id=dossier.code)
    assert event.payload["identity_level"] == 2 and len(event.payload["verified_fields"]) == 6


def test_level_one_is_refused_with_the_explanation(page, record_procedure, make_citizen):
    citizen = make_citizen()
    link(citizen, 1)
    path = f"/thu-tuc/{record_procedure.code}/"
    log_in(page, citizen, path + "nop-ho-so/")
    page.wait_for_url("**/nop-ho-so/")
    expect(
        page.get_by_role(
            "heading", level=1, name="Thủ tục này yêu cầu tài khoản định danh điện tử mức độ 2"
        )
    ).to_be_visible()
    expect(
        page.get_by_text("Tài khoản của bạn hiện là tài khoản định danh điện tử mức độ 1.")
    ).to_be_visible()
    expect(page.get_by_text("kích hoạt tài khoản định danh điện tử mức độ 2")).to_be_visible()
    login = page.get_by_role("link", name="Đăng nhập bằng VNeID")
    expect(login).to_have_attribute(
        "href", f"/dang-nhap/vneid/?next=%2Fthu-tuc%2F{record_procedure.code}%2Fnop-ho-so%2F"
    )
    expect(page.get_by_role("button", name="Tiếp tục")).to_have_count(0)
    check_page(page)
    # The refusal is a 403 page on purpose: Chromium's note of that status is not a page error.
    page.console_errors[:] = [e for e in page.console_errors if "403 (Forbidden)" not in e]

    # The procedure page says the same before the form.
    page.goto(f"{page.base_url}{path}")
    expect(
        page.get_by_text("Tài khoản của bạn hiện là tài khoản định danh điện tử mức độ 1.")
    ).to_be_visible()
    check_page(page)
    assert not Dossier.objects.exists()
