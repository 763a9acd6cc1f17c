"""Administration: external endpoints (through the service), and read-only package and
status logs for operators looking into a delivery."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from egov.core.admin import OperatorOnlyMixin, OperatorReadOnlyMixin, operator_actor

from . import endpoints
from .models import ExternalEndpoint, IncomingPackage, OutgoingPackage, StatusRecord


class ExternalEndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("Địa chỉ trục liên thông"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Ví dụ https://vpdt.tinh-b.gov.vn/api/v1/exchange/"),
    )
    new_inbound_token = forms.BooleanField(
        label=_("Cấp mã truy cập nhận vào mới"),
        required=False,
        help_text=_(
            "Mã mới chỉ hiện một lần: gửi cho quản trị của nền tảng bên kia để họ cấu hình."
        ),
    )

    class Meta:
        model = ExternalEndpoint
        fields = [
            "organ_id",
            "organ_name",
            "url",
            "auth_token",
            "timeout_seconds",
            "dialect",
            "zip_attachments",
            "is_active",
        ]
        widgets = {"auth_token": forms.PasswordInput(render_value=True)}


@admin.register(ExternalEndpoint)
class ExternalEndpointAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    form = ExternalEndpointForm
    list_display = ["organ_id", "organ_name", "url", "dialect", "is_active", "has_inbound_token"]
    search_fields = ["organ_id", "organ_name", "url"]
    list_filter = ["is_active", "dialect"]

    @admin.display(boolean=True, description=_("Có mã nhận vào"))
    def has_inbound_token(self, obj: ExternalEndpoint) -> bool:
        return bool(obj.inbound_token_hash)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        token = endpoints.new_peer_token() if form.cleaned_data.get("new_inbound_token") else None
        saved = endpoints.save_endpoint(
            actor=operator_actor(request),
            organ_id=obj.organ_id,
            organ_name=obj.organ_name,
            url=obj.url,
            auth_token=obj.auth_token,
            inbound_token=token,
            timeout_seconds=obj.timeout_seconds,
            is_active=obj.is_active,
            dialect=obj.dialect,
            zip_attachments=obj.zip_attachments,
        )
        obj.pk = saved.pk
        if token:
            messages.warning(
                request,
                f"Mã truy cập để {saved.organ_name} gửi văn bản đến nền tảng này (chỉ hiện một "
                f"lần): {token}",
            )


@admin.register(OutgoingPackage)
class OutgoingPackageAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "document_id",
        "sender_agency",
        "recipient_organ_id",
        "business_doc_type",
        "delivery_status",
        "status_code",
        "status_at",
        "created_at",
    ]
    list_filter = ["delivery_status", "status_code", "route", "business_doc_type"]
    search_fields = ["=document_id", "recipient_organ_id", "subject"]
    show_full_result_count = False
    exclude = ["data"]
    readonly_fields = [
        "document_id",
        "sender_agency",
        "sender_organ_id",
        "recipient_organ_id",
        "recipient_name",
        "route",
        "business_doc_type",
        "subject",
        "created_at",
        "created_by",
        "delivery_status",
        "delivered_at",
        "last_error",
        "resend_count",
        "status_code",
        "status_at",
        "status_description",
        "status_staff",
    ]


@admin.register(IncomingPackage)
class IncomingPackageAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "document_id",
        "recipient_organ_id",
        "sender_organ_id",
        "status",
        "error_code",
        "via",
        "received_at",
    ]
    list_filter = ["status", "error_code", "via", "business_doc_type"]
    search_fields = ["=document_id", "sender_organ_id", "recipient_organ_id", "subject"]
    show_full_result_count = False
    exclude = ["data"]
    readonly_fields = [
        "document_id",
        "recipient_agency",
        "recipient_organ_id",
        "sender_organ_id",
        "sender_name",
        "business_doc_type",
        "subject",
        "size",
        "via",
        "received_at",
        "status",
        "error",
        "error_code",
        "signer_subject",
        "status_code",
        "status_at",
    ]


@admin.register(StatusRecord)
class StatusRecordAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "timestamp",
        "direction",
        "document_id",
        "from_organ_id",
        "to_organ_id",
        "status_code",
        "delivery_status",
    ]
    list_filter = ["direction", "status_code", "delivery_status"]
    search_fields = ["=document_id", "from_organ_id", "to_organ_id"]
    show_full_result_count = False
    exclude = ["raw"]
    readonly_fields = [
        "direction",
        "document_id",
        "from_organ_id",
        "from_name",
        "to_organ_id",
        "agency",
        "status_code",
        "description",
        "timestamp",
        "staff",
        "staff_info",
        "via",
        "delivery_status",
        "delivery_error",
        "created_at",
    ]
