"""The one place where the exchange uses digital signatures (the signing app's public API).

- `sign_root(root, agency=)`: XML signature (signxml, enveloped) with the agency's certificate.
- `verify(raw)`: the XML signature checks out and chains to the trust list.
- `signer_matches(verification, organ)`: the certificate belongs to the organ named in From.
- `check_pdf(data)`: PAdES signatures inside an attached PDF are intact (unsigned PDFs pass).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from egov.core.errors import DomainError

from .edxml import Organ
from .error_codes import ExchangeErrorCode

if TYPE_CHECKING:
    from egov.org.models import Agency


@dataclass
class Verification:
    valid: bool
    signer_subject: str = ""  # the certificate's common name (or its whole subject)
    errors: list[str] = field(default_factory=list)
    signer_organisation: str = ""


def sign_root(root: Any, *, agency: Agency) -> Any:
    """Sign an edXML element with the agency's organisation certificate (SigningError if it
    has none, or it is expired or revoked). The signature goes where the element's
    `ds:Signature Id="placeholder"` stands (SDK/BKAV: in edXMLHeader), else last in the root."""
    from lxml import etree  # type: ignore[import-untyped, unused-ignore]

    from egov.signing.services import identity_for_agency, sign_xml

    identity = identity_for_agency(agency)
    try:
        return sign_xml(root, identity=identity)
    except etree.XMLSyntaxError as exc:
        # The XML signer re-parses the package with libxml2's default limits: one attachment
        # over ~7 MB (10 MB of base64 text) is refused there.
        raise DomainError(
            "Không ký được gói tin: có tệp đính kèm quá lớn cho bộ ký XML (mỗi tệp tối đa "
            f"khoảng 7 MB). Chi tiết: {exc}",
            code=ExchangeErrorCode.PACKAGE_SIGN_FAILED,
        ) from None


def verify(raw: bytes) -> Verification:
    from egov.signing.services import verify_xml

    result = verify_xml(raw)
    return Verification(
        valid=bool(result.valid),
        signer_subject=str(result.signer_subject or ""),
        errors=[str(e) for e in (result.errors or [])],
        signer_organisation=str(getattr(result, "signer_organisation", "") or ""),
    )


def _fold(text: str) -> str:
    """Case- and accent-insensitive, whitespace-collapsed form for comparing names."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip().casefold()


def _subject_values(subject: str) -> list[str]:
    """The subject itself, and if it is an RFC 4514 name ("CN=...,O=...") its values."""
    values = [subject]
    for part in re.split(r"(?<!\\),", subject):
        if "=" in part:
            values.append(part.split("=", 1)[1].replace("\\", "").strip())
    return values


def signer_matches(verification: Verification, organ: Organ, known_name: str = "") -> bool:
    """Does the signing certificate belong to `organ`? Yes when its subject carries the organ's
    identifier, or its common or organisation name is the organ's name (accents and case
    aside; X.509 names stop at 64 characters, so a cut-off name matches its beginning).

    `known_name` is the name this platform has on record for the organ (its agency, or its
    external endpoint): when given, it is what the certificate must name, not the name the
    package claims. Setting EXCHANGE_REQUIRE_SIGNER_MATCH = False turns the check off."""
    if not getattr(settings, "EXCHANGE_REQUIRE_SIGNER_MATCH", True):
        return True
    names = [verification.signer_subject, verification.signer_organisation]
    if organ.organ_id and any(organ.organ_id in n for n in names if n):
        return True
    wanted = _fold(known_name or organ.organ_name)
    if not wanted:
        return False
    for name in names:
        for value in _subject_values(name) if name else []:
            folded = _fold(value)
            if folded and (folded == wanted or (len(folded) >= 60 and wanted.startswith(folded))):
                return True
    return False


@dataclass
class PdfCheck:
    ok: bool
    signed: bool
    errors: list[str] = field(default_factory=list)


def check_pdf(data: bytes) -> PdfCheck | None:
    """The PAdES signatures of an attached PDF, or None when no validator is available.

    A PDF without any signature dictionary (no /ByteRange) is an unsigned attachment and
    passes; one with signatures passes only if every signature validates."""
    try:
        from egov.signing.services import validate_pdf
    except ImportError:  # pragma: no cover - the signing app always ships one
        return None
    if b"/ByteRange" not in data:
        return PdfCheck(ok=True, signed=False)
    result = validate_pdf(data)
    return PdfCheck(
        ok=bool(result.valid),
        signed=True,
        errors=[str(e) for e in (result.errors or [])],
    )
