"""A citizen reads a procedure page on a desktop and on a phone: each fee once with its terms,
the desk's address and opening hours, the form template downloads, nothing wider than the
screen; a search that finds nothing suggests procedures."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from egov.conftest import check_page

from .procedure_page import DESK_ADDRESS, HOURS, shown_procedure  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def no_horizontal_overflow(page) -> None:  # type: ignore[no-untyped-def]
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]"
    )
    assert max(widths[0], widths[2]) <= widths[1], widths


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)], ids=["desktop", "phone"])
def test_procedure_page(page, shown_procedure, size):  # type: ignore[no-untyped-def]  # noqa: F811
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(page.base_url + f"/thu-tuc/{shown_procedure.code}/")
    check_page(page)
    no_horizontal_overflow(page)

    fees = page.locator(".fee-list > li")
    assert fees.count() == 2
    expect(page.get_by_role("heading", name="Lệ phí đăng ký khai sinh")).to_have_count(1)
    copy_fee = fees.filter(has_text="Phí cấp bản sao Trích lục khai sinh")
    expect(copy_fee.get_by_text("8.000 đồng/bản sao")).to_be_visible()
    expect(copy_fee.get_by_text("Chỉ khi bạn yêu cầu (không bắt buộc)")).to_be_visible()
    expect(copy_fee.get_by_text("Thông tư 281/2016/TT-BTC")).to_be_visible()
    assert "Lệ phí — Lệ phí" not in page.inner_text("main")

    place = page.locator(".place")
    expect(place.get_by_text(DESK_ADDRESS)).to_be_visible()
    expect(place.get_by_text(HOURS)).to_be_visible()

    link = page.get_by_role("link", name="Tải mẫu Tờ khai đăng ký khai sinh")
    link.scroll_into_view_if_needed()
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "to-khai-dang-ky-khai-sinh.pdf"
    assert Path(download.path()).read_bytes()[:5] == b"%PDF-"

    if size[0] < 500:
        # The components table is stacked: each cell says what it is, no column off-screen.
        name_cell = page.get_by_role("cell", name="Giấy chứng sinh")
        box = name_cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= size[0]


def test_search_with_no_result_suggests(page, shown_procedure, offline_procedure):  # type: ignore[no-untyped-def]  # noqa: F811
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(page.base_url + "/thu-tuc/")
        expect(page.get_by_text("2 thủ tục")).to_be_visible()  # everything, most used first
        check_page(page)
        no_horizontal_overflow(page)
        page.get_by_label("Từ khóa").fill("khai sinhh xyz")
        page.get_by_role("button", name="Tìm kiếm").click()
        expect(page.get_by_role("heading", name="Có phải bạn muốn tìm")).to_be_visible()
        expect(page.get_by_role("link", name="Đăng ký khai sinh")).to_be_visible()
        expect(page.get_by_text("gõ có dấu hay không dấu đều được")).to_be_visible()
        expect(page.get_by_role("heading", name="Thủ tục được tìm nhiều")).to_be_visible()
        check_page(page, allow=("sinhh", "xyz"))  # what the test typed, shown back
        no_horizontal_overflow(page)
    page.get_by_role("link", name="Đăng ký khai sinh").click()
    expect(page.get_by_role("heading", name="Đăng ký khai sinh", exact=True)).to_be_visible()
