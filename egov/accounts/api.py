"""Account API: who am I, and self-registration of citizens and businesses."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from egov.core.actors import actor_from_request
from egov.core.api_auth import IsAuthenticatedActor
from egov.core.scoping import visible_to

from . import services
from .models import User

MeSerializer = inline_serializer(
    "Me",
    {
        "kind": serializers.CharField(),
        "username": serializers.CharField(allow_null=True),
        "full_name": serializers.CharField(allow_null=True),
        "agency_ids": serializers.ListField(child=serializers.IntegerField()),
        "roles": serializers.ListField(child=serializers.CharField()),
        "scopes": serializers.ListField(child=serializers.CharField()),
    },
)


class MeView(APIView):
    permission_classes = [IsAuthenticatedActor]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        actor = actor_from_request(request)
        user = request.user if request.user.is_authenticated else None
        return Response(
            {
                "kind": actor.kind,
                "username": getattr(user, "username", None),
                "full_name": user.get_full_name() if isinstance(user, User) else None,
                "agency_ids": sorted(actor.agency_ids),
                "roles": sorted(actor.roles),
                "scopes": sorted(actor.scopes),
            }
        )


class CitizenRegistrationSerializer(serializers.Serializer[Any]):
    personal_id = serializers.CharField(max_length=20)
    full_name = serializers.CharField(max_length=300)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    password = serializers.CharField(write_only=True, max_length=128)


class BusinessRegistrationSerializer(serializers.Serializer[Any]):
    tax_code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=300)
    representative = serializers.CharField(max_length=300)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    password = serializers.CharField(write_only=True, max_length=128)


RegisteredSerializer = inline_serializer(
    "Registered", {"username": serializers.CharField(), "kind": serializers.CharField()}
)


class CitizenRegistrationView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(request=CitizenRegistrationSerializer, responses={201: RegisteredSerializer})
    def post(self, request: Request) -> Response:
        data = CitizenRegistrationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.register_citizen(**data.validated_data)
        return Response(
            {"username": user.username, "kind": user.kind}, status=status.HTTP_201_CREATED
        )


class BusinessRegistrationView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(request=BusinessRegistrationSerializer, responses={201: RegisteredSerializer})
    def post(self, request: Request) -> Response:
        data = BusinessRegistrationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.register_business(**data.validated_data)
        return Response(
            {"username": user.username, "kind": user.kind}, status=status.HTTP_201_CREATED
        )


class UserSerializer(serializers.ModelSerializer[User]):
    # null for an account of the other kind (the schema says so: nullable).
    personal_id = serializers.CharField(
        source="citizen.personal_id", default=None, allow_null=True, read_only=True
    )
    tax_code = serializers.CharField(
        source="business.tax_code", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "kind",
            "full_name",
            "phone",
            "email",
            "personal_id",
            "tax_code",
        ]


class UserDetailView(generics.RetrieveAPIView[User]):
    """One account, if the caller may see it (their own; colleagues for officials)."""

    serializer_class = UserSerializer
    permission_classes = [IsAuthenticatedActor]

    def get_queryset(self) -> QuerySet[User]:
        qs = User.objects.select_related("citizen", "business")
        return visible_to(actor_from_request(self.request), qs)


urlpatterns = [
    path("accounts/users/<id:pk>/", UserDetailView.as_view(), name="api-user-detail"),
    path("me/", MeView.as_view(), name="api-me"),
    path("register/citizen/", CitizenRegistrationView.as_view(), name="api-register-citizen"),
    path("register/business/", BusinessRegistrationView.as_view(), name="api-register-business"),
]
