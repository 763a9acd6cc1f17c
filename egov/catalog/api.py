"""Read API of the procedure catalogue. The catalogue is public: anonymous visitors may read the
published procedures; an API client token must carry the `catalog:read` scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers
from rest_framework.request import Request

from egov.core.actors import actor_from_request
from egov.core.api_query import validated_query
from egov.core.scoping import visible_to

from .models import (
    DossierComponent,
    Fee,
    FeeExemption,
    Level,
    OnlineMode,
    Procedure,
    ProcessStep,
    Sector,
)
from .search import filter_procedures, search_procedures

SCOPE = "catalog:read"


class CatalogReadPermission(permissions.BasePermission):
    """Anyone may read; an API client only with the `catalog:read` scope."""

    message = f"Ứng dụng thiếu phạm vi '{SCOPE}'."

    def has_permission(self, request: Any, view: Any) -> bool:
        return actor_from_request(request).has_scope(SCOPE)


class SectorSerializer(serializers.ModelSerializer[Sector]):
    procedure_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Sector
        fields = ["code", "name", "procedure_count"]


class ProcedureSummarySerializer(serializers.ModelSerializer[Procedure]):
    sector = serializers.CharField(source="sector.code", read_only=True)
    sector_name = serializers.CharField(source="sector.name", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    online_mode_display = serializers.CharField(source="get_online_mode_display", read_only=True)
    time_unit_display = serializers.CharField(source="get_time_unit_display", read_only=True)

    class Meta:
        model = Procedure
        fields = [
            "code",
            "name",
            "sector",
            "sector_name",
            "level",
            "level_display",
            "processing_time",
            "time_unit",
            "time_unit_display",
            "online_mode",
            "online_mode_display",
            "for_citizens",
            "for_businesses",
            "min_identity_level",
        ]
        extra_kwargs = {
            "min_identity_level": {
                "help_text": "Mức độ định danh điện tử (VNeID) tài khoản phải có để nộp hồ sơ "
                "trực tuyến: 0 mọi tài khoản, 1 mức độ 1 trở lên, 2 mức độ 2 (Nghị định "
                "69/2024/NĐ-CP). Nộp khi chưa đủ: lỗi identity_level_required (403)."
            }
        }


class ComponentSerializer(serializers.ModelSerializer[DossierComponent]):
    form_template = serializers.SerializerMethodField()

    class Meta:
        model = DossierComponent
        fields = [
            "order",
            "code",
            "name",
            "required",
            "originals",
            "copies",
            "form_template",
            "form_schema",
        ]

    @extend_schema_field(serializers.URLField(allow_null=True))  # null: no template form
    def get_form_template(self, obj: DossierComponent) -> str | None:
        if not obj.form_template:
            return None
        request = self.context.get("request")
        # The portal serves it (under a safe name, as a download); media files are not public.
        url = reverse("portal:form_template", args=[obj.procedure.code, obj.code])
        return request.build_absolute_uri(url) if request is not None else url


class ExemptionSerializer(serializers.ModelSerializer[FeeExemption]):
    class Meta:
        model = FeeExemption
        fields = ["id", "group", "percent", "proof", "legal_source"]


class FeeSerializer(serializers.ModelSerializer[Fee]):
    # The groups it exempts or reduces: an applicant claims one by its id (dossier submission's
    # `exemptions`) and attaches the proof named here.
    exemptions = ExemptionSerializer(many=True, read_only=True)

    class Meta:
        model = Fee
        fields = [
            "id",
            "kind",
            "name",
            "amount",
            "rule",
            "optional",
            "unit",
            "legal_source",
            "exemptions",
        ]


class StepSerializer(serializers.ModelSerializer[ProcessStep]):
    class Meta:
        model = ProcessStep
        fields = ["order", "name", "role", "unit_kind", "agency_identifier", "budget"]


class ProcessSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    processing_time = serializers.DecimalField(max_digits=6, decimal_places=1)
    time_unit = serializers.CharField()
    note = serializers.CharField()
    steps = StepSerializer(many=True)


class ProcedureDetailSerializer(ProcedureSummarySerializer):
    agencies = serializers.SerializerMethodField()
    components = ComponentSerializer(many=True, read_only=True)
    fees = FeeSerializer(many=True, read_only=True)
    process = serializers.SerializerMethodField()

    class Meta(ProcedureSummarySerializer.Meta):
        fields = [
            *ProcedureSummarySerializer.Meta.fields,
            "legal_basis",
            "result_description",
            "requirements",
            "payment_timing",
            "agencies",
            "components",
            "fees",
            "process",
        ]

    @extend_schema_field(
        serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    )
    def get_agencies(self, obj: Procedure) -> list[dict[str, str]]:
        return [{"identifier": a.identifier, "name": a.name} for a in obj.agencies.all()]

    @extend_schema_field(ProcessSerializer(allow_null=True))
    def get_process(self, obj: Procedure) -> dict[str, Any] | None:
        versions = [v for v in obj.process_versions.all() if v.is_current]
        if not versions:
            return None
        return dict(ProcessSerializer(versions[0]).data)


class ProcedureQuery(serializers.Serializer[Any]):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=True,
        help_text="Từ khóa, không cần dấu (ví dụ: dang ky khai sinh); 200 ký tự đầu được dùng.",
    )
    sector = serializers.CharField(required=False, allow_blank=True, help_text="Mã lĩnh vực.")
    agency = serializers.CharField(
        required=False, allow_blank=True, help_text="Mã định danh cơ quan thực hiện."
    )
    level = serializers.ChoiceField(Level.choices, required=False, help_text="Cấp thực hiện.")
    online_mode = serializers.ChoiceField(
        OnlineMode.choices,
        required=False,
        help_text="4 toàn trình, 3 một phần, 2 không trực tuyến.",
    )


def _filters(query: dict[str, Any]) -> dict[str, Any]:
    return {
        "sector": query.get("sector") or None,
        "agency": query.get("agency") or None,
        "level": query.get("level") or None,
        "online_mode": query.get("online_mode") or None,
    }


@extend_schema(parameters=[ProcedureQuery])
class ProcedureList(generics.ListAPIView[Procedure]):
    """Published procedures; `q` searches names and codes (accents and small typos tolerated),
    ranked best first. Without `q`, the most used procedures come first."""

    replica_ok = True  # egov.core.dbrouting: may read the replica

    serializer_class = ProcedureSummarySerializer
    permission_classes = [CatalogReadPermission]
    query: dict[str, Any]  # the validated query parameters, set by list()

    def get_queryset(self) -> QuerySet[Procedure]:
        qs = filter_procedures(
            visible_to(actor_from_request(self.request), Procedure.objects.all()),
            **_filters(self.query),
            only_published=True,
        )
        return qs.select_related("sector").order_by("-submission_count", "name")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        self.query = validated_query(ProcedureQuery, request)
        text = (self.query.get("q") or "")[:200]
        if not text:
            return super().list(request, *args, **kwargs)
        results = search_procedures(
            text, **_filters(self.query), actor=actor_from_request(request), limit=200
        )
        page = self.paginate_queryset(results)
        serializer = self.get_serializer(page if page is not None else results, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        from rest_framework.response import Response

        return Response(serializer.data)


class ProcedureDetail(generics.RetrieveAPIView[Procedure]):
    """One procedure with its dossier components, fees and current standard process."""

    replica_ok = True  # egov.core.dbrouting: may read the replica

    serializer_class = ProcedureDetailSerializer
    permission_classes = [CatalogReadPermission]

    def get_object(self) -> Procedure:
        qs = visible_to(actor_from_request(self.request), Procedure.objects.all())
        qs = qs.select_related("sector").prefetch_related(
            "agencies",
            "components",
            "fees__exemptions",
            Prefetch("process_versions__steps", queryset=ProcessStep.objects.order_by("order")),
        )
        return get_object_or_404(qs, code=self.kwargs["code"].upper())


class SectorList(generics.ListAPIView[Sector]):
    """Sectors with the number of published procedures in each."""

    replica_ok = True  # egov.core.dbrouting: may read the replica

    serializer_class = SectorSerializer
    permission_classes = [CatalogReadPermission]
    pagination_class = None

    def get_queryset(self) -> QuerySet[Sector]:
        return (
            visible_to(actor_from_request(self.request), Sector.objects.all())
            .annotate(procedure_count=Count("procedure", filter=Q(procedure__is_published=True)))
            .order_by("name")
        )


urlpatterns = [
    path("catalog/procedures/", ProcedureList.as_view(), name="api-procedure-list"),
    path("catalog/procedures/<str:code>/", ProcedureDetail.as_view(), name="api-procedure-detail"),
    path("catalog/sectors/", SectorList.as_view(), name="api-sector-list"),
]
