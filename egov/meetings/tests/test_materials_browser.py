"""In a real browser: the secretariat uploads a material on the management page; a member opens
it, turns to page 2 without reloading the page (htmx), writes a private note beside the page,
edits it and deletes it; the chair opening the same page sees no note. Every page passes
check_page (axe and Vietnamese)."""

from __future__ import annotations

import pytest

from egov.conftest import check_page
from egov.meetings.models import Annotation, Material, MeetingStatus

from .browser_support import sign_in
from .material_files import make_pdf, media  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_reads_a_material_and_keeps_a_private_note(  # type: ignore[no-untyped-def]
    page, board, make_meeting, tmp_path
) -> None:
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    pdf = tmp_path / "bao-cao-kt-xh.pdf"
    pdf.write_bytes(make_pdf("Báo cáo kinh tế - xã hội", pages=3))

    # The secretariat uploads it.
    sign_in(page, board.secretariat.user)
    page.goto(f"{page.base_url}/hop/{meeting.pk}/tai-lieu/")
    check_page(page)
    form = page.get_by_role("region", name="Tải lên tài liệu")
    form.get_by_label("Tệp tài liệu").set_input_files(str(pdf))
    form.get_by_label("Tên tài liệu").fill("Báo cáo tình hình kinh tế - xã hội")
    form.get_by_label("Thuộc nội dung họp").select_option(label="1. Nội dung 1")
    form.get_by_role("button", name="Tải lên", exact=True).click()
    page.get_by_text("Đã thêm tài liệu").wait_for()
    check_page(page)
    material = Material.objects.get()

    # A member reads it.
    sign_in(page, board.members[0].user)
    page.goto(f"{page.base_url}/hop/{meeting.pk}/tai-lieu/")
    page.get_by_role("link", name="Báo cáo tình hình kinh tế - xã hội").click()
    page.wait_for_url(f"**/hop/{meeting.pk}/tai-lieu/{material.pk}/")
    image = page.get_by_role("img", name="Trang 1/3")
    image.wait_for()
    page.wait_for_function("() => document.querySelector('.material-page img').naturalWidth > 0")
    check_page(page)

    # Page 2, swapped in by htmx (the address follows).
    page.evaluate("() => { window.notReloaded = true; }")
    page.get_by_role("link", name="Trang sau →").first.click()
    page.get_by_role("img", name="Trang 2/3").wait_for()
    assert page.evaluate("() => window.notReloaded === true")
    assert "trang=2" in page.url
    page.wait_for_function("() => document.querySelector('.material-page img').naturalWidth > 0")

    # A private note beside page 2.
    page.get_by_label("Thêm ghi chú cho trang 2").fill("Đề nghị làm rõ nguồn vốn đầu tư công")
    page.get_by_role("button", name="Lưu ghi chú").click()
    page.locator(".note-text", has_text="Đề nghị làm rõ nguồn vốn đầu tư công").wait_for()
    assert page.evaluate("() => window.notReloaded === true")
    check_page(page)
    note = Annotation.objects.get()
    assert note.official == board.members[0] and note.page == 2

    page.get_by_role("link", name="Sửa ghi chú 1").click()
    page.get_by_label("Sửa ghi chú").fill("Đề nghị làm rõ nguồn vốn và tiến độ giải ngân")
    check_page(page)
    page.get_by_role("button", name="Lưu ghi chú").first.click()
    page.locator(".note-text", has_text="tiến độ giải ngân").wait_for()
    note.refresh_from_db()
    assert note.text == "Đề nghị làm rõ nguồn vốn và tiến độ giải ngân"

    # The chair, on the same page, sees no note of the member's.
    sign_in(page, board.chair.user)
    page.goto(f"{page.base_url}/hop/{meeting.pk}/tai-lieu/{material.pk}/?trang=2")
    page.get_by_text("Chưa có ghi chú trên trang này.").wait_for()
    assert "giải ngân" not in page.content()
    check_page(page)

    # Back as the member: the note is deleted.
    sign_in(page, board.members[0].user)
    page.goto(f"{page.base_url}/hop/{meeting.pk}/tai-lieu/{material.pk}/?trang=2")
    page.get_by_role("button", name="Xóa ghi chú 1").click()
    page.get_by_text("Chưa có ghi chú trên trang này.").wait_for()
    assert not Annotation.objects.exists()
