"""The issue's browser scenario: a leader opens the dashboard, filters by agency and month, drills
into the late dossiers and exports them to XLSX; the charts draw without a console error (the
strict CSP included)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from egov.conftest import check_page, fresh_totp
from egov.stats import aggregates

from .conftest import History

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TF"


def test_leader_filters_drills_into_late_dossiers_and_exports(
    page, staff, procedure, agency, make_citizen, give_totp
):  # type: ignore[no-untyped-def]
    h = History(staff, procedure, make_citizen(personal_id="022195001234"))
    early = h.receive(2025, 2, 10, 8, 0)
    h.finish(early, 2025, 2, 12, 8, 0, result=True)
    late = h.receive(2025, 2, 10, 9, 0)
    h.finish(late, 2025, 2, 21, 9, 0)
    h.hand_back(late, 2025, 2, 24, 8, 0)
    aggregates.maintain()
    give_totp(staff.leader.user, SECRET)

    base = page.base_url
    page.goto(base + "/accounts/login/")
    check_page(page)
    page.get_by_label("Tên đăng nhập").fill("lanhdao")
    page.get_by_label("Mật khẩu").fill("Mat-khau-2026!")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    check_page(page)
    page.get_by_label("Mã xác thực").fill(fresh_totp(SECRET))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url("**/lam-viec/")
    check_page(page)

    page.goto(base + "/dieu-hanh/")
    page.get_by_label("Cơ quan", exact=True).select_option(label=agency.name)
    page.get_by_label("Kỳ", exact=True).select_option("month")
    page.get_by_label("Tháng", exact=True).fill("2025-02")
    page.get_by_role("button", name="Xem số liệu").click()
    page.wait_for_url("**month=2025-02**")
    expect(page.get_by_text("Tháng 2/2025").first).to_be_visible()
    # The charts drew from their JSON (ECharts under the strict CSP).
    page.wait_for_selector("#chart-trend[data-loaded='1'] canvas")
    page.wait_for_selector("#chart-ranking[data-loaded='1'] canvas")
    check_page(page)

    tile = page.locator(".stat-resolved_late a")
    assert tile.locator(".stat-number").inner_text() == "1"
    tile.click()
    page.wait_for_url("**/dieu-hanh/ho-so/**metric=resolved_late**")
    expect(page.get_by_role("heading", name="Giải quyết trễ hạn")).to_be_visible()
    expect(page.get_by_role("link", name=late.code)).to_be_visible()
    expect(page.get_by_role("link", name=early.code)).to_have_count(0)
    check_page(page)

    with page.expect_download() as info:
        page.get_by_role("link", name="Xuất Excel").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as saved:
        book = load_workbook(io.BytesIO(saved.read()))
    rows = [r for r in book["Hồ sơ"].iter_rows(min_row=5, values_only=True) if r[0]]
    assert [r[0] for r in rows] == [late.code]
