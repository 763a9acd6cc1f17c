"""Working-day calendar data entered by operators.

Public holidays come from the `holidays` package (see services.py). These tables hold what the
package cannot know or gets wrong: the government's yearly swap days (làm bù / nghỉ bù), extra
days off, and working hours. A row with no agency applies to the whole province; a row with an
agency applies to that agency only and wins over the province-wide row for the same date.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SpecialDay(models.Model):
    """One date whose status differs from the statutory calendar (or confirms it)."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Ngày nghỉ")
        WORKING_DAY = "working_day", _("Ngày làm việc (làm bù)")

    class Source(models.TextChoices):
        OPERATOR = "operator", _("Quản trị viên nhập")
        OFFICIAL = "official", _("Nạp từ lịch nghỉ do Chính phủ công bố")

    date = models.DateField(_("ngày"))
    kind = models.CharField(
        _("loại ngày"),
        max_length=12,
        choices=Kind.choices,
        help_text=_(
            "Ngày nghỉ: nghỉ thêm hoặc nghỉ bù. Ngày làm việc: ngày thứ Bảy/Chủ nhật đi làm bù, "
            "hoặc bỏ một ngày lễ trong lịch chuẩn."
        ),
    )
    name = models.CharField(_("tên/lý do"), max_length=200)
    agency = models.ForeignKey(
        "org.Agency",
        verbose_name=_("cơ quan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="special_days",
        help_text=_("Để trống nếu áp dụng cho toàn tỉnh."),
    )
    source = models.CharField(
        _("nguồn"), max_length=10, choices=Source.choices, default=Source.OPERATOR
    )
    legal_basis = models.CharField(
        _("căn cứ"), max_length=255, blank=True, help_text=_("Số, ký hiệu văn bản quyết định.")
    )
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("ngày nghỉ/làm bù")
        verbose_name_plural = _("ngày nghỉ/làm bù")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date"],
                condition=Q(agency__isnull=True),
                name="specialday_province_date_uniq",
                violation_error_message=_("Ngày này đã được khai báo cho toàn tỉnh."),
            ),
            models.UniqueConstraint(
                fields=["date", "agency"],
                condition=Q(agency__isnull=False),
                name="specialday_agency_date_uniq",
                violation_error_message=_("Ngày này đã được khai báo cho cơ quan này."),
            ),
        ]
        indexes = [models.Index(fields=["agency", "date"])]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} – {self.name} ({self.get_kind_display()})"

    @property
    def is_working(self) -> bool:
        return self.kind == self.Kind.WORKING_DAY


class OfficialDayLoaded(models.Model):
    """A date of official_days.py already offered to this installation.

    `migrate` loads the government's announced days on its own; an entry is offered once, so a
    row the operator later changed or deleted stays as the operator left it.
    """

    date = models.DateField(_("ngày"), unique=True)
    loaded_at = models.DateTimeField(_("nạp lúc"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("ngày công bố đã nạp")
        verbose_name_plural = _("ngày công bố đã nạp")

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y}"


class WorkingHours(models.Model):
    """The morning and afternoon sessions; one province-wide row and optional agency rows."""

    agency = models.ForeignKey(
        "org.Agency",
        verbose_name=_("cơ quan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="working_hours",
        help_text=_("Để trống để đặt giờ làm việc chung của toàn tỉnh."),
    )
    morning_start = models.TimeField(_("buổi sáng từ"))
    morning_end = models.TimeField(_("buổi sáng đến"))
    afternoon_start = models.TimeField(_("buổi chiều từ"))
    afternoon_end = models.TimeField(_("buổi chiều đến"))
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("giờ làm việc")
        verbose_name_plural = _("giờ làm việc")
        constraints = [
            models.UniqueConstraint(
                Coalesce(F("agency"), Value(0)),
                name="workinghours_one_per_agency",
                violation_error_message=_("Đã có giờ làm việc cho phạm vi này."),
            ),
            models.CheckConstraint(
                condition=Q(morning_start__lt=F("morning_end"))
                & Q(morning_end__lte=F("afternoon_start"))
                & Q(afternoon_start__lt=F("afternoon_end")),
                name="workinghours_sessions_ordered",
                violation_error_message=_(
                    "Giờ bắt đầu phải trước giờ kết thúc và buổi sáng phải trước buổi chiều."
                ),
            ),
        ]

    def __str__(self) -> str:
        scope = self.agency.name if self.agency_id and self.agency else _("Toàn tỉnh")
        return (
            f"{scope}: {self.morning_start:%H:%M}–{self.morning_end:%H:%M}, "
            f"{self.afternoon_start:%H:%M}–{self.afternoon_end:%H:%M}"
        )
