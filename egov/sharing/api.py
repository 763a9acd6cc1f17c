"""The sharing services' API (/api/v1/sharing/...): the catalogue, each service's OpenAPI
document, the four services and the message log (docs/sharing.md).

Every service view derives from `SharingView`: bearer tokens only, `access.ServiceAccess` (the
one check), and `dispatch` writes each exchange (refusals and errors included) to the message
log with the SHA-256 of the request and response bodies; the answer carries `X-Request-Id`.
"""

from __future__ import annotations

import hashlib
import uuid
from functools import cache
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.http.request import RawPostDataException
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.accounts.models import ApiClient
from egov.catalog.api import ProcedureDetail, ProcedureList
from egov.core.actors import actor_from_request
from egov.core.api_auth import ApiClientTokenAuthentication, IsAuthenticatedActor
from egov.dossiers.models import Dossier
from egov.onestop.models import SignedResult

from . import registry, scopes, selectors, services
from .access import ServiceAccess
from .models import MessageLogEntry

REQUEST_ID_HEADER = "X-Request-Id"


class SharingView(APIView):
    """Base of every sharing service endpoint (its `service_code` names the grant it needs)."""

    service_code: ClassVar[str] = ""
    authentication_classes = [ApiClientTokenAuthentication]
    permission_classes = [ServiceAccess]
    signature_verified = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        request_id = uuid.uuid4().hex
        try:
            body = request.body
        except RawPostDataException:
            body = b""
        status_code, content = 500, b""
        response: HttpResponseBase | None = None
        try:
            response = super().dispatch(request, *args, **kwargs)
            render = getattr(response, "render", None)
            if render is not None:
                render()
            status_code = response.status_code
            content = b"" if response.streaming else response.content  # type: ignore[attr-defined]
        finally:
            client = getattr(getattr(self, "request", None), "_auth", None)
            data = getattr(response, "data", None)
            outcome = str(data.get("code", "")) if isinstance(data, dict) else ""
            services.append_message(
                request_id=request_id,
                client=client if isinstance(client, ApiClient) else None,
                service=self.service_code,
                method=request.method or "",
                path=request.get_full_path(),
                status_code=status_code,
                outcome=outcome or ("ok" if status_code < 400 else "error"),
                signed=self.signature_verified,
                request_sha256=hashlib.sha256(body).hexdigest(),
                response_sha256=hashlib.sha256(content).hexdigest(),
            )
        response[REQUEST_ID_HEADER] = request_id
        return response


# --- dossier status -----------------------------------------------------------------------------


class SharingStepSerializer(serializers.Serializer[Any]):
    order = serializers.IntegerField()
    name = serializers.CharField()
    agency_name = serializers.CharField()
    status = serializers.CharField(help_text="pending, active, done, sent_back, cancelled")
    started_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class SharingDossierStatusSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    procedure_code = serializers.CharField()
    procedure_name = serializers.CharField()
    agency_identifier = serializers.CharField()
    agency_name = serializers.CharField()
    status = serializers.IntegerField(help_text="Mã trạng thái như Cổng Dịch vụ công quốc gia")
    status_label = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)
    appointment_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    steps = SharingStepSerializer(many=True)


class DossierStatusView(SharingView):
    """Tình trạng một hồ sơ theo mã (dịch vụ `dossier-status`): không có thông tin cá nhân."""

    service_code = registry.DOSSIER_STATUS.code

    @extend_schema(
        operation_id="sharing_dossier_status",
        responses={200: SharingDossierStatusSerializer},
        tags=["sharing: dossier-status"],
    )
    def get(self, request: Request, code: str) -> Response:
        dossier = get_object_or_404(
            Dossier.objects.select_related("procedure", "agency"), code=code[:40]
        )
        return Response(SharingDossierStatusSerializer(selectors.dossier_status(dossier)).data)


# --- procedures -----------------------------------------------------------------------------------


@extend_schema(tags=["sharing: procedures"])
class SharedProcedureList(SharingView, ProcedureList):
    """Danh mục thủ tục đã công bố (dịch vụ `procedures`)."""

    service_code = registry.PROCEDURES.code


@extend_schema(tags=["sharing: procedures"])
class SharedProcedureDetail(SharingView, ProcedureDetail):
    """Một thủ tục đã công bố (dịch vụ `procedures`)."""

    service_code = registry.PROCEDURES.code


# --- results for reuse --------------------------------------------------------------------------


class SharingResultQuery(serializers.Serializer[Any]):
    dossier_code = serializers.CharField(max_length=40)
    applicant_id_number = serializers.CharField(
        max_length=20, help_text="Số định danh của chủ hồ sơ, do người dân xuất trình"
    )


class SharingResultDownloadQuery(SharingResultQuery):
    result_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class SharingResultSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    file_name = serializers.CharField(source="file.original_name")
    content_type = serializers.CharField(source="file.content_type")
    size = serializers.IntegerField(source="file.size")
    sha256 = serializers.CharField(source="file.sha256")
    origin = serializers.CharField(
        source="source", help_text="approval: ký khi phê duyệt; upload: tệp đã ký số khi cập nhật"
    )
    signer_name = serializers.CharField()
    signer_position = serializers.CharField()
    sealed_by = serializers.CharField()
    certificate_serial = serializers.CharField()
    signed_at = serializers.DateTimeField()


class SharingResultListSerializer(serializers.Serializer[Any]):
    dossier_code = serializers.CharField()
    results = SharingResultSerializer(many=True)


def _result_dossier(data: dict[str, Any]) -> Dossier:
    qs = scopes.result_dossiers(
        Dossier.objects.all(), code=data["dossier_code"], id_number=data["applicant_id_number"]
    )
    return get_object_or_404(qs)


class ResultLookupView(SharingView):
    """Kết quả đã ký số của một hồ sơ (dịch vụ `results`): cần đúng mã hồ sơ và số định danh."""

    service_code = registry.RESULTS.code

    @extend_schema(
        operation_id="sharing_results_lookup",
        request=SharingResultQuery,
        responses={200: SharingResultListSerializer},
        tags=["sharing: results"],
    )
    def post(self, request: Request) -> Response:
        query = SharingResultQuery(data=request.data)
        query.is_valid(raise_exception=True)
        dossier = _result_dossier(query.validated_data)
        results = selectors.signed_results(dossier)
        return Response(
            SharingResultListSerializer({"dossier_code": dossier.code, "results": results}).data
        )


class ResultDownloadView(SharingView):
    """Tải tệp kết quả đã ký số (dịch vụ `results`)."""

    service_code = registry.RESULTS.code

    @extend_schema(
        operation_id="sharing_results_download",
        request=SharingResultDownloadQuery,
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="Tệp kết quả đã ký số (nguyên bản)"
            )
        },
        tags=["sharing: results"],
    )
    def post(self, request: Request) -> HttpResponse:
        query = SharingResultDownloadQuery(data=request.data)
        query.is_valid(raise_exception=True)
        dossier = _result_dossier(query.validated_data)
        result = get_object_or_404(
            SignedResult.objects.select_related("file"),
            dossier=dossier,
            pk=query.validated_data["result_id"],
        )
        with result.file.file.open("rb") as handle:
            content = handle.read()
        response = HttpResponse(content, content_type=result.file.content_type)
        response["Content-Disposition"] = f'attachment; filename="result-{result.pk}"'
        response["Digest-SHA256"] = result.file.sha256
        return response


# --- payment status -----------------------------------------------------------------------------


class SharingFeeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    amount = serializers.IntegerField(help_text="đồng")
    collected = serializers.CharField(
        help_text="HinhThucThu như bản ghi đồng bộ quốc gia: 1 khi tiếp nhận, 2 trong quá trình "
        "xử lý, 4 trước khi trả kết quả"
    )


class SharingPaymentStatusSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    payment_state = serializers.CharField(help_text="none, due, paid, exempt, refunded")
    payment_state_label = serializers.CharField()
    fee_total = serializers.IntegerField(help_text="đồng")
    amount_paid = serializers.IntegerField(help_text="đồng")
    paid_at = serializers.DateTimeField(allow_null=True)
    paid_online = serializers.BooleanField()
    fees = SharingFeeSerializer(many=True)


class PaymentStatusView(SharingView):
    """Tình trạng nộp phí, lệ phí của hồ sơ (dịch vụ `payment-status`): cơ quan của hồ sơ."""

    service_code = registry.PAYMENT_STATUS.code

    @extend_schema(
        operation_id="sharing_payment_status",
        responses={200: SharingPaymentStatusSerializer},
        tags=["sharing: payment-status"],
    )
    def get(self, request: Request, code: str) -> Response:
        client = request.auth
        assert isinstance(client, ApiClient)
        qs = scopes.payment_dossiers(client, Dossier.objects.select_related("procedure"))
        dossier = get_object_or_404(qs, code=code[:40])
        return Response(SharingPaymentStatusSerializer(selectors.payment_status(dossier)).data)


SERVICE_URLS: dict[str, list[URLPattern | URLResolver]] = {
    registry.DOSSIER_STATUS.code: [
        path(
            "dossier-status/<str:code>/",
            DossierStatusView.as_view(),
            name="sharing-dossier-status",
        ),
    ],
    registry.PROCEDURES.code: [
        path("procedures/", SharedProcedureList.as_view(), name="sharing-procedures"),
        path(
            "procedures/<str:code>/",
            SharedProcedureDetail.as_view(),
            name="sharing-procedure",
        ),
    ],
    registry.RESULTS.code: [
        path("results/lookup/", ResultLookupView.as_view(), name="sharing-results-lookup"),
        path("results/download/", ResultDownloadView.as_view(), name="sharing-results-download"),
    ],
    registry.PAYMENT_STATUS.code: [
        path(
            "payment-status/<str:code>/",
            PaymentStatusView.as_view(),
            name="sharing-payment-status",
        ),
    ],
}


# --- the catalogue and each service's OpenAPI document -----------------------------------------


class SharingServiceSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    owner = serializers.CharField()
    version = serializers.CharField()
    status = serializers.CharField()
    scope = serializers.CharField(help_text="Phạm vi API cần có, ngoài quyền dùng dịch vụ")
    grant = serializers.CharField(help_text="Mã dịch vụ mà quyền (ServiceGrant) phải nêu")
    path_prefix = serializers.CharField()
    paths = serializers.ListField(child=serializers.CharField())
    gives = serializers.ListField(child=serializers.CharField())
    withholds = serializers.CharField()
    who_may_use = serializers.CharField()
    openapi = serializers.CharField(help_text="Đường dẫn tài liệu OpenAPI của riêng dịch vụ")


@cache
def service_openapi(code: str) -> dict[str, Any]:
    """The OpenAPI document of one service: the platform's schema generator restricted to the
    service's own routes."""
    service = registry.SERVICES[code]
    generator = SchemaGenerator(patterns=[path("api/v1/sharing/", include(SERVICE_URLS[code]))])
    schema: dict[str, Any] = generator.get_schema(request=None, public=True)
    schema["info"] = {
        "title": f"{service.name} ({service.code})",
        "version": service.version,
        "description": (
            f"{service.description}\n\nCần: mã truy cập ứng dụng (Bearer) có phạm vi "
            f"`{service.scope}` và quyền dùng dịch vụ `{service.code}`. {service.withholds}"
        ),
    }
    return schema


def service_paths(code: str) -> list[str]:
    return sorted(service_openapi(code).get("paths", {}))


def catalogue_entry(service: registry.SharingService) -> dict[str, Any]:
    return {
        "code": service.code,
        "name": service.name,
        "description": service.description,
        "owner": service.owner,
        "version": service.version,
        "status": service.status,
        "scope": service.scope,
        "grant": service.code,
        "path_prefix": service.path_prefix,
        "paths": service_paths(service.code),
        "gives": list(service.gives),
        "withholds": service.withholds,
        "who_may_use": service.who_may_use,
        "openapi": service.openapi_path,
    }


class ServiceCatalogueView(APIView):
    """Danh mục dịch vụ chia sẻ dữ liệu (công khai)."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="sharing_services_list",
        responses={200: SharingServiceSerializer(many=True)},
        tags=["sharing"],
    )
    def get(self, request: Request) -> Response:
        entries = [catalogue_entry(s) for s in registry.SERVICES.values()]
        return Response(SharingServiceSerializer(entries, many=True).data)


class ServiceOpenApiView(APIView):
    """Tài liệu OpenAPI của một dịch vụ chia sẻ (công khai)."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="sharing_service_openapi",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="OpenAPI 3")},
        tags=["sharing"],
    )
    def get(self, request: Request, code: str) -> Response:
        if registry.get(code) is None:
            from django.http import Http404

            raise Http404
        return Response(service_openapi(code))


# --- the message log for operators --------------------------------------------------------------


class SharingMessageLogEntrySerializer(serializers.ModelSerializer[MessageLogEntry]):
    class Meta:
        model = MessageLogEntry
        fields = [
            "seq",
            "at",
            "request_id",
            "client_id",
            "client_label",
            "agency_id",
            "service",
            "method",
            "path",
            "status_code",
            "outcome",
            "signed",
            "request_sha256",
            "response_sha256",
            "prev_hash",
            "hash",
        ]


class LogReadPermission(permissions.BasePermission):
    message = "Chỉ quản trị hệ thống hoặc ứng dụng có phạm vi 'sharing:audit'."

    def has_permission(self, request: Any, view: Any) -> bool:
        return scopes.can_read_log(actor_from_request(request))


@extend_schema(
    parameters=[
        OpenApiParameter("service", str, required=False, description="Mã dịch vụ"),
    ],
    tags=["sharing"],
)
class MessageLogList(generics.ListAPIView[MessageLogEntry]):
    """Nhật ký trao đổi dữ liệu, mới nhất trước."""

    serializer_class = SharingMessageLogEntrySerializer
    permission_classes = [IsAuthenticatedActor, LogReadPermission]

    def get_queryset(self) -> Any:
        qs = scopes.log_entries(actor_from_request(self.request), MessageLogEntry.objects.all())
        service = (self.request.query_params.get("service") or "")[:40]
        if service:
            qs = qs.filter(service=service)
        return qs.order_by("-seq")


_sharing: list[URLPattern | URLResolver] = [
    path("services/", ServiceCatalogueView.as_view(), name="sharing-services"),
    path(
        "services/<str:code>/openapi.json",
        ServiceOpenApiView.as_view(),
        name="sharing-service-openapi",
    ),
    path("message-log/", MessageLogList.as_view(), name="sharing-message-log"),
    *[pattern for patterns in SERVICE_URLS.values() for pattern in patterns],
]

urlpatterns: list[URLPattern | URLResolver] = [path("sharing/", include(_sharing))]
