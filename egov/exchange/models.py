"""edXML exchange: packages sent and received, the status log, and external endpoints."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .edxml import BUSINESS_DOC_TYPE_LABELS, DIALECT_LABELS, STATUS_LABELS, Dialect

DIALECT_CHOICES = [(d.value, label) for d, label in DIALECT_LABELS.items()]


def default_dialect() -> str:
    """settings.EXCHANGE_DEFAULT_DIALECT ("sdk" unless set): what a new peer is written in."""
    return str(Dialect(getattr(settings, "EXCHANGE_DEFAULT_DIALECT", Dialect.SDK)))


BUSINESS_DOC_TYPE_CHOICES = [(k, v) for k, v in BUSINESS_DOC_TYPE_LABELS.items()]
STATUS_CODE_CHOICES = [(k, f"{k} — {v}") for k, v in STATUS_LABELS.items()]


class ExternalEndpoint(models.Model):
    """An agency outside this platform, reachable over HTTP (another province's platform, the
    national document hub's adapter...). `url` is the base of its exchange API: packages are
    POSTed to `<url>packages/` and statuses to `<url>statuses/`."""

    organ_id = models.CharField(_("mã định danh cơ quan"), max_length=50, unique=True)
    organ_name = models.CharField(_("tên cơ quan"), max_length=255)
    url = models.URLField(
        _("địa chỉ trục liên thông"),
        max_length=500,
        help_text=_("Ví dụ https://vpdt.tinh-b.gov.vn/api/v1/exchange/"),
    )
    auth_token = models.CharField(
        _("mã truy cập gửi đi"),
        max_length=200,
        blank=True,
        help_text=_("Mã bên kia cấp, gửi kèm mỗi gói tin (Authorization: Bearer)."),
    )
    inbound_token_hash = models.CharField(
        _("mã băm của mã truy cập nhận vào"), max_length=64, blank=True, editable=False
    )
    timeout_seconds = models.PositiveIntegerField(_("thời gian chờ (giây)"), default=30)
    dialect = models.CharField(
        _("dạng gói tin"),
        max_length=10,
        choices=DIALECT_CHOICES,
        default=default_dialect,
        help_text=_("Cách viết gói tin và trạng thái mà phần mềm bên kia đọc được."),
    )
    zip_attachments = models.BooleanField(
        _("nén tệp đính kèm (zip)"),
        default=True,
        help_text=_("Mỗi tệp gửi dưới dạng zip như mẫu SDK (không áp dụng dạng QCVN)."),
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("cập nhật lúc"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("điểm liên thông bên ngoài")
        verbose_name_plural = _("điểm liên thông bên ngoài")
        ordering = ["organ_id"]

    def __str__(self) -> str:
        return f"{self.organ_name} ({self.organ_id})"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    def endpoint_url(self, kind: str) -> str:
        base = self.url if self.url.endswith("/") else self.url + "/"
        return f"{base}{kind}/"


class PackageData(models.Model):
    """The bytes of one signed package, stored once however many recipients it has."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    raw = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("nội dung gói tin")
        verbose_name_plural = _("nội dung gói tin")

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.size} byte)"


class Route(models.TextChoices):
    LOCAL = "local", _("Cơ quan trên nền tảng")
    EXTERNAL = "external", _("Điểm liên thông bên ngoài")


class OutgoingPackage(models.Model):
    """One package on its way to one recipient, with that recipient's latest status."""

    class Delivery(models.TextChoices):
        PENDING = "pending", _("Đang gửi")
        DELIVERED = "delivered", _("Đã chuyển đến nơi nhận")
        REJECTED = "rejected", _("Nơi nhận từ chối")
        FAILED = "failed", _("Gửi không thành công")

    document_id = models.CharField(_("mã văn bản"), max_length=255, db_index=True)
    sender_agency = models.ForeignKey(
        "org.Agency",
        verbose_name=_("cơ quan gửi"),
        on_delete=models.PROTECT,
        related_name="outgoing_packages",
    )
    sender_organ_id = models.CharField(_("mã cơ quan gửi"), max_length=50)
    recipient_organ_id = models.CharField(_("mã nơi nhận"), max_length=50, db_index=True)
    recipient_name = models.CharField(_("nơi nhận"), max_length=255)
    route = models.CharField(_("đường gửi"), max_length=10, choices=Route.choices)
    business_doc_type = models.PositiveSmallIntegerField(
        _("nghiệp vụ"), choices=BUSINESS_DOC_TYPE_CHOICES, default=0
    )
    subject = models.CharField(_("trích yếu"), max_length=500)
    data = models.ForeignKey(PackageData, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("gửi lúc"), default=timezone.now, db_index=True)
    created_by = models.CharField(_("người gửi"), max_length=150, blank=True)
    delivery_status = models.CharField(
        _("tình trạng chuyển"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING
    )
    delivered_at = models.DateTimeField(_("đến nơi lúc"), null=True, blank=True)
    # The time of this package's own delivery answer (01/02), set only by
    # answers.record_delivery_answer: a status message never settles a delivery.
    answered_at = models.DateTimeField(_("nơi nhận trả lời lúc"), null=True, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    resend_count = models.PositiveIntegerField(_("số lần gửi lại"), default=0)
    status_code = models.CharField(
        _("trạng thái"), max_length=2, choices=STATUS_CODE_CHOICES, blank=True
    )
    status_at = models.DateTimeField(_("trạng thái lúc"), null=True, blank=True)
    # Where the package stands in the status flow (status_flow.py): its processing step and
    # its take-back step (13/15/16); status_code above is the latest status of either.
    processing_code = models.CharField(
        _("bước xử lý"), max_length=2, choices=STATUS_CODE_CHOICES, blank=True
    )
    take_back_code = models.CharField(
        _("bước lấy lại"), max_length=2, choices=STATUS_CODE_CHOICES, blank=True
    )
    status_description = models.TextField(_("mô tả trạng thái"), blank=True)
    status_staff = models.CharField(_("người xử lý"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("gói tin gửi đi")
        verbose_name_plural = _("gói tin gửi đi")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_id", "recipient_organ_id", "business_doc_type"],
                name="exchange_outgoing_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.recipient_organ_id}"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status_code, "")


class IncomingPackage(models.Model):
    """A package that reached an agency on this platform (or was refused at the door).

    Receipt is idempotent: one accepted package per (DocumentId, recipient, business type);
    a resent copy is recognised and not registered twice. Refused packages stay as a log and
    do not count, so a corrected package with the same DocumentId can still arrive.
    """

    class Status(models.TextChoices):
        ARRIVED = "arrived", _("Đã đến")
        REJECTED = "rejected", _("Đã từ chối")
        # Arrived (answered 01) but its signature could not be verified: waits for a clerk
        # (held.accept_held / held.refuse_held); never registered until then.
        HELD = "held", _("Chờ văn thư xem xét")

    document_id = models.CharField(_("mã văn bản"), max_length=255, blank=True, db_index=True)
    # MessageHeader/DocumentId as the sender wrote it when it is not `document_id` (a UUID):
    # its statuses, ResponseFor and ReplacementInfo name the package by it.
    sent_document_id = models.CharField(
        _("mã văn bản bên gửi ghi"), max_length=255, blank=True, db_index=True
    )
    recipient_agency = models.ForeignKey(
        "org.Agency",
        verbose_name=_("cơ quan nhận"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incoming_packages",
    )
    recipient_organ_id = models.CharField(_("mã cơ quan nhận"), max_length=50, blank=True)
    sender_organ_id = models.CharField(_("mã cơ quan gửi"), max_length=50, blank=True)
    sender_name = models.CharField(_("cơ quan gửi"), max_length=255, blank=True)
    business_doc_type = models.PositiveSmallIntegerField(
        _("nghiệp vụ"), choices=BUSINESS_DOC_TYPE_CHOICES, default=0
    )
    subject = models.CharField(_("trích yếu"), max_length=500, blank=True)
    data = models.ForeignKey(
        PackageData, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    size = models.PositiveBigIntegerField(_("kích thước (byte)"), default=0)
    via = models.CharField(_("nhận qua"), max_length=20)
    received_at = models.DateTimeField(_("nhận lúc"), default=timezone.now, db_index=True)
    status = models.CharField(_("tình trạng"), max_length=10, choices=Status.choices)
    error = models.TextField(_("lý do từ chối"), blank=True)
    error_code = models.CharField(_("mã lỗi"), max_length=50, blank=True)
    hold_reason = models.TextField(
        _("lý do chờ xem xét"),
        blank=True,
        help_text=_("Vì sao chữ ký số của gói tin không xác minh được (gói tin chờ văn thư)."),
    )
    decided_at = models.DateTimeField(_("văn thư quyết định lúc"), null=True, blank=True)
    decided_by = models.CharField(_("văn thư quyết định"), max_length=150, blank=True)
    decision_note = models.TextField(_("ghi chú quyết định"), blank=True)
    signer_subject = models.CharField(_("chủ thể chữ ký"), max_length=500, blank=True)
    status_code = models.CharField(
        _("trạng thái gần nhất"), max_length=2, choices=STATUS_CODE_CHOICES, blank=True
    )
    status_at = models.DateTimeField(_("trạng thái lúc"), null=True, blank=True)
    processing_code = models.CharField(
        _("bước xử lý"), max_length=2, choices=STATUS_CODE_CHOICES, blank=True
    )
    take_back_code = models.CharField(
        _("bước lấy lại"), max_length=2, choices=STATUS_CODE_CHOICES, blank=True
    )

    class Meta:
        verbose_name = _("gói tin nhận được")
        verbose_name_plural = _("gói tin nhận được")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_id", "recipient_organ_id", "business_doc_type"],
                condition=models.Q(status="arrived"),
                name="exchange_incoming_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_id or '(không đọc được)'} → {self.recipient_organ_id}"


class StatusRecord(models.Model):
    """Append-only log of status messages, both those our agencies send (out) and those they
    receive (in). Between two agencies on this platform one status gives one row of each."""

    class Direction(models.TextChoices):
        OUT = "out", _("Gửi đi")
        IN = "in", _("Nhận về")

    class Delivery(models.TextChoices):
        NOT_SENT = "", _("Không gửi riêng")
        PENDING = "pending", _("Đang gửi")
        DELIVERED = "delivered", _("Đã gửi")
        REJECTED = "rejected", _("Bị từ chối")
        FAILED = "failed", _("Gửi không thành công")

    direction = models.CharField(_("chiều"), max_length=3, choices=Direction.choices)
    document_id = models.CharField(_("mã văn bản"), max_length=255, db_index=True)
    from_organ_id = models.CharField(_("từ cơ quan"), max_length=50)
    from_name = models.CharField(_("tên cơ quan gửi"), max_length=255, blank=True)
    to_organ_id = models.CharField(_("đến cơ quan"), max_length=50)
    agency = models.ForeignKey(
        "org.Agency",
        verbose_name=_("cơ quan trên nền tảng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The package the status is about (null: stored before statuses were matched to packages
    # and not matched unambiguously since).
    outgoing_package = models.ForeignKey(
        OutgoingPackage,
        verbose_name=_("gói tin gửi đi"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="status_records",
    )
    incoming_package = models.ForeignKey(
        IncomingPackage,
        verbose_name=_("gói tin nhận được"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="status_records",
    )
    status_code = models.CharField(_("mã trạng thái"), max_length=2, choices=STATUS_CODE_CHOICES)
    description = models.TextField(_("mô tả"), blank=True)
    timestamp = models.DateTimeField(_("thời điểm"))
    staff = models.CharField(_("cán bộ"), max_length=255, blank=True)
    staff_info = models.JSONField(_("thông tin cán bộ"), default=dict, blank=True)
    via = models.CharField(_("qua"), max_length=20, blank=True)
    raw = models.BinaryField(_("thông điệp đã ký"), null=True, blank=True)
    delivery_status = models.CharField(
        _("tình trạng gửi"), max_length=10, choices=Delivery.choices, default="", blank=True
    )
    delivery_error = models.TextField(_("lỗi gửi"), blank=True)
    fingerprint = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text=_(
            "SHA-256 của thông điệp nhận được: nhận lại cùng thông điệp không ghi hai lần."
        ),
    )
    created_at = models.DateTimeField(_("ghi lúc"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("trạng thái văn bản")
        verbose_name_plural = _("nhật ký trạng thái văn bản")
        ordering = ["timestamp", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=models.Q(direction="in"),
                name="exchange_status_in_once",
            )
        ]
        indexes = [models.Index(fields=["document_id", "to_organ_id", "direction"])]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.from_organ_id} → {self.to_organ_id} {self.status_code}"

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status_code, self.status_code)
