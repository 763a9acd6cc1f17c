"""Identity providers behind one interface, and the national VNeID one as a standard OpenID
Connect relying party.

No public VNeID protocol specification exists, so the VNeID provider is a plain OpenID Connect
relying party (authlib's Django client): authorisation code flow with PKCE (S256), a fresh
`state` and `nonce` per attempt kept in the session, the ID token's signature checked against
the provider's JWKS (RSA/EC algorithms only, never "none" or a shared secret), and its `iss`,
`aud`, `exp`, `iat` and `nonce` checked. The claims used are the ID token's only (signed by the
provider), mapped onto selectors.CLAIM_NAMES by CLAIM_MAP.

A provider is looked up by name in a registry (`provider(name)`); another provider (a
business identity, a test one) registers with `register_provider`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from authlib.integrations.django_client import OAuth  # type: ignore[import-untyped, unused-ignore]
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .models import IdentityLevel
from .selectors import CLAIM_NAMES

logger = logging.getLogger("egov.identity")

# The provider's claim names for each normalised name, first found wins.
CLAIM_MAP: Mapping[str, tuple[str, ...]] = {
    "personal_id": ("identity_number", "personal_id", "citizen_id"),
    "full_name": ("name", "full_name"),
    "birth_date": ("birthdate", "birth_date"),
    "gender": ("gender",),
    "nationality": ("nationality",),
    "phone": ("phone_number", "phone"),
    "email": ("email",),
    "address": ("address", "permanent_address"),
    "current_address": ("current_address",),
}
# Signature algorithms accepted for ID tokens (asymmetric only).
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
# How long the discovery document and the JWKS are kept before being read again.
METADATA_SECONDS = 3600
MAX_CLAIM_LENGTH = 500


class IdentityRefused(Exception):
    """The login through the provider did not succeed; `reason` is a short code for the log and
    the event, the message is shown to the citizen."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message or "Không đăng nhập được bằng tài khoản định danh điện tử."


@dataclass(frozen=True)
class VerifiedIdentity:
    """What the provider asserted, after every check: its stable subject, the identity level,
    and the claims under the normalised names (selectors.CLAIM_NAMES)."""

    provider: str
    subject: str
    level: int
    claims: dict[str, str] = field(default_factory=dict)


class IdentityProvider(Protocol):
    name: str
    label: str

    def is_configured(self) -> bool: ...

    def start(self, request: HttpRequest, redirect_uri: str) -> HttpResponse:
        """The redirect to the provider's authorisation page (the attempt kept in the session)."""
        ...

    def finish(self, request: HttpRequest) -> VerifiedIdentity:
        """The callback: the checked identity, or IdentityRefused."""
        ...


_REGISTRY: dict[str, Callable[[], IdentityProvider]] = {}


def register_provider(name: str, factory: Callable[[], IdentityProvider]) -> None:
    _REGISTRY[name] = factory


def provider(name: str) -> IdentityProvider | None:
    """The named provider if it is registered and configured."""
    factory = _REGISTRY.get(name)
    if factory is None:
        return None
    found = factory()
    return found if found.is_configured() else None


def provider_names() -> list[str]:
    return sorted(_REGISTRY)


# -- claims -------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("formatted") or ""
    if value is None or isinstance(value, (list, dict)):
        return ""
    return str(value).strip()[:MAX_CLAIM_LENGTH]


def normalise_claims(raw: Mapping[str, Any]) -> dict[str, str]:
    claims: dict[str, str] = {}
    for name in CLAIM_NAMES:
        for source in CLAIM_MAP.get(name, (name,)):
            value = _text(raw.get(source))
            if value:
                claims[name] = value
                break
    return claims


def level_from(raw: Mapping[str, Any]) -> int:
    """Level 2 only when the provider says so (`identity_level` 2, or an `acr` ending in 2);
    anything else, or nothing, is level 1."""
    value = raw.get("identity_level")
    if value is None:
        acr = str(raw.get("acr") or "")
        value = acr[-1:] if acr else None
    try:
        level = int(str(value))
    except (TypeError, ValueError):
        return int(IdentityLevel.LEVEL_1)
    return int(IdentityLevel.LEVEL_2) if level == 2 else int(IdentityLevel.LEVEL_1)


# -- the OpenID Connect relying party -----------------------------------------------------------


@dataclass(frozen=True)
class OIDCConfig:
    discovery_url: str
    client_id: str
    client_secret: str
    scopes: str
    issuer: str = ""
    timeout: float = 10.0
    leeway: int = 60


_APPS: dict[tuple[str, ...], tuple[float, Any]] = {}
_APPS_LOCK = threading.Lock()


class OIDCProvider:
    def __init__(self, name: str, label: str, config: OIDCConfig) -> None:
        self.name = name
        self.label = label
        self.config = config

    def is_configured(self) -> bool:
        c = self.config
        return bool(c.discovery_url and c.client_id and c.client_secret)

    def _app(self) -> Any:
        """authlib's client for this configuration, its discovery document and JWKS kept for
        METADATA_SECONDS (a rotated key with a new kid is read again at once by authlib)."""
        c = self.config
        key = (self.name, c.discovery_url, c.client_id, c.client_secret, c.scopes)
        now = time.monotonic()
        with _APPS_LOCK:
            cached = _APPS.get(key)
            if cached is not None and now - cached[0] < METADATA_SECONDS:
                return cached[1]
        registry = OAuth()
        app = registry.register(
            self.name,
            client_id=c.client_id,
            client_secret=c.client_secret,
            server_metadata_url=c.discovery_url,
            client_kwargs={
                "scope": c.scopes,
                "code_challenge_method": "S256",
                "default_timeout": c.timeout,
            },
        )
        metadata = app.load_server_metadata()
        if c.issuer and metadata.get("issuer") != c.issuer:
            raise IdentityRefused("issuer", "Cấu hình nhà cung cấp định danh không khớp.")
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        metadata["id_token_signing_alg_values_supported"] = [
            a for a in offered if a in ALLOWED_ALGORITHMS
        ] or ["RS256"]
        with _APPS_LOCK:
            _APPS[key] = (now, app)
        return app

    def start(self, request: HttpRequest, redirect_uri: str) -> HttpResponse:
        try:
            app = self._app()
            response: HttpResponse = app.authorize_redirect(request, redirect_uri)
        except IdentityRefused:
            raise
        except Exception as exc:  # the provider unreachable or its discovery document broken
            logger.warning("identity provider %s unavailable: %r", self.name, exc)
            raise IdentityRefused(
                "provider_unavailable",
                "Hệ thống định danh điện tử tạm thời không trả lời. Vui lòng thử lại sau.",
            ) from exc
        return response

    def finish(self, request: HttpRequest) -> VerifiedIdentity:
        error = request.GET.get("error", "")
        if error:
            # Whatever the attempt was, it is over: its state and verifier are forgotten.
            self._forget(request, request.GET.get("state", ""))
            if error == "access_denied":
                raise IdentityRefused(
                    "cancelled", "Bạn đã hủy đăng nhập hoặc không đồng ý chia sẻ thông tin."
                )
            raise IdentityRefused(
                "provider_error", "Hệ thống định danh điện tử báo lỗi khi đăng nhập."
            )
        state = request.GET.get("state", "")
        if not state or not request.GET.get("code") or not self._knows(request, state):
            self._forget(request, state)
            raise IdentityRefused(
                "state",
                "Phiên đăng nhập không hợp lệ hoặc đã được dùng. Vui lòng đăng nhập lại từ đầu.",
            )
        try:
            app = self._app()
            iss = self.config.issuer or app.server_metadata.get("issuer")
            token = app.authorize_access_token(
                request,
                claims_options={"iss": {"essential": True, "values": [iss]}},
                leeway=self.config.leeway,
            )
        except Exception as exc:  # any refusal by the provider or failed check of the token
            reason = _reason_of(exc)
            logger.warning("identity provider %s: token refused (%s): %r", self.name, reason, exc)
            raise IdentityRefused(reason) from exc
        raw = token.get("userinfo")
        if not raw or not raw.get("sub"):
            raise IdentityRefused("id_token")
        claims = normalise_claims(raw)
        if not claims.get("personal_id"):
            raise IdentityRefused(
                "claims", "Hệ thống định danh điện tử không cung cấp số định danh cá nhân."
            )
        return VerifiedIdentity(
            provider=self.name,
            subject=str(raw["sub"])[:255],
            level=level_from(raw),
            claims=claims,
        )

    def _state_key(self, state: str) -> str:
        return f"_state_{self.name}_{state}"

    def _knows(self, request: HttpRequest, state: str) -> bool:
        return self._state_key(state) in request.session

    def _forget(self, request: HttpRequest, state: str) -> None:
        if state:
            request.session.pop(self._state_key(state), None)


_CLAIM_REASONS = {
    "aud": "audience",
    "azp": "audience",
    "nonce": "nonce",
    "iss": "issuer",
    "exp": "expired",
    "iat": "expired",
    "nbf": "expired",
}


def _reason_of(exc: Exception) -> str:
    """A short code for why the token was refused (the log line and the event)."""
    name = type(exc).__name__
    if name in ("BadSignatureError", "InvalidKeyIdError", "DecodeError", "MissingKeyError"):
        return "signature"
    if name == "ExpiredTokenError":
        return "expired"
    claim = getattr(exc, "claim", None)
    if isinstance(claim, str):
        return _CLAIM_REASONS.get(claim, "id_token")
    if name == "MismatchingStateError":
        return "state"
    if isinstance(exc, requests.RequestException):
        return "provider_unavailable"
    return "token"


def vneid() -> OIDCProvider:
    return OIDCProvider(
        "vneid",
        "VNeID",
        OIDCConfig(
            discovery_url=settings.VNEID_DISCOVERY_URL,
            client_id=settings.VNEID_CLIENT_ID,
            client_secret=settings.VNEID_CLIENT_SECRET,
            scopes=settings.VNEID_SCOPES,
            issuer=settings.VNEID_ISSUER,
            timeout=settings.VNEID_TIMEOUT_SECONDS,
            leeway=settings.VNEID_CLOCK_SKEW_SECONDS,
        ),
    )


register_provider("vneid", vneid)
