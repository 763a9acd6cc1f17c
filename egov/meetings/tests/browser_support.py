"""What the meetings' browser tests share: logging a person in through the real login form
(password, then the authenticator code), or handing the browser a session made server-side;
typing a fresh authenticator code to sign; a browser window of its own for each person of a
flow with several people (the `window` fixture of conftest.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache

from egov.conftest import fresh_totp, login_client

PASSWORD = "Mat-khau-2026!"


def login(page: Any, username: str, password: str = PASSWORD) -> None:
    """Through the login form and the authenticator step (the user has the demo secret)."""
    cache.clear()  # a TOTP code is accepted once per 30-second window
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_label("Mã xác thực").fill(fresh_totp())
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url("**/lam-viec/")


def logout(page: Any) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_load_state()


def sign_in(page: Any, user: Any) -> None:
    """The browser carries the session of `user` after password and TOTP (made server-side)."""
    client = login_client(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": page.base_url}]
    )


def type_code(page: Any, label: str = "Mã xác thực") -> None:
    """A fresh code of the demo authenticator into the field labelled `label` (signing)."""
    cache.clear()  # the login's code of this 30-second window was already used
    page.get_by_label(label).fill(fresh_totp(margin=3))


def new_window(page: Any, **context_options: Any) -> tuple[Any, list[str]]:
    """Another browser window (context: its own cookies) beside `page`, set up as the `page`
    fixture sets its own; the console errors it meets are collected in the list returned."""
    context = page.context.browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **context_options
    )
    context.set_default_timeout(15000)
    other = context.new_page()
    errors: list[str] = []
    other.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    other.base_url = page.base_url
    other.console_errors = errors
    return other, errors
