"""The one place where the exchange uses digital signatures (the signing app's public API).

- `sign_root(root, agency=)`: XML signature (signxml, enveloped) with the agency's certificate.
- `verify(raw)`: the XML signature checks out and chains to the trust list; if not, whether
  that is proven (`proven_bad`: altered, revoked) or only that we cannot tell (no signature,
  a form or algorithm we do not check, a certificate outside the trust list).
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

from .edxml import DSIG_NS, NS, Organ
from .error_codes import ExchangeErrorCode

if TYPE_CHECKING:
    from egov.org.models import Agency


@dataclass
class Verification:
    valid: bool
    signer_subject: str = ""  # the certificate's common name (or its whole subject)
    errors: list[str] = field(default_factory=list)
    signer_organisation: str = ""
    # Not valid, and shown to be bad: the signed content or the signature value does not match
    # (altered), or the certificate is revoked. Not valid and not proven bad: we cannot tell.
    proven_bad: bool = False
    intact: bool = False  # the signature value and digests match (signer_subject is real)

    @property
    def unverifiable(self) -> bool:
        return not self.valid and not self.proven_bad

    @property
    def reason(self) -> str:
        return "; ".join(self.errors) or "không xác minh được."


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


# What signxml verifies for us (and we sign with); SHA-1 (rsa-sha1, sha1 digests), which
# deployed senders still use, is refused by signxml by default and is not forced through here.
_SHA1_ALGORITHMS = {
    f"{DSIG_NS}rsa-sha1",
    f"{DSIG_NS}dsa-sha1",
    f"{DSIG_NS}hmac-sha1",
    f"{DSIG_NS}sha1",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
}
_HASHES = ("sha224", "sha256", "sha384", "sha512")
_SIGNATURE_METHODS = {
    *(f"http://www.w3.org/2001/04/xmldsig-more#rsa-{h}" for h in _HASHES),
    *(f"http://www.w3.org/2001/04/xmldsig-more#ecdsa-{h}" for h in _HASHES),
    "http://www.w3.org/2009/xmldsig11#dsa-sha256",
}
_DIGEST_METHODS = {
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmlenc#sha512",
    "http://www.w3.org/2001/04/xmldsig-more#sha224",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
}


def _cannot_verify(reason: str, signer_subject: str = "") -> Verification:
    return Verification(valid=False, errors=[reason], signer_subject=signer_subject)


def _rebuilt_in_dsig(element: Any) -> Any:
    """A copy of an edXML-namespaced xmldsig structure as its signer wrote it: a Java signer's
    `<Signature xmlns="...xmldsig#">` with unprefixed descendants, re-serialized without that
    declaration so that they fell into the edXML default namespace. The declaration is put back:
    the elements in the edXML namespace go to the xmldsig namespace, as the default namespace;
    elements in other namespaces (dsig11:, xades:) and the prefixes declared keep theirs, so
    that inclusive c14n of SignedInfo sees the namespaces the signer's did."""
    from lxml import etree  # type: ignore[import-untyped, unused-ignore]

    def tag_of(source: Any) -> str:
        name = etree.QName(source)
        return f"{{{DSIG_NS}}}{name.localname}" if name.namespace == NS else source.tag

    def declared(source: Any, above: dict[str | None, str]) -> dict[str | None, str]:
        """The prefixes `source` declares (or redeclares) itself; a default namespace only when
        it is not edXML's (the one the signer's xmldsig default namespace became)."""
        mine = {p: u for p, u in source.nsmap.items() if above.get(p) != u}
        if mine.get(None) == NS:
            del mine[None]
        return mine

    def copy(source: Any, parent: Any) -> None:
        target = etree.SubElement(
            parent, tag_of(source), dict(source.attrib), nsmap=declared(source, source_map(source))
        )
        target.text, target.tail = source.text, source.tail
        for child in source:
            if isinstance(child.tag, str):
                copy(child, target)

    def source_map(source: Any) -> dict[str | None, str]:
        up = source.getparent()
        return dict(up.nsmap) if up is not None else {}

    top_map: dict[str | None, str] = {p: u for p, u in element.nsmap.items() if p is not None}
    top_map[None] = DSIG_NS
    top = etree.Element(tag_of(element), dict(element.attrib), nsmap=top_map)
    top.text, top.tail = element.text, element.tail
    for child in element:
        if isinstance(child.tag, str):
            copy(child, top)
    return top


def _header_signature(root: Any) -> tuple[Any | None, str]:
    """The edXML-namespaced Signature in edXMLHeader (bare or inside DigitalSignature) when it
    has the xmldsig structure; else None and why it cannot be checked ("" if there is none)."""
    header = root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    if header is None:
        return None, ""
    found = [el for el in header if el.tag in (f"{{{NS}}}Signature", f"{{{NS}}}DigitalSignature")]
    if not found:
        return None, ""
    if len(found) > 1:
        return None, "Gói tin có nhiều chữ ký trong edXMLHeader."
    element = found[0]
    if element.tag == f"{{{NS}}}DigitalSignature":
        inner = element.find(f"{{{NS}}}Signature")
        element = inner if inner is not None else element
    if (
        element.find(f"{{{NS}}}SignedInfo") is None
        or element.find(f"{{{NS}}}SignatureValue") is None
    ):
        return None, (
            f"Chữ ký trong edXMLHeader ({element.tag.split('}')[-1]}) không theo cấu trúc XML "
            "Signature: không kiểm tra được."
        )
    return element, ""


def _precheck(signature_element: Any) -> str:
    """Why a ds:Signature is in a form we do not check ("" when we can check it)."""
    signed_info = signature_element.find(f"{{{DSIG_NS}}}SignedInfo")
    if signed_info is None:
        return "Chữ ký số thiếu SignedInfo: không kiểm tra được."
    method = signed_info.find(f"{{{DSIG_NS}}}SignatureMethod")
    algorithms = [method.get("Algorithm", "") if method is not None else ""]
    references = signed_info.findall(f"{{{DSIG_NS}}}Reference")
    for reference in references:
        digest = reference.find(f"{{{DSIG_NS}}}DigestMethod")
        algorithms.append(digest.get("Algorithm", "") if digest is not None else "")
    if any(a in _SHA1_ALGORITHMS for a in algorithms):
        return (
            "Chữ ký số dùng thuật toán SHA-1 ("
            + ", ".join(a.rsplit("#", 1)[-1] for a in algorithms)
            + "), không còn được chấp nhận để xác minh tự động."
        )
    if algorithms[0] not in _SIGNATURE_METHODS or any(
        a not in _DIGEST_METHODS for a in algorithms[1:]
    ):
        return f"Chữ ký số dùng thuật toán không hỗ trợ ({', '.join(algorithms)})."
    if len(references) != 1 or references[0].get("URI") != "":
        return 'Chữ ký số không ký toàn bộ gói tin (một tham chiếu URI=""): không kiểm tra được.'
    if signature_element.find(f".//{{{DSIG_NS}}}X509Certificate") is None:
        return "Chữ ký số không kèm chứng thư của người ký: không kiểm tra được."
    return ""


def verify(raw: bytes) -> Verification:
    """Verify the package's XML signature: the xmldsig `Signature`, or, when there is none, an
    edXML-namespaced one with the xmldsig structure in edXMLHeader, checked on a copy where it
    is moved back to the xmldsig namespace (valid when it verifies there; altered when the
    signature value matches there and a digest does not; otherwise we cannot tell)."""
    from lxml import etree  # type: ignore[import-untyped, unused-ignore]

    from egov.signing.services import verify_xml

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw:
        return _cannot_verify("Tài liệu XML không được chứa khai báo DTD.")
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError:
        return _cannot_verify("Tài liệu XML không đúng cú pháp.")
    signatures = root.findall(f".//{{{DSIG_NS}}}Signature")
    checked = raw
    rewritten = False
    if not signatures:
        element, why = _header_signature(root)
        if element is None:
            return _cannot_verify(why or "Gói tin không có chữ ký số.")
        rebuilt = _rebuilt_in_dsig(element)
        element.getparent().replace(element, rebuilt)
        checked = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        signatures = [rebuilt]
        rewritten = True
    if len(signatures) > 1:
        return _cannot_verify("Gói tin có nhiều chữ ký số: không kiểm tra được.")
    why = _precheck(signatures[0])
    if why:
        return _cannot_verify(why)
    result = verify_xml(checked)
    errors = [str(e) for e in (result.errors or [])]
    intact = bool(getattr(result, "intact", False))
    revoked = bool(getattr(result, "revoked", False))
    # A value or digest that does not match (the form was checked above), as opposed to a
    # signature element verify_xml could not process.
    altered = not intact and bool(getattr(result, "mismatch", False))
    return Verification(
        valid=bool(result.valid),
        signer_subject=str(result.signer_subject or ""),
        errors=errors,
        signer_organisation=str(getattr(result, "signer_organisation", "") or ""),
        # On our rewritten copy, a signature value that does not match proves nothing (our
        # guess of how the Signature was written may be wrong): cannot verify. A digest that
        # does not match under a signature value that does is the content changed after
        # signing, whatever the Signature's namespace: altered.
        proven_bad=not result.valid
        and (
            (altered and (not rewritten or bool(getattr(result, "digest_mismatch", False))))
            or revoked
        ),
        intact=intact,
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
