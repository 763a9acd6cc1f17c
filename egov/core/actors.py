"""Who is acting: a logged-in user or an API client, reduced to what authorisation needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings

# Where a request keeps its actor once built (one build per request, not one per call).
REQUEST_ACTOR = "_egov_actor"
# Set on a request whose session user needs the second factor but did not pass it in this
# session: the request carries no user (egov.accounts.middleware) and the API says why.
MFA_PENDING = "_egov_mfa_pending"


@dataclass(frozen=True)
class Actor:
    kind: str  # "anonymous", "citizen", "business", "official", "operator", "api_client", "system"
    user_id: int | None = None
    api_client_id: int | None = None
    agency_ids: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    label: str = ""

    @property
    def is_anonymous(self) -> bool:
        return self.kind == "anonymous"

    @property
    def is_operator(self) -> bool:
        return self.kind in ("operator", "system")

    def has_scope(self, scope: str) -> bool:
        """Users act through their session with all their own rights; API clients need scopes."""
        if self.kind != "api_client":
            return True
        return scope in self.scopes or f"{scope.split(':')[0]}:*" in self.scopes

    def has_role(self, role: str) -> bool:
        return role in self.roles


ANONYMOUS = Actor(kind="anonymous", label="anonymous")
SYSTEM = Actor(kind="system", label="system")


# How a user who is an official gets its agency and roles: egov.org registers the lookup when it is
# ready (core imports no app). It returns the official (with agency_id and role_codes) or None.
# Called with the user's id and the user object (so its row is not read again).
_official_lookup: Callable[[int, Any], Any] | None = None
_UNREAD = object()


def set_official_lookup(lookup: Callable[[int, Any], Any]) -> None:
    global _official_lookup
    _official_lookup = lookup


def actor_for_user(user: Any) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    agency_ids: frozenset[int] = frozenset()
    roles: frozenset[str] = frozenset()
    official: Any = None
    if user.kind == "official" and _official_lookup is not None:
        # Read with the user by the session's loader (accounts.backends), or looked up now and
        # kept on this user object (one per request) for official_for_request: one load.
        official = getattr(user, "_egov_official", _UNREAD)
        if official is _UNREAD:
            official = _official_lookup(user.pk, user)
            user._egov_official = official
    if official is not None:
        agency_ids = frozenset({official.agency_id})
        roles = frozenset(official.role_codes)
    return Actor(
        kind=user.kind or "citizen",
        user_id=user.pk,
        agency_ids=agency_ids,
        roles=roles,
        label=user.username,
    )


def actor_for_api_client(client: Any) -> Actor:
    """`client` is a row of settings.API_CLIENT_MODEL (accounts.ApiClient)."""
    return Actor(
        kind="api_client",
        api_client_id=client.pk,
        agency_ids=frozenset({client.agency_id}) if client.agency_id else frozenset(),
        scopes=frozenset(client.scopes or []),
        label=f"api:{client.name}",
    )


def actor_from_request(request: Any) -> Actor:
    """The actor of a Django or DRF request (API client tokens set request.auth)."""
    cached = getattr(request, REQUEST_ACTOR, None)
    if cached is not None:
        return cached
    auth = getattr(request, "auth", None)
    if isinstance(auth, apps.get_model(settings.API_CLIENT_MODEL)):
        actor = actor_for_api_client(auth)
    else:
        actor = actor_for_user(getattr(request, "user", None))
    setattr(request, REQUEST_ACTOR, actor)
    return actor
