"""Administration: operators keep the list of document types (abbreviations, own number series);
documents, registers' counters and incoming records are read-only here (they change only
through the documents workflow)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from egov.core.admin import OperatorOnlyMixin, OperatorReadOnlyMixin

from .models import DocumentType, IncomingDocument, NumberCounter, OutgoingDocument


@admin.register(DocumentType)
class DocumentTypeAdmin(OperatorOnlyMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "abbreviation",
        "code",
        "is_normative",
        "is_copy",
        "series",
        "is_active",
    ]
    list_filter = ["is_normative", "is_copy", "is_active"]
    search_fields = ["name", "abbreviation", "code"]
    ordering = ["ordering", "name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The code and the series rules of a type in use must not change under issued numbers.
        return ["code", "is_normative", "is_copy"] if obj is not None else []


@admin.register(NumberCounter)
class NumberCounterAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = ["agency", "year", "series_key", "last"]
    list_filter = ["year", "series_key"]
    search_fields = ["agency__name", "agency__identifier"]


@admin.register(OutgoingDocument)
class OutgoingDocumentAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = ["symbol", "subject", "agency", "status", "issued_at"]
    list_filter = ["status", "doc_type"]
    search_fields = ["symbol", "subject", "document_id"]
    list_select_related = ["agency"]
    exclude = ["search_text"]


@admin.register(IncomingDocument)
class IncomingDocumentAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = ["arrival_number", "arrival_year", "subject", "agency", "sender_name", "status"]
    list_filter = ["status", "source"]
    search_fields = ["subject", "document_id", "code_notation", "sender_name"]
    list_select_related = ["agency"]
    exclude = ["search_text"]
