"""Who sees which subscriptions and deliveries, and which events a client may receive: the one
place for the webhooks' authorisation.

- Subscriptions and their delivery log: the API client that owns them (an API client needs
  `webhooks:manage`); operators (the administration). Nobody else, not even the client's agency's
  officials: a subscription is the client's configuration.
- Events a client receives (`may_receive`): a declared event type the subscription asked for,
  whose subject is not an account, a credential or the webhooks' own bookkeeping
  (NOT_DELIVERED_SUBJECTS); for a client bound to an agency, only events of that agency's chain
  (`Event.agency_id`); a province-wide client (no agency) receives every agency's.
- What an event's `data` holds (`event_data`): by default only what identifies the change (type,
  subject type and id, agency, time) and the few payload fields that carry no personal data
  (SAFE_PAYLOAD_FIELDS: status and dates). The declared payload in full only for a client that
  also holds `webhooks:payload`, which an operator grants after checking the receiver's legal
  basis to process personal data (Decree 13/2023).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from egov.core.actors import Actor
from egov.core.scoping import scope_policy
from egov.events.catalogue import CATALOGUE
from egov.events.models import Event

from .models import Delivery, Subscription

MANAGE_SCOPE = "webhooks:manage"
PAYLOAD_SCOPE = "webhooks:payload"

# Subjects whose events are never delivered: accounts and sign-ins (personal data, security
# events), API clients and credentials, signing keys, the outbox, benchmarks, and webhooks'
# own events (a delivery must never cause another delivery).
NOT_DELIVERED_SUBJECTS = frozenset(
    {
        "user",
        "login",
        "api_client",
        "applicant_notice",
        "outbox_message",
        "signing.identity",
        "signing.ca",
        "bank_statement",
        "bench",
        "webhook_subscription",
    }
)
# Payload fields every subscriber receives: states and dates, never names, notes or documents.
SAFE_PAYLOAD_FIELDS = (
    "status",
    "status_code",
    "on_time",
    "due_at",
    "appointment_at",
    "version",
)


# --- subscriptions and their delivery log --------------------------------------------------------


def _own(actor: Actor, qs: QuerySet[Any], field: str) -> QuerySet[Any]:
    if actor.is_operator:
        return qs
    if actor.kind == "api_client" and actor.api_client_id and actor.has_scope(MANAGE_SCOPE):
        return qs.filter(**{field: actor.api_client_id})
    return qs.none()


scope_policy(Subscription)(lambda actor, qs: _own(actor, qs, "api_client_id"))
scope_policy(Delivery)(lambda actor, qs: _own(actor, qs, "subscription__api_client_id"))


def may_manage(actor: Actor) -> bool:
    """Only API clients have subscriptions (operators act through the administration)."""
    return (
        actor.kind == "api_client" and bool(actor.api_client_id) and actor.has_scope(MANAGE_SCOPE)
    )


# --- which events ---------------------------------------------------------------------------------


def deliverable_types() -> list[str]:
    """The declared event types a subscription may ask for."""
    return sorted(
        name for name, entry in CATALOGUE.items() if entry.subject not in NOT_DELIVERED_SUBJECTS
    )


def unknown_patterns(patterns: Iterable[str]) -> list[str]:
    """Those of `patterns` that name no deliverable declared type (`x.*` must match one)."""
    names = deliverable_types()
    bad = []
    for pattern in patterns:
        if pattern.endswith(".*"):
            prefix = pattern[:-1]
            if len(prefix) < 2 or not any(n.startswith(prefix) for n in names):
                bad.append(pattern)
        elif pattern not in names:
            bad.append(pattern)
    return bad


def type_matches(patterns: Iterable[str], event_type: str) -> bool:
    for pattern in patterns:
        if pattern.endswith(".*"):
            if event_type.startswith(pattern[:-1]):
                return True
        elif pattern == event_type:
            return True
    return False


def _deliverable(event_type: str) -> bool:
    entry = CATALOGUE.get(event_type)
    return entry is not None and entry.subject not in NOT_DELIVERED_SUBJECTS


def client_sees(client: Any, event: Event) -> bool:
    """An agency client its agency's events; a province-wide client every agency's."""
    if client.agency_id is None:
        return True
    return event.agency_id == client.agency_id


def client_usable(client: Any) -> bool:
    scopes = set(client.scopes or [])
    return bool(client.is_usable()) and (MANAGE_SCOPE in scopes or "webhooks:*" in scopes)


def may_receive(subscription: Subscription, event: Event) -> bool:
    """Whether this event goes to this subscription (type asked for, deliverable, visible)."""
    client = subscription.api_client
    return (
        _deliverable(event.event_type)
        and type_matches(subscription.event_types, event.event_type)
        and client_usable(client)
        and client_sees(client, event)
    )


def visible_events(client: Any, qs: QuerySet[Event]) -> QuerySet[Event]:
    """The events a client may receive, as a query (replays)."""
    qs = qs.filter(event_type__in=deliverable_types())
    if client.agency_id is not None:
        qs = qs.filter(agency_id=client.agency_id)
    return qs


def event_data(client: Any, event: Event) -> dict[str, Any]:
    """The CloudEvent's `data` for this client (see the module's docstring)."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    scopes = set(client.scopes or [])
    full = PAYLOAD_SCOPE in scopes or "webhooks:*" in scopes
    data: dict[str, Any] = {
        "event_type": event.event_type,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "agency_id": event.agency_id,
        "occurred_at": event.occurred_at.isoformat(),
    }
    if full:
        data["payload"] = payload
    else:
        data["payload"] = {k: payload[k] for k in SAFE_PAYLOAD_FIELDS if k in payload}
    return data
