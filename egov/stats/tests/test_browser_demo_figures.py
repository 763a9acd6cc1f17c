"""The dashboard, the 766 page and the public transparency page on the demo province, in a real
browser at 1366×768 and on a 390×844 phone (issue #15): agencies told apart on the charts, the
766 total out of what was scored, "Chưa có dữ liệu" for 2.2 without resolved dossiers, no points
without dossiers; the public page linked from the portal, filtered and exported."""

from __future__ import annotations

import csv
import io
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from egov.conftest import check_page, fresh_totp
from egov.demo.data import DEMO_PASSWORD, DEMO_TOTP_SECRET
from egov.dossiers.models import Dossier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo() -> None:
    call_command("load_demo", "--quiet", stdout=StringIO())
    assert Dossier.objects.exists()  # the demo makes dossiers: the public page is not empty


def log_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.get_by_label("Mã xác thực").fill(fresh_totp(DEMO_TOTP_SECRET))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)


def no_horizontal_overflow(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


def axis_labels(page, chart_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    page.wait_for_selector(f"#{chart_id}[data-loaded]")
    assert page.get_attribute(f"#{chart_id}", "data-loaded") == "1"
    page.wait_for_selector(f"#{chart_id} canvas")
    return page.evaluate(
        "(id) => echarts.getInstanceByDom(document.getElementById(id)).getOption().yAxis[0].data",
        chart_id,
    )


def test_leader_dashboard_and_766_page(page, demo):  # type: ignore[no-untyped-def]
    page.set_viewport_size(DESKTOP)
    log_in(page, "ubndtinh.chutich")
    year = timezone.localdate().year

    # Dashboard: each bar names its agency and its place, never three bars of "UBND".
    page.goto(f"{page.base_url}/dieu-hanh/?period=year&year={year}")
    labels = axis_labels(page, "chart-ranking")
    assert len(labels) == len(set(labels)), labels
    assert {"UBND phường Hạ Long", "UBND phường Bãi Cháy", "UBND đặc khu Vân Đồn"} <= set(labels)
    assert "UBND" not in labels and "Sở Tư pháp" in labels
    # The trend chart has its figures as a table too (a text alternative).
    page.get_by_text("Bảng số liệu của biểu đồ").click()
    assert page.locator("[data-chart-table='trend'] tbody tr").count() >= 1
    check_page(page)

    # 766: the total is out of the maximum of the indicators scored, and says so.
    page.goto(f"{page.base_url}/dieu-hanh/chi-so-766/?period=year&year={year}")
    total = page.locator(".index-total").inner_text()
    scored_max = 0
    for cell in page.locator(".index-table tbody tr:not(.group-row) td:last-child").all():
        found = re.fullmatch(r"[\d,]+ / (\d+)", cell.inner_text().strip())
        if found:
            scored_max += int(found[1])
    assert 0 < scored_max < 100
    assert re.search(rf"/ {scored_max} điểm", total), total
    assert "/ 100" not in total
    expect(page.get_by_text(f"Tổng điểm tính trên {scored_max} điểm tối đa")).to_be_visible()
    # Agencies with no dossier in the period are not scored and come after those that worked.
    rows = page.locator("h2:has-text('So sánh các cơ quan') ~ .table-wrap tbody tr")
    names = [r.locator("th").inner_text() for r in rows.all()]
    totals = [r.locator("td").first.inner_text() for r in rows.all()]
    health = names.index("Sở Y tế tỉnh Quảng Ninh")
    assert totals[health] == "Chưa đủ dữ liệu"
    first_unscored = totals.index("Chưa đủ dữ liệu")
    assert all(t == "Chưa đủ dữ liệu" for t in totals[first_unscored:])
    assert names.index("Ủy ban nhân dân phường Hạ Long") < first_unscored
    check_page(page)

    # An agency with dossiers but none resolved: 2.2 has no data (not "0,0 / 0,0").
    van_don = Dossier.objects.filter(agency__name="Ủy ban nhân dân đặc khu Vân Đồn")
    assert van_don.exists() and not van_don.filter(finished_at__isnull=False).exists()
    page.get_by_label("Cơ quan", exact=True).select_option(
        label="— Ủy ban nhân dân đặc khu Vân Đồn"
    )
    page.get_by_role("button", name="Xem số liệu").click()
    page.wait_for_url("**agency=**")
    row = page.locator(".index-table tr", has=page.get_by_role("cell", name="2.2", exact=True))
    assert "Chưa có dữ liệu" in row.inner_text()
    assert "0,0 / 0,0" not in page.content()
    check_page(page)

    # The phone: nothing runs off the side of the page.
    page.set_viewport_size(PHONE)
    for path in ("/dieu-hanh/", "/dieu-hanh/chi-so-766/"):
        page.goto(page.base_url + path)
        no_horizontal_overflow(page)
        check_page(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_public_transparency_page(page, demo, viewport):  # type: ignore[no-untyped-def]
    page.set_viewport_size(viewport)
    page.goto(page.base_url + "/")
    # Linked from the portal's home page and from the footer of every page.
    footer = page.locator("footer").get_by_role("link", name="Công khai kết quả giải quyết hồ sơ")
    expect(footer).to_be_visible()
    page.get_by_role("link", name="Công khai kết quả giải quyết hồ sơ của các cơ quan").click()
    page.wait_for_url("**/cong-khai/")
    heading = page.get_by_role("heading", name="Công khai kết quả giải quyết thủ tục hành chính")
    expect(heading).to_be_visible()

    def figures() -> dict[str, list[str]]:
        rows = page.locator("table tbody tr").all()
        return {r.locator("th").inner_text(): r.locator("td").all_inner_texts() for r in rows}

    ha_long = Dossier.objects.filter(agency__name="Ủy ban nhân dân phường Hạ Long")
    shown = figures()
    assert shown["Ủy ban nhân dân phường Hạ Long"][0] == str(ha_long.count())
    assert shown["Sở Y tế tỉnh Quảng Ninh"][3] == "Chưa có hồ sơ"
    labels = axis_labels(page, "chart-public")
    assert len(labels) == len(set(labels)) and "UBND phường Hạ Long" in labels
    check_page(page)
    no_horizontal_overflow(page)

    # Filter by field (lĩnh vực): only the certification dossiers count.
    page.get_by_label("Lĩnh vực", exact=True).select_option(label="Chứng thực")
    page.get_by_role("button", name="Xem số liệu").click()
    page.wait_for_url("**sector=**")
    certified = ha_long.filter(procedure__sector__name="Chứng thực").count()
    assert figures()["Ủy ban nhân dân phường Hạ Long"][0] == str(certified)
    assert figures()["Sở Tư pháp tỉnh Quảng Ninh"][0] == "0"

    # Filter by agency and period (this quarter).
    today = timezone.localdate()
    page.get_by_label("Cơ quan", exact=True).select_option(label="— Ủy ban nhân dân phường Hạ Long")
    page.get_by_label("Kỳ", exact=True).select_option("quarter")
    page.get_by_label("Quý (năm-quý)").fill(f"{today.year}-{(today.month - 1) // 3 + 1}")
    page.get_by_role("button", name="Xem số liệu").click()
    page.wait_for_url("**period=quarter**")
    assert list(figures()) == ["Ủy ban nhân dân phường Hạ Long"]
    quarter = ["I", "II", "III", "IV"][(today.month - 1) // 3]
    expect(page.get_by_text(f"Quý {quarter}/{today.year}").first).to_be_visible()
    check_page(page)
    no_horizontal_overflow(page)

    # Export: the table as filtered, CSV and Excel.
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải về CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Cơ quan"
    assert rows[1][:2] == ["Ủy ban nhân dân phường Hạ Long", str(certified)]
    assert rows[-1][0] == "Tổng cộng"
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải về Excel").click()
    with open(info.value.path(), "rb") as saved:
        book = load_workbook(io.BytesIO(saved.read()))
    values = [r for r in book.active.iter_rows(min_row=5, values_only=True) if r[0]]
    assert values[0][:2] == ("Ủy ban nhân dân phường Hạ Long", certified)
