"""The events documents record: outgoing documents (subject `outgoing_document`) and incoming
documents (subject `incoming_document`). Every outgoing event carries the document's status and
subject, every incoming one its status and DocumentId (the case types' event payload defaults,
documents/cases.py); the fields below them are each event's own."""

from __future__ import annotations

from datetime import datetime

from egov.events.catalogue import Payload, declare

OUTGOING = "outgoing_document"
INCOMING = "incoming_document"


# --- outgoing ----------------------------------------------------------------------------------


class OutgoingPayload(Payload):
    status: str
    subject: str


class VersionPayload(OutgoingPayload):
    version: int


class AttachmentPayload(OutgoingPayload):
    attachment: str


class Submitted(OutgoingPayload):
    reviewer: str
    comment: str = ""


class Reviewed(OutgoingPayload):
    decision: str
    role: str
    forwarded_to: str | None = None


class PutToSignature(OutgoingPayload):
    """A document drafted by the system for a named signer (no review chain)."""

    signer: str
    drafted_by: str
    origin: str  # what asked for it, e.g. "consultation:12"


class Issued(OutgoingPayload):
    symbol: str
    number: int


class Delivery(OutgoingPayload):
    internal: int
    remote: int
    error: str | None = None


class ReadByUnit(Payload):
    unit: int


class Revoked(OutgoingPayload):
    reason: str
    recipients: list[str]  # organ ids the revoke package went to
    internal: int  # internal units that had it in their inbox


class UpdateSent(OutgoingPayload):
    reason: str
    recipients: list[str]
    added: list[str]  # attachment names added
    superseded: list[str]  # attachment names no longer sent


class Replacing(OutgoingPayload):
    replaces: str  # the replaced document's symbol
    reason: str


class ReplacedBy(OutgoingPayload):
    by: str  # the new document's symbol
    by_id: int
    reason: str


DRAFTED = declare(
    "document.drafted",
    subject=OUTGOING,
    payload=VersionPayload,
    description="Một dự thảo văn bản đi được tạo (phiên bản 1).",
)
DRAFT_UPDATED = declare(
    "document.draft_updated",
    subject=OUTGOING,
    payload=OutgoingPayload,
    description="Người soạn thảo sửa thông tin dự thảo.",
)
VERSION_ADDED = declare(
    "document.version_added",
    subject=OUTGOING,
    payload=VersionPayload,
    description="Một phiên bản mới (DOCX/PDF) được tải lên.",
)
ATTACHMENT_ADDED = declare(
    "document.attachment_added",
    subject=OUTGOING,
    payload=AttachmentPayload,
    description="Thêm tệp đính kèm vào dự thảo.",
)
ATTACHMENT_REMOVED = declare(
    "document.attachment_removed",
    subject=OUTGOING,
    payload=AttachmentPayload,
    description="Bỏ tệp đính kèm khỏi dự thảo (tệp vẫn được lưu).",
)
SUBMITTED = declare(
    "document.submitted",
    subject=OUTGOING,
    payload=Submitted,
    description="Dự thảo được trình người cho ý kiến đầu tiên.",
)
REVIEWED = declare(
    "document.reviewed",
    subject=OUTGOING,
    payload=Reviewed,
    description="Ý kiến của người đang xem xét: trả lại, chuyển tiếp hoặc duyệt để ký.",
)
PUT_TO_SIGNATURE = declare(
    "document.put_to_signature",
    subject=OUTGOING,
    payload=PutToSignature,
    description=(
        "Văn bản do hệ thống soạn (kết quả lấy ý kiến) được trình thẳng người ký; ký xong thì "
        "hệ thống tự cấp số và ký số cơ quan."
    ),
)
SIGNED = declare(
    "document.signed",
    subject=OUTGOING,
    payload=VersionPayload,
    description="Lãnh đạo ký số văn bản.",
)
ISSUED = declare(
    "document.issued",
    subject=OUTGOING,
    payload=Issued,
    description="Văn thư cấp số, ký hiệu và ký số cơ quan: văn bản được ban hành.",
)
SENT = declare(
    "document.sent",
    subject=OUTGOING,
    payload=Delivery,
    description="Văn bản được gửi tới mọi nơi nhận còn lại.",
)
SEND_FAILED = declare(
    "document.send_failed",
    subject=OUTGOING,
    payload=Delivery,
    description="Gửi văn bản tới nơi nhận ngoài cơ quan không thành công (văn thư gửi lại).",
)
READ_BY_UNIT = declare(
    "document.read_by_unit",
    subject=OUTGOING,
    payload=ReadByUnit,
    description="Đơn vị nhận nội bộ mở văn bản lần đầu.",
)


REVOKED = declare(
    "document.revoked",
    subject=OUTGOING,
    payload=Revoked,
    description="Văn thư thu hồi văn bản đã gửi (edXML nghiệp vụ 1), có lý do.",
)
UPDATE_SENT = declare(
    "document.update_sent",
    subject=OUTGOING,
    payload=UpdateSent,
    description="Văn thư gửi cập nhật văn bản đã gửi (edXML nghiệp vụ 2: tệp thay thế), có lý do.",
)
REPLACING = declare(
    "document.replacing",
    subject=OUTGOING,
    payload=Replacing,
    description="Dự thảo được đánh dấu thay thế một văn bản đã ban hành của cơ quan.",
)
REPLACED = declare(
    "document.replaced",
    subject=OUTGOING,
    payload=ReplacedBy,
    description="Văn bản bị thay thế bởi văn bản mới vừa gửi (edXML nghiệp vụ 3).",
)


# --- incoming ----------------------------------------------------------------------------------


class IncomingPayload(Payload):
    status: str
    document_id: str


class Received(IncomingPayload):
    sender: str
    replaces: list[str] | None = None


class Replaced(IncomingPayload):
    by: str


class WithReason(IncomingPayload):
    reason: str


class Registered(IncomingPayload):
    arrival_number: int
    year: int


class Assigned(IncomingPayload):
    units: list[int]
    due_at: datetime | None = None


class UnitPayload(IncomingPayload):
    unit: int


INCOMING_RECEIVED = declare(
    "incoming_document.received",
    subject=INCOMING,
    payload=Received,
    description="Văn bản đến (qua trục liên thông hoặc văn bản giấy) chờ vào sổ.",
)
INCOMING_REPLACED = declare(
    "incoming_document.replaced",
    subject=INCOMING,
    payload=Replaced,
    description="Văn bản đến được thay thế bằng văn bản mới của cơ quan gửi.",
)
INCOMING_REVOKED = declare(
    "incoming_document.revoked",
    subject=INCOMING,
    payload=WithReason,
    description="Cơ quan gửi thu hồi văn bản đến.",
)
INCOMING_UPDATED = declare(
    "incoming_document.updated",
    subject=INCOMING,
    payload=WithReason,
    description="Cơ quan gửi cập nhật văn bản đến.",
)
INCOMING_REGISTERED = declare(
    "incoming_document.registered",
    subject=INCOMING,
    payload=Registered,
    description="Văn thư vào sổ văn bản đến với số đến của năm.",
)
INCOMING_REJECTED = declare(
    "incoming_document.rejected",
    subject=INCOMING,
    payload=WithReason,
    description="Văn thư từ chối văn bản gửi nhầm.",
)
INCOMING_ASSIGNED = declare(
    "incoming_document.assigned",
    subject=INCOMING,
    payload=Assigned,
    description="Lãnh đạo bút phê và giao đơn vị xử lý, có hạn xử lý.",
)
INCOMING_PROCESSING = declare(
    "incoming_document.processing",
    subject=INCOMING,
    payload=UnitPayload,
    description="Một đơn vị được giao nhận xử lý.",
)
INCOMING_REPORTED = declare(
    "incoming_document.reported",
    subject=INCOMING,
    payload=UnitPayload,
    description="Một đơn vị được giao báo cáo kết quả xử lý.",
)
INCOMING_COMPLETED = declare(
    "incoming_document.completed",
    subject=INCOMING,
    payload=IncomingPayload,
    description="Văn bản đến kết thúc xử lý.",
)
