"""Packages and statuses written the way each peer's reader reads them (issue #14).

SDK (the national SDK samples) and BKAV (the Bkav eDoc reader) are checked the way those readers
look at a package: by local name, data base64 in ContentTransferEncoded (zipped or not),
TypeDetail an integer, OrganizationInCharge filled, the signature inside edXMLHeader, a status
in edXMLHeader/MessageHeader (SDK) or edXMLHeader/Status (BKAV) with its children in order.
Whatever the dialect, our own parser reads back the same document, our verifier accepts the
signature, and a peer's setting decides the shape of what it is sent.
"""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import date, datetime
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from egov.core.actors import SYSTEM
from egov.exchange import edxml, endpoints, receiving, sending, signature
from egov.exchange.edxml import (
    Attachment,
    BusinessDocumentInfo,
    BusinessReceiver,
    Dialect,
    EdxmlDocument,
    EdxmlError,
    Organ,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    TraceHeader,
)
from egov.exchange.hub import organ_for_agency
from egov.exchange.models import ExternalEndpoint, IncomingPackage, OutgoingPackage

from .test_edxml_variants import FIELDS

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8
DOCX = bytes(range(255, -1, -1)) * 16

DOCUMENT_FIELDS = (*FIELDS, "paper", "business_staff", "business_info")


def document(**changes: Any) -> EdxmlDocument:
    values: dict[str, Any] = {
        "sender": Organ(
            "000.00.00.G22",
            "Văn phòng Chính phủ",
            organization_in_charge="Chính phủ",
            organ_add="16 Lê Hồng Phong, Ba Đình, Hà Nội",
            email="vpcp@chinhphu.vn",
            telephone="080 43162",
        ),
        "recipients": [
            Organ("000.00.00.H41", "Ủy ban nhân dân tỉnh Quảng Ninh", "Tỉnh Quảng Ninh"),
            Organ("000.00.01.H41", "Sở Tư pháp tỉnh Quảng Ninh", "Tỉnh Quảng Ninh"),
        ],
        "code_number": "7816",
        "code_notation": "VPCP-TTĐT",
        "promulgation_place": "Hà Nội",
        "promulgation_date": date(2018, 9, 20),
        "subject": "Về việc triển khai Trục liên thông văn bản quốc gia",
        "document_type": 1,
        "document_type_name": "Công văn",
        "type_detail": "12",
        "content": "Đề nghị các cơ quan triển khai.",
        "signer": SignerInfo("KT. BỘ TRƯỞNG, CHỦ NHIỆM", "Phó Chủ nhiệm", "Nguyễn Văn A"),
        "due_date": date(2018, 10, 1),
        "to_places": ["Như trên", "Lưu: VT"],
        "priority": 2,
        "sphere_of_promulgation": "Toàn quốc",
        "typer_notation": "TTĐT",
        "promulgation_amount": 3,
        "page_amount": 2,
        "appendixes": ["Phụ lục I"],
        "response_for": [
            ResponseFor(
                "000.00.00.H41",
                "123/UBND-VP",
                date(2018, 9, 1),
                "000.00.00.H41,2018/09/01,123/UBND-VP",
            )
        ],
        "steering_type": 1,
        "business_doc_type": 2,
        "business_doc_reason": "Cập nhật nơi nhận",
        "trace": [TraceHeader("000.00.00.G22", datetime(2018, 9, 20, 8, 30, 5, tzinfo=VN))],
        "paper": 1,
        "business_staff": StaffInfo(
            "Văn thư văn phòng", "Nguyễn Thị Ngọc Trâm", "0912000001", "vt@gov.vn"
        ),
        "business_info": BusinessDocumentInfo(
            document_info=1,
            document_receiver=1,
            receivers=[BusinessReceiver("000.00.00.H41", 0), BusinessReceiver("000.00.01.H41", 1)],
        ),
        "attachments": [
            Attachment("7816-VPCP.pdf", "application/pdf", PDF, "Văn bản chính"),
            Attachment("phu-luc.docx", "application/octet-stream", DOCX),
        ],
    }
    values.update(changes)
    return EdxmlDocument(**values)


def status(**changes: Any) -> StatusMessage:
    values: dict[str, Any] = {
        "document_id": "000.00.00.G22,2018/09/20,7816/VPCP-TTĐT",
        "sender": Organ("000.00.00.H41", "Ủy ban nhân dân tỉnh Quảng Ninh", "Tỉnh Quảng Ninh"),
        "status_code": "05",
        "timestamp": datetime(2018, 9, 21, 11, 8, 36, tzinfo=VN),
        "description": "Đang xử lý văn bản đến",
        "staff": StaffInfo("Phòng Hành chính", "Nguyễn Thị Ngọc Trâm", "0912000001", "nt@qn.vn"),
    }
    values.update(changes)
    return StatusMessage(**values)


def unzipped(attachment: Attachment) -> tuple[str, bytes]:
    """(name, bytes) as the reader ends up with them: a zip we made holds the one file."""
    if attachment.content_type == edxml.ZIP_CONTENT_TYPE and attachment.data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(attachment.data)) as archive:
            [entry] = archive.infolist()
            assert entry.filename == attachment.name
            return entry.filename, archive.read(entry)
    return attachment.name, attachment.data


def local(element: Any, *path: str) -> list[Any]:
    """Children by local name, as the Java readers find them (any namespace, any prefix)."""
    found = [element]
    for name in path:
        found = [
            c
            for e in found
            for c in e
            if isinstance(c.tag, str) and etree.QName(c).localname == name
        ]
    return found


def text_of(element: Any, *path: str) -> str:
    [found] = local(element, *path)
    return found.text or ""


HEADER = ("edXMLEnvelope", "edXMLHeader")


# --- each dialect round-trips ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "zipped"),
    [(Dialect.QCVN, False), (Dialect.SDK, False), (Dialect.SDK, True), (Dialect.BKAV, True)],
)
def test_a_document_in_each_dialect_parses_back_to_the_same_fields(dialect, zipped):
    doc = document()
    raw = edxml.build_document(doc, dialect, zip_attachments=zipped)

    parsed = edxml.parse_document(raw)
    assert isinstance(edxml.parse(raw), EdxmlDocument)

    for name in DOCUMENT_FIELDS:
        assert getattr(parsed, name) == getattr(doc, name), name
    assert parsed.document_id == doc.document_id
    assert [unzipped(a) for a in parsed.attachments] == [(a.name, a.data) for a in doc.attachments]
    assert [a.description for a in parsed.attachments] == ["Văn bản chính", ""]


def test_the_same_document_builds_the_same_bytes_zip_included():
    doc = document()
    assert edxml.build_document(doc, Dialect.SDK, zip_attachments=True) == edxml.build_document(
        doc, Dialect.SDK, zip_attachments=True
    )


def test_a_document_without_type_detail_goes_as_0_and_comes_back_without():
    doc = document(type_detail="")
    raw = edxml.build_document(doc, Dialect.SDK)
    root = etree.fromstring(raw)
    assert text_of(root, *HEADER, "MessageHeader", "DocumentType", "TypeDetail") == "0"
    assert edxml.parse_document(raw).type_detail == ""


def test_a_type_detail_readers_cannot_parse_as_an_integer_is_refused():
    with pytest.raises(EdxmlError) as exc:
        edxml.build_document(document(type_detail="CV"), Dialect.SDK)
    assert exc.value.element.endswith("DocumentType/TypeDetail")


@pytest.mark.parametrize("dialect", list(Dialect))
def test_a_status_in_each_dialect_parses_back_to_the_same_fields(dialect):
    message = status()
    raw = edxml.build_status(message, dialect)

    parsed = edxml.parse_status(raw)
    assert isinstance(edxml.parse(raw), StatusMessage)
    with pytest.raises(EdxmlError):
        edxml.parse_document(raw)
    for name in ("document_id", "sender", "status_code", "timestamp", "description", "staff"):
        assert getattr(parsed, name) == getattr(message, name), name
    assert parsed.recipient_organ_id == "000.00.00.G22"


@pytest.mark.parametrize("dialect", [Dialect.SDK, Dialect.BKAV])
def test_a_status_to_someone_other_than_the_documents_sender_still_names_them(dialect):
    """A take-back answer goes from the document's sender to a recipient: the SDK layout has no
    To, so it is added after Timestamp (readers by name ignore it)."""
    message = status(
        sender=Organ("000.00.00.G22", "Văn phòng Chính phủ"),
        status_code="15",
        to_organ_id="000.00.00.H41",
    )
    parsed = edxml.parse_status(edxml.build_status(message, dialect))
    assert parsed.recipient_organ_id == "000.00.00.H41"


def test_a_package_message_header_is_not_taken_for_a_status():
    raw = edxml.build_document(document(), Dialect.SDK)
    with pytest.raises(EdxmlError):
        edxml.parse_status(raw)
    # and a MessageHeader with a StatusCode is never a package
    with pytest.raises(EdxmlError):
        edxml.parse_document(edxml.build_status(status(), Dialect.SDK))


def test_status_children_are_read_in_any_order():
    raw = edxml.build_status(status(), Dialect.BKAV)
    root = etree.fromstring(raw)
    [element] = local(root, *HEADER, "Status")
    element[:] = list(reversed(list(element)))
    parsed = edxml.parse_status(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert parsed.status_code == "05" and parsed.staff == status().staff


# --- the shapes, the way deployed readers read them ----------------------------------------


@pytest.mark.parametrize("dialect", [Dialect.SDK, Dialect.BKAV])
def test_sdk_and_bkav_packages_read_as_the_deployed_readers_read_them(dialect):
    doc = document(recipients=[Organ("000.00.00.H41", "UBND tỉnh Quảng Ninh", "Tỉnh Quảng Ninh")])
    raw = edxml.build_document(doc, dialect, zip_attachments=True)
    root = etree.fromstring(raw)

    # the SDK sample's namespaces: default on the root, edXML: on the envelope
    assert root.nsmap[None] == edxml.NS
    assert raw.count(b"<edXML:edXMLEnvelope") == 1 and b"<AttachmentEncoded>" in raw
    message = local(root, *HEADER, "MessageHeader")[0]
    assert [etree.QName(c).localname for c in message] == [
        "From", "To", "ResponseFor", "DocumentId", "Code", "PromulgationInfo", "DocumentType",
        "Subject", "Content", "SignerInfo", "DueDate", "OtherInfo", "SteeringType", "ToPlaces",
    ]  # fmt: skip
    assert [etree.QName(c).localname for c in local(message, "From")[0]] == [
        "OrganId", "OrganizationInCharge", "OrganName", "OrganAdd", "Email", "Telephone", "Fax",
        "Website",
    ]  # fmt: skip
    assert text_of(message, "From", "OrganizationInCharge") == "Chính phủ"
    assert text_of(message, "To", "OrganizationInCharge") == "Tỉnh Quảng Ninh"
    assert [etree.QName(c).localname for c in local(message, "DocumentType")[0]] == [
        "Type", "TypeDetail", "TypeName",
    ]  # fmt: skip
    assert int(text_of(message, "DocumentType", "TypeDetail")) == 12

    business = local(root, *HEADER, "TraceHeaderList", "Bussiness")[0]
    assert [etree.QName(c).localname for c in business] == [
        "BussinessDocType", "BussinessDocReason", "Paper", "BussinessDocumentInfo", "StaffInfo",
    ]  # fmt: skip
    assert text_of(business, "Paper") == "1"
    assert text_of(business, "StaffInfo", "Staff") == "Nguyễn Thị Ngọc Trâm"
    assert [
        text_of(r, "OrganId")
        for r in local(business, "BussinessDocumentInfo", "ReceiverList", "Receiver")
    ] == ["000.00.00.H41", "000.00.01.H41"]

    # attachments: data in ContentTransferEncoded, a one-file zip named like the attachment
    attachments = local(root, "AttachmentEncoded", "Attachment")
    assert [[etree.QName(c).localname for c in a] for a in attachments] == [
        ["ContentId", "AttachmentName", "Description", "ContentType", "ContentTransferEncoded"]
    ] * 2
    assert [text_of(a, "ContentId") for a in attachments] == ["cid:1", "cid:2"]
    for element, original in zip(attachments, doc.attachments, strict=True):
        assert text_of(element, "ContentType") == "application/zip"
        data = base64.b64decode(text_of(element, "ContentTransferEncoded"))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.namelist() == [original.name]
            assert archive.read(original.name) == original.data


def test_without_zip_the_data_is_the_file_itself_and_a_zip_is_never_zipped_again():
    inner = edxml.zip_one("a.txt", b"abc")
    doc = document(
        attachments=[
            Attachment("ho-so.zip", "application/zip", inner),
            Attachment("a.pdf", "application/pdf", PDF),
        ]
    )
    root = etree.fromstring(edxml.build_document(doc, Dialect.SDK, zip_attachments=True))
    first, second = local(root, "AttachmentEncoded", "Attachment")
    assert base64.b64decode(text_of(first, "ContentTransferEncoded")) == inner
    assert text_of(second, "ContentType") == "application/zip"

    root = etree.fromstring(edxml.build_document(doc, Dialect.SDK, zip_attachments=False))
    second = local(root, "AttachmentEncoded", "Attachment")[1]
    assert text_of(second, "ContentType") == "application/pdf"
    assert base64.b64decode(text_of(second, "ContentTransferEncoded")) == PDF


@pytest.mark.parametrize(
    ("dialect", "tag"), [(Dialect.SDK, "MessageHeader"), (Dialect.BKAV, "Status")]
)
def test_sdk_and_bkav_statuses_are_where_their_readers_look(dialect, tag):
    root = etree.fromstring(edxml.build_status(status(), dialect))
    [element] = local(root, *HEADER, tag)
    assert [etree.QName(c).localname for c in element] == [
        "From", "ResponseFor", "StaffInfo", "StatusCode", "Description", "Timestamp",
    ]  # fmt: skip
    assert text_of(element, "StatusCode") == "05"
    assert text_of(element, "From", "OrganizationInCharge") == "Tỉnh Quảng Ninh"
    assert text_of(element, "ResponseFor", "DocumentId") == status().document_id
    assert not local(root, *HEADER, "Status" if tag == "MessageHeader" else "MessageHeader")


def test_an_unsigned_build_carries_no_empty_signature():
    assert b"Signature" not in edxml.build_document(document(), Dialect.SDK)
    assert b"Signature" not in edxml.build_status(status(), Dialect.BKAV)


# --- signed, verified, received -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("dialect", list(Dialect))
def test_signed_packages_in_each_dialect_verify_and_are_received(
    dialect, certified, make_doc, recorder
):
    a, b = certified
    doc = make_doc(a, [b], type_detail="3", business_staff=StaffInfo("Văn thư", "Trần Thị B"))
    root = edxml.document_element(doc, dialect, zip_attachments=False)
    raw = edxml.to_bytes(signature.sign_root(root, agency=a))

    verification = signature.verify(raw)
    assert verification.valid, verification.errors
    signed = etree.fromstring(raw)
    in_header = local(signed, *HEADER, "Signature")
    if dialect is Dialect.QCVN:
        assert not in_header and etree.QName(signed[-1]).localname == "Signature"
    else:
        # where the Bkav reader looks, after TraceHeaderList; a real xmldsig signature
        [sig] = in_header
        assert etree.QName(sig).namespace == edxml.DSIG_NS
        assert etree.QName(sig.getprevious()).localname == "TraceHeaderList"

    with transaction.atomic():
        result = receiving.receive_package(raw, via="test", recipient_organ_id=b.identifier)
    assert result.status_code == "01", result
    [received] = recorder.packages
    assert received.document.business_staff == StaffInfo("Văn thư", "Trần Thị B")
    assert received.document.type_detail == "3"
    assert IncomingPackage.objects.filter(recipient_agency=b).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("dialect", [Dialect.SDK, Dialect.BKAV])
def test_a_tampered_sdk_package_fails_verification(dialect, certified, make_doc):
    a, b = certified
    root = edxml.document_element(make_doc(a, [b]), dialect)
    raw = edxml.to_bytes(signature.sign_root(root, agency=a))
    forged = raw.replace("Về việc triển khai".encode(), "Về việc hủy bỏ".encode())
    assert not signature.verify(forged).valid


@pytest.mark.django_db
@pytest.mark.parametrize("dialect", [Dialect.SDK, Dialect.BKAV])
def test_signed_statuses_verify(dialect, certified):
    a, _b = certified
    message = status(sender=organ_for_agency(a))
    raw = edxml.to_bytes(signature.sign_root(edxml.status_element(message, dialect), agency=a))
    assert signature.verify(raw).valid
    assert local(etree.fromstring(raw), *HEADER, "Signature")
    assert edxml.parse_status(raw).status_code == "05"


# --- peers' settings decide -----------------------------------------------------------------


def declare(organ_id: str, name: str, **settings: Any) -> ExternalEndpoint:
    return endpoints.save_endpoint(
        actor=SYSTEM,
        organ_id=organ_id,
        organ_name=name,
        url=f"https://{organ_id}.example.gov.vn/api/v1/exchange/",
        **settings,
    )


@pytest.mark.django_db
def test_a_send_to_peers_of_two_dialects_makes_a_package_in_each_ones_shape(certified, make_doc):
    a, _b = certified
    bkav = declare("000.00.00.H35", "UBND tỉnh Hà Nam", dialect="bkav")
    strict = declare("000.00.00.H26", "UBND tỉnh Thái Bình", dialect="qcvn")
    sdk = declare("000.00.00.H56", "UBND tỉnh Hải Dương")  # the default: SDK, zipped
    doc = make_doc(a, [Organ(e.organ_id, e.organ_name) for e in (bkav, strict, sdk)])

    with transaction.atomic():
        packages = sending.send(doc, actor=SYSTEM, sender_agency=a)

    by_peer = {p.recipient_organ_id: p for p in packages}
    assert len({p.data_id for p in packages}) == 3  # zipped SDK and BKAV differ, QCVN too
    for organ_id, package in by_peer.items():
        raw = bytes(package.data.raw)
        root = etree.fromstring(raw)
        assert signature.verify(raw).valid
        attachment = local(root, "AttachmentEncoded", "Attachment")[0]
        if organ_id == strict.organ_id:
            assert root.prefix == "edXML" and not local(root, *HEADER, "Signature")
            assert text_of(attachment, "ContentTransferEncoded") == "base64"
        else:
            assert root.prefix is None and local(root, *HEADER, "Signature")
            assert text_of(attachment, "ContentType") == "application/zip"
        parsed = edxml.parse_document(raw)
        assert [o.organ_id for o in parsed.recipients] == [
            bkav.organ_id,
            strict.organ_id,
            sdk.organ_id,
        ]
    sent = OutgoingPackage.objects.filter(document_id=doc.document_id)
    assert sent.count() == 3


@pytest.mark.django_db
def test_peers_reading_alike_share_one_package(certified, make_doc):
    a, _b = certified
    one = declare("000.00.00.H35", "UBND tỉnh Hà Nam", dialect="sdk")
    two = declare("000.00.00.H56", "UBND tỉnh Hải Dương", dialect="sdk")
    doc = make_doc(a, [Organ(e.organ_id, e.organ_name) for e in (one, two)])
    with transaction.atomic():
        packages = sending.send(doc, actor=SYSTEM, sender_agency=a)
    assert len({p.data_id for p in packages}) == 1


@pytest.mark.django_db
def test_our_own_agencies_get_the_local_dialect(
    certified, make_doc, recorder, django_capture_on_commit_callbacks
):
    a, b = certified
    for dialect in ("sdk", "qcvn"):
        with override_settings(EXCHANGE_LOCAL_DIALECT=dialect):
            doc = make_doc(a, [b])
            with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
                [package] = sending.send(doc, actor=SYSTEM, sender_agency=a)
            root = etree.fromstring(bytes(package.data.raw))
            assert (root.prefix is None) == (dialect == "sdk")
    # both arrived and were read
    assert [p.document.subject for p in recorder.packages] == [doc.subject] * 2
    assert [(x.name, x.data) for x in recorder.packages[0].document.attachments] == [
        ("cong-van.txt", "Nội dung công văn".encode())
    ]


@pytest.mark.django_db
def test_an_endpoints_dialect_defaults_to_the_setting_and_is_checked(db):
    assert declare("000.00.00.H35", "Hà Nam").dialect == "sdk"
    with override_settings(EXCHANGE_DEFAULT_DIALECT="bkav"):
        endpoint = declare("000.00.00.H26", "Thái Bình")
    assert (endpoint.dialect, endpoint.zip_attachments) == ("bkav", True)
    endpoint = declare("000.00.00.H26", "Thái Bình", zip_attachments=False)
    assert (endpoint.dialect, endpoint.zip_attachments) == ("bkav", False)  # kept
    with pytest.raises(Exception) as exc:
        declare("000.00.00.H26", "Thái Bình", dialect="soap")
    assert "dialect" in exc.value.fields  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_endpoint_command_sets_the_dialect_and_zip(db):
    args = ["exchange_endpoint", "000.00.00.H56", "--name", "UBND tỉnh Thái Bình", "--url",
            "https://vpdt.thaibinh.gov.vn/api/v1/exchange/"]  # fmt: skip
    call_command(*args, "--dialect", "bkav", "--no-zip", stdout=StringIO())
    endpoint = ExternalEndpoint.objects.get()
    assert (endpoint.dialect, endpoint.zip_attachments) == ("bkav", False)
    call_command(*args, "--dialect", "qcvn", stdout=StringIO())
    endpoint.refresh_from_db()
    assert (endpoint.dialect, endpoint.zip_attachments) == ("qcvn", False)
    call_command(*args, "--zip", stdout=StringIO())
    endpoint.refresh_from_db()
    assert (endpoint.dialect, endpoint.zip_attachments) == ("qcvn", True)


@pytest.mark.django_db
def test_an_operator_sets_the_dialect_in_the_administration(
    client, agency, make_official, login_with_mfa
):
    from django.contrib.auth.models import Permission

    from egov.org.models import Role

    user = make_official(agency, roles=[Role.OPERATOR]).user
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="exchange"))
    login_with_mfa(user)
    form = client.get("/quan-tri/exchange/externalendpoint/add/").content.decode()
    assert 'name="dialect"' in form and "Bkav eDoc" in form
    response = client.post(
        "/quan-tri/exchange/externalendpoint/add/",
        {
            "organ_id": "000.00.00.H56",
            "organ_name": "Ủy ban nhân dân tỉnh Thái Bình",
            "url": "https://vpdt.thaibinh.gov.vn/api/v1/exchange/",
            "timeout_seconds": "30",
            "dialect": "bkav",
            "is_active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    endpoint = ExternalEndpoint.objects.get()
    assert (endpoint.dialect, endpoint.zip_attachments) == ("bkav", False)  # box left unticked


# --- what deployed readers show ---------------------------------------------------------------


@pytest.mark.django_db
def test_organization_in_charge_is_the_parent_or_the_province(agency, other_agency):
    assert organ_for_agency(agency).organization_in_charge == "Tỉnh Quảng Ninh"
    other_agency.parent = agency
    other_agency.save()
    assert organ_for_agency(other_agency).organization_in_charge == agency.name
    agency.admin_unit = None
    agency.save()
    assert organ_for_agency(agency).organization_in_charge == agency.name
