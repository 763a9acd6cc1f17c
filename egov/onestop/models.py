"""The one-stop system's working records: a dossier's steps, supplement requests, apology letters,
links between chained dossiers. The dossier's own status lives on `dossiers.Dossier`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Chưa đến lượt")
    ACTIVE = "active", _("Đang xử lý")
    DONE = "done", _("Đã xong")
    SENT_BACK = "sent_back", _("Bị trả lại")
    CANCELLED = "cancelled", _("Hủy")


class DossierStep(models.Model):
    """One step of the process version a dossier runs under, at one agency, for one official.

    Sending a dossier back re-opens an earlier step as a new row, so the rows are the history of
    who held the dossier and for how long (the process control sheet, form 05)."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="steps")
    process_step = models.ForeignKey(
        "catalog.ProcessStep", on_delete=models.PROTECT, null=True, blank=True
    )
    order = models.PositiveSmallIntegerField(_("bước"))
    name = models.CharField(_("tên bước"), max_length=255)
    role = models.CharField(_("vai trò"), max_length=20)
    agency = models.ForeignKey(
        "org.Agency", verbose_name=_("cơ quan xử lý"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("phòng ban"), null=True, blank=True, on_delete=models.PROTECT
    )
    assignee = models.ForeignKey(
        "org.Official",
        verbose_name=_("người xử lý"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_steps",
    )
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING
    )
    budget_hours = models.DecimalField(
        _("thời gian (giờ làm việc)"), max_digits=8, decimal_places=2
    )
    started_at = models.DateTimeField(_("bắt đầu"), null=True, blank=True)
    due_at = models.DateTimeField(_("hạn xử lý"), null=True, blank=True, db_index=True)
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    note = models.TextField(_("ý kiến xử lý"), blank=True)

    class Meta:
        verbose_name = _("bước xử lý hồ sơ")
        verbose_name_plural = _("bước xử lý hồ sơ")
        ordering = ["dossier", "id"]
        indexes = [
            # The work queue: active steps of one official, most urgent first, in the queue's
            # own order (due_at, id): a page is the index's first rows, whichever the official
            # and however the plan is made (the full (assignee, status, due_at) index it
            # replaces let the planner walk every active step by due date for a long queue).
            models.Index(
                fields=["assignee", "due_at", "id"],
                condition=models.Q(status="active", due_at__isnull=False),
                name="step_mine_queue_idx",
            ),
            models.Index(fields=["agency", "status", "due_at"], name="step_agency_queue_idx"),
            # Reminders and dashboards: what is active and due soon, across agencies.
            models.Index(
                fields=["due_at"], condition=models.Q(status="active"), name="step_active_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} #{self.order} {self.name}"

    @property
    def on_time(self) -> bool | None:
        if self.finished_at is None or self.due_at is None:
            return None
        return self.finished_at <= self.due_at


class SupplementRequest(models.Model):
    """Form 02. The clock stops from `requested_at` until `answered_at`.

    `items` names WHAT is missing, one entry per paper: {"component": code of the procedure's
    component, or "" for a paper the official typed, "name": what to supply}; `reason` says WHY;
    `answer_by` BY WHEN (the end of a working day, from the working-day calendar). Requests from
    before #15 (and API calls that send a reason only) have no items: their reason's lines are
    the papers, as form 02 always printed them (`papers`)."""

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="supplement_requests"
    )
    requested_by = models.ForeignKey("org.Official", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("nội dung yêu cầu bổ sung"))
    # Nullable: bulk loaders (bench.province's COPY) leave it out; None reads as no items.
    items = models.JSONField(_("giấy tờ cần bổ sung"), default=list, blank=True, null=True)
    answer_by = models.DateTimeField(_("hạn bổ sung"), null=True, blank=True)
    requested_at = models.DateTimeField(_("ngày yêu cầu"))
    answered_at = models.DateTimeField(_("ngày bổ sung"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("thời gian dừng (giây làm việc)"), default=0)

    class Meta:
        verbose_name = _("yêu cầu bổ sung")
        verbose_name_plural = _("yêu cầu bổ sung")
        ordering = ["dossier", "requested_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.requested_at:%Y-%m-%d}"

    @property
    def papers(self) -> list[dict[str, str]]:
        """What to supply, one entry per paper (items; for a reason-only request, its lines)."""
        if self.items:
            return [dict(i) for i in self.items]
        lines = [line.strip(" -•\t") for line in self.reason.splitlines()]
        return [{"component": "", "name": line} for line in lines if line] or [
            {"component": "", "name": self.reason}
        ]

    @property
    def structured(self) -> bool:
        """Whether the official named the papers apart from the reason (#15 on)."""
        return bool(self.items)


class ApologyLetter(models.Model):
    """Form 04: drafted before a dossier goes late, approved by a leader, sent to the applicant."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Chờ lãnh đạo duyệt")
        APPROVED = "approved", _("Đã duyệt, đã gửi")
        REJECTED = "rejected", _("Không duyệt")

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="apology_letters"
    )
    drafted_by = models.ForeignKey("org.Official", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("lý do chậm"))
    previous_appointment_at = models.DateTimeField(_("ngày hẹn cũ"))
    new_appointment_at = models.DateTimeField(_("ngày hẹn mới"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    decided_by = models.ForeignKey(
        "org.Official", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("phiếu xin lỗi và hẹn lại")
        verbose_name_plural = _("phiếu xin lỗi và hẹn lại")

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.new_appointment_at:%Y-%m-%d}"


class DossierLink(models.Model):
    """Chained procedures (liên thông): one submission creates linked dossiers at each agency."""

    source = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="links_out"
    )
    target = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="links_in"
    )
    kind = models.CharField(max_length=20, default="chained")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="dossier_link_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"


class SignedResult(models.Model):
    """A result file that carries a valid digital signature: the electronic original (bản chính
    điện tử) handed to the applicant, and what indicator 4.1 of the 766 index counts.

    Made by the leader who approves the dossier, from the specialist's draft (source
    `approval`: the leader's personal signature, and the agency's seal where the procedure asks
    for it); or an uploaded result already signed elsewhere whose signature validated against the
    trust list when it was recorded (source `upload`)."""

    class Source(models.TextChoices):
        APPROVAL = "approval", _("Lãnh đạo ký số khi phê duyệt")
        UPLOAD = "upload", _("Tệp kết quả đã ký số khi cập nhật")

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="signed_results"
    )
    file = models.OneToOneField(
        "dossiers.DossierFile", on_delete=models.PROTECT, related_name="signature"
    )
    draft = models.ForeignKey(
        "dossiers.DossierFile",
        verbose_name=_("bản dự thảo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.APPROVAL)
    signer = models.ForeignKey(
        "org.Official", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signer_name = models.CharField(_("người ký"), max_length=255)
    signer_position = models.CharField(_("chức vụ"), max_length=255, blank=True)
    sealed_by = models.CharField(_("cơ quan đóng dấu"), max_length=255, blank=True)
    certificate_serial = models.CharField(_("số hiệu chứng thư"), max_length=64, blank=True)
    signed_at = models.DateTimeField(_("thời điểm ký"))

    class Meta:
        verbose_name = _("kết quả đã ký số")
        verbose_name_plural = _("kết quả đã ký số")
        ordering = ["dossier", "pk"]

    def __str__(self) -> str:
        return f"{self.file.original_name} ({self.signer_name})"
