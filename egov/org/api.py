"""Read API for the organisation: administrative units and agencies (public reference data)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from egov.core.api_auth import require_scope
from egov.core.api_query import validated_query

from .models import AdministrativeUnit, Agency, Unit


class AdministrativeUnitSerializer(serializers.ModelSerializer[AdministrativeUnit]):
    # null at the top of the tree: declared nullable, so the schema says what the API answers.
    parent_code = serializers.CharField(
        source="parent.code", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = AdministrativeUnit
        fields = [
            "id",
            "code",
            "scheme",
            "name",
            "division_type",
            "level",
            "parent_code",
            "valid_from",
            "valid_to",
        ]


class UnitSerializer(serializers.ModelSerializer[Unit]):
    class Meta:
        model = Unit
        fields = ["id", "code", "name", "abbreviation", "kind", "parent"]


class AgencySerializer(serializers.ModelSerializer[Agency]):
    # null for an agency without an administrative unit or without a parent (the province's
    # committee): declared nullable, as the API answers.
    admin_unit = serializers.CharField(
        source="admin_unit.code", default=None, allow_null=True, read_only=True
    )
    parent_identifier = serializers.CharField(
        source="parent.identifier", default=None, allow_null=True, read_only=True
    )
    units = UnitSerializer(many=True, read_only=True)

    class Meta:
        model = Agency
        fields = [
            "id",
            "identifier",
            "name",
            "abbreviation",
            "kind",
            "admin_unit",
            "parent_identifier",
            "address",
            "email",
            "phone",
            "website",
            "units",
        ]


class AdministrativeUnitQuery(serializers.Serializer[Any]):
    scheme = serializers.ChoiceField(AdministrativeUnit.Scheme.choices, required=False)
    level = serializers.ChoiceField(AdministrativeUnit.Level.choices, required=False)
    parent = serializers.CharField(  # type: ignore[assignment]  # the parameter's name
        required=False, allow_blank=True, max_length=20, help_text="Mã đơn vị hành chính cấp trên"
    )


@extend_schema(parameters=[AdministrativeUnitQuery])
class AdministrativeUnitList(generics.ListAPIView[AdministrativeUnit]):
    """Administrative units; filter with `scheme`, `level` and `parent` (a unit code)."""

    serializer_class = AdministrativeUnitSerializer
    permission_classes = [require_scope("org:read")]

    def get_queryset(self) -> QuerySet[AdministrativeUnit]:
        qs = AdministrativeUnit.objects.select_related("parent")
        query = validated_query(AdministrativeUnitQuery, self.request)
        if query.get("scheme"):
            qs = qs.filter(scheme=query["scheme"])
        if query.get("level"):
            qs = qs.filter(level=query["level"])
        if query.get("parent"):
            qs = qs.filter(parent__code=query["parent"])
        return qs


class AgencyList(generics.ListAPIView[Agency]):
    serializer_class = AgencySerializer
    permission_classes = [require_scope("org:read")]
    queryset = (
        Agency.objects.filter(is_active=True)
        .select_related("admin_unit", "parent")
        .prefetch_related("units")
    )


class AgencyDetail(generics.RetrieveAPIView[Agency]):
    serializer_class = AgencySerializer
    permission_classes = [require_scope("org:read")]
    lookup_field = "identifier"
    queryset = AgencyList.queryset


urlpatterns = [
    path("org/administrative-units/", AdministrativeUnitList.as_view(), name="api-adminunit-list"),
    path("org/agencies/", AgencyList.as_view(), name="api-agency-list"),
    path("org/agencies/<str:identifier>/", AgencyDetail.as_view(), name="api-agency-detail"),
]
