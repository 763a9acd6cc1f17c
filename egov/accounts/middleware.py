"""Officials and operators act only from a session that proved the second factor (TOTP); and
sessions expire after a spell of inactivity without a database write on every request.

OfficialSecondFactorMiddleware is the one place that enforces the second factor, for every app:
a session whose user needs it (User.needs_second_factor) but did not pass it carries none of that
user's rights. Pages send them to set up TOTP (first login) or back to the login; the API treats
the request as anonymous (403 `mfa_required`), so each API area needs no check of its own. API
client tokens (Authorization: Bearer) do not use the session and are unaffected."""

from __future__ import annotations

import time
from collections.abc import Callable

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from egov.core.actors import MFA_PENDING

from .backends import LEGACY_PATHS

# What a session without the second factor may still open: the login, TOTP set-up and logout
# pages, static files and the language switch.
OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/")
API_PREFIX = "/api/"


async def _anonymous() -> AnonymousUser:
    return AnonymousUser()


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
            and not session_used_mfa(request)
        ):
            refused = self.without_second_factor(request, user)
            if refused is not None:
                return refused
        return self.get_response(request)

    @staticmethod
    def without_second_factor(request: HttpRequest, user: object) -> HttpResponse | None:
        path = request.path
        if has_totp(user):
            # The user has an authenticator but this session never proved it (a login that
            # went around the TOTP step): it is not trusted anywhere; start over.
            logout(request)
            setattr(request, MFA_PENDING, True)
            if path.startswith((*OPEN_PREFIXES, API_PREFIX)):
                return None  # carries on as anonymous
            return redirect("account_login")
        # First login: the password alone opens the TOTP set-up and nothing else; the set-up
        # itself also takes an operator's one-time enrolment code (accounts.forms).
        if path.startswith(OPEN_PREFIXES):
            return None
        if path.startswith(API_PREFIX):
            request.user = AnonymousUser()
            request.auser = _anonymous
            setattr(request, MFA_PENDING, True)
            return None
        return redirect("mfa_activate_totp")


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
        session = getattr(request, "session", None)
        if session is not None and session.session_key is not None:
            # A session signed in before accounts.backends names a stock backend: renamed, it
            # stays signed in (the user is then read as every other session's).
            path = session.get(BACKEND_SESSION_KEY)
            if path in LEGACY_PATHS:
                session[BACKEND_SESSION_KEY] = LEGACY_PATHS[path]
        response = self.get_response(request)
        if session is not None and not session.is_empty():
            now = int(time.time())
            # A session written anyway (login, a message...) records the time too.
            if session.modified or now - int(session.get(SEEN_KEY, 0)) >= SESSION_REFRESH_SECONDS:
                session[SEEN_KEY] = now
        return response
