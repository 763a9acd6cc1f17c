"""edXML (QCVN 102:2016/BTTTT): build and parse document packages and status messages.

Plain dataclasses in, UTF-8 bytes out, and back again with strict structural checks:

    raw = build_document(doc)                  # bytes
    doc = parse_document(raw)                  # EdxmlDocument, or EdxmlError
    raw = build_status(msg); msg = parse_status(raw)
    parse(raw)                                 # either, by what the header holds

A package:

    edXML
      edXMLEnvelope
        edXMLHeader
          MessageHeader   From, To+, ResponseFor*, DocumentId, Code, PromulgationInfo,
                          DocumentType, Subject, Content, SignerInfo, DueDate, ToPlaces,
                          OtherInfo, SteeringType
          TraceHeaderList TraceHeader+ (OrganId, Timestamp), Bussiness
        edXMLBody
          edXMLManifest   Reference* (ContentId, ContentType, Description, AttachmentName)
      AttachmentEncoded   Attachment* (ContentId, AttachmentName, ContentType,
                          ContentTransferEncoded, Value = base64)

A status message has `Status` (ResponseFor, From, To, StatusCode, Description, Timestamp,
StaffInfo) in place of MessageHeader/TraceHeaderList and no body.

That is the QCVN dialect (`Dialect.QCVN`, the builders' default). What deployed readers read
(`Dialect.SDK`, `Dialect.BKAV`, chosen per peer) is the national SDK sample's shape: a default
namespace on the root and `edXML:` on the envelope, organ children with OrganizationInCharge
second, DocumentType (Type, TypeDetail as an integer, TypeName), Bussiness with Paper and
StaffInfo, the signature inside edXMLHeader, attachments as Attachment (ContentId `cid:N`, data
base64 in ContentTransferEncoded, optionally a one-file zip); a status as
edXMLHeader/MessageHeader (SDK) or edXMLHeader/Status (BKAV) with From, ResponseFor, StaffInfo,
StatusCode, Description, Timestamp. Both are parsed back into the same dataclasses.

An XML signature (xmldsig `Signature`, added by the signing app) may sit in the root or in
the header, as may an edXML-namespaced `Signature`/`DigitalSignature` in the header; the parser
skips them: checking them is `signature.verify`'s job. A SOAP Envelope around the edXML is taken
apart by `parse_xml` / `unwrap_soap`.

What other platforms send in a shape of their own (day-first dates, `cid:` ContentIds, data
in ContentTransferEncoded, a few extra elements, other prefixes, a UUID DocumentId or one
dated otherwise than PromulgationDate) is accepted on receipt and
parsed into the same dataclasses; docs/architecture.md lists exactly which ("What we accept").

Parsing never touches the network and never expands entities: a DOCTYPE is refused before
the parser sees the bytes, so no entity can be declared. The parser runs with `huge_tree`
because one base64 attachment of more than 10 MB is a single text node longer than libxml2's
default limit; what that limit protects against (entity amplification) is excluded by the
DOCTYPE refusal, and the input size is capped by EXCHANGE_MAX_PACKAGE_BYTES before parsing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import mimetypes
import re
import zipfile
import zlib
from collections.abc import Iterable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from egov.core.errors import DomainError

from .error_codes import ExchangeErrorCode

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
# What deployed senders put in edXMLHeader for their signature when it is not an xmldsig
# `ds:Signature`: an xmldsig structure in the edXML namespace (a Java signer's output
# re-serialized), bare or inside DigitalSignature. Ignored for the document; signature.py
# checks it.
HEADER_SIGNATURE_NAMES = ("Signature", "DigitalSignature")
PREFIX = "edXML"
NSMAP = {PREFIX: NS}

DATE_FORMAT = "%Y/%m/%d"
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SUBJECT_MAX_LENGTH = 500
TEXT_MAX_LENGTH = 2000
CONTENT_MAX_LENGTH = 1_000_000
ORGAN_ID_MAX_LENGTH = 50
DOCUMENT_ID_MAX_LENGTH = 255
DEFAULT_MAX_PACKAGE_BYTES = 50 * 1024 * 1024

_DATE_RE = re.compile(r"^\d{4}/\d{2}/\d{2}$")
_TIMESTAMP_RE = re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}$")
# Received only (deployed senders write the Vietnamese day-first order): dd/MM/yyyy and
# dd/MM/yyyy HH:mm:ss. Told apart from ours by where the 4-digit year stands; never written.
RECEIVED_DATE_FORMAT = "%d/%m/%Y"
RECEIVED_TIMESTAMP_FORMAT = "%d/%m/%Y %H:%M:%S"
_DAY_FIRST_DATE_RE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
_DAY_FIRST_TIMESTAMP_RE = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$")
_ORGAN_ID_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_]*$")
_STATUS_CODE_RE = re.compile(r"^\d{2}$")
# A DocumentId written as a UUID (RFC 4122 text form, as the public Java builder writes it);
# received only, the document is then known by the id built from its header.
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# Characters XML 1.0 cannot carry (control characters other than tab, newline, return).
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class EdxmlError(DomainError):
    """A package or status message that is not valid edXML; the message names the element."""

    code = ExchangeErrorCode.EDXML_INVALID
    http_status = 422

    def __init__(self, message: str, *, element: str = "", code: str | None = None) -> None:
        super().__init__(message, code=code, fields={"element": [element]} if element else None)
        self.element = element


class BusinessDocType(IntEnum):
    """BussinessDocType: what this package does to the document."""

    NEW = 0
    REVOKE = 1
    UPDATE = 2
    REPLACE = 3

    @property
    def label(self) -> str:
        return BUSINESS_DOC_TYPE_LABELS[int(self)]


BUSINESS_DOC_TYPE_LABELS = {
    0: "Văn bản mới",
    1: "Thu hồi văn bản",
    2: "Cập nhật văn bản",
    3: "Thay thế văn bản",
}

# Status codes of QCVN 102:2016 (the sender sees each recipient's latest one).
STATUS_LABELS = {
    "01": "Đã đến",
    "02": "Từ chối tiếp nhận",
    "03": "Đã tiếp nhận, vào sổ",
    "04": "Đã phân công xử lý",
    "05": "Đang xử lý",
    "06": "Đã hoàn thành",
    "13": "Đề nghị lấy lại văn bản",
    "15": "Đồng ý lấy lại/cập nhật",
    "16": "Từ chối lấy lại/cập nhật",
}
ARRIVED, REJECTED, ACCEPTED, ASSIGNED, PROCESSING, COMPLETED = "01", "02", "03", "04", "05", "06"
TAKE_BACK_REQUESTED, TAKE_BACK_AGREED, TAKE_BACK_REFUSED = "13", "15", "16"

PRIORITY_LABELS = {
    0: "Thường",
    1: "Khẩn",
    2: "Thượng khẩn",
    3: "Hỏa tốc",
    4: "Hỏa tốc hẹn giờ",
}


class Dialect(StrEnum):
    """How a package or status message is written for one peer (its reader's expectations).

    What we *accept* does not depend on it: every shape parses into the same dataclasses.
    """

    SDK = "sdk"  # the national SDK samples' shape (edoc_new, status 05): the default for peers
    BKAV = "bkav"  # as SDK, with statuses in `Status` as the Bkav eDoc reader expects
    QCVN = "qcvn"  # the letter of QCVN 102:2016 as the domain reference restates it

    @property
    def label(self) -> str:
        return DIALECT_LABELS[self]


DIALECT_LABELS = {
    Dialect.SDK: "Mẫu SDK trục liên thông quốc gia (mặc định)",
    Dialect.BKAV: "Bkav eDoc (trạng thái theo cách đọc của Bkav)",
    Dialect.QCVN: "Đúng văn bản QCVN 102:2016",
}


def status_label(code: str) -> str:
    return STATUS_LABELS.get(code, code)


def max_package_bytes() -> int:
    return int(getattr(settings, "EXCHANGE_MAX_PACKAGE_BYTES", DEFAULT_MAX_PACKAGE_BYTES))


# ---------------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------------


@dataclass
class Organ:
    """An agency as edXML names it (From, To, the sender of a status)."""

    organ_id: str
    organ_name: str
    organization_in_charge: str = ""
    organ_add: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass
class SignerInfo:
    competence: str = ""  # thẩm quyền ký: "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"
    position: str = ""  # chức vụ: "Chủ tịch", "Phó Chủ tịch"
    full_name: str = ""


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes
    description: str = ""
    content_id: str = ""  # filled in by build when empty

    @property
    def is_pdf(self) -> bool:
        return (
            self.content_type.lower() == "application/pdf"
            or self.name.lower().endswith(".pdf")
            or self.data[:5] == b"%PDF-"
        )


@dataclass
class ResponseFor:
    """The document a package or status answers."""

    organ_id: str
    code: str
    promulgation_date: date
    document_id: str


@dataclass
class TraceHeader:
    organ_id: str
    timestamp: datetime


@dataclass
class StaffInfo:
    department: str = ""
    staff: str = ""
    mobile: str = ""
    email: str = ""

    def is_empty(self) -> bool:
        return not (self.department or self.staff or self.mobile or self.email)

    def __str__(self) -> str:
        return ", ".join(p for p in (self.staff, self.department) if p)


@dataclass
class BusinessReceiver:
    """BussinessDocumentInfo/ReceiverList/Receiver of an update, kept as sent."""

    organ_id: str
    receiver_type: int = 0


@dataclass
class BusinessDocumentInfo:
    """Bussiness/BussinessDocumentInfo: what an update (BussinessDocType 2) changes."""

    document_info: int = 0  # 1: the document's information (header, files) is updated
    document_receiver: int = 0  # 1: its list of receivers is updated
    receivers: list[BusinessReceiver] = field(default_factory=list)


@dataclass
class EdxmlDocument:
    """One document package (văn bản điện tử) in QCVN 102:2016 terms."""

    sender: Organ
    recipients: list[Organ]
    code_number: str
    code_notation: str
    promulgation_place: str
    promulgation_date: date
    subject: str
    document_type: int = 1  # Type: 1 văn bản hành chính, 2 quy phạm pháp luật, ...
    document_type_name: str = ""  # TypeName: "Công văn", "Quyết định", "Kế hoạch"
    type_detail: str = ""
    content: str = ""
    signer: SignerInfo = field(default_factory=SignerInfo)
    due_date: date | None = None
    to_places: list[str] = field(default_factory=list)
    priority: int = 0
    sphere_of_promulgation: str = ""
    typer_notation: str = ""
    promulgation_amount: int = 0
    page_amount: int = 0
    appendixes: list[str] = field(default_factory=list)
    response_for: list[ResponseFor] = field(default_factory=list)
    steering_type: int = 0
    business_doc_type: int = BusinessDocType.NEW
    business_doc_reason: str = ""
    replaces: list[str] = field(default_factory=list)  # DocumentIds replaced (type 3)
    trace: list[TraceHeader] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    paper: int = 0  # Bussiness/Paper: 1 when the paper original also goes by post
    business_staff: StaffInfo = field(default_factory=StaffInfo)  # Bussiness/StaffInfo: sent by
    business_info: BusinessDocumentInfo | None = None  # Bussiness/BussinessDocumentInfo
    # Received only ("" otherwise): MessageHeader/DocumentId as the sender wrote it when it is
    # not the id built from From/OrganId, PromulgationDate and Code: a UUID (kept so that what
    # the sender addresses with it can be matched), or the standard form with another date.
    sent_document_id: str = ""

    @property
    def code(self) -> str:
        """Number and symbol as printed: "4879/KH-UBND"."""
        return f"{self.code_number}/{self.code_notation}"

    @property
    def document_id(self) -> str:
        """DocumentId = OrganId,yyyy/MM/dd,Number/Notation (000.00.00.G22,2018/09/20,7816/VPCP).

        A standard-form id received with a date other than PromulgationDate is kept as sent:
        it is an identifier, compared as text, and the sender's statuses carry it.
        """
        if self.sent_document_id and not is_uuid(self.sent_document_id):
            return self.sent_document_id
        return document_id_for(self.sender.organ_id, self.promulgation_date, self.code)

    @property
    def business_type(self) -> BusinessDocType:
        return BusinessDocType(self.business_doc_type)


@dataclass
class StatusMessage:
    """A status answer about one document (01 arrived ... 06 completed, 13/15/16)."""

    document_id: str
    sender: Organ  # From: who reports the status
    status_code: str
    timestamp: datetime
    description: str = ""
    staff: StaffInfo = field(default_factory=StaffInfo)
    # To: who the status is for. "" (the Bkav Status layout never writes it): the agency of ours
    # holding the document exchanged with the status's sender, else the document's sender.
    to_organ_id: str = ""
    # ResponseFor as written when `document_id` is not the standard form (a UUID the sender
    # gave its document): its OrganId, Code and PromulgationDate cannot be read from the id.
    response: ResponseFor | None = None

    @property
    def response_for(self) -> ResponseFor:
        if self.response is not None:
            return self.response
        organ_id, day, code = split_document_id(self.document_id)
        return ResponseFor(organ_id, code, day, self.document_id)

    @property
    def recipient_organ_id(self) -> str:
        return self.to_organ_id or self.response_for.organ_id

    @property
    def label(self) -> str:
        return status_label(self.status_code)


def document_id_for(organ_id: str, day: date, code: str) -> str:
    return f"{organ_id},{day.strftime(DATE_FORMAT)},{code}"


def is_uuid(document_id: str) -> bool:
    return bool(_UUID_RE.fullmatch(document_id))


def split_document_id(document_id: str, element: str = "DocumentId") -> tuple[str, date, str]:
    """(OrganId, promulgation date, Number/Notation) of a DocumentId, or EdxmlError."""
    parts = document_id.split(",", 2)
    if len(parts) != 3 or not parts[0] or "/" not in parts[2]:
        raise EdxmlError(
            f"Mã văn bản (DocumentId) '{document_id[:100]}' phải có dạng "
            "'Mã cơ quan,yyyy/MM/dd,Số/Ký hiệu'.",
            element=element,
        )
    return parts[0], _parse_date(parts[1], element), parts[2]


# ---------------------------------------------------------------------------------------------
# Checks shared by build and parse
# ---------------------------------------------------------------------------------------------


def _check_text(value: str, element: str, *, required: bool = False, max_length: int) -> str:
    if not isinstance(value, str):
        raise EdxmlError(f"Giá trị của {element} phải là chuỗi ký tự.", element=element)
    value = value.strip()
    if required and not value:
        raise EdxmlError(f"Thiếu giá trị bắt buộc: {element}.", element=element)
    if len(value) > max_length:
        raise EdxmlError(
            f"{element} dài {len(value)} ký tự, vượt quá {max_length} ký tự cho phép.",
            element=element,
        )
    if _XML_INVALID_RE.search(value):
        raise EdxmlError(f"{element} chứa ký tự điều khiển không hợp lệ.", element=element)
    return value


def _check_organ_id(value: str, element: str) -> str:
    value = _check_text(value, element, required=True, max_length=ORGAN_ID_MAX_LENGTH)
    if not _ORGAN_ID_RE.match(value):
        raise EdxmlError(
            f"Mã định danh cơ quan '{value}' ở {element} không hợp lệ "
            "(chỉ gồm chữ, số, dấu chấm, gạch ngang).",
            element=element,
        )
    return value


def _check_int(value: int, element: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise EdxmlError(
            f"{element} phải là số nguyên từ {low} đến {high} (nhận được '{value}').",
            element=element,
        )
    return value


def _parse_date(text: str, element: str) -> date:
    if not _DATE_RE.match(text):
        raise EdxmlError(
            f"Ngày '{text[:30]}' ở {element} phải có dạng yyyy/MM/dd.", element=element
        )
    try:
        return datetime.strptime(text, DATE_FORMAT).date()
    except ValueError:
        raise EdxmlError(f"Ngày '{text}' ở {element} không tồn tại.", element=element) from None


def _parse_received_date(text: str, element: str) -> date:
    """A date element of a received message: ours (yyyy/MM/dd) or day-first (dd/MM/yyyy).

    Not for DocumentId, whose date part is always yyyy/MM/dd (the identifier is compared as
    text, so a day-first one would name another document).
    """
    if not _DAY_FIRST_DATE_RE.match(text):
        return _parse_date(text, element)
    try:
        return datetime.strptime(text, RECEIVED_DATE_FORMAT).date()
    except ValueError:
        raise EdxmlError(f"Ngày '{text}' ở {element} không tồn tại.", element=element) from None


def _parse_timestamp(text: str, element: str) -> datetime:
    """yyyy/MM/dd HH:mm:ss, or on receipt dd/MM/yyyy HH:mm:ss; local time either way."""
    if _DAY_FIRST_TIMESTAMP_RE.match(text):
        try:
            return datetime.strptime(text, RECEIVED_TIMESTAMP_FORMAT).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            raise EdxmlError(
                f"Thời điểm '{text}' ở {element} không tồn tại.", element=element
            ) from None
    if not _TIMESTAMP_RE.match(text):
        raise EdxmlError(
            f"Thời điểm '{text[:30]}' ở {element} phải có dạng yyyy/MM/dd HH:mm:ss.",
            element=element,
        )
    try:
        return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=LOCAL_TZ)
    except ValueError:
        raise EdxmlError(
            f"Thời điểm '{text}' ở {element} không tồn tại.", element=element
        ) from None


def parse_timestamp(text: str, element: str = "Timestamp") -> datetime:
    """A QCVN 102 timestamp (yyyy/MM/dd HH:mm:ss, or dd/MM/yyyy HH:mm:ss as deployed senders
    write it; local time) as an aware datetime."""
    return _parse_timestamp(text, element)


def format_date(day: date) -> str:
    return day.strftime(DATE_FORMAT)


def format_timestamp(moment: datetime) -> str:
    """Local time (Asia/Ho_Chi_Minh), as QCVN 102 writes it; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(LOCAL_TZ).strftime(TIMESTAMP_FORMAT)


def validate_document(doc: EdxmlDocument, *, received: bool = False) -> None:
    """Refuse a document that would make an invalid package (EdxmlError naming the element).

    `received`: the document was parsed from another platform's package, which may leave
    SignerInfo/FullName empty (deployed senders do); what we build always names the signer.
    """
    header = "MessageHeader"
    _check_organ(doc.sender, f"{header}/From")
    if not doc.recipients:
        raise EdxmlError("Văn bản phải có ít nhất một nơi nhận (To).", element=f"{header}/To")
    seen: set[str] = set()
    for organ in doc.recipients:
        _check_organ(organ, f"{header}/To")
        if organ.organ_id in seen:
            raise EdxmlError(
                f"Nơi nhận {organ.organ_id} được ghi hai lần.", element=f"{header}/To/OrganId"
            )
        seen.add(organ.organ_id)
    _check_text(doc.code_number, f"{header}/Code/CodeNumber", required=True, max_length=20)
    _check_text(doc.code_notation, f"{header}/Code/CodeNotation", required=True, max_length=100)
    if "," in doc.code:
        raise EdxmlError(
            "Số, ký hiệu văn bản không được chứa dấu phẩy.", element=f"{header}/Code/CodeNotation"
        )
    _check_text(
        doc.promulgation_place, f"{header}/PromulgationInfo/Place", required=True, max_length=200
    )
    if not isinstance(doc.promulgation_date, date):
        raise EdxmlError(
            "Thiếu ngày ban hành.", element=f"{header}/PromulgationInfo/PromulgationDate"
        )
    _check_int(doc.document_type, f"{header}/DocumentType/Type", 0, 99)
    _check_text(
        doc.document_type_name, f"{header}/DocumentType/TypeName", required=True, max_length=100
    )
    type_detail = _check_text(doc.type_detail, f"{header}/DocumentType/TypeDetail", max_length=100)
    if not received and type_detail and not type_detail.isdigit():
        # deployed readers parse TypeDetail as an integer (an unreadable one becomes -1)
        raise EdxmlError(
            f"TypeDetail phải là số nguyên không âm (nhận được '{type_detail[:30]}').",
            element=f"{header}/DocumentType/TypeDetail",
        )
    _check_text(doc.subject, f"{header}/Subject", required=True, max_length=SUBJECT_MAX_LENGTH)
    _check_text(doc.content, f"{header}/Content", max_length=CONTENT_MAX_LENGTH)
    _check_text(doc.signer.competence, f"{header}/SignerInfo/Competence", max_length=200)
    _check_text(doc.signer.position, f"{header}/SignerInfo/Position", max_length=200)
    _check_text(
        doc.signer.full_name,
        f"{header}/SignerInfo/FullName",
        required=not received,
        max_length=200,
    )
    for place in doc.to_places:
        _check_text(place, f"{header}/ToPlaces/Place", required=True, max_length=TEXT_MAX_LENGTH)
    _check_int(doc.priority, f"{header}/OtherInfo/Priority", 0, 4)
    _check_text(
        doc.sphere_of_promulgation, f"{header}/OtherInfo/SphereOfPromulgation", max_length=200
    )
    _check_text(doc.typer_notation, f"{header}/OtherInfo/TyperNotation", max_length=100)
    _check_int(doc.promulgation_amount, f"{header}/OtherInfo/PromulgationAmount", 0, 1_000_000)
    _check_int(doc.page_amount, f"{header}/OtherInfo/PageAmount", 0, 1_000_000)
    for appendix in doc.appendixes:
        _check_text(
            appendix,
            f"{header}/OtherInfo/Appendixes/Appendix",
            required=True,
            max_length=TEXT_MAX_LENGTH,
        )
    for answer in doc.response_for:
        _check_organ_id(answer.organ_id, f"{header}/ResponseFor/OrganId")
        if is_uuid(answer.document_id):  # a document its sender named by a UUID
            _check_uuid_response(answer, answer.document_id, f"{header}/ResponseFor/DocumentId")
        else:
            split_document_id(answer.document_id, f"{header}/ResponseFor/DocumentId")
    _check_int(doc.steering_type, f"{header}/SteeringType", 0, 99)
    business = "TraceHeaderList/Bussiness"
    if doc.business_doc_type not in BusinessDocType._value2member_map_:
        raise EdxmlError(
            f"BussinessDocType phải là 0 (mới), 1 (thu hồi), 2 (cập nhật) hoặc 3 (thay thế), "
            f"nhận được '{doc.business_doc_type}'.",
            element=f"{business}/BussinessDocType",
        )
    _check_text(doc.business_doc_reason, f"{business}/BussinessDocReason", max_length=2000)
    if doc.business_doc_type != BusinessDocType.NEW and not doc.business_doc_reason.strip():
        raise EdxmlError(
            "Thu hồi, cập nhật hoặc thay thế văn bản phải nêu lý do (BussinessDocReason).",
            element=f"{business}/BussinessDocReason",
        )
    for replaced in doc.replaces:
        if not is_uuid(replaced):  # a UUID names a document its sender sent under a UUID
            split_document_id(
                replaced, f"{business}/ReplacementInfoList/ReplacementInfo/DocumentId"
            )
    if doc.business_doc_type == BusinessDocType.REPLACE and not doc.replaces:
        raise EdxmlError(
            "Văn bản thay thế phải nêu văn bản bị thay thế (ReplacementInfoList).",
            element=f"{business}/ReplacementInfoList",
        )
    _check_int(doc.paper, f"{business}/Paper", 0, 1)
    for name, value in vars(doc.business_staff).items():
        _check_text(value, f"{business}/StaffInfo/{name}", max_length=255)
    if doc.business_info is not None:
        info = f"{business}/BussinessDocumentInfo"
        _check_int(doc.business_info.document_info, f"{info}/DocumentInfo", 0, 1)
        _check_int(doc.business_info.document_receiver, f"{info}/DocumentReceiver", 0, 1)
        for receiver in doc.business_info.receivers:
            _check_organ_id(receiver.organ_id, f"{info}/ReceiverList/Receiver/OrganId")
            _check_int(receiver.receiver_type, f"{info}/ReceiverList/Receiver/ReceiverType", 0, 99)
    for trace in doc.trace:
        _check_organ_id(trace.organ_id, "TraceHeaderList/TraceHeader/OrganId")
    if doc.sent_document_id:
        _check_sent_document_id(doc, f"{header}/DocumentId")
    if len(doc.document_id) > DOCUMENT_ID_MAX_LENGTH:
        raise EdxmlError("Mã văn bản (DocumentId) quá dài.", element=f"{header}/DocumentId")
    names: set[str] = set()
    for attachment in doc.attachments:
        element = "AttachmentEncoded/Attachment"
        _check_text(attachment.name, f"{element}/AttachmentName", required=True, max_length=255)
        _check_text(
            attachment.content_type, f"{element}/ContentType", required=True, max_length=100
        )
        _check_text(attachment.description, f"{element}/Description", max_length=TEXT_MAX_LENGTH)
        if not isinstance(attachment.data, bytes | bytearray):
            raise EdxmlError(
                f"Nội dung tệp {attachment.name} phải là bytes.", element=f"{element}/Value"
            )
        if attachment.name in names:
            raise EdxmlError(
                f"Tệp đính kèm '{attachment.name}' bị trùng tên.",
                element=f"{element}/AttachmentName",
            )
        names.add(attachment.name)


def _check_sent_document_id(doc: EdxmlDocument, element: str) -> None:
    """A UUID, or the standard form naming the sender and the code (its date may differ)."""
    sent = doc.sent_document_id
    if is_uuid(sent):
        return
    if "," not in sent:
        raise EdxmlError(
            f"Mã văn bản (DocumentId) '{sent[:100]}' phải có dạng "
            "'Mã cơ quan,yyyy/MM/dd,Số/Ký hiệu' hoặc là một UUID.",
            element=element,
        )
    organ_id, _day, code = split_document_id(sent, element)
    if (organ_id, code) != (doc.sender.organ_id, doc.code):
        raise EdxmlError(
            f"DocumentId '{sent[:100]}' không khớp với cơ quan gửi và số, ký hiệu của văn bản "
            f"('{doc.sender.organ_id}', '{doc.code}').",
            element=element,
        )


def _check_organ(organ: Organ, element: str) -> None:
    _check_organ_id(organ.organ_id, f"{element}/OrganId")
    _check_text(organ.organ_name, f"{element}/OrganName", required=True, max_length=255)
    for name, value in (
        ("OrganizationInCharge", organ.organization_in_charge),
        ("OrganAdd", organ.organ_add),
        ("Email", organ.email),
        ("Telephone", organ.telephone),
        ("Fax", organ.fax),
        ("Website", organ.website),
    ):
        _check_text(value, f"{element}/{name}", max_length=255)


def _check_uuid_response(answer: ResponseFor | None, document_id: str, element: str) -> None:
    """A UUID DocumentId says nothing of the document: ResponseFor must give its OrganId, Code
    and PromulgationDate, and name the same UUID."""
    if (
        answer is None
        or answer.document_id != document_id
        or not answer.organ_id
        or not answer.code
        or not isinstance(answer.promulgation_date, date)
    ):
        raise EdxmlError(
            f"Mã văn bản (DocumentId) '{document_id[:100]}' là UUID: ResponseFor phải nêu "
            "OrganId, Code và PromulgationDate của văn bản.",
            element=element,
        )
    _check_organ_id(answer.organ_id, element.rsplit("/", 1)[0] + "/OrganId")


def validate_status(message: StatusMessage) -> None:
    if is_uuid(message.document_id):
        _check_uuid_response(message.response, message.document_id, "Status/ResponseFor/DocumentId")
    else:
        split_document_id(message.document_id, "Status/ResponseFor/DocumentId")
    _check_organ(message.sender, "Status/From")
    if message.to_organ_id:
        _check_organ_id(message.to_organ_id, "Status/To/OrganId")
    if message.status_code not in STATUS_LABELS:
        raise EdxmlError(
            f"Mã trạng thái '{message.status_code}' không thuộc QCVN 102:2016 "
            f"({', '.join(STATUS_LABELS)}).",
            element="Status/StatusCode",
        )
    _check_text(message.description, "Status/Description", max_length=TEXT_MAX_LENGTH)
    for name, value in vars(message.staff).items():
        _check_text(value, f"Status/StaffInfo/{name}", max_length=255)
    if not isinstance(message.timestamp, datetime):
        raise EdxmlError("Thiếu thời điểm của trạng thái.", element="Status/Timestamp")


# ---------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: Any, tag: str, text: str | None = None) -> Any:
    element = etree.SubElement(parent, _q(tag))
    if text is not None:
        element.text = text
    return element


def _organ_element(parent: Any, tag: str, organ: Organ) -> Any:
    element = _sub(parent, tag)
    _sub(element, "OrganId", organ.organ_id.strip())
    _sub(element, "OrganName", organ.organ_name.strip())
    _sub(element, "OrganizationInCharge", organ.organization_in_charge.strip())
    _sub(element, "OrganAdd", organ.organ_add.strip())
    _sub(element, "Email", organ.email.strip())
    _sub(element, "Telephone", organ.telephone.strip())
    _sub(element, "Fax", organ.fax.strip())
    _sub(element, "Website", organ.website.strip())
    return element


def _response_for_element(parent: Any, answer: ResponseFor) -> Any:
    element = _sub(parent, "ResponseFor")
    _sub(element, "OrganId", answer.organ_id)
    _sub(element, "Code", answer.code)
    _sub(element, "PromulgationDate", format_date(answer.promulgation_date))
    _sub(element, "DocumentId", answer.document_id)
    return element


def content_id_for(attachment: Attachment, index: int) -> str:
    if attachment.content_id:
        return attachment.content_id
    digest = hashlib.sha256(attachment.data).hexdigest()[:16]
    return f"att{index + 1}-{digest}"


def _envelope(root: Any) -> tuple[Any, Any]:
    envelope = _sub(root, "edXMLEnvelope")
    header = _sub(envelope, "edXMLHeader")
    return envelope, header


def document_element(
    doc: EdxmlDocument, dialect: Dialect = Dialect.QCVN, *, zip_attachments: bool = False
) -> Any:
    """The unsigned package as an lxml element (for signing); validates first.

    `dialect`: the shape the recipient's reader expects (QCVN: the letter of the standard; SDK
    and BKAV: the national SDK sample's). `zip_attachments` (SDK/BKAV only): each file goes as
    a one-entry zip, as the SDK sample sends it.
    """
    validate_document(doc)
    if Dialect(dialect) is Dialect.QCVN:
        return _qcvn_document_element(doc)
    return _sdk_document_element(doc, zip_attachments=zip_attachments)


def _qcvn_document_element(doc: EdxmlDocument) -> Any:
    root = etree.Element(_q("edXML"), nsmap=NSMAP)
    envelope, header = _envelope(root)
    message = _message_start(header, doc, _organ_element)
    doc_type = _sub(message, "DocumentType")
    _sub(doc_type, "Type", str(doc.document_type))
    _sub(doc_type, "TypeName", doc.document_type_name.strip())
    _sub(doc_type, "TypeDetail", doc.type_detail.strip())
    _sub(message, "Subject", doc.subject.strip())
    _sub(message, "Content", doc.content.strip())
    _signer_element(message, doc)
    if doc.due_date is not None:
        _sub(message, "DueDate", format_date(doc.due_date))
    places = _sub(message, "ToPlaces")
    for place in doc.to_places:
        _sub(places, "Place", place.strip())
    _other_info_element(message, doc)
    _sub(message, "SteeringType", str(doc.steering_type))

    traces = _trace_list_element(header, doc)
    _business_element(traces, doc, full=False)

    body = _sub(envelope, "edXMLBody")
    manifest = _sub(body, "edXMLManifest")
    encoded = _sub(root, "AttachmentEncoded")
    for index, attachment in enumerate(doc.attachments):
        content_id = content_id_for(attachment, index)
        reference = _sub(manifest, "Reference")
        _sub(reference, "ContentId", content_id)
        _sub(reference, "ContentType", attachment.content_type.strip())
        _sub(reference, "Description", attachment.description.strip())
        _sub(reference, "AttachmentName", attachment.name.strip())
        item = _sub(encoded, "Attachment")
        _sub(item, "ContentId", content_id)
        _sub(item, "AttachmentName", attachment.name.strip())
        _sub(item, "ContentType", attachment.content_type.strip())
        _sub(item, "ContentTransferEncoded", "base64")
        _sub(item, "Value", base64.b64encode(bytes(attachment.data)).decode("ascii"))
    return root


def _message_start(header: Any, doc: EdxmlDocument, organ_element: Any) -> Any:
    """MessageHeader with what every dialect writes first, in the same order: From, To,
    ResponseFor, DocumentId, Code, PromulgationInfo (`organ_element` writes an organ in the
    dialect's child order)."""
    message = _sub(header, "MessageHeader")
    organ_element(message, "From", doc.sender)
    for organ in doc.recipients:
        organ_element(message, "To", organ)
    for answer in doc.response_for:
        _response_for_element(message, answer)
    _sub(message, "DocumentId", doc.document_id)
    code = _sub(message, "Code")
    _sub(code, "CodeNumber", doc.code_number.strip())
    _sub(code, "CodeNotation", doc.code_notation.strip())
    promulgation = _sub(message, "PromulgationInfo")
    _sub(promulgation, "Place", doc.promulgation_place.strip())
    _sub(promulgation, "PromulgationDate", format_date(doc.promulgation_date))
    return message


def _signer_element(message: Any, doc: EdxmlDocument) -> None:
    signer = _sub(message, "SignerInfo")
    _sub(signer, "Competence", doc.signer.competence.strip())
    _sub(signer, "Position", doc.signer.position.strip())
    _sub(signer, "FullName", doc.signer.full_name.strip())


def _other_info_element(message: Any, doc: EdxmlDocument) -> None:
    other = _sub(message, "OtherInfo")
    _sub(other, "Priority", str(doc.priority))
    _sub(other, "SphereOfPromulgation", doc.sphere_of_promulgation.strip())
    _sub(other, "TyperNotation", doc.typer_notation.strip())
    _sub(other, "PromulgationAmount", str(doc.promulgation_amount))
    _sub(other, "PageAmount", str(doc.page_amount))
    appendixes = _sub(other, "Appendixes")
    for appendix in doc.appendixes:
        _sub(appendixes, "Appendix", appendix.strip())


def _trace_list_element(header: Any, doc: EdxmlDocument) -> Any:
    """TraceHeaderList with its TraceHeaders (the sender, now, when the document has none)."""
    traces = _sub(header, "TraceHeaderList")
    trace_list = doc.trace or [TraceHeader(doc.sender.organ_id, datetime.now(tz=LOCAL_TZ))]
    for trace in trace_list:
        element = _sub(traces, "TraceHeader")
        _sub(element, "OrganId", trace.organ_id)
        _sub(element, "Timestamp", format_timestamp(trace.timestamp))
    return traces


def _business_element(traces: Any, doc: EdxmlDocument, *, full: bool) -> Any:
    """TraceHeaderList/Bussiness. `full` (SDK/BKAV): Paper and StaffInfo always written, as
    the SDK sample does; otherwise only when they carry something (today's QCVN bytes)."""
    business = _sub(traces, "Bussiness")
    _sub(business, "BussinessDocType", str(int(doc.business_doc_type)))
    _sub(business, "BussinessDocReason", doc.business_doc_reason.strip())
    if full or doc.paper:
        _sub(business, "Paper", str(doc.paper))
    if doc.business_info is not None:
        info = _sub(business, "BussinessDocumentInfo")
        _sub(info, "DocumentInfo", str(doc.business_info.document_info))
        _sub(info, "DocumentReceiver", str(doc.business_info.document_receiver))
        receivers = _sub(info, "ReceiverList")
        for receiver in doc.business_info.receivers:
            item = _sub(receivers, "Receiver")
            _sub(item, "OrganId", receiver.organ_id.strip())
            _sub(item, "ReceiverType", str(receiver.receiver_type))
    if full or not doc.business_staff.is_empty():
        staff = _sub(business, "StaffInfo")
        _sub(staff, "Department", doc.business_staff.department.strip())
        _sub(staff, "Staff", doc.business_staff.staff.strip())
        _sub(staff, "Email", doc.business_staff.email.strip())
        _sub(staff, "Mobile", doc.business_staff.mobile.strip())
    if doc.replaces:
        replacements = _sub(business, "ReplacementInfoList")
        for replaced in doc.replaces:
            item = _sub(replacements, "ReplacementInfo")
            _sub(item, "DocumentId", replaced)
    return business


# --- the SDK sample's shape (SDK and BKAV dialects) -----------------------------------------

SIGNATURE_PLACEHOLDER_ID = "placeholder"  # signxml replaces this element with the signature
ZIP_CONTENT_TYPE = "application/zip"
# Fixed zip entry time (the earliest a zip can hold): the same document builds the same bytes.
_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def _sdk_root() -> tuple[Any, Any, Any]:
    """`<edXML xmlns=NS>` with `edXML:`-prefixed envelope, as the SDK sample writes it: the
    envelope declares the prefix, so everything inside it is prefixed and AttachmentEncoded
    (a child of the root) is unprefixed in the default namespace."""
    root = etree.Element(_q("edXML"), nsmap={None: NS})
    envelope = etree.SubElement(root, _q("edXMLEnvelope"), nsmap=NSMAP)
    header = _sub(envelope, "edXMLHeader")
    return root, envelope, header


def _signature_placeholder(parent: Any) -> Any:
    """Where the enveloped signature goes (inside edXMLHeader, where the Bkav reader looks);
    `to_bytes` drops it when the package is not signed."""
    return etree.SubElement(
        parent,
        f"{{{DSIG_NS}}}Signature",
        nsmap={"ds": DSIG_NS},
        Id=SIGNATURE_PLACEHOLDER_ID,
    )


def _sdk_organ_element(parent: Any, tag: str, organ: Organ) -> Any:
    element = _sub(parent, tag)
    _sub(element, "OrganId", organ.organ_id.strip())
    _sub(element, "OrganizationInCharge", organ.organization_in_charge.strip())
    _sub(element, "OrganName", organ.organ_name.strip())
    _sub(element, "OrganAdd", organ.organ_add.strip())
    _sub(element, "Email", organ.email.strip())
    _sub(element, "Telephone", organ.telephone.strip())
    _sub(element, "Fax", organ.fax.strip())
    _sub(element, "Website", organ.website.strip())
    return element


def zip_one(name: str, data: bytes) -> bytes:
    """A zip holding `data` as its one entry `name`, byte-for-byte reproducible."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        entry = zipfile.ZipInfo(name, date_time=_ZIP_TIMESTAMP)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o644 << 16
        archive.writestr(entry, data)
    return buffer.getvalue()


def _sdk_document_element(doc: EdxmlDocument, *, zip_attachments: bool) -> Any:
    root, envelope, header = _sdk_root()
    message = _message_start(header, doc, _sdk_organ_element)
    doc_type = _sub(message, "DocumentType")
    _sub(doc_type, "Type", str(doc.document_type))
    # readers parse it as an integer: 0 when the type has no detail code
    _sub(doc_type, "TypeDetail", doc.type_detail.strip() or "0")
    _sub(doc_type, "TypeName", doc.document_type_name.strip())
    _sub(message, "Subject", doc.subject.strip())
    _sub(message, "Content", doc.content.strip())
    _signer_element(message, doc)
    _sub(message, "DueDate", format_date(doc.due_date) if doc.due_date is not None else "")
    _other_info_element(message, doc)
    _sub(message, "SteeringType", str(doc.steering_type))
    places = _sub(message, "ToPlaces")
    for place in doc.to_places:
        _sub(places, "Place", place.strip())

    traces = _trace_list_element(header, doc)
    _business_element(traces, doc, full=True)
    _signature_placeholder(header)

    body = _sub(envelope, "edXMLBody")
    manifest = _sub(body, "edXMLManifest")
    encoded = _sub(root, "AttachmentEncoded")
    for index, attachment in enumerate(doc.attachments):
        content_id = f"cid:{attachment.content_id or index + 1}"
        name = attachment.name.strip()
        content_type = attachment.content_type.strip()
        data = bytes(attachment.data)
        # a .zip goes as it is: the Bkav reader unzips only when the name is not .zip
        if zip_attachments and not name.lower().endswith(".zip"):
            data = zip_one(name, data)
            content_type = ZIP_CONTENT_TYPE
        reference = _sub(manifest, "Reference")
        _sub(reference, "ContentId", content_id)
        _sub(reference, "ContentType", content_type)
        _sub(reference, "Description", attachment.description.strip())
        _sub(reference, "AttachmentName", name)
        item = _sub(encoded, "Attachment")
        _sub(item, "ContentId", content_id)
        _sub(item, "AttachmentName", name)
        _sub(item, "Description", attachment.description.strip())
        _sub(item, "ContentType", content_type)
        _sub(item, "ContentTransferEncoded", base64.b64encode(data).decode("ascii"))
    return root


def _sdk_status_element(message: StatusMessage, tag: str) -> Any:
    """A status as the SDK sample (`MessageHeader`) or the Bkav reader (`Status`) reads it:
    From, ResponseFor, StaffInfo, StatusCode, Description, Timestamp."""
    root, _envelope_el, header = _sdk_root()
    status = _sub(header, tag)
    _sdk_organ_element(status, "From", message.sender)
    _response_for_element(status, message.response_for)
    staff = _sub(status, "StaffInfo")
    _sub(staff, "Department", message.staff.department.strip())
    _sub(staff, "Staff", message.staff.staff.strip())
    _sub(staff, "Mobile", message.staff.mobile.strip())
    _sub(staff, "Email", message.staff.email.strip())
    _sub(status, "StatusCode", message.status_code)
    _sub(status, "Description", message.description.strip())
    _sub(status, "Timestamp", format_timestamp(message.timestamp))
    if message.to_organ_id and message.to_organ_id != message.response_for.organ_id:
        # Not in the sample: a status for someone other than the document's sender (a take-back
        # answer to a recipient) must say so; last, so that readers by position are undisturbed.
        to = _sub(status, "To")
        _sub(to, "OrganId", message.to_organ_id)
    _signature_placeholder(header)
    return root


def status_element(message: StatusMessage, dialect: Dialect = Dialect.QCVN) -> Any:
    """The unsigned status message as an lxml element (for signing); validates first."""
    validate_status(message)
    dialect = Dialect(dialect)
    if dialect is Dialect.SDK:
        return _sdk_status_element(message, "MessageHeader")
    if dialect is Dialect.BKAV:
        return _sdk_status_element(message, "Status")
    root = etree.Element(_q("edXML"), nsmap=NSMAP)
    _envelope_el, header = _envelope(root)
    status = _sub(header, "Status")
    _response_for_element(status, message.response_for)
    _organ_element(status, "From", message.sender)
    if message.to_organ_id:
        to = _sub(status, "To")
        _sub(to, "OrganId", message.to_organ_id)
    _sub(status, "StatusCode", message.status_code)
    _sub(status, "Description", message.description.strip())
    _sub(status, "Timestamp", format_timestamp(message.timestamp))
    staff = _sub(status, "StaffInfo")
    _sub(staff, "Department", message.staff.department.strip())
    _sub(staff, "Staff", message.staff.staff.strip())
    _sub(staff, "Mobile", message.staff.mobile.strip())
    _sub(staff, "Email", message.staff.email.strip())
    return root


def to_bytes(root: Any) -> bytes:
    """UTF-8 bytes of a built (and maybe signed) element; an unsigned package's signature
    placeholder is left out."""
    placeholders = root.findall(f".//{{{DSIG_NS}}}Signature[@Id='{SIGNATURE_PLACEHOLDER_ID}']")
    if placeholders:
        root = deepcopy(root)
        for element in root.findall(f".//{{{DSIG_NS}}}Signature[@Id='{SIGNATURE_PLACEHOLDER_ID}']"):
            element.getparent().remove(element)
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return result


def build_document(
    doc: EdxmlDocument, dialect: Dialect = Dialect.QCVN, *, zip_attachments: bool = False
) -> bytes:
    """The unsigned package as UTF-8 bytes."""
    return to_bytes(document_element(doc, dialect, zip_attachments=zip_attachments))


def build_status(message: StatusMessage, dialect: Dialect = Dialect.QCVN) -> bytes:
    """The unsigned status message as UTF-8 bytes."""
    return to_bytes(status_element(message, dialect))


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------

_PROLOG_SKIP = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


def _refuse_doctype(raw: bytes) -> None:
    """A DOCTYPE may only stand before the root element: walk the prolog and refuse one."""
    position = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    while True:
        match = _PROLOG_SKIP.match(raw, position)
        if match is None:
            break
        position = match.end()
    if raw[position : position + 9].upper() == b"<!DOCTYPE":
        raise EdxmlError(
            "Gói tin không được chứa khai báo DOCTYPE/ENTITY (từ chối vì lý do an toàn).",
            element="DOCTYPE",
            code=ExchangeErrorCode.EDXML_MALFORMED,
        )


def _parse_safely(raw: bytes) -> Any:
    """Parse bytes into an lxml root with safe settings (no network, no DTD, no entities)."""
    if not isinstance(raw, bytes | bytearray) or not raw.strip():
        raise EdxmlError("Gói tin rỗng.", element="edXML", code=ExchangeErrorCode.EDXML_MALFORMED)
    limit = max_package_bytes()
    if len(raw) > limit:
        raise EdxmlError(
            f"Gói tin {len(raw)} byte vượt quá giới hạn {limit} byte.",
            element="edXML",
            code=ExchangeErrorCode.PACKAGE_TOO_LARGE,
        )
    raw = bytes(raw)
    _refuse_doctype(raw)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,  # see the module docstring: DOCTYPE is refused above
        remove_comments=False,
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise EdxmlError(
            f"Gói tin không phải XML hợp lệ: {exc}",
            element="edXML",
            code=ExchangeErrorCode.EDXML_MALFORMED,
        ) from None
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise EdxmlError(
            "Gói tin không được chứa khai báo DOCTYPE.",
            element="DOCTYPE",
            code=ExchangeErrorCode.EDXML_MALFORMED,
        )
    encoding = (tree.docinfo.encoding or "UTF-8").upper().replace("_", "-")
    if encoding not in ("UTF-8", "UTF8"):
        raise EdxmlError(
            f"Gói tin phải mã hóa UTF-8 (khai báo {tree.docinfo.encoding}).", element="edXML"
        )
    return root


def _is_soap(root: Any) -> bool:
    return etree.QName(root).namespace in (SOAP11_NS, SOAP12_NS)


def _soap_refusal(message: str, element: str) -> EdxmlError:
    return EdxmlError(message, element=element, code=ExchangeErrorCode.SOAP_ENVELOPE_REFUSED)


def _soap_payload(envelope: Any) -> Any:
    """The edXML a SOAP 1.1/1.2 Envelope carries, as a document of its own.

    One deployed client wraps the package (or status) in Envelope/Body. Only the plain case is
    accepted: a Body whose single child is the edXML; a Header entry with mustUnderstand (we
    would have to act on it), a Fault, or anything else in the Body is refused. The signature
    was computed on the standalone edXML, so the element is taken alone, with the namespace
    declarations it inherits from the envelope and does not use dropped, and its own left as
    written: canonicalization then sees what the sender signed."""
    soap_ns = etree.QName(envelope).namespace
    if etree.QName(envelope).localname != "Envelope":
        raise _soap_refusal(
            f"Phần tử gốc SOAP phải là Envelope (nhận được {etree.QName(envelope).localname}).",
            "Envelope",
        )
    children = [c for c in envelope if isinstance(c.tag, str)]
    names = [c.tag for c in children]
    header_tag, body_tag = f"{{{soap_ns}}}Header", f"{{{soap_ns}}}Body"
    if names not in ([body_tag], [header_tag, body_tag]):
        raise _soap_refusal(
            "Phong bì SOAP phải gồm Header (nếu có) rồi Body, không có phần tử khác.", "Envelope"
        )
    if (envelope.text or "").strip() or any((c.tail or "").strip() for c in children):
        raise _soap_refusal("Phong bì SOAP không được chứa văn bản trực tiếp.", "Envelope")
    if len(children) == 2:
        for entry in children[0]:
            if not isinstance(entry.tag, str):
                continue
            must = (entry.get(f"{{{soap_ns}}}mustUnderstand") or "").strip().lower()
            if must in ("1", "true"):
                raise _soap_refusal(
                    f"Phong bì SOAP có mục tiêu đề bắt buộc xử lý "
                    f"({etree.QName(entry).localname}, mustUnderstand) mà nền tảng không hỗ "
                    "trợ: gửi gói tin edXML không kèm mục đó.",
                    "Envelope/Header",
                )
    body = children[-1]
    content = [c for c in body if isinstance(c.tag, str)]
    if (body.text or "").strip() or any((c.tail or "").strip() for c in content):
        raise _soap_refusal("SOAP Body không được chứa văn bản trực tiếp.", "Envelope/Body")
    if len(content) == 1 and content[0].tag == f"{{{soap_ns}}}Fault":
        raise _soap_refusal(
            "Thông điệp SOAP là một Fault (báo lỗi), không phải gói tin edXML.",
            "Envelope/Body/Fault",
        )
    if len(content) != 1 or etree.QName(content[0]).localname != "edXML":
        raise _soap_refusal(
            "SOAP Body phải chứa đúng một phần tử edXML (nhận được "
            f"{len(content)} phần tử: {', '.join(etree.QName(c).localname for c in content)}).",
            "Envelope/Body",
        )
    # A deep copy keeps the payload's own declarations (prefixes and redundant ones included)
    # and declares on the copy's root only the inherited namespaces the payload uses, under the
    # same prefixes. Serializing the element instead would carry every declaration in scope
    # (the envelope's too) and cleanup_namespaces would rewrite the payload's prefixes: either
    # way a signature made with inclusive c14n would no longer match.
    standalone = deepcopy(content[0])
    standalone.tail = None
    return standalone


def unwrap_soap(raw: bytes) -> bytes:
    """The edXML bytes to verify and store: `raw` itself, or the edXML a SOAP Envelope carries,
    serialized alone (EdxmlError when the envelope is not one we accept)."""
    root = _parse_safely(raw)
    if not _is_soap(root):
        return bytes(raw)
    return to_bytes(_soap_payload(root))


def parse_xml(raw: bytes) -> Any:
    """Parse bytes into the edXML root (unwrapped from a SOAP Envelope if it came in one) with
    safe settings (no network, no DTD, no entities)."""
    root = _parse_safely(raw)
    if _is_soap(root):
        root = _soap_payload(root)
    # Deployed senders also write the root unqualified (`<edXML xmlns:ns1="...QCVN_102_2016">`
    # with a prefixed envelope): accepted when the root itself declares the edXML namespace;
    # everything below the root must still be in it.
    unqualified_root = root.tag == "edXML" and NS in (root.nsmap or {}).values()
    if root.tag != _q("edXML") and not unqualified_root:
        raise EdxmlError(
            f"Phần tử gốc phải là edXML trong không gian tên {NS} (nhận được {root.tag}).",
            element="edXML",
        )
    return root


# The frame of a message: an element there that we do not know is refused, since it could
# change what the message is. Inside the records of the frame (MessageHeader, From, OtherInfo,
# Bussiness, Attachment, ...) an element we do not know is ignored when it is harmless: small
# (EXTRA_MAX_ELEMENTS elements, EXTRA_MAX_DEPTH levels, EXTRA_MAX_TEXT characters); it stays in
# the raw package as received. Elements we know are always checked strictly.
_FRAME = frozenset(
    {"edXML", "edXMLEnvelope", "edXMLHeader", "edXMLBody", "edXMLManifest", "AttachmentEncoded"}
)
EXTRA_MAX_ELEMENTS = 50
EXTRA_MAX_DEPTH = 4
EXTRA_MAX_TEXT = 10_000


def _harmless(element: Any) -> bool:
    count = text = 0
    base = _depth(element)
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        count += 1
        text += len(node.text or "") + len(node.tail or "") + sum(map(len, node.attrib.values()))
        if count > EXTRA_MAX_ELEMENTS or text > EXTRA_MAX_TEXT:
            return False
        if _depth(node) - base >= EXTRA_MAX_DEPTH:
            return False
    return True


def _depth(element: Any) -> int:
    depth = 0
    parent = element.getparent()
    while parent is not None:
        depth += 1
        parent = parent.getparent()
    return depth


class _Node:
    """An element with its path, and strict accessors that name the element in errors."""

    def __init__(self, element: Any, path: str, allowed: Iterable[str]) -> None:
        self.element = element
        self.path = path
        self.groups: dict[str, list[Any]] = {}
        self.ignored: list[str] = []
        allowed_set = set(allowed)
        frame = path.rsplit("/", 1)[-1] in _FRAME
        if element.text and element.text.strip():
            raise EdxmlError(f"{path} không được chứa văn bản trực tiếp.", element=path)
        for child in element:
            if not isinstance(child.tag, str):  # comments, processing instructions
                continue
            qname = etree.QName(child)
            if qname.namespace == DSIG_NS:
                continue  # the XML signature: checked separately
            known = qname.namespace == NS and qname.localname in allowed_set
            if not known and not frame and _harmless(child):
                self.ignored.append(f"{path}/{qname.localname}")
                continue
            if qname.namespace != NS:
                raise EdxmlError(
                    f"Phần tử {qname.localname} trong {path} không thuộc không gian tên edXML.",
                    element=f"{path}/{qname.localname}",
                )
            if qname.localname not in allowed_set:
                raise EdxmlError(
                    f"Phần tử {qname.localname} không được phép trong {path}.",
                    element=f"{path}/{qname.localname}",
                )
            self.groups.setdefault(qname.localname, []).append(child)

    def many(self, name: str) -> list[Any]:
        return self.groups.get(name, [])

    def one(self, name: str, *, required: bool = True) -> Any | None:
        items = self.many(name)
        if len(items) > 1:
            raise EdxmlError(
                f"Phần tử {name} xuất hiện {len(items)} lần trong {self.path} (chỉ được một).",
                element=f"{self.path}/{name}",
            )
        if not items:
            if required:
                raise EdxmlError(
                    f"Thiếu phần tử bắt buộc {name} trong {self.path}.",
                    element=f"{self.path}/{name}",
                )
            return None
        return items[0]

    def node(self, name: str, allowed: Iterable[str], *, required: bool = True) -> _Node | None:
        element = self.one(name, required=required)
        if element is None:
            return None
        return _Node(element, f"{self.path}/{name}", allowed)

    def req_node(self, name: str, allowed: Iterable[str]) -> _Node:
        node = self.node(name, allowed)
        assert node is not None
        return node

    def text(self, name: str, *, required: bool = False, max_length: int = TEXT_MAX_LENGTH) -> str:
        element = self.one(name, required=required)
        path = f"{self.path}/{name}"
        if element is None:
            return ""
        if len(element):
            raise EdxmlError(f"{path} phải là giá trị đơn, không chứa phần tử con.", element=path)
        return _check_text(element.text or "", path, required=required, max_length=max_length)

    def integer(self, name: str, *, low: int, high: int, default: int = 0) -> int:
        path = f"{self.path}/{name}"
        text = self.text(name)
        if not text:
            return default
        if not re.fullmatch(r"-?\d{1,9}", text):
            raise EdxmlError(f"{path} phải là số nguyên (nhận được '{text[:30]}').", element=path)
        return _check_int(int(text), path, low, high)

    def date(self, name: str, *, required: bool = False) -> date | None:
        text = self.text(name, required=required, max_length=30)
        if not text:
            return None
        return _parse_received_date(text, f"{self.path}/{name}")

    def timestamp(self, name: str) -> datetime:
        text = self.text(name, required=True, max_length=30)
        return _parse_timestamp(text, f"{self.path}/{name}")


_ORGAN_FIELDS = (
    "OrganId",
    "OrganName",
    "OrganizationInCharge",
    "OrganAdd",
    "Email",
    "Telephone",
    "Fax",
    "Website",
)


def _organ(node: _Node) -> Organ:
    organ = Organ(
        organ_id=_check_organ_id(node.text("OrganId", required=True), f"{node.path}/OrganId"),
        organ_name=node.text("OrganName", required=True, max_length=255),
        organization_in_charge=node.text("OrganizationInCharge", max_length=255),
        organ_add=node.text("OrganAdd", max_length=255),
        email=node.text("Email", max_length=255),
        telephone=node.text("Telephone", max_length=255),
        fax=node.text("Fax", max_length=255),
        website=node.text("Website", max_length=255),
    )
    return organ


def _response_for(node: _Node) -> ResponseFor:
    organ_id = _check_organ_id(node.text("OrganId", required=True), f"{node.path}/OrganId")
    code = node.text("Code", max_length=120)
    day = node.date("PromulgationDate")
    document_id = node.text("DocumentId", required=True, max_length=DOCUMENT_ID_MAX_LENGTH)
    if is_uuid(document_id):
        # The sender named its document by a UUID: the rest of ResponseFor says which it is.
        if not code or day is None:
            raise EdxmlError(
                f"{node.path}: DocumentId '{document_id}' là UUID nên phải có Code và "
                "PromulgationDate.",
                element=f"{node.path}/DocumentId",
            )
        return ResponseFor(organ_id, code, day, document_id)
    id_organ, id_day, id_code = split_document_id(document_id, f"{node.path}/DocumentId")
    if id_organ != organ_id or (day and day != id_day) or (code and code != id_code):
        raise EdxmlError(
            f"{node.path}: OrganId, Code, PromulgationDate không khớp với DocumentId "
            f"'{document_id}'.",
            element=f"{node.path}/DocumentId",
        )
    return ResponseFor(organ_id, id_code, id_day, document_id)


def _header_node(root: Any) -> tuple[_Node, _Node, _Node]:
    top = _Node(root, "edXML", ["edXMLEnvelope", "AttachmentEncoded"])
    envelope = top.req_node("edXMLEnvelope", ["edXMLHeader", "edXMLBody"])
    header = envelope.req_node(
        "edXMLHeader", ["MessageHeader", "TraceHeaderList", "Status", *HEADER_SIGNATURE_NAMES]
    )
    return top, envelope, header


def _is_status_header(element: Any) -> bool:
    """A MessageHeader holding StatusCode is a status (the SDK sample's layout); a package's
    MessageHeader never has one."""
    return any(
        isinstance(child.tag, str) and etree.QName(child).localname == "StatusCode"
        for child in element
    )


def _status_in(header: _Node) -> bool:
    """Does this edXMLHeader carry a status message (`Status`, or the SDK's MessageHeader with
    StatusCode) rather than a package?"""
    if header.many("Status"):
        return True
    messages = header.many("MessageHeader")
    return len(messages) == 1 and _is_status_header(messages[0])


def parse(raw: bytes) -> EdxmlDocument | StatusMessage:
    """A package or a status message, by what the header holds."""
    root = parse_xml(raw)
    _top, _envelope_node, header = _header_node(root)
    if _status_in(header):
        return _status_from(root)
    return _document_from(root)


def parse_document(raw: bytes) -> EdxmlDocument:
    root = parse_xml(raw)
    _top, _envelope_node, header = _header_node(root)
    if _status_in(header):
        raise EdxmlError(
            "Đây là thông điệp trạng thái, không phải gói văn bản.", element="edXMLHeader/Status"
        )
    return _document_from(root)


def parse_status(raw: bytes) -> StatusMessage:
    root = parse_xml(raw)
    _top, _envelope_node, header = _header_node(root)
    if not _status_in(header):
        raise EdxmlError(
            "Đây là gói văn bản, không phải thông điệp trạng thái.",
            element="edXMLHeader/MessageHeader",
        )
    return _status_from(root)


def _document_from(root: Any) -> EdxmlDocument:
    top, envelope, header = _header_node(root)
    if header.many("Status"):
        raise EdxmlError(
            "Gói văn bản không được chứa Status.", element="edXML/edXMLEnvelope/edXMLHeader/Status"
        )
    if any(_is_status_header(el) for el in header.many("MessageHeader")):
        raise EdxmlError(
            "MessageHeader của gói văn bản không được chứa StatusCode.",
            element="edXML/edXMLEnvelope/edXMLHeader/MessageHeader/StatusCode",
        )
    message = header.req_node(
        "MessageHeader",
        [
            "From",
            "To",
            "ResponseFor",
            "DocumentId",
            "Code",
            "PromulgationInfo",
            "DocumentType",
            "Subject",
            "Content",
            "SignerInfo",
            "DueDate",
            "ToPlaces",
            "OtherInfo",
            "SteeringType",
        ],
    )
    sender = _organ(message.req_node("From", _ORGAN_FIELDS))
    to_elements = message.many("To")
    if not to_elements:
        raise EdxmlError(
            f"Thiếu phần tử bắt buộc To trong {message.path} (nơi nhận).",
            element=f"{message.path}/To",
        )
    recipients = [_organ(_Node(el, f"{message.path}/To", _ORGAN_FIELDS)) for el in to_elements]
    response_for = [
        _response_for(
            _Node(
                el,
                f"{message.path}/ResponseFor",
                ["OrganId", "Code", "PromulgationDate", "DocumentId"],
            )
        )
        for el in message.many("ResponseFor")
    ]
    code = message.req_node("Code", ["CodeNumber", "CodeNotation"])
    promulgation = message.req_node("PromulgationInfo", ["Place", "PromulgationDate"])
    promulgation_date = promulgation.date("PromulgationDate", required=True)
    assert promulgation_date is not None
    doc_type = message.req_node("DocumentType", ["Type", "TypeName", "TypeDetail"])
    if not doc_type.text("Type", required=True, max_length=10):
        raise EdxmlError("Thiếu DocumentType/Type.", element=f"{doc_type.path}/Type")
    signer = message.req_node("SignerInfo", ["Competence", "Position", "FullName"])
    signer.one("FullName")  # required, but may be empty on receipt (validate_document)
    places = message.node("ToPlaces", ["Place"], required=False)
    other = message.node(
        "OtherInfo",
        [
            "Priority",
            "SphereOfPromulgation",
            "TyperNotation",
            "PromulgationAmount",
            "PageAmount",
            "Appendixes",
            "Direction",  # sent by deployed platforms, not in QCVN 102: read, then ignored
        ],
        required=False,
    )
    if other is not None:
        other.text("Direction", max_length=TEXT_MAX_LENGTH)
    appendixes_node = other.node("Appendixes", ["Appendix"], required=False) if other else None

    traces = header.req_node("TraceHeaderList", ["TraceHeader", "Bussiness"])
    trace_list = []
    for element in traces.many("TraceHeader"):
        node = _Node(element, f"{traces.path}/TraceHeader", ["OrganId", "Timestamp"])
        trace_list.append(
            TraceHeader(
                _check_organ_id(node.text("OrganId", required=True), f"{node.path}/OrganId"),
                node.timestamp("Timestamp"),
            )
        )
    if not trace_list:
        raise EdxmlError(
            f"Thiếu phần tử bắt buộc TraceHeader trong {traces.path}.",
            element=f"{traces.path}/TraceHeader",
        )
    business = traces.req_node(
        "Bussiness",
        [
            "BussinessDocType",
            "BussinessDocReason",
            "BussinessDocumentInfo",
            "ReplacementInfoList",
            "Paper",
            "StaffInfo",
            "DocumentId",  # sent by deployed platforms, not in QCVN 102: read, then ignored
        ],
    )
    business.text("DocumentId", max_length=DOCUMENT_ID_MAX_LENGTH)
    if not business.text("BussinessDocType", required=True, max_length=2):
        raise EdxmlError("Thiếu BussinessDocType.", element=f"{business.path}/BussinessDocType")
    business_type = business.integer("BussinessDocType", low=0, high=3)
    replacements = business.node("ReplacementInfoList", ["ReplacementInfo"], required=False)
    replaces: list[str] = []
    if replacements is not None:
        for element in replacements.many("ReplacementInfo"):
            node = _Node(
                element, f"{replacements.path}/ReplacementInfo", ["DocumentId", "OrganIdList"]
            )
            replaces.append(node.text("DocumentId", required=True, max_length=255))

    paper = business.integer("Paper", low=0, high=1)
    business_staff = _staff(business.node("StaffInfo", _STAFF_FIELDS, required=False))
    business_info = _business_info(
        business.node(
            "BussinessDocumentInfo",
            ["DocumentInfo", "DocumentReceiver", "ReceiverList"],
            required=False,
        )
    )

    body = envelope.req_node("edXMLBody", ["edXMLManifest"])
    attachments = _attachments(top, body)

    doc = EdxmlDocument(
        sender=sender,
        recipients=recipients,
        code_number=code.text("CodeNumber", required=True, max_length=20),
        code_notation=code.text("CodeNotation", required=True, max_length=100),
        promulgation_place=promulgation.text("Place", required=True, max_length=200),
        promulgation_date=promulgation_date,
        document_type=doc_type.integer("Type", low=0, high=99, default=1),
        document_type_name=doc_type.text("TypeName", required=True, max_length=100),
        # "0" is how SDK writers say "no detail" (readers need an integer): read as none
        type_detail=_type_detail(doc_type.text("TypeDetail", max_length=100)),
        subject=message.text("Subject", required=True, max_length=SUBJECT_MAX_LENGTH),
        content=message.text("Content", max_length=CONTENT_MAX_LENGTH),
        signer=SignerInfo(
            competence=signer.text("Competence", max_length=200),
            position=signer.text("Position", max_length=200),
            full_name=signer.text("FullName", max_length=200),
        ),
        due_date=message.date("DueDate"),
        to_places=[
            _check_text(
                el.text or "", f"{places.path}/Place", required=True, max_length=TEXT_MAX_LENGTH
            )
            for el in places.many("Place")
        ]
        if places
        else [],
        priority=other.integer("Priority", low=0, high=4) if other else 0,
        sphere_of_promulgation=other.text("SphereOfPromulgation", max_length=200) if other else "",
        typer_notation=other.text("TyperNotation", max_length=100) if other else "",
        promulgation_amount=other.integer("PromulgationAmount", low=0, high=1_000_000)
        if other
        else 0,
        page_amount=other.integer("PageAmount", low=0, high=1_000_000) if other else 0,
        appendixes=[
            _check_text(
                el.text or "",
                f"{appendixes_node.path}/Appendix",
                required=True,
                max_length=TEXT_MAX_LENGTH,
            )
            for el in appendixes_node.many("Appendix")
            if len(el) or (el.text or "").strip()  # an empty Appendix carries nothing
        ]
        if appendixes_node
        else [],
        response_for=response_for,
        steering_type=message.integer("SteeringType", low=0, high=99),
        business_doc_type=business_type,
        business_doc_reason=business.text("BussinessDocReason", max_length=2000),
        replaces=replaces,
        trace=trace_list,
        attachments=attachments,
        paper=paper,
        business_staff=business_staff,
        business_info=business_info,
    )
    document_id = message.text("DocumentId", required=True, max_length=DOCUMENT_ID_MAX_LENGTH)
    if document_id != doc.document_id:
        # a UUID or another date: checked by validate_document, see `sent_document_id`
        doc.sent_document_id = document_id
    validate_document(doc, received=True)
    return doc


_STAFF_FIELDS = ("Department", "Staff", "Mobile", "Email")


def _type_detail(text: str) -> str:
    return "" if text.isdigit() and int(text) == 0 else text


def _staff(node: _Node | None) -> StaffInfo:
    if node is None:
        return StaffInfo()
    return StaffInfo(
        department=node.text("Department", max_length=255),
        staff=node.text("Staff", max_length=255),
        mobile=node.text("Mobile", max_length=255),
        email=node.text("Email", max_length=255),
    )


def _business_info(node: _Node | None) -> BusinessDocumentInfo | None:
    if node is None:
        return None
    receivers: list[BusinessReceiver] = []
    receiver_list = node.node("ReceiverList", ["Receiver"], required=False)
    for element in receiver_list.many("Receiver") if receiver_list else []:
        item = _Node(element, f"{node.path}/ReceiverList/Receiver", ["OrganId", "ReceiverType"])
        receivers.append(
            BusinessReceiver(
                organ_id=_check_organ_id(
                    item.text("OrganId", required=True), f"{item.path}/OrganId"
                ),
                receiver_type=item.integer("ReceiverType", low=0, high=99),
            )
        )
    return BusinessDocumentInfo(
        document_info=node.integer("DocumentInfo", low=0, high=1),
        document_receiver=node.integer("DocumentReceiver", low=0, high=1),
        receivers=receivers,
    )


_BASE64_RE = re.compile(rb"^[A-Za-z0-9+/]*={0,2}$")


def _content_id(node: _Node) -> str:
    """ContentId as the manifest and the attachment are matched on: MIME-style senders write
    it as a URL (`cid:abc`, RFC 2392) or as a message id (`<abc>`), which name the same part
    as `abc`; the bare form is what we record."""
    path = f"{node.path}/ContentId"
    value = node.text("ContentId", required=True, max_length=255)
    if value[:4].lower() == "cid:":
        value = value[4:].strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    if not value or "<" in value or ">" in value:
        raise EdxmlError(f"ContentId '{value[:100]}' không hợp lệ.", element=path)
    return value


# RFC 2045 transfer-encoding names: a ContentTransferEncoded holding one of these is the word,
# anything else (with an empty Value) is taken as the data itself.
_TRANSFER_ENCODINGS = {"base64", "7bit", "8bit", "binary", "quoted-printable"}


def _attachment_data(node: _Node, content_id: str) -> bytes:
    """The decoded bytes of one Attachment.

    Ours: ContentTransferEncoded "base64" (or empty) and the data in Value. Accepted on receipt:
    the base64 data in ContentTransferEncoded itself with Value empty or absent, as some
    deployed senders write it. The bytes are as received; `_attachments` may then unzip a
    zipped single file (`_unzipped`).
    """
    transfer_element = node.one("ContentTransferEncoded", required=False)
    value_element = node.one("Value", required=False)
    for element, name in ((transfer_element, "ContentTransferEncoded"), (value_element, "Value")):
        if element is not None and len(element):
            raise EdxmlError(f"{name} phải là chuỗi base64.", element=f"{node.path}/{name}")
    transfer = (transfer_element.text or "").strip() if transfer_element is not None else ""
    value = (value_element.text or "") if value_element is not None else ""
    word = transfer.lower()
    if word in ("", "base64"):
        if value_element is None:
            raise EdxmlError(
                f"Thiếu phần tử bắt buộc Value trong {node.path}.", element=f"{node.path}/Value"
            )
        return _decode_base64(value, content_id, f"{node.path}/Value")
    if word in _TRANSFER_ENCODINGS or word.startswith("x-") or value.strip():
        raise EdxmlError(
            f"Tệp đính kèm '{content_id}' phải mã hóa base64 (nhận được {transfer[:20]}).",
            element=f"{node.path}/ContentTransferEncoded",
        )
    return _decode_base64(transfer, content_id, f"{node.path}/ContentTransferEncoded")


def _decode_base64(text: str, content_id: str, element: str) -> bytes:
    compact = re.sub(rb"\s+", b"", text.encode("ascii", "replace"))
    if not _BASE64_RE.match(compact):
        raise EdxmlError(f"Nội dung tệp '{content_id}' không phải base64 hợp lệ.", element=element)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise EdxmlError(
            f"Nội dung tệp '{content_id}' không phải base64 hợp lệ.", element=element
        ) from None


ZIP_CONTENT_TYPES = ("application/zip", "application/x-zip-compressed", "application/x-zip")
ZIP_MAX_RATIO = 200  # uncompressed/compressed: text compresses ~10x, a bomb ~1000x


def _unzipped(name: str, content_type: str, data: bytes) -> tuple[str, bytes] | None:
    """The one file a zipped attachment holds, with the content type its AttachmentName implies;
    None to keep the attachment as received.

    Deployed senders (the Bkav eDoc SDK) zip every file and keep its own name (`a.doc`,
    ContentType application/zip); their readers unzip it. We do too, only when it is safe and
    unambiguous: a zip named *.zip is a zip the author attached; an archive with more or
    other than one regular file, encrypted, whose declared or actual size exceeds the package
    limit, or compressed suspiciously well (a bomb) is kept whole, never partly expanded. The
    name inside the archive is ignored (no path from it is ever used)."""
    if content_type.strip().lower() not in ZIP_CONTENT_TYPES or name.lower().endswith(".zip"):
        return None
    limit = max_package_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) != 1:
                return None
            entry = entries[0]
            file_type = (entry.external_attr >> 16) & 0o170000
            if entry.is_dir() or entry.flag_bits & 0x1 or file_type not in (0, 0o100000):
                return None  # a directory, an encrypted entry, a link or a device
            if entry.file_size > limit or entry.file_size > ZIP_MAX_RATIO * max(
                entry.compress_size, 1
            ):
                return None
            with archive.open(entry) as member:
                inner = member.read(min(limit, entry.file_size) + 1)
            if len(inner) != entry.file_size:
                return None  # the header lied about the size
    except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, ValueError, RuntimeError):
        return None  # any doubt: kept whole
    except zlib.error:
        return None
    if inner[:5] == b"%PDF-":
        return "application/pdf", inner
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream", inner


def _attachments(top: _Node, body: _Node) -> list[Attachment]:
    manifest = body.node("edXMLManifest", ["Reference"], required=False)
    references: dict[str, _Node] = {}
    if manifest is not None:
        for element in manifest.many("Reference"):
            node = _Node(
                element,
                f"{manifest.path}/Reference",
                ["ContentId", "ContentType", "Description", "AttachmentName"],
            )
            content_id = _content_id(node)
            if content_id in references:
                raise EdxmlError(
                    f"ContentId '{content_id}' bị trùng trong edXMLManifest.",
                    element=f"{node.path}/ContentId",
                )
            references[content_id] = node
    encoded = top.node("AttachmentEncoded", ["Attachment"], required=False)
    attachments: list[Attachment] = []
    seen: set[str] = set()
    for element in encoded.many("Attachment") if encoded else []:
        node = _Node(
            element,
            "edXML/AttachmentEncoded/Attachment",
            [
                "ContentId",
                "AttachmentName",
                "ContentType",
                "ContentTransferEncoded",
                "Value",
                "Description",
            ],
        )
        content_id = _content_id(node)
        if content_id in seen:
            raise EdxmlError(
                f"Tệp đính kèm '{content_id}' xuất hiện hai lần.", element=f"{node.path}/ContentId"
            )
        seen.add(content_id)
        reference = references.get(content_id)
        if reference is None:
            raise EdxmlError(
                f"Tệp đính kèm '{content_id}' không có trong danh mục edXMLManifest.",
                element=f"{node.path}/ContentId",
            )
        data = _attachment_data(node, content_id)
        name = node.text("AttachmentName", max_length=255) or reference.text(
            "AttachmentName", required=True, max_length=255
        )
        content_type = node.text("ContentType", max_length=100) or reference.text(
            "ContentType", required=True, max_length=100
        )
        unzipped = _unzipped(name, content_type, data)
        if unzipped is not None:
            content_type, data = unzipped
        attachments.append(
            Attachment(
                name=name,
                content_type=content_type,
                data=data,
                description=reference.text("Description"),
                content_id=content_id,
            )
        )
    missing = set(references) - seen
    if missing:
        raise EdxmlError(
            f"Danh mục edXMLManifest nêu tệp không có trong gói: {', '.join(sorted(missing))}.",
            element="edXML/AttachmentEncoded/Attachment",
        )
    return attachments


def _status_from(root: Any) -> StatusMessage:
    _top, _envelope_node, header = _header_node(root)
    # `Status` (QCVN, Bkav) or the SDK sample's MessageHeader holding StatusCode, never both,
    # and no TraceHeaderList; the children are found by name, in any order.
    tag = "Status" if header.many("Status") else "MessageHeader"
    if (header.many("Status") and header.many("MessageHeader")) or header.many("TraceHeaderList"):
        raise EdxmlError(
            "Thông điệp trạng thái không được chứa MessageHeader/TraceHeaderList.",
            element="edXML/edXMLEnvelope/edXMLHeader",
        )
    status = header.req_node(
        tag,
        ["ResponseFor", "From", "To", "StatusCode", "Description", "Timestamp", "StaffInfo"],
    )
    answer = _response_for(
        status.req_node("ResponseFor", ["OrganId", "Code", "PromulgationDate", "DocumentId"])
    )
    sender = _organ(status.req_node("From", _ORGAN_FIELDS))
    to = status.node("To", _ORGAN_FIELDS, required=False)
    to_organ_id = ""
    if to is not None:
        to_organ_id = _check_organ_id(to.text("OrganId", required=True), f"{to.path}/OrganId")
    code = status.text("StatusCode", required=True, max_length=2)
    if not _STATUS_CODE_RE.match(code):
        raise EdxmlError(
            f"StatusCode phải gồm hai chữ số (nhận được '{code}').",
            element=f"{status.path}/StatusCode",
        )
    staff = _staff(status.node("StaffInfo", _STAFF_FIELDS, required=False))
    message = StatusMessage(
        document_id=answer.document_id,
        sender=sender,
        status_code=code,
        timestamp=status.timestamp("Timestamp"),
        description=status.text("Description"),
        staff=staff,
        to_organ_id=to_organ_id,
        response=answer if is_uuid(answer.document_id) else None,
    )
    validate_status(message)
    return message
