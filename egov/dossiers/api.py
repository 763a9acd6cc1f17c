"""Dossier API for applicants (submit, list, detail, rate) and public tracking. The supplement
answer is a one-stop action: its endpoint is in onestop/api.py, at the same address."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.actors import actor_from_request
from egov.core.api_auth import IsAuthenticatedActor, require_scope
from egov.core.api_errors import api_message, error_body
from egov.core.api_fast import json_response
from egov.core.error_codes import CoreErrorCode
from egov.core.parsers import FormParser, JSONParser, MultiPartParser
from egov.core.ratelimit import allow_lookup
from egov.core.scoping import visible_to

from . import lookup, services
from .fees import parse_exemptions, parse_requested
from .formschema import parse_form_data
from .models import Channel, Dossier, PaymentState, ResultDelivery, Status
from .pdf import receipt_pdf


class DossierSerializer(serializers.Serializer[Dossier]):
    """Declared fields rather than a ModelSerializer: the public lookup serialises one dossier per
    request, and a ModelSerializer rebuilds its fields from the model on every instantiation."""

    code = serializers.CharField(read_only=True)
    procedure_code = serializers.CharField(source="procedure.code", read_only=True)
    procedure_name = serializers.CharField(source="procedure.name", read_only=True)
    agency = serializers.CharField(source="agency.identifier", read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    applicant_name = serializers.CharField(read_only=True)
    submitted_at = serializers.DateTimeField(read_only=True)
    received_at = serializers.DateTimeField(read_only=True, allow_null=True)
    appointment_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Ngày hẹn trả theo quy định"
    )
    promised_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Ngày hẹn lại theo phiếu xin lỗi (mẫu 04)"
    )
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)
    returned_at = serializers.DateTimeField(read_only=True, allow_null=True)
    fee_total = serializers.IntegerField(
        read_only=True, help_text="Tổng phí, lệ phí (đồng): các khoản bắt buộc và khoản đã yêu cầu"
    )
    result_delivery = serializers.ChoiceField(choices=ResultDelivery.choices, read_only=True)
    payment_state = serializers.ChoiceField(
        choices=PaymentState.choices,
        read_only=True,
        help_text="Tình trạng thanh toán phí, lệ phí: '' không phải nộp, due chưa thanh toán, "
        "paid đã thanh toán, exempt được miễn, refunded đã hoàn trả",
    )


class TimelineSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    event_type = serializers.CharField()
    title = serializers.CharField()
    actor = serializers.CharField()
    status = serializers.IntegerField(allow_null=True)
    detail = serializers.CharField()


class DossierDetailSerializer(DossierSerializer):
    timeline = serializers.SerializerMethodField()

    @extend_schema_field(TimelineSerializer(many=True))
    def get_timeline(self, obj: Dossier) -> list[dict[str, Any]]:
        request = self.context.get("request")
        official = getattr(getattr(request, "user", None), "kind", "") in ("official", "operator")
        entries = services.timeline(obj, for_applicant=not official)
        return [dict(row) for row in TimelineSerializer(entries, many=True).data]


def applicant_of(request: Request) -> Any:
    user = request.user
    if getattr(user, "kind", "") not in ("citizen", "business"):
        raise PermissionDenied("Chỉ công dân, tổ chức, doanh nghiệp được nộp hồ sơ trực tuyến.")
    return user


class DossierListCreate(APIView):
    permission_classes = [require_scope("dossiers:read")]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses=DossierSerializer(many=True))
    def get(self, request: Request) -> Response:
        qs = visible_to(
            actor_from_request(request), Dossier.objects.select_related("procedure", "agency")
        ).order_by("-submitted_at")[:200]
        return Response(DossierSerializer(qs, many=True).data)  # type: ignore[arg-type]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "DossierSubmission",
                {
                    "procedure": serializers.CharField(help_text="Mã thủ tục"),
                    "agency": serializers.CharField(help_text="Mã định danh cơ quan tiếp nhận"),
                    "form_data": serializers.CharField(
                        required=False,
                        help_text='JSON: {"<mã thành phần>": {"<trường>": "giá trị"}}',
                    ),
                    "result_delivery": serializers.ChoiceField(choices=ResultDelivery.choices),
                    "delivery_address": serializers.CharField(required=False),
                    "chain": serializers.CharField(
                        required=False, help_text="Mã nhóm thủ tục liên thông (tùy chọn)"
                    ),
                    "fees": serializers.CharField(
                        required=False,
                        help_text='JSON: {"<id khoản phí>": <số lượng>} — các khoản phí chỉ '
                        "thu khi người nộp yêu cầu (optional) mà người nộp yêu cầu, và số "
                        "lượng với khoản thu theo đơn vị (unit). Khoản không ghi: không yêu cầu.",
                    ),
                    "exemptions": serializers.CharField(
                        required=False,
                        help_text='JSON: {"<id khoản phí>": <id đối tượng miễn, giảm>} — đối '
                        "tượng được miễn, giảm người nộp khai cho khoản thu (exemptions của "
                        "khoản phí trong thủ tục); kèm giấy tờ chứng minh ở proof__<id khoản phí>.",
                    ),
                    "file__<component code>": serializers.FileField(
                        required=False, help_text="Một hoặc nhiều tệp cho mỗi thành phần hồ sơ"
                    ),
                    "proof__<fee id>": serializers.FileField(
                        required=False,
                        help_text="Giấy tờ chứng minh miễn, giảm cho khoản phí (bắt buộc khi khai)",
                    ),
                    "identity_prefill": serializers.BooleanField(
                        required=False,
                        help_text="Người nộp đồng ý dùng thông tin đã xác thực qua định danh "
                        "điện tử (VNeID): các trường có nguồn “prefill” được điền từ thông tin "
                        "đó khi để trống và được ghi nhận là đã xác thực; gửi giá trị khác thông "
                        "tin đã xác thực: lỗi submission_invalid (400), trường đó nêu trong "
                        "fields.",
                    ),
                },
            )
        },
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Gửi lại cùng khóa chỉ tạo một hồ sơ",
            )
        ],
        responses={
            201: DossierSerializer,
            403: OpenApiResponse(
                description="Không có quyền; hoặc thủ tục yêu cầu tài khoản định danh điện tử "
                "mức độ cao hơn tài khoản đang có (`identity_level_required`, xem "
                "`min_identity_level` của thủ tục)"
            ),
        },
    )
    def post(self, request: Request) -> Response:
        user = applicant_of(request)
        if not actor_from_request(request).has_scope("dossiers:write"):
            raise PermissionDenied()
        data: Any = request.data
        form_data = parse_form_data(data.get("form_data"))
        uploads = {
            key.split("__", 1)[1]: request.FILES.getlist(key)
            for key in request.FILES
            if key.startswith("file__")
        }
        submission = services.Submission(
            procedure_code=str(data.get("procedure", "")),
            agency_identifier=str(data.get("agency", "")),
            form_data=form_data,
            uploads=uploads,
            result_delivery=str(data.get("result_delivery", "")),
            delivery_address=str(data.get("delivery_address", "")),
            idempotency_key=request.headers.get("Idempotency-Key") or None,
            chain=str(data.get("chain", "")) or None,
            fees=parse_requested(data.get("fees")),
            exemptions=parse_exemptions(data.get("exemptions")),
            exemption_proofs={
                key.split("__", 1)[1]: request.FILES.getlist(key)
                for key in request.FILES
                if key.startswith("proof__")
            },
            identity_prefill=str(data.get("identity_prefill", "")).strip().lower()
            in ("1", "true", "on", "yes"),
        )
        dossier = services.submit_online(user=user, submission=submission)
        body = dict(DossierSerializer(dossier).data)
        body["receipt_url"] = request.build_absolute_uri(
            reverse("api-dossier-receipt", args=[dossier.code])
        )
        return Response(body, status=status.HTTP_201_CREATED)


class DossierDetail(generics.RetrieveAPIView[Dossier]):
    serializer_class = DossierDetailSerializer
    permission_classes = [require_scope("dossiers:read")]
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Dossier]:
        return visible_to(
            actor_from_request(self.request), Dossier.objects.select_related("procedure", "agency")
        )


class DossierReceipt(APIView):
    permission_classes = [require_scope("dossiers:read")]

    @extend_schema(responses={(200, "application/pdf"): bytes})
    def get(self, request: Request, code: str) -> HttpResponse:
        qs = visible_to(actor_from_request(request), Dossier.objects.all())
        dossier = get_object_or_404(qs, code=code)
        url = request.build_absolute_uri(reverse("portal:lookup") + f"?code={dossier.code}")
        response = HttpResponse(
            receipt_pdf(dossier, tracking_url=url), content_type="application/pdf"
        )
        response["Cache-Control"] = "private, no-store"  # rendered afresh: never a stale copy
        return response


class RatingSerializer(serializers.Serializer[Any]):
    level = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RatingView(APIView):
    permission_classes = [IsAuthenticatedActor]

    @extend_schema(request=RatingSerializer, responses={201: RatingSerializer})
    def post(self, request: Request, code: str) -> Response:
        user = applicant_of(request)
        qs = visible_to(actor_from_request(request), Dossier.objects.all())
        dossier = get_object_or_404(qs, code=code)
        data = RatingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = services.rate(user=user, dossier=dossier, **data.validated_data)
        return Response(
            {"level": rating.level, "comment": rating.comment}, status=status.HTTP_201_CREATED
        )


class TrackingRequest(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=40)
    second_factor = serializers.CharField(
        max_length=20, help_text="Số định danh, mã số thuế hoặc số điện thoại của chủ hồ sơ"
    )


NOT_FOUND_BODY = {
    "code": "not_found",
    "fields": {},
    "message": "Không tìm thấy hồ sơ khớp với thông tin đã nhập.",
}


class TrackingView(APIView):
    """Public lookup by dossier code plus a second factor; rate-limited per address."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # The usual request (a small JSON body of two short texts, JSON accepted) is answered
        # here with the bytes DRF would write; DRF's request wrapping, negotiation and rendering
        # were a fifth of the lookup's CPU (issue #19). Anything else goes through DRF as before.
        answer = _fast_tracking(request, self)
        return answer if answer is not None else super().dispatch(request, *args, **kwargs)

    @extend_schema(
        request=TrackingRequest,
        responses={
            200: DossierDetailSerializer,
            404: OpenApiResponse(description="Không có hồ sơ khớp mã và thông tin chủ hồ sơ"),
            429: OpenApiResponse(description="Tra cứu quá nhiều lần từ một địa chỉ (`throttled`)"),
        },
    )
    def post(self, request: Request) -> Response:
        if not allow_lookup(request):
            raise Throttled(wait=60)
        given = request.data
        fields = _lookup_fields(given)
        if fields is None:
            # Anything but two short texts: the serializer says what is wrong, as everywhere.
            data = TrackingRequest(data=given)
            data.is_valid(raise_exception=True)
            fields = data.validated_data["code"], data.validated_data["second_factor"]
        body = lookup.tracking_body(*fields)
        if body is None:
            return Response(NOT_FOUND_BODY, status=status.HTTP_404_NOT_FOUND)
        return Response(body)


def _fast_tracking(request: Any, view: APIView) -> HttpResponse | None:
    if request.method != "POST" or request.content_type != "application/json":
        return None
    accept = request.headers.get("Accept", "*/*")
    if "application/json" not in accept and "*/*" not in accept:
        return None
    if int(request.META.get("CONTENT_LENGTH") or 0) > 1024:
        return None
    try:
        given = json.loads(request.body)
    except ValueError:
        return None
    fields = _lookup_fields(given)
    if fields is None:
        return None
    # NFC, as the API's parsers leave every string (egov.core.parsers); a text only NFC brings
    # under its bound was sent to DRF above, which answers it the same way.
    code, secret = (unicodedata.normalize("NFC", f) for f in fields)
    if not allow_lookup(request):
        response = json_response(
            error_body(CoreErrorCode.THROTTLED, api_message(CoreErrorCode.THROTTLED)),
            view,
            status.HTTP_429_TOO_MANY_REQUESTS,
        )
        response["Retry-After"] = "60"
        return response
    body = lookup.tracking_body(code, secret)
    if body is None:
        return json_response(NOT_FOUND_BODY, view, status.HTTP_404_NOT_FOUND)
    return json_response(body, view)


def _lookup_fields(given: Any) -> tuple[str, str] | None:
    """(code, second factor) trimmed, when `given` holds them as two short texts (what
    TrackingRequest accepts without a word); None for anything the serializer must judge."""
    if not isinstance(given, dict):
        return None
    code, secret = given.get("code"), given.get("second_factor")
    if not (isinstance(code, str) and isinstance(secret, str)):
        return None
    if not (_short_text(code, 40) and _short_text(secret, 20)):
        return None
    return code.strip(), secret.strip()


def _short_text(value: str, limit: int) -> bool:
    return 0 < len(value.strip()) <= limit and len(value) <= limit


urlpatterns = [
    path("dossiers/", DossierListCreate.as_view(), name="api-dossier-list"),
    path("dossiers/<str:code>/", DossierDetail.as_view(), name="api-dossier-detail"),
    path("dossiers/<str:code>/receipt.pdf", DossierReceipt.as_view(), name="api-dossier-receipt"),
    path("dossiers/<str:code>/rating/", RatingView.as_view(), name="api-dossier-rating"),
    path("tracking/", TrackingView.as_view(), name="api-tracking"),
]
