"""Read API for the event log, scoped to what the caller may see, paged by id (keyset)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.actors import actor_from_request
from egov.core.api_auth import require_scope
from egov.core.api_query import CURSOR_PARAMETER, MomentField, next_page_url, validated_query
from egov.core.keyset import CURSOR_PARAM, keyset_page
from egov.core.scoping import visible_to

from .models import Event

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class EventSerializer(serializers.ModelSerializer[Event]):
    class Meta:
        model = Event
        fields = [
            "id",
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
            "payload",
            "prev_hash",
            "hash",
        ]


EventPageSerializer = inline_serializer(
    "EventPage",
    {
        "results": EventSerializer(many=True),
        "next": serializers.URLField(allow_null=True),
    },
)


class EventQuery(serializers.Serializer[Any]):
    subject_type = serializers.CharField(required=False, max_length=100, help_text="Loại đối tượng")
    subject_id = serializers.CharField(required=False, max_length=100, help_text="Mã đối tượng")
    event_type = serializers.CharField(required=False, max_length=100, help_text="Loại sự kiện")
    since = MomentField(
        required=False,
        help_text="Từ thời điểm (ISO 8601 hoặc một ngày; không có múi giờ: giờ Việt Nam)",
    )
    after = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="Chỉ lấy sự kiện có id lớn hơn (tiếp tục từ id cuối cùng đã nhận)",
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=f"Số sự kiện mỗi trang (mặc định {DEFAULT_LIMIT}; lớn hơn {MAX_LIMIT} thì lấy "
        f"{MAX_LIMIT})",
    )


class EventList(APIView):
    """Events the caller may see, oldest first, paged by the `next` link (core.keyset on id).
    `after` = the last id you received resumes later from where you stopped."""

    permission_classes = [require_scope("events:read")]

    @extend_schema(
        operation_id="events_list",
        parameters=[EventQuery, CURSOR_PARAMETER],
        responses=EventPageSerializer,
    )
    def get(self, request: Request) -> Response:
        query = validated_query(EventQuery, request)
        qs: QuerySet[Event] = visible_to(actor_from_request(request), Event.objects.all())
        for name in ("subject_type", "subject_id", "event_type"):
            if query.get(name):
                qs = qs.filter(**{name: query[name]})
        if query.get("since"):
            qs = qs.filter(occurred_at__gte=query["since"])
        if query.get("after") is not None:
            qs = qs.filter(id__gt=query["after"])
        limit = min(query.get("limit") or DEFAULT_LIMIT, MAX_LIMIT)
        cursor = str(request.query_params.get(CURSOR_PARAM, ""))
        page, next_cursor = keyset_page(qs, "", cursor, limit, strict=True)
        next_url = next_page_url(request, next_cursor)
        return Response({"results": EventSerializer(page, many=True).data, "next": next_url})


urlpatterns: list[URLPattern] = [
    path("events/", EventList.as_view(), name="api-event-list"),
]
