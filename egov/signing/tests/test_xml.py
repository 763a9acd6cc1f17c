"""XML signatures for edXML packages: round trip, tampering, untrusted and revoked signers."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from egov.core.actors import SYSTEM
from egov.signing import ca, services
from egov.signing.models import SigningIdentity

pytestmark = pytest.mark.django_db

EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"


def package() -> etree._Element:
    root = etree.Element(f"{{{EDXML_NS}}}edXML", nsmap={"edXML": EDXML_NS})
    envelope = etree.SubElement(root, f"{{{EDXML_NS}}}edXMLEnvelope")
    header = etree.SubElement(envelope, f"{{{EDXML_NS}}}edXMLHeader")
    message = etree.SubElement(header, f"{{{EDXML_NS}}}MessageHeader")
    etree.SubElement(
        message, f"{{{EDXML_NS}}}Subject"
    ).text = "Về việc phê duyệt kế hoạch chuyển đổi số năm 2026"
    etree.SubElement(
        message, f"{{{EDXML_NS}}}DocumentId"
    ).text = "000.00.00.H41,2026/01/03,15/QĐ-UBND"
    etree.SubElement(envelope, f"{{{EDXML_NS}}}edXMLBody")
    return root


def test_round_trip(agency_identity: SigningIdentity, agency: Any) -> None:
    original = package()
    signed = services.sign_xml(original, identity=agency_identity)
    data = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")

    result = services.verify_xml(data)

    assert result.valid, result.errors
    assert result.errors == []
    assert result.intact and result.trusted and not result.revoked
    assert result.signer_subject == agency.name
    assert result.signed_root is not None
    subject = result.signed_root.find(f".//{{{EDXML_NS}}}Subject")
    assert subject is not None and subject.text and subject.text.startswith("Về việc")
    # the input element is left as it was; KeyInfo carries the signer's certificate and chain
    assert original.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature") is None
    certs = signed.findall(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    assert len(certs) == 3  # agency, intermediate, root


def test_tampered_content_is_detected(agency_identity: SigningIdentity) -> None:
    data = etree.tostring(services.sign_xml(package(), identity=agency_identity), encoding="UTF-8")
    tampered = data.replace("chuyển đổi số".encode(), "chuyển đổi xanh".encode())
    assert tampered != data

    result = services.verify_xml(tampered)

    assert not result.valid
    assert not result.intact
    assert any("nội dung đã bị thay đổi" in e for e in result.errors)


def test_unsigned_and_malformed_xml(db: None) -> None:
    assert services.verify_xml(b"<a><b></a>").errors == ["Tài liệu XML không đúng cú pháp."]
    assert services.verify_xml(etree.tostring(package())).errors == [
        "Tài liệu XML không có chữ ký số."
    ]


def test_signer_from_an_untrusted_ca_is_reported(demo_ca: Any, agency: Any) -> None:
    """A forger can embed any chain; only our trust list counts."""
    stranger = ca.make_intermediate(ca.make_root("CA giả mạo"))
    material = ca.issue_certificate(stranger, common_name=agency.name, kind="organisation")
    identity = services.store_identity(actor=SYSTEM, material=material, agency=agency)

    data = etree.tostring(services.sign_xml(package(), identity=identity))
    result = services.verify_xml(data)

    assert result.intact  # the signature itself is fine...
    assert not result.trusted and not result.valid  # ...but nobody we trust vouches for it
    assert any("không thuộc tổ chức chứng thực tin cậy" in e for e in result.errors)


def test_revoked_signer(agency_identity: SigningIdentity) -> None:
    data = etree.tostring(services.sign_xml(package(), identity=agency_identity))
    services.revoke_identity(actor=SYSTEM, identity=agency_identity, reason="Lộ khóa")
    agency_identity.refresh_from_db()

    result = services.verify_xml(data)
    assert result.revoked and not result.valid
    assert "Chứng thư ký gói tin đã bị thu hồi." in result.errors
    with pytest.raises(services.SigningError, match="đã bị thu hồi"):
        services.sign_xml(package(), identity=agency_identity)


def test_rsa_identity_signs_with_rsa_sha256(demo_ca: Any, other_agency: Any) -> None:
    identity = services.issue_demo_identity(actor=SYSTEM, agency=other_agency, key_type="rsa")
    signed = services.sign_xml(package(), identity=identity)
    method = signed.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureMethod")
    assert method is not None
    assert method.get("Algorithm") == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    assert services.verify_xml(etree.tostring(signed)).valid
