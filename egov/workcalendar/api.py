"""Calendar API: deadlines in working days and working time between two moments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.api_auth import require_scope
from egov.org.models import Agency

from .services import WorkingCalendar

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_DAYS = 3650

_AGENCY_PARAM = OpenApiParameter(
    "agency",
    OpenApiTypes.STR,
    required=False,
    description="Mã định danh cơ quan (ví dụ 000.00.00.H41) để dùng lịch riêng của cơ quan; "
    "bỏ trống để dùng lịch chung toàn tỉnh.",
)


def _check_year(value: datetime) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise serializers.ValidationError(f"Năm phải trong khoảng {MIN_YEAR}–{MAX_YEAR}.")


class _CalendarQuery(serializers.Serializer):
    agency = serializers.CharField(required=False, allow_blank=True, max_length=20)

    def validate_agency(self, value: str) -> Agency | None:
        if not value:
            return None
        agency = Agency.objects.filter(identifier=value, is_active=True).first()
        if agency is None:
            raise serializers.ValidationError("Không tìm thấy cơ quan có mã định danh này.")
        return agency


class AddWorkingDaysQuery(_CalendarQuery):
    start = serializers.DateTimeField(validators=[_check_year])
    days = serializers.IntegerField(min_value=0, max_value=MAX_DAYS)


class BetweenQuery(_CalendarQuery):
    start = serializers.DateTimeField(validators=[_check_year])
    end = serializers.DateTimeField(validators=[_check_year])


def _calendar(data: dict[str, Any]) -> tuple[WorkingCalendar, Agency | None]:
    agency = data.get("agency")
    return WorkingCalendar.for_agency(agency), agency


class AddWorkingDaysView(APIView):
    """Due moment (ngày hẹn trả) for a budget of working days.

    The day of receipt is not counted; the due moment is the end of the afternoon session of the
    N-th working day after it. A receipt after working hours, on a weekend or a holiday counts as
    received on the next working day.
    """

    permission_classes = [require_scope("calendar:read")]

    @extend_schema(
        summary="Tính ngày hẹn trả theo số ngày làm việc",
        parameters=[
            OpenApiParameter(
                "start",
                OpenApiTypes.DATETIME,
                required=True,
                description="Thời điểm tiếp nhận, ISO 8601; không có múi giờ thì hiểu là giờ "
                "Việt Nam (Asia/Ho_Chi_Minh).",
            ),
            OpenApiParameter(
                "days",
                OpenApiTypes.INT,
                required=True,
                description=f"Số ngày làm việc (0–{MAX_DAYS}); 0 là trả trong ngày.",
            ),
            _AGENCY_PARAM,
        ],
        responses={
            200: inline_serializer(
                "CalendarAddWorkingDays",
                {
                    "start": serializers.DateTimeField(),
                    "days": serializers.IntegerField(),
                    "receipt_day": serializers.DateField(
                        help_text="Ngày được coi là ngày tiếp nhận (không tính vào thời hạn)."
                    ),
                    "due": serializers.DateTimeField(help_text="Thời điểm hẹn trả."),
                    "agency": serializers.CharField(allow_null=True),
                    "working_hours": serializers.CharField(),
                },
            )
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = AddWorkingDaysQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        calendar, agency = _calendar(data)
        due = calendar.add_working_days(data["start"], data["days"])
        if due.year > MAX_YEAR:
            raise serializers.ValidationError({"days": [f"Kết quả vượt quá năm {MAX_YEAR}."]})
        return Response(
            {
                "start": data["start"].astimezone(due.tzinfo).isoformat(),
                "days": data["days"],
                "receipt_day": calendar.receipt_day(data["start"]).isoformat(),
                "due": due.isoformat(),
                "agency": agency.identifier if agency else None,
                "working_hours": calendar.sessions.as_text(),
            }
        )


class WorkingTimeBetweenView(APIView):
    """Working time between two moments, and working days between their dates."""

    permission_classes = [require_scope("calendar:read")]

    @extend_schema(
        summary="Thời gian làm việc giữa hai thời điểm",
        description="`working_seconds` chỉ tính giờ hành chính của ngày làm việc; âm nếu `end` "
        "trước `start`. `working_days` là số ngày làm việc d với ngày(start) < d <= ngày(end).",
        parameters=[
            OpenApiParameter(
                "start",
                OpenApiTypes.DATETIME,
                required=True,
                description="Thời điểm đầu, ISO 8601.",
            ),
            OpenApiParameter(
                "end", OpenApiTypes.DATETIME, required=True, description="Thời điểm cuối, ISO 8601."
            ),
            _AGENCY_PARAM,
        ],
        responses={
            200: inline_serializer(
                "CalendarBetween",
                {
                    "start": serializers.DateTimeField(),
                    "end": serializers.DateTimeField(),
                    "working_seconds": serializers.IntegerField(),
                    "working_hours": serializers.FloatField(),
                    "working_days": serializers.IntegerField(),
                    "agency": serializers.CharField(allow_null=True),
                },
            )
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = BetweenQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        calendar, agency = _calendar(data)
        start, end = data["start"], data["end"]
        elapsed = calendar.working_time_between(start, end)
        seconds = int(elapsed.total_seconds())
        return Response(
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "working_seconds": seconds,
                "working_hours": round(elapsed.total_seconds() / 3600, 4),
                "working_days": calendar.working_days_between(start, end),
                "agency": agency.identifier if agency else None,
            }
        )


urlpatterns: list[URLPattern] = [
    path("calendar/add-working-days/", AddWorkingDaysView.as_view(), name="api-calendar-add"),
    path("calendar/between/", WorkingTimeBetweenView.as_view(), name="api-calendar-between"),
]
