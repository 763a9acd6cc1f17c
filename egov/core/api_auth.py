"""Bearer-token authentication for API clients (`Authorization: Bearer egov_<prefix>_<secret>`)
and the permission classes every app's API uses.

The clients are rows of the model named by settings.API_CLIENT_MODEL (accounts.ApiClient), found
through the app registry so that core imports no app; the model provides `hash_key(token)`,
`is_usable()`, `key_prefix`, `key_hash`, `last_used_at`, `scopes`, `agency_id` and `name`.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from .actors import actor_from_request
from .api_scopes import is_declared


def api_client_model() -> Any:
    return apps.get_model(settings.API_CLIENT_MODEL)


class ApiClientTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            return None
        token = parts[1]
        pieces = token.split("_", 2)
        if len(pieces) != 3 or pieces[0] != "egov":
            raise exceptions.AuthenticationFailed("Mã truy cập không đúng định dạng.")
        model = api_client_model()
        client = model.objects.filter(key_prefix=pieces[1]).first()
        if client is None or not hmac.compare_digest(client.key_hash, model.hash_key(token)):
            raise exceptions.AuthenticationFailed("Mã truy cập không hợp lệ.")
        if not client.is_usable():
            raise exceptions.AuthenticationFailed("Ứng dụng đã bị khóa hoặc hết hạn.")
        model.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser(), client

    def authenticate_header(self, request: Any) -> str:
        return self.keyword


class IsAuthenticatedActor(permissions.BasePermission):
    """A logged-in user or an authenticated API client."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return not actor_from_request(request).is_anonymous


def require_scope(scope: str) -> type[permissions.BasePermission]:
    """Permission class: users act with their own rights, API clients need `scope`, which an app
    must have declared in its api_scopes.py (a typo fails when the API module is imported)."""
    if not is_declared(scope):
        raise LookupError(f"API scope {scope!r} is not declared in any app's api_scopes.py")

    class HasScope(permissions.BasePermission):
        message = f"Ứng dụng thiếu phạm vi '{scope}'."

        def has_permission(self, request: Any, view: Any) -> bool:
            actor = actor_from_request(request)
            return not actor.is_anonymous and actor.has_scope(scope)

    HasScope.__name__ = f"HasScope[{scope}]"
    return HasScope


class ApiClientTokenScheme(OpenApiAuthenticationExtension):
    """Documents the bearer token in the OpenAPI schema."""

    target_class = "egov.core.api_auth.ApiClientTokenAuthentication"
    name = "apiClientToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "egov_<prefix>_<secret>",
            "description": "Mã truy cập của ứng dụng API, cấp bởi quản trị hệ thống, có phạm vi.",
        }
