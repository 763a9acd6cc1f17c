"""Officials and operators must have a verified TOTP second factor before they reach any page
other than login, logout and the TOTP set-up pages."""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/")


def session_used_mfa(request: HttpRequest) -> bool:
    return any(r.get("method") == "mfa" for r in get_authentication_records(request, request.user))


def has_totp(user: object) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class OfficialSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "needs_second_factor", False)
            and not request.path.startswith(ALLOWED_PREFIXES)
        ):
            if not has_totp(user):
                # First login: set up the authenticator app before anything else.
                return redirect("mfa_activate_totp")
            if not session_used_mfa(request):
                # A session that never proved the second factor is not trusted: start over.
                logout(request)
                return redirect("account_login")
        return self.get_response(request)
