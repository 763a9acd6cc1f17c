"""The `cloudevent` outbox deliverer: one event to one subscription, as a CloudEvents 1.0
structured JSON body (`application/cloudevents+json`) signed as Standard Webhooks.

Headers: `webhook-id` (the CloudEvent id: the same on retries and replays, so a receiver can
deduplicate), `webhook-timestamp` (seconds, this attempt), `webhook-signature` (`v1,<base64
HMAC-SHA256 of id.timestamp.body>`, one per valid secret, space-separated: during a rotation both
the new and the previous secret sign). 2xx: delivered. 410 Gone: the subscription is switched
off. Anything else, a timeout or a refused target: DeliveryError, the outbox retries with backoff.
Every attempt is written to the delivery log (models.Delivery).
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from django.conf import settings
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from egov.events.models import Event, OutboxMessage
from egov.events.services import DeliveryError, PermanentDeliveryError, register_deliverer

from . import services
from .models import MAX_ERROR_LENGTH, Delivery, DeliveryStatus, Subscription
from .scopes import event_data, may_receive
from .targets import TargetRefused, check_target

logger = logging.getLogger(__name__)

USER_AGENT = "egov-webhooks/1.0"
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
MAX_RESPONSE_BYTES = 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed (it could lead to an address the target check refused)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def source_url(event: Event) -> str:
    base = (
        str(getattr(settings, "WEBHOOK_SOURCE_URL", "") or "")
        or str(getattr(settings, "PUBLIC_BASE_URL", "") or "")
        or "http://localhost:8000"
    )
    return f"{base.rstrip('/')}/events/{event.chain}"


def cloudevent_id(event: Event) -> str:
    """Unique within its source (the chain): the chain and the event's place in it."""
    return f"{event.chain}-{event.seq}"


def build_cloudevent(subscription: Subscription, event: Event, *, replay: bool = False) -> bytes:
    attributes: dict[str, Any] = {
        "specversion": "1.0",
        "id": cloudevent_id(event),
        "source": source_url(event),
        "type": event.event_type,
        "subject": f"{event.subject_type}/{event.subject_id}",
        "time": event.occurred_at,
        "datacontenttype": "application/json",
    }
    if replay:
        attributes["egovreplay"] = True
    ce = CloudEvent(attributes=attributes, data=event_data(subscription.api_client, event))
    return JSONFormat().write(ce)


def signature_headers(
    msg_id: str, body: bytes, secrets: list[str], *, now: datetime | None = None
) -> dict[str, str]:
    when = now or datetime.now(UTC)
    signatures = " ".join(Webhook(s).sign(msg_id, when, body) for s in secrets)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signatures,
    }


def _log(
    subscription: Subscription,
    event: Event,
    message: OutboxMessage,
    status: str,
    *,
    replay: bool,
    http_status: int | None = None,
    duration_ms: int = 0,
    error: str = "",
) -> None:
    Delivery.objects.create(
        subscription=subscription,
        event_id=event.pk,
        outbox_message_id=message.pk,
        cloudevent_id=cloudevent_id(event),
        attempt=message.attempts,
        is_replay=replay,
        status=status,
        http_status=http_status,
        duration_ms=duration_ms,
        error=error[:MAX_ERROR_LENGTH],
        attempted_at=timezone.now(),
    )


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked by check_target
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": CONTENT_TYPE,
            "User-Agent": USER_AGENT,
            **headers,
        },
    )
    timeout = float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(MAX_RESPONSE_BYTES)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@register_deliverer(services.TOPIC)
def deliver(message: OutboxMessage) -> None:
    payload = message.payload
    subscription = (
        Subscription.objects.select_related("api_client")
        .filter(pk=payload.get("subscription"))
        .first()
    )
    if subscription is None:
        return  # deleted since: nothing to deliver, nobody to tell
    event = Event.objects.filter(pk=payload.get("event")).first()
    if event is None:
        raise PermanentDeliveryError(f"Sự kiện {payload.get('event')} không tồn tại.")
    replay = bool(payload.get("replay"))
    if payload.get("ping"):
        allowed = event.subject_id == str(subscription.pk)
    else:
        allowed = may_receive(subscription, event)
    if not subscription.is_active or not allowed:
        _log(subscription, event, message, DeliveryStatus.SKIPPED, replay=replay)
        return
    started = time.monotonic()
    try:
        check_target(subscription.target_url)
    except TargetRefused as exc:
        _log(subscription, event, message, DeliveryStatus.FAILED, replay=replay, error=str(exc))
        raise DeliveryError(str(exc)) from exc
    body = build_cloudevent(subscription, event, replay=replay)
    headers = signature_headers(cloudevent_id(event), body, services.signing_secrets(subscription))
    try:
        status = _post(subscription.target_url, body, headers)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        error = f"Không kết nối được: {exc}"
        _log(
            subscription,
            event,
            message,
            DeliveryStatus.FAILED,
            replay=replay,
            duration_ms=elapsed,
            error=error,
        )
        raise DeliveryError(error) from exc
    elapsed = int((time.monotonic() - started) * 1000)
    if 200 <= status < 300:
        _log(
            subscription,
            event,
            message,
            DeliveryStatus.DELIVERED,
            replay=replay,
            http_status=status,
            duration_ms=elapsed,
        )
        return
    if status == 410:
        _log(
            subscription,
            event,
            message,
            DeliveryStatus.GONE,
            replay=replay,
            http_status=status,
            duration_ms=elapsed,
            error="410 Gone: đăng ký đã được tạm dừng.",
        )
        services.disable_gone(subscription.pk)
        logger.warning(
            "webhook subscription %s disabled: the receiver answered 410", subscription.pk
        )
        return
    error = f"HTTP {status}"
    _log(
        subscription,
        event,
        message,
        DeliveryStatus.FAILED,
        replay=replay,
        http_status=status,
        duration_ms=elapsed,
        error=error,
    )
    raise DeliveryError(f"{error} từ đăng ký {subscription.pk}")
