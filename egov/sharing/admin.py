"""Operators manage the grants and signing keys in the administration (through services.py,
events recorded) and read the message log (read-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from egov.core.admin import OperatorOnlyMixin, OperatorReadOnlyMixin, operator_actor

from . import registry, services
from .models import ClientKey, MessageLogCheckpoint, MessageLogEntry, ServiceGrant


class ServiceGrantForm(forms.ModelForm):
    service = forms.ChoiceField(label="Dịch vụ", choices=())

    class Meta:
        model = ServiceGrant
        fields = ("client", "service", "valid_from", "valid_until", "reason")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [  # type: ignore[attr-defined]
            (s.code, s.name) for s in registry.SERVICES.values()
        ]


@admin.register(ServiceGrant)
class ServiceGrantAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    form = ServiceGrantForm
    list_display = ("client", "service", "valid_from", "valid_until", "revoked_at", "granted_by")
    list_filter = ("service",)
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return (
            "client",
            "service",
            "valid_from",
            "valid_until",
            "reason",
            "granted_by",
            "granted_at",
            "revoked_at",
            "revoked_by",
        )

    def save_model(self, request: HttpRequest, obj: ServiceGrant, form: Any, change: bool) -> None:
        if change:
            return
        granted = services.grant_service(
            actor=operator_actor(request),
            client=obj.client,
            service=obj.service,
            valid_from=obj.valid_from,
            valid_until=obj.valid_until,
            reason=obj.reason,
        )
        obj.pk = granted.pk

    @admin.action(description="Thu hồi quyền đã chọn")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ServiceGrant]) -> None:
        for grant in queryset:
            services.revoke_grant(actor=operator_actor(request), grant=grant)
        messages.success(request, f"Đã thu hồi {queryset.count()} quyền.")


@admin.register(ClientKey)
class ClientKeyAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = ("client", "key_id", "signatures_required", "registered_at")
    fields = ("client", "public_key_pem", "signatures_required")

    def save_model(self, request: HttpRequest, obj: ClientKey, form: Any, change: bool) -> None:
        row = services.register_client_key(
            actor=operator_actor(request),
            client=obj.client,
            public_key_pem=obj.public_key_pem,
            signatures_required=obj.signatures_required,
        )
        obj.pk = row.pk


@admin.register(MessageLogEntry)
class MessageLogEntryAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = ("seq", "at", "client_label", "service", "method", "path", "status_code")
    list_filter = ("service", "status_code", "signed")
    search_fields = ("request_id", "client_label", "path")


@admin.register(MessageLogCheckpoint)
class MessageLogCheckpointAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "seq", "hash", "key")
