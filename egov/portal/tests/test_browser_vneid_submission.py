"""Issue #18's acceptance, end to end in a real browser with the stand-in identity provider: a
citizen presses "Đăng nhập bằng VNeID", picks An (level 2) at the stand-in and consents, opens the
procedure that asks for level 2, accepts the prefill, sees the verified fields filled and marked
"Đã xác thực qua VNeID", submits and sees the dossier; Bình, logged in the same way at level 1, is
refused on the same procedure with the explanation. Nothing here is written to the database by
hand but the accounts and the procedure: the identity links are the login's."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from egov.conftest import check_page as _check_page
from egov.dossiers.models import Dossier
from egov.events.models import Event
from egov.identity.models import IdentityLink
from egov.identity.prefill import VERIFIED_MARK
from egov.identity.standin import DEMO_CITIZENS
from egov.identity.tests.support import identity_standin  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CITIZEN = {c.key: c for c in DEMO_CITIZENS}
LEVEL_2_HEADING = "Thủ tục này yêu cầu tài khoản định danh điện tử mức độ 2"


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def check_page(page) -> None:  # type: ignore[no-untyped-def]
    # base.html's flash messages are a <ul role="status"> axe refuses (as in the other portal
    # journeys' tests); the rest of each page is checked. The stand-in's An has an e-mail at
    # example.com, which the consent panel lists.
    _check_page(page, exclude=(".messages",), allow=("example",))


def log_in_with_vneid(page, form_path: str, key: str) -> None:  # type: ignore[no-untyped-def]
    """From the procedure's form, anonymous: the login page, "Đăng nhập bằng VNeID", the
    stand-in's page (pick the citizen, consent), and back on the form."""
    page.goto(page.base_url + form_path)
    expect(page.get_by_role("heading", name="Đăng nhập", exact=True)).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Đăng nhập bằng VNeID").click()
    expect(
        page.get_by_role("heading", name="Đăng nhập bằng tài khoản định danh điện tử")
    ).to_be_visible()
    page.get_by_label(re.compile(CITIZEN[key].name)).check()
    page.get_by_role("button", name="Đồng ý").click()
    page.wait_for_url(page.base_url + form_path)
    expect(page.get_by_role("button", name="Đăng xuất")).to_have_count(1)


def test_vneid_login_prefill_submission_and_the_level_one_refusal(
    page,
    identity_standin,  # noqa: F811
    record_procedure,
    make_citizen,
):
    # The procedure asks for a level-2 eID account (set by the fixture: min_identity_level=2).
    assert record_procedure.min_identity_level == 2
    an, binh = CITIZEN["an"], CITIZEN["binh"]
    make_citizen(an.personal_id)  # An and Bình have accounts, as in the demo
    make_citizen(binh.personal_id)
    form_path = f"/thu-tuc/{record_procedure.code}/nop-ho-so/"

    # An, level 2: logs in through the stand-in and lands back on the form.
    log_in_with_vneid(page, form_path, "an")
    offer = page.get_by_role("region", name="Điền sẵn từ thông tin định danh điện tử (VNeID)")
    expect(offer).to_be_visible()
    expect(offer.get_by_text(an.name)).to_be_visible()
    expect(offer.get_by_text("12/03/1985")).to_be_visible()
    expect(page.locator(".verified-mark")).to_have_count(0)
    check_page(page)

    offer.get_by_role("button", name="Đồng ý và điền sẵn từ VNeID").click()
    expect(page.locator(".verified-mark")).to_have_count(6)
    expect(page.locator(".verified-mark").first).to_contain_text(VERIFIED_MARK)
    name = page.get_by_role("textbox", name=f"Họ, chữ đệm, tên {VERIFIED_MARK}")
    expect(name).to_have_value(an.name)
    expect(name).to_have_attribute("readonly", "readonly")
    expect(page.get_by_role("textbox", name=f"Số định danh cá nhân {VERIFIED_MARK}")).to_have_value(
        an.personal_id
    )
    expect(page.get_by_role("textbox", name=f"Giới tính {VERIFIED_MARK}")).to_have_value("Nam")
    expect(page.get_by_label("Ngày, tháng, năm sinh")).to_have_value(an.birthdate)
    expect(page.get_by_role("textbox", name=f"Nơi cư trú {VERIFIED_MARK}")).to_have_value(
        an.address
    )
    purpose = page.get_by_label("Mục đích sử dụng phiếu", exact=True)
    expect(purpose).not_to_have_attribute("readonly", "readonly")
    check_page(page)

    purpose.fill("Bổ sung hồ sơ xin việc")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_url("**/kiem-tra/")
    expect(page.get_by_role("heading", name="Kiểm tra lại thông tin")).to_be_visible()
    expect(page.locator(".verified-mark")).to_have_count(6)
    check_page(page)

    page.get_by_label("Tôi cam đoan").check()
    page.get_by_role("button", name="Xác nhận và gửi hồ sơ").click()
    page.wait_for_url("**/da-nop/**")
    expect(page.get_by_role("heading", name="Đã gửi hồ sơ")).to_be_visible()
    dossier = Dossier.objects.get()
    expect(page.get_by_text(dossier.code).first).to_be_visible()
    check_page(page)
    assert dossier.form_data["to-khai"]["full_name"] == an.name
    assert dossier.form_data["to-khai"]["personal_id"] == an.personal_id
    event = Event.objects.get(event_type="dossier.submitted", subject_id=dossier.code)
    assert event.payload["identity_level"] == 2 and len(event.payload["verified_fields"]) == 6

    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_have_count(0)

    # Bình, level 1: logs in the same way and is refused on the same procedure.
    log_in_with_vneid(page, form_path, "binh")
    expect(page.get_by_role("heading", level=1, name=LEVEL_2_HEADING)).to_be_visible()
    expect(
        page.get_by_text("Tài khoản của bạn hiện là tài khoản định danh điện tử mức độ 1.")
    ).to_be_visible()
    expect(page.get_by_text("kích hoạt tài khoản định danh điện tử mức độ 2")).to_be_visible()
    expect(page.get_by_role("button", name="Tiếp tục")).to_have_count(0)
    expect(page.get_by_role("button", name="Đồng ý và điền sẵn từ VNeID")).to_have_count(0)
    # The refusal is a 403 page on purpose: Chromium's note of that status is not a page error.
    page.console_errors[:] = [e for e in page.console_errors if "403 (Forbidden)" not in e]
    check_page(page)
    assert Dossier.objects.count() == 1
    levels = dict(IdentityLink.objects.values_list("user__username", "level"))
    assert levels == {an.personal_id: 2, binh.personal_id: 1}
