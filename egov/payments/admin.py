"""Operators keep the refund rules (when fees paid are handed back) in the administration; each
change goes through services.refunds.save_rule and is recorded."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from egov.core.admin import OperatorOnlyMixin, operator_actor

from .models import RefundRule
from .services import refunds


@admin.register(RefundRule)
class RefundRuleAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = ("outcome", "procedure", "before_processing_only", "percent", "automatic")
    list_filter = ("outcome", "is_active", "automatic")
    fields = (
        "outcome",
        "procedure",
        "before_processing_only",
        "percent",
        "automatic",
        "legal_source",
        "is_active",
    )
    autocomplete_fields = ("procedure",)

    def save_model(self, request: HttpRequest, obj: RefundRule, form: Any, change: bool) -> None:
        refunds.save_rule(actor=operator_actor(request), rule=obj)
