"""Payment providers, one plugin each (as Open Forms' payment plugins): the national payment
platform (national.py), VietQR bank transfer (vietqr.py), cash at the desk (cash.py).

A provider is registered once by its code; the code is stored on every attempt, so a provider
can be switched off (settings PAYMENT_PROVIDERS, or per agency Collector.providers) while the
payments already made through it keep their history, receipts and reconciliation. A new
provider (another bank's gateway) is a new module here plus its callback route: nothing else
changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

from egov.core.registry import Registry

if TYPE_CHECKING:
    from egov.cases import Action

    from ..models import Attempt, Collector, Payment


class Provider:
    """The interface every provider implements."""

    code: ClassVar[str]
    # Vietnamese: what the applicant chooses ("Cổng thanh toán quốc gia").
    label: ClassVar[str]
    description: ClassVar[str] = ""
    # Offered to applicants on the portal (cash is the desk's only).
    online: ClassVar[bool] = True

    def configured(self, collector: Collector | None) -> bool:
        """Whether this provider can take a payment for this collector now (settings, bank
        account...)."""
        return True

    def start(self, act: Action[Payment], attempt: Attempt) -> None:
        """Inside the start_attempt action's transaction: what the provider needs to begin
        (enqueue the outgoing call through the outbox; build the QR). Raise DomainError to
        refuse, nothing is kept then."""
        raise NotImplementedError


PROVIDERS: Registry[str, Provider] = Registry("payment provider")

BUILT_IN = (
    "egov.payments.providers.national.NationalPlatform",
    "egov.payments.providers.vietqr.VietQR",
    "egov.payments.providers.cash.Cash",
)


def register(provider: Provider) -> Provider:
    return PROVIDERS.register(provider.code, provider)


def load_providers() -> None:
    """At the app's ready(): the built-in providers and any listed in PAYMENT_EXTRA_PROVIDERS."""
    for path in (*BUILT_IN, *getattr(settings, "PAYMENT_EXTRA_PROVIDERS", ())):
        register(import_string(path)())


def get(code: str) -> Provider | None:
    return PROVIDERS.get(code)


def enabled(collector: Collector | None, *, online_only: bool = False) -> list[Provider]:
    """The providers an applicant (or the desk) may use for this collector, in order."""
    allowed = set(getattr(settings, "PAYMENT_PROVIDERS", ()) or PROVIDERS)
    if collector is not None and collector.providers:
        allowed &= set(collector.providers)
    out = []
    for code in PROVIDERS:
        provider = PROVIDERS[code]
        wanted = code in allowed and (provider.online or not online_only)
        if wanted and provider.configured(collector):
            out.append(provider)
    return out
