"""Read models of the national portal sync, kept by the projector (projector.py) from the
dossier events, in the events' transactions.

SyncRecord: one per dossier, its sync record (the portal's field names) at `version`; what the
portal acknowledged (`acked_version`, `acked_steps`, `remote_known`) is written by the
deliverer (delivery.py). SyncStep: the process-step records, append-only, numbered per dossier
(`seq`, sent as STT).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SyncRecord(models.Model):
    code = models.CharField(_("mã hồ sơ"), max_length=40, unique=True)
    agency_id = models.BigIntegerField(_("cơ quan"), null=True, blank=True)
    agency_code = models.CharField(_("mã đơn vị xử lý"), max_length=20, db_index=True)
    day = models.DateField(_("ngày nộp (giờ Việt Nam)"), db_index=True)
    record = models.JSONField(_("bản ghi đồng bộ"), default=dict)
    # Building state the record does not show (the open step, its start), kept between events.
    state = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(_("phiên bản"), default=0)
    step_count = models.PositiveIntegerField(_("số bước xử lý"), default=0)
    changed_at = models.DateTimeField(_("thay đổi lúc"), default=timezone.now)
    # The oldest change the portal has not acknowledged yet (None: all acknowledged).
    unsent_since = models.DateTimeField(_("chưa gửi từ"), null=True, blank=True)
    acked_version = models.PositiveIntegerField(_("phiên bản đã được xác nhận"), default=0)
    acked_steps = models.PositiveIntegerField(_("số bước đã được xác nhận"), default=0)
    remote_known = models.BooleanField(_("Cổng quốc gia đã có hồ sơ"), default=False)
    acked_at = models.DateTimeField(_("xác nhận lúc"), null=True, blank=True)
    last_error = models.CharField(_("lỗi gần nhất"), max_length=500, blank=True, default="")
    resends = models.PositiveIntegerField(_("số lần gửi lại khi đối soát"), default=0)
    # One sender at a time per dossier (delivery.py): a lease, never a lock held over HTTP.
    sending_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("hồ sơ đồng bộ")
        verbose_name_plural = _("hồ sơ đồng bộ Cổng Dịch vụ công quốc gia")
        indexes = [models.Index(fields=["agency_code", "day"], name="national_agency_day_idx")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} (xác nhận v{self.acked_version})"


class SyncStep(models.Model):
    sync = models.ForeignKey(SyncRecord, on_delete=models.CASCADE, related_name="steps")
    seq = models.PositiveIntegerField(_("số thứ tự"))
    data = models.JSONField(_("bản ghi bước xử lý"), default=dict)

    class Meta:
        verbose_name = _("bước xử lý đồng bộ")
        verbose_name_plural = _("bước xử lý đồng bộ")
        ordering = ["sync", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["sync", "seq"], name="national_step_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.sync.code} #{self.seq}"
