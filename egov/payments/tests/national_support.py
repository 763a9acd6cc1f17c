"""What the national platform's tests share: the stand-in platform started in a thread (its
callbacks reach this process's live server), starting an attempt as the applicant, pressing the
stand-in's buttons over HTTP, and what "nothing changed" means."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from egov.cases import perform
from egov.core.actors import Actor, actor_for_user
from egov.events.models import Event, OutboxMessage
from egov.payments import event_types as E
from egov.payments.cases import PAYMENT
from egov.payments.models import Attempt, Callback, Payment, Receipt
from egov.payments.providers import get as get_provider
from egov.payments.standin import PaymentPlatformStandIn

from .conftest import PARTNER_SECRET


@pytest.fixture
def platform(settings, live_server) -> Iterator[PaymentPlatformStandIn]:  # type: ignore[no-untyped-def]
    """The stand-in platform; our callback and return addresses are the live server's."""
    with PaymentPlatformStandIn(
        secret=PARTNER_SECRET, partner=settings.PAYMENT_PARTNER_CODE, delay=0.5
    ) as server:
        settings.PAYMENT_PLATFORM_URL = server.url
        settings.PAYMENT_PUBLIC_URL = live_server.url
        yield server


@pytest.fixture
def receipts(seal):  # type: ignore[no-untyped-def]
    """Receipts issued from the payment_receipt messages by services/receipts.py: the collecting
    agency has its seal (receipts_helpers' `seal`; the test module imports its fixtures)."""
    return seal


def start_attempt(citizen: Any, payment: Payment, reference: str | None = None) -> Attempt:
    """The applicant starts paying through the national platform: checkout's
    services.attempts.start where it exists, else the same action done here (the Attempt
    created in start_attempt, the provider's start, payment.attempt_started). The INIT is
    delivered right after the commit (Huey runs immediately in tests)."""
    actor = actor_for_user(citizen)
    try:
        from egov.payments.services import attempts  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        attempts = None
    if attempts is not None and reference is None:
        return attempts.start(actor=actor, payment=payment.code, provider="national")  # type: ignore[no-any-return]
    return _start_here(actor, payment, reference or f"QG{uuid.uuid4().hex[:14].upper()}")


def _start_here(actor: Actor, payment: Payment, reference: str) -> Attempt:
    provider = get_provider("national")
    assert provider is not None
    with perform(PAYMENT, "start_attempt", actor=actor, case=payment.code) as act:
        attempt = Attempt.objects.create(
            payment=act.case,
            provider="national",
            reference=reference,
            amount=act.case.amount,
            started_by_id=actor.user_id,
        )
        provider.start(act, attempt)
        act.record(E.ATTEMPT_STARTED, attempt=reference, provider="national")
    return Attempt.objects.get(pk=attempt.pk)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def press(url: str, action: str = "pay") -> str:
    """Press a button of the stand-in's payment page; returns where it sends the payer."""
    data = urllib.parse.urlencode({"action": action}).encode()
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(urllib.request.Request(url, data=data, method="POST"), timeout=30)
    except urllib.error.HTTPError as exc:
        assert exc.code == 303, exc.code
        return str(exc.headers["Location"])
    raise AssertionError("the payment page did not redirect")


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return str(response.read().decode("utf-8"))


def post_raw(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, Any]:
    import json

    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@dataclass(frozen=True)
class Snapshot:
    """What a refused callback must leave as it was."""

    payment: tuple[Any, ...]
    attempts: list[tuple[Any, ...]]
    dossier: tuple[Any, ...]
    events: list[tuple[str, str]]
    outbox: list[str]
    receipts: int


def snapshot(payment: Payment) -> Snapshot:
    p = Payment.objects.get(pk=payment.pk)
    d = p.dossier
    d.refresh_from_db()
    return Snapshot(
        payment=(p.status, p.version, p.paid_at, p.settled_attempt_id),
        attempts=list(
            Attempt.objects.filter(payment=p)
            .order_by("pk")
            .values_list("reference", "status", "provider_transaction", "failure")
        ),
        dossier=(d.status, d.payment_state, d.amount_paid, d.paid_at),
        events=list(Event.objects.order_by("pk").values_list("event_type", "subject_id")),
        outbox=list(OutboxMessage.objects.order_by("pk").values_list("idempotency_key", flat=True)),
        receipts=Receipt.objects.filter(payment=p).count(),
    )


def assert_only_refusal_recorded(before: Snapshot, payment: Payment, code: str) -> Callback:
    """Nothing changed but one refused Callback row (and its refusal event when the attempt
    is known)."""
    after = snapshot(payment)
    assert after.payment == before.payment
    assert after.attempts == before.attempts
    assert after.dossier == before.dossier
    assert after.outbox == before.outbox
    assert after.receipts == before.receipts
    new_events = after.events[len(before.events) :]
    assert after.events[: len(before.events)] == before.events
    callback = Callback.objects.order_by("-pk").first()
    assert callback is not None
    assert (callback.verdict, callback.reason_code) == ("refused", code)
    if callback.attempt_id is not None:
        assert new_events == [("payment.callback_refused", payment.code)]
        refused = Event.objects.get(event_type="payment.callback_refused")
        assert refused.payload["callback"] == callback.pk
        assert refused.payload["reason_code"] == code
    else:
        assert new_events == []
    return callback


def committed(func: Any) -> Any:
    """Run `func` in its own transaction (as a request would)."""
    with transaction.atomic():
        return func()
