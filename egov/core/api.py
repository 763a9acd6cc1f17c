"""API root: lists the endpoint groups and the schema."""

from typing import Any

from django.urls import NoReverseMatch
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView


class ApiRootView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def url(name: str) -> str | None:
            try:
                return reverse(name, request=request)
            except NoReverseMatch:
                return None

        return Response(
            {
                "name": "egov",
                "version": "v1",
                "schema": url("api-schema"),
                "docs": url("api-docs"),
                "endpoints": {
                    "me": url("api-me"),
                    "procedures": url("api-procedure-list"),
                    "sectors": url("api-sector-list"),
                    "dossiers": url("api-dossier-list"),
                    "tracking": url("api-tracking"),
                    "agencies": url("api-agency-list"),
                    "administrative_units": url("api-adminunit-list"),
                    "calendar_add": url("api-calendar-add"),
                    "calendar_between": url("api-calendar-between"),
                    "events": url("api-event-list"),
                },
            }
        )
