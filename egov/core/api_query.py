"""Query parameters of the API, read through a serializer: each one has a declared type, and a
value that does not fit is a 400 `invalid` naming the parameter, never silently ignored (nor a
500). Document an endpoint's parameters with the same serializer:
`@extend_schema(parameters=[TheQuery])`."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import pagination, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from .keyset import CURSOR_PARAM

# Years a report or a calendar question may name.
MIN_YEAR, MAX_YEAR = 2000, 2100
# Moments outside these years are refused: nobody means them, and near year 1 or 9999 the
# conversion between Vietnam's time and UTC overflows.
MOMENT_MIN_YEAR, MOMENT_MAX_YEAR = 1900, 9000


def validated_query(serializer_class: type[serializers.Serializer[Any]], request: Request) -> Any:
    """The request's query parameters, validated (400 with the field errors otherwise)."""
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class QueryBooleanField(serializers.Field):
    """`true` or `false`, as the schema says (absent: the default)."""

    default_error_messages = {"invalid": "Chỉ nhận true hoặc false."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> bool:
        text = str(data).strip().lower()
        if text not in ("true", "false"):
            self.fail("invalid")
        return text == "true"

    def to_representation(self, value: Any) -> bool:
        return bool(value)


extend_schema_field({"type": "boolean"})(QueryBooleanField)


class MomentField(serializers.Field):
    """An ISO 8601 moment, or a date (its first moment); without a zone it is Vietnam's time.
    A well-formed but impossible value (2026-02-30) is refused like any other."""

    default_error_messages = {
        "invalid": "Thời điểm không hợp lệ (dạng 2025-07-01 hoặc 2025-07-01T08:00:00Z).",
    }

    def to_internal_value(self, data: Any) -> datetime:
        raw = str(data).strip()
        try:
            moment = parse_datetime(raw)
            if moment is None:
                day = parse_date(raw)
                if day is None:
                    self.fail("invalid")
                moment = datetime.combine(day, time.min)
        except ValueError:
            self.fail("invalid")
        if not MOMENT_MIN_YEAR <= moment.year <= MOMENT_MAX_YEAR:
            self.fail("invalid")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)  # read in Asia/Ho_Chi_Minh
        return moment

    def to_representation(self, value: Any) -> str:
        return str(value.isoformat())


extend_schema_field(
    {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}
)(MomentField)


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """DRF's limit/offset paging, but a `limit` or `offset` that is not a number is refused
    rather than replaced by the default; a limit beyond `max_limit` is reduced to it."""

    max_limit = 500

    def _read(self, request: Request, name: str, minimum: int) -> int | None:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return None
        try:
            value = int(raw)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise ValidationError({name: [f"Phải là số nguyên không nhỏ hơn {minimum}."]})
        return value

    def get_limit(self, request: Request) -> int | None:
        limit = self._read(request, self.limit_query_param, 1)
        if limit is None:
            return self.default_limit
        return min(limit, self.max_limit) if self.max_limit else limit

    def get_offset(self, request: Request) -> int:
        return self._read(request, self.offset_query_param, 0) or 0

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Số kết quả mỗi trang (lớn hơn {self.max_limit} thì lấy {self.max_limit})."
                )
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"]["minimum"] = 0
        return parameters


# Keyset-paged list endpoints (core.keyset): answer {"results": [...], "next": <url or null>}
# and take the cursor of `next` back in this one parameter.
CURSOR_PARAMETER = OpenApiParameter(
    CURSOR_PARAM,
    OpenApiTypes.STR,
    description="Con trỏ trang: lấy nguyên từ liên kết `next` của trang trước",
)


def next_page_url(request: Any, cursor: str | None) -> str | None:
    """The link to the page after this one: the same query with the next cursor (a Django or a
    DRF request: DRF's query_params are the Django request's GET)."""
    if cursor is None:
        return None
    query = {k: v for k, v in request.GET.items() if k != CURSOR_PARAM}
    query[CURSOR_PARAM] = cursor
    return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
