"""XML signatures (signxml) for edXML packages.

`sign_xml` adds an enveloped XML-DSig signature (RSA-SHA256 or ECDSA-SHA256 by key type, SHA-256
digests, the whole document referenced with URI="") with the signer's certificate and its chain
in KeyInfo/X509Data. `verify_xml` checks the signature value with signxml, and the certificate
chain with pyhanko-certvalidator against *our* trust list (never just the embedded certificate),
plus our revocation records.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree  # type: ignore[import-untyped, unused-ignore]
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, ValidationError
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner, XMLVerifier
from signxml.exceptions import InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration

from . import keystore
from .error_codes import SigningErrorCode
from .errors import SigningError
from .identities import check_usable, key_material
from .models import SigningIdentity
from .trust import revocation_of, run_sync, to_asn1, validation_context

DS_NS = "http://www.w3.org/2000/09/xmldsig#"


def sign_xml(root: etree._Element, *, identity: SigningIdentity) -> etree._Element:
    """Return a signed copy of `root`: an enveloped signature as its last child, or in place of
    a `<ds:Signature Id="placeholder"/>` element of `root` when it has one (signxml fills it;
    edXML for deployed readers keeps the signature inside edXMLHeader). Refused like
    `sign_pdf` for an expired, not yet valid or revoked certificate."""
    check_usable(identity)
    if identity.kind != SigningIdentity.Kind.PKCS12:
        raise SigningError(
            "Ký gói tin XML bằng token/HSM (PKCS#11) chưa được hỗ trợ: dùng chứng thư PKCS#12 "
            "của cơ quan cho trục liên thông.",
            code=SigningErrorCode.XML_PKCS11_UNSUPPORTED,
        )
    material = key_material(identity)
    method = (
        SignatureMethod.ECDSA_SHA256
        if isinstance(material.private_key, ec.EllipticCurvePrivateKey)
        else SignatureMethod.RSA_SHA256
    )
    signer = XMLSigner(signature_algorithm=method, digest_algorithm=DigestAlgorithm.SHA256)
    # Packages carry base64 attachments of many MB: lift libxml2's 10 MB text-node cap. Safe here
    # because the input is our own tree, and DTDs/entities stay refused.
    signer._parser = _large_parser()
    copy = deepcopy(root)
    chain = [keystore.to_pem(material.certificate)] + [keystore.to_pem(c) for c in material.chain]
    signed: etree._Element = signer.sign(copy, key=material.private_key, cert=chain)
    return signed


@dataclass
class XmlVerification:
    valid: bool
    signer_subject: str = ""
    errors: list[str] = field(default_factory=list)
    intact: bool = False  # the signature value and the digests match
    trusted: bool = False  # the certificate chains to the trust list
    revoked: bool = False
    signer_organisation: str = ""
    signer_serial_hex: str = ""
    signed_root: etree._Element | None = None  # what the signature covers: use this, not the input
    # The signature value matched the signed info but a digest did not: the content changed.
    digest_mismatch: bool = False
    # The signature value or a digest does not match (as opposed to a signature element that
    # could not be processed at all).
    mismatch: bool = False


def _embedded_certs(doc: etree._Element) -> list[x509.Certificate]:
    certs = []
    for node in doc.iter(f"{{{DS_NS}}}X509Certificate"):
        b64 = "".join((node.text or "").split())
        pem = "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n"
        certs.extend(x509.load_pem_x509_certificates(pem.encode("ascii")))
    return certs


def _leaf(certs: list[x509.Certificate]) -> x509.Certificate:
    """The certificate that issued none of the others (the signer's)."""
    subjects_issuing = {c.issuer for c in certs if c.issuer != c.subject}
    leaves = [c for c in certs if c.subject not in subjects_issuing]
    return leaves[0] if leaves else certs[0]


class _Verifier(XMLVerifier):
    """signxml's verifier with a correct inclusive c14n of SignedInfo under a default namespace.

    lxml (6.0, libxml2 2.14) canonicalizes an element whose default namespace is declared on an
    ancestor outside the subtree wrongly: descendants two levels down get `xmlns=""` (for
    SignedInfo: Transforms, DigestMethod, ... fall out of the xmldsig namespace; signxml
    issue #275). A Java signer writes exactly that: `<Signature xmlns="...xmldsig#">` with
    unprefixed children and inclusive c14n; its genuine signature failed here (a SignatureValue
    mismatch, or "DigestMethod not found"). Such an element is canonicalized as the root of a
    copy instead: serializing it alone declares every namespace in scope on it, which is what
    inclusive c14n renders on the apex of a subtree. (The document digest is computed on such a
    copy by signxml already.)"""

    def _c14n(self, nodes, algorithm, inclusive_ns_prefixes=None):  # type: ignore[no-untyped-def]
        exclusive = algorithm.value.startswith("http://www.w3.org/2001/10/xml-exc-c14n#")
        if not exclusive:
            nodes = [
                self._fromstring(self._tostring(node, with_tail=False))
                if node.getparent() is not None and node.nsmap.get(None)
                else node
                for node in (nodes if isinstance(nodes, list) else [nodes])
            ]
        return super()._c14n(nodes, algorithm, inclusive_ns_prefixes=inclusive_ns_prefixes)


def _large_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def verify_xml(data: bytes) -> XmlVerification:
    """Verify the enveloped signature of an XML document. Never raises for bad input.

    Documents with a DOCTYPE are refused before parsing, so the large-document parser (needed for
    multi-MB attachments) cannot be made to expand entities."""
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        return XmlVerification(valid=False, errors=["Tài liệu XML không được chứa khai báo DTD."])
    parser = _large_parser()
    try:
        doc = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError:
        return XmlVerification(valid=False, errors=["Tài liệu XML không đúng cú pháp."])
    signatures = doc.findall(f".//{{{DS_NS}}}Signature")
    if len(signatures) != 1:
        msg = (
            "Tài liệu XML không có chữ ký số."
            if not signatures
            else "Tài liệu XML có nhiều chữ ký."
        )
        return XmlVerification(valid=False, errors=[msg])
    try:
        certs = _embedded_certs(signatures[0])
    except ValueError:
        return XmlVerification(valid=False, errors=["Chứng thư trong chữ ký XML không đọc được."])
    if not certs:
        return XmlVerification(valid=False, errors=["Chữ ký XML không kèm chứng thư của người ký."])
    leaf = _leaf(certs)
    result = XmlVerification(
        valid=False,
        signer_subject=keystore.common_name(leaf),
        signer_organisation=keystore.organisation(leaf),
        signer_serial_hex=keystore.serial_hex(leaf),
    )

    # 1. the signature value and the digests, with the signer's certificate
    try:
        verified = _Verifier().verify(
            data,
            parser=parser,
            x509_cert=leaf,
            expect_config=SignatureConfiguration(expect_references=1),
        )
        signed = verified.signed_xml  # type: ignore[union-attr]
        if signed is None or signed.tag != doc.tag:
            result.errors.append("Chữ ký XML không bao trùm toàn bộ tài liệu.")
        else:
            result.intact = True
            result.signed_root = signed
    except (InvalidSignature, InvalidInput) as exc:
        result.digest_mismatch = isinstance(exc, InvalidDigest)
        result.mismatch = True
        result.errors.append(
            f"Chữ ký XML không hợp lệ: nội dung đã bị thay đổi hoặc chữ ký sai ({exc})."
        )
    except Exception as exc:  # a malformed signature element
        result.errors.append(f"Chữ ký XML không kiểm tra được ({exc.__class__.__name__}).")

    # 2. the chain to our trust list (not the embedded root, which anyone can make)
    others = [c for c in certs if c != leaf]
    try:
        validator = CertificateValidator(
            to_asn1(leaf),
            intermediate_certs=[to_asn1(c) for c in others],
            validation_context=validation_context(other_certs=others),
        )
        path = run_sync(validator.async_validate_usage({"digital_signature"}))
        result.trusted = True
        path_certs = list(path.iter_certs(include_root=False))
    except (PathBuildingError, PathValidationError, ValidationError) as exc:
        result.errors.append(
            "Chứng thư ký gói tin không thuộc tổ chức chứng thực tin cậy hoặc không còn hiệu lực "
            f"({exc.__class__.__name__})."
        )
        path_certs = [to_asn1(leaf)]
    if any(revocation_of(c) is not None for c in path_certs):
        result.revoked = True
        result.errors.append("Chứng thư ký gói tin đã bị thu hồi.")
    result.valid = result.intact and result.trusted and not result.revoked and not result.errors
    return result
