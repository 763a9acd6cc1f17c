"""The only code that changes webhook subscriptions: create, update, delete, rotate the secret,
replay a time range, ping, disable. Each records its event in the same transaction; the
subscription is found through the scope policy (scopes.py), so a client reaches only its own.

Deliveries are enqueued in the outbox (topic `cloudevent`) by the projector (projector.py) in the
transaction of the event they carry, and sent by delivery.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from egov.core.actors import SYSTEM, Actor
from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.core.scoping import visible_to
from egov.events.models import Event
from egov.events.services import enqueue, record_event

from . import event_types as ET
from . import keys
from .error_codes import WebhookErrorCode
from .models import MAX_EVENT_TYPES, MAX_NAME_LENGTH, Subscription
from .scopes import may_manage, unknown_patterns, visible_events
from .targets import TargetRefused, check_target

TOPIC = "cloudevent"


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def outbox_key(subscription_id: int, event_id: int, replay_id: int | None = None) -> str:
    key = f"webhook:{subscription_id}:{event_id}"
    return f"{key}:replay:{replay_id}" if replay_id else key


def enqueue_delivery(
    subscription: Subscription, event: Event, *, replay_id: int | None = None, ping: bool = False
) -> None:
    payload: dict[str, Any] = {"subscription": subscription.pk, "event": event.pk}
    if replay_id:
        payload["replay"] = replay_id
    if ping:
        payload["ping"] = True
    enqueue(TOPIC, payload, idempotency_key=outbox_key(subscription.pk, event.pk, replay_id))


# --- checks ---


def _require_client(actor: Actor) -> None:
    if not may_manage(actor):
        raise NotAllowed(
            "Chỉ ứng dụng API có phạm vi 'webhooks:manage' được đăng ký nhận sự kiện.",
            code=WebhookErrorCode.CLIENT_ONLY,
        )


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise DomainError(
            f"Tên phải có từ 1 đến {MAX_NAME_LENGTH} ký tự.", fields={"name": ["Tên không hợp lệ."]}
        )
    return name


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    try:
        check_target(url)
    except TargetRefused as exc:
        raise DomainError(
            str(exc), code=WebhookErrorCode.TARGET_REFUSED, fields={"target_url": [str(exc)]}
        ) from exc
    return url


def _clean_types(event_types: list[str]) -> list[str]:
    cleaned = sorted({str(t).strip() for t in event_types or []})
    if not cleaned or len(cleaned) > MAX_EVENT_TYPES:
        raise DomainError(
            f"Chọn từ 1 đến {MAX_EVENT_TYPES} loại sự kiện.",
            code=WebhookErrorCode.UNKNOWN_EVENT_TYPE,
            fields={"event_types": ["Danh sách loại sự kiện không hợp lệ."]},
        )
    bad = unknown_patterns(cleaned)
    if bad:
        raise DomainError(
            "Loại sự kiện không có trong danh mục sự kiện được gửi: " + ", ".join(bad[:10]),
            code=WebhookErrorCode.UNKNOWN_EVENT_TYPE,
            fields={"event_types": [f"Không có trong danh mục: {b}" for b in bad[:10]]},
        )
    return cleaned


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "")[:100]


def _payload(sub: Subscription) -> dict[str, Any]:
    return {
        "api_client": sub.api_client_id,
        "name": sub.name,
        "target_host": _host(sub.target_url),
        "event_types": list(sub.event_types),
        "is_active": sub.is_active,
    }


def _record(actor: Actor, event_type: Any, sub: Subscription, **extra: Any) -> Event:
    return record_event(
        actor=actor,
        event_type=event_type,
        subject_type=ET.SUBJECT,
        subject_id=sub.pk,
        agency_id=sub.api_client.agency_id,
        payload={**_payload(sub), **extra},
    )


def _locked(actor: Actor, subscription_id: int) -> Subscription:
    found = (
        visible_to(actor, Subscription.objects.select_for_update())
        .select_related("api_client")
        .filter(pk=subscription_id)
        .first()
    )
    if found is None:
        raise NotFoundError("Không tìm thấy đăng ký nhận sự kiện.")
    return found


# --- services ---


@transaction.atomic
def create_subscription(
    *, actor: Actor, name: str, target_url: str, event_types: list[str]
) -> tuple[Subscription, str]:
    """Create a subscription for the acting client; the secret is returned once, never again."""
    _require_client(actor)
    name = _clean_name(name)
    target_url = _clean_url(target_url)
    types = _clean_types(event_types)
    limit = int(_setting("WEBHOOK_MAX_SUBSCRIPTIONS_PER_CLIENT", 20))
    if Subscription.objects.filter(api_client_id=actor.api_client_id).count() >= limit:
        raise DomainError(
            f"Mỗi ứng dụng có tối đa {limit} đăng ký nhận sự kiện.",
            code=WebhookErrorCode.TOO_MANY_SUBSCRIPTIONS,
        )
    assert actor.api_client_id is not None  # may_manage
    secret = keys.new_secret()
    now = timezone.now()
    sub = Subscription.objects.create(
        api_client_id=actor.api_client_id,
        name=name,
        target_url=target_url,
        event_types=types,
        secret_encrypted=keys.seal(secret),
        created_at=now,
        updated_at=now,
    )
    sub = Subscription.objects.select_related("api_client").get(pk=sub.pk)
    _record(actor, ET.CREATED, sub)
    return sub, secret


@transaction.atomic
def update_subscription(
    *,
    actor: Actor,
    subscription_id: int,
    name: str | None = None,
    target_url: str | None = None,
    event_types: list[str] | None = None,
    is_active: bool | None = None,
) -> Subscription:
    _require_client(actor)
    sub = _locked(actor, subscription_id)
    changes: list[str] = []
    if name is not None and _clean_name(name) != sub.name:
        sub.name = _clean_name(name)
        changes.append("name")
    if target_url is not None and target_url.strip() != sub.target_url:
        sub.target_url = _clean_url(target_url)
        changes.append("target_url")
    if event_types is not None:
        types = _clean_types(event_types)
        if types != sub.event_types:
            sub.event_types = types
            changes.append("event_types")
    if is_active is not None and is_active != sub.is_active:
        sub.is_active = is_active
        sub.disabled_reason = "" if is_active else "Ứng dụng tạm dừng."
        changes.append("is_active")
    if changes:
        sub.updated_at = timezone.now()
        sub.save()
        _record(actor, ET.UPDATED, sub, changes=changes)
    return sub


@transaction.atomic
def delete_subscription(*, actor: Actor, subscription_id: int) -> None:
    _require_client(actor)
    sub = _locked(actor, subscription_id)
    _record(actor, ET.DELETED, sub)
    sub.delete()


@transaction.atomic
def rotate_secret(
    *, actor: Actor, subscription_id: int, overlap: timedelta | None = None
) -> tuple[Subscription, str]:
    """A new secret (returned once); the current one stays valid for `overlap` (default
    WEBHOOK_ROTATION_OVERLAP_HOURS), during which every delivery carries both signatures."""
    _require_client(actor)
    sub = _locked(actor, subscription_id)
    if overlap is None:
        overlap = timedelta(hours=float(_setting("WEBHOOK_ROTATION_OVERLAP_HOURS", 24)))
    now = timezone.now()
    secret = keys.new_secret()
    sub.previous_secret_encrypted = sub.secret_encrypted
    sub.previous_secret_expires_at = now + overlap
    sub.secret_encrypted = keys.seal(secret)
    sub.secret_rotated_at = now
    sub.updated_at = now
    sub.save()
    _record(actor, ET.SECRET_ROTATED, sub, previous_valid_until=sub.previous_secret_expires_at)
    return sub, secret


def signing_secrets(sub: Subscription, *, now: datetime | None = None) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one while
    its overlap lasts."""
    now = now or timezone.now()
    found = [keys.unseal(sub.secret_encrypted)]
    if (
        sub.previous_secret_encrypted
        and sub.previous_secret_expires_at is not None
        and sub.previous_secret_expires_at > now
    ):
        found.append(keys.unseal(sub.previous_secret_encrypted))
    return found


@dataclass(frozen=True)
class ReplayResult:
    replay_id: int
    start: datetime
    end: datetime
    count: int


def _type_filter(patterns: list[str]) -> Q:
    condition = Q(pk__in=[])
    for pattern in patterns:
        if pattern.endswith(".*"):
            condition |= Q(event_type__startswith=pattern[:-1])
        else:
            condition |= Q(event_type=pattern)
    return condition


@transaction.atomic
def replay(
    *, actor: Actor, subscription_id: int, start: datetime, end: datetime | None = None
) -> ReplayResult:
    """Deliver again the events of [start, end) this subscription would have received (at most
    WEBHOOK_REPLAY_MAX_EVENTS: a larger range is refused whole, ask for smaller ones). The new
    deliveries carry the events' own CloudEvent ids, so a receiver that has them ignores them."""
    _require_client(actor)
    sub = _locked(actor, subscription_id)
    now = timezone.now()
    end = min(end or now, now)
    if start >= end:
        raise DomainError(
            "Khoảng thời gian gửi lại không hợp lệ: 'from' phải trước 'to' và trước hiện tại.",
            code=WebhookErrorCode.REPLAY_RANGE_INVALID,
            fields={"from": ["Phải trước 'to' và trước hiện tại."]},
        )
    if not sub.is_active:
        raise Conflict(
            "Đăng ký đang tạm dừng: hãy bật lại trước khi yêu cầu gửi lại.",
            code=WebhookErrorCode.SUBSCRIPTION_INACTIVE,
        )
    limit = int(_setting("WEBHOOK_REPLAY_MAX_EVENTS", 1000))
    events = visible_events(
        sub.api_client, Event.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    ).filter(_type_filter(sub.event_types))
    found = list(events.order_by("id")[: limit + 1])
    if len(found) > limit:
        raise DomainError(
            f"Khoảng thời gian có hơn {limit} sự kiện: hãy chia thành các khoảng nhỏ hơn.",
            code=WebhookErrorCode.REPLAY_TOO_LARGE,
            fields={"from": [f"Tối đa {limit} sự kiện mỗi lần gửi lại."]},
        )
    record = _record(actor, ET.REPLAYED, sub, from_=start, to=end, count=len(found))
    for event in found:
        enqueue_delivery(sub, event, replay_id=record.pk)
    return ReplayResult(replay_id=record.pk, start=start, end=end, count=len(found))


@transaction.atomic
def ping(*, actor: Actor, subscription_id: int) -> Event:
    """Send a test delivery (type webhook_subscription.pinged) to this subscription only."""
    _require_client(actor)
    sub = _locked(actor, subscription_id)
    if not sub.is_active:
        raise Conflict(
            "Đăng ký đang tạm dừng: hãy bật lại trước khi gửi thử.",
            code=WebhookErrorCode.SUBSCRIPTION_INACTIVE,
        )
    event = record_event(
        actor=actor,
        event_type=ET.PINGED,
        subject_type=ET.SUBJECT,
        subject_id=sub.pk,
        agency_id=sub.api_client.agency_id,
        payload={"api_client": sub.api_client_id},
    )
    enqueue_delivery(sub, event, ping=True)
    return event


@transaction.atomic
def disable(*, actor: Actor, subscription_id: int, reason: str) -> Subscription | None:
    """Switch a subscription off (the receiver answered 410 Gone; an operator). Pending
    deliveries are then skipped. None if it is gone or already off."""
    if not (actor.is_operator or may_manage(actor)):
        raise NotAllowed("Không có quyền tạm dừng đăng ký nhận sự kiện.")
    sub = (
        visible_to(actor, Subscription.objects.select_for_update())
        .select_related("api_client")
        .filter(pk=subscription_id)
        .first()
    )
    if sub is None or not sub.is_active:
        return None
    sub.is_active = False
    sub.disabled_reason = reason[:200]
    sub.updated_at = timezone.now()
    sub.save()
    _record(actor, ET.DISABLED, sub, reason=reason[:200])
    return sub


@transaction.atomic
def enable(*, actor: Actor, subscription_id: int) -> Subscription | None:
    """An operator switches a subscription back on (the administration)."""
    if not actor.is_operator:
        raise NotAllowed("Chỉ quản trị hệ thống được bật lại đăng ký từ trang quản trị.")
    sub = _locked(actor, subscription_id)
    if sub.is_active:
        return sub
    sub.is_active = True
    sub.disabled_reason = ""
    sub.updated_at = timezone.now()
    sub.save()
    _record(actor, ET.UPDATED, sub, changes=["is_active"])
    return sub


def disable_gone(subscription_id: int) -> None:
    """The receiver answered 410 Gone: it does not want these deliveries any more."""
    disable(actor=SYSTEM, subscription_id=subscription_id, reason="Bên nhận trả lời 410 Gone.")
