"""Dossiers (hồ sơ): one application for one procedure, from submission to returned result."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.IntegerChoices):
    """Status codes exactly as synchronised with the national portal."""

    NEW = 1, _("Mới đăng ký")
    RECEIVED = 2, _("Được tiếp nhận")
    REFUSED = 3, _("Không được tiếp nhận")
    PROCESSING = 4, _("Đang xử lý")
    SUPPLEMENT_REQUESTED = 5, _("Yêu cầu bổ sung giấy tờ")
    PAYMENT_REQUESTED = 6, _("Yêu cầu thực hiện nghĩa vụ tài chính")
    WITHDRAWAL_REQUESTED = 7, _("Công dân yêu cầu rút hồ sơ")
    STOPPED = 8, _("Dừng xử lý")
    DONE = 9, _("Đã xử lý xong")
    RETURNED = 10, _("Đã trả kết quả")


class Channel(models.IntegerChoices):
    IN_PERSON = 1, _("Trực tiếp")
    ONLINE = 2, _("Trực tuyến")
    POST = 3, _("Bưu chính công ích")


class ResultDelivery(models.TextChoices):
    ONLINE = "online", _("Nhận kết quả trực tuyến")
    DESK = "desk", _("Nhận tại Bộ phận Một cửa")
    POST = "post", _("Nhận qua bưu chính công ích")


class PaymentState(models.TextChoices):
    """What the applicant owes, as the payments app last set it (egov.payments): every page,
    the receipt (form 01) and the API read it from the dossier, so they show it at once."""

    NONE = "", _("Không phải nộp phí")
    DUE = "due", _("Chưa thanh toán")
    PAID = "paid", _("Đã thanh toán")
    EXEMPT = "exempt", _("Được miễn phí, lệ phí")
    REFUNDED = "refunded", _("Đã hoàn trả phí, lệ phí")


class Dossier(models.Model):
    code = models.CharField(_("mã hồ sơ"), max_length=40, unique=True)
    procedure = models.ForeignKey(
        "catalog.Procedure",
        verbose_name=_("thủ tục"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    # The process version in force when the dossier came in; later versions never touch it.
    process_version = models.ForeignKey(
        "catalog.ProcessVersion", on_delete=models.PROTECT, related_name="dossiers", null=True
    )
    agency = models.ForeignKey(
        "org.Agency",
        verbose_name=_("cơ quan tiếp nhận"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản nộp"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    applicant_kind = models.CharField(_("loại chủ hồ sơ"), max_length=10)
    applicant_name = models.CharField(_("chủ hồ sơ"), max_length=255)
    applicant_id_number = models.CharField(_("số giấy tờ chủ hồ sơ"), max_length=20, db_index=True)
    applicant_phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    applicant_address = models.CharField(_("địa chỉ chủ hồ sơ"), max_length=255, blank=True)
    summary = models.CharField(_("trích yếu"), max_length=500, blank=True)
    channel = models.PositiveSmallIntegerField(_("kênh"), choices=Channel.choices)
    status = models.PositiveSmallIntegerField(_("trạng thái"), choices=Status.choices)
    result_delivery = models.CharField(
        _("hình thức nhận kết quả"), max_length=10, choices=ResultDelivery.choices
    )
    delivery_address = models.CharField(_("địa chỉ nhận kết quả"), max_length=500, blank=True)
    form_data = models.JSONField(_("nội dung tờ khai"), default=dict, blank=True)
    fee_total = models.PositiveBigIntegerField(_("tổng phí, lệ phí (đồng)"), default=0)
    # The fees as they applied when the dossier came in (dossiers.fees.FeeLine): those due by
    # law and those the applicant asked for, with the number of units. Empty on dossiers from
    # before it was kept: their total stays as stored.
    fee_lines = models.JSONField(_("các khoản phí, lệ phí"), default=list, blank=True)
    payment_state = models.CharField(
        _("tình trạng thanh toán"),
        max_length=10,
        choices=PaymentState.choices,
        blank=True,
        default=PaymentState.NONE,
    )
    amount_paid = models.PositiveBigIntegerField(_("số tiền đã nộp (đồng)"), default=0)
    paid_at = models.DateTimeField(_("ngày nộp phí"), null=True, blank=True)
    # Số lượng hồ sơ (bộ) on forms 01 and 06: how many sets of papers were handed in. The desk
    # enters it; an online submission is one set.
    set_count = models.PositiveSmallIntegerField(_("số bộ hồ sơ"), default=1)
    submitted_at = models.DateTimeField(_("ngày nộp"))
    received_at = models.DateTimeField(_("ngày tiếp nhận"), null=True, blank=True)
    # The legal due date: set at reception, moved only by supplement pauses. It alone decides
    # on time or late (workcalendar.deadlines.timeliness).
    appointment_at = models.DateTimeField(_("ngày hẹn trả"), null=True, blank=True)
    # The appointment written on the receipt (form 01) at reception. It never moves: a reprinted
    # receipt and the register show what the applicant was given, whatever happens later to
    # `appointment_at` (supplement pauses, apology letters).
    received_appointment_at = models.DateTimeField(
        _("ngày hẹn trả ghi trên giấy tiếp nhận"), null=True, blank=True
    )
    # The entry in the receiving agency's dossier register (sổ theo dõi hồ sơ, form 06): one book
    # per agency and year (local time), entries numbered from 1, taken at reception.
    register_year = models.PositiveSmallIntegerField(
        _("sổ theo dõi hồ sơ (năm)"), null=True, blank=True
    )
    register_number = models.PositiveIntegerField(
        _("số thứ tự trong sổ theo dõi hồ sơ"), null=True, blank=True
    )
    # The date an approved apology letter (form 04) promised the applicant: shown to them and
    # tracked ("kept the promise"), never a new legal due date.
    promised_at = models.DateTimeField(_("ngày hẹn lại"), null=True, blank=True)
    finished_at = models.DateTimeField(_("ngày kết thúc xử lý"), null=True, blank=True)
    returned_at = models.DateTimeField(_("ngày trả kết quả"), null=True, blank=True)
    supplement_count = models.PositiveSmallIntegerField(_("số lần yêu cầu bổ sung"), default=0)
    idempotency_key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    # Bumped by every change: two officials acting on one dossier cannot both succeed.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        indexes = [
            models.Index(fields=["applicant", "-submitted_at"]),
            models.Index(fields=["agency", "status", "appointment_at"]),
            models.Index(fields=["agency", "received_at"], name="dossier_register_idx"),
            models.Index(fields=["agency", "finished_at"], name="dossier_finished_idx"),
            # The province-wide lists behind the dashboard's figures, newest first by the
            # moment counted (stats.drill): a page of any period without a scan.
            models.Index(fields=["received_at", "id"], name="dossier_received_at_idx"),
            models.Index(fields=["finished_at", "id"], name="dossier_finished_at_idx"),
            models.Index(fields=["returned_at", "id"], name="dossier_returned_at_idx"),
            models.Index(fields=["agency", "returned_at"], name="dossier_agency_returned_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "register_year", "register_number"],
                name="dossier_register_entry_uniq",
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def receipt_appointment_at(self) -> datetime | None:
        """The appointment as the receipt gave it; before reception, the estimated one."""
        return self.received_appointment_at or self.appointment_at


def dossier_upload_path(instance: DossierFile, filename: str) -> str:
    # Stored under a random name: the applicant's file name is kept only as data.
    return f"dossiers/{instance.dossier.submitted_at:%Y/%m}/{uuid.uuid4().hex}"


class DossierFile(models.Model):
    class Kind(models.TextChoices):
        COMPONENT = "component", _("Thành phần hồ sơ")
        SUPPLEMENT = "supplement", _("Bổ sung")
        RESULT = "result", _("Kết quả")
        # The one-stop forms issued to the applicant (onestop.notices), as PDFs.
        FORM_02 = "form02", _("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (mẫu 02)")
        FORM_03 = "form03", _("Phiếu từ chối tiếp nhận giải quyết hồ sơ (mẫu 03)")
        FORM_04 = "form04", _("Phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04)")
        # What the applicant attaches to claim a fee exemption (dossiers.fees): the desk checks it.
        EXEMPTION_PROOF = "exemption", _("Giấy tờ chứng minh miễn, giảm phí, lệ phí")

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="files")
    component = models.ForeignKey(
        "catalog.DossierComponent", null=True, blank=True, on_delete=models.PROTECT
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.COMPONENT)
    file = models.FileField(upload_to=dossier_upload_path, max_length=200)
    original_name = models.CharField(_("tên tệp"), max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    page_count = models.PositiveSmallIntegerField(null=True, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tệp hồ sơ")
        verbose_name_plural = _("tệp hồ sơ")

    def __str__(self) -> str:
        return self.original_name


# The forms issued to the applicant: shown and downloadable on the portal's dossier page.
ISSUED_FORM_KINDS = frozenset(
    {DossierFile.Kind.FORM_02, DossierFile.Kind.FORM_03, DossierFile.Kind.FORM_04}
)


class DossierCounter(models.Model):
    """Daily serial per receiving agency for dossier codes ({agency}-{yyMMdd}-{NNNN})."""

    agency_identifier = models.CharField(max_length=20)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency_identifier", "day"], name="dossier_counter_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency_identifier} {self.day}: {self.last}"


class DossierRegisterCounter(models.Model):
    """Entry numbers of an agency's dossier register (sổ theo dõi hồ sơ), one book a year."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="dossier_register_counter_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.year}: {self.last}"


class Rating(models.Model):
    class Level(models.IntegerChoices):
        VERY_SATISFIED = 5, _("Rất hài lòng")
        SATISFIED = 4, _("Hài lòng")
        NEUTRAL = 3, _("Bình thường")
        DISSATISFIED = 2, _("Không hài lòng")
        VERY_DISSATISFIED = 1, _("Rất không hài lòng")

    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="rating")
    level = models.PositiveSmallIntegerField(_("mức độ hài lòng"), choices=Level.choices)
    comment = models.TextField(_("góp ý"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("đánh giá")
        verbose_name_plural = _("đánh giá")

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.get_level_display()}"


class Draft(models.Model):
    """A submission in progress, kept for the applicant until they submit or discard it."""

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dossier_drafts"
    )
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.CASCADE)
    agency = models.ForeignKey("org.Agency", null=True, blank=True, on_delete=models.SET_NULL)
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "procedure"], name="one_draft_per_procedure"
            )
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id}: {self.procedure_id}"


class ApplicantNotice(models.Model):
    """The applicant's inbox ("Thông báo của tôi"): a read model of the `applicant_notice.sent`
    events (dossiers.notify), one row per notice sent to an applicant with a portal account,
    written by the events' projector in the event's transaction. `read_at` is the applicant's
    own mark, the only thing changed afterwards."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="notices")
    event_id = models.BigIntegerField(_("sự kiện"), unique=True)
    what = models.CharField(max_length=60)
    subject = models.CharField(_("tiêu đề"), max_length=255)
    text = models.TextField(_("nội dung"))
    sent_at = models.DateTimeField(_("thời điểm gửi"))
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo cho người nộp")
        verbose_name_plural = _("thông báo cho người nộp")
        indexes = [models.Index(fields=["recipient", "-sent_at"], name="notice_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.subject}"
