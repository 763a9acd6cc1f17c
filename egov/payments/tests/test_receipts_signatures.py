"""The receipt's PDF is sealed with the collecting agency's certificate and validates with pyHanko
and with poppler's pdfsig; its XML signature verifies with signxml; the printed fields are in
the PDF's text; a changed byte in either file is caught."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree
from signxml import XMLVerifier

from egov.payments.services import receipts
from egov.signing.services import pdfsig_can_use_trust_list, pdfsig_report, validate_pdf, verify_xml

from .conftest import FEE
from .receipts_helpers import pay, pdftotext, read, seal_fixture, seal_hierarchy_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

PDFSIG = "/usr/bin/pdfsig"


@pytest.fixture
def issued(criminal_record, submit, make_citizen, seal):  # type: ignore[no-untyped-def]
    payment = pay(submit(make_citizen(), criminal_record), transaction="GD20261204001")
    return receipts.issue(payment.code)


def test_the_pdf_is_sealed_and_validates_with_pyhanko(issued, seal, agency):
    pdf = read(issued.pdf)
    result = validate_pdf(pdf)
    assert result.valid, result.errors
    (signature,) = result.signatures
    assert signature.serial_hex == seal.serial_hex
    assert signature.signer_organisation == agency.name
    assert signature.coverage == "ENTIRE_FILE"
    assert (signature.intact, signature.valid, signature.trusted) == (True, True, True)


def test_the_pdf_validates_with_poppler_pdfsig(issued):
    pdf = read(issued.pdf)
    # pdfsig itself, as anyone would run it on the downloaded file: the signature is intact.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bien-lai.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(
            [PDFSIG, str(path)], capture_output=True, text=True, timeout=60, check=False
        )
    assert "Signature Validation: Signature is Valid." in done.stdout, done.stdout + done.stderr
    assert "Total document signed" in done.stdout
    # And with an NSS database that trusts our trust list: the certificate chain is trusted too.
    if pdfsig_can_use_trust_list():
        report = pdfsig_report(pdf)
        assert "Signature is Valid." in report and "Certificate is Trusted." in report, report


def test_the_printed_fields_are_in_the_pdf_text(issued, collector):
    text = pdftotext(read(issued.pdf))
    f = issued.fields
    for expected in (
        "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "Ký hiệu mẫu biên lai: 01BLP0-001",
        "Ký hiệu biên lai: TP-26E",
        "Số: 0000001",
        collector.name.upper(),
        "Mã số thuế: 5700100256",
        "Phường Hồng Gai, tỉnh Quảng Ninh",
        f["payer"]["name"],
        f["payer"]["id_number"],
        "Phí cung cấp thông tin lý lịch tư pháp",
        "200.000",
        "Hai trăm nghìn đồng",
        "mã giao dịch: GD20261204001",
        f["dossier"]["code"],
        receipts.lookup_code_text(issued.lookup_code),
    ):
        assert expected in text, expected
    assert f["total"] == FEE


def test_the_xml_signature_verifies_with_signxml(issued, seal):
    data = read(issued.xml)
    cert = x509.load_pem_x509_certificates(seal.certificate_pem.encode())[0]
    verified = XMLVerifier().verify(data, x509_cert=cert)
    root = verified.signed_xml
    assert root is not None and root.tag == "BLai"
    assert root.findtext("DLBLai/TTChung/SBLai") == "0000001"
    assert root.findtext("DLBLai/TTChung/KHBLai") == "TP-26E"
    assert root.findtext("DLBLai/NDBLai/NThu/MST") == "5700100256"
    assert root.findtext("DLBLai/NDBLai/TToan/TgTTTBSo") == str(FEE)
    assert root.findtext("DLBLai/NDBLai/TToan/TgTTTBChu") == "Hai trăm nghìn đồng"
    assert (
        root.findtext("DLBLai/NDBLai/DSKThu/KThu/Ten") == "Phí cung cấp thông tin lý lịch tư pháp"
    )
    # The signature sits where the e-invoice keeps the seller's: DSCKS/NThu.
    assert (
        etree.fromstring(data).find("DSCKS/NThu/{http://www.w3.org/2000/09/xmldsig#}Signature")
        is not None
    )
    # The platform's verifier also checks the chain against the trust list.
    check = verify_xml(data)
    assert check.valid, check.errors


def test_a_changed_byte_is_caught_in_either_file(issued):
    xml = read(issued.xml).replace(b"<TgTTTBSo>200000<", b"<TgTTTBSo>20000<")
    assert not verify_xml(xml).valid
    pdf = bytearray(read(issued.pdf))
    at = pdf.find(b"/Producer")
    assert at > 0
    pdf[at + 1] = ord("Q")  # inside the signed revision
    assert not validate_pdf(bytes(pdf)).valid
    # What the page reports for files changed where they are stored.
    with issued.xml.open("wb") as handle:
        handle.write(xml)
    check = receipts.check(issued)
    assert check.pdf_intact and not check.xml_intact and not check.valid
