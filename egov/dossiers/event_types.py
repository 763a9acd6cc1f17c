"""Every event of a dossier's life (subject "dossier", keyed by the dossier code): submitted and
rated on the portal side, and the one-stop processing events (reception, steps, supplements,
payments, results, form 04, reminders) the engine in onestop records.

Events an official records carry who acted (`official`, `agency_name`, `unit_name`) and the
dossier's status after the action (the case type's defaults, onestop/cases.py); the ones the
engine records itself (a step starting, a reminder) name the step's holder instead. Declared here,
with the dossier, so that every reader (timeline, control sheet, statistics) finds them below it.
"""

from __future__ import annotations

from datetime import date, datetime

from egov.events.catalogue import Payload, declare

SUBJECT = "dossier"


class SubmittedFile(Payload):
    component: str
    name: str
    sha256: str


class ExemptionClaimed(Payload):
    fee: str  # the fee's name
    group: str
    percent: int


class ProofFile(Payload):
    name: str
    sha256: str


class Submitted(Payload):
    status: int
    procedure: str
    channel: int
    appointment_at: datetime | None = None
    files: list[SubmittedFile] = []
    process_version: int | None = None
    # Liên thông: a dossier made for a further procedure of a chain, from the main one.
    chained_from: str = ""
    chain: str = ""
    # The total of the fees due (those by law and those the applicant asked for), VND, after the
    # exemptions claimed, and the proofs attached for them.
    fee_total: int | None = None
    exemptions: list[ExemptionClaimed] = []
    proofs: list[ProofFile] = []
    # The applicant and the summary, for the national portal's sync record (egov.national;
    # issue #18 on). Empty in older events: the sync falls back once to the dossier row.
    applicant_kind: str = ""
    applicant_name: str = ""
    applicant_id_number: str = ""
    summary: str = ""
    # The electronic identity behind the submission (docs/identity-portal.md): the level the
    # applicant's account held (0 none, 1, 2; >= 1 is the national sync's
    # TaiKhoanDuocXacThucVoiVNeID), when they consented to the prefill from the verified claims,
    # and the form fields ("component.field") whose value is the verified claim's.
    identity_level: int | None = None
    prefill_consented_at: datetime | None = None
    verified_fields: list[str] = []


class Rated(Payload):
    level: int
    comment: str = ""


SUBMITTED = declare(
    "dossier.submitted",
    subject=SUBJECT,
    payload=Submitted,
    description="Hồ sơ được nộp trực tuyến (hoặc tạo kèm theo nhóm thủ tục liên thông).",
)
RATED = declare(
    "dossier.rated",
    subject=SUBJECT,
    payload=Rated,
    description="Người nộp đánh giá mức độ hài lòng sau khi có kết quả.",
)


class DossierPayload(Payload):
    """What every processing event may carry: who acted and the resulting status."""

    official: str = ""
    agency_name: str = ""
    unit_name: str = ""
    status: int | None = None


class NextStep(DossierPayload):
    """Events that hand the dossier on without a step_started event name who holds it next."""

    next_step: int | None = None
    next_step_name: str = ""
    next_agency_name: str = ""
    next_unit_name: str = ""
    next_assignee: str = ""
    next_due_at: datetime | None = None


class ReceivedFile(Payload):
    component: str
    name: str
    sha256: str


class Received(DossierPayload):
    appointment_at: datetime | None = None
    # Received at the desk (in person or by post): the channel and the scanned papers.
    channel: int | None = None
    files: list[ReceivedFile] = []
    fee_total: int | None = None  # at the desk: the fees due, with those the applicant asked for
    procedure: str = ""  # at the desk (issue #18 on): the procedure's code
    # The applicant and the summary, for the national portal's sync record (egov.national;
    # issue #18 on). Empty in older events: the sync falls back once to the dossier row.
    applicant_kind: str = ""
    applicant_name: str = ""
    applicant_id_number: str = ""
    summary: str = ""


class Reason(DossierPayload):
    reason: str


class StepStarted(DossierPayload):
    step: int
    step_name: str
    assignee: str = ""
    due_at: datetime | None = None
    transferred: bool = False


class Assigned(DossierPayload):
    step: int
    step_name: str
    assignee: str


class StepFinished(DossierPayload):
    step: int
    step_name: str
    note: str = ""
    on_time: bool | None = None
    due_at: datetime | None = None
    step_id: int


class Done(NextStep):
    on_time: bool | None = None


class SentBack(NextStep):
    step: int
    step_id: int
    to_step: int
    reason: str
    step_name: str


class SupplementItem(Payload):
    component: str = ""  # the procedure's component code; "" for a paper the official typed
    name: str


class SupplementRequested(Reason):
    """`reason` is why; `items` what to supply (#15 on; before, the reason's lines); `answer_by`
    the date to answer by, `answer_days` working days from the request."""

    count: int
    repeated: bool
    items: list[SupplementItem] = []
    answer_by: datetime | None = None
    answer_days: int | None = None


class SupplementFile(Payload):
    name: str
    sha256: str
    component: str = ""  # the paper of the request it answers (#15 on)
    item: str = ""


class SupplementProvided(DossierPayload):
    note: str = ""
    files: list[SupplementFile] = []
    appointment_at: datetime | None = None  # the legal appointment, moved by the pause
    promised_at: datetime | None = None  # a form 04 promise, moved likewise (#13 on)


class PaymentRequested(Reason):
    amount: int
    # The dossier waits for the fees it owes since it was submitted (a procedure paid before
    # processing, received while they are still due): the payment already open stays the one
    # to pay, none is opened for this request.
    fees_due: bool = False


class PaymentReceived(DossierPayload):
    receipt: str = ""


class ResultRecorded(DossierPayload):
    name: str
    sha256: str
    # The uploaded file already carried a signature that validated (an electronic original).
    signed: bool = False


class ResultSigned(DossierPayload):
    """The leader signed the result in the approval step: the electronic original."""

    name: str
    sha256: str
    draft_name: str = ""
    draft_sha256: str = ""
    signer: str
    position: str = ""
    sealed_by: str = ""  # the agency whose seal (organisation signature) was added
    serial: str = ""  # the signer's certificate


class Returned(DossierPayload):
    method: str


class Withdrawn(Reason):
    """`online`: the applicant withdrew on the portal themselves (#15); else the desk recorded
    it at their request."""

    online: bool = False


class NoticeSent(Payload):
    """A notice to the applicant (e-mail, SMS and the portal inbox), with its full text. The
    subject id is "<dossier code>/<what>" (the dossier's own events stay the dossier's)."""

    dossier: str
    what: str
    subject: str
    text: str
    url: str = ""  # the dossier's page (path) the notice links to
    applicant: int | None = None  # the portal account, when there is one
    channels: list[str] = []


class ApologyDrafted(Reason):
    new_appointment_at: datetime
    letter: int


class ApologyApproved(Reason):
    """Form 04 approved: a date promised to the applicant, not a new legal due date.

    Events recorded before #13 carry the promised date as `appointment_at` (the engine then
    moved the appointment itself); later ones carry it as `promised_at`, with
    `legal_appointment_at`, the legal due date the letter leaves as it was. Read the promise
    with `promise`."""

    letter: int
    promised_at: datetime | None = None
    legal_appointment_at: datetime | None = None
    appointment_at: datetime | None = None  # old events only: the promised date
    previous_appointment_at: datetime | None = None

    @property
    def promise(self) -> datetime | None:
        return self.promised_at or self.appointment_at


class ApologyRejected(DossierPayload):
    letter: int


class DeadlineMoved(DossierPayload):
    """An operator's change of the working-day calendar (a day off or a swap working day inside
    the running deadline) moved the dossier's appointment and/or its current step's due time,
    each keeping the working time it had left (workcalendar.impact)."""

    days: list[date] = []  # the changed dates that lay inside the deadline
    appointment_at: datetime | None = None
    previous_appointment_at: datetime | None = None
    step_id: int | None = None
    step_due_at: datetime | None = None
    previous_step_due_at: datetime | None = None


class Recipient(Payload):
    name: str
    role: str


class ReminderSent(Payload):
    level: str
    level_label: str
    step_id: int
    step: int
    step_name: str
    due_at: datetime | None = None
    recipients: list[Recipient] = []
    emailed: int = 0


RECEIVED = declare(
    "dossier.received",
    subject=SUBJECT,
    payload=Received,
    description="Bộ phận Một cửa tiếp nhận hồ sơ (trực tuyến, trực tiếp hoặc qua bưu chính) và "
    "hẹn ngày trả kết quả.",
)
REFUSED = declare(
    "dossier.refused",
    subject=SUBJECT,
    payload=Reason,
    description="Từ chối tiếp nhận hồ sơ, có lý do (mẫu 03).",
)
STEP_STARTED = declare(
    "dossier.step_started",
    subject=SUBJECT,
    payload=StepStarted,
    description="Một bước xử lý bắt đầu: cơ quan, phòng, người được giao và hạn xử lý của bước.",
)
ASSIGNED = declare(
    "dossier.assigned",
    subject=SUBJECT,
    payload=Assigned,
    description="Lãnh đạo phân công người xử lý bước đang mở.",
)
FORWARDED = declare(
    "dossier.forwarded",
    subject=SUBJECT,
    payload=StepFinished,
    description="Một bước xử lý hoàn thành, hồ sơ chuyển bước tiếp theo.",
)
APPROVED = declare(
    "dossier.approved",
    subject=SUBJECT,
    payload=StepFinished,
    description="Lãnh đạo phê duyệt (hoàn thành bước của lãnh đạo).",
)
DONE = declare(
    "dossier.done",
    subject=SUBJECT,
    payload=Done,
    description="Xử lý xong, có kết quả; bước trả kết quả chuyển cho Bộ phận Một cửa.",
)
SENT_BACK = declare(
    "dossier.sent_back",
    subject=SUBJECT,
    payload=SentBack,
    description="Hồ sơ được trả lại một bước xử lý trước, có lý do.",
)
SUPPLEMENT_REQUESTED = declare(
    "dossier.supplement_requested",
    subject=SUBJECT,
    payload=SupplementRequested,
    description="Yêu cầu bổ sung hồ sơ (mẫu 02): thời hạn tạm dừng đến khi người nộp bổ sung.",
)
SUPPLEMENT_PROVIDED = declare(
    "dossier.supplement_provided",
    subject=SUBJECT,
    payload=SupplementProvided,
    description="Người nộp bổ sung giấy tờ; thời hạn chạy lại, ngày hẹn lùi theo thời gian chờ.",
)
PAYMENT_REQUESTED = declare(
    "dossier.payment_requested",
    subject=SUBJECT,
    payload=PaymentRequested,
    description="Yêu cầu thực hiện nghĩa vụ tài chính (số tiền, lý do).",
)
PAYMENT_RECEIVED = declare(
    "dossier.payment_received",
    subject=SUBJECT,
    payload=PaymentReceived,
    description="Xác nhận người nộp đã thực hiện nghĩa vụ tài chính.",
)
RESULT_RECORDED = declare(
    "dossier.result_recorded",
    subject=SUBJECT,
    payload=ResultRecorded,
    description="Tệp kết quả giải quyết được cập nhật.",
)
RESULT_SIGNED = declare(
    "dossier.result_signed",
    subject=SUBJECT,
    payload=ResultSigned,
    description=(
        "Lãnh đạo ký số kết quả khi phê duyệt (có dấu của cơ quan nếu thủ tục yêu cầu): bản "
        "chính điện tử trả cho người nộp."
    ),
)
RETURNED = declare(
    "dossier.returned",
    subject=SUBJECT,
    payload=Returned,
    description="Trả kết quả cho người nộp (tại Bộ phận Một cửa, trực tuyến hoặc bưu chính).",
)
STOPPED = declare(
    "dossier.stopped",
    subject=SUBJECT,
    payload=Reason,
    description="Lãnh đạo dừng xử lý hồ sơ, có lý do.",
)
WITHDRAWN = declare(
    "dossier.withdrawn",
    subject=SUBJECT,
    payload=Withdrawn,
    description="Rút hồ sơ theo yêu cầu của người nộp: ghi nhận tại Bộ phận Một cửa, hoặc người "
    "nộp tự rút trên Cổng dịch vụ công.",
)
APOLOGY_DRAFTED = declare(
    "dossier.apology_drafted",
    subject=SUBJECT,
    payload=ApologyDrafted,
    description="Lập phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04), chờ lãnh đạo duyệt.",
)
APOLOGY_APPROVED = declare(
    "dossier.apology_approved",
    subject=SUBJECT,
    payload=ApologyApproved,
    description=(
        "Lãnh đạo duyệt phiếu xin lỗi: người nộp được báo ngày hẹn lại; ngày hẹn trả theo quy "
        "định (căn cứ tính đúng hạn/trễ hạn) giữ nguyên."
    ),
)
APOLOGY_REJECTED = declare(
    "dossier.apology_rejected",
    subject=SUBJECT,
    payload=ApologyRejected,
    description="Lãnh đạo không duyệt phiếu xin lỗi.",
)
REMINDER_SENT = declare(
    "dossier.reminder_sent",
    subject=SUBJECT,
    payload=ReminderSent,
    description="Nhắc việc một bước sắp đến hạn, quá hạn hoặc quá hạn hơn 1 ngày làm việc.",
)
DEADLINE_MOVED = declare(
    "dossier.deadline_moved",
    subject=SUBJECT,
    payload=DeadlineMoved,
    description="Quản trị viên khai báo ngày nghỉ hoặc ngày làm bù nằm trong thời hạn đang chạy: "
    "ngày hẹn trả và hạn xử lý của bước hiện tại được tính lại theo lịch mới.",
)

NOTICE_SUBJECT = "applicant_notice"
NOTICE_SENT = declare(
    "applicant_notice.sent",
    subject=NOTICE_SUBJECT,
    payload=NoticeSent,
    description="Thông báo gửi người nộp về hồ sơ (thư điện tử, SMS, hộp thư trên Cổng): toàn "
    "văn và đường dẫn tới trang hồ sơ.",
)
