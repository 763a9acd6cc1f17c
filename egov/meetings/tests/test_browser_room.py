"""In a real browser: a member confirms attendance on a phone, the chair opens the meeting on the
console, the member registers to speak, the chair sees them join the queue without reloading
the console and gives them the floor; the member's page says so, also without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from egov.conftest import check_page
from egov.events.services import dispatch_due
from egov.meetings.models import MeetingStatus, Participant, SpeakingRequest
from egov.meetings.tests.browser_support import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def test_member_confirms_registers_and_the_chair_calls_them(
    page, window, board, make_meeting, give_totp
) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    member, chair = board.members[0], board.chair
    for official in (member, chair):
        give_totp(official.user)
    name = member.user.get_full_name()

    # The member, on a phone, finds the invitation and confirms.
    mpage = window(member.user.username, viewport=PHONE)
    mpage.goto(page.base_url + "/hop/")
    expect(mpage.get_by_text("1 giấy mời chưa trả lời", exact=False)).to_be_visible()
    check_page(mpage)
    _fits(mpage)
    mpage.get_by_role("link", name=meeting.title).click()
    check_page(mpage)
    _fits(mpage)
    mpage.get_by_label("Tham dự").check()
    mpage.get_by_role("button", name="Gửi trả lời").click()
    expect(mpage.get_by_text("Đã xác nhận tham dự.")).to_be_visible()
    assert Participant.objects.get(meeting=meeting, official=member).response == "accepted"

    # The chair opens the meeting from the console.
    login(page, chair.user.username)
    page.goto(page.base_url + f"/hop/{meeting.pk}/dieu-hanh/")
    check_page(page)
    page.get_by_role("button", name="Khai mạc cuộc họp").click()
    expect(page.get_by_text("Đã khai mạc cuộc họp.")).to_be_visible()
    live = page.locator("#live")
    expect(live.get_by_text("Chưa có ai đăng ký phát biểu.")).to_be_visible()
    check_page(page)
    page.evaluate("() => { window.stillTheSamePage = true; }")

    # The member registers to speak on the item being discussed.
    mpage.reload()
    expect(mpage.locator("#live").get_by_text("Đang thảo luận")).to_be_visible()
    mpage.locator(f"#noi-dung-{meeting.items.get(position=1).pk} summary").click()
    mpage.get_by_label("Nội dung dự định phát biểu").first.fill("Ý kiến về dự toán ngân sách")
    mpage.get_by_role("button", name="Gửi đăng ký phát biểu").first.click()
    expect(mpage.get_by_text("Đã đăng ký phát biểu về nội dung", exact=False)).to_be_visible()
    expect(mpage.get_by_text("đứng thứ", exact=False).first).to_be_visible()
    check_page(mpage)
    _fits(mpage)

    # The chair's console shows them in the queue, without a reload.
    queue = live.locator(".speaker-queue")
    queue.get_by_text(name).wait_for()
    expect(queue.get_by_text("Ý kiến về dự toán ngân sách")).to_be_visible()
    assert page.evaluate("() => window.stillTheSamePage === true")
    check_page(page)
    page.get_by_role("button", name="Mời người tiếp theo phát biểu").click()
    expect(page.get_by_text("Đã mời phát biểu.")).to_be_visible()
    expect(queue.get_by_text("Đang phát biểu")).to_be_visible()
    assert SpeakingRequest.objects.get().status == "speaking"

    # The member's page tells them, without a reload either.
    mpage.evaluate("() => { window.stillTheSamePage = true; }")
    mpage.locator("#live").get_by_text("Mời anh/chị phát biểu").wait_for(timeout=20000)
    assert mpage.evaluate("() => window.stillTheSamePage === true")

    # And the in-app notice is in their notices.
    dispatch_due()
    mpage.goto(page.base_url + "/hop/thong-bao/")
    expect(mpage.get_by_role("link", name="Mời anh/chị phát biểu: Nội dung 1")).to_be_visible()
    check_page(mpage)
    _fits(mpage)

    # The chair's console on a phone too.
    page.set_viewport_size(PHONE)
    page.reload()
    check_page(page)
    _fits(page)
