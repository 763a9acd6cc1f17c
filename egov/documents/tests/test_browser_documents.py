"""In a real browser, two agencies on one platform: a specialist drafts an official letter to the
Department of Justice, the chairman approves and signs it, the clerk numbers and issues it, and
the department's clerk registers it on arrival."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from egov.conftest import check_page, fresh_totp
from egov.documents.models import IncomingDocument, IncomingStatus, OutgoingDocument, Recipient
from egov.org.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    cache.clear()  # a TOTP code is accepted once per 30-second window
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("Mat-khau-2026!")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_label("Mã xác thực").fill(fresh_totp())
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url("**/lam-viec/")


def logout(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_load_state()


def test_draft_approve_sign_issue_and_the_receiving_clerk_registers(
    page, people, other_agency, make_official, give_totp, certificates
):
    receiving_clerk = make_official(other_agency, roles=[Role.CLERK], username="stp.vanthu")
    for official in [*people.values(), receiving_clerk]:
        give_totp(official.user)
    leader = people["leader"]

    # The specialist writes the letter.
    login(page, "chuyenvien")
    page.goto(page.base_url + "/van-ban/")
    check_page(page)
    page.get_by_role("link", name="Soạn văn bản mới").click()
    page.get_by_label("Loại văn bản").select_option(label="Công văn")
    page.get_by_label("Trích yếu nội dung").fill("Về việc rà soát thủ tục hành chính năm 2026")
    page.get_by_label("Nội dung văn bản").fill(
        "Ủy ban nhân dân tỉnh đề nghị Sở Tư pháp rà soát các thủ tục hành chính lĩnh vực hộ tịch."
    )
    page.get_by_label("TM. — thay mặt tập thể lãnh đạo").check()
    page.get_by_label("Cơ quan nhận trên nền tảng").select_option(label=other_agency.name)
    page.get_by_role("button", name="Lưu dự thảo").click()
    expect(page.get_by_text("Đã lưu dự thảo.")).to_be_visible()
    check_page(page)
    page.get_by_label("Trình cho").select_option(value=str(leader.pk))
    page.get_by_role("button", name="Trình", exact=True).click()
    expect(page.get_by_text("Đã trình văn bản")).to_be_visible()
    logout(page)

    # The chairman approves, then signs with a personal digital signature.
    login(page, "chutich")
    page.goto(page.base_url + "/van-ban/?tab=cho-y-kien")
    page.get_by_role("link", name="Về việc rà soát thủ tục hành chính năm 2026").click()
    page.get_by_label("Đồng ý").check()
    page.get_by_label("Nội dung ý kiến").fill("Đồng ý ban hành.")
    page.get_by_role("button", name="Gửi ý kiến").click()
    expect(page.get_by_text("Đã ghi ý kiến.")).to_be_visible()
    page.get_by_role("link", name="Xem trước và ký số").click()
    cache.clear()
    page.get_by_label("Mã xác thực").fill(fresh_totp(margin=3))
    page.get_by_role("button", name="Ký số văn bản").click()
    expect(page.get_by_text("Đã ký số văn bản")).to_be_visible()
    check_page(page)
    logout(page)

    # The clerk numbers it, applies the agency's signature and sends it.
    login(page, "vanthu")
    page.goto(page.base_url + "/van-ban/?tab=cho-cap-so")
    page.get_by_role("link", name="Về việc rà soát thủ tục hành chính năm 2026").click()
    page.get_by_role("button", name="Cấp số và ban hành").click()
    expect(page.get_by_text("Đã cấp số 01/UBND-VX")).to_be_visible()
    check_page(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải văn bản đã ký số (PDF)").click()
    assert download_info.value.suggested_filename == "01-ubnd-vx.pdf"
    document = OutgoingDocument.objects.get()
    assert Recipient.objects.get(document=document).delivery == "queued"
    logout(page)

    # The Department of Justice's clerk finds it waiting and registers it.
    login(page, "stp.vanthu")
    page.goto(page.base_url + "/van-ban/?tab=den-cho-vao-so")
    page.get_by_role("link", name="Về việc rà soát thủ tục hành chính năm 2026").click()
    expect(page.get_by_text("01/UBND-VX").first).to_be_visible()
    page.get_by_role("button", name="Vào sổ", exact=True).click()
    expect(page.get_by_text("Đã vào sổ văn bản đến, số đến 01.")).to_be_visible()
    check_page(page)
    incoming = IncomingDocument.objects.get(agency=other_agency)
    assert incoming.status == IncomingStatus.REGISTERED and incoming.arrival_number == 1
    assert incoming.document_id == document.document_id
    logout(page)

    # The sender sees the recipient's answer: 03, registered.
    login(page, "vanthu")
    page.goto(page.base_url + f"/van-ban/di/{document.pk}/")
    expect(page.locator("td", has_text="03 Đã tiếp nhận, vào sổ").first).to_be_visible()
    check_page(page)
