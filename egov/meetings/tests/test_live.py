"""In a real browser: a member answers a secret vote on the page and keeps the receipt; the
room's screen shows the current item, who speaks and who waits, and the vote's result as soon
as the chair closes it, without the page being reloaded; the member finds their ballot in
the count with the receipt. Every page passes check_page (axe + Vietnamese)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from egov.conftest import check_page
from egov.meetings.models import Participant, SpeakingRequest, Vote
from egov.meetings.rules import AGAINST, FOR
from egov.meetings.services import votes as services

from .browser_support import sign_in
from .conftest import actor
from .hvote_support import (  # noqa: F401
    cast,
    in_session,
    new_vote,
    seal,
    seal_hierarchy,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.usefixtures("seal")
def test_the_live_screen_shows_a_closed_vote_without_reload(page, board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting, title="Phiên họp Ủy ban nhân dân tỉnh tháng 12")
    item = meeting.items.get(position=1)
    meeting.current_item = item
    meeting.save(update_fields=["current_item"])
    item.status = "current"
    item.save(update_fields=["status"])
    speakers = {
        p.official_id: p
        for p in Participant.objects.filter(meeting=meeting, official__in=board.members[1:4])
    }
    now = timezone.now()
    SpeakingRequest.objects.create(
        item=item,
        participant=speakers[board.members[1].pk],
        topic="Nguồn vốn thực hiện",
        status=SpeakingRequest.Status.SPEAKING,
        requested_at=now,
        started_at=now,
    )
    SpeakingRequest.objects.create(
        item=item,
        participant=speakers[board.members[2].pk],
        topic="Tiến độ",
        requested_at=now,
    )
    vote = new_vote(board, meeting, kind=Vote.Kind.SECRET)
    member = board.members[0]

    # The member answers on the page.
    sign_in(page, member.user)
    page.goto(f"{page.base_url}/hop/{meeting.pk}/bieu-quyet/")
    check_page(page)
    page.get_by_role("link", name=f"Biểu quyết: {vote.question}").click()
    page.wait_for_url(f"**/bieu-quyet/{vote.pk}/")
    check_page(page)
    page.get_by_label("Tán thành", exact=True).check()
    page.get_by_role("button", name="Gửi phiếu").click()
    page.get_by_role("heading", name="Phiếu của anh/chị đã được ghi nhận").wait_for()
    check_page(page)
    code = page.locator(".receipt-code code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", code)

    # The room's screen.
    page.goto(f"{page.base_url}/hop/{meeting.pk}/man-hinh/")
    check_page(page)
    body = page.locator("#live-body")
    assert "1. Nội dung 1" in body.inner_text()
    assert "Đang phát biểu" in body.inner_text() and "Nguồn vốn thực hiện" in body.inner_text()
    assert "Tiến độ" in body.inner_text()
    assert "1/7" in page.locator(".live-open").inner_text()
    page.evaluate("() => { window.keptSinceLoad = 'cùng một trang'; }")

    # Meanwhile, in the room: the others vote, the next speaker is called, the chair closes.
    for official in [board.chair, *board.members[1:4]]:
        cast(official, vote, FOR)
    cast(board.members[4], vote, AGAINST)
    SpeakingRequest.objects.filter(item=item, status="speaking").update(status="done")
    SpeakingRequest.objects.filter(item=item, status="waiting").update(status="speaking")
    services.close_vote(actor=actor(board.chair), vote=vote)

    page.locator(".live-result .live-outcome").filter(has_text="THÔNG QUA").wait_for(timeout=10_000)
    assert page.evaluate("() => window.keptSinceLoad") == "cùng một trang"  # no reload
    result = page.locator(".live-result").first.inner_text()
    assert "Tán thành: 5" in result.replace("\n", " ")
    assert "Không tán thành: 1" in result.replace("\n", " ")
    expect(page.locator(".live-open")).to_have_count(0)
    assert "Tiến độ" in page.locator(".live-speaking").inner_text()
    check_page(page)

    # The member checks the ballot with the receipt.
    page.goto(f"{page.base_url}/hop/{meeting.pk}/bieu-quyet/{vote.pk}/")
    check_page(page)
    expect(page.get_by_text("Chữ ký số hợp lệ")).to_be_visible()
    page.get_by_role("link", name="mã biên nhận").first.click()
    page.get_by_label("Mã biên nhận").fill(code.lower())
    page.get_by_role("button", name="Kiểm tra").click()
    page.get_by_role("heading", name="Đã tìm thấy phiếu").wait_for()
    expect(page.get_by_text("Phiếu đã được kiểm")).to_be_visible()
    check_page(page)


def test_the_chair_prepares_opens_and_closes_on_the_pages(page, board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = in_session(make_meeting)
    sign_in(page, board.chair.user)
    page.goto(f"{page.base_url}/hop/{meeting.pk}/bieu-quyet/")
    page.get_by_label("Nội dung cần biểu quyết").fill("Thông qua Chương trình công tác năm 2026")
    page.get_by_role("button", name="Chuẩn bị biểu quyết").click()
    page.get_by_text("Đã chuẩn bị biểu quyết").wait_for()
    check_page(page)
    page.get_by_role("button", name="Mở biểu quyết").click()
    page.get_by_text("Đã mở biểu quyết").wait_for()
    vote = Vote.objects.get()
    for official in board.members[:4]:
        cast(official, vote, FOR)
    page.get_by_role("button", name="Kết thúc biểu quyết").click()
    page.get_by_text("Thông qua.", exact=False).first.wait_for()
    check_page(page)
    page.get_by_role("link", name="Thông qua Chương trình công tác năm 2026").click()
    page.get_by_role("heading", name="Kết quả biểu quyết").wait_for()
    expect(page.get_by_text("Căn cứ pháp lý")).to_be_visible()
    check_page(page)
