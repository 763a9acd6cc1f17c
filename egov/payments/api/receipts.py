"""API: receipts (routes in `urlpatterns`, collected by payments/api/urls.py).

GET payments/<code>/receipt/          the receipt's metadata and every printed field
GET payments/<code>/receipt/pdf/      the signed PDF
GET payments/<code>/receipt/xml/      the signed XML

Reading needs `payments:read`; an API client sees its own agency's receipts, a signed-in user
those of the payments they may see (payments.scopes). A receipt not issued yet, or not visible,
is 404 with the common error body.
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from egov.core.actors import actor_from_request
from egov.core.api_auth import require_scope
from egov.core.scoping import visible_to

from ..downloads import file_response
from ..models import Receipt
from ..services import receipts as services


def _receipt(request: Request, code: str) -> Receipt:
    receipt = (
        visible_to(actor_from_request(request), Receipt.objects.select_related("payment"))
        .filter(payment__code=code)
        .first()
    )
    if receipt is None:
        raise Http404
    return receipt


class PaymentReceiptSerializer(serializers.ModelSerializer[Receipt]):
    payment = serializers.CharField(source="payment.code")
    number = serializers.SerializerMethodField()
    lookup_code = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    xml_url = serializers.SerializerMethodField()

    class Meta:
        model = Receipt
        fields = [
            "uid",
            "payment",
            "template",
            "series",
            "year",
            "number",
            "issued_at",
            "amount",
            "status",
            "lookup_code",
            "pdf_sha256",
            "xml_sha256",
            "pdf_url",
            "xml_url",
            "fields",
        ]

    def get_number(self, obj: Receipt) -> str:
        return services.number_text(obj.number)

    def get_lookup_code(self, obj: Receipt) -> str:
        return services.lookup_code_text(obj.lookup_code or "")

    def _url(self, name: str, obj: Receipt) -> str:
        return str(reverse(name, args=[obj.payment.code], request=self.context.get("request")))

    def get_pdf_url(self, obj: Receipt) -> str:
        return self._url("api-payment-receipt-pdf", obj)

    def get_xml_url(self, obj: Receipt) -> str:
        return self._url("api-payment-receipt-xml", obj)


class PaymentReceipt(APIView):
    permission_classes = [require_scope("payments:read")]

    @extend_schema(responses=PaymentReceiptSerializer, operation_id="payments_receipt")
    def get(self, request: Request, code: str) -> Response:
        receipt = _receipt(request, code)
        return Response(PaymentReceiptSerializer(receipt, context={"request": request}).data)


class PaymentReceiptPdf(APIView):
    permission_classes = [require_scope("payments:read")]

    @extend_schema(responses={(200, "application/pdf"): bytes}, operation_id="payments_receipt_pdf")
    def get(self, request: Request, code: str) -> FileResponse:
        receipt = _receipt(request, code)
        return file_response(receipt.pdf, services.download_name(receipt, "pdf"), "application/pdf")


class PaymentReceiptXml(APIView):
    permission_classes = [require_scope("payments:read")]

    @extend_schema(responses={(200, "application/xml"): bytes}, operation_id="payments_receipt_xml")
    def get(self, request: Request, code: str) -> FileResponse:
        receipt = _receipt(request, code)
        return file_response(receipt.xml, services.download_name(receipt, "xml"), "application/xml")


urlpatterns: list[URLPattern | URLResolver] = [
    path("payments/<str:code>/receipt/", PaymentReceipt.as_view(), name="api-payment-receipt"),
    path(
        "payments/<str:code>/receipt/pdf/",
        PaymentReceiptPdf.as_view(),
        name="api-payment-receipt-pdf",
    ),
    path(
        "payments/<str:code>/receipt/xml/",
        PaymentReceiptXml.as_view(),
        name="api-payment-receipt-xml",
    ),
]
