"""API: the payments the caller may see (routes in `urlpatterns`, collected by
payments/api/urls.py).

- `GET /api/v1/payments/`: newest first, keyset-paged by the `next` link; filters status,
  agency (its identifier), dossier, created and paid date ranges.
- `GET /api/v1/payments/<code>/`: one payment with its attempts, its receipt's links and its
  refunds.

Scope `payments:read`; who sees what is payments/scopes.py (the dossier's applicant, the
collecting agency's officials, operators, an API client its agency's). One the caller may not
see is not found.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import NoReverseMatch, URLPattern, URLResolver, path, reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.actors import actor_from_request
from egov.core.api_auth import require_scope
from egov.core.api_query import CURSOR_PARAMETER, MomentField, next_page_url, validated_query
from egov.core.keyset import CURSOR_PARAM, keyset_page
from egov.core.scoping import visible_to

from .. import converters  # noqa: F401  (payment_code in the routes)
from ..figures import provider_label
from ..models import Attempt, Payment, PaymentStatus, Receipt, Refund

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
READ = [require_scope("payments:read")]
STATUS_HELP = "Trạng thái: " + ", ".join(f"{v} ({label})" for v, label in PaymentStatus.choices)


# --- serializers (components prefixed "Payment": one schema for every app) -----------------------


class PaymentListItemSerializer(serializers.ModelSerializer[Payment]):
    dossier = serializers.CharField(source="dossier.code")
    agency = serializers.CharField(source="agency.identifier")
    status = serializers.CharField(help_text=STATUS_HELP)
    status_label = serializers.CharField(source="get_status_display")
    purpose_label = serializers.CharField(source="get_purpose_display")
    paid_provider_label = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "code",
            "dossier",
            "agency",
            "purpose",
            "purpose_label",
            "amount",
            "status",
            "status_label",
            "before_processing",
            "paid_at",
            "paid_provider",
            "paid_provider_label",
            "created_at",
            "version",
        ]

    def get_paid_provider_label(self, obj: Payment) -> str:
        return provider_label(obj.paid_provider) if obj.paid_provider else ""


class PaymentAttemptItemSerializer(serializers.ModelSerializer[Attempt]):
    provider_label = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = Attempt
        fields = [
            "reference",
            "provider",
            "provider_label",
            "amount",
            "status",
            "status_label",
            "provider_transaction",
            "failure",
            "created_at",
            "finished_at",
        ]

    def get_provider_label(self, obj: Attempt) -> str:
        return provider_label(obj.provider)


class PaymentReceiptLinkSerializer(serializers.Serializer[Receipt]):
    number = serializers.CharField(help_text="Ký hiệu và số biên lai")
    issued_at = serializers.DateTimeField()
    amount = serializers.IntegerField()
    status = serializers.CharField()
    page = serializers.CharField(allow_null=True, help_text="Trang biên lai")
    pdf = serializers.CharField(allow_null=True, help_text="Biên lai PDF có chữ ký số")
    xml = serializers.CharField(allow_null=True, help_text="Biên lai XML")


class PaymentRefundItemSerializer(serializers.ModelSerializer[Refund]):
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = Refund
        fields = [
            "id",
            "amount",
            "reason",
            "basis",
            "status",
            "status_label",
            "created_at",
            "decided_at",
            "paid_at",
            "version",
        ]


class PaymentDetailSerializer(PaymentListItemSerializer):
    lines = serializers.JSONField(help_text="Các khoản (tên, số tiền, số lượng, thành tiền)")
    attempts = serializers.SerializerMethodField()
    receipt = serializers.SerializerMethodField()
    refunds = serializers.SerializerMethodField()

    class Meta(PaymentListItemSerializer.Meta):
        fields = [*PaymentListItemSerializer.Meta.fields, "lines", "attempts", "receipt"]
        fields.append("refunds")

    @extend_schema_field(PaymentAttemptItemSerializer(many=True))
    def get_attempts(self, obj: Payment) -> list[dict[str, Any]]:
        rows = obj.attempts.order_by("-created_at", "-pk")[:50]
        return list(PaymentAttemptItemSerializer(rows, many=True).data)

    @extend_schema_field(PaymentReceiptLinkSerializer(allow_null=True))
    def get_receipt(self, obj: Payment) -> dict[str, Any] | None:
        receipt = Receipt.objects.filter(payment=obj).first()
        if receipt is None:
            return None
        request = self.context.get("request")
        return {
            "number": str(receipt),
            "issued_at": receipt.issued_at,
            "amount": receipt.amount,
            "status": receipt.status,
            "page": _link(request, "payments:receipt", receipt),
            "pdf": _link(request, "payments:receipt_pdf", receipt),
            "xml": _link(request, "payments:receipt_xml", receipt),
        }

    @extend_schema_field(PaymentRefundItemSerializer(many=True))
    def get_refunds(self, obj: Payment) -> list[dict[str, Any]]:
        rows = obj.refunds.order_by("created_at", "pk")
        return list(PaymentRefundItemSerializer(rows, many=True).data)


def _link(request: Any, name: str, receipt: Receipt) -> str | None:
    """The receipt's address, when this installation routes it (the receipts pages)."""
    try:
        url = reverse(name, kwargs={"uid": receipt.uid})
    except NoReverseMatch:
        return None
    return request.build_absolute_uri(url) if request is not None else url


class PaymentPageSerializer(serializers.Serializer[Any]):
    results = PaymentListItemSerializer(many=True)
    next = serializers.URLField(allow_null=True)


class PaymentQuery(serializers.Serializer[Any]):
    status = serializers.ChoiceField(PaymentStatus.choices, required=False, help_text=STATUS_HELP)
    agency = serializers.CharField(
        required=False, max_length=40, help_text="Mã định danh cơ quan thu, ví dụ 000.00.00.H41"
    )
    dossier = serializers.CharField(required=False, max_length=40, help_text="Mã hồ sơ")
    since = MomentField(required=False, help_text="Mở từ thời điểm (không múi giờ: giờ Việt Nam)")
    until = MomentField(required=False, help_text="Mở trước thời điểm")
    paid_since = MomentField(required=False, help_text="Thanh toán từ thời điểm")
    paid_until = MomentField(required=False, help_text="Thanh toán trước thời điểm")
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=f"Số khoản mỗi trang (mặc định {DEFAULT_LIMIT}; lớn hơn {MAX_LIMIT} thì lấy "
        f"{MAX_LIMIT})",
    )


# --- views -------------------------------------------------------------------------------------


class PaymentList(APIView):
    """Payments the caller may see, newest first."""

    permission_classes = READ

    @extend_schema(
        operation_id="payments_list",
        parameters=[PaymentQuery, CURSOR_PARAMETER],
        responses=PaymentPageSerializer,
        tags=["payments"],
    )
    def get(self, request: Request) -> Response:
        query = validated_query(PaymentQuery, request)
        qs = visible_to(
            actor_from_request(request), Payment.objects.select_related("dossier", "agency")
        )
        if query.get("status"):
            qs = qs.filter(status=query["status"])
        if query.get("agency"):
            qs = qs.filter(agency__identifier=query["agency"].strip().upper())
        if query.get("dossier"):
            qs = qs.filter(dossier__code=query["dossier"].strip())
        for name, lookup in (
            ("since", "created_at__gte"),
            ("until", "created_at__lt"),
            ("paid_since", "paid_at__gte"),
            ("paid_until", "paid_at__lt"),
        ):
            if query.get(name):
                qs = qs.filter(**{lookup: query[name]})
        limit = min(query.get("limit") or DEFAULT_LIMIT, MAX_LIMIT)
        cursor = str(request.query_params.get(CURSOR_PARAM, ""))
        page, next_cursor = keyset_page(
            qs, "created_at", cursor, limit, descending=True, strict=True
        )
        return Response(
            {
                "results": PaymentListItemSerializer(page, many=True).data,
                "next": next_page_url(request, next_cursor),
            }
        )


def payment_for(request: Request, code: str) -> Payment:
    found = (
        visible_to(actor_from_request(request), Payment.objects.select_related("dossier", "agency"))
        .filter(code=code)
        .first()
    )
    if found is None:
        raise Http404
    return found


class PaymentDetail(APIView):
    """One payment: its lines, attempts, receipt links and refunds."""

    permission_classes = READ

    @extend_schema(
        operation_id="payments_read", responses=PaymentDetailSerializer, tags=["payments"]
    )
    def get(self, request: Request, code: str) -> Response:
        payment = payment_for(request, code)
        return Response(PaymentDetailSerializer(payment, context={"request": request}).data)


urlpatterns: list[URLPattern | URLResolver] = [
    path("payments/", PaymentList.as_view(), name="api-payment-list"),
    path("payments/<payment_code:code>/", PaymentDetail.as_view(), name="api-payment-detail"),
]
