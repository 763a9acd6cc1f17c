"""Administration: the event log is read-only; dead outbox messages can be sent again."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from egov.core.admin import OperatorReadOnlyMixin, operator_actor
from egov.core.errors import DomainError

from . import services
from .agencies import agency_model
from .models import Event, EventArchive, OutboxMessage


class AgencyFilter(admin.SimpleListFilter):
    title = _("cơ quan")
    parameter_name = "agency"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        model = agency_model()
        agencies = (
            model._default_manager.order_by("name").values_list("pk", "name") if model else []
        )
        return [("none", "(Toàn tỉnh / không thuộc cơ quan)")] + [
            (str(pk), name) for pk, name in agencies
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "none":
            return queryset.filter(agency_id__isnull=True)
        if value and value.isdigit():
            return queryset.filter(agency_id=int(value))
        return queryset


class EventTypeFilter(admin.SimpleListFilter):
    title = _("loại sự kiện")
    parameter_name = "event_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        types = Event.objects.order_by("event_type").values_list("event_type", flat=True)
        return [(t, t) for t in types.distinct()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(event_type=self.value())
        return queryset


def json_block(value: Any) -> str:
    """A stored payload as the data it is: indented JSON in a code block, not interface text."""
    return format_html("<pre>{}</pre>", json.dumps(value, ensure_ascii=False, indent=2))


@admin.register(Event)
class EventAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "occurred_at",
        "event_type",
        "subject",
        "agency_name",
        "actor_label",
        "chain",
        "seq",
    ]
    list_filter = [EventTypeFilter, AgencyFilter, "occurred_at", "actor_kind"]
    search_fields = ["=subject_id", "subject_type", "event_type", "actor_label"]
    list_per_page = 100
    show_full_result_count = False  # no COUNT(*) over millions of rows
    ordering = ["-id"]
    fields = readonly_fields = (
        "chain",
        "seq",
        "occurred_at",
        "event_type",
        "subject_type",
        "subject_id",
        "agency_id",
        "actor_kind",
        "actor_user_id",
        "actor_api_client_id",
        "actor_label",
        "payload_json",
        "prev_hash",
        "hash",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        queryset = super().get_queryset(request)
        model = agency_model()
        if model is None:
            return queryset
        names = model._default_manager.filter(pk=OuterRef("agency_id")).values("name")[:1]
        return queryset.annotate(agency_name=Subquery(names))

    @admin.display(description=_("nội dung"))
    def payload_json(self, obj: Event) -> str:
        return json_block(obj.payload)

    @admin.display(description=_("đối tượng"))
    def subject(self, obj: Event) -> str:
        return f"{obj.subject_type}:{obj.subject_id}"

    @admin.display(description=_("cơ quan"))
    def agency_name(self, obj: Event) -> str:
        return getattr(obj, "agency_name", None) or "—"


@admin.register(EventArchive)
class EventArchiveAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    """The months detached from the log (manage.py events_archive): read only."""

    list_display = ["id", "created_at", "first_month", "last_month", "rows", "dropped"]
    ordering = ["-id"]
    fields = readonly_fields = (
        "created_at",
        "first_month",
        "last_month",
        "range_start",
        "range_end",
        "partitions",
        "rows",
        "chains_json",
        "dump_file",
        "dump_sha256",
        "dropped",
        "actor_label",
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("các chuỗi"))
    def chains_json(self, obj: EventArchive) -> str:
        return json_block(obj.chains)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(OperatorReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "topic",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "delivered_at",
        "short_error",
    ]
    list_filter = ["status", "topic", "created_at"]
    search_fields = ["=idempotency_key", "last_error"]
    ordering = ["-id"]
    show_full_result_count = False
    fields = readonly_fields = (
        "topic",
        "idempotency_key",
        "payload_json",
        "status",
        "attempts",
        "max_attempts",
        "next_attempt_at",
        "locked_until",
        "last_error",
        "created_at",
        "updated_at",
        "delivered_at",
    )

    @admin.display(description=_("nội dung"))
    def payload_json(self, obj: OutboxMessage) -> str:
        return json_block(obj.payload)

    actions = ["retry_dead_messages"]

    @admin.display(description=_("lỗi gần nhất"))
    def short_error(self, obj: OutboxMessage) -> str:
        return (obj.last_error[:120] + "…") if len(obj.last_error) > 120 else obj.last_error

    @admin.action(description=_("Gửi lại các tin nhắn đã hỏng được chọn"))
    def retry_dead_messages(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        try:
            count = services.retry_dead(
                actor=operator_actor(request),
                message_ids=queryset.values_list("pk", flat=True),
            )
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        skipped = queryset.count() - count
        text = f"Đã đưa {count} tin nhắn vào hàng đợi gửi lại."
        if skipped:
            text += f" Bỏ qua {skipped} tin nhắn không ở trạng thái hỏng."
        self.message_user(request, text, level=messages.SUCCESS)
