"""Official documents (Decree 30/2020/NĐ-CP): outgoing documents from draft to sending, their
versions, reviews, recipients and attachments; incoming documents from arrival to completion;
and the numbering counters behind both.

Files are never overwritten: every upload, rendering and signature adds a DocumentVersion and the
document points at its current one.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DocumentType(models.Model):
    """A type of document (Decree 30, appendix III) with its abbreviation used in the symbol."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên loại văn bản"), max_length=120)
    abbreviation = models.CharField(
        _("chữ viết tắt"),
        max_length=10,
        blank=True,
        help_text=_("Để trống cho công văn: ký hiệu khi đó gồm cơ quan và đơn vị soạn thảo."),
    )
    is_normative = models.BooleanField(
        _("văn bản quy phạm pháp luật"),
        default=False,
        help_text=_("Mỗi loại văn bản quy phạm pháp luật có hệ thống số riêng."),
    )
    is_copy = models.BooleanField(_("hình thức bản sao"), default=False)
    series = models.CharField(
        _("hệ thống số"),
        max_length=30,
        blank=True,
        help_text=_(
            "Để trống: dùng chung hệ thống số của cơ quan. Đặt một tên để loại này có hệ thống "
            "số riêng (theo quy định của người đứng đầu cơ quan)."
        ),
    )
    ordering = models.PositiveSmallIntegerField(_("thứ tự"), default=100)
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("loại văn bản")
        verbose_name_plural = _("loại văn bản")
        ordering = ["ordering", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.abbreviation})" if self.abbreviation else self.name

    @property
    def is_official_letter(self) -> bool:
        """Công văn: no type abbreviation in the symbol."""
        return not self.abbreviation


class Priority(models.IntegerChoices):
    """Độ khẩn, with the edXML OtherInfo/Priority codes."""

    NORMAL = 0, _("Thường")
    URGENT = 1, _("Khẩn")
    VERY_URGENT = 2, _("Thượng khẩn")
    FLASH = 3, _("Hỏa tốc")
    FLASH_TIMED = 4, _("Hỏa tốc hẹn giờ")


class SigningAuthority(models.TextChoices):
    """Thẩm quyền ký (Decree 30/2020/NĐ-CP, article 13; Appendix I, part I, section II, item 7a):
    chosen in the draft; the lines above the signature follow from it and the signer's position
    (authority.py)."""

    AUTO = "auto", _("Theo chức vụ người ký (tự xác định)")
    DIRECT = "direct", _("Người đứng đầu ký (không ghi thẩm quyền)")
    TM = "tm", _("TM. — thay mặt tập thể lãnh đạo")
    KT = "kt", _("KT. — cấp phó ký thay người đứng đầu")
    TL = "tl", _("TL. — thừa lệnh người đứng đầu")
    TUQ = "tuq", _("TUQ. — thừa ủy quyền người đứng đầu")


class OutgoingStatus(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    IN_REVIEW = "in_review", _("Đang trình duyệt")
    APPROVED = "approved", _("Đã duyệt, chờ ký")
    SIGNED = "signed", _("Đã ký, chờ cấp số")
    ISSUED = "issued", _("Đã ban hành")
    SENT = "sent", _("Đã gửi")
    # After sending (edXML BussinessDocType 1 and 3): nothing in the document changes, the
    # state says what became of it and the events say when and why.
    REVOKED = "revoked", _("Đã thu hồi")
    REPLACED = "replaced", _("Đã bị thay thế")


class OutgoingDocument(models.Model):
    agency = models.ForeignKey(
        "org.Agency",
        verbose_name=_("cơ quan ban hành"),
        on_delete=models.PROTECT,
        related_name="outgoing_documents",
    )
    drafting_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("đơn vị soạn thảo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="drafted_documents",
    )
    drafted_by = models.ForeignKey(
        "org.Official",
        verbose_name=_("người soạn thảo"),
        on_delete=models.PROTECT,
        related_name="drafted_documents",
    )
    doc_type = models.ForeignKey(
        DocumentType, verbose_name=_("loại văn bản"), on_delete=models.PROTECT
    )
    subject = models.CharField(_("trích yếu"), max_length=500)
    content = models.TextField(_("nội dung"), blank=True, max_length=200_000)
    priority = models.PositiveSmallIntegerField(
        _("độ khẩn"), choices=Priority.choices, default=Priority.NORMAL
    )
    due_date = models.DateField(_("hạn xử lý"), null=True, blank=True)
    place = models.CharField(_("địa danh"), max_length=80, blank=True)
    status = models.CharField(
        _("trạng thái"),
        max_length=12,
        choices=OutgoingStatus.choices,
        default=OutgoingStatus.DRAFT,
        db_index=True,
    )
    # The review chain: who has the draft now, and the leader who approved it (the signer).
    current_reviewer = models.ForeignKey(
        "org.Official",
        verbose_name=_("người đang cho ý kiến"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents_to_review",
    )
    signer = models.ForeignKey(
        "org.Official",
        verbose_name=_("người ký"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents_to_sign",
    )
    signing_authority = models.CharField(
        _("thẩm quyền ký"),
        max_length=6,
        choices=SigningAuthority.choices,
        default=SigningAuthority.AUTO,
    )
    # Set when the leader approves for signature, from the authority and the signer's position:
    # one line per printed line ("KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"); never typed.
    signer_title = models.CharField(
        _("quyền hạn, chức vụ người ký"),
        max_length=200,
        blank=True,
    )
    signer_name = models.CharField(_("họ tên người ký"), max_length=150, blank=True)
    signed_at = models.DateTimeField(_("ký lúc"), null=True, blank=True)
    # A result the system drafted for a named signer (a written consultation's result): once
    # signed it is numbered and sealed by the system at once, with no clerk step.
    issue_on_signature = models.BooleanField(_("tự động cấp số khi ký"), default=False)
    # Numbering (set by the clerk when issuing).
    number = models.PositiveIntegerField(_("số"), null=True, blank=True)
    number_year = models.PositiveSmallIntegerField(_("năm cấp số"), null=True, blank=True)
    series_key = models.CharField(_("hệ thống số"), max_length=60, blank=True)
    symbol = models.CharField(_("số, ký hiệu"), max_length=80, blank=True, db_index=True)
    issued_at = models.DateTimeField(_("ngày ban hành"), null=True, blank=True)
    issued_by = models.ForeignKey(
        "org.Official",
        verbose_name=_("văn thư cấp số"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_documents",
    )
    document_id = models.CharField(_("mã văn bản liên thông"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("ngày gửi"), null=True, blank=True)
    send_error = models.CharField(_("lỗi gửi"), max_length=500, blank=True)
    # Replace (BussinessDocType 3): this document replaces an issued one of the same agency;
    # the old one becomes "replaced" when this one is sent.
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("thay thế văn bản"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    replace_reason = models.CharField(_("lý do thay thế"), max_length=500, blank=True)
    # Revoke (BussinessDocType 1): when and why (the event keeps who).
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    revoke_reason = models.CharField(_("lý do thu hồi"), max_length=500, blank=True)
    # Register columns.
    copies = models.PositiveSmallIntegerField(_("số lượng bản"), default=1)
    file_keeper = models.CharField(_("đơn vị, người nhận bản lưu"), max_length=200, blank=True)
    notes = models.CharField(_("ghi chú"), max_length=500, blank=True)
    current_version = models.ForeignKey(
        "DocumentVersion",
        verbose_name=_("tệp hiện hành"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Normalised subject, number and text extracted from the PDF (accent-insensitive search).
    search_text = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("văn bản đi")
        verbose_name_plural = _("văn bản đi")
        constraints = [
            # Number and symbol are unique in the year for an issuing agency.
            models.UniqueConstraint(
                fields=["agency", "number_year", "symbol"],
                condition=~Q(symbol=""),
                name="outgoing_symbol_unique_in_year",
            ),
            models.UniqueConstraint(
                fields=["agency", "number_year", "series_key", "number"],
                condition=Q(number__isnull=False),
                name="outgoing_number_unique_in_series",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "status", "-updated_at"]),
            models.Index(fields=["agency", "-issued_at"]),
        ]

    def __str__(self) -> str:
        return self.symbol or f"Dự thảo #{self.pk}: {self.subject[:60]}"

    @property
    def is_editable(self) -> bool:
        return self.status == OutgoingStatus.DRAFT


def version_upload_path(instance: DocumentVersion, filename: str) -> str:
    # A random name: never overwrites, and the official's file name is only data.
    return f"documents/outgoing/{instance.document_id}/{uuid.uuid4().hex}"


class DocumentVersion(models.Model):
    class Kind(models.TextChoices):
        UPLOAD = "upload", _("Tệp tải lên")
        RENDERED = "rendered", _("Tạo từ nội dung soạn thảo")
        CONVERTED = "converted", _("Chuyển từ DOCX sang PDF")
        SIGNED = "signed", _("Đã ký số (người ký)")
        ISSUED = "issued", _("Đã ký số (cơ quan), ban hành")

    document = models.ForeignKey(
        OutgoingDocument, on_delete=models.PROTECT, related_name="versions"
    )
    seq = models.PositiveSmallIntegerField(_("phiên bản"))
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to=version_upload_path, max_length=200)
    original_name = models.CharField(_("tên tệp"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    page_count = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)
    # The copy made for the leader to sign (bản trình ký): its number/date fields are filled at
    # numbering, and the signature goes in `signature_box` (x1, y1, x2, y2 in PDF points).
    for_signing = models.BooleanField(_("bản trình ký"), default=False)
    signature_box = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        "org.Official", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("phiên bản văn bản")
        verbose_name_plural = _("phiên bản văn bản")
        ordering = ["document", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["document", "seq"], name="document_version_seq")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.seq} ({self.get_kind_display()})"

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


class ReviewRole(models.TextChoices):
    SPECIALIST = "specialist", _("Chuyên viên")
    UNIT_HEAD = "unit_head", _("Lãnh đạo phòng")
    LEADER = "leader", _("Lãnh đạo cơ quan")


class Review(models.Model):
    class Decision(models.TextChoices):
        APPROVE = "approve", _("Đồng ý")
        RETURN = "return", _("Trả lại để chỉnh sửa")

    document = models.ForeignKey(OutgoingDocument, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        "org.Official", verbose_name=_("người cho ý kiến"), on_delete=models.PROTECT
    )
    role = models.CharField(_("vai trò"), max_length=12, choices=ReviewRole.choices)
    decision = models.CharField(_("ý kiến"), max_length=8, choices=Decision.choices)
    comment = models.TextField(_("nội dung ý kiến"), blank=True, max_length=4000)
    version = models.ForeignKey(
        DocumentVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    forwarded_to = models.ForeignKey(
        "org.Official",
        verbose_name=_("chuyển tiếp cho"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("ý kiến duyệt")
        verbose_name_plural = _("ý kiến duyệt")
        ordering = ["document", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.get_decision_display()}"


class Recipient(models.Model):
    class Kind(models.TextChoices):
        INTERNAL = "internal", _("Đơn vị trong cơ quan")
        PLATFORM = "platform", _("Cơ quan trên nền tảng")
        EXTERNAL = "external", _("Cơ quan ngoài (qua trục liên thông)")

    class Delivery(models.TextChoices):
        PENDING = "pending", _("Chưa gửi")
        DELIVERED = "delivered", _("Đã chuyển vào hộp thư đơn vị")
        QUEUED = "queued", _("Đã gửi lên trục liên thông")
        FAILED = "failed", _("Gửi lỗi")

    document = models.ForeignKey(
        OutgoingDocument, on_delete=models.CASCADE, related_name="recipients"
    )
    kind = models.CharField(_("loại nơi nhận"), max_length=10, choices=Kind.choices)
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "org.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organ_id = models.CharField(_("mã định danh"), max_length=20, blank=True)
    name = models.CharField(_("tên nơi nhận"), max_length=255)
    delivery = models.CharField(
        _("tình trạng gửi"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING
    )
    delivered_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    read_at = models.DateTimeField(_("đã xem lúc"), null=True, blank=True)
    # Latest edXML status (01..06, 02 rejected...) reported back by the recipient.
    edxml_status = models.CharField(_("trạng thái liên thông"), max_length=4, blank=True)
    edxml_status_at = models.DateTimeField(null=True, blank=True)
    # The recipient's answer to our revoke (03 agreed, 02 refused) and to our latest update
    # (15 agreed, 16 refused); "" while none was sent or answered.
    revoke_sent_at = models.DateTimeField(_("gửi thu hồi lúc"), null=True, blank=True)
    revoke_status = models.CharField(_("trả lời thu hồi"), max_length=4, blank=True)
    revoke_status_at = models.DateTimeField(null=True, blank=True)
    update_sent_at = models.DateTimeField(_("gửi cập nhật lúc"), null=True, blank=True)
    update_status = models.CharField(_("trả lời cập nhật"), max_length=4, blank=True)
    update_status_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(_("lỗi"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("nơi nhận")
        verbose_name_plural = _("nơi nhận")
        ordering = ["document", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "unit"],
                condition=Q(unit__isnull=False),
                name="recipient_unit_once",
            ),
            models.UniqueConstraint(
                fields=["document", "organ_id"],
                condition=~Q(organ_id=""),
                name="recipient_organ_once",
            ),
        ]
        indexes = [models.Index(fields=["unit", "delivery"])]

    def __str__(self) -> str:
        return self.name


def attachment_upload_path(instance: Attachment, filename: str) -> str:
    return f"documents/outgoing/{instance.document_id}/att-{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file sent with the document (phụ lục, tài liệu kèm theo)."""

    document = models.ForeignKey(
        OutgoingDocument, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_upload_path, max_length=200)
    original_name = models.CharField(_("tên tệp"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # A PDF attachment signed by the agency at issue (number/symbol and time, top right).
    signed_file = models.FileField(
        upload_to=attachment_upload_path, max_length=200, blank=True, default=""
    )
    created_by = models.ForeignKey(
        "org.Official", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # An update after sending (BussinessDocType 2) adds files and supersedes earlier ones: the
    # old row stays (the history of what was sent) but is no longer sent.
    added_by_update = models.BooleanField(default=False)
    superseded_at = models.DateTimeField(_("được thay bằng tệp mới lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("tệp đính kèm")
        verbose_name_plural = _("tệp đính kèm")
        ordering = ["document", "pk"]

    def __str__(self) -> str:
        return self.original_name


class NumberCounter(models.Model):
    """The last number taken in one series of one agency in one year (văn bản đi; văn bản đến
    use the series "den"). Updated only by numbering.next_number, inside the issuing
    transaction."""

    agency = models.ForeignKey(
        "org.Agency", verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    series_key = models.CharField(_("hệ thống số"), max_length=60)
    last = models.PositiveIntegerField(_("số đã cấp gần nhất"), default=0)

    class Meta:
        verbose_name = _("bộ đếm số văn bản")
        verbose_name_plural = _("bộ đếm số văn bản")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "year", "series_key"], name="document_counter_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.year} {self.series_key}: {self.last}"


# --- incoming ---------------------------------------------------------------------------------


class IncomingStatus(models.TextChoices):
    RECEIVED = "received", _("Chờ vào sổ")
    REGISTERED = "registered", _("Đã vào sổ, chờ bút phê")
    ASSIGNED = "assigned", _("Đã giao xử lý")
    PROCESSING = "processing", _("Đang xử lý")
    COMPLETED = "completed", _("Đã hoàn thành")
    REJECTED = "rejected", _("Đã từ chối tiếp nhận")
    REVOKED = "revoked", _("Đã bị thu hồi")
    REPLACED = "replaced", _("Đã được thay thế")


OPEN_INCOMING = (
    IncomingStatus.RECEIVED,
    IncomingStatus.REGISTERED,
    IncomingStatus.ASSIGNED,
    IncomingStatus.PROCESSING,
)


class IncomingDocument(models.Model):
    class Source(models.TextChoices):
        EXCHANGE = "exchange", _("Trục liên thông")
        PAPER = "paper", _("Văn bản giấy")

    agency = models.ForeignKey(
        "org.Agency",
        verbose_name=_("cơ quan nhận"),
        on_delete=models.PROTECT,
        related_name="incoming_documents",
    )
    source = models.CharField(
        _("nguồn"), max_length=10, choices=Source.choices, default=Source.EXCHANGE
    )
    status = models.CharField(
        _("trạng thái"),
        max_length=12,
        choices=IncomingStatus.choices,
        default=IncomingStatus.RECEIVED,
        db_index=True,
    )
    received_at = models.DateTimeField(_("ngày đến"))
    arrival_number = models.PositiveIntegerField(_("số đến"), null=True, blank=True)
    arrival_year = models.PositiveSmallIntegerField(_("năm vào sổ"), null=True, blank=True)
    registered_at = models.DateTimeField(_("vào sổ lúc"), null=True, blank=True)
    registered_by = models.ForeignKey(
        "org.Official", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sender_organ_id = models.CharField(_("mã cơ quan gửi"), max_length=20, blank=True)
    sender_name = models.CharField(_("cơ quan ban hành"), max_length=255)
    sender_agency = models.ForeignKey(
        "org.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    code_number = models.CharField(_("số"), max_length=20, blank=True)
    code_notation = models.CharField(_("ký hiệu"), max_length=60, blank=True)
    issued_date = models.DateField(_("ngày văn bản"), null=True, blank=True)
    place = models.CharField(_("nơi ban hành"), max_length=80, blank=True)
    doc_type = models.ForeignKey(
        DocumentType, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("loại")
    )
    type_name = models.CharField(_("tên loại văn bản"), max_length=120, blank=True)
    subject = models.CharField(_("trích yếu"), max_length=500)
    content = models.TextField(_("nội dung"), blank=True)
    signer_position = models.CharField(_("chức vụ người ký"), max_length=200, blank=True)
    signer_name = models.CharField(_("người ký"), max_length=150, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("độ khẩn"), choices=Priority.choices, default=Priority.NORMAL
    )
    sender_due_date = models.DateField(_("hạn trả lời theo văn bản"), null=True, blank=True)
    document_id = models.CharField(_("mã văn bản liên thông"), max_length=200)
    business_type = models.PositiveSmallIntegerField(_("nghiệp vụ"), default=0)
    # Leader's instruction (bút phê) and the due moment of the processing.
    instruction = models.TextField(_("ý kiến chỉ đạo (bút phê)"), blank=True, max_length=4000)
    instructed_by = models.ForeignKey(
        "org.Official", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    instructed_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("hạn xử lý"), null=True, blank=True)
    completed_at = models.DateTimeField(_("hoàn thành lúc"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("ngày chuyển giao"), null=True, blank=True)
    notes = models.CharField(_("ghi chú"), max_length=500, blank=True)
    status_note = models.CharField(_("lý do"), max_length=500, blank=True)
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("thay thế văn bản"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaced_by",
    )
    search_text = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("văn bản đến")
        verbose_name_plural = _("văn bản đến")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "document_id"], name="incoming_document_id_per_agency"
            ),
            models.UniqueConstraint(
                fields=["agency", "arrival_year", "arrival_number"],
                condition=Q(arrival_number__isnull=False),
                name="incoming_arrival_number_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "status", "-received_at"]),
            models.Index(fields=["agency", "due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.symbol or self.document_id}: {self.subject[:60]}"

    @property
    def symbol(self) -> str:
        if self.code_number and self.code_notation:
            return f"{self.code_number}/{self.code_notation}"
        return self.code_notation or self.code_number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_INCOMING


def incoming_upload_path(instance: IncomingFile, filename: str) -> str:
    return f"documents/incoming/{instance.incoming_id}/{uuid.uuid4().hex}"


class IncomingFile(models.Model):
    incoming = models.ForeignKey(IncomingDocument, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to=incoming_upload_path, max_length=200)
    original_name = models.CharField(_("tên tệp"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # Files of an update (BussinessDocType 2) are added; earlier ones are kept, marked superseded.
    superseded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tệp văn bản đến")
        verbose_name_plural = _("tệp văn bản đến")
        ordering = ["incoming", "pk"]

    def __str__(self) -> str:
        return self.original_name


class IncomingAssignment(models.Model):
    class Role(models.TextChoices):
        MAIN = "main", _("Chủ trì")
        COOPERATE = "cooperate", _("Phối hợp")
        INFORM = "inform", _("Để biết")

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Chưa xử lý")
        PROCESSING = "processing", _("Đang xử lý")
        COMPLETED = "completed", _("Đã hoàn thành")

    incoming = models.ForeignKey(
        IncomingDocument, on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("đơn vị"), on_delete=models.PROTECT)
    role = models.CharField(_("vai trò"), max_length=10, choices=Role.choices)
    due_at = models.DateTimeField(_("hạn xử lý"), null=True, blank=True)
    status = models.CharField(
        _("tình trạng"), max_length=12, choices=Status.choices, default=Status.ASSIGNED
    )
    report = models.TextField(_("báo cáo kết quả"), blank=True, max_length=4000)
    assigned_by = models.ForeignKey(
        "org.Official", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_by = models.ForeignKey(
        "org.Official", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("giao xử lý văn bản đến")
        verbose_name_plural = _("giao xử lý văn bản đến")
        ordering = ["incoming", "role", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incoming", "unit"], name="assignment_once_per_unit")
        ]
        indexes = [models.Index(fields=["unit", "status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.incoming_id} → {self.unit_id} ({self.role})"
