"""Administration for operators: subscriptions (read-only, switch off or on through the
services; the secrets are never shown) and the delivery log (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from egov.core.admin import OperatorReadOnlyMixin, operator_actor
from egov.core.errors import DomainError

from . import services
from .models import Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "api_client", "target_url", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "target_url", "api_client__name"]
    FIELDS = (
        "api_client",
        "name",
        "target_url",
        "event_types",
        "is_active",
        "disabled_reason",
        "secret_rotated_at",
        "previous_secret_expires_at",
        "created_at",
        "updated_at",
    )
    fields = FIELDS
    readonly_fields = FIELDS
    actions = ["disable_selected", "enable_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscription]:
        return super().get_queryset(request).select_related("api_client")

    def _each(self, request: HttpRequest, queryset: QuerySet[Subscription], enable: bool) -> None:
        actor = operator_actor(request)
        done = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                if enable:
                    services.enable(actor=actor, subscription_id=pk)
                else:
                    services.disable(
                        actor=actor, subscription_id=pk, reason="Quản trị hệ thống tạm dừng."
                    )
                done += 1
            except DomainError as exc:
                messages.error(request, exc.message)
        messages.success(request, _("Đã cập nhật %(n)d đăng ký.") % {"n": done})

    @admin.action(description=_("Tạm dừng các đăng ký đã chọn"))
    def disable_selected(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        self._each(request, queryset, enable=False)

    @admin.action(description=_("Bật lại các đăng ký đã chọn"))
    def enable_selected(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        self._each(request, queryset, enable=True)


@admin.register(Delivery)
class DeliveryAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "attempted_at",
        "subscription",
        "cloudevent_id",
        "attempt",
        "status",
        "http_status",
        "duration_ms",
        "is_replay",
    ]
    list_filter = ["status", "is_replay"]
    search_fields = ["cloudevent_id", "subscription__name"]
    FIELDS = (
        "subscription",
        "event",
        "outbox_message",
        "cloudevent_id",
        "attempt",
        "is_replay",
        "status",
        "http_status",
        "duration_ms",
        "error",
        "attempted_at",
    )
    fields = FIELDS
    readonly_fields = FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).select_related("subscription")

    def get_actions(self, request: HttpRequest) -> Any:
        return {}
