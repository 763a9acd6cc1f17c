"""The authentication backends: Django's and allauth's, with the signed-in user read by one
prepared statement that also brings an official's record (org.Official.session_user).

Every signed-in request loads its user; the stock backends compile an ORM query for it and the
actor then reads the official in a second one (issue #19's profiles of the work-queue API: ~10 %
of the request). Authentication itself (passwords, allauth's login by e-mail or username) is the
stock code's, untouched.

Sessions record the backend's dotted path: those made before this module existed name the stock
classes, and SlidingSessionMiddleware renames them (LEGACY_PATHS) on their next request instead
of signing everyone out.
"""

from __future__ import annotations

from typing import Any

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends as django_backends

from egov.org.models import Official


class _SessionUser:
    def get_user(self, user_id: Any) -> Any:
        user = Official.session_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class ModelBackend(_SessionUser, django_backends.ModelBackend):
    """Username and password (the officials' login form, the bench's sessions)."""


class AuthenticationBackend(_SessionUser, allauth_backends.AuthenticationBackend):
    """allauth's: login by username or e-mail, and the identity provider's sign-in."""


MODEL_BACKEND = f"{ModelBackend.__module__}.{ModelBackend.__qualname__}"
ALLAUTH_BACKEND = f"{AuthenticationBackend.__module__}.{AuthenticationBackend.__qualname__}"
LEGACY_PATHS = {
    "django.contrib.auth.backends.ModelBackend": MODEL_BACKEND,
    "allauth.account.auth_backends.AuthenticationBackend": ALLAUTH_BACKEND,
}
