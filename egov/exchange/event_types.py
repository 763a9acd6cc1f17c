"""The events the exchange records: packages sent, answered, received or refused, status messages
both ways, and operators' external endpoints."""

from __future__ import annotations

from pydantic import Field

from egov.events.catalogue import Payload, declare

SUBJECT_OUTGOING = "exchange.outgoing_package"
SUBJECT_INCOMING = "exchange.incoming_package"
SUBJECT_STATUS = "exchange.status"
SUBJECT_ENDPOINT = "exchange.endpoint"


class PackageSent(Payload):
    document_id: str
    recipient: str  # OrganId
    route: str  # "local" or "external"
    business_doc_type: int
    size: int
    sha256: str
    resend: int  # 0 the first time, then how many times it was sent afresh
    dialect: str = ""  # how it was written for the recipient (edxml.Dialect; "" before #14)
    zipped: bool = False  # attachments sent zipped


class PackageAnswered(Payload):
    document_id: str
    recipient: str
    status_code: str  # 01 arrived, 02 refused
    duplicate: bool
    reason: str = ""  # the recipient's reason when it refused


class PackageFailed(Payload):
    document_id: str
    recipient: str
    error: str


class PackageReceived(Payload):
    document_id: str
    sender: str
    business_doc_type: int
    via: str
    size: int
    attachments: list[str]


class PackageRefused(Payload):
    document_id: str  # "" when the package could not be read
    sender: str
    recipient: str
    code: str  # an ExchangeErrorCode, or the incoming handler's own code
    reason: str
    via: str
    size: int


class PackageHeld(Payload):
    document_id: str
    sender: str
    business_doc_type: int
    via: str
    size: int
    reason: str  # why the signature could not be verified
    signer_subject: str = ""  # as the certificate names it (not verified)


class HeldPackageDecided(Payload):
    document_id: str
    sender: str
    note: str  # the clerk's note (accepted) or reason (refused)
    hold_reason: str


class StatusSent(Payload):
    document_id: str
    to: str
    status_code: str
    description: str


class StatusReceived(Payload):
    document_id: str
    from_: str = Field(alias="from")
    status_code: str
    description: str
    via: str
    stale: bool = False  # an older status delivered late: recorded, it changed nothing


class StatusFlowRefusal(Payload):
    document_id: str
    from_: str = Field(alias="from")
    status_code: str
    sender_role: str  # "sender" or "recipient" of the package the status is about
    business_doc_type: int
    processing_code: str  # where the package stood: its processing step...
    take_back_code: str  # ...and its take-back step
    code: str  # status_out_of_order or status_not_allowed_for_sender
    reason: str
    via: str


class EndpointSaved(Payload):
    organ_id: str
    url: str
    is_active: bool
    auth_token_set: bool
    inbound_token_set: bool
    dialect: str = ""  # edxml.Dialect ("" before #14)
    zip_attachments: bool = True


PACKAGE_SENT = declare(
    "exchange.package_sent",
    subject=SUBJECT_OUTGOING,
    payload=PackageSent,
    description="Gói tin edXML được ký và xếp hàng gửi tới một nơi nhận.",
)
PACKAGE_DELIVERED = declare(
    "exchange.package_delivered",
    subject=SUBJECT_OUTGOING,
    payload=PackageAnswered,
    description="Nơi nhận báo gói tin đã đến (01).",
)
PACKAGE_REFUSED_BY_RECIPIENT = declare(
    "exchange.package_refused_by_recipient",
    subject=SUBJECT_OUTGOING,
    payload=PackageAnswered,
    description="Nơi nhận từ chối gói tin (02), kèm lý do.",
)
PACKAGE_FAILED = declare(
    "exchange.package_failed",
    subject=SUBJECT_OUTGOING,
    payload=PackageFailed,
    description="Không chuyển được gói tin (hết lượt thử, không còn đường gửi...).",
)
PACKAGE_RECEIVED = declare(
    "exchange.package_received",
    subject=SUBJECT_INCOMING,
    payload=PackageReceived,
    description="Gói tin gửi tới một cơ quan trên nền tảng đã qua mọi kiểm tra và được nhận.",
)
PACKAGE_REFUSED = declare(
    "exchange.package_refused",
    subject=SUBJECT_INCOMING,
    payload=PackageRefused,
    description="Gói tin đến bị từ chối (02): không đúng edXML, chữ ký, nơi nhận...",
)
PACKAGE_HELD = declare(
    "exchange.package_held",
    subject=SUBJECT_INCOMING,
    payload=PackageHeld,
    description="Gói tin đến chưa xác minh được chữ ký số (không có chữ ký, dạng hoặc thuật "
    "toán không kiểm tra được, chứng thư ngoài danh sách tin cậy): báo đã đến (01), chờ văn "
    "thư xem xét.",
)
HELD_PACKAGE_ACCEPTED = declare(
    "exchange.held_package_accepted",
    subject=SUBJECT_INCOMING,
    payload=HeldPackageDecided,
    description="Văn thư chấp nhận gói tin chờ xem xét: gói tin được nhận như mọi gói tin.",
)
HELD_PACKAGE_REFUSED = declare(
    "exchange.held_package_refused",
    subject=SUBJECT_INCOMING,
    payload=HeldPackageDecided,
    description="Văn thư từ chối gói tin chờ xem xét: báo bên gửi từ chối (02) kèm lý do.",
)
STATUS_SENT = declare(
    "exchange.status_sent",
    subject=SUBJECT_STATUS,
    payload=StatusSent,
    description="Một cơ quan trên nền tảng gửi thông điệp trạng thái về văn bản cho bên kia.",
)
STATUS_RECEIVED = declare(
    "exchange.status_received",
    subject=SUBJECT_STATUS,
    payload=StatusReceived,
    description="Thông điệp trạng thái về văn bản đến một cơ quan trên nền tảng.",
)
STATUS_REFUSED_FOR_OUTGOING = declare(
    "exchange.outgoing_status_refused",
    subject=SUBJECT_OUTGOING,
    payload=StatusFlowRefusal,
    description="Trạng thái nơi nhận gửi về một văn bản đã gửi bị từ chối: sai trình tự "
    "trạng thái hoặc bên đó không được gửi mã này. Gói tin không đổi.",
)
STATUS_REFUSED_FOR_INCOMING = declare(
    "exchange.incoming_status_refused",
    subject=SUBJECT_INCOMING,
    payload=StatusFlowRefusal,
    description="Trạng thái cơ quan gửi gửi tới về một văn bản đã nhận bị từ chối: sai trình "
    "tự trạng thái hoặc bên đó không được gửi mã này. Gói tin không đổi.",
)
ENDPOINT_CREATED = declare(
    "exchange.endpoint_created",
    subject=SUBJECT_ENDPOINT,
    payload=EndpointSaved,
    description="Quản trị khai báo điểm liên thông của cơ quan trên nền tảng khác.",
)
ENDPOINT_UPDATED = declare(
    "exchange.endpoint_updated",
    subject=SUBJECT_ENDPOINT,
    payload=EndpointSaved,
    description="Quản trị sửa điểm liên thông (địa chỉ, mã truy cập, trạng thái).",
)
