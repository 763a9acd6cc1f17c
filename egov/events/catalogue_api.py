"""The published event catalogue: every event type, its subject and its payload's JSON Schema.

Public (it describes shapes, never data), so a webhook subscriber or the national sync can check
what each message holds before it is granted any scope.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .catalogue import published

EventTypeSerializer = inline_serializer(
    "EventTypeEntry",
    many=True,
    fields={
        "event_type": serializers.CharField(help_text="Tên loại sự kiện, ví dụ `dossier.received`"),
        "subject_type": serializers.CharField(help_text="Loại đối tượng của sự kiện"),
        "description": serializers.CharField(help_text="Ý nghĩa của sự kiện"),
        "payload_schema": serializers.JSONField(help_text="JSON Schema của trường `payload`"),
    },
)


class EventTypeList(APIView):
    """Every event type the platform records, sorted by name, with its payload schema."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []  # public: no credential is read, none can be wrong

    @extend_schema(operation_id="event_types_list", responses=EventTypeSerializer)
    def get(self, request: Request) -> Response:
        data: list[dict[str, Any]] = published()
        return Response(data)


urlpatterns: list[URLPattern] = [
    path("event-types/", EventTypeList.as_view(), name="api-event-type-list"),
]
