"""Written consultation in a real browser: the secretariat's form shows the computed deadline;
the chair, a member too, reads the list ("phiếu chờ tôi trả lời"), answers and signs their sheet
with a code, closes once everyone answered, and signs the result with "Ký ban hành": the page
shows the tally and the number the system gave the notice."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from egov.conftest import check_page, fresh_totp
from egov.meetings.models import Consultation, ConsultationStatus
from egov.meetings.services import consultations
from egov.signing.services import make_demo_hierarchy

from .browser_support import login
from .conftest import actor
from .consultation_helpers import answer, certify_everyone, prepare

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# People's names the pages show as they are; base.html's flash messages are another area's.
ALLOW = ("Cán", "bộ")
EXCLUDE = (".messages",)


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def test_chair_answers_closes_and_signs_the_result(page, board, give_totp) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1366, "height": 768})
    certify_everyone(make_demo_hierarchy())
    for official in (board.secretariat, board.chair, *board.members[:2]):
        give_totp(official.user)
    consultation = prepare(board, [board.chair, *board.members[:2]], days=3)

    login(page, board.secretariat.user.username)
    page.goto(page.base_url + "/hop/lay-y-kien/tao-moi/")
    page.get_by_label("Thời hạn trả lời (ngày làm việc)").fill("5")
    page.get_by_text("Nếu gửi ngay bây giờ, hạn trả lời là").wait_for()
    check_page(page, allow=ALLOW, exclude=EXCLUDE)
    # Leave the page before signing out: its deadline preview (htmx, on change) could otherwise
    # still fire once the cookies are gone and meet a 403 as an anonymous visitor.
    page.goto("about:blank")
    page.context.clear_cookies()

    consultations.send_consultation(actor=actor(board.chair), consultation=consultation)
    answer(consultation, board.members[0], "agree")
    answer(consultation, board.members[1], "disagree", "Cần bổ sung kinh phí.")

    login(page, board.chair.user.username)
    page.goto(page.base_url + "/hop/lay-y-kien/")
    page.get_by_role("heading", name="Phiếu chờ tôi trả lời").wait_for()
    check_page(page, allow=ALLOW, exclude=EXCLUDE)
    page.get_by_role("link", name=consultation.title).first.click()
    page.get_by_role("heading", name="Trả lời phiếu lấy ý kiến").wait_for()
    assert "Cần bổ sung kinh phí." in page.content()  # the chair sees the answers as they come
    check_page(page, allow=ALLOW, exclude=EXCLUDE)

    # A wrong code first: refused with the error summary, nothing signed.
    page.get_by_label("Đồng ý", exact=True).check()
    page.get_by_label("Mã xác thực để ký phiếu").fill("000000")
    page.get_by_role("button", name="Ký số và gửi ý kiến").click()
    page.get_by_text("Mã xác thực không đúng").first.wait_for()
    check_page(page, allow=ALLOW, exclude=EXCLUDE)
    cache.clear()
    page.get_by_label("Đồng ý", exact=True).check()
    page.get_by_label("Mã xác thực để ký phiếu").fill(fresh_totp(margin=5))
    page.get_by_role("button", name="Ký số và gửi ý kiến").click()
    page.get_by_role("button", name="Tổng hợp ý kiến").click()
    page.get_by_role("heading", name="Kết quả tổng hợp").wait_for()
    check_page(page, allow=ALLOW, exclude=EXCLUDE)

    cache.clear()
    page.locator("form[action$='ky-ban-hanh/'] input[name=code]").fill(fresh_totp(margin=5))
    page.get_by_role("button", name="Ký ban hành").click()
    page.get_by_text("Đã ký và ban hành văn bản kết quả.").wait_for()
    text = page.content()
    assert "01/TB-UBND" in text and "Thông qua" in text
    check_page(page, allow=ALLOW, exclude=EXCLUDE)
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.ISSUED
    assert Consultation.objects.get().result["agree"] == 2
