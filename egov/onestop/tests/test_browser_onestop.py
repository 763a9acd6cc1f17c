"""The issue's acceptance scenario in a real browser: a receiver receives an in-person dossier, a
specialist processes it, the unit head forwards it, a leader approves, the receiver returns the
result; the applicant sees every step on the portal timeline, and the process control sheet
(the steps table of the dossier page) lists each hand-over as on time.

Each official works in their own browser context, signed in with password and their own TOTP
authenticator (distinct secrets, so codes never collide)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from egov.accounts.services import verify_identity_by_eid
from egov.conftest import check_page, fresh_totp
from egov.dossiers.models import Dossier, Status
from egov.dossiers.tests.conftest import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Mat-khau-2026!"


class Desk:
    """One person's browser window, failing the test on any console error (CSP included)."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
        self.context.set_default_timeout(15000)
        self.page = self.context.new_page()
        self.base = base_url
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def sign_in(self, username: str, secret: str | None = None) -> None:
        page = self.page
        self.go("/accounts/login/")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        if secret is None:
            return
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.get_by_label("Mã xác thực").fill(fresh_totp(secret))
        page.get_by_role("button", name="Xác nhận").click()
        page.wait_for_url("**/lam-viec/")
        check_page(page)

    def open_from_queue(self, code: str, tab: str | None = None) -> None:
        page = self.page
        page.get_by_role("link", name="Mở hàng đợi công việc").click()
        if tab:
            page.get_by_role("link", name=tab).click()
        page.get_by_role("link", name=code).click()
        page.wait_for_url(f"**/mot-cua/ho-so/{code}/")
        check_page(page)

    def says(self, text: str) -> None:
        assert self.page.get_by_role("status").get_by_text(text).is_visible(), text

    def check(self) -> None:
        """Accessible and in Vietnamese (egov.conftest.check_page)."""
        check_page(self.page)


@pytest.fixture
def desks(browser, live_server) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    opened: list[Desk] = []

    def open_desk() -> Desk:
        desk = Desk(browser, live_server.url)
        opened.append(desk)
        return desk

    yield open_desk
    for desk in opened:
        desk.context.close()
    errors = [e for desk in opened for e in desk.errors]
    assert not errors, errors


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def test_in_person_dossier_from_desk_to_result_on_time(
    desks, staff, procedure, make_citizen, give_totp, tmp_path
):
    citizen = make_citizen(personal_id="022195001234")
    # Only a verified account follows what the desk receives for its number (issue #11).
    verify_identity_by_eid(user=citizen, id_number="022195001234")
    secrets: dict[str, str] = {}
    for official in (staff.receiver, staff.specialist, staff.head, staff.leader):
        secrets[official.user.username] = pyotp.random_base32()
        give_totp(official.user, secrets[official.user.username])
    scan = tmp_path / "to-khai.pdf"
    scan.write_bytes(make_pdf(2))
    result = tmp_path / "giay-xac-nhan.pdf"
    result.write_bytes(make_pdf(1))

    # 1. The one-stop desk receives the dossier brought in person.
    receiver = desks()
    receiver.sign_in("tiepnhan", secrets["tiepnhan"])
    page = receiver.page
    page.get_by_role("link", name="Tiếp nhận hồ sơ trực tiếp").click()
    page.get_by_label("Tìm thủ tục").fill("tinh trang hon nhan")
    page.get_by_role("button", name="Tìm").click()
    receiver.check()
    page.get_by_label("Thủ tục hành chính").select_option(procedure.code)
    page.get_by_role("button", name="Tiếp tục").click()
    page.get_by_label("Họ tên công dân hoặc tên tổ chức").fill(citizen.get_full_name())
    page.get_by_label("Số định danh cá nhân hoặc mã số thuế").fill("022195001234")
    page.get_by_label("Số điện thoại").fill("0912345678")
    receiver.check()
    page.get_by_label("Tờ khai").set_input_files(str(scan))
    assert page.get_by_label("Trực tiếp tại Bộ phận Một cửa").is_checked()
    page.get_by_label("Nhận tại Bộ phận Một cửa").check()
    page.get_by_role("button", name="Tiếp nhận hồ sơ", exact=True).click()
    page.wait_for_url("**/mot-cua/ho-so/*/")
    dossier = Dossier.objects.get()
    receiver.says(f"Đã tiếp nhận hồ sơ {dossier.code}")
    receiver.check()
    with page.expect_download() as download:
        page.get_by_role("link", name="In Giấy tiếp nhận và hẹn trả kết quả").click()
    assert download.value.suggested_filename == f"giay-tiep-nhan-{dossier.code}.pdf"
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    expect(page.get_by_role("link", name="to-khai.pdf")).to_be_visible()

    # 2. The specialist finds it in their queue and forwards it with their opinion.
    specialist = desks()
    specialist.sign_in("chuyenvien", secrets["chuyenvien"])
    specialist.open_from_queue(dossier.code)
    page = specialist.page
    expect(page.get_by_text("Đang ở bước 2: Thẩm định hồ sơ")).to_be_visible()
    page.get_by_label("Ý kiến xử lý").fill("Hồ sơ hợp lệ, đề nghị xác nhận.")
    page.get_by_role("button", name="Chuyển bước tiếp theo").click()
    specialist.says("Đã chuyển hồ sơ sang bước “Lãnh đạo phòng xem xét”")

    # 3. The unit head forwards it to the agency's leader.
    head = desks()
    head.sign_in("truongphong", secrets["truongphong"])
    head.open_from_queue(dossier.code)
    head.page.get_by_role("button", name="Chuyển bước tiếp theo").click()
    head.says("Đã chuyển hồ sơ sang bước “Lãnh đạo cơ quan phê duyệt”")

    # 4. The leader attaches the signed result and approves.
    leader = desks()
    leader.sign_in("lanhdao", secrets["lanhdao"])
    leader.open_from_queue(dossier.code)
    page = leader.page
    page.get_by_text("Cập nhật kết quả giải quyết").click()
    page.get_by_label("Tệp kết quả giải quyết").set_input_files(str(result))
    page.get_by_role("button", name="Tải lên kết quả").click()
    leader.says("Đã cập nhật tệp kết quả “giay-xac-nhan.pdf”")
    page.get_by_role("button", name="Phê duyệt", exact=True).click()
    leader.says("Hồ sơ đã xử lý xong, chuyển Bộ phận Một cửa trả kết quả.")

    # 5. Back at the desk: the dossier waits for its result to be returned.
    receiver.go("/lam-viec/")
    receiver.open_from_queue(dossier.code, tab="Chờ trả kết quả")
    page = receiver.page
    page.get_by_role("button", name="Trả kết quả", exact=True).click()
    receiver.says(f"Đã trả kết quả hồ sơ {dossier.code}")
    receiver.check()
    assert Dossier.objects.get().status == Status.RETURNED

    # The process control sheet: every hand-over, who held it, and on time.
    sheet = page.get_by_role("table").filter(has_text="Người xử lý").last
    rows = sheet.locator("tbody tr")
    assert rows.count() == 5
    holders = [staff.receiver, staff.specialist, staff.head, staff.leader, staff.receiver]
    for i, official in enumerate(holders):
        row = rows.nth(i)
        assert official.user.get_full_name() in row.inner_text()
        expect(row.get_by_text("Đúng hạn")).to_be_visible()
    expect(page.get_by_text("So với ngày hẹn trả")).to_be_visible()
    # Form 05 as the printed PDF, built from the events: every hand-over, each on time.
    pdf = page.request.get(
        f"{page.url.split('/mot-cua/')[0]}/mot-cua/ho-so/{dossier.code}/phieu-kiem-soat.pdf"
    )
    assert pdf.ok and pdf.body()[:5] == b"%PDF-"
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert dossier.code in text
    for official in holders[1:4]:
        assert official.user.get_full_name() in text
    assert text.count("Đúng hạn") >= 4 and "Trễ hạn" not in text

    # 6. The applicant signs in to the portal and sees every step of the dossier.
    applicant = desks()
    applicant.sign_in(citizen.username)
    applicant.page.wait_for_url("**/")
    applicant.go(f"/ho-so-cua-toi/{dossier.code}/")
    page = applicant.page
    expect(page.get_by_text("Đã trả kết quả").first).to_be_visible()
    applicant.check()
    timeline = page.locator("ol.timeline")
    for title in (
        "Tiếp nhận hồ sơ",
        "Chuyển xử lý",
        "Chuyển bước xử lý",
        "Cập nhật kết quả giải quyết",
        "Lãnh đạo phê duyệt",
        "Đã xử lý xong",
        "Trả kết quả",
    ):
        assert timeline.get_by_text(title, exact=True).first.is_visible(), title
    expect(timeline.get_by_text("Hồ sơ hợp lệ, đề nghị xác nhận.")).to_be_visible()
    assert "dossier." not in timeline.inner_text()  # every event has a title
    expect(page.get_by_role("link", name="giay-xac-nhan.pdf")).to_be_visible()
