"""Issue #15 in a real browser at 1366×768, in the Department of Justice: a specialist drafts a
decision the deputy director signs "for the director"; the deputy director looks at the pages
to be signed, types a wrong code then the right one; the clerk's workspace shows the document
waiting for its number, the clerk numbers it, and the PDF shows the number, the date and the
lines "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC" taken from the position."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from egov.conftest import check_page, fresh_totp
from egov.documents.models import NumberCounter, OutgoingDocument, OutgoingStatus
from egov.documents.pdffields import issue_date_text
from egov.org.models import Position, Role, Unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBJECT = "Về việc kiện toàn Tổ công tác cải cách hành chính năm 2026"
# People's names and codes the pages show as they are.
ALLOW = ("Cán", "bộ")
# base.html's flash messages (<ul role="status">) fail axe's "listitem" rule; base.html belongs
# to another part of issue #15, which fixes it; the rest of each page is checked here.
EXCLUDE = (".messages",)


def login(page, username: str) -> None:  # type: ignore[no-untyped-def]
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


@pytest.fixture
def department(other_agency, make_official, give_totp):  # type: ignore[no-untyped-def]
    section = Unit.objects.create(
        agency=other_agency,
        code="HCTP",
        name="Phòng Hành chính tư pháp",
        abbreviation="HCTP",
        kind=Unit.Kind.PROFESSIONAL,
    )
    office = Unit.objects.create(
        agency=other_agency, code="VP", name="Văn phòng Sở", abbreviation="VP", kind="office"
    )
    deputy = make_official(other_agency, roles=[Role.LEADER], username="stp.phogiamdoc")
    deputy.position = Position.objects.get_or_create(
        code="pho-giam-doc", defaults={"name": "Phó Giám đốc", "is_leader": True}
    )[0]
    deputy.save()
    people = {
        "drafter": make_official(
            other_agency, roles=[Role.SPECIALIST], unit=section, username="stp.chuyenvien"
        ),
        "deputy": deputy,
        "clerk": make_official(other_agency, roles=[Role.CLERK], unit=office, username="stp.vt"),
    }
    for official in people.values():
        give_totp(official.user)
    return people


def test_preview_step_up_sign_then_the_clerk_numbers(page, department, request, tmp_path):
    page.set_viewport_size({"width": 1366, "height": 768})
    request.getfixturevalue("certificates")  # after the department's officials exist

    # The specialist drafts a decision signed "for the director" (KT.).
    login(page, "stp.chuyenvien")
    page.goto(page.base_url + "/van-ban/soan-thao/")
    check_page(page, allow=ALLOW, exclude=EXCLUDE)
    page.get_by_label("Loại văn bản").select_option(label="Quyết định (QĐ)")
    page.get_by_label("Trích yếu nội dung").fill(SUBJECT)
    page.get_by_label("Nội dung văn bản").fill(
        "Điều 1. Kiện toàn Tổ công tác cải cách hành chính của Sở.\n\n"
        "Điều 2. Quyết định có hiệu lực kể từ ngày ký."
    )
    page.get_by_label("KT. — cấp phó ký thay người đứng đầu").check()
    page.get_by_role("group", name="Nơi nhận trong cơ quan").get_by_label(
        "Phòng Hành chính tư pháp"
    ).check()
    page.get_by_role("button", name="Lưu dự thảo").click()
    expect(page.get_by_text("Đã lưu dự thảo.")).to_be_visible()
    check_page(page, allow=ALLOW, exclude=EXCLUDE)
    page.get_by_label("Trình cho").select_option(value=str(department["deputy"].pk))
    page.get_by_role("button", name="Trình", exact=True).click()
    expect(page.get_by_text("Đã trình văn bản")).to_be_visible()
    logout(page)

    # The deputy director approves, looks at what will be signed, and signs.
    login(page, "stp.phogiamdoc")
    page.goto(page.base_url + "/van-ban/?tab=cho-y-kien")
    page.get_by_role("link", name=SUBJECT).click()
    page.get_by_label("Đồng ý").check()
    page.get_by_role("button", name="Gửi ý kiến").click()
    expect(page.get_by_text("Đã ghi ý kiến.")).to_be_visible()
    page.get_by_role("link", name="Xem trước và ký số").click()
    page.wait_for_url("**/ky-so/")
    check_page(page, allow=ALLOW, exclude=EXCLUDE)
    lines = page.locator("dd.signer-lines")
    assert lines.inner_text().split("\n") == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    expect(page.get_by_text("01/QĐ-STP")).to_be_visible()  # the number it would take now
    preview = page.get_by_role("img", name="Trang 1 của văn bản sẽ được ký")
    preview.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 300", arg=preview.element_handle()
    )

    # A wrong code: a clear error, nothing signed, no number taken.
    page.get_by_label("Mã xác thực").fill("000000")
    page.get_by_role("button", name="Ký số văn bản").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    assert "Mã xác thực không đúng" in summary.inner_text()
    assert "chưa được ký" in summary.inner_text()
    check_page(page, allow=ALLOW, exclude=EXCLUDE)
    document = OutgoingDocument.objects.get()
    assert document.status == OutgoingStatus.APPROVED and document.signed_at is None
    assert not NumberCounter.objects.exists()

    cache.clear()
    page.get_by_label("Mã xác thực").fill(fresh_totp(margin=3))
    page.get_by_role("button", name="Ký số văn bản").click()
    expect(page.get_by_text("Đã ký số văn bản")).to_be_visible()
    check_page(page, allow=ALLOW, exclude=EXCLUDE)
    logout(page)

    # The clerk's workspace counts it; the clerk numbers and issues it.
    login(page, "stp.vt")
    check_page(page, allow=ALLOW, exclude=EXCLUDE)
    tile = page.get_by_role("link", name="1 văn bản chờ cấp số")
    expect(tile).to_be_visible()
    tile.click()
    check_page(page, allow=ALLOW, exclude=EXCLUDE)
    page.get_by_role("link", name=SUBJECT).click()
    page.get_by_role("button", name="Cấp số và ban hành").click()
    expect(page.get_by_text("Đã cấp số 01/QĐ-STP")).to_be_visible()
    check_page(page, allow=ALLOW, exclude=EXCLUDE)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải văn bản đã ký số (PDF)").click()
    path = Path(tmp_path) / "issued.pdf"
    download_info.value.save_as(path)
    text = " ".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=60)
        .stdout.decode()
        .split()
    )
    document.refresh_from_db()
    assert "Số: 01/QĐ-STP" in text
    assert f"Quảng Ninh, {issue_date_text(timezone.localdate(document.issued_at))}" in text
    assert "KT. GIÁM ĐỐC" in text and "PHÓ GIÁM ĐỐC" in text
    page.goto(page.base_url + "/lam-viec/")
    expect(page.get_by_role("link", name="0 văn bản chờ cấp số")).to_be_visible()
