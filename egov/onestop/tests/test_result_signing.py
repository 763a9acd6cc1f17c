"""The result as an electronic original: the leader who approves signs it (PAdES, with the
agency's seal where the procedure asks for it), confirmed by a fresh authenticator code; a wrong
code, a result that is not a PDF or a missing certificate change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.catalog.models import Procedure
from egov.conftest import fresh_totp
from egov.core.actors import SYSTEM
from egov.core.errors import DomainError
from egov.dossiers.models import DossierFile, Status
from egov.dossiers.tests.conftest import pdf_upload
from egov.events.models import Event
from egov.onestop import services
from egov.onestop.models import SignedResult, StepStatus
from egov.signing import services as signing

from .conftest import act

pytestmark = pytest.mark.django_db


def certificate_pdf() -> bytes:
    from weasyprint import HTML

    html = (
        '<html lang="vi"><body style="font-family: serif"><h1>GIẤY KHAI SINH</h1>'
        "<p>Họ, chữ đệm, tên: Nguyễn An Khang</p><p>Ngày sinh: 02/11/2026</p></body></html>"
    )
    return bytes(HTML(string=html).write_pdf())


@pytest.fixture(scope="session")
def hierarchy() -> signing.DemoHierarchy:
    return signing.make_demo_hierarchy()


@pytest.fixture
def sealed(
    procedure: Procedure, staff: Any, hierarchy: signing.DemoHierarchy, give_totp
) -> Procedure:  # type: ignore[no-untyped-def]
    Procedure.objects.filter(pk=procedure.pk).update(electronic_original=True, result_sealed=True)
    signing.ensure_demo_ca(actor=SYSTEM, hierarchy=hierarchy)
    give_totp(staff.leader.user)
    procedure.refresh_from_db()
    return procedure


def at_leader(staff: Any, procedure: Procedure, upload: Any = None) -> Any:
    dossier = services.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=services.Applicant("citizen", "Lê Thị Hoa", "022195001234", "0912345678"),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )
    services.forward(actor=act(staff.specialist), dossier=dossier.code)
    services.record_result(
        actor=act(staff.head),
        dossier=dossier.code,
        upload=upload
        or SimpleUploadedFile("giay-khai-sinh.pdf", certificate_pdf(), "application/pdf"),
    )
    services.forward(actor=act(staff.head), dossier=dossier.code)
    dossier.refresh_from_db()
    return dossier


def test_leader_signs_the_result_in_the_approval_and_it_validates(staff, sealed):  # type: ignore[no-untyped-def]
    dossier = at_leader(staff, sealed)
    draft = services.result_draft(dossier)
    signed = services.approve_and_sign(
        actor=act(staff.leader), dossier=dossier.code, code=fresh_totp(), note="Đồng ý"
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.DONE
    assert signed.draft == draft and signed.source == SignedResult.Source.APPROVAL
    assert signed.sealed_by == staff.leader.agency.name
    assert services.electronic_original(dossier) == signed
    content = signed.file.file.read()
    check = signing.validate_pdf(content)
    assert check.valid, check.errors
    # the leader's signature, then the agency's seal over it
    names = [s.field_name for s in check.signatures]
    assert names == ["ChuKyCaNhan1", "ChuKyCoQuan1"]
    assert check.signatures[0].signer_subject == staff.leader.user.get_full_name()
    # the specialist's upload stays as the draft, unchanged
    assert DossierFile.objects.get(pk=draft.pk).sha256 == draft.sha256
    types = list(
        Event.objects.filter(subject_id=dossier.code)
        .order_by("id")
        .values_list("event_type", flat=True)
    )
    assert types[-3:] == ["dossier.result_signed", "dossier.approved", "dossier.done"]


def test_plain_approval_is_refused_where_the_result_must_be_signed(staff, sealed):  # type: ignore[no-untyped-def]
    dossier = at_leader(staff, sealed)
    with pytest.raises(DomainError) as refused:
        services.forward(actor=act(staff.leader), dossier=dossier.code)
    assert refused.value.code == "result_signature_required"
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING


def test_wrong_code_signs_nothing_and_approves_nothing(staff, sealed):  # type: ignore[no-untyped-def]
    dossier = at_leader(staff, sealed)
    before = (dossier.version, DossierFile.objects.count(), Event.objects.count())
    with pytest.raises(DomainError) as refused:
        services.approve_and_sign(actor=act(staff.leader), dossier=dossier.code, code="000000")
    assert refused.value.code == "second_factor_invalid"
    dossier.refresh_from_db()
    assert (dossier.version, DossierFile.objects.count(), Event.objects.count()) == before
    assert not SignedResult.objects.exists()
    assert dossier.steps.get(status=StepStatus.ACTIVE).role == "leader"


def test_a_result_that_is_not_a_pdf_is_refused_clearly(staff, sealed):  # type: ignore[no-untyped-def]

    image = SimpleUploadedFile("ket-qua.png", _png(), "image/png")
    dossier = at_leader(staff, sealed, upload=image)
    with pytest.raises(DomainError) as refused:
        services.approve_and_sign(actor=act(staff.leader), dossier=dossier.code, code=fresh_totp())
    assert refused.value.code == "result_not_pdf"
    assert "không phải tệp PDF" in refused.value.message
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING and not SignedResult.objects.exists()


def test_a_leader_without_a_certificate_cannot_approve(staff, sealed):  # type: ignore[no-untyped-def]
    dossier = at_leader(staff, sealed)
    signing.SigningIdentity.objects.filter(official=staff.leader).update(
        not_after="2020-01-01T00:00:00Z"
    )
    with pytest.raises(DomainError) as refused:
        services.approve_and_sign(actor=act(staff.leader), dossier=dossier.code, code=fresh_totp())
    assert refused.value.code == "certificate_expired"
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING and not SignedResult.objects.exists()


def test_an_uploaded_result_already_signed_counts_as_an_electronic_original(staff, sealed):  # type: ignore[no-untyped-def]
    identity = signing.identity_for_official(staff.leader)
    already = signing.sign_pdf(certificate_pdf(), identity=identity, role="personal")
    upload = SimpleUploadedFile("ket-qua-da-ky.pdf", already, "application/pdf")
    dossier = at_leader(staff, sealed, upload=upload)
    found = services.electronic_original(dossier)
    assert found is not None and found.source == SignedResult.Source.UPLOAD
    # an unsigned upload is not one
    plain = at_leader(staff, sealed)
    assert services.electronic_original(plain) is None


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(out, format="PNG")
    return out.getvalue()


def test_the_preview_is_for_the_leader_who_signs_only(staff, sealed, client, login_with_mfa):  # type: ignore[no-untyped-def]
    dossier = at_leader(staff, sealed)
    base = f"/mot-cua/ho-so/{dossier.code}/ket-qua/"
    login_with_mfa(staff.specialist.user)
    assert client.get(base + "xem-truoc-trang-1.png").status_code == 404
    client.logout()
    login_with_mfa(staff.leader.user)
    page = client.get(f"/mot-cua/ho-so/{dossier.code}/")
    assert "Kết quả sẽ ký số" in page.content.decode()
    image = client.get(base + "xem-truoc-trang-1.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
    preview = client.get(base + "xem-truoc.pdf")
    assert preview.status_code == 200 and preview.content[:5] == b"%PDF-"
    assert signing.validate_pdf(preview.content).errors == ["Tệp PDF không có chữ ký số."]


def test_the_api_approves_by_signing_with_a_code(staff, sealed, client, login_with_mfa):  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    dossier = at_leader(staff, sealed)
    login_with_mfa(staff.leader.user)
    url = f"/api/v1/onestop/dossiers/{dossier.code}/"
    refused = client.post(url + "forward/", {}, content_type="application/json")
    assert refused.status_code in (400, 409)
    assert refused.json()["code"] == "result_signature_required"
    cache.clear()  # the login's code may be the current one
    done = client.post(
        url + "approve-sign/", {"code": fresh_totp(), "note": ""}, content_type="application/json"
    )
    assert done.status_code == 200, done.content
    assert done.json()["signed_result"]["sealed_by"] == staff.leader.agency.name


def test_every_starter_procedure_promising_an_electronic_original_signs_it() -> None:
    """The procedure page's promise ("bản chính điện tử") is kept: such a procedure is flagged,
    so its approval signs the result."""
    import json

    from egov.catalog.starter import STARTER_PATH

    for item in json.loads(STARTER_PATH.read_text(encoding="utf-8"))["procedures"]:
        if "bản chính điện tử" in (item.get("result_description") or "").lower():
            assert item.get("electronic_original") is True, item["code"]
            assert item.get("result_signing_basis"), item["code"]
