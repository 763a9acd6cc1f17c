"""PAdES: a decision signed by the leader then by the agency validates with two independent
validators (pyHanko, poppler's pdfsig); tampering, expired, revoked and untrusted certificates
are caught; the appearance is where Decree 30 puts it."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from egov.core.actors import SYSTEM
from egov.signing import ca, services
from egov.signing.appearance import Appearance, image_area, seal_box
from egov.signing.keystore import KeyMaterial
from egov.signing.models import SigningIdentity

pytestmark = pytest.mark.django_db

LEADER_LOOK = Appearance(competence="TM. ỦY BAN NHÂN DÂN", title="CHỦ TỊCH")


def pdfsig_signatures(report: str) -> list[dict[str, str]]:
    """pdfsig's report, one dict per signature (field name, validation lines)."""
    blocks = re.split(r"^Signature #\d+:$", report, flags=re.MULTILINE)[1:]
    result = []
    for block in blocks:
        entry = {}
        for line in block.splitlines():
            match = re.match(r"\s+- ([^:]+): (.*)$", line)
            if match:
                entry[match.group(1)] = match.group(2).strip()
            elif line.strip().startswith("- "):
                entry[line.strip()[2:]] = ""
        result.append(entry)
    return result


def widget_rects(pdf: bytes) -> dict[str, tuple[int, list[float]]]:
    reader = PdfReader(io.BytesIO(pdf))
    found = {}
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots", []) or []:
            obj = annot.get_object()
            if obj.get("/T"):
                found[str(obj["/T"])] = (index, [float(v) for v in obj["/Rect"]])
    return found


@pytest.fixture
def signed_by_leader_and_agency(
    document_pdf: bytes, leader_identity: SigningIdentity, agency_identity: SigningIdentity
) -> bytes:
    once = services.sign_pdf(
        document_pdf, identity=leader_identity, role="personal", appearance=LEADER_LOOK
    )
    return services.sign_pdf(
        once,
        identity=agency_identity,
        role="agency",
        appearance=Appearance(number_symbol="15/QĐ-UBND"),
    )


def test_leader_then_agency_signatures_validate_with_pyhanko(
    signed_by_leader_and_agency: bytes, leader: Any, agency: Any
) -> None:
    result = services.validate_pdf(signed_by_leader_and_agency)

    assert result.valid, result.errors
    assert result.errors == []
    personal, organisation = result.signatures
    assert personal.field_name == "ChuKyCaNhan1"
    assert personal.signer_subject == "Nguyễn Thị Hồng Nhung"
    assert personal.signer_organisation == "Ủy ban nhân dân tỉnh Quảng Ninh"
    assert organisation.field_name == "ChuKyCoQuan1"
    assert organisation.signer_subject == agency.name
    for sig in result.signatures:
        assert sig.intact and sig.valid and sig.trusted and not sig.revoked and sig.ok
        assert sig.signing_time is not None
        assert abs(sig.signing_time - timezone.now()) < timedelta(minutes=5)
    # the agency's signature covers the whole file; the leader's its revision, and what came
    # after it (the agency's signature field) is an allowed change
    assert organisation.coverage == "ENTIRE_FILE"
    assert personal.coverage == "ENTIRE_REVISION"
    assert personal.modification_level == "FORM_FILLING"


def test_leader_then_agency_signatures_validate_with_pdfsig(
    signed_by_leader_and_agency: bytes,
) -> None:
    report = services.pdfsig_report(signed_by_leader_and_agency)
    sigs = pdfsig_signatures(report)

    assert [s["Signature Field Name"] for s in sigs] == ["ChuKyCaNhan1", "ChuKyCoQuan1"]
    assert sigs[0]["Signer Certificate Common Name"] == "Nguyễn Thị Hồng Nhung"
    for sig in sigs:
        assert sig["Signature Validation"] == "Signature is Valid.", report
        assert sig["Signature Type"] == "ETSI.CAdES.detached"
        assert sig["Signing Hash Algorithm"] == "SHA-256"
        if services.pdfsig_can_use_trust_list():
            # pdfsig ran on an NSS database that trusts exactly our trust list
            assert sig["Certificate Validation"] == "Certificate is Trusted.", report
        else:
            # NSS's own store does not know the demo root: only that may be wrong
            assert sig["Certificate Validation"] in (
                "Certificate is Trusted.",
                "Certificate issuer isn't Trusted.",
            ), report
    assert "Not total document signed" in sigs[0]  # the agency signed after the leader
    assert "Total document signed" in sigs[1]


@pytest.mark.skipif(shutil.which("certutil") is None, reason="libnss3-tools not installed")
def test_pdfsig_does_not_trust_a_root_outside_the_trust_list(
    signed_by_leader_and_agency: bytes,
) -> None:
    from egov.signing.models import TrustAnchor

    TrustAnchor.objects.update(is_active=False)
    sigs = pdfsig_signatures(services.pdfsig_report(signed_by_leader_and_agency))
    assert all(s["Signature Validation"] == "Signature is Valid." for s in sigs)
    assert all(s["Certificate Validation"] != "Certificate is Trusted." for s in sigs)


def test_one_altered_byte_fails_both_validators(signed_by_leader_and_agency: bytes) -> None:
    data = bytearray(signed_by_leader_and_agency)
    at = data.index(b"/MediaBox [ 0 0 595") + len(b"/MediaBox [ 0 0 59")
    data[at : at + 1] = b"6"  # the page is now 596 points wide: one byte changed
    tampered = bytes(data)

    result = services.validate_pdf(tampered)
    assert not result.valid
    assert all(not s.intact and not s.ok for s in result.signatures)
    assert any("đã bị thay đổi sau khi ký" in e for e in result.errors)

    sigs = pdfsig_signatures(services.pdfsig_report(tampered))
    assert len(sigs) == 2
    assert all(s["Signature Validation"] != "Signature is Valid." for s in sigs)


def test_bytes_appended_after_signing_are_reported(signed_by_leader_and_agency: bytes) -> None:
    """An unsigned incremental update that changes the page after the last signature."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed_by_leader_and_agency))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/MediaBox"] = generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 300, 300)])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)

    result = services.validate_pdf(out.getvalue())
    assert not result.valid
    assert result.errors


def test_a_file_that_is_not_a_signed_pdf(document_pdf: bytes) -> None:
    assert services.validate_pdf(b"khong phai PDF").errors == [
        "Tệp PDF bị hỏng hoặc không đọc được."
    ]
    assert services.validate_pdf(document_pdf).errors == ["Tệp PDF không có chữ ký số."]


def test_expired_certificate_is_refused_at_signing(
    document_pdf: bytes, demo_ca: Any, leader: Any
) -> None:
    now = timezone.now()
    expired = services.issue_demo_identity(
        actor=SYSTEM,
        official=leader,
        not_before=now - timedelta(days=400),
        not_after=now - timedelta(days=35),
    )
    with pytest.raises(services.SigningError) as exc:
        services.sign_pdf(document_pdf, identity=expired, role="personal", appearance=LEADER_LOOK)
    assert exc.value.code == "certificate_expired"
    expiry = timezone.localtime(expired.not_after).strftime("%d/%m/%Y")
    assert exc.value.message == (
        f"Chứng thư số của Nguyễn Thị Hồng Nhung đã hết hạn ngày {expiry}: không thể ký. "
        "Đề nghị gia hạn hoặc cấp chứng thư mới."
    )


def test_certificate_not_yet_valid_is_refused(
    document_pdf: bytes, demo_ca: Any, leader: Any
) -> None:
    now = timezone.now()
    future = services.issue_demo_identity(
        actor=SYSTEM,
        official=leader,
        not_before=now + timedelta(days=3),
        not_after=now + timedelta(days=300),
    )
    with pytest.raises(services.SigningError, match="chưa có hiệu lực") as exc:
        services.sign_pdf(document_pdf, identity=future, role="personal")
    assert exc.value.code == "certificate_not_yet_valid"


def test_only_expired_certificate_left_is_explained(demo_ca: Any, leader: Any) -> None:
    """identity_for_official names the reason when the official has no usable certificate."""
    services.revoke_identity(actor=SYSTEM, identity=services.identity_for_official(leader))
    with pytest.raises(services.SigningError, match="đã bị thu hồi") as exc:
        services.identity_for_official(leader)
    assert exc.value.code == "certificate_revoked"


def test_revoked_certificate_is_refused_and_its_signatures_reported(
    document_pdf: bytes, leader_identity: SigningIdentity
) -> None:
    signed = services.sign_pdf(document_pdf, identity=leader_identity, role="personal")
    services.revoke_identity(actor=SYSTEM, identity=leader_identity, reason="Mất token")

    leader_identity.refresh_from_db()
    with pytest.raises(services.SigningError) as exc:
        services.sign_pdf(document_pdf, identity=leader_identity, role="personal")
    assert exc.value.code == "certificate_revoked"
    assert "đã bị thu hồi ngày" in exc.value.message

    result = services.validate_pdf(signed)
    assert not result.valid
    assert result.signatures[0].revoked
    assert any("đã bị thu hồi" in e for e in result.errors)


def test_certificate_from_an_untrusted_ca_is_reported_untrusted(
    document_pdf: bytes, demo_ca: Any, leader: Any
) -> None:
    stranger_root = ca.make_root("CA lạ không có trong danh sách tin cậy")
    material: KeyMaterial = ca.issue_certificate(
        stranger_root, common_name="Nguyễn Thị Hồng Nhung", organisation="Cơ quan giả mạo"
    )
    identity = services.store_identity(actor=SYSTEM, material=material, official=leader)

    signed = services.sign_pdf(document_pdf, identity=identity, role="personal")
    result = services.validate_pdf(signed)

    assert not result.valid
    (sig,) = result.signatures
    assert sig.intact and sig.valid and not sig.trusted
    assert any("không thuộc tổ chức chứng thực tin cậy" in e for e in result.errors)


def test_role_must_match_the_identity(
    document_pdf: bytes, leader_identity: SigningIdentity, agency_identity: SigningIdentity
) -> None:
    with pytest.raises(services.SigningError, match="cần chứng thư số của cơ quan"):
        services.sign_pdf(document_pdf, identity=leader_identity, role="agency")
    with pytest.raises(services.SigningError, match="của một công chức"):
        services.sign_pdf(document_pdf, identity=agency_identity, role="personal")
    with pytest.raises(services.SigningError, match="không đọc được"):
        services.sign_pdf(b"%PDF-1.7 hong", identity=leader_identity, role="personal")


def test_agency_seal_overlaps_the_left_third_of_the_signer_image(
    signed_by_leader_and_agency: bytes,
) -> None:
    rects = widget_rects(signed_by_leader_and_agency)
    last_page = len(PdfReader(io.BytesIO(signed_by_leader_and_agency)).pages) - 1
    personal_page, personal = rects["ChuKyCaNhan1"]
    seal_page, seal = rects["ChuKyCoQuan1"]
    assert personal_page == seal_page == last_page
    ix1, _, ix2, _ = image_area(tuple(personal))  # type: ignore[arg-type]
    assert seal[2] == pytest.approx(ix1 + (ix2 - ix1) / 3, abs=0.5)  # right edge at one third
    assert seal[0] < ix1  # and the seal extends to the left of the image
    assert seal == pytest.approx(list(seal_box(tuple(personal))), abs=0.5)  # type: ignore[arg-type]


def test_agency_signature_on_an_attachment_sits_top_right_of_page_one(
    document_pdf: bytes, agency_identity: SigningIdentity
) -> None:
    signed = services.sign_pdf(
        document_pdf,
        identity=agency_identity,
        role="agency",
        appearance=Appearance(number_symbol="15/QĐ-UBND"),
    )
    page, rect = widget_rects(signed)["ChuKyCoQuan1"]
    media = PdfReader(io.BytesIO(signed)).pages[0].mediabox
    assert page == 0
    assert rect[2] > float(media.right) - 40 and rect[3] > float(media.top) - 20
    assert services.validate_pdf(signed).valid


def _render(pdf: bytes, dpi: int = 60) -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(src), str(Path(tmp) / "p")],
            check=True,
        )
        return Image.open(Path(tmp) / "p.png").convert("RGB")


def test_rendered_page_shows_blue_signature_and_red_seal(
    signed_by_leader_and_agency: bytes, document_pdf: bytes
) -> None:
    """What a reader sees: a blue handwritten signature, and a red seal over its left part."""
    dpi = 60
    image = _render(signed_by_leader_and_agency, dpi)
    height = image.height
    rects = widget_rects(signed_by_leader_and_agency)
    scale = dpi / 72

    def pixels(rect: list[float]) -> list[tuple[int, int, int]]:
        x1, y1, x2, y2 = rect
        box = (int(x1 * scale), int(height - y2 * scale), int(x2 * scale), int(height - y1 * scale))
        return list(image.crop(box).get_flattened_data())  # type: ignore[arg-type]

    def blue(p: tuple[int, int, int]) -> bool:
        return p[2] > 120 and p[2] > p[0] + 60

    def red(p: tuple[int, int, int]) -> bool:
        return p[0] > 150 and p[0] > p[1] + 80 and p[0] > p[2] + 60

    personal = rects["ChuKyCaNhan1"][1]
    seal = rects["ChuKyCoQuan1"][1]
    assert sum(map(blue, pixels(personal))) > 50
    assert sum(map(red, pixels(seal))) > 100
    # the unsigned document has neither
    plain = _render(document_pdf, dpi)
    assert sum(map(red, plain.get_flattened_data())) == 0  # type: ignore[arg-type]


def test_two_page_document_is_signed_on_the_last_page(
    leader_identity: SigningIdentity, agency_identity: SigningIdentity
) -> None:
    from weasyprint import HTML

    from egov.signing.tests.conftest import DOCUMENT_HTML

    long_html = DOCUMENT_HTML.replace(
        "</body>", '<p style="page-break-before: always">Phụ lục: danh mục dự án.</p></body>'
    )
    pdf = HTML(string=long_html).write_pdf()
    once = services.sign_pdf(pdf, identity=leader_identity, role="personal")
    twice = services.sign_pdf(once, identity=agency_identity, role="agency")
    rects = widget_rects(twice)
    assert rects["ChuKyCaNhan1"][0] == rects["ChuKyCoQuan1"][0] == 1
    # just below the last line of the second page, not at the foot of the page
    assert rects["ChuKyCaNhan1"][1][3] > 600
    assert services.validate_pdf(twice).valid


def test_pyhanko_runs_from_code_that_already_runs_an_event_loop() -> None:
    """Playwright's sync API keeps an event loop running in the test thread: pyHanko's async
    API then runs in a worker thread instead of failing with "asyncio.run() cannot be called
    from a running event loop"."""
    import asyncio

    from egov.signing.trust import run_sync

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    async def outer() -> int:
        return run_sync(answer())

    assert run_sync(answer()) == 42
    assert asyncio.run(outer()) == 42


def test_preview_draws_what_signing_will_draw_without_signing(
    document_pdf: bytes, leader_identity: SigningIdentity, agency_identity: SigningIdentity
) -> None:
    """The signer's preview: the same page, with the signature box and the seal where signing
    puts them (pixel for pixel at screen resolution), and no signature in it."""
    seal = Appearance(placement="seal")
    planned = [(leader_identity, "personal", LEADER_LOOK), (agency_identity, "agency", seal)]
    preview = services.preview_pdf(document_pdf, planned)  # type: ignore[arg-type]
    assert services.validate_pdf(preview).errors == ["Tệp PDF không có chữ ký số."]
    once = services.sign_pdf(
        document_pdf, identity=leader_identity, role="personal", appearance=LEADER_LOOK
    )
    signed = services.sign_pdf(once, identity=agency_identity, role="agency", appearance=seal)
    [shown] = services.page_images(preview, dpi=50)
    [made] = services.page_images(signed, dpi=50)
    a = Image.open(io.BytesIO(shown)).convert("RGB")
    b = Image.open(io.BytesIO(made)).convert("RGB")
    assert a.size == b.size
    differing = sum(
        1
        for p, q in zip(a.get_flattened_data(), b.get_flattened_data(), strict=True)  # type: ignore[arg-type]
        if max(abs(x - y) for x, y in zip(p, q, strict=True)) > 40
    )
    assert differing < a.size[0] * a.size[1] * 0.002
    # and the preview does differ from the unsigned page: the box and the seal are drawn
    [plain] = services.page_images(document_pdf, dpi=50)
    c = Image.open(io.BytesIO(plain)).convert("RGB")
    pairs = zip(a.get_flattened_data(), c.get_flattened_data(), strict=True)  # type: ignore[arg-type]
    assert sum(1 for p, q in pairs if p != q) > 500
