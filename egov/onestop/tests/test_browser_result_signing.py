"""In a real browser: the leader opens a dossier awaiting approval whose result is an electronic
original, sees the preview of what will be signed (the page with their name, position and the
agency's seal), enters a wrong code (an error, nothing signed), then the right one; the citizen
then downloads the result, which the page calls "Bản chính điện tử (đã ký số)" with who signed
and when, and the file validates."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from egov.accounts.services import verify_identity_by_eid
from egov.catalog.models import Procedure
from egov.conftest import check_page, fresh_totp
from egov.core.actors import SYSTEM
from egov.dossiers.models import Dossier, Status
from egov.dossiers.tests.conftest import pdf_upload
from egov.onestop import services
from egov.onestop.models import SignedResult
from egov.signing import services as signing

from .conftest import act
from .test_browser_onestop import Desk, desks, media  # noqa: F401 - fixtures
from .test_result_signing import certificate_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def another_code(secret: str, used: str) -> str:
    """A valid code other than `used` (each code is accepted once): the current one, or, when
    that is the one used to log in, the previous window's (still accepted, tolerance 1)."""
    code = fresh_totp(secret)  # at least 10 s left in its window
    return code if code != used else fresh_totp(secret, margin=0, steps_ago=1)


def test_leader_previews_signs_with_a_code_and_the_citizen_gets_the_signed_result(  # type: ignore[no-untyped-def]
    desks,  # noqa: F811
    staff,
    procedure,
    make_citizen,
    give_totp,
):
    Procedure.objects.filter(pk=procedure.pk).update(electronic_original=True, result_sealed=True)
    signing.ensure_demo_ca(actor=SYSTEM)
    citizen = make_citizen(personal_id="022195001234")
    verify_identity_by_eid(user=citizen, id_number="022195001234")
    secret = pyotp.random_base32()
    give_totp(staff.leader.user, secret)
    dossier = services.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=services.Applicant("citizen", citizen.get_full_name(), "022195001234"),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )
    services.forward(actor=act(staff.specialist), dossier=dossier.code)
    draft = SimpleUploadedFile("giay-xac-nhan.pdf", certificate_pdf(), "application/pdf")
    services.record_result(actor=act(staff.head), dossier=dossier.code, upload=draft)
    services.forward(actor=act(staff.head), dossier=dossier.code)
    leader_name = staff.leader.user.get_full_name()
    # People's names; "H" of the agency code in dossier codes (000.00.00.H41-…); "byte", the
    # unit Django's file sizes use in Vietnamese.
    names = (*leader_name.split(), *citizen.get_full_name().split(), "H", "byte")

    # 1. The leader opens the dossier awaiting approval and sees what will be signed.
    leader = desks()
    leader.page.set_viewport_size({"width": 1366, "height": 768})
    leader.sign_in("lanhdao")  # password; the second factor below, with the code kept
    page = leader.page
    page.wait_for_url("**/accounts/2fa/authenticate/")
    login_code = fresh_totp(secret)
    page.get_by_label("Mã xác thực").fill(login_code)
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url("**/lam-viec/")
    leader.open_from_queue(dossier.code)
    page = leader.page
    preview = page.get_by_role("region", name="Kết quả sẽ ký số")
    expect(preview.get_by_text(leader_name).first).to_be_visible()
    expect(preview.get_by_text(staff.leader.agency.name).first).to_be_visible()
    image = preview.get_by_role("img", name="Trang 1 của kết quả sẽ ký")
    image.wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.preview-page img')].every("
        "i => i.complete && i.naturalWidth > 300)"
    )
    assert "dấu của" in (image.get_attribute("alt") or "")
    # A plain approval is not offered: the approval is the signature.
    expect(page.get_by_role("button", name="Phê duyệt", exact=True)).to_have_count(0)
    check_page(page, allow=names)
    # On a phone the preview fits the screen's width.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    box = image.bounding_box()
    assert box is not None and box["width"] <= 390
    page.set_viewport_size({"width": 1366, "height": 768})

    # 2. A wrong code: an error, nothing signed, still waiting for approval.
    page.get_by_label("Mã xác thực").fill("000000")
    page.get_by_role("button", name="Ký số và phê duyệt").click()
    page.wait_for_url("**/thao-tac/approve_sign/")
    expect(page.get_by_text("Mã xác thực không đúng").first).to_be_visible()
    assert not SignedResult.objects.exists()
    assert Dossier.objects.get(pk=dossier.pk).status == Status.PROCESSING
    check_page(page, allow=names)
    # The refused confirmation comes back as 400 (the form again, with its error), which the
    # browser logs as a failed load: expected here, once, and nothing else.
    assert leader.errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    leader.errors.clear()

    # 3. The right code: signed and approved.
    page.get_by_label("Mã xác thực").fill(another_code(secret, login_code))
    page.get_by_role("button", name="Ký số và phê duyệt").click()
    page.wait_for_url(f"**/mot-cua/ho-so/{dossier.code}/")
    leader.says("Đã phê duyệt và ký số kết quả")
    expect(page.get_by_text("Bản chính điện tử (đã ký số)").first).to_be_visible()
    assert Dossier.objects.get(pk=dossier.pk).status == Status.DONE
    check_page(page, allow=names)

    # 4. The citizen downloads the electronic original from "Hồ sơ của tôi".
    applicant = desks()
    applicant.sign_in(citizen.username)
    applicant.page.wait_for_url("**/")
    applicant.go(f"/ho-so-cua-toi/{dossier.code}/")
    page = applicant.page
    results = page.get_by_role("region", name="Kết quả giải quyết")
    expect(results.get_by_text("Bản chính điện tử (đã ký số)")).to_be_visible()
    expect(results.get_by_text(f"Ký số bởi {leader_name}")).to_be_visible()
    expect(results.get_by_text(staff.leader.agency.name)).to_be_visible()
    # the specialist's draft is not handed out, only its signed copy
    expect(results.get_by_role("link")).to_have_count(1)
    check_page(page, allow=names)
    with page.expect_download() as download:
        results.get_by_role("link", name="Tải bản chính điện tử").click()
    assert download.value.suggested_filename.endswith("-ban-chinh-dien-tu.pdf")
    check = signing.validate_pdf(Path(download.value.path()).read_bytes())
    assert check.valid, check.errors
    assert check.signatures[0].signer_subject == leader_name
