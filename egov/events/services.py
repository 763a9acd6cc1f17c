"""Writing events. Call `record_event` inside the same transaction as the state change."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from egov.core.actors import Actor

from .models import ChainHead, Event

GENESIS_HASH = "0" * 64


def chain_for(agency_id: int | None) -> str:
    return f"agency:{agency_id}" if agency_id else "global"


def canonical_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Round-trip through JSON so the hashed form equals what the database gives back."""
    result: dict[str, Any] = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    return result


def compute_hash(
    *,
    prev_hash: str,
    chain: str,
    seq: int,
    occurred_at: datetime,
    actor_kind: str,
    actor_user_id: int | None,
    actor_api_client_id: int | None,
    actor_label: str,
    agency_id: int | None,
    subject_type: str,
    subject_id: str,
    event_type: str,
    payload: dict[str, Any],
) -> str:
    body = json.dumps(
        [
            prev_hash,
            chain,
            seq,
            occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            actor_kind,
            actor_user_id,
            actor_api_client_id,
            actor_label,
            agency_id,
            subject_type,
            subject_id,
            event_type,
            payload,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def event_hash(event: Event) -> str:
    return compute_hash(
        prev_hash=event.prev_hash,
        chain=event.chain,
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor_kind=event.actor_kind,
        actor_user_id=event.actor_user_id,
        actor_api_client_id=event.actor_api_client_id,
        actor_label=event.actor_label,
        agency_id=event.agency_id,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        event_type=event.event_type,
        payload=event.payload,
    )


def _lock_head(chain: str) -> ChainHead:
    head, _created = ChainHead.objects.get_or_create(
        chain=chain, defaults={"seq": 0, "hash": GENESIS_HASH}
    )
    # select_for_update makes concurrent writers of one chain wait for each other (PostgreSQL);
    # SQLite serialises writers anyway (transactions start IMMEDIATE).
    return ChainHead.objects.select_for_update().get(pk=head.pk)


def record_event(
    *,
    actor: Actor,
    event_type: str,
    subject_type: str,
    subject_id: str | int,
    payload: dict[str, Any] | None = None,
    agency_id: int | None = None,
) -> Event:
    """Append one event to its agency's chain. Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the state change")
    chain = chain_for(agency_id)
    head = _lock_head(chain)
    occurred_at = timezone.now()
    clean_payload = canonical_payload(payload or {})
    fields: dict[str, Any] = {
        "chain": chain,
        "seq": head.seq + 1,
        "occurred_at": occurred_at,
        "actor_kind": actor.kind,
        "actor_user_id": actor.user_id,
        "actor_api_client_id": actor.api_client_id,
        "actor_label": actor.label[:150],
        "agency_id": agency_id,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "event_type": event_type,
        "payload": clean_payload,
    }
    digest = compute_hash(prev_hash=head.hash, **fields)
    event = Event.objects.create(prev_hash=head.hash, hash=digest, **fields)
    ChainHead.objects.filter(pk=chain).update(seq=event.seq, hash=digest)
    return event
