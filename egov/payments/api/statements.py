"""API: bank statements (under /api/v1/payments/statements/).

- POST `payments/statements/` (multipart, `file`): import a statement of the caller's agency
  (CSV, XLSX or CAMT.053) and match it; needs `payments:write` and, for a signed-in official,
  the accountant role. 201 with the import's figures; `statement_invalid` (400, the problems in
  `fields.file`), `statement_duplicate` (409).
- GET `payments/statements/unmatched-lines/`: the agency's credit lines not matched yet, newest
  first, paged by `cursor`; needs `payments:read` (an official: accountant or leader).

Errors are the project's JSON body {code, message, fields}.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.actors import Actor, actor_from_request
from egov.core.api_auth import require_scope
from egov.core.api_query import CURSOR_PARAMETER, next_page_url, validated_query
from egov.core.keyset import CURSOR_PARAM, keyset_page
from egov.core.middleware import allow_request_bytes
from egov.core.parsers import MultiPartParser
from egov.core.scoping import visible_to
from egov.org.models import Agency

from ..models import LineStatus, StatementImport, StatementLine
from ..scopes import may_see_evidence
from ..services import statements as service

MB = 1024 * 1024
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class StatementImportSerializer(serializers.ModelSerializer[StatementImport]):
    skipped = serializers.SerializerMethodField(
        help_text="Dòng đã nhập ở sao kê trước, bỏ qua lần này"
    )

    class Meta:
        model = StatementImport
        fields = [
            "id",
            "filename",
            "file_format",
            "sha256",
            "uploaded_at",
            "line_count",
            "matched_count",
            "skipped",
        ]

    def get_skipped(self, obj: StatementImport) -> int:
        return int(getattr(obj, "skipped", 0))


class StatementLineSerializer(serializers.ModelSerializer[StatementLine]):
    class Meta:
        model = StatementLine
        fields = [
            "id",
            "statement",
            "booked_at",
            "amount",
            "description",
            "counterparty",
            "bank_reference",
            "status",
            "note",
        ]


LinePageSerializer = inline_serializer(
    "StatementLinePage",
    {
        "results": StatementLineSerializer(many=True),
        "next": serializers.URLField(allow_null=True),
    },
)


class StatementUpload(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="Sao kê CSV, XLSX hoặc CAMT.053 (XML)")


class LineQuery(serializers.Serializer[Any]):
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=f"Số dòng mỗi trang (mặc định {DEFAULT_LIMIT}, tối đa {MAX_LIMIT})",
    )


def _agency(actor: Actor) -> Agency:
    """The one agency whose statements the caller works on."""
    if len(actor.agency_ids) != 1:
        raise PermissionDenied("Tài khoản hoặc ứng dụng không gắn với một cơ quan.")
    (agency_id,) = actor.agency_ids
    return Agency.objects.get(pk=agency_id)


def _request_bytes() -> int:
    return service.max_statement_bytes() + MB


@allow_request_bytes(_request_bytes)
class StatementImports(APIView):
    permission_classes = [require_scope("payments:write")]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": StatementUpload},
        responses={201: StatementImportSerializer},
        operation_id="payments_statements_import",
        description="Nhập sao kê tài khoản nhận của cơ quan và đối chiếu tự động với các lần "
        "chuyển khoản VietQR. Tệp đã nhập: `statement_duplicate`; tệp không đọc được: "
        "`statement_invalid` (các lỗi trong `fields.file`).",
    )
    def post(self, request: Request) -> Response:
        actor = actor_from_request(request)
        agency = _agency(actor)
        form = StatementUpload(data=request.data)
        form.is_valid(raise_exception=True)
        imported = service.import_statement(
            actor=actor, agency=agency, upload=form.validated_data["file"]
        )
        return Response(StatementImportSerializer(imported).data, status=201)


class UnmatchedLines(APIView):
    permission_classes = [require_scope("payments:read")]

    @extend_schema(
        parameters=[LineQuery, CURSOR_PARAMETER],
        responses=LinePageSerializer,
        operation_id="payments_statements_unmatched_lines",
    )
    def get(self, request: Request) -> Response:
        actor = actor_from_request(request)
        if not may_see_evidence(actor):
            raise PermissionDenied("Chỉ kế toán và lãnh đạo cơ quan được xem sao kê.")
        agency = _agency(actor)
        query = validated_query(LineQuery, request)
        qs = visible_to(
            actor, StatementLine.objects.filter(agency=agency, status=LineStatus.UNMATCHED)
        )
        limit = min(query.get("limit") or DEFAULT_LIMIT, MAX_LIMIT)
        cursor = str(request.query_params.get(CURSOR_PARAM, ""))
        page, next_cursor = keyset_page(
            qs, "booked_at", cursor, limit, descending=True, strict=True
        )
        return Response(
            {
                "results": StatementLineSerializer(page, many=True).data,
                "next": next_page_url(request, next_cursor),
            }
        )


urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "payments/statements/",
        StatementImports.as_view(),
        name="api-payments-statements",
    ),
    path(
        "payments/statements/unmatched-lines/",
        UnmatchedLines.as_view(),
        name="api-payments-statements-unmatched",
    ),
]
