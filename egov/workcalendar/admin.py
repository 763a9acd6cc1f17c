"""Operator administration of the working calendar: special days, working hours, year overview.

Every save and delete goes through the services, so each change is recorded as an event.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from egov.core.admin import OperatorOnlyMixin, is_operator_request, operator_actor

from . import impact, services
from .models import SpecialDay, WorkingHours

WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]


admin_actor = operator_actor


class OperatorOnlyAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    """Calendar entries may also be deleted (through the service, which records an event)."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator_request(request)


MOVES_EXPLAINED = (
    "Khi lưu, ngày hẹn trả và hạn xử lý bước hiện tại của các hồ sơ này được tính lại theo lịch "
    "mới: mỗi hồ sơ giữ nguyên thời gian làm việc còn lại (thêm một ngày nghỉ thì hạn lùi một "
    "ngày làm việc, thêm ngày làm bù thì hạn sớm lên). Ngày hẹn đã ghi trên giấy tiếp nhận và "
    "ngày hẹn lại trong phiếu xin lỗi giữ nguyên; mỗi lần dời hạn được ghi vào nhật ký của hồ sơ."
)


class SpecialDayForm(forms.ModelForm):
    confirm_moves = forms.BooleanField(
        label=_("Tôi đồng ý dời hạn xử lý của các hồ sơ đang giải quyết nêu trên"),
        required=False,
    )

    class Meta:
        model = SpecialDay
        fields = ["date", "kind", "name", "agency", "legal_basis"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.moves = impact.DeadlineMoves()
        if self.errors or not data.get("date") or not data.get("kind"):
            return data
        stored = self.instance if self.instance.pk else None
        self.moves = services.preview_day_change(
            day=data["date"], kind=data["kind"], agency=data.get("agency"), instance=stored
        )
        if self.moves.count and not data.get("confirm_moves"):
            self.add_error(
                "confirm_moves",
                f"Ngày {data['date']:%d/%m/%Y} nằm trong thời hạn đang chạy của "
                f"{self.moves.describe()}. {MOVES_EXPLAINED} Đánh dấu ô xác nhận rồi lưu lại.",
            )
        return data


@admin.register(SpecialDay)
class SpecialDayAdmin(OperatorOnlyAdmin):
    form = SpecialDayForm
    list_display = ["date", "weekday", "kind", "name", "scope", "source", "legal_basis"]
    list_filter = ["kind", "source", ("agency", admin.EmptyFieldListFilter)]
    search_fields = ["name", "legal_basis", "agency__name", "agency__identifier"]
    date_hierarchy = "date"
    autocomplete_fields = ["agency"]
    readonly_fields = ["source", "created_at", "updated_at"]
    fields = ["date", "kind", "name", "agency", "legal_basis", "source", "created_at", "updated_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields: list[Any] = list(self.fields)
        if request.method == "POST":
            # Asked only when the date falls inside running deadlines (the form says so).
            fields.insert(fields.index("legal_basis") + 1, "confirm_moves")
        return fields

    change_list_template = "admin/workcalendar/specialday/change_list.html"
    # Operators type dates the Vietnamese way (22/08/2026); the date picker gives ISO.
    formfield_overrides = {
        models.DateField: {"input_formats": ["%d/%m/%Y", "%Y-%m-%d"]},
    }

    @admin.display(description=_("thứ"))
    def weekday(self, obj: SpecialDay) -> str:
        return WEEKDAYS[obj.date.weekday()]

    @admin.display(description=_("phạm vi"), ordering="agency__name")
    def scope(self, obj: SpecialDay) -> str:
        return obj.agency.name if obj.agency else "Toàn tỉnh"

    def save_model(self, request: HttpRequest, obj: SpecialDay, form: Any, change: bool) -> None:
        # The form has already checked the unique date per scope and the required fields.
        _row, moves = services.change_special_day(
            actor=admin_actor(request),
            day=obj.date,
            kind=obj.kind,
            name=obj.name,
            agency=obj.agency,
            legal_basis=obj.legal_basis,
            # An operator editing an imported row takes it over: reloading keeps it.
            source=SpecialDay.Source.OPERATOR,
            instance=obj,
        )
        if moves.count:
            messages.warning(
                request,
                f"Đã dời hạn xử lý của {moves.describe()} theo ngày {obj.date:%d/%m/%Y} "
                f"({obj.get_kind_display().lower()}): ngày hẹn trả và hạn xử lý bước hiện tại "
                "được tính lại, mỗi hồ sơ giữ nguyên thời gian làm việc còn lại.",
            )

    def delete_model(self, request: HttpRequest, obj: SpecialDay) -> None:
        services.delete_special_day(actor=admin_actor(request), special_day=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SpecialDay]) -> None:
        actor = admin_actor(request)
        for obj in queryset:
            services.delete_special_day(actor=actor, special_day=obj)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "nam/<int:year>/",
                self.admin_site.admin_view(self.year_view),
                name="workcalendar_specialday_year",
            ),
        ]
        return extra + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "this_year": timezone.localdate().year}
        return super().changelist_view(request, extra_context)

    def year_view(self, request: HttpRequest, year: int) -> HttpResponse:
        """Every day of the year that is not a plain Monday–Friday working day."""
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        year = min(max(year, 1995), 2100)
        calendar = services.WorkingCalendar.for_agency(None)
        statutory = services.WorkingCalendar.statutory(calendar.sessions)
        rows = []
        day = date(year, 1, 1)
        while day.year == year:
            working = calendar.is_working_day(day)
            if working != (day.weekday() < 5):
                rows.append(
                    {
                        "date": day,
                        "weekday": WEEKDAYS[day.weekday()],
                        "working": working,
                        "name": calendar.day_name(day) or "",
                        "operator_entry": day in calendar.overrides,
                        "differs_from_package": working != statutory.is_working_day(day),
                    }
                )
            day = date.fromordinal(day.toordinal() + 1)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Lịch nghỉ, làm bù toàn tỉnh năm {year}",
            "year": year,
            "rows": rows,
            "hours": calendar.sessions.as_text(),
            "working_days": len(list(calendar.working_days(date(year, 1, 1), date(year, 12, 31)))),
        }
        return render(request, "admin/workcalendar/specialday/year.html", context)


@admin.register(WorkingHours)
class WorkingHoursAdmin(OperatorOnlyAdmin):
    list_display = ["scope", "morning_start", "morning_end", "afternoon_start", "afternoon_end"]
    autocomplete_fields = ["agency"]
    fields = ["agency", "morning_start", "morning_end", "afternoon_start", "afternoon_end"]

    @admin.display(description=_("phạm vi"), ordering="agency__name")
    def scope(self, obj: WorkingHours) -> str:
        return obj.agency.name if obj.agency else "Toàn tỉnh (mặc định)"

    def save_model(self, request: HttpRequest, obj: WorkingHours, form: Any, change: bool) -> None:
        actor = admin_actor(request)
        if change and "agency" in form.changed_data:
            # Moving a row to another scope: remove the old row, then set the new scope.
            old = WorkingHours.objects.get(pk=obj.pk)
            services.reset_working_hours(actor=actor, working_hours=old)
            obj.pk = None
        saved = services.set_working_hours(
            actor=actor,
            agency=obj.agency,
            morning_start=obj.morning_start,
            morning_end=obj.morning_end,
            afternoon_start=obj.afternoon_start,
            afternoon_end=obj.afternoon_end,
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: WorkingHours) -> None:
        services.reset_working_hours(actor=admin_actor(request), working_hours=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WorkingHours]) -> None:
        actor = admin_actor(request)
        for obj in queryset:
            services.reset_working_hours(actor=actor, working_hours=obj)
