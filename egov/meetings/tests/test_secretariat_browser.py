"""In a real browser: the secretariat creates a meeting (members picked by searching the
organisation tree), builds an agenda of three items (htmx redraws only the agenda), and sends
the invitations; every page it lands on is accessible and in Vietnamese."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from egov.conftest import check_page
from egov.meetings.models import Meeting, MeetingStatus
from egov.meetings.tests.browser_support import login
from egov.meetings.tests.secretariat_helpers import at, messages, reachable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCAL = "%Y-%m-%dT%H:%M"


def test_the_secretariat_creates_a_meeting_with_three_items_and_sends_it(  # type: ignore[no-untyped-def]
    page, board, give_totp
) -> None:
    reachable(board)
    give_totp(board.secretariat.user)
    login(page, "vanphong")

    page.goto(page.base_url + "/hop/quan-ly/")
    check_page(page)
    page.get_by_role("link", name="Tạo cuộc họp").click()
    check_page(page)
    page.get_by_label("Tên cuộc họp").fill("Phiên họp thường kỳ tháng 4")
    page.get_by_label("Họp thường kỳ").check()
    page.get_by_label("Bắt đầu").fill(at(8, 8).strftime(LOCAL))
    page.get_by_label("Kết thúc dự kiến").fill(at(8, 11, 30).strftime(LOCAL))
    page.get_by_label("Địa điểm").fill("Phòng họp số 1, trụ sở Ủy ban nhân dân tỉnh")
    page.get_by_label("Chủ trì").select_option(value=str(board.chair.pk))
    page.get_by_label("Thư ký cuộc họp").select_option(value=str(board.secretary.pk))

    # Members are found by typing (htmx brings the results without reloading the page).
    for member in board.members[:3]:
        name = member.user.get_full_name()
        page.get_by_label("Tìm cán bộ").fill(name)
        row = page.get_by_role("group", name=name, exact=False).first
        row.get_by_label("Thành viên").check()
    page.get_by_label("Tìm cán bộ").fill(board.guest.user.get_full_name())
    page.get_by_role("group", name=board.guest.user.get_full_name()).get_by_label(
        "Khách mời"
    ).check()
    check_page(page)
    page.get_by_role("button", name="Tạo cuộc họp").click()
    expect(page.get_by_text("Đã tạo cuộc họp.")).to_be_visible()
    check_page(page)
    meeting = Meeting.objects.get()
    assert meeting.participants.filter(role="member").count() == 3

    # Three items, each added without reloading the page.
    for n, title in enumerate(
        ["Báo cáo tình hình kinh tế - xã hội quý I", "Kế hoạch đầu tư công", "Các vấn đề khác"],
        start=1,
    ):
        page.locator("#id_new-title").fill(title)
        page.locator("#id_new-duration_minutes").fill("30")
        page.get_by_role("button", name="Thêm vào chương trình").click()
        page.get_by_text(f"Đã thêm nội dung {n}: {title}.").wait_for()
    assert meeting.items.count() == 3
    check_page(page)

    page.get_by_role("link", name="Gửi giấy mời").first.click()
    expect(page.get_by_role("heading", name="Người nhận giấy mời (6 người)")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Gửi giấy mời").click()
    expect(page.get_by_text("Đã gửi giấy mời họp tới 6 người.")).to_be_visible()
    check_page(page)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PUBLISHED
    assert len(messages(meeting, "email")) == 6
