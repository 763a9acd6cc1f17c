"""edXML (QCVN 102:2016): what the platform builds parses back to the same document, and what
is not valid edXML is refused with a Vietnamese message naming the element."""

from __future__ import annotations

import base64
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from lxml import etree

from egov.exchange import edxml
from egov.exchange.edxml import (
    NS,
    Attachment,
    BusinessDocType,
    EdxmlDocument,
    EdxmlError,
    Organ,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    TraceHeader,
    build_document,
    build_status,
    parse,
    parse_document,
    parse_status,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def full_document(**changes: object) -> EdxmlDocument:
    values: dict[str, object] = {
        "sender": Organ(
            "000.00.00.G22",
            "Văn phòng Chính phủ",
            organization_in_charge="Chính phủ",
            organ_add="16 Lê Hồng Phong, Ba Đình, Hà Nội",
            email="vpcp@chinhphu.vn",
            telephone="080 43162",
            fax="080 44130",
            website="https://vpcp.chinhphu.vn",
        ),
        "recipients": [
            Organ("000.00.00.H41", "Ủy ban nhân dân tỉnh Quảng Ninh"),
            Organ("000.00.01.H41", "Sở Tư pháp tỉnh Quảng Ninh", email="stp@quangninh.gov.vn"),
        ],
        "code_number": "7816",
        "code_notation": "VPCP-TTĐT",
        "promulgation_place": "Hà Nội",
        "promulgation_date": date(2018, 9, 20),
        "subject": "Về việc triển khai Trục liên thông văn bản quốc gia",
        "document_type": 1,
        "document_type_name": "Công văn",
        "type_detail": "12",
        "content": "Thực hiện chỉ đạo của Thủ tướng Chính phủ...\nĐề nghị các cơ quan.",
        "signer": SignerInfo("KT. BỘ TRƯỞNG, CHỦ NHIỆM", "Phó Chủ nhiệm", "Nguyễn Văn A"),
        "due_date": date(2018, 10, 1),
        "to_places": ["Như trên", "Lưu: VT, TTĐT (3b)"],
        "priority": 2,
        "sphere_of_promulgation": "Toàn quốc",
        "typer_notation": "TTĐT",
        "promulgation_amount": 3,
        "page_amount": 2,
        "appendixes": ["Phụ lục I: Danh sách cơ quan"],
        "response_for": [
            ResponseFor(
                "000.00.00.H41",
                "123/UBND-VP",
                date(2018, 9, 1),
                "000.00.00.H41,2018/09/01,123/UBND-VP",
            )
        ],
        "steering_type": 1,
        "trace": [TraceHeader("000.00.00.G22", datetime(2018, 9, 20, 8, 30, 5, tzinfo=VN))],
        "attachments": [
            Attachment("7816-VPCP.pdf", "application/pdf", b"%PDF-1.7\n...", "Văn bản chính"),
            Attachment("phu-luc.docx", "application/octet-stream", bytes(range(256)) * 40),
        ],
    }
    values.update(changes)
    return EdxmlDocument(**values)  # type: ignore[arg-type]


def test_a_built_package_parses_back_to_the_same_document():
    doc = full_document()
    raw = build_document(doc)

    assert raw.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    parsed = parse_document(raw)

    assert parsed.document_id == "000.00.00.G22,2018/09/20,7816/VPCP-TTĐT"
    for name in (
        "sender",
        "recipients",
        "code_number",
        "code_notation",
        "promulgation_place",
        "promulgation_date",
        "subject",
        "document_type",
        "document_type_name",
        "type_detail",
        "content",
        "signer",
        "due_date",
        "to_places",
        "priority",
        "sphere_of_promulgation",
        "typer_notation",
        "promulgation_amount",
        "page_amount",
        "appendixes",
        "response_for",
        "steering_type",
        "trace",
        "business_doc_type",
    ):
        assert getattr(parsed, name) == getattr(doc, name), name
    assert [(a.name, a.content_type, a.data, a.description) for a in parsed.attachments] == [
        (a.name, a.content_type, a.data, a.description) for a in doc.attachments
    ]


def test_the_package_has_the_qcvn_102_structure():
    root = etree.fromstring(build_document(full_document()))
    ns = {"e": NS}

    assert root.tag == f"{{{NS}}}edXML"
    header = "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader"
    assert root.findtext(f"{header}/e:DocumentId", namespaces=ns) == (
        "000.00.00.G22,2018/09/20,7816/VPCP-TTĐT"
    )
    assert len(root.findall(f"{header}/e:To", namespaces=ns)) == 2
    assert root.findtext(f"{header}/e:PromulgationInfo/e:PromulgationDate", namespaces=ns) == (
        "2018/09/20"
    )
    assert root.findtext(f"{header}/e:OtherInfo/e:Priority", namespaces=ns) == "2"
    traces = "e:edXMLEnvelope/e:edXMLHeader/e:TraceHeaderList"
    assert root.findtext(f"{traces}/e:TraceHeader/e:Timestamp", namespaces=ns) == (
        "2018/09/20 08:30:05"
    )
    assert root.findtext(f"{traces}/e:Bussiness/e:BussinessDocType", namespaces=ns) == "0"
    # attachments travel base64-encoded outside the envelope, listed in the body's manifest
    values = root.findall("e:AttachmentEncoded/e:Attachment/e:Value", namespaces=ns)
    assert base64.b64decode(values[0].text) == b"%PDF-1.7\n..."
    references = root.findall(
        "e:edXMLEnvelope/e:edXMLBody/e:edXMLManifest/e:Reference", namespaces=ns
    )
    assert [r.findtext("e:AttachmentName", namespaces=ns) for r in references] == [
        "7816-VPCP.pdf",
        "phu-luc.docx",
    ]


def test_revoke_update_and_replace_travel_with_their_reason():
    revoke = full_document(business_doc_type=BusinessDocType.REVOKE, business_doc_reason="Sai sót")
    assert parse_document(build_document(revoke)).business_type is BusinessDocType.REVOKE

    replace = full_document(
        business_doc_type=BusinessDocType.REPLACE,
        business_doc_reason="Thay thế văn bản ban hành nhầm",
        replaces=["000.00.00.G22,2018/09/19,7800/VPCP-TTĐT"],
    )
    parsed = parse_document(build_document(replace))
    assert parsed.business_doc_type == 3
    assert parsed.replaces == ["000.00.00.G22,2018/09/19,7800/VPCP-TTĐT"]

    with pytest.raises(EdxmlError, match="lý do") as exc:
        build_document(full_document(business_doc_type=BusinessDocType.REVOKE))
    assert exc.value.fields["element"] == ["TraceHeaderList/Bussiness/BussinessDocReason"]


def test_status_messages_round_trip():
    message = StatusMessage(
        document_id="000.00.00.G22,2018/09/20,7816/VPCP-TTĐT",
        sender=Organ("000.00.01.H41", "Sở Tư pháp tỉnh Quảng Ninh"),
        status_code="04",
        timestamp=datetime(2018, 9, 21, 14, 5, 0, tzinfo=VN),
        description="Giám đốc đã giao Phòng Hành chính tư pháp xử lý",
        staff=StaffInfo("Văn phòng Sở", "Trần Thị B", "0912345678", "b@stp.gov.vn"),
    )
    parsed = parse_status(build_status(message))

    assert parsed == message
    assert parsed.response_for.organ_id == "000.00.00.G22"
    assert parsed.recipient_organ_id == "000.00.00.G22"
    assert isinstance(parse(build_status(message)), StatusMessage)
    assert isinstance(parse(build_document(full_document())), EdxmlDocument)


def test_unknown_status_code_is_refused():
    message = StatusMessage(
        document_id="000.00.00.G22,2018/09/20,7816/VPCP-TTĐT",
        sender=Organ("000.00.01.H41", "Sở Tư pháp"),
        status_code="07",
        timestamp=datetime(2018, 9, 21, 14, 5, tzinfo=VN),
    )
    with pytest.raises(EdxmlError, match="07") as exc:
        build_status(message)
    assert exc.value.fields["element"] == ["Status/StatusCode"]


# --- refusals --------------------------------------------------------------------------------


def test_subject_over_500_characters_is_refused_when_building_and_parsing():
    with pytest.raises(EdxmlError, match="500") as exc:
        build_document(full_document(subject="V" * 501))
    assert exc.value.fields["element"] == ["MessageHeader/Subject"]

    raw = build_document(full_document()).replace(
        "Về việc triển khai Trục liên thông văn bản quốc gia".encode(), ("Đ" * 501).encode()
    )
    with pytest.raises(EdxmlError, match=r"Subject.*vượt quá 500"):
        parse_document(raw)


def refused(raw: bytes) -> EdxmlError:
    with pytest.raises(EdxmlError) as exc:
        parse_document(raw)
    return exc.value


def test_malformed_xml_is_refused():
    error = refused(build_document(full_document())[:-40])
    assert error.code == "edxml_malformed"
    assert "không phải XML hợp lệ" in error.message

    assert refused(b"").code == "edxml_malformed"
    assert refused(b"not xml at all").code == "edxml_malformed"


def test_entities_and_doctype_are_refused_before_parsing():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<edXML:edXML xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">&b;</edXML:edXML>'
    )
    error = refused(bomb)
    assert "DOCTYPE" in error.message
    external = (
        b'<?xml version="1.0"?>\n<!-- hi -->\n<!DOCTYPE x SYSTEM "http://example.com/x.dtd"><x/>'
    )
    assert "DOCTYPE" in refused(external).message


def test_wrong_root_or_namespace_is_refused():
    raw = build_document(full_document()).replace(NS.encode(), b"urn:other")
    assert "edXML" in refused(raw).message


@pytest.mark.parametrize(
    ("old", "new", "element"),
    [
        # a misspelt element is ignored as an unknown extra; the one required is then missing
        (b"<edXML:Subject>", b"<edXML:Subjectx>", "MessageHeader/Subject"),
        (
            b"2018/09/20</edXML:PromulgationDate>",
            b"2018-09-20</edXML:PromulgationDate>",
            "PromulgationDate",
        ),
        (
            b"2018/09/20</edXML:PromulgationDate>",
            b"2018/02/30</edXML:PromulgationDate>",
            "PromulgationDate",
        ),
        (b"2018/09/20 08:30:05", b"20/09/2018 08:30", "Timestamp"),
        (b"<edXML:Priority>2</edXML:Priority>", b"<edXML:Priority>9</edXML:Priority>", "Priority"),
        (
            b"<edXML:BussinessDocType>0</edXML:BussinessDocType>",
            b"<edXML:BussinessDocType>7</edXML:BussinessDocType>",
            "BussinessDocType",
        ),
    ],
)
def test_broken_elements_are_named(old, new, element):
    raw = build_document(full_document())
    assert old in raw
    if new.startswith(b"<edXML:Subjectx>"):
        raw = raw.replace(b"</edXML:Subject>", b"</edXML:Subjectx>")
    error = refused(raw.replace(old, new, 1))
    assert element in error.message or element in str(error.fields)


def test_missing_required_elements_are_named():
    root = etree.fromstring(build_document(full_document()))
    ns = {"e": NS}
    for path in ("Subject", "DocumentId", "From", "Code"):
        tree = etree.fromstring(etree.tostring(root))
        node = tree.find(f"e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:{path}", ns)
        node.getparent().remove(node)
        error = refused(etree.tostring(tree))
        assert f"Thiếu phần tử bắt buộc {path}" in error.message
        assert error.fields["element"][0].endswith(f"MessageHeader/{path}")


def test_document_id_must_match_sender_and_number():
    # another date is accepted as sent (test_edxml_variants); another organ is not
    raw = build_document(full_document()).replace(
        b"<edXML:DocumentId>000.00.00.G22,2018/09/20,",
        b"<edXML:DocumentId>000.00.00.G23,2018/09/20,",
    )
    assert "DocumentId" in refused(raw).message


def test_attachments_must_be_valid_base64_and_listed():
    raw = build_document(full_document())
    value = base64.b64encode(b"%PDF-1.7\n...")
    assert "base64" in refused(raw.replace(value, b"!!not base64!!")).message
    assert (
        "edXMLManifest"
        in refused(raw.replace(b"<edXML:ContentId>att1", b"<edXML:ContentId>xx", 1)).message
    )


@override_settings(EXCHANGE_MAX_PACKAGE_BYTES=2000)
def test_a_package_over_the_size_limit_is_refused_before_parsing():
    raw = build_document(full_document())
    assert len(raw) > 2000
    error = refused(raw)
    assert error.code == "package_too_large"
    assert "vượt quá giới hạn 2000 byte" in error.message


def test_large_attachments_parse(settings):
    """A single attachment larger than libxml2's 10 MB text-node limit still parses."""
    big = bytes(range(256)) * (11 * 4096)  # 11.5 MB
    doc = full_document(attachments=[Attachment("ban-do.tif", "image/tiff", big)])
    assert parse_document(build_document(doc)).attachments[0].data == big


def test_control_characters_are_refused():
    with pytest.raises(EdxmlError, match="ký tự điều khiển"):
        build_document(full_document(subject="Về việc\x00 thử"))


def test_document_id_helpers():
    assert edxml.split_document_id("000.00.00.G22,2018/09/20,7816/VPCP-TTĐT") == (
        "000.00.00.G22",
        date(2018, 9, 20),
        "7816/VPCP-TTĐT",
    )
    with pytest.raises(EdxmlError):
        edxml.split_document_id("7816/VPCP")
