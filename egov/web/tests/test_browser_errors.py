"""In a real browser, desktop and phone: the Vietnamese 404 and 403 pages with a way back, and a
header that offers "Điều hành" to a leader but not to a receiver."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import expect

from egov.conftest import check_page, login_client
from egov.org.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def sign_in(page: Any, user: Any) -> None:
    """The browser carries the session of `user` after password and TOTP (made server-side)."""
    client = login_client(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": page.base_url}]
    )


def expected_error(page: Any, status: int) -> None:
    """The page's own status, which Chromium logs as a console error: expected here."""
    errors = page.console_errors
    errors[:] = [e for e in errors if f"status of {status}" not in e]


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@VIEWPORTS
def test_unknown_address_gets_the_vietnamese_404_with_a_way_home(page, viewport):
    page.set_viewport_size(viewport)
    response = page.goto(page.base_url + "/trang-khong-ton-tai/")
    assert response.status == 404
    expected_error(page, 404)
    expect(page.get_by_role("heading", name="Không tìm thấy trang")).to_be_visible()
    expect(page.get_by_text("Địa chỉ bạn vừa mở không có trên cổng")).to_be_visible()
    login = page.get_by_role("link", name="Đăng nhập").last
    assert "next=/trang-khong-ton-tai/" in login.get_attribute("href")
    check_page(page)
    no_horizontal_scroll(page)
    page.get_by_role("link", name="Về trang chủ").click()
    page.wait_for_url(page.base_url + "/")


@VIEWPORTS
def test_receiver_is_not_offered_the_dashboard_and_gets_the_403(
    page, viewport, agency, make_official
):
    page.set_viewport_size(viewport)
    receiver = make_official(agency, roles=[Role.RECEIVER], username="tiepnhan")
    sign_in(page, receiver.user)
    page.goto(page.base_url + "/lam-viec/")
    nav = page.get_by_role("navigation", name="Điều hướng chính")
    expect(nav.get_by_role("link", name="Một cửa")).to_have_count(1)
    expect(nav.get_by_role("link", name="Điều hành")).to_have_count(0)

    # Typing the address anyway: the Vietnamese refusal, why, and the way back to work.
    response = page.goto(page.base_url + "/dieu-hanh/")
    assert response.status == 403
    expected_error(page, 403)
    expect(page.get_by_role("heading", name="Bạn không có quyền mở trang này")).to_be_visible()
    expect(page.get_by_text("dành cho lãnh đạo cơ quan")).to_be_visible()
    check_page(page)
    no_horizontal_scroll(page)
    page.get_by_role("link", name="Đến trang “Không gian làm việc” của bạn").click()
    page.wait_for_url("**/lam-viec/")
    expect(page.get_by_role("heading", name="Không gian làm việc")).to_be_visible()


def test_leader_is_offered_the_dashboard(page, agency, make_official):
    page.set_viewport_size(DESKTOP)
    leader = make_official(agency, roles=[Role.LEADER], username="lanhdao")
    sign_in(page, leader.user)
    page.goto(page.base_url + "/lam-viec/")
    nav = page.get_by_role("navigation", name="Điều hướng chính")
    nav.get_by_role("link", name="Điều hành").click()
    page.wait_for_url("**/dieu-hanh/")
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    assert "Bạn không có quyền" not in page.content()
