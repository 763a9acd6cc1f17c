"""What deployed senders send parses into the same document or status as our own shape
("liberal in what we accept, strict in what we record"); a malformed variant is still refused.

Each variant below is derived from a package we build, by a fixture written here, so the test
compares the two parses field by field.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
from lxml import etree

from egov.exchange.edxml import (
    NS,
    Attachment,
    EdxmlDocument,
    EdxmlError,
    Organ,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    _unzipped,
    build_document,
    build_status,
    parse_document,
    parse_status,
)

from .test_edxml import VN, full_document

FIELDS = (
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
    "business_doc_type",
    "business_doc_reason",
    "replaces",
    "trace",
)


def assert_same(variant: EdxmlDocument, ours: EdxmlDocument) -> None:
    for name in FIELDS:
        assert getattr(variant, name) == getattr(ours, name), name
    assert variant.document_id == ours.document_id
    assert [(a.name, a.content_type, a.data, a.description) for a in variant.attachments] == [
        (a.name, a.content_type, a.data, a.description) for a in ours.attachments
    ]


def refused(raw: bytes) -> EdxmlError:
    with pytest.raises(EdxmlError) as exc:
        parse_document(raw)
    return exc.value


def replaced(raw: bytes, *pairs: tuple[bytes, bytes]) -> bytes:
    for old, new in pairs:
        assert old in raw, old
        raw = raw.replace(old, new)
    return raw


# --- 1. day-first dates and timestamps --------------------------------------------------------


def day_first_package() -> bytes:
    """Our package with PromulgationDate, DueDate and the ResponseFor date as dd/MM/yyyy and the
    TraceHeader timestamp as dd/MM/yyyy HH:mm:ss (DocumentId keeps yyyy/MM/dd)."""
    return replaced(
        build_document(full_document()),
        (
            b"<edXML:PromulgationDate>2018/09/20<",
            b"<edXML:PromulgationDate>20/09/2018<",
        ),
        (b"<edXML:PromulgationDate>2018/09/01<", b"<edXML:PromulgationDate>01/09/2018<"),
        (b"<edXML:DueDate>2018/10/01<", b"<edXML:DueDate>01/10/2018<"),
        (b"<edXML:Timestamp>2018/09/20 08:30:05<", b"<edXML:Timestamp>20/09/2018 08:30:05<"),
    )


def test_day_first_dates_parse_to_the_same_document():
    ours = parse_document(build_document(full_document()))
    assert_same(parse_document(day_first_package()), ours)


def test_day_first_status_timestamp_parses_to_the_same_status():
    message = StatusMessage(
        document_id="000.00.00.G22,2018/09/20,7816/VPCP-TTĐT",
        sender=Organ("000.00.01.H41", "Sở Tư pháp tỉnh Quảng Ninh"),
        status_code="03",
        timestamp=datetime(2018, 9, 21, 14, 5, 0, tzinfo=VN),
        staff=StaffInfo("Văn phòng Sở", "Trần Thị B"),
    )
    raw = replaced(
        build_status(message),
        (b">2018/09/21 14:05:00<", b">21/09/2018 14:05:00<"),
        (b"<edXML:PromulgationDate>2018/09/20<", b"<edXML:PromulgationDate>20/09/2018<"),
    )
    assert parse_status(raw) == message


@pytest.mark.parametrize(
    ("old", "new", "element"),
    [
        # a date that does not exist in day-first order
        (b">20/09/2018<", b">31/09/2018<", "PromulgationDate"),
        # neither order: the year is not where either form puts it
        (b">20/09/2018<", b">20/2018/09<", "PromulgationDate"),
        (b">20/09/2018<", b">20-09-2018<", "PromulgationDate"),
        (b">20/09/2018<", b">2/9/2018<", "PromulgationDate"),
        (b">01/10/2018<", b">10/01/18<", "DueDate"),
        # month 13 is refused in day-first order rather than read month-first
        (b">01/10/2018<", b">01/13/2018<", "DueDate"),
        (b">20/09/2018 08:30:05<", b">20/09/2018 08:30<", "Timestamp"),
        (b">20/09/2018 08:30:05<", b">20/09/2018 25:30:05<", "Timestamp"),
    ],
)
def test_a_malformed_day_first_date_is_refused(old, new, element):
    error = refused(replaced(day_first_package(), (old, new)))
    assert error.fields["element"][0].endswith(element)


def test_the_document_id_date_stays_year_first():
    raw = replaced(
        day_first_package(),
        (
            b"<edXML:DocumentId>000.00.00.G22,2018/09/20,",
            b"<edXML:DocumentId>000.00.00.G22,20/09/2018,",
        ),
    )
    assert "yyyy/MM/dd" in refused(raw).message


# --- 2. ContentId as cid: URL or <message id> ------------------------------------------------


def content_id_package(manifest_form: bytes, attachment_form: bytes) -> bytes:
    """Our package with the first attachment's ContentId written one way in the manifest and
    another way in AttachmentEncoded (`{id}` stands for our bare ContentId)."""
    ours = build_document(full_document())
    start = ours.index(b"<edXML:ContentId>") + len(b"<edXML:ContentId>")
    content_id = ours[start : ours.index(b"<", start)]
    manifest_at = ours.index(b"<edXML:edXMLManifest>")
    attachments_at = ours.index(b"<edXML:AttachmentEncoded>")
    old = b"<edXML:ContentId>" + content_id + b"<"

    def form(pattern: bytes) -> bytes:
        return b"<edXML:ContentId>" + pattern.replace(b"{id}", content_id) + b"<"

    head, manifest, encoded = (
        ours[:manifest_at],
        ours[manifest_at:attachments_at],
        ours[attachments_at:],
    )
    return (
        head
        + replaced(manifest, (old, form(manifest_form)))
        + replaced(encoded, (old, form(attachment_form)))
    )


@pytest.mark.parametrize(
    ("manifest_form", "attachment_form"),
    [
        (b"cid:{id}", b"{id}"),
        (b"{id}", b"CID:{id}"),
        (b"&lt;{id}&gt;", b"cid:{id}"),
        (b"cid:&lt;{id}&gt;", b"&lt;{id}&gt;"),
    ],
)
def test_content_id_forms_match_the_same_attachment(manifest_form, attachment_form):
    ours = parse_document(build_document(full_document()))
    variant = parse_document(content_id_package(manifest_form, attachment_form))
    assert_same(variant, ours)
    # recorded in the bare form
    assert [a.content_id for a in variant.attachments] == [a.content_id for a in ours.attachments]


@pytest.mark.parametrize(
    ("manifest_form", "attachment_form", "message"),
    [
        (b"cid:", b"{id}", "ContentId"),
        (b"&lt;{id}", b"{id}", "ContentId"),
        (b"cid:&lt;&gt;", b"{id}", "ContentId"),
        # a different id after the prefix is still a different attachment
        (b"cid:x{id}", b"{id}", "edXMLManifest"),
    ],
)
def test_a_malformed_content_id_is_refused(manifest_form, attachment_form, message):
    assert message in refused(content_id_package(manifest_form, attachment_form)).message


def test_two_forms_of_one_content_id_are_a_duplicate():
    raw = build_document(full_document())
    start = raw.index(b"<edXML:ContentId>") + len(b"<edXML:ContentId>")
    first = raw[start : raw.index(b"<", start)]
    second_start = raw.index(b"<edXML:ContentId>att2")
    second_end = raw.index(b"<", second_start + len(b"<edXML:ContentId>"))
    raw = raw[:second_start] + b"<edXML:ContentId>cid:" + first + raw[second_end:]
    assert "bị trùng" in refused(raw).message


# --- 3. attachment data in ContentTransferEncoded; zipped single files unzipped --------------


def data_in_transfer_package(doc: EdxmlDocument | None = None, *, value: bytes = b"") -> bytes:
    """Our package with every attachment's base64 moved from Value into ContentTransferEncoded
    and Value left as given (empty by default; b"-" drops the element)."""
    root = etree.fromstring(build_document(doc or full_document()))
    ns = {"e": NS}
    for item in root.findall("e:AttachmentEncoded/e:Attachment", ns):
        transfer = item.find("e:ContentTransferEncoded", ns)
        item_value = item.find("e:Value", ns)
        transfer.text = item_value.text
        if value == b"-":
            item.remove(item_value)
        else:
            item_value.text = value.decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("value", [b"", b"  \n ", b"-"])
def test_data_in_content_transfer_encoded_parses_to_the_same_attachments(value):
    ours = parse_document(build_document(full_document()))
    assert_same(parse_document(data_in_transfer_package(value=value)), ours)


@pytest.mark.parametrize(
    ("transfer", "value", "message"),
    [
        ("!!not base64!!", "", "không phải base64"),
        ("QUJD", "QUJD", "phải mã hóa base64"),  # data in both: which one is meant?
        ("7bit", "", "phải mã hóa base64"),  # a transfer-encoding word, not data
        ("quoted-printable", "", "phải mã hóa base64"),
        ("base64", None, "Thiếu phần tử bắt buộc Value"),
    ],
)
def test_malformed_data_in_content_transfer_encoded_is_refused(transfer, value, message):
    root = etree.fromstring(build_document(full_document()))
    ns = {"e": NS}
    item = root.find("e:AttachmentEncoded/e:Attachment", ns)
    item.find("e:ContentTransferEncoded", ns).text = transfer
    if value is None:
        item.remove(item.find("e:Value", ns))
    else:
        item.find("e:Value", ns).text = value
    assert message in refused(etree.tostring(root)).message


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("7816-VPCP.zip", "application/zip"),  # a zip the author attached, named so
        ("7816-VPCP.ZIP", "application/octet-stream"),
        ("7816-VPCP.pdf", "application/octet-stream"),  # not declared a zip: not ours to open
    ],
)
def test_a_zip_named_zip_or_not_declared_zip_is_kept_as_received(name, content_type):
    archive = zipped("7816-VPCP.pdf", b"%PDF-1.7\n" + b"0" * 1000)
    doc = full_document(attachments=[Attachment(name, content_type, archive)])
    for raw in (build_document(doc), data_in_transfer_package(doc)):
        [attachment] = parse_document(raw).attachments
        assert attachment.data == archive  # not unzipped
        assert (attachment.name, attachment.content_type) == (name, content_type)


@pytest.mark.parametrize(
    ("name", "inner_name", "data", "content_type"),
    [
        # the SDK zips every file and keeps its own name (edoc_new.edxml: a .doc, application/zip)
        ("1896_QD-TTg.doc", "32da2890.edxml", b"\xd0\xcf\x11\xe0 word", "application/msword"),
        ("cong-van.txt", "x", "Nội dung".encode(), "text/plain"),
        # a PDF is known by its bytes, whatever the name says; the inner name is never a path
        ("7816-VPCP.doc", "../../etc/passwd", b"%PDF-1.7\n" + b"1" * 500, "application/pdf"),
        ("khong-duoi", "a.pdf", b"\x00\x01binary", "application/octet-stream"),
    ],
)
def test_a_zipped_single_file_not_named_zip_is_unzipped(name, inner_name, data, content_type):
    doc = full_document(attachments=[Attachment(name, "application/zip", zipped(inner_name, data))])
    for raw in (build_document(doc), data_in_transfer_package(doc)):
        [attachment] = parse_document(raw).attachments
        assert (attachment.name, attachment.content_type, attachment.data) == (
            name,
            content_type,
            data,
        )


def several(*entries: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry_name, data in entries:
            archive.writestr(entry_name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "archive",
    [
        several(("a.pdf", b"%PDF-1.7 a"), ("b.pdf", b"%PDF-1.7 b")),  # which one is meant?
        several(("thu-muc/", b"")),  # a directory, no file
        several(),  # empty
        b"PK\x03\x04 not really a zip",
        zipped("a.pdf", b"%PDF-1.7 " + b"x" * 2000)[:-30],  # cut short
    ],
    ids=["two-files", "directory", "empty", "not-a-zip", "truncated"],
)
def test_a_zip_that_is_not_one_plain_file_is_kept_as_received(archive):
    doc = full_document(attachments=[Attachment("van-ban.pdf", "application/zip", archive)])
    [attachment] = parse_document(data_in_transfer_package(doc)).attachments
    assert (attachment.content_type, attachment.data) == ("application/zip", archive)


def test_a_zip_bomb_is_not_expanded():
    # named .pdf and declared a zip: it would be unzipped, but its ratio gives it away
    archive = zipped("bom.pdf", bytes(200 * 1024 * 1024))  # 200 MB of zeros, ~200 KB zipped
    assert len(archive) < 1024 * 1024
    doc = full_document(attachments=[Attachment("bom.pdf", "application/zip", archive)])
    [attachment] = parse_document(data_in_transfer_package(doc)).attachments
    assert (attachment.content_type, attachment.data) == ("application/zip", archive)


def test_a_zipped_file_larger_than_the_package_limit_is_not_expanded(settings):
    import os

    data = os.urandom(4000)  # incompressible: the ratio check alone would let it through
    archive = zipped("a.pdf", data)
    settings.EXCHANGE_MAX_PACKAGE_BYTES = 3000
    assert _unzipped("a.pdf", "application/zip", archive) is None
    settings.EXCHANGE_MAX_PACKAGE_BYTES = 5000
    assert _unzipped("a.pdf", "application/zip", archive) == ("application/pdf", data)


def test_a_zip_lying_about_its_size_is_not_expanded():
    data = b"%PDF-1.7 " + b"y" * 3000
    archive = bytearray(zipped("a.pdf", data))
    # shrink the declared size in both headers: the data read is longer than declared
    for header, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = archive.index(header) + offset
        archive[at : at + 4] = (100).to_bytes(4, "little")
    assert _unzipped("a.pdf", "application/zip", bytes(archive)) is None


# --- 4. harmless extras and empty elements ------------------------------------------------------


def extras_package(doc: EdxmlDocument | None = None) -> bytes:
    """Our package plus OtherInfo/Direction and Bussiness/DocumentId (written by deployed
    platforms, not in QCVN 102) and an empty Appendix."""
    return replaced(
        build_document(doc or full_document()),
        (b"</edXML:OtherInfo>", b"<edXML:Direction>1</edXML:Direction></edXML:OtherInfo>"),
        (
            b"</edXML:Bussiness>",
            b"<edXML:DocumentId>6f1c2a9e-1b7d-4c8a-9e55-0d3f2b7a4c11</edXML:DocumentId>"
            b"</edXML:Bussiness>",
        ),
        (
            b"</edXML:Appendixes>",
            b"<edXML:Appendix/><edXML:Appendix> </edXML:Appendix></edXML:Appendixes>",
        ),
    )


def test_harmless_extras_are_accepted_and_ignored():
    ours = parse_document(build_document(full_document()))
    assert_same(parse_document(extras_package()), ours)


def test_an_empty_signer_name_is_accepted_on_receipt_only():
    raw = replaced(
        build_document(full_document()),
        (b"<edXML:FullName>Nguy\xe1\xbb\x85n V\xc4\x83n A</edXML:FullName>", b"<edXML:FullName/>"),
    )
    assert parse_document(raw).signer.full_name == ""
    # what we build still names the signer
    with pytest.raises(EdxmlError, match="FullName"):
        build_document(full_document(signer=SignerInfo("KT. BỘ TRƯỞNG", "Phó Chủ nhiệm", "")))


@pytest.mark.parametrize(
    ("old", "new", "element"),
    [
        # Direction is a simple value, once, and only in OtherInfo
        (b"<edXML:Direction>1<", b"<edXML:Direction><edXML:X/>1<", "OtherInfo/Direction"),
        (
            b"<edXML:Direction>1<",
            b"<edXML:Direction>1</edXML:Direction><edXML:Direction>2<",
            "OtherInfo/Direction",
        ),
        (b">6f1c2a9e-", b">" + b"9" * 300, "Bussiness/DocumentId"),  # over 255
        # an Appendix that carries nested elements is not "empty"
        (b"<edXML:Appendix/>", b"<edXML:Appendix><edXML:X/></edXML:Appendix>", "Appendix"),
    ],
)
def test_malformed_extras_are_refused(old, new, element):
    error = refused(replaced(extras_package(), (old, new)))
    assert error.fields["element"][0].endswith(element)


@pytest.mark.parametrize(
    "extra",
    [
        b"<edXML:Direction>1</edXML:Direction>",  # known in OtherInfo, unknown here
        b"<edXML:VendorField><edXML:Code>7</edXML:Code></edXML:VendorField>",
        b'<v:Tracking xmlns:v="urn:vendor:edoc" v:id="42">abc</v:Tracking>',
    ],
)
def test_unknown_harmless_elements_inside_a_record_are_ignored(extra):
    ours = parse_document(build_document(full_document()))
    raw = replaced(extras_package(), (b"<edXML:SteeringType>", extra + b"<edXML:SteeringType>"))
    assert_same(parse_document(raw), ours)


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        # in the frame of the message, an unknown element could change what it is
        (b"<edXML:Extra/>", b"<edXML:edXMLBody>"),
        # inside a record, one too big to be harmless
        (b"<edXML:Big>" + b"<edXML:I>x</edXML:I>" * 60 + b"</edXML:Big>", b"<edXML:SteeringType>"),
        (b"<edXML:Deep><a><b><c><d>x</d></c></b></a></edXML:Deep>", b"<edXML:SteeringType>"),
        (b"<edXML:Long>" + b"x" * 10_001 + b"</edXML:Long>", b"<edXML:SteeringType>"),
    ],
)
def test_unknown_elements_in_the_frame_or_too_big_are_refused(extra, where):
    raw = extras_package()
    assert where in raw
    refused(replaced(raw, (where, where + extra if where.endswith(b"Body>") else extra + where)))


def test_a_missing_signer_name_is_still_refused():
    raw = replaced(
        build_document(full_document()),
        (b"<edXML:FullName>Nguy\xe1\xbb\x85n V\xc4\x83n A</edXML:FullName>", b""),
    )
    assert "Thiếu phần tử bắt buộc FullName" in refused(raw).message


# --- 5. namespace prefixes ----------------------------------------------------------------------


def reprefixed(raw: bytes, root_start: bytes, root_end: bytes, prefix: bytes) -> bytes:
    """Our package with the root written as given and every other element under `prefix`."""
    raw = replaced(
        raw,
        (b'<edXML:edXML xmlns:edXML="' + NS.encode() + b'">', root_start),
        (b"</edXML:edXML>", root_end),
    )
    return raw.replace(b"<edXML:", b"<" + prefix + b":").replace(b"</edXML:", b"</" + prefix + b":")


NS_ATTR = NS.encode()


@pytest.mark.parametrize(
    ("root_start", "root_end", "prefix"),
    [
        # root in the default namespace, envelope under another prefix
        (b'<edXML xmlns="' + NS_ATTR + b'" xmlns:ns1="' + NS_ATTR + b'">', b"</edXML>", b"ns1"),
        # root unqualified, the namespace declared on it under a prefix
        (b'<edXML xmlns:ed="' + NS_ATTR + b'">', b"</edXML>", b"ed"),
    ],
)
def test_other_prefixes_parse_to_the_same_document_and_status(root_start, root_end, prefix):
    ours = parse_document(build_document(full_document()))
    raw = reprefixed(build_document(full_document()), root_start, root_end, prefix)
    assert_same(parse_document(raw), ours)

    message = StatusMessage(
        document_id="000.00.00.G22,2018/09/20,7816/VPCP-TTĐT",
        sender=Organ("000.00.01.H41", "Sở Tư pháp tỉnh Quảng Ninh"),
        status_code="01",
        timestamp=datetime(2018, 9, 21, 14, 5, 0, tzinfo=VN),
    )
    status_raw = reprefixed(build_status(message), root_start, root_end, prefix)
    assert parse_status(status_raw) == message


@pytest.mark.parametrize(
    ("root_start", "root_end", "prefix"),
    [
        # unqualified root that never declares the edXML namespace
        (b'<edXML xmlns:ed="urn:other">', b"</edXML>", b"ed"),
        # root in the default namespace, but the envelope left in no namespace
        (b'<edXML xmlns="' + NS_ATTR + b'" xmlns:ns1="urn:other">', b"</edXML>", b"ns1"),
        # root under another namespace
        (b'<ns1:edXML xmlns:ns1="urn:other" xmlns:ed="' + NS_ATTR + b'">', b"</ns1:edXML>", b"ed"),
    ],
)
def test_a_root_outside_the_edxml_namespace_is_refused(root_start, root_end, prefix):
    raw = reprefixed(build_document(full_document()), root_start, root_end, prefix)
    assert "edXML" in refused(raw).message


# --- 6. DocumentId as a UUID, or with another date -------------------------------------------

OUR_ID = b"000.00.00.G22,2018/09/20,7816/VPCP-T"  # the id we build, its ASCII part
SENT_UUID = "0b9e6c1e-5f1a-4d7e-8a11-3c2d9f0e7b64"


def document_id_package(document_id: bytes) -> bytes:
    """Our package with MessageHeader/DocumentId replaced (the header fields unchanged)."""
    raw = build_document(full_document())
    start = raw.index(b"<edXML:DocumentId>" + OUR_ID)
    end = raw.index(b"</edXML:DocumentId>", start)
    return raw[:start] + b"<edXML:DocumentId>" + document_id + raw[end:]


@pytest.mark.parametrize("sent", [SENT_UUID, SENT_UUID.upper()])
def test_a_uuid_document_id_is_known_by_the_id_built_from_the_header(sent):
    ours = parse_document(build_document(full_document()))
    variant = parse_document(document_id_package(sent.encode()))
    assert_same(variant, ours)
    assert variant.document_id == "000.00.00.G22,2018/09/20,7816/VPCP-TTĐT"
    assert variant.sent_document_id == sent
    assert ours.sent_document_id == ""


def test_a_document_id_with_another_date_is_kept_as_sent():
    """The SDK's update sample: the id keeps the first issue's date, PromulgationDate is new."""
    ours = parse_document(build_document(full_document()))
    sent = "000.00.00.G22,2018/09/18,7816/VPCP-TTĐT"
    variant = parse_document(document_id_package(sent.encode()))
    for name in FIELDS:
        assert getattr(variant, name) == getattr(ours, name), name
    assert variant.promulgation_date == ours.promulgation_date
    assert variant.document_id == variant.sent_document_id == sent


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        # not a UUID: truncated, braced, without hyphens, not hex
        (SENT_UUID[:-1], "hoặc là một UUID"),
        ("{" + SENT_UUID + "}", "hoặc là một UUID"),
        (SENT_UUID.replace("-", ""), "hoặc là một UUID"),
        (SENT_UUID.replace("0b", "0g"), "hoặc là một UUID"),
        ("12345", "hoặc là một UUID"),
        # the standard form must name the sender and the code; its date is still year-first
        ("000.00.00.G23,2018/09/20,7816/VPCP-TTĐT", "không khớp với cơ quan gửi"),
        ("000.00.00.G22,2018/09/20,7817/VPCP-TTĐT", "không khớp với cơ quan gửi"),
        ("000.00.00.G22,2018/09/31,7816/VPCP-TTĐT", "không tồn tại"),
        ("000.00.00.G22,18/09/2018,7816/VPCP-TTĐT", "yyyy/MM/dd"),
        ("000.00.00.G22,2018/09/20", "yyyy/MM/dd"),
    ],
)
def test_a_malformed_document_id_is_refused(sent, message):
    error = refused(document_id_package(sent.encode()))
    assert message in error.message
    assert error.fields["element"][0].endswith("MessageHeader/DocumentId")


def test_an_empty_document_id_is_refused():
    assert "DocumentId" in refused(document_id_package(b"")).message
