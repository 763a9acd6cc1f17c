"""Read API for the event log, scoped to what the caller may see, paged by id (keyset)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.accounts.api_auth import require_scope
from egov.core.actors import actor_from_request
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


def _positive_int(params: Any, name: str, default: int | None) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if value < 0:
        raise ValidationError({name: ["Phải là số nguyên không âm."]})
    return value


def _since(raw: str) -> datetime:
    moment = parse_datetime(raw)
    if moment is None:
        day = parse_date(raw)
        if day is None:
            raise ValidationError(
                {"since": ["Thời điểm không hợp lệ (dạng 2025-07-01 hoặc 2025-07-01T08:00:00Z)."]}
            )
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # read in Asia/Ho_Chi_Minh
    return moment


class EventList(APIView):
    """Events the caller may see, oldest first. Page with `after` = the last id you received."""

    permission_classes = [require_scope("events:read")]

    @extend_schema(
        operation_id="events_list",
        parameters=[
            OpenApiParameter("subject_type", OpenApiTypes.STR, description="Loại đối tượng"),
            OpenApiParameter("subject_id", OpenApiTypes.STR, description="Mã đối tượng"),
            OpenApiParameter("event_type", OpenApiTypes.STR, description="Loại sự kiện"),
            OpenApiParameter(
                "since",
                OpenApiTypes.DATETIME,
                description="Từ thời điểm (ISO 8601; không có múi giờ thì hiểu là giờ Việt Nam)",
            ),
            OpenApiParameter(
                "after", OpenApiTypes.INT, description="Chỉ lấy sự kiện có id lớn hơn"
            ),
            OpenApiParameter(
                "limit", OpenApiTypes.INT, description=f"Số sự kiện mỗi trang (tối đa {MAX_LIMIT})"
            ),
        ],
        responses=EventPageSerializer,
    )
    def get(self, request: Request) -> Response:
        params: Any = request.query_params
        qs: QuerySet[Event] = visible_to(actor_from_request(request), Event.objects.all())
        for name in ("subject_type", "subject_id", "event_type"):
            if params.get(name):
                qs = qs.filter(**{name: params[name]})
        if params.get("since"):
            qs = qs.filter(occurred_at__gte=_since(params["since"]))
        after = _positive_int(params, "after", None)
        if after is not None:
            qs = qs.filter(id__gt=after)
        limit = min(_positive_int(params, "limit", DEFAULT_LIMIT) or DEFAULT_LIMIT, MAX_LIMIT)
        page = list(qs.order_by("id")[: limit + 1])
        has_more = len(page) > limit
        page = page[:limit]
        next_url = None
        if has_more:
            query = {k: v for k, v in params.items() if k != "after"}
            query["after"] = str(page[-1].pk)
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
        return Response({"results": EventSerializer(page, many=True).data, "next": next_url})


urlpatterns: list[URLPattern] = [
    path("events/", EventList.as_view(), name="api-event-list"),
]
