"""Operators edit the 766 index per year: groups, indicators, thresholds and points."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from egov.core.admin import OperatorOnlyMixin, operator_actor
from egov.core.errors import DomainError

from . import services
from .index766 import CALCULATORS
from .models import IndexGroup, IndexIndicator


class IndicatorInline(OperatorOnlyMixin, admin.TabularInline):
    model = IndexIndicator
    fields = ("order", "code", "name", "max_points", "threshold", "is_active")
    extra = 0
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # added from the indicator page, through the service


@admin.register(IndexGroup)
class IndexGroupAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = ("year", "code", "name", "max_points")
    list_filter = ("year",)
    ordering = ("-year", "order", "code")
    fields = ("year", "order", "code", "name", "max_points")
    inlines = [IndicatorInline]
    actions = ["copy_to_next_year"]

    def save_model(self, request: HttpRequest, obj: IndexGroup, form: Any, change: bool) -> None:
        services.save_group(actor=operator_actor(request), group=obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for indicator in formset.save(commit=False):
            services.save_indicator(actor=operator_actor(request), indicator=indicator)

    @admin.action(description="Sao chép bộ chỉ số sang năm kế tiếp")
    def copy_to_next_year(self, request: HttpRequest, queryset: QuerySet[IndexGroup]) -> None:
        for year in sorted(set(queryset.values_list("year", flat=True))):
            try:
                count = services.copy_year(
                    actor=operator_actor(request), source=year, target=year + 1
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Đã sao chép {count} chỉ số sang năm {year + 1}.")


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = IndexIndicator
        fields = (
            "group",
            "order",
            "code",
            "name",
            "description",
            "max_points",
            "threshold",
            "is_active",
        )
        help_texts = {
            "code": "Các mã hệ thống đo được: "
            + ", ".join(sorted(CALCULATORS))
            + ". Mã khác hiển thị “chưa có dữ liệu”.",
        }


@admin.register(IndexIndicator)
class IndexIndicatorAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    form = IndicatorForm
    list_display = ("year", "code", "name", "group", "max_points", "threshold", "is_active")
    list_filter = ("year", "group__code", "is_active")
    ordering = ("-year", "group__order", "order", "code")

    def save_model(
        self, request: HttpRequest, obj: IndexIndicator, form: Any, change: bool
    ) -> None:
        services.save_indicator(actor=operator_actor(request), indicator=obj)
