"""REST API of the operations figures (read only), from the aggregate tables.

Officials with the leader role (their agency and those below it), operators (all), and API
clients with the `stats:read` scope (their agency and those below it). Parameters, as on the
dashboard: `agency`, `sector`, `procedure`, `channel` (ids), and the period: `period` = day |
month | quarter | year | range with `day=2025-03-31`, `month=2025-03`, `quarter=2025-1`,
`year=2025`, or `from` / `to`. The public on-time rates need no authentication.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from egov.core.actors import actor_from_request
from egov.core.api_auth import require_scope
from egov.core.api_query import MAX_YEAR, MIN_YEAR, validated_query
from egov.core.errors import NotAllowed
from egov.dossiers.models import Channel

from . import index766, queries
from .periods import parse_period
from .scopes import may_view_dashboard


def _id(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, help_text=help_text)


# A class statement cannot name a field `from`: the same declaration, built by the metaclass.
StatsQuery = type(
    "StatsQuery",
    (serializers.Serializer,),
    {
        "__doc__": "The selection of the operations figures; the period's own parameter is read "
        "for the chosen `period`, and every parameter given must be well-formed.",
        "agency": _id("Cơ quan (gồm các cơ quan cấp dưới)"),
        "sector": _id("Lĩnh vực"),
        "procedure": _id("Thủ tục"),
        "channel": serializers.ChoiceField(
            Channel.choices,
            required=False,
            help_text="Kênh: 1 trực tiếp, 2 trực tuyến, 3 bưu chính",
        ),
        "period": serializers.ChoiceField(
            ["day", "month", "quarter", "year", "range"],
            required=False,
            help_text="Mặc định: month",
        ),
        "day": serializers.DateField(required=False, help_text="2025-03-31"),
        "month": serializers.RegexField(
            r"^\d{4}-(0?[1-9]|1[0-2])$", required=False, help_text="2025-03"
        ),
        "quarter": serializers.RegexField(
            r"^\d{4}-[Qq]?[1-4]$", required=False, help_text="2025-1"
        ),
        "year": serializers.IntegerField(
            required=False, min_value=MIN_YEAR, max_value=MAX_YEAR, help_text="2025"
        ),
        "from": serializers.DateField(required=False, help_text="Đầu khoảng (period=range)"),
        "to": serializers.DateField(required=False, help_text="Cuối khoảng (period=range)"),
    },
)
SCHEMA: dict[str, Any] = {
    "parameters": [StatsQuery],
    "responses": {
        200: OpenApiTypes.OBJECT,
        404: OpenApiResponse(description="Cơ quan không thuộc phạm vi được xem (`not_found`)"),
    },
}


def selection(request: Request) -> queries.Selection:
    actor = actor_from_request(request)
    if not may_view_dashboard(actor):
        raise NotAllowed("Chỉ lãnh đạo cơ quan và quản trị hệ thống được xem số liệu điều hành.")
    query = validated_query(StatsQuery, request)
    period = parse_period(request.query_params, timezone.localdate())
    return queries.select(
        actor,
        period,
        agency_id=query.get("agency"),
        sector_id=query.get("sector"),
        procedure_id=query.get("procedure"),
        channel=query.get("channel"),
    )


def _period(sel: queries.Selection) -> dict[str, Any]:
    return {
        "kind": sel.period.kind,
        "start": sel.period.start,
        "end": sel.period.end,
        "label": sel.period.label,
    }


class Summary(APIView):
    """All figures of a selection: counters, in-progress, rates."""

    replica_ok = True  # egov.core.dbrouting: may read the replica

    permission_classes = [require_scope("stats:read")]

    @extend_schema(operation_id="stats_summary", **SCHEMA)
    def get(self, request: Request) -> Response:
        sel = selection(request)
        return Response({"period": _period(sel), "figures": queries.figures(sel).as_dict()})


class Trend(APIView):
    replica_ok = True  # egov.core.dbrouting: may read the replica
    permission_classes = [require_scope("stats:read")]

    @extend_schema(operation_id="stats_trend", **SCHEMA)
    def get(self, request: Request) -> Response:
        sel = selection(request)
        return Response(
            {"period": _period(sel), "grain": sel.period.grain, "points": queries.trend(sel)}
        )


class Agencies(APIView):
    """The compared agencies (children of the chosen one), best on-time rate first."""

    replica_ok = True  # egov.core.dbrouting: may read the replica

    permission_classes = [require_scope("stats:read")]

    @extend_schema(operation_id="stats_agencies", **SCHEMA)
    def get(self, request: Request) -> Response:
        sel = selection(request)
        rows = []
        for row in queries.ranking(sel):
            figs: queries.Figures = row.pop("figures")
            rows.append({**row, "figures": figs.as_dict()})
        return Response({"period": _period(sel), "agencies": rows})


class Index766(APIView):
    """The 766 index of the chosen agency (and those below it) for the period."""

    replica_ok = True  # egov.core.dbrouting: may read the replica

    permission_classes = [require_scope("stats:read")]

    @extend_schema(operation_id="stats_index766", **SCHEMA)
    def get(self, request: Request) -> Response:
        from .views import index_context

        sel = selection(request)
        context = index_context(sel)
        result: index766.IndexResult = context["result"]
        compared = [
            {
                "agency_id": r["agency_id"],
                "name": r["name"],
                "enough_data": r["enough_data"],
                "total": None if r["total"] is None else str(r["total"]),
                "measured_max": str(r["measured_max"]),
                "attained_percent": None if r["attained"] is None else f"{r['attained']:.2f}",
                "groups": [None if g is None else str(g) for g in r["groups"]],
            }
            for r in context["compared"]
        ]
        return Response({"period": _period(sel), "index": result.as_dict(), "agencies": compared})


class PublicRates(APIView):
    """On-time rates by agency (public, no personal data): the current year by default, or the
    page's filters (agency, sector, period=month|quarter|year with month/quarter/year)."""

    replica_ok = True  # egov.core.dbrouting: may read the replica

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(operation_id="stats_public_on_time", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        from .views import public_rates, public_selection

        sel, _errors = public_selection(request.query_params)
        return Response(public_rates(sel))


urlpatterns: list[URLPattern] = [
    path("stats/summary/", Summary.as_view(), name="stats-summary"),
    path("stats/trend/", Trend.as_view(), name="stats-trend"),
    path("stats/agencies/", Agencies.as_view(), name="stats-agencies"),
    path("stats/index766/", Index766.as_view(), name="stats-index766"),
    path("stats/public/on-time/", PublicRates.as_view(), name="stats-public-on-time"),
]
