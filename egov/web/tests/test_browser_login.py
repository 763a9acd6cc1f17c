"""An official logs in with password and TOTP in a real browser and sees the workspace."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from egov.conftest import check_page, fresh_totp
from egov.org.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_official_logs_in_with_totp_and_sees_workspace(page, agency, make_official, give_totp):
    official = make_official(agency, roles=[Role.RECEIVER], username="tiepnhan")
    give_totp(official.user)

    page.goto(page.base_url + "/")
    check_page(page)
    page.get_by_role("link", name="Đăng nhập").click()
    check_page(page)
    page.get_by_label("Tên đăng nhập").fill("tiepnhan")
    page.get_by_label("Mật khẩu").fill("Mat-khau-2026!")
    page.get_by_role("button", name="Đăng nhập").click()

    # The second step asks for the authenticator code; the workspace is not open yet.
    page.wait_for_url("**/accounts/2fa/authenticate/")
    expect(page.get_by_role("heading", name="Xác thực hai lớp")).to_be_visible()
    check_page(page)
    page.goto(page.base_url + "/lam-viec/")
    assert "/lam-viec/" not in page.url

    page.goto(page.base_url + "/accounts/2fa/authenticate/")
    page.get_by_label("Mã xác thực").fill("000000")
    page.get_by_role("button", name="Xác nhận").click()
    assert "/lam-viec/" not in page.url
    page.get_by_label("Mã xác thực").fill(fresh_totp())
    page.get_by_role("button", name="Xác nhận").click()

    page.wait_for_url("**/lam-viec/")
    expect(page.get_by_role("heading", name="Không gian làm việc")).to_be_visible()
    expect(page.get_by_text(agency.name)).to_be_visible()
    check_page(page)


def test_citizen_registers_with_bad_then_good_id(page):
    page.goto(page.base_url + "/dang-ky/cong-dan/")
    check_page(page)
    page.get_by_label("Số định danh cá nhân (CCCD)").fill("12345")
    page.get_by_label("Họ và tên").fill("Trần Thị Bích")
    page.get_by_label("Số điện thoại").fill("0912345678")
    page.get_by_label("Mật khẩu").fill("Mat-khau-2026!")
    page.get_by_role("button", name="Đăng ký").click()
    expect(page.get_by_text("phải có đúng 12 chữ số")).to_be_visible()
    check_page(page)

    page.get_by_label("Số định danh cá nhân (CCCD)").fill("022195001234")
    page.get_by_label("Mật khẩu").fill("Mat-khau-2026!")
    page.get_by_role("button", name="Đăng ký").click()
    expect(page.get_by_text("Đăng ký tài khoản thành công.")).to_be_visible()
    expect(page.get_by_text("Trần Thị Bích")).to_be_visible()
    check_page(page)
