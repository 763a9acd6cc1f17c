"""Read API for the organisation: administrative units and agencies (public reference data)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from rest_framework import generics, serializers

from egov.accounts.api_auth import require_scope

from .models import AdministrativeUnit, Agency, Unit


class AdministrativeUnitSerializer(serializers.ModelSerializer[AdministrativeUnit]):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True)

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
    admin_unit = serializers.CharField(source="admin_unit.code", default=None, read_only=True)
    parent_identifier = serializers.CharField(
        source="parent.identifier", default=None, read_only=True
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


class AdministrativeUnitList(generics.ListAPIView[AdministrativeUnit]):
    """Administrative units; filter with `scheme`, `level` and `parent` (a unit code)."""

    serializer_class = AdministrativeUnitSerializer
    permission_classes = [require_scope("org:read")]

    def get_queryset(self) -> QuerySet[AdministrativeUnit]:
        qs = AdministrativeUnit.objects.select_related("parent")
        params: Any = self.request.query_params
        if params.get("scheme"):
            qs = qs.filter(scheme=params["scheme"])
        if params.get("level"):
            qs = qs.filter(level=params["level"])
        if params.get("parent"):
            qs = qs.filter(parent__code=params["parent"])
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
