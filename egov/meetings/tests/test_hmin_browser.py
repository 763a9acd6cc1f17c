"""In a real browser: the secretary writes the minutes (autosaved while typing), submits them;
secretary and chair sign; the chair writes the conclusion with a task, the secretary submits it
to the documents app; the chair's overdue list. Each page is checked for accessibility and
Vietnamese text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from egov.conftest import check_page
from egov.meetings.models import (
    Conclusion,
    ConclusionStatus,
    Minutes,
    MinutesStatus,
    Task,
)

from .browser_support import login, logout, type_code
from .hmin_helpers import certify, held_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def sign(page) -> None:  # type: ignore[no-untyped-def]
    type_code(page)
    page.get_by_role("button", name="Ký số biên bản").click()
    page.get_by_text("Đã ký số biên bản.").first.wait_for()


def test_minutes_signed_conclusion_submitted_and_the_overdue_list(  # type: ignore[no-untyped-def]
    page, board, make_meeting, make_official, give_totp, other_agency
):
    meeting = held_meeting(board, make_meeting, make_official(board.agency, username="duthay"))
    certify()
    for official in (board.secretary, board.chair):
        give_totp(official.user)
    names = [o.user.get_full_name() for o in (board.chair, board.secretary, *board.members)]
    allow = ("Cán", "bộ", *names)
    url = f"{page.base_url}/hop/{meeting.pk}/bien-ban/"

    login(page, "thuky")
    page.goto(url)
    check_page(page, allow=allow)
    page.get_by_role("button", name="Lập biên bản").click()
    page.get_by_text("Đã mở biên bản cuộc họp.").first.wait_for()
    page.get_by_text("Đi công tác tại Hà Nội").first.wait_for()
    page.locator("#ghi-opening").fill("Chủ tọa khai mạc cuộc họp lúc 8 giờ.")
    # Saved without a click, a few seconds after typing stops.
    page.locator("#luu-opening").get_by_text("Đã lưu lúc").wait_for()
    check_page(page, allow=allow)
    assert Minutes.objects.get(meeting=meeting).notes == {
        "opening": "Chủ tọa khai mạc cuộc họp lúc 8 giờ."
    }
    page.get_by_role("button", name="Trình ký biên bản").click()
    page.get_by_text("Đã trình ký biên bản.").first.wait_for()
    sign(page)
    check_page(page, allow=allow)
    logout(page)

    login(page, "chutich")
    page.goto(url)
    check_page(page, allow=allow)
    sign(page)
    assert Minutes.objects.get(meeting=meeting).status == MinutesStatus.SIGNED
    page.get_by_role("link", name="Biên bản đã ký (PDF)").wait_for()

    # The conclusion and a task.
    page.goto(f"{page.base_url}/hop/{meeting.pk}/ket-luan/")
    check_page(page, allow=allow)
    page.get_by_label("Nội dung kết luận").fill("Thống nhất thông qua Kế hoạch chuyển đổi số.")
    page.locator("#id_nv-0-title").fill("Hoàn thiện Kế hoạch, trình Ủy ban nhân dân tỉnh")
    page.locator("#id_nv-0-agency").select_option(label=other_agency.name)
    page.locator("#id_nv-0-due_days").fill("5")
    page.get_by_role("button", name="Lưu thông báo kết luận").click()
    page.get_by_text("Đã lưu thông báo kết luận.").first.wait_for()
    check_page(page, allow=allow)
    logout(page)

    login(page, "thuky")
    page.goto(f"{page.base_url}/hop/{meeting.pk}/ket-luan/")
    page.get_by_role("button", name="Trình ký thông báo kết luận").click()
    page.get_by_text("Đã trình dự thảo thông báo kết luận").first.wait_for()
    check_page(page, allow=allow)
    conclusion = Conclusion.objects.get(meeting=meeting)
    assert conclusion.status == ConclusionStatus.SUBMITTED
    logout(page)

    # Issued (the documents app's flow is tested there): a task that became overdue.
    Conclusion.objects.filter(pk=conclusion.pk).update(
        status=ConclusionStatus.ISSUED, symbol="01/TB-UBND", issued_at=timezone.now()
    )
    Task.objects.create(
        conclusion=conclusion,
        title="Hoàn thiện Kế hoạch, trình Ủy ban nhân dân tỉnh",
        assignee_agency=other_agency,
        due_days=5,
        due_at=timezone.now() - timedelta(days=2),
    )
    login(page, "chutich")
    page.goto(f"{page.base_url}/hop/nhiem-vu/")
    expect(
        page.get_by_role("heading", name="Nhiệm vụ quá hạn của các cuộc họp anh/chị chủ trì (1)")
    ).to_be_visible()
    check_page(page, allow=allow)
    page.goto(f"{page.base_url}/hop/{meeting.pk}/ket-luan/")
    expect(page.get_by_text("Quá hạn", exact=True)).to_be_visible()
    check_page(page, allow=allow)
