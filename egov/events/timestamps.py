"""What the event log needs from a time-stamping authority (RFC 3161) to attest its checkpoints,
declared here so that events does not depend on the app that provides it: the signing app (above
events in the layers) registers its TSA client and token verifier at start-up
(`provide_timestamps`). Without a provider the checkpoints simply wait for a TSA.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured

from egov.core.registry import Registry


class TimestampUnavailable(Exception):
    """The TSA gave no token: unreachable, too slow, an HTTP error, or a refusal. Retry later."""


class TimestampRefused(TimestampUnavailable):
    """The TSA answered with something that is not a valid token for this request (another
    digest or nonce, a bad signature, a signer outside the trust list): never stored."""


@dataclass(frozen=True)
class TimestampToken:
    der: bytes
    gen_time: datetime
    tsa: str  # common name of the TSA certificate

    @property
    def base64(self) -> str:
        return base64.b64encode(self.der).decode("ascii")


@dataclass(frozen=True)
class TokenCheck:
    """What a token says and whether it can be believed (`problem` is "" when it can)."""

    problem: str = ""
    code: str = ""  # unreadable, imprint, nonce, signature, untrusted
    gen_time: datetime | None = None
    imprint: bytes = b""
    tsa: str = ""
    nonce: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problem


class Timestamper(Protocol):
    name: str

    def timestamp(self, message_digest: bytes) -> TimestampToken:
        """A verified token over a SHA-256 digest; TimestampUnavailable / TimestampRefused."""
        ...


class TokenChecker(Protocol):
    def check(
        self, der: bytes, expected_digest: bytes | None = None, *, nonce: int | None = None
    ) -> TokenCheck: ...


@dataclass(frozen=True)
class TimestampProvider:
    configured: Callable[[], Timestamper | None]  # the TSA to ask now, None: no TSA at all
    verifier: Callable[[], TokenChecker]  # a fresh checker per verification run


_PROVIDERS: Registry[str, TimestampProvider] = Registry("timestamp provider")
_KEY = "tsa"


def provide_timestamps(
    *, configured: Callable[[], Timestamper | None], verifier: Callable[[], TokenChecker]
) -> None:
    """Called once from the providing app's AppConfig.ready (a second provider is an error)."""
    _PROVIDERS.register(_KEY, TimestampProvider(configured, verifier))


def configured_timestamper() -> Timestamper | None:
    provider = _PROVIDERS.get(_KEY)
    return provider.configured() if provider is not None else None


def token_verifier() -> TokenChecker:
    provider = _PROVIDERS.get(_KEY)
    if provider is None:
        raise ImproperlyConfigured("No app provides timestamp verification (egov.signing).")
    return provider.verifier()
