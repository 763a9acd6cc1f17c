"""PAdES signatures (pyHanko): signing with the Decree 30 appearance, and validation.

Signatures are PAdES baseline B-B (ETSI.CAdES.detached, SHA-256, signing-certificate-v2), added as
incremental updates, so a leader's signature stays intact when the agency signs after it.
Validation uses pyHanko's validator with the trust list (`trust.py`) and our revocation records;
`pdfsig_report` runs poppler's `pdfsig` as an independent second opinion.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped, unused-ignore]
from cryptography.hazmat.primitives import serialization
from django.utils import timezone
from pyhanko.pdf_utils import layout as pdf_layout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator.registry import SimpleCertificateStore

from . import keystore
from .appearance import (
    CORNER_BOX_SIZE,
    PERSONAL_BOX_SIZE,
    Appearance,
    DecreeStampStyle,
    draw_seal_image,
    draw_signer_image,
    seal_box,
)
from .conf import setting
from .error_codes import SigningErrorCode
from .errors import SigningError
from .identities import check_usable, key_material, pkcs11_module_path, validate_pkcs11_config
from .models import SigningIdentity
from .trust import from_asn1, revocation_of, run_sync, to_asn1, trust_roots, validation_context

Role = Literal["personal", "agency"]

PERSONAL_FIELD = "ChuKyCaNhan"
AGENCY_FIELD = "ChuKyCoQuan"
MARGIN = 42.0  # points (about 1.5 cm) from the page edge
AGENCY_RED = (0.81, 0.07, 0.15)


# --- reading the PDF ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    name: str
    page: int
    rect: tuple[float, float, float, float]


@dataclass(frozen=True)
class _Layout:
    page_boxes: list[tuple[float, float, float, float]]
    fields: list[_Field]


def _analyse(pdf: bytes) -> _Layout:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf), strict=False)
    boxes: list[tuple[float, float, float, float]] = []
    found: list[_Field] = []
    for index, page in enumerate(reader.pages):
        mb = page.mediabox
        boxes.append((float(mb.left), float(mb.bottom), float(mb.right), float(mb.top)))
        for annot in page.get("/Annots", []) or []:
            obj = annot.get_object()
            name = obj.get("/T") or (obj.get("/Parent") or {}).get("/T")
            if obj.get("/Subtype") != "/Widget" or not name:
                continue
            rect = [float(v) for v in obj.get("/Rect", [0, 0, 0, 0])]
            found.append(
                _Field(
                    str(name),
                    index,
                    (
                        min(rect[0], rect[2]),
                        min(rect[1], rect[3]),
                        max(rect[0], rect[2]),
                        max(rect[1], rect[3]),
                    ),
                )
            )
    return _Layout(page_boxes=boxes, fields=found)


def _lowest_text_y(pdf: bytes, page_index: int) -> float | None:
    """The baseline of the lowest line of text on a page, in PDF points (None: no text)."""
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(pdf), strict=False).pages[page_index]
    ys: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        if text.strip():
            ys.append(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])

    with contextlib.suppress(Exception):  # an unusual content stream: use the default place
        page.extract_text(visitor_text=visit)
    return min(ys) if ys else None


def _page_index(page: int, count: int) -> int:
    index = page if page >= 0 else count + page
    if not 0 <= index < count:
        raise SigningError(
            f"Văn bản không có trang {page + 1 if page >= 0 else page}.",
            code=SigningErrorCode.PAGE_OUT_OF_RANGE,
        )
    return index


def _default_personal_box(
    pdf: bytes, page_index: int, page_box: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """Right half of the page, just below the last line of text; at the bottom when the text
    runs too low."""
    _left, bottom, right, top = page_box
    width, height = PERSONAL_BOX_SIZE
    x2 = right - MARGIN
    x1 = x2 - width
    lowest = _lowest_text_y(pdf, page_index)
    y2 = (lowest - 8) if lowest is not None else bottom + MARGIN + height
    y2 = min(y2, top - MARGIN)
    if y2 - height < bottom + MARGIN / 2:
        y2 = bottom + MARGIN / 2 + height
    return (x1, y2 - height, x2, y2)


def _field_name(prefix: str, layout: _Layout) -> str:
    names = {f.name for f in layout.fields}
    n = 1
    while f"{prefix}{n}" in names:
        n += 1
    return f"{prefix}{n}"


# --- signers -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _signer(identity: SigningIdentity) -> Iterator[Signer]:
    if identity.kind == SigningIdentity.Kind.PKCS11:
        with _pkcs11_signer(identity) as signer:
            yield signer
        return
    material = key_material(identity)
    key_der = material.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    yield signers.SimpleSigner(
        signing_cert=to_asn1(material.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(c) for c in material.chain]),
    )


@contextlib.contextmanager
def _pkcs11_signer(identity: SigningIdentity) -> Iterator[Signer]:
    """A signer whose key stays on the token/HSM (pyHanko's PKCS#11 support). Needs the
    `python-pkcs11` package (pyHanko's [pkcs11] extra) and the vendor's module library."""
    validate_pkcs11_config(identity)
    try:
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11 as p11
    except ImportError as exc:
        raise SigningError(
            "Máy chủ chưa cài thư viện PKCS#11 cho Python (python-pkcs11): chưa ký được bằng "
            "token/HSM.",
            code=SigningErrorCode.PKCS11_UNAVAILABLE,
        ) from exc
    pin: str | None = None
    if identity.secret_encrypted:
        pin = keystore.decrypt_secret(identity.secret_encrypted).decode()
    else:
        pin = setting("SIGNING_PKCS11_PIN") or None
    try:
        session = p11.open_pkcs11_session(
            pkcs11_module_path(),
            slot_no=identity.pkcs11_slot,
            token_criteria=TokenCriteria(label=identity.pkcs11_token_label or None),
            user_pin=pin,
        )
    except Exception as exc:  # the vendor library raises its own errors
        raise SigningError(
            f"Không mở được token/HSM: {exc}", code=SigningErrorCode.PKCS11_SESSION
        ) from exc
    try:
        certs = keystore.load_pem_certificates(identity.certificate_pem)
        chain = keystore.load_pem_certificates(identity.chain_pem)
        yield p11.PKCS11Signer(
            session,
            key_label=identity.pkcs11_key_label,
            signing_cert=to_asn1(certs[0]),
            ca_chain=[to_asn1(c) for c in chain],
            other_certs_to_pull=None,
        )
    finally:
        session.close()


# --- signing -----------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str:
    return timezone.localtime(value or timezone.now()).isoformat(timespec="seconds")


def _personal_style(
    identity: SigningIdentity, appearance: Appearance
) -> tuple[DecreeStampStyle, str]:
    official = identity.official
    full_name = appearance.full_name
    title = appearance.title
    if official is not None:
        full_name = full_name or official.user.get_full_name() or official.user.username
        if not title and official.position_id:
            assert official.position is not None
            title = official.position.name.upper()
    full_name = full_name or keystore.common_name(
        keystore.load_pem_certificates(identity.certificate_pem)[0]
    )
    image = appearance.signer_image or draw_signer_image(full_name)
    lines = tuple(line for line in (appearance.competence, title) if line)
    return (
        DecreeStampStyle(kind="personal", top_lines=lines, name=full_name, image_png=image),
        full_name,
    )


@dataclass(frozen=True)
class _Placement:
    """Where and how one signature is drawn: the same for signing and for its preview."""

    page: int
    box: tuple[float, float, float, float]
    style: DecreeStampStyle
    field_name: str
    reason: str
    signer_name: str


def _check_role(identity: SigningIdentity, role: Role) -> None:
    if role not in ("personal", "agency"):
        raise SigningError("Vai trò ký không hợp lệ.", code=SigningErrorCode.SIGNING_ROLE)
    if role == "personal" and identity.official_id is None:
        raise SigningError(
            "Chữ ký cá nhân cần chứng thư số của một công chức.", code=SigningErrorCode.SIGNING_ROLE
        )
    if role == "agency" and identity.agency_id is None:
        raise SigningError(
            "Chữ ký của cơ quan cần chứng thư số của cơ quan.", code=SigningErrorCode.SIGNING_ROLE
        )


def _open(pdf: bytes) -> tuple[_Layout, IncrementalPdfFileWriter]:
    try:
        layout = _analyse(pdf)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except Exception as exc:  # pypdf and pyHanko raise many kinds of errors on bad input
        raise SigningError("Tệp PDF không đọc được.", code=SigningErrorCode.PDF_INVALID) from exc
    if writer.prev.encrypted:
        raise SigningError("Không ký được tệp PDF đã mã hóa.", code=SigningErrorCode.PDF_ENCRYPTED)
    if not layout.page_boxes:
        raise SigningError("Tệp PDF không có trang nào.", code=SigningErrorCode.PDF_INVALID)
    return layout, writer


def _place(
    pdf: bytes,
    layout: _Layout,
    identity: SigningIdentity,
    role: Role,
    appearance: Appearance,
    personal: list[_Field],
) -> _Placement:
    """Page, box and stamp of a signature; `personal`: the personal signatures already on the
    PDF (an agency seal goes over the last one)."""
    count = len(layout.page_boxes)
    signer_name = keystore.common_name(keystore.load_pem_certificates(identity.certificate_pem)[0])
    if role == "personal":
        page = _page_index(-1 if appearance.page is None else appearance.page, count)
        box = appearance.box or _default_personal_box(pdf, page, layout.page_boxes[page])
        style, signer_name = _personal_style(identity, appearance)
        field_name = _field_name(PERSONAL_FIELD, layout)
        reason = appearance.reason or "Ký ban hành văn bản"
    else:
        assert identity.agency is not None
        agency_name = appearance.title or identity.agency.name
        placement = appearance.placement
        if placement == "auto":
            placement = "seal" if personal else "corner"
        if placement == "seal":
            if not personal:
                raise SigningError(
                    "Văn bản chưa có chữ ký số của người có thẩm quyền để đóng dấu lên.",
                    code=SigningErrorCode.NO_PERSONAL_SIGNATURE,
                )
            page = personal[-1].page
            box = seal_box(personal[-1].rect)
            page_left = layout.page_boxes[page][0]
            if box[0] < page_left:  # a signature box near the left edge: keep the seal on the page
                shift = page_left - box[0]
                box = (box[0] + shift, box[1], box[2] + shift, box[3])
            seal = appearance.seal_image or draw_seal_image(agency_name)
            style = DecreeStampStyle(kind="seal", image_png=seal)
        else:
            page = _page_index(0 if appearance.page is None else appearance.page, count)
            right, top = layout.page_boxes[page][2:]
            width, height = CORNER_BOX_SIZE
            box = (right - MARGIN / 2 - width, top - 8 - height, right - MARGIN / 2, top - 8)
            lines = [agency_name]
            if appearance.number_symbol:
                lines.append(f"Số, ký hiệu: {appearance.number_symbol}")
            lines.append(f"Thời gian ký: {_iso(appearance.signing_time)}")
            style = DecreeStampStyle(kind="corner", corner_lines=tuple(lines), color=AGENCY_RED)
        field_name = _field_name(AGENCY_FIELD, layout)
        reason = appearance.reason or (
            f"Cơ quan ban hành ký số văn bản {appearance.number_symbol}"
            if appearance.number_symbol
            else "Chữ ký số của cơ quan, tổ chức"
        )
    rounded = (round(box[0], 2), round(box[1], 2), round(box[2], 2), round(box[3], 2))
    return _Placement(page, rounded, style, field_name, reason, signer_name)


def sign_pdf(
    pdf: bytes,
    *,
    identity: SigningIdentity,
    role: Role,
    appearance: Appearance | None = None,
) -> bytes:
    """Sign `pdf` (PAdES B-B) with a visible Decree 30 appearance and return the signed PDF.

    role="personal": the signer's box (title, image, name), by default on the last page.
    role="agency": the agency's seal over the personal signature, or on a PDF without one (an
    attachment, an electronic copy) the top-right box of page 1 with the number/symbol and the
    ISO 8601 signing time. Refused (SigningError) for an expired, not yet valid or revoked
    certificate, an identity of the wrong kind for the role, or a PDF that cannot be read.
    """
    appearance = appearance or Appearance()
    _check_role(identity, role)
    check_usable(identity)
    layout, writer = _open(pdf)
    personal = [f for f in layout.fields if f.name.startswith(PERSONAL_FIELD)]
    placement = _place(pdf, layout, identity, role, appearance, personal)

    meta = signers.PdfSignatureMetadata(
        field_name=placement.field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=placement.reason,
        location=appearance.location or None,
        name=placement.signer_name,
    )
    spec = fields.SigFieldSpec(
        sig_field_name=placement.field_name,
        on_page=placement.page,
        box=placement.box,  # type: ignore[arg-type]  # pyHanko takes points as floats too
    )
    output = io.BytesIO()
    with _signer(identity) as signer:
        pdf_signer = signers.PdfSigner(
            meta, signer=signer, stamp_style=placement.style, new_field_spec=spec
        )
        try:
            run_sync(pdf_signer.async_sign_pdf(writer, output=output))
        except (PdfError, ValueError) as exc:
            raise SigningError(
                f"Không ký được tệp PDF: {exc}", code=SigningErrorCode.PDF_SIGN_FAILED
            ) from exc
    return output.getvalue()


def preview_pdf(pdf: bytes, signatures: list[tuple[SigningIdentity, Role, Appearance]]) -> bytes:
    """The PDF as it will look once `signatures` are made one after the other with `sign_pdf`
    (same pages, boxes, titles, names, signer images and seals), drawn as page content and not
    signed: what a signer is shown before confirming. No key is used; the certificates are
    checked as for signing, so a preview is refused where signing would be."""
    layout, writer = _open(pdf)
    personal = [f for f in layout.fields if f.name.startswith(PERSONAL_FIELD)]
    for identity, role, appearance in signatures:
        _check_role(identity, role)
        check_usable(identity)
        placement = _place(pdf, layout, identity, role, appearance, personal)
        x1, y1, x2, y2 = placement.box
        stamp = placement.style.create_stamp(
            writer, pdf_layout.BoxConstraints(width=x2 - x1, height=y2 - y1), {}
        )
        stamp.apply(placement.page, x1, y1)  # type: ignore[arg-type]
        if role == "personal":
            personal.append(_Field(placement.field_name, placement.page, placement.box))
    output = io.BytesIO()
    try:
        writer.write(output)
    except (PdfError, ValueError) as exc:
        raise SigningError(
            f"Không tạo được bản xem trước: {exc}", code=SigningErrorCode.PDF_SIGN_FAILED
        ) from exc
    return output.getvalue()


def page_images(pdf: bytes, *, dpi: int = 72, first: int = 1, last: int = 0) -> list[bytes]:
    """PNG images of the pages `first`..`last` (1-based; 0: to the end) of `pdf`, drawn by
    poppler's `pdftoppm` (poppler-utils, installed by scripts/setup)."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise SigningError(
            "Máy chủ chưa cài poppler-utils (pdftoppm) để vẽ bản xem trước.",
            code=SigningErrorCode.PDFSIG_MISSING,
        )
    with tempfile.TemporaryDirectory(prefix="egov-preview-") as tmp:
        path = Path(tmp) / "document.pdf"
        path.write_bytes(pdf)
        cmd = [exe, "-png", "-r", str(dpi), "-f", str(first)]
        if last:
            cmd += ["-l", str(last)]
        done = subprocess.run(  # noqa: S603 - fixed executable, our own temp file
            [*cmd, str(path), str(Path(tmp) / "page")],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise SigningError(
                "Không vẽ được trang của tệp PDF.", code=SigningErrorCode.PDF_INVALID
            )
        return [p.read_bytes() for p in sorted(Path(tmp).glob("page*.png"))]


# --- validation --------------------------------------------------------------------------------


@dataclass
class SignatureInfo:
    """One signature of a PDF, as the validator sees it."""

    field_name: str
    signer_subject: str  # the certificate's common name
    signer_organisation: str
    signer_dn: str
    serial_hex: str
    signing_time: datetime | None  # claimed by the signer (no timestamp authority)
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the cryptographic signature matches the certificate
    trusted: bool  # the certificate chains to a trust anchor and was valid
    revoked: bool
    coverage: str  # ENTIRE_FILE, ENTIRE_REVISION (later signatures added), ...
    modification_level: str  # what later revisions changed: NONE, FORM_FILLING, ...
    ok: bool  # all of the above
    problems: list[str] = field(default_factory=list)


@dataclass
class PdfValidation:
    valid: bool
    signatures: list[SignatureInfo] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _describe(
    name: str, status: PdfSignatureStatus, revoked: bool, claimed: datetime | None
) -> SignatureInfo:
    cert = from_asn1(status.signing_cert)
    problems: list[str] = []
    who = keystore.common_name(cert)
    if not status.intact:
        problems.append(f"Chữ ký {name} ({who}): nội dung văn bản đã bị thay đổi sau khi ký.")
    elif not status.valid:
        problems.append(f"Chữ ký {name} ({who}): giá trị chữ ký không khớp với chứng thư.")
    if not status.trusted:
        problems.append(
            f"Chữ ký {name} ({who}): chứng thư không thuộc tổ chức chứng thực tin cậy hoặc "
            "không còn hiệu lực."
        )
    if revoked:
        problems.append(f"Chữ ký {name} ({who}): chứng thư đã bị thu hồi.")
    if status.docmdp_ok is False:
        problems.append(f"Chữ ký {name} ({who}): văn bản bị sửa đổi không được phép sau khi ký.")
    coverage = status.coverage.name if status.coverage is not None else "UNKNOWN"
    level = status.modification_level.name if status.modification_level is not None else "UNKNOWN"
    if status.coverage is not None and status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        problems.append(f"Chữ ký {name} ({who}): chữ ký không bao trùm toàn bộ văn bản.")
    signing_time = status.signer_reported_dt or claimed
    return SignatureInfo(
        field_name=name,
        signer_subject=who,
        signer_organisation=keystore.organisation(cert),
        signer_dn=keystore.name_text(cert.subject),
        serial_hex=keystore.serial_hex(cert),
        signing_time=signing_time,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        revoked=revoked,
        coverage=coverage,
        modification_level=level,
        ok=bool(status.bottom_line) and not revoked and not problems,
        problems=problems,
    )


def validate_pdf(pdf: bytes) -> PdfValidation:
    """Validate every signature of a PDF: integrity, cryptographic validity, chain to a trusted
    root (the trust list), our revocation records, and what changed after each signature.
    Never raises for a bad file: the problems are in `errors` (Vietnamese)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_regular_signatures)
    except Exception:  # a file that is not a PDF at all, or broken beyond reading
        return PdfValidation(valid=False, errors=["Tệp PDF bị hỏng hoặc không đọc được."])
    if not embedded:
        return PdfValidation(valid=False, errors=["Tệp PDF không có chữ ký số."])

    infos: list[SignatureInfo] = []
    errors: list[str] = []
    for sig in embedded:
        name = sig.field_name or "?"
        try:
            certs = [from_asn1(c) for c in sig.other_embedded_certs]
            context = validation_context(other_certs=certs)
            status = run_sync(async_validate_pdf_signature(sig, signer_validation_context=context))
        except Exception as exc:  # a malformed signature container
            errors.append(f"Chữ ký {name}: không kiểm tra được ({exc.__class__.__name__}).")
            continue
        path_certs = [status.signing_cert]
        if status.validation_path is not None:
            path_certs = [
                c for c in status.validation_path.iter_certs(include_root=False)
            ] or path_certs
        revoked = any(revocation_of(c) is not None for c in path_certs)
        info = _describe(name, status, revoked, sig.self_reported_timestamp)
        infos.append(info)
        errors.extend(info.problems)
    valid = bool(infos) and not errors and all(i.ok for i in infos)
    return PdfValidation(valid=valid, signatures=infos, errors=errors)


# --- poppler's pdfsig ------------------------------------------------------------------------


def pdfsig_can_use_trust_list() -> bool:
    """pdfsig trusts the roots of an NSS database; `certutil` (libnss3-tools) makes one."""
    return shutil.which("certutil") is not None


def _nss_database(directory: Path) -> None:
    """An NSS database in `directory` trusting our trust list (and nothing else)."""
    certutil = shutil.which("certutil")
    assert certutil is not None
    db = f"sql:{directory}"
    run = {"capture_output": True, "timeout": 60, "check": True}
    subprocess.run([certutil, "-N", "-d", db, "--empty-password"], **run)  # type: ignore[call-overload]  # noqa: S603
    for n, root in enumerate(trust_roots()):
        path = directory / f"root{n}.der"
        path.write_bytes(root.public_bytes(serialization.Encoding.DER))
        subprocess.run(  # type: ignore[call-overload]  # noqa: S603
            [certutil, "-A", "-d", db, "-n", f"root{n}", "-t", "CT,C,C", "-i", str(path)], **run
        )


def pdfsig_report(pdf: bytes, *, use_trust_list: bool = True) -> str:
    """The report of poppler's `pdfsig` (an independent, NSS-based validator) on `pdf`.

    With `use_trust_list` and `certutil` installed, pdfsig runs on a temporary NSS database that
    trusts exactly our trust list, so its "Certificate Validation" line is meaningful. Otherwise
    it uses its default NSS database, which does not know our roots: it then says "Certificate
    issuer isn't Trusted" while still checking the signature itself ("Signature is Valid")."""
    exe = shutil.which("pdfsig")
    if exe is None:
        raise SigningError(
            "Máy chủ chưa cài poppler-utils (pdfsig).", code=SigningErrorCode.PDFSIG_MISSING
        )
    with tempfile.TemporaryDirectory(prefix="egov-pdfsig-") as tmp:
        path = Path(tmp) / "document.pdf"
        path.write_bytes(pdf)
        cmd = [exe]
        if use_trust_list and pdfsig_can_use_trust_list():
            nss = Path(tmp) / "nss"
            nss.mkdir()
            _nss_database(nss)
            cmd += ["-nssdir", f"sql:{nss}"]
        cmd.append(str(path))
        done = subprocess.run(  # noqa: S603 - fixed executable, our own temp file
            cmd, capture_output=True, text=True, timeout=60, check=False
        )
    return (done.stdout + done.stderr).replace(str(path), "document.pdf")
