"""The events payments record (subject "payment", keyed by the payment's code; a bank
statement's events have the subject "bank_statement"). Every payment event carries its case
type's default fields (cases.py: status, dossier, amount); the fields below are each event's own.

A payment is opened by its dossier's event (dossier.submitted with fees due,
dossier.payment_requested), which the projector turns into the row: that dossier event is the
record of the opening, and `payment.opened` says which payment it made.
"""

from __future__ import annotations

from datetime import datetime

from egov.events.catalogue import Payload, declare

PAYMENT = "payment"
STATEMENT = "bank_statement"
REFUND_RULE = "refund_rule"


class PaymentPayload(Payload):
    status: str
    dossier: str
    amount: int


class Opened(PaymentPayload):
    purpose: str
    before_processing: bool = False
    # The dossier event that opened it.
    cause: int | None = None


class AttemptPayload(PaymentPayload):
    attempt: str  # the attempt's reference (MaThamChieu)
    provider: str


class AttemptStarted(AttemptPayload):
    pass


class AttemptOpened(AttemptPayload):
    # The payment page the platform gave (national) or that the QR is shown (vietqr).
    redirect_url: str = ""


class AttemptFailed(AttemptPayload):
    reason: str
    provider_code: str = ""  # MaLoi
    # The callback (payments.Callback id) that told the failure; none when it came from the
    # INIT's answer, a QUERY, or the attempt's time running out.
    callback: int | None = None


class CallbackRefused(Payload):
    """A callback that changed nothing: what it claimed and why it was refused (the raw body
    is in payments.Callback, `callback` is its id)."""

    status: str = ""
    dossier: str = ""
    amount: int = 0
    provider: str
    callback: int
    reason_code: str
    reason: str
    attempt: str = ""
    claimed_amount: int | None = None


class Paid(AttemptPayload):
    provider_transaction: str = ""
    paid_at: datetime
    # Who recorded it at the desk (cash) or matched the bank line; empty for a provider's
    # callback.
    recorded_by: str = ""
    callback: int | None = None
    statement_line: int | None = None


class ReceiptIssued(PaymentPayload):
    receipt: str  # "AB-26E 0000012"
    template: str
    series: str
    number: int
    year: int
    pdf_sha256: str
    xml_sha256: str


class Cancelled(PaymentPayload):
    reason: str


class RefundPayload(PaymentPayload):
    refund: int
    refund_amount: int


class RefundRequested(RefundPayload):
    reason: str
    basis: str = ""
    # Asked by the system as the dossier ended, under the refund rule `rule` (payments.RefundRule).
    automatic: bool = False
    rule: int | None = None


class RefundDecided(RefundPayload):
    note: str = ""
    # payment.refunded: the payout's voucher or transfer reference.
    payout_reference: str = ""


class RefundRuleSaved(Payload):
    outcome: str
    procedure: str = ""  # the procedure's code; empty: every procedure
    before_processing_only: bool
    percent: int
    automatic: bool
    legal_source: str
    is_active: bool


class StatementImported(Payload):
    statement: int
    filename: str
    file_format: str
    sha256: str
    lines: int
    matched: int
    skipped: int = 0


class LineResolved(Payload):
    statement: int
    line: int
    bank_reference: str
    amount: int
    # "matched" to an attempt (by hand), or "ignored" with a note.
    outcome: str
    attempt: str = ""
    note: str = ""


OPENED = declare(
    "payment.opened",
    subject=PAYMENT,
    payload=Opened,
    description="Mở khoản phải nộp của hồ sơ (khi nộp hồ sơ có phí, hoặc khi cán bộ yêu cầu).",
)
ATTEMPT_STARTED = declare(
    "payment.attempt_started",
    subject=PAYMENT,
    payload=AttemptStarted,
    description="Người nộp chọn hình thức thanh toán và bắt đầu thanh toán.",
)
ATTEMPT_OPENED = declare(
    "payment.attempt_opened",
    subject=PAYMENT,
    payload=AttemptOpened,
    description="Đơn vị thanh toán cấp trang thanh toán, hoặc mã VietQR đã sẵn sàng.",
)
ATTEMPT_FAILED = declare(
    "payment.attempt_failed",
    subject=PAYMENT,
    payload=AttemptFailed,
    description="Lần thanh toán không thành công (đơn vị thanh toán báo lỗi, hết hạn).",
)
CALLBACK_REFUSED = declare(
    "payment.callback_refused",
    subject=PAYMENT,
    payload=CallbackRefused,
    description="Từ chối thông báo kết quả thanh toán (sai mã xác thực, sai số tiền, "
    "không rõ giao dịch): không thay đổi gì, thông báo được lưu nguyên văn.",
)
PAID = declare(
    "payment.paid",
    subject=PAYMENT,
    payload=Paid,
    description="Đã thanh toán: đơn vị thanh toán xác nhận, khớp sao kê hoặc thu tiền mặt.",
)
RECEIPT_ISSUED = declare(
    "payment.receipt_issued",
    subject=PAYMENT,
    payload=ReceiptIssued,
    description="Lập biên lai điện tử (có chữ ký số) cho khoản đã thanh toán.",
)
CANCELLED = declare(
    "payment.cancelled",
    subject=PAYMENT,
    payload=Cancelled,
    description="Không còn phải nộp (hồ sơ bị từ chối, rút, hoặc được miễn).",
)
REFUND_REQUESTED = declare(
    "payment.refund_requested",
    subject=PAYMENT,
    payload=RefundRequested,
    description="Đề nghị hoàn trả phí, lệ phí đã nộp.",
)
REFUND_APPROVED = declare(
    "payment.refund_approved",
    subject=PAYMENT,
    payload=RefundDecided,
    description="Lãnh đạo phê duyệt hoàn trả.",
)
REFUND_REJECTED = declare(
    "payment.refund_rejected",
    subject=PAYMENT,
    payload=RefundDecided,
    description="Lãnh đạo không phê duyệt hoàn trả.",
)
REFUNDED = declare(
    "payment.refunded",
    subject=PAYMENT,
    payload=RefundDecided,
    description="Đã chi trả khoản hoàn trả cho người nộp.",
)
REFUND_RULE_SAVED = declare(
    "refund_rule.saved",
    subject=REFUND_RULE,
    payload=RefundRuleSaved,
    description="Quản trị hệ thống thêm hoặc sửa quy định hoàn trả phí, lệ phí.",
)
STATEMENT_IMPORTED = declare(
    "bank_statement.imported",
    subject=STATEMENT,
    payload=StatementImported,
    description="Nhập sao kê ngân hàng và đối chiếu tự động với các lần chuyển khoản VietQR.",
)
LINE_RESOLVED = declare(
    "bank_statement.line_resolved",
    subject=STATEMENT,
    payload=LineResolved,
    description="Kế toán đối chiếu thủ công một dòng sao kê (khớp với khoản thu, hoặc bỏ qua).",
)
