"""Officials and operators must have a verified TOTP second factor before they reach any page
other than login, logout and the TOTP set-up pages; and sessions expire after a spell of
inactivity without a database write on every request."""

from __future__ import annotations

import time
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
            used_mfa = session_used_mfa(request)
            # A session that proved the second factor had an authenticator: no query for it.
            if not used_mfa and not has_totp(user):
                # First login: set up the authenticator app before anything else.
                return redirect("mfa_activate_totp")
            if not used_mfa:
                # A session that never proved the second factor is not trusted: start over.
                logout(request)
                return redirect("account_login")
        return self.get_response(request)


# How often an active session's expiry is pushed forward (seconds).
SESSION_REFRESH_SECONDS = 300
SEEN_KEY = "_egov_seen"


class SlidingSessionMiddleware:
    """Inactivity expiry (SESSION_COOKIE_AGE after the last request) with one session write per
    five minutes of activity instead of one per request, as SESSION_SAVE_EVERY_REQUEST would do:
    an idle session ends at most five minutes earlier than the setting says."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            # A session written anyway (login, a message...) records the time too.
            if session.modified or now - int(session.get(SEEN_KEY, 0)) >= SESSION_REFRESH_SECONDS:
                session[SEEN_KEY] = now
        return response
