"""What deployed senders send and we take in: the edXML in a SOAP envelope, a signature in
edXMLHeader (xmldsig, or in the edXML namespace), and packages whose signature we cannot
verify, which wait for a clerk (held) instead of being refused or silently registered."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from rest_framework.test import APIClient
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner

from egov.core.actors import actor_for_user
from egov.core.errors import DomainError
from egov.events.models import Event
from egov.exchange import common, edxml, receiving, services, signature, statuses
from egov.exchange.edxml import DSIG_NS, NS, SOAP11_NS, SOAP12_NS, Organ
from egov.exchange.models import IncomingPackage, StatusRecord
from egov.org.models import Role

from .test_api import PACKAGES, package_from, thai_binh  # noqa: F401 (a fixture)
from .test_exchange import deliver, signed_package  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def arrived(agency: Any) -> list[IncomingPackage]:
    return list(IncomingPackage.objects.filter(recipient_agency=agency, status="arrived"))


def without_declaration(raw: bytes) -> bytes:
    return raw.split(b"?>", 1)[1] if raw.startswith(b"<?xml") else raw


def in_soap(
    raw: bytes, *, soap_ns: str = SOAP11_NS, header: bytes = b"", body_extra: bytes = b""
) -> bytes:
    """The edXML as the body of a SOAP envelope that declares namespaces of its own (the edXML
    does not use them: they must not reach the canonical form)."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="'
        + soap_ns.encode()
        + b'" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:ws="urn:edoc">'
        + header
        + b"<soap:Body>\n"
        + without_declaration(raw)
        + body_extra
        + b"\n</soap:Body></soap:Envelope>"
    )


def sign(root: Any, agency: Any) -> Any:
    """Sign like a third-party signer would (signxml), with the agency's certificate from our
    test CA."""
    from egov.signing import keystore
    from egov.signing.identities import identity_for_agency, key_material

    material = key_material(identity_for_agency(agency))
    method = (
        SignatureMethod.ECDSA_SHA256
        if isinstance(material.private_key, ec.EllipticCurvePrivateKey)
        else SignatureMethod.RSA_SHA256
    )
    signer = XMLSigner(signature_algorithm=method, digest_algorithm=DigestAlgorithm.SHA256)
    chain = [keystore.to_pem(material.certificate)] + [keystore.to_pem(c) for c in material.chain]
    return signer.sign(root, key=material.private_key, cert=chain)


def sign_in_default_namespace(
    root: Any, agency: Any, place: Any, *, exclusive: bool = False
) -> Any:
    """An enveloped signature with `Signature` in the xmldsig namespace as the *default*
    namespace (no prefix), put in `place`, as a Java signer (Apache Santuario) writes it, with
    inclusive or exclusive c14n. Built by hand with a correct canonical form of SignedInfo:
    lxml's c14n of SignedInfo in place (its default namespace declared on Signature, outside the
    subtree) adds `xmlns=""` to Transforms, DigestMethod..., so it is canonicalized as the root
    of a copy, which declares every namespace in scope on it, as inclusive c14n renders them."""
    import base64
    import hashlib

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    from egov.signing import keystore
    from egov.signing.identities import identity_for_agency, key_material

    material = key_material(identity_for_agency(agency))
    is_ec = isinstance(material.private_key, ec.EllipticCurvePrivateKey)
    c14n = (
        "http://www.w3.org/2001/10/xml-exc-c14n#"
        if exclusive
        else "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    )
    more = "http://www.w3.org/2001/04/xmldsig-more#"
    document = etree.tostring(root, method="c14n", exclusive=exclusive)
    digest = base64.b64encode(hashlib.sha256(document).digest())
    ds = etree.SubElement(place, f"{{{DSIG_NS}}}Signature", nsmap={None: DSIG_NS})

    def sub(parent: Any, tag: str, text: str = "", **attrib: str) -> Any:
        element = etree.SubElement(parent, f"{{{DSIG_NS}}}{tag}", attrib)
        element.text = text or None
        return element

    info = sub(ds, "SignedInfo")
    sub(info, "CanonicalizationMethod", Algorithm=c14n)
    sub(info, "SignatureMethod", Algorithm=more + ("ecdsa-sha256" if is_ec else "rsa-sha256"))
    reference = sub(info, "Reference", URI="")
    transforms = sub(reference, "Transforms")
    sub(transforms, "Transform", Algorithm=f"{DSIG_NS}enveloped-signature")
    sub(transforms, "Transform", Algorithm=c14n)
    sub(reference, "DigestMethod", Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
    sub(reference, "DigestValue", digest.decode())
    signed_info = etree.tostring(
        etree.fromstring(etree.tostring(info)), method="c14n", exclusive=exclusive
    )
    assert b'xmlns=""' not in signed_info
    if is_ec:
        r, s_ = decode_dss_signature(
            material.private_key.sign(signed_info, ec.ECDSA(hashes.SHA256()))
        )
        size = (material.private_key.curve.key_size + 7) // 8
        value = r.to_bytes(size, "big") + s_.to_bytes(size, "big")
    else:
        value = material.private_key.sign(signed_info, padding.PKCS1v15(), hashes.SHA256())
    sub(ds, "SignatureValue", base64.b64encode(value).decode())
    data = sub(sub(ds, "KeyInfo"), "X509Data")
    for cert in [material.certificate, *material.chain]:
        pem = keystore.to_pem(cert)
        body = "".join(line for line in pem.splitlines() if "-----" not in line)
        sub(data, "X509Certificate", body)
    return ds


def header_of(root: Any) -> Any:
    return root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")


def into_edxml_namespace(element: Any) -> Any:
    """The xmldsig subtree rewritten into the edXML namespace (default namespace, no prefix)."""
    tag = f"{{{NS}}}{etree.QName(element).localname}"
    copy = etree.Element(tag, dict(element.attrib), nsmap={None: NS})

    def fill(source: Any, target: Any) -> None:
        target.text, target.tail = source.text, source.tail
        for child in source:
            fill(child, etree.SubElement(target, f"{{{NS}}}{etree.QName(child).localname}"))
            target[-1].attrib.update(child.attrib)

    fill(element, copy)
    return copy


def refused(result: receiving.ReceiveResult, code: str) -> None:
    assert (result.status_code, result.error_code) == ("02", code), result.description
    assert result.package is not None and result.package.status == "rejected"


def held(result: receiving.ReceiveResult, reason: str) -> IncomingPackage:
    assert (result.status_code, result.held) == ("01", True), result.description
    assert "chờ văn thư kiểm tra" in result.description
    package = result.package
    assert package is not None and package.status == IncomingPackage.Status.HELD
    assert reason in package.hold_reason
    return package


# --- SOAP ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("soap_ns", [SOAP11_NS, SOAP12_NS])
@pytest.mark.parametrize("prefix_on_envelope", [False, True])
def test_a_signed_package_in_a_soap_envelope_is_received_and_kept_without_it(
    certified, recorder, make_doc, soap_ns, prefix_on_envelope
):
    a, b = certified
    doc = make_doc(a, [b])
    raw = signed_package(doc, a)
    wrapped = in_soap(raw, soap_ns=soap_ns)
    if prefix_on_envelope:  # the edXML prefix declared on the envelope, not on edXML
        declaration = f' xmlns:edXML="{NS}"'.encode()
        wrapped = wrapped.replace(declaration, b"").replace(
            b"<soap:Envelope ", b"<soap:Envelope" + declaration + b" "
        )
        assert wrapped.count(declaration) == 1

    result = receiving.receive_package(wrapped, via="http")

    assert (result.status_code, result.held) == ("01", False), result.description
    [package] = arrived(b)
    stored = bytes(package.data.raw)
    assert b"soap" not in stored and b"urn:edoc" not in stored
    assert signature.verify(stored).valid  # the stored edXML stands on its own
    assert [r.document.subject for r in recorder.packages] == [doc.subject]


XSI = b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'


@pytest.mark.parametrize(
    ("dialect", "declared_on"),
    [
        (edxml.Dialect.QCVN, "edXML"),  # `edXML:` everywhere, declared on the edXML element
        (edxml.Dialect.QCVN, "Envelope"),  # the same, the prefix declared on the SOAP Envelope
        (edxml.Dialect.SDK, "edXML"),  # `<edXML xmlns=NS>`, `edXML:` redeclared below it
        (edxml.Dialect.SDK, "Envelope"),  # the same, the Envelope declaring the default too
        (edxml.Dialect.QCVN, "unused"),  # the edXML declares xsi: itself and never uses it
    ],
    ids=["prefix-on-edxml", "prefix-on-envelope", "default-ns", "default-ns-on-envelope", "xsi"],
)
def test_the_edxml_in_a_soap_envelope_keeps_its_own_namespaces(
    certified, recorder, make_doc, dialect, declared_on
):
    """Signed standalone with inclusive c14n, then wrapped: what the SOAP envelope declares
    and the edXML does not use is left out, and the edXML's own prefixes and declarations
    (used or not: inclusive c14n renders them) stay as signed."""
    a, b = certified
    doc = make_doc(a, [b])
    unsigned = edxml.to_bytes(edxml.document_element(doc, dialect))
    if declared_on == "unused":  # a Java or .NET writer's habit
        unsigned = unsigned.replace(b"<edXML:edXML ", b"<edXML:edXML" + XSI + b" ", 1)
    raw = edxml.to_bytes(signature.sign_root(etree.fromstring(unsigned), agency=a))
    own = f' xmlns:edXML="{NS}"' if dialect == edxml.Dialect.QCVN else f' xmlns="{NS}"'
    wrapped = in_soap(raw)
    if declared_on == "Envelope":
        declaration = own.encode()
        if dialect == edxml.Dialect.QCVN:  # moved: the edXML element no longer declares it
            first = wrapped.index(b"<edXML:edXML")
            end = wrapped.index(b">", first)
            assert declaration in wrapped[first:end]
            wrapped = wrapped[:first] + wrapped[first:end].replace(declaration, b"") + wrapped[end:]
        wrapped = wrapped.replace(b"<soap:Envelope ", b"<soap:Envelope" + declaration + b" ", 1)
    assert signature.verify(raw).valid

    result = receiving.receive_package(wrapped, via="http")

    assert (result.status_code, result.held) == ("01", False), result.description
    [package] = arrived(b)
    stored = bytes(package.data.raw)
    assert b"soap" not in stored and b"urn:edoc" not in stored
    assert (XSI in stored) == (declared_on == "unused")  # the envelope's xsi is left out
    if dialect == edxml.Dialect.SDK:  # the envelope's prefix, as signed, not the default
        assert b"<edXML:edXMLEnvelope" in stored and f'<edXML xmlns="{NS}"'.encode() in stored
    assert signature.verify(stored).valid
    assert [r.document.subject for r in recorder.packages] == [doc.subject]


def test_a_package_altered_inside_the_soap_envelope_is_refused(certified, recorder, make_doc):
    a, b = certified
    raw = signed_package(make_doc(a, [b]), a)
    tampered = in_soap(raw).replace("triển khai".encode(), "hủy bỏ".encode(), 1)

    refused(receiving.receive_package(tampered, via="http"), "signature_invalid")
    assert recorder.packages == [] and arrived(b) == []


FAULT = b"<soap:Fault><faultcode>soap:Server</faultcode><faultstring>x</faultstring></soap:Fault>"


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        (
            {
                "header": b'<soap:Header><ws:Route soap:mustUnderstand="1">x</ws:Route>'
                b"</soap:Header>"
            },
            "mustUnderstand",
        ),
        ({"body_extra": b"<ws:Note>kem theo</ws:Note>"}, "đúng một phần tử edXML"),
        ({"body_extra": b"van ban"}, "không được chứa văn bản"),
    ],
)
def test_a_soap_envelope_we_do_not_take_apart_is_refused(
    certified, recorder, make_doc, shape, message
):
    a, b = certified
    wrapped = in_soap(signed_package(make_doc(a, [b]), a), **shape)
    result = receiving.receive_package(wrapped, via="http")
    refused(result, "soap_envelope_refused")
    assert message in result.description
    assert recorder.packages == []


def test_a_soap_fault_is_refused(certified, recorder):
    fault = (
        f'<soap:Envelope xmlns:soap="{SOAP11_NS}"><soap:Body>'.encode()
        + FAULT
        + b"</soap:Body></soap:Envelope>"
    )
    result = receiving.receive_package(fault, via="http")
    refused(result, "soap_envelope_refused")
    assert "Fault" in result.description


def test_a_harmless_soap_header_is_ignored(certified, recorder, make_doc):
    a, b = certified
    header = b'<soap:Header><ws:Trace soap:mustUnderstand="0">1</ws:Trace></soap:Header>'
    wrapped = in_soap(signed_package(make_doc(a, [b]), a), header=header)
    assert receiving.receive_package(wrapped, via="http").status_code == "01"
    assert len(arrived(b)) == 1


def test_a_status_in_a_soap_envelope_is_received_and_one_altered_is_not(
    certified,
    recorder,
    make_doc,
    deliver,  # noqa: F811
):
    a, b = certified
    doc = make_doc(a, [b])
    deliver(doc, a)
    message = edxml.StatusMessage(
        document_id=doc.document_id,
        sender=Organ(b.identifier, b.name),
        status_code="03",
        timestamp=common.exchange_now(),
    )
    raw = edxml.to_bytes(signature.sign_root(edxml.status_element(message), agency=b))
    tampered = in_soap(raw, soap_ns=SOAP12_NS).replace(b">03<", b">04<")
    with pytest.raises(common.StatusRefused) as exc:
        statuses.receive_status(tampered, via="http")
    assert exc.value.code == "signature_invalid"

    result = statuses.receive_status(in_soap(raw, soap_ns=SOAP12_NS), via="http")
    assert result.record is not None and result.record.status_code == "03"
    kept = bytes(result.record.raw)
    assert b"soap" not in kept and signature.verify(kept).valid


def test_the_api_takes_a_soap_12_body_and_says_when_a_package_is_held(
    thai_binh,  # noqa: F811
    recorder,
    make_doc,
    certified,
):
    _a, b = certified
    client = APIClient()
    signed = package_from(thai_binh, make_doc, b)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {thai_binh.token}", "HTTP_X_EDXML_TO": b.identifier}

    response = client.post(
        PACKAGES, in_soap(signed, soap_ns=SOAP12_NS), content_type="application/soap+xml", **headers
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["code"], response.json()["held"]) == ("arrived", False)

    doc = make_doc(b, [b], code_notation="UBND-VP")
    doc.sender = thai_binh.organ
    unsigned = edxml.build_document(doc)
    response = client.post(PACKAGES, in_soap(unsigned), content_type="text/xml", **headers)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["code"], body["held"], body["status"]["status_code"]) == ("held", True, "01")
    assert "chờ văn thư" in body["message"]
    assert len(recorder.packages) == 1  # only the signed one


# --- signatures in edXMLHeader ------------------------------------------------------------------


def test_an_xmldsig_signature_inside_edxml_header_verifies(certified, recorder, make_doc):
    a, b = certified
    root = sign(edxml.document_element(make_doc(a, [b])), a)
    header_of(root).append(root.find(f"{{{DSIG_NS}}}Signature"))  # moved after signing
    raw = edxml.to_bytes(root)

    result = receiving.receive_package(raw, via="http")

    assert (result.status_code, result.held) == ("01", False), result.description
    assert len(recorder.packages) == 1


@pytest.mark.parametrize("exclusive", [False, True], ids=["inclusive-c14n", "exclusive-c14n"])
def test_a_default_namespace_xmldsig_signature_in_edxml_header_verifies(
    certified, recorder, make_doc, exclusive
):
    """`<Signature xmlns="...xmldsig#">` in edXMLHeader, as a Java signer writes it."""
    a, b = certified
    root = etree.fromstring(edxml.to_bytes(edxml.document_element(make_doc(a, [b]))))
    sign_in_default_namespace(root, a, header_of(root), exclusive=exclusive)
    raw = edxml.to_bytes(root)
    assert signature.verify(raw).valid

    result = receiving.receive_package(raw, via="http")

    assert (result.status_code, result.held) == ("01", False), result.description
    assert len(recorder.packages) == 1


def rewritten_into_edxml_namespace(make_doc: Any, a: Any, b: Any, **how: Any) -> Any:
    """A package signed with a default-namespace Signature in edXMLHeader (or inside
    `<edXML:DigitalSignature>`), then re-serialized without the Signature's own xmlns: the
    Signature and its descendants are in the edXML namespace."""
    wrapper = how.pop("wrapper", "")
    root = etree.fromstring(edxml.to_bytes(edxml.document_element(make_doc(a, [b]))))
    place = header_of(root)
    if wrapper:
        place = etree.SubElement(place, f"{{{NS}}}{wrapper}")
    ds = sign_in_default_namespace(root, a, place, **how)
    assert ds.prefix is None
    place.replace(ds, into_edxml_namespace(ds))
    return root


@pytest.mark.parametrize("exclusive", [False, True], ids=["inclusive-c14n", "exclusive-c14n"])
@pytest.mark.parametrize("wrapper", ["", "DigitalSignature"])
def test_a_signature_rewritten_into_the_edxml_namespace_verifies(
    certified, recorder, make_doc, wrapper, exclusive
):
    a, b = certified
    raw = edxml.to_bytes(
        rewritten_into_edxml_namespace(make_doc, a, b, wrapper=wrapper, exclusive=exclusive)
    )
    parsed = etree.fromstring(raw)
    assert parsed.find(f".//{{{DSIG_NS}}}Signature") is None
    assert parsed.find(f".//{{{NS}}}Signature/{{{NS}}}SignedInfo") is not None

    result = receiving.receive_package(raw, via="http")

    assert (result.status_code, result.held) == ("01", False), result.description
    assert [r.document.subject for r in recorder.packages] == [edxml.parse_document(raw).subject]


@pytest.mark.parametrize("exclusive", [False, True], ids=["inclusive-c14n", "exclusive-c14n"])
def test_a_package_altered_under_a_rewritten_signature_is_refused(
    certified, recorder, make_doc, exclusive
):
    a, b = certified
    root = rewritten_into_edxml_namespace(make_doc, a, b, exclusive=exclusive)
    subject = root.find(f".//{{{NS}}}MessageHeader/{{{NS}}}Subject")
    subject.text = "Hủy bỏ " + (subject.text or "")

    result = receiving.receive_package(edxml.to_bytes(root), via="http")

    refused(result, "signature_invalid")
    assert recorder.packages == [] and arrived(b) == []


def test_a_rewritten_signature_whose_value_does_not_match_is_held(certified, recorder, make_doc):
    """A signature value that does not match our rewritten copy may be our wrong guess of how
    the Signature was written, not an alteration: the clerk decides."""
    a, b = certified
    root = rewritten_into_edxml_namespace(make_doc, a, b)
    method = root.find(f".//{{{NS}}}SignedInfo/{{{NS}}}CanonicalizationMethod")
    method.set("Algorithm", "http://www.w3.org/2006/12/xml-c14n11")  # not what was signed

    result = receiving.receive_package(edxml.to_bytes(root), via="http")

    held(result, "Chữ ký XML không hợp lệ")
    assert recorder.packages == []


def test_a_sha1_signature_is_held_with_the_reason(certified, recorder, make_doc):
    a, b = certified
    raw = signed_package(make_doc(a, [b]), a)
    root = etree.fromstring(raw)
    for tag in ("SignatureMethod", "DigestMethod"):
        element = root.find(f".//{{{DSIG_NS}}}{tag}")
        element.set("Algorithm", f"{DSIG_NS}{'rsa-sha1' if tag == 'SignatureMethod' else 'sha1'}")
    result = receiving.receive_package(edxml.to_bytes(root), via="http")
    held(result, "SHA-1")
    assert recorder.packages == []


def test_a_header_signature_of_unknown_form_is_held(certified, recorder, make_doc):
    a, b = certified
    root = edxml.document_element(make_doc(a, [b]))
    etree.SubElement(header_of(root), f"{{{NS}}}DigitalSignature").text = "MIIB...base64"
    result = receiving.receive_package(edxml.to_bytes(root), via="http")
    held(result, "không theo cấu trúc XML Signature")
    assert edxml.parse_document(edxml.to_bytes(root)).subject  # parses, ignored


# --- held for the clerk -------------------------------------------------------------------------


@pytest.fixture
def clerks(certified, make_official):  # type: ignore[no-untyped-def]
    a, b = certified
    return (
        actor_for_user(make_official(b, roles=[Role.CLERK]).user),
        actor_for_user(make_official(a, roles=[Role.CLERK]).user),
    )


def test_an_unsigned_package_is_held_and_the_clerk_accepts_it(
    certified, recorder, make_doc, clerks
):
    a, b = certified
    clerk_b, clerk_a = clerks
    doc = make_doc(a, [b])
    raw = edxml.build_document(doc)

    package = held(receiving.receive_package(raw, via="http"), "không có chữ ký số")
    assert recorder.packages == [] and arrived(b) == []
    out = StatusRecord.objects.get(direction="out")
    assert (out.status_code, out.to_organ_id) == ("01", a.identifier)
    assert "chờ văn thư" in out.description
    # sent again: recognised, still waiting, not twice
    again = receiving.receive_package(raw, via="http")
    assert (again.duplicate, again.held, again.package.pk) == (True, True, package.pk)

    assert list(services.held_packages(clerk_b)) == [package]
    assert list(services.held_packages(clerk_a)) == []  # another agency's clerk sees nothing
    with pytest.raises(DomainError) as exc:
        services.accept_held(package.pk, actor=clerk_a, note="")
    assert exc.value.code == "held_package_not_found"

    accepted = services.accept_held(package.pk, actor=clerk_b, note="Đã gọi điện xác nhận")
    assert accepted.status == "arrived" and accepted.decision_note == "Đã gọi điện xác nhận"
    assert [r.document_id for r in recorder.packages] == [doc.document_id]
    assert list(services.held_packages(clerk_b)) == []
    assert Event.objects.filter(event_type="exchange.held_package_accepted").count() == 1

    # the same decision again changes nothing; the other one is refused
    services.accept_held(package.pk, actor=clerk_b, note="lần hai")
    assert len(recorder.packages) == 1
    with pytest.raises(DomainError) as exc:
        services.refuse_held(package.pk, actor=clerk_b, reason="Không rõ nguồn")
    assert exc.value.code == "held_already_decided"


def test_the_clerk_refuses_a_held_package_and_the_sender_gets_02(
    certified, recorder, make_doc, clerks
):
    a, b = certified
    clerk_b, _ = clerks
    doc = make_doc(a, [b])
    package = held(
        receiving.receive_package(edxml.build_document(doc), via="http"), "không có chữ ký"
    )
    with pytest.raises(DomainError) as exc:
        services.refuse_held(package.pk, actor=clerk_b, reason="  ")
    assert exc.value.code == "held_reason_required"

    refused_package = services.refuse_held(
        package.pk, actor=clerk_b, reason="Gói tin không có chữ ký số của cơ quan gửi."
    )

    assert refused_package.status == "rejected"
    assert refused_package.error_code == "refused_by_clerk"
    answer = StatusRecord.objects.get(direction="out", status_code="02")
    assert answer.to_organ_id == a.identifier and "không có chữ ký" in answer.description
    assert answer.raw  # signed and queued like any status
    assert recorder.packages == []
    assert Event.objects.filter(event_type="exchange.held_package_refused").count() == 1
    services.refuse_held(package.pk, actor=clerk_b, reason="lần hai")  # idempotent
    assert StatusRecord.objects.filter(direction="out", status_code="02").count() == 1
    with pytest.raises(DomainError) as exc:
        services.accept_held(package.pk, actor=clerk_b, note="")
    assert exc.value.code == "held_already_decided"


def test_a_certificate_outside_the_trust_list_is_held_not_registered(certified, recorder, make_doc):
    from egov.signing import ca, keystore
    from egov.signing.services import make_demo_hierarchy

    a, b = certified
    rogue = make_demo_hierarchy()  # a CA nobody trusts, issuing a look-alike certificate
    material = ca.issue_certificate(
        rogue.intermediate, common_name=a.name, organisation=a.name, kind="organisation"
    )
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.ECDSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256
    )
    root = edxml.document_element(make_doc(a, [b]))
    chain = [keystore.to_pem(material.certificate)] + [keystore.to_pem(c) for c in material.chain]
    raw = edxml.to_bytes(signer.sign(root, key=material.private_key, cert=chain))

    held(receiving.receive_package(raw, via="http"), "tin cậy")
    assert recorder.packages == [] and arrived(b) == []

    # the same rogue certificate naming someone else than the sender: refused outright
    other = ca.issue_certificate(
        rogue.intermediate,
        common_name="Kẻ mạo danh",
        organisation="Kẻ mạo danh",
        kind="organisation",
    )
    chain = [keystore.to_pem(other.certificate)] + [keystore.to_pem(c) for c in other.chain]
    root = edxml.document_element(make_doc(a, [b]))
    raw = edxml.to_bytes(signer.sign(root, key=other.private_key, cert=chain))
    refused(receiving.receive_package(raw, via="http"), "signer_mismatch")
