"""API: accounting (routes in `urlpatterns`, collected by payments/api/urls.py).

- Refunds: `GET/POST /api/v1/refunds/` (list the caller's agency's, newest first, keyset-paged;
  ask for one), `GET /api/v1/refunds/<id>/`, `POST .../approve/`, `.../reject/` (the agency's
  leader), `.../complete/` (the accountant, once paid out). Reading needs `payments:read`,
  acting `payments:write` and a signed-in official with the role: the payment case type refuses
  machine clients. Each action takes the `version` the caller saw (`stale_version` otherwise).
- `GET /api/v1/payments/reconciliation/daily/?agency=&day=&provider=`: the daily
  reconciliation (reconciliation.py) as JSON, for the agency's accountants and leaders,
  operators, and API clients with `payments:read` of that agency.

Refusals use the common error body `{code, message, fields}`; nothing changes on a refusal.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.actors import Actor, actor_from_request
from egov.core.api_auth import require_scope
from egov.core.api_query import (
    CURSOR_PARAMETER,
    MAX_YEAR,
    MIN_YEAR,
    next_page_url,
    validated_query,
)
from egov.core.error_codes import CoreErrorCode
from egov.core.errors import DomainError, NotAllowed
from egov.core.ids import MAX_ID, parse_id
from egov.core.keyset import CURSOR_PARAM, keyset_page
from egov.core.parsers import FormParser, JSONParser
from egov.core.scoping import visible_to
from egov.org.models import Agency, Role

from .. import reconciliation
from ..models import Refund, RefundStatus
from ..scopes import may_see_evidence
from ..services import refunds as svc

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
READ = [require_scope("payments:read")]
WRITE = [require_scope("payments:write")]
REFUND_STATUS_HELP = "Trạng thái: " + ", ".join(
    f"{v} ({label})" for v, label in RefundStatus.choices
)


# --- refunds -------------------------------------------------------------------------------------


class PaymentRefundSerializer(serializers.ModelSerializer[Refund]):
    payment = serializers.CharField(source="payment.code")
    dossier = serializers.CharField(source="payment.dossier.code")
    agency = serializers.CharField(source="payment.agency.identifier")
    status = serializers.CharField(help_text=REFUND_STATUS_HELP)
    status_label = serializers.CharField(source="get_status_display")
    requested_by = serializers.SerializerMethodField(help_text="Trống: hệ thống tự đề nghị")
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = Refund
        fields = [
            "id",
            "payment",
            "dossier",
            "agency",
            "amount",
            "reason",
            "basis",
            "status",
            "status_label",
            "requested_by",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "paid_at",
            "payout_reference",
            "version",
        ]

    def get_requested_by(self, obj: Refund) -> str:
        return obj.requested_by.username if obj.requested_by else ""

    def get_decided_by(self, obj: Refund) -> str:
        return obj.decided_by.username if obj.decided_by else ""


class PaymentRefundPageSerializer(serializers.Serializer[Any]):
    results = PaymentRefundSerializer(many=True)
    next = serializers.URLField(allow_null=True)


VERSION = serializers.IntegerField(
    required=False, min_value=1, max_value=MAX_ID, help_text="Phiên bản đã xem"
)


class PaymentRefundRequestSerializer(serializers.Serializer[Any]):
    payment = serializers.CharField(max_length=40, help_text="Mã khoản thanh toán")
    amount = serializers.IntegerField(min_value=1, max_value=10**15, help_text="Số tiền (đồng)")
    reason = serializers.CharField(max_length=svc.MAX_REASON)
    basis = serializers.CharField(
        max_length=svc.MAX_BASIS,
        required=False,
        allow_blank=True,
        help_text="Căn cứ; để trống: căn cứ của quy định hoàn trả áp dụng",
    )
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Phiên bản khoản thanh toán"
    )


class PaymentRefundNoteSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(
        max_length=svc.MAX_NOTE,
        required=False,
        allow_blank=True,
        help_text="Ý kiến (bắt buộc khi không phê duyệt)",
    )
    version = VERSION


class PaymentRefundPayoutSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField(
        max_length=svc.MAX_REFERENCE,
        required=False,
        allow_blank=True,
        help_text="Chứng từ chi trả (ủy nhiệm chi, phiếu chi)",
    )
    version = VERSION


class PaymentRefundQuery(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        RefundStatus.choices, required=False, help_text=REFUND_STATUS_HELP
    )
    agency = serializers.CharField(required=False, max_length=40, help_text="Mã định danh cơ quan")
    payment = serializers.CharField(required=False, max_length=40, help_text="Mã khoản thanh toán")
    limit = serializers.IntegerField(required=False, min_value=1)


def _valid(serializer_class: type[serializers.Serializer[Any]], request: Request) -> Any:
    form = serializer_class(data=request.data)
    form.is_valid(raise_exception=True)
    return form.validated_data


def _rows() -> Any:
    return Refund.objects.select_related(
        "payment__dossier", "payment__agency", "requested_by", "decided_by"
    )


def _refunds(actor: Actor) -> Any:
    return visible_to(actor, _rows())


def _refund(request: Request, pk: Any) -> Refund:
    checked = parse_id(pk)
    found = _refunds(actor_from_request(request)).filter(pk=checked).first() if checked else None
    if found is None:
        raise Http404
    return found


def _fresh(refund: Refund) -> Response:
    """The refund as it is now (after the action), for the caller who just saw it."""
    return Response(PaymentRefundSerializer(_rows().get(pk=refund.pk)).data)


class RefundList(APIView):
    parser_classes = [JSONParser, FormParser]

    def get_permissions(self) -> list[Any]:
        return [p() for p in (READ if self.request.method == "GET" else WRITE)]

    @extend_schema(
        operation_id="payments_refunds_list",
        parameters=[PaymentRefundQuery, CURSOR_PARAMETER],
        responses=PaymentRefundPageSerializer,
        tags=["payments"],
    )
    def get(self, request: Request) -> Response:
        query = validated_query(PaymentRefundQuery, request)
        qs = _refunds(actor_from_request(request))
        if query.get("status"):
            qs = qs.filter(status=query["status"])
        if query.get("agency"):
            qs = qs.filter(payment__agency__identifier=query["agency"].strip().upper())
        if query.get("payment"):
            qs = qs.filter(payment__code=query["payment"].strip())
        limit = min(query.get("limit") or DEFAULT_LIMIT, MAX_LIMIT)
        cursor = str(request.query_params.get(CURSOR_PARAM, ""))
        page, next_cursor = keyset_page(
            qs, "created_at", cursor, limit, descending=True, strict=True
        )
        return Response(
            {
                "results": PaymentRefundSerializer(page, many=True).data,
                "next": next_page_url(request, next_cursor),
            }
        )

    @extend_schema(
        operation_id="payments_refunds_request",
        request=PaymentRefundRequestSerializer,
        responses={201: PaymentRefundSerializer},
        tags=["payments"],
        description="Kế toán hoặc cán bộ Một cửa của cơ quan thu đề nghị hoàn trả một khoản đã "
        "thu của hồ sơ bị từ chối, rút hoặc dừng xử lý, khi quy định hoàn trả cho phép.",
    )
    def post(self, request: Request) -> Response:
        data = _valid(PaymentRefundRequestSerializer, request)
        refund = svc.request_refund(
            actor=actor_from_request(request),
            payment=data["payment"],
            amount=data["amount"],
            reason=data["reason"],
            basis=data.get("basis", ""),
            version=data.get("version"),
        )
        response = _fresh(refund)
        response.status_code = 201
        return response


class RefundDetail(APIView):
    permission_classes = READ

    @extend_schema(
        operation_id="payments_refunds_read", responses=PaymentRefundSerializer, tags=["payments"]
    )
    def get(self, request: Request, pk: int) -> Response:
        return _fresh(_refund(request, pk))


class RefundAction(APIView):
    permission_classes = WRITE
    parser_classes = [JSONParser, FormParser]
    action = ""

    def post(self, request: Request, pk: int) -> Response:
        actor = actor_from_request(request)
        refund = _refund(request, pk)
        if self.action == "complete":
            data = _valid(PaymentRefundPayoutSerializer, request)
            svc.complete(
                actor=actor,
                refund=refund,
                reference=data.get("reference", ""),
                version=data.get("version"),
            )
        else:
            data = _valid(PaymentRefundNoteSerializer, request)
            decide = svc.approve if self.action == "approve" else svc.reject
            decide(
                actor=actor, refund=refund, note=data.get("note", ""), version=data.get("version")
            )
        return _fresh(refund)


class RefundApprove(RefundAction):
    action = "approve"

    @extend_schema(
        operation_id="payments_refunds_approve",
        request=PaymentRefundNoteSerializer,
        responses=PaymentRefundSerializer,
        tags=["payments"],
        description="Lãnh đạo cơ quan phê duyệt (không phải người đề nghị).",
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class RefundReject(RefundAction):
    action = "reject"

    @extend_schema(
        operation_id="payments_refunds_reject",
        request=PaymentRefundNoteSerializer,
        responses=PaymentRefundSerializer,
        tags=["payments"],
        description="Lãnh đạo cơ quan không phê duyệt, nêu lý do.",
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class RefundComplete(RefundAction):
    action = "complete"

    @extend_schema(
        operation_id="payments_refunds_complete",
        request=PaymentRefundPayoutSerializer,
        responses=PaymentRefundSerializer,
        tags=["payments"],
        description="Kế toán xác nhận đã chi trả khoản hoàn trả đã được phê duyệt.",
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


# --- reconciliation ------------------------------------------------------------------------------


class PaymentReconciliationMoneySerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    amount = serializers.IntegerField(help_text="đồng")


MONEY = PaymentReconciliationMoneySerializer


class PaymentReconciliationProviderSerializer(serializers.Serializer[Any]):
    provider = serializers.CharField()
    provider_label = serializers.CharField()
    online = serializers.BooleanField()
    started = MONEY(help_text="Lần thanh toán khởi tạo trong ngày")
    waiting = MONEY(help_text="Trong số đó, còn chờ")
    not_expected = MONEY(help_text="Trong số đó, không thành công hoặc đã hủy")
    confirmed = MONEY(help_text="Khoản đã thanh toán trong ngày")
    matched = MONEY(allow_null=True, help_text="Có chứng từ của đơn vị thanh toán; null: tiền mặt")
    unmatched = MONEY(help_text="Đã xác nhận, chưa có chứng từ đối chiếu")
    refunds = MONEY(help_text="Hoàn trả đã chi trong ngày")
    net_amount = serializers.IntegerField()


class PaymentReconciliationConfirmedSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    dossier = serializers.CharField()
    provider = serializers.CharField()
    amount = serializers.IntegerField()
    paid_at = serializers.DateTimeField()
    attempt = serializers.CharField()
    provider_transaction = serializers.CharField()
    evidence = serializers.CharField(help_text="statement, callback, desk hoặc trống")
    matched = serializers.BooleanField(allow_null=True)
    receipt = serializers.CharField()


class PaymentReconciliationBankLineSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    booked_at = serializers.DateTimeField()
    amount = serializers.IntegerField()
    description = serializers.CharField()
    counterparty = serializers.CharField()
    bank_reference = serializers.CharField()
    statement = serializers.CharField()


class PaymentReconciliationCallbackSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    provider = serializers.CharField()
    reason_code = serializers.CharField()
    reason = serializers.CharField()
    attempt = serializers.CharField()
    payment = serializers.CharField()
    expected_amount = serializers.IntegerField(allow_null=True)
    claimed_amount = serializers.IntegerField(allow_null=True)
    amount_mismatch = serializers.BooleanField()


class PaymentReconciliationRefundSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    payment = serializers.CharField()
    dossier = serializers.CharField()
    provider = serializers.CharField()
    amount = serializers.IntegerField()
    paid_at = serializers.DateTimeField()
    reference = serializers.CharField()


class PaymentReconciliationReportSerializer(serializers.Serializer[Any]):
    agency = serializers.CharField()
    agency_name = serializers.CharField()
    day = serializers.DateField()
    provider = serializers.CharField(allow_null=True)
    opened = MONEY(help_text="Khoản phải nộp phát sinh trong ngày")
    providers = PaymentReconciliationProviderSerializer(many=True)
    totals = PaymentReconciliationProviderSerializer()
    has_differences = serializers.BooleanField()
    confirmed = PaymentReconciliationConfirmedSerializer(many=True)
    unmatched_lines = PaymentReconciliationBankLineSerializer(many=True)
    unmatched_lines_total = MONEY()
    refused_callbacks = PaymentReconciliationCallbackSerializer(many=True)
    refunds = PaymentReconciliationRefundSerializer(many=True)
    truncated = serializers.BooleanField(help_text="Danh sách bị cắt (quá 2.000 dòng)")


class PaymentReconciliationQuery(serializers.Serializer[Any]):
    agency = serializers.CharField(
        required=False,
        max_length=40,
        help_text="Mã định danh cơ quan (mặc định: cơ quan của người gọi)",
    )
    day = serializers.DateField(required=False, help_text="Ngày (YYYY-MM-DD), mặc định hôm nay")
    provider = serializers.CharField(required=False, max_length=20, help_text="Hình thức")

    def validate_day(self, value: Any) -> Any:
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise serializers.ValidationError(f"Năm từ {MIN_YEAR} đến {MAX_YEAR}.")
        return value


def reconciliation_agency(actor: Actor, identifier: str | None) -> Agency:
    """The agency whose day the actor may read: operators any; the agency's accountants and
    leaders, and API clients with payments:read, their own. Another agency's identifier is
    answered as an unknown one (400 on the `agency` parameter: it never tells it exists)."""
    if not may_see_evidence(actor):
        raise NotAllowed("Chỉ kế toán, lãnh đạo cơ quan và quản trị hệ thống được xem đối soát.")
    if actor.kind == "official" and not ({Role.ACCOUNTANT, Role.LEADER} & actor.roles):
        raise NotAllowed("Chỉ kế toán, lãnh đạo cơ quan và quản trị hệ thống được xem đối soát.")
    if identifier:
        agency = Agency.objects.filter(identifier=identifier.strip().upper()).first()
    elif len(actor.agency_ids) == 1:
        agency = Agency.objects.filter(pk=next(iter(actor.agency_ids))).first()
    else:
        agency = None
    if agency is None or not (actor.is_operator or agency.pk in actor.agency_ids):
        raise DomainError(
            "Không tìm thấy cơ quan.",
            code=CoreErrorCode.INVALID,
            fields={"agency": ["Không có cơ quan này trong phạm vi được xem."]},
        )
    return agency


class Reconciliation(APIView):
    permission_classes = READ

    @extend_schema(
        operation_id="payments_reconciliation_daily",
        parameters=[PaymentReconciliationQuery],
        responses=PaymentReconciliationReportSerializer,
        tags=["payments"],
        description="Đối soát thanh toán một ngày (giờ Việt Nam) của một cơ quan, theo hình "
        "thức thanh toán: khởi tạo, đã xác nhận, đã đối chiếu, hoàn trả, chênh lệch; các dòng "
        "sao kê chưa khớp và thông báo thanh toán bị từ chối.",
    )
    def get(self, request: Request) -> Response:
        query = validated_query(PaymentReconciliationQuery, request)
        agency = reconciliation_agency(actor_from_request(request), query.get("agency"))
        report = reconciliation.daily(
            agency=agency,
            day=query.get("day") or timezone.localdate(),
            provider=query.get("provider") or None,
        )
        return Response(report.as_dict())


urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "payments/reconciliation/daily/",
        Reconciliation.as_view(),
        name="api-payment-reconciliation",
    ),
    path("refunds/", RefundList.as_view(), name="api-payment-refund-list"),
    path("refunds/<int:pk>/", RefundDetail.as_view(), name="api-payment-refund-detail"),
    path("refunds/<int:pk>/approve/", RefundApprove.as_view(), name="api-payment-refund-approve"),
    path("refunds/<int:pk>/reject/", RefundReject.as_view(), name="api-payment-refund-reject"),
    path(
        "refunds/<int:pk>/complete/", RefundComplete.as_view(), name="api-payment-refund-complete"
    ),
]
