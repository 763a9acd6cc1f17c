"""In a real browser: a citizen presses "Đăng nhập bằng VNeID" on the login page, picks a demo
citizen at the stand-in identity provider, consents, and is back on the portal logged in; a
cancelled login ends on the refusal page with a way back."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from egov.accounts.models import User
from egov.conftest import check_page
from egov.identity.selectors import level_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_citizen_logs_in_through_vneid(page: Any, identity_standin: Any, make_citizen: Any):
    make_citizen("022085012345")
    page.goto(page.base_url + "/accounts/login/")
    check_page(page)
    page.get_by_role("link", name="Đăng nhập bằng VNeID").click()
    # At the stand-in: the demo citizens and the consent step.
    heading = page.get_by_role("heading", name="Đăng nhập bằng tài khoản định danh điện tử")
    expect(heading).to_be_visible()
    page.get_by_label(re.compile("Nguyễn Văn An")).check()
    page.get_by_role("button", name="Đồng ý").click()
    page.wait_for_url(page.base_url + "/**")
    expect(page.get_by_role("button", name="Đăng xuất")).to_have_count(1)
    check_page(page)
    user = User.objects.get(username="022085012345")
    assert level_of(user) == 2
    assert User.objects.filter(citizen__personal_id="022085012345").count() == 1


def test_a_cancelled_vneid_login_comes_back_to_a_clear_page(page: Any, identity_standin: Any):
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_role("link", name="Đăng nhập bằng VNeID").click()
    page.get_by_role("button", name="Hủy").click()
    expect(page.get_by_role("heading", name="Không đăng nhập được bằng VNeID")).to_be_visible()
    # The refusal page answers 400: Chromium logs the status; that is expected here.
    page.console_errors.clear()
    check_page(page)
    page.get_by_role("link", name="Quay lại trang đăng nhập").click()
    expect(page.get_by_role("heading", name="Đăng nhập", exact=True)).to_be_visible()
