"""The event log and the outbox: the only code that writes them.

- `record_event`: append to the agency's hash chain, inside the state change's transaction.
- `verify_event_log`: recompute the chains, check them against the signed checkpoints, and
  report the first broken row.
- `create_checkpoint`, `timestamp_checkpoints`, `sync_checkpoint_file`: sign where the chains
  end, have a time-stamping authority attest it (RFC 3161), and keep both outside the database,
  so a cut of the log's end is found (`checkpoints.py` has the format).
- `enqueue`: queue a message to another system in the caller's transaction; the worker
  (`dispatch_due`, `dispatch_message`, `sweep_outbox`) delivers it through a registered deliverer.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import heapq
import json
import logging
import os
import random
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from egov.core.actors import Actor
from egov.core.errors import NotAllowed
from egov.core.registry import Registry

from . import checkpoints, event_types
from .catalogue import CATALOGUE, EventPayloadError, EventType
from .models import (
    ChainHead,
    CheckpointedHead,
    CheckpointTimestamp,
    Event,
    EventArchive,
    EventCheckpoint,
    OutboxMessage,
)
from .timestamps import (
    Timestamper,
    TimestampRefused,
    TimestampToken,
    TimestampUnavailable,
    TokenChecker,
    configured_timestamper,
    token_verifier,
)

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


def _lock_head(chain: str) -> tuple[int, str]:
    """(seq, hash) of the chain's head, locked until the transaction ends; a new chain starts at
    genesis. Concurrent writers of one chain wait for each other here (PostgreSQL); SQLite
    serialises writers anyway (transactions start IMMEDIATE)."""
    if connection.vendor == "postgresql":
        # Through the owner's function: the runtime role may not write heads itself.
        with connection.cursor() as cursor:
            cursor.execute("SELECT head_seq, head_hash FROM egov_events_lock_head(%s)", [chain])
            seq, digest = cursor.fetchone()
        return int(seq), str(digest)
    head, _created = ChainHead.objects.get_or_create(
        chain=chain, defaults={"seq": 0, "hash": GENESIS_HASH}
    )
    # SQLite has no SELECT ... FOR UPDATE and its transaction already holds the write lock
    # (IMMEDIATE): reading the row a second time there locked nothing, it only cost a query.
    if connection.features.has_select_for_update:
        head = ChainHead.objects.select_for_update().get(pk=head.pk)
    return head.seq, head.hash


def lock_chain(agency_id: int | None) -> None:
    """Take the chain head of `agency_id` now, before locking a row a projector also locks.

    Lock order: every action takes its chain head first (record_event) and its projectors then
    lock their read-model rows (the national sync record, the open-dossier row). A transaction
    that locks such a row first and records an event on the chain after it waits for the chain
    while holding the row an action's projector waits for: a deadlock (seen in the local
    cluster's check, issue #19). Such a transaction calls this first; record_event then finds
    the head already its own."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_chain must run inside the transaction that records the event")
    _lock_head(chain_for(agency_id))


def _advance_head(chain: str, seq: int, digest: str) -> None:
    if connection.vendor == "postgresql":
        # The function moves the head only onto the event appended right after it.
        with connection.cursor() as cursor:
            cursor.execute("SELECT egov_events_advance_head(%s, %s, %s)", [chain, seq, digest])
        return
    ChainHead.objects.filter(pk=chain).update(seq=seq, hash=digest)


def record_event(
    *,
    actor: Actor,
    event_type: str | EventType[Any],
    subject_type: str,
    subject_id: str | int,
    payload: dict[str, Any] | None = None,
    agency_id: int | None = None,
) -> Event:
    """Append one event to its agency's chain. Must run inside the caller's transaction.

    The type must be declared in the event catalogue (catalogue.py) and the subject and payload
    must be what it declares; anything else is a programming error and nothing is written.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the state change")
    declared = CATALOGUE.get(str(event_type))
    if declared is None:
        raise EventPayloadError(f"event type {event_type!s} is not declared in the catalogue")
    declared.check(subject_type, payload or {})
    event_type = str(event_type)
    chain = chain_for(agency_id)
    head_seq, head_hash = _lock_head(chain)
    occurred_at = timezone.now()
    clean_payload = canonical_payload(payload or {})
    fields: dict[str, Any] = {
        "chain": chain,
        "seq": head_seq + 1,
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
    digest = compute_hash(prev_hash=head_hash, **fields)
    event = Event.objects.create(prev_hash=head_hash, hash=digest, **fields)
    _advance_head(chain, event.seq, digest)
    for (prefix, _func), projector in PROJECTORS.items():
        if event_type.startswith(prefix):
            projector(event)
    return event


# Read models kept in step with the log: each projector runs inside record_event, in the same
# transaction as the event, so a read model can never miss or double-count an event.
Projector = Callable[[Event], None]
# Keyed by (prefix, projector): a prefix may have several projectors, and the same one
# registered again (a module imported twice) is a no-op.
PROJECTORS: Registry[tuple[str, Projector], Projector] = Registry("projector")


def register_projector(prefix: str) -> Callable[[Projector], Projector]:
    """Decorator: `func(event)` runs for every recorded event whose type starts with `prefix`,
    inside the event's transaction (an exception rolls the state change back too)."""

    def register(func: Projector) -> Projector:
        return PROJECTORS.register((prefix, func), func)

    return register


# ---------------------------------------------------------------------------------------------
# Tamper evidence: walking the chains
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """The first row where a chain stops being consistent."""

    code: str  # seq_gap, prev_hash_mismatch, hash_mismatch, chain_mismatch, head_*
    chain: str
    event_id: int | None
    seq: int | None
    message: str

    def __str__(self) -> str:
        row = f"id={self.event_id}" if self.event_id is not None else "id=-"
        return f"{row} chain={self.chain} seq={self.seq}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    chains: int
    events: int
    first_break: ChainBreak | None = None
    checkpoints: int = 0
    # Checkpoints signed by a key this installation no longer has (SECRET_KEY rotated without
    # keeping the old one in SECRET_KEY_FALLBACKS): not checked, reported.
    unverifiable_checkpoints: int = 0
    # Checkpoints without a timestamp token yet (the TSA did not answer; none configured):
    # reported, not a failure.
    untimestamped_checkpoints: int = 0
    # Months detached from the database (egov.events.partitions): not verified here; the
    # chains were verified across them from the recorded end of each detached range.
    archives: tuple[EventArchive, ...] = ()
    archived_events: int = 0  # rows of those ranges the walk stepped over
    # Checkpoints whose pinned event is in a detached range: the last event of a range is
    # checked against the archive record; one inside a range only against the dump.
    archived_pins: int = 0


@dataclass(frozen=True)
class ArchivedSegment:
    """One chain's part of one archive: seq first..last, linked by their hashes."""

    first_seq: int
    last_seq: int
    first_prev_hash: str
    last_hash: str
    rows: int
    archive_id: int


def archive_chains_digest(chains: dict[str, Any]) -> str:
    """SHA-256 of an archive record's per-chain ranges, carried by the event that detached them."""
    text = json.dumps(chains, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _archive_record_break(archive: EventArchive) -> ChainBreak | None:
    """The archive record must say what its event said (when that event is still attached)."""
    event = Event.objects.filter(
        event_type="event_archive.partitions_archived",
        subject_type="event_archive",
        subject_id=str(archive.pk),
    ).first()
    if event is None or event.payload.get("chains_sha256") == archive_chains_digest(archive.chains):
        return None
    return ChainBreak(
        "archive_record_mismatch",
        event.chain,
        event.pk,
        event.seq,
        f"Hồ sơ lưu trữ id={archive.pk} không khớp với sự kiện ghi lúc tách phân vùng "
        "(hồ sơ lưu trữ đã bị sửa?).",
    )


def archived_segments() -> dict[str, dict[int, ArchivedSegment]]:
    """Per chain, its detached ranges keyed by their first seq."""
    segments: dict[str, dict[int, ArchivedSegment]] = {}
    for archive in EventArchive.objects.order_by("id"):
        for name, rng in archive.chains.items():
            segment = ArchivedSegment(
                int(rng["first_seq"]),
                int(rng["last_seq"]),
                str(rng["first_prev_hash"]),
                str(rng["last_hash"]),
                int(rng["rows"]),
                archive.pk,
            )
            segments.setdefault(name, {})[segment.first_seq] = segment
    return segments


def _chain_rows(chain: str, after_seq: int, chunk_size: int) -> Iterator[Event]:
    """Rows of one chain in seq order, read in keyset pages so memory stays flat."""
    last = after_seq
    while True:
        page = list(Event.objects.filter(chain=chain, seq__gt=last).order_by("seq")[:chunk_size])
        if not page:
            return
        yield from page
        last = page[-1].seq


def _verify_chain(
    chain: str, chunk_size: int, archived: dict[int, ArchivedSegment] | None = None
) -> tuple[int, int, ChainBreak | None]:
    """(events verified, archived events stepped over, the first break)."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    first: Event | None = None
    last: Event | None = None
    count = 0
    skipped = 0
    archived = archived or {}

    def step_over_archives(until: int | None) -> None:
        # A detached range that starts where the walk is and links onto its hash is stepped
        # over: the walk goes on from the range's recorded last seq and hash.
        nonlocal expected_seq, prev_hash, skipped
        # A range partly re-attached (one month of it back for a look) is walked as far as its
        # rows go, and stepped over from there to its recorded end.
        while until is None or expected_seq < until:
            segment = archived.get(expected_seq) or next(
                (s for s in archived.values() if s.first_seq < expected_seq <= s.last_seq), None
            )
            if segment is None or (
                segment.first_seq == expected_seq and segment.first_prev_hash != prev_hash
            ):
                return
            skipped += segment.last_seq - expected_seq + 1
            expected_seq, prev_hash = segment.last_seq + 1, segment.last_hash

    while True:
        for event in _chain_rows(chain, expected_seq - 1, chunk_size):
            if first is None:
                first = event
            if event.seq != expected_seq:
                step_over_archives(event.seq)
            if event.seq != expected_seq:
                return (
                    count,
                    skipped,
                    ChainBreak(
                        "seq_gap",
                        chain,
                        event.pk,
                        event.seq,
                        f"Thiếu sự kiện số {expected_seq}..{event.seq - 1} ngay trước sự kiện này "
                        "(đã bị xóa?).",
                    ),
                )
            if event.prev_hash != prev_hash:
                return (
                    count,
                    skipped,
                    ChainBreak(
                        "prev_hash_mismatch",
                        chain,
                        event.pk,
                        event.seq,
                        "prev_hash không khớp với hash của sự kiện liền trước.",
                    ),
                )
            if event_hash(event) != event.hash:
                return (
                    count,
                    skipped,
                    ChainBreak(
                        "hash_mismatch",
                        chain,
                        event.pk,
                        event.seq,
                        "Nội dung sự kiện đã bị sửa: hash tính lại không khớp hash đã lưu.",
                    ),
                )
            if chain_for(event.agency_id) != chain:
                return (
                    count,
                    skipped,
                    ChainBreak(
                        "chain_mismatch",
                        chain,
                        event.pk,
                        event.seq,
                        f"Sự kiện của cơ quan {event.agency_id} nằm sai chuỗi.",
                    ),
                )
            prev_hash = event.hash
            expected_seq = event.seq + 1
            last = event
            count += 1
        # The head is read after the rows: record_event commits a row and its head together, so
        # a head behind the rows means rows were added outside record_event. A head ahead of the
        # rows can be a writer that committed while we were reading: read on.
        step_over_archives(None)  # a chain whose last events are all archived
        head = ChainHead.objects.filter(pk=chain).first()
        if head is None or head.seq < expected_seq:
            break
        if Event.objects.filter(chain=chain, seq__gte=expected_seq).exists():
            continue
        break

    last_seq = expected_seq - 1
    if head is None:
        if first is None and not skipped:
            return count, skipped, None
        return (
            count,
            skipped,
            ChainBreak(
                "head_missing",
                chain,
                first.pk if first else None,
                first.seq if first else None,
                "Chuỗi không có đầu chuỗi (ChainHead): sự kiện được chèn ngoài record_event?",
            ),
        )
    if head.seq > last_seq:
        return (
            count,
            skipped,
            ChainBreak(
                "head_ahead",
                chain,
                last.pk if last else None,
                last_seq,
                f"Đầu chuỗi ghi {head.seq} sự kiện nhưng chuỗi chỉ còn đến số {last_seq} "
                "(sự kiện cuối đã bị xóa?).",
            ),
        )
    if head.seq < last_seq:
        extra = Event.objects.filter(chain=chain, seq=head.seq + 1).first()
        return (
            count,
            skipped,
            ChainBreak(
                "head_behind",
                chain,
                extra.pk if extra else None,
                head.seq + 1,
                f"Sự kiện nằm sau đầu chuỗi (đầu chuỗi ghi {head.seq}): "
                "được chèn ngoài record_event?",
            ),
        )
    if head.hash != prev_hash:
        return (
            count,
            skipped,
            ChainBreak(
                "head_hash_mismatch",
                chain,
                last.pk if last else None,
                last_seq,
                "Hash của sự kiện cuối không khớp hash ghi ở đầu chuỗi.",
            ),
        )
    return count, skipped, None


def verify_event_log(
    *,
    chain: str | None = None,
    chunk_size: int = 2000,
    checkpoint_file: str | Path | None = None,
) -> VerifyResult:
    """Recompute every chain (or one) in seq order; stop at the first broken row. Then check
    the chains against every signed checkpoint (database and `checkpoint_file`, by default
    settings.EVENT_CHECKPOINT_FILE; "" for none): a checkpointed event that is gone or changed
    is a break even when what is left is a consistent chain.

    Reads rows in pages of `chunk_size`, so it runs in constant memory on any number of rows.
    """
    if chain is not None:
        names = [chain]
    else:
        event_chains = Event.objects.order_by().values_list("chain", flat=True).distinct()
        head_chains = ChainHead.objects.order_by().values_list("chain", flat=True)
        names = sorted(set(event_chains) | set(head_chains))
    total = 0
    stepped_over = 0
    segments = archived_segments()
    archives = tuple(EventArchive.objects.order_by("id"))
    for archive in archives:
        problem = _archive_record_break(archive)
        if problem is not None:
            return VerifyResult(
                ok=False, chains=len(names), events=0, first_break=problem, archives=archives
            )
    for name in names:
        count, skipped, problem = _verify_chain(name, chunk_size, segments.get(name))
        total += count
        stepped_over += skipped
        if problem is not None:
            return VerifyResult(
                ok=False,
                chains=len(names),
                events=total,
                first_break=problem,
                archives=archives,
                archived_events=stepped_over,
            )
    if checkpoint_file is None:
        checkpoint_file = _setting("EVENT_CHECKPOINT_FILE", "")
    report = verify_checkpoints(chain=chain, checkpoint_file=checkpoint_file or None)
    return VerifyResult(
        archives=archives,
        archived_events=stepped_over,
        archived_pins=report.archived,
        ok=report.first_break is None,
        chains=len(names),
        events=total,
        first_break=report.first_break,
        checkpoints=report.checked,
        unverifiable_checkpoints=report.unverifiable,
        untimestamped_checkpoints=report.untimestamped,
    )


# ---------------------------------------------------------------------------------------------
# Checkpoints: the chains' ends, signed and kept outside the database
# ---------------------------------------------------------------------------------------------


checkpoint_logger = logging.getLogger("egov.events.checkpoints")


def _lock_checkpoints() -> None:
    """One checkpoint writer at a time (SQLite serialises writers anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('egov.events.checkpoint'))")


def _heads_matching_events(heads: checkpoints.Heads) -> checkpoints.Heads:
    """The heads whose event is there with that hash: a checkpoint never signs a head that
    already disagrees with the log (the nightly verification reports that one)."""
    found: set[tuple[str, int, str]] = set()
    items = sorted(heads.items())
    for start in range(0, len(items), 200):
        query = Q()
        for name, (seq, _digest) in items[start : start + 200]:
            query |= Q(chain=name, seq=seq)
        found.update(Event.objects.filter(query).values_list("chain", "seq", "hash"))
    matching = {name: head for name, head in heads.items() if (name, *head) in found}
    for name in sorted(set(heads) - set(matching)):
        checkpoint_logger.error(
            "chain %s: its head does not match its last event; not checkpointed", name
        )
    return matching


def create_checkpoint(*, now: datetime | None = None) -> EventCheckpoint | None:
    """Sign where each chain that moved since the last checkpoint now ends (None: none moved).

    In the same transaction the checkpoint is queued to EVENT_CHECKPOINT_WEBHOOK_URL (outbox);
    after commit it is appended to EVENT_CHECKPOINT_FILE. Not recorded as an event: that event
    would move the global chain and so call for another checkpoint, for ever. The timestamp token
    comes after, from `timestamp_checkpoints` (the caller runs it next).
    """
    with transaction.atomic():
        _lock_checkpoints()
        now = now or timezone.now()  # taken under the lock: checkpoints are in time order
        known = {h.chain: (h.seq, h.hash) for h in CheckpointedHead.objects.select_for_update()}
        current = {h.chain: (h.seq, h.hash) for h in ChainHead.objects.filter(seq__gt=0)}
        moved = _heads_matching_events(
            {name: head for name, head in current.items() if known.get(name) != head}
        )
        if not moved:
            return None
        body = checkpoints.body_text(now, moved)
        key, signature = checkpoints.sign(body)
        checkpoint = EventCheckpoint.objects.create(
            created_at=now, body=body, key_id=key, signature=signature
        )
        for name, (seq, digest) in moved.items():
            CheckpointedHead.objects.update_or_create(
                chain=name, defaults={"seq": seq, "hash": digest}
            )
        url = str(_setting("EVENT_CHECKPOINT_WEBHOOK_URL", "") or "")
        if url:
            enqueue(
                OutboxMessage.Topic.WEBHOOK,
                {"url": url, "body": json.loads(checkpoints.line_text(body, key, signature))},
                idempotency_key=f"event-checkpoint:{checkpoint.pk}",
            )
        transaction.on_commit(sync_checkpoint_file, robust=True)
    return checkpoint


# The TSA's clock and ours may differ by this much; a token more than this before its
# checkpoint's time is not believed.
CLOCK_SKEW = timedelta(minutes=5)


def timestamp_tolerance() -> timedelta:
    """How long after its checkpoint a token may be: a checkpoint older than this is not stamped
    any more (its token would read as back-dating), and verify_events reports a token that is."""
    return timedelta(seconds=int(_setting("EVENT_CHECKPOINT_TSA_TOLERANCE_SECONDS", 6 * 3600)))


@dataclass
class TimestampReport:
    configured: bool = True
    stamped: int = 0
    pending: int = 0  # still without a token after this run (retried next run)
    expired: int = 0  # too old to be stamped credibly: stay without a token
    refused: int = 0  # answers that were not valid tokens for the request
    error: str = ""


def _stamp_time_problem(checkpoint_at: datetime, gen_time: datetime) -> str:
    if gen_time < checkpoint_at - CLOCK_SKEW:
        return (
            f"TSA ghi thời điểm {_local(gen_time)}, trước cả điểm chốt ({_local(checkpoint_at)}): "
            "đồng hồ của TSA hoặc của máy chủ sai"
        )
    if gen_time - checkpoint_at > timestamp_tolerance():
        return (
            f"TSA ghi thời điểm {_local(gen_time)}, quá xa sau điểm chốt ({_local(checkpoint_at)})"
        )
    return ""


def timestamp_checkpoints(
    *, timestamper: Timestamper | None = None, batch: int = 100
) -> TimestampReport:
    """Ask the time-stamping authority for a token over every checkpoint that has none, oldest
    first, and store each token (database; then the file and the webhook, like a checkpoint).

    The TSA is asked outside any transaction (on SQLite a transaction holds the write lock). A TSA
    that fails or times out leaves the checkpoint for the next run; an answer that is not a valid
    token for the request (another digest or nonce, bad signature, untrusted signer, an
    implausible time) is refused, logged and also retried next run. The run stops at the first
    checkpoint left without a token, so tokens are always given in checkpoint order: a checkpoint
    without one before a stamped one is then a sign that a token was removed.
    """
    report = TimestampReport()
    if timestamper is None:
        try:
            timestamper = configured_timestamper()
        except ValueError as exc:  # a TSA_URL that is not http(s): the checkpoints wait
            checkpoint_logger.error("timestamp authority misconfigured: %s", exc)
            report.error = str(exc)
            report.pending = EventCheckpoint.objects.filter(timestamp__isnull=True).count()
            return report
    if timestamper is None:
        report.configured = False
        report.pending = EventCheckpoint.objects.filter(timestamp__isnull=True).count()
        return report
    oldest = timezone.now() - timestamp_tolerance() + CLOCK_SKEW
    unstamped = EventCheckpoint.objects.filter(timestamp__isnull=True)
    report.expired = unstamped.filter(created_at__lt=oldest).count()
    due = list(unstamped.filter(created_at__gte=oldest).order_by("created_at", "id")[:batch])
    for checkpoint in due:
        try:
            token = timestamper.timestamp(checkpoints.body_digest(checkpoint.body))
            problem = _stamp_time_problem(checkpoint.created_at, token.gen_time)
            if problem:
                raise TimestampRefused(f"{timestamper.name}: {problem}")
        except TimestampRefused as exc:
            checkpoint_logger.error("checkpoint %s: timestamp refused: %s", checkpoint.pk, exc)
            report.refused += 1
            report.error = str(exc)
            break
        except TimestampUnavailable as exc:
            checkpoint_logger.warning("checkpoint %s: no timestamp yet: %s", checkpoint.pk, exc)
            report.error = str(exc)
            break
        if _store_timestamp(checkpoint, token):
            report.stamped += 1
    report.pending = unstamped.filter(created_at__gte=oldest).count()
    if report.expired:
        checkpoint_logger.warning(
            "%s checkpoints are too old to be timestamped credibly and stay without a token",
            report.expired,
        )
    return report


def _store_timestamp(checkpoint: EventCheckpoint, token: TimestampToken) -> bool:
    """Store a checked token (False: another worker stored one first). Not recorded as an event,
    for the reason given in create_checkpoint."""
    with transaction.atomic():
        _lock_checkpoints()  # record times in the order the file is written
        if CheckpointTimestamp.objects.filter(checkpoint=checkpoint).exists():
            return False
        stamp = CheckpointTimestamp.objects.create(
            checkpoint=checkpoint,
            token=token.base64,
            gen_time=token.gen_time,
            tsa=token.tsa[:255],
            created_at=timezone.now(),
        )
        url = str(_setting("EVENT_CHECKPOINT_WEBHOOK_URL", "") or "")
        if url:
            line = checkpoints.stamp_line_text(stamp.created_at, checkpoint.created_at, stamp.token)
            enqueue(
                OutboxMessage.Topic.WEBHOOK,
                {"url": url, "body": json.loads(line)},
                idempotency_key=f"event-checkpoint-timestamp:{stamp.pk}",
            )
        transaction.on_commit(sync_checkpoint_file, robust=True)
    return True


def _file_records(after: datetime | None) -> Iterator[tuple[datetime, int, int, str]]:
    """Checkpoints and timestamp records stored after `after`, in the order they were stored."""
    cps = EventCheckpoint.objects.order_by("created_at", "id")
    stamps = CheckpointTimestamp.objects.select_related("checkpoint").order_by("created_at", "id")
    if after is not None:
        cps = cps.filter(created_at__gt=after)
        stamps = stamps.filter(created_at__gt=after)
    yield from heapq.merge(
        (
            (cp.created_at, 0, cp.pk, checkpoints.line_text(cp.body, cp.key_id, cp.signature))
            for cp in cps.iterator(chunk_size=500)
        ),
        (
            (
                st.created_at,
                1,
                st.pk,
                checkpoints.stamp_line_text(st.created_at, st.checkpoint.created_at, st.token),
            )
            for st in stamps.iterator(chunk_size=200)
        ),
    )


def sync_checkpoint_file(path: str | Path | None = None) -> int:
    """Append to the checkpoint file every checkpoint and timestamp record stored after its last
    line, in the order they were stored; return how many lines.

    Idempotent, and it catches up after a crash between a commit and its append. Lines are
    written under an exclusive lock and flushed to disk (fsync).
    """
    target = path if path is not None else _setting("EVENT_CHECKPOINT_FILE", "")
    if not target:
        return 0
    file_path = Path(target)
    file_path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with file_path.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            last_at = checkpoints.last_line_at(file_path)
            handle.seek(0, os.SEEK_END)
            separate = False
            if handle.tell() > 0:
                handle.seek(-1, os.SEEK_END)
                separate = handle.read(1) != b"\n"  # a line cut short by a crash stays on its own
            for _at, _kind, _pk, line in _file_records(last_at):
                if separate:
                    handle.write(b"\n")
                    separate = False
                handle.write((line + "\n").encode("utf-8"))
                written += 1
            if written:
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return written


@dataclass
class _Pin:
    """The highest checkpointed seq of one chain and each hash signed for it."""

    seq: int
    signed: dict[str, tuple[datetime, str]] = field(default_factory=dict)


@dataclass
class CheckpointReport:
    checked: int = 0
    unverifiable: int = 0
    timestamped: int = 0
    untimestamped: int = 0
    archived: int = 0  # pinned events in a detached range (see verify_checkpoints)
    first_break: ChainBreak | None = None


def _database_records() -> Generator[checkpoints.Checkpoint | checkpoints.Stamp, None, None]:
    rows = EventCheckpoint.objects.select_related("timestamp").order_by("id")
    for cp in rows.iterator(chunk_size=200):
        source = f"CSDL id={cp.pk}"
        yield checkpoints.parse(source, cp.body, cp.key_id, cp.signature)
        stamp = getattr(cp, "timestamp", None)
        if stamp is not None:
            yield checkpoints.parse_stamp(
                f"CSDL dấu thời gian id={stamp.pk}",
                cp.created_at.isoformat(),
                stamp.token,
                digest=checkpoints.body_digest(cp.body),
            )


def _sources(
    checkpoint_file: Path | None,
) -> Iterator[Generator[checkpoints.Checkpoint | checkpoints.Stamp, None, None]]:
    yield _database_records()
    if checkpoint_file is not None and checkpoint_file.exists():
        yield checkpoints.read_file(checkpoint_file)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M:%S")


class _TimestampAudit:
    """The timestamp tokens of one source (the database, or one file), read in stored order.

    Each token must be a valid token of a trusted TSA over the body of a checkpoint of the same
    source, given no later than the tolerance after that checkpoint's time. A checkpoint without
    a token before one whose token came while it could still be stamped means a token was
    removed (tokens are given in checkpoint order, `timestamp_checkpoints`).
    """

    def __init__(self, verifier: TokenChecker, chain: str | None) -> None:
        self.verifier = verifier
        self.chain = chain or "-"
        self.tolerance = timestamp_tolerance()
        self.seen: dict[bytes, checkpoints.Checkpoint] = {}
        # Checkpoints without a token that a later token could still show up, in order.
        self.unstamped: dict[bytes, checkpoints.Checkpoint] = {}
        self.missing: set[bytes] = set()  # every checkpoint without a token
        self.stamped = 0

    def _break(self, code: str, message: str) -> ChainBreak:
        return ChainBreak(code, self.chain, None, None, message)

    def checkpoint(self, cp: checkpoints.Checkpoint) -> None:
        self.seen[cp.digest] = cp
        if not cp.unknown_key:
            self.unstamped[cp.digest] = cp
            self.missing.add(cp.digest)

    def stamp(self, st: checkpoints.Stamp) -> ChainBreak | None:
        named = f"điểm chốt lúc {_local(st.of)}" if st.of else "một điểm chốt"
        if st.problem:
            return self._break("checkpoint_timestamp_invalid", f"{st.source}: {st.problem}.")
        check = self.verifier.check(st.token, st.digest)
        if check.code == "imprint" or (check.ok and check.imprint not in self.seen):
            return self._break(
                "checkpoint_timestamp_mismatch",
                f"Dấu thời gian ở {st.source}, cấp cho {named}, không khớp nội dung điểm chốt "
                "nào: điểm chốt đã bị sửa hoặc ký lại sau khi được đóng dấu thời gian.",
            )
        if not check.ok:
            return self._break(
                "checkpoint_timestamp_invalid",
                f"Dấu thời gian ở {st.source} ({named}): {check.problem}.",
            )
        assert check.gen_time is not None
        cp = self.seen[check.imprint]
        self.unstamped.pop(cp.digest, None)
        self.missing.discard(cp.digest)
        self.stamped += 1
        if cp.at is None:  # signed by a key no longer known: counted as unverifiable
            return None
        if check.gen_time - cp.at > self.tolerance:
            return self._break(
                "checkpoint_backdated",
                f"Điểm chốt ở {cp.source} ghi lúc {_local(cp.at)} nhưng TSA chỉ đóng dấu lúc "
                f"{_local(check.gen_time)}: điểm chốt được ký lùi ngày.",
            )
        if cp.at - check.gen_time > CLOCK_SKEW:
            return self._break(
                "checkpoint_timestamp_time",
                f"Điểm chốt ở {cp.source} ghi lúc {_local(cp.at)}, sau thời điểm TSA đóng dấu "
                f"({_local(check.gen_time)}).",
            )
        # Older checkpoints that were still within the tolerance when this token came must have
        # been stamped before it.
        horizon = check.gen_time - self.tolerance + 2 * CLOCK_SKEW
        while self.unstamped:
            first = next(iter(self.unstamped.values()))
            if first.at is not None and first.at >= horizon:
                break
            del self.unstamped[first.digest]
        earlier = next(iter(self.unstamped.values()), None)
        if earlier is not None and earlier.at is not None and earlier.at < cp.at:
            return self._break(
                "checkpoint_timestamp_missing",
                f"Điểm chốt ở {earlier.source} (lúc {_local(earlier.at)}) không có dấu thời gian, "
                f"dù điểm chốt sau nó ({cp.source}) đã được đóng dấu lúc "
                f"{_local(check.gen_time)}: dấu thời gian đã bị gỡ?",
            )
        return None


def _audit_source(
    records: Iterator[checkpoints.Checkpoint | checkpoints.Stamp],
    audit: _TimestampAudit,
    pins: dict[str, _Pin],
    report: CheckpointReport,
    chain: str | None,
) -> ChainBreak | None:
    """Read one source's records: check signatures and tokens, collect the pinned heads."""
    for record in records:
        if isinstance(record, checkpoints.Stamp):
            problem = audit.stamp(record)
            if problem is not None:
                return problem
            continue
        cp = record
        if cp.unknown_key:
            report.unverifiable += 1
            audit.checkpoint(cp)
            continue
        if cp.problem or cp.at is None:
            return ChainBreak(
                "checkpoint_invalid",
                chain or "-",
                None,
                None,
                f"Điểm chốt ở {cp.source}: {cp.problem or 'không đọc được'}.",
            )
        report.checked += 1
        audit.checkpoint(cp)
        for name, (seq, digest) in cp.heads.items():
            if chain is not None and name != chain:
                continue
            pin = pins.get(name)
            if pin is None or seq > pin.seq:
                pins[name] = pin = _Pin(seq)
            if seq == pin.seq:
                pin.signed.setdefault(digest, (cp.at, cp.source))
    return None


def verify_checkpoints(
    *, chain: str | None = None, checkpoint_file: str | Path | None = None
) -> CheckpointReport:
    """Check that the events the checkpoints pinned are still there, unchanged, and that every
    timestamp token is valid, trusted and over its checkpoint as it reads now.

    Per chain only the highest checkpointed event is looked up: the chain walk has already
    shown that every earlier event hashes into it, so if it is the signed one, so are they.
    """
    report = CheckpointReport()
    file_path = Path(checkpoint_file) if checkpoint_file else None
    if file_path is not None and not file_path.exists() and EventCheckpoint.objects.exists():
        report.first_break = ChainBreak(
            "checkpoint_file_missing",
            chain or "-",
            None,
            None,
            f"Tệp điểm chốt {file_path} không có, dù cơ sở dữ liệu đã có điểm chốt.",
        )
        return report
    pins: dict[str, _Pin] = {}
    verifier = token_verifier()
    for stream in _sources(file_path):
        audit = _TimestampAudit(verifier, chain)
        with contextlib.closing(stream) as records:  # a break leaves no cursor open
            report.first_break = _audit_source(records, audit, pins, report, chain)
        if report.first_break is not None:
            return report
        report.timestamped += audit.stamped
        report.untimestamped += len(audit.missing)
    segments = archived_segments()
    for name, pin in sorted(pins.items()):
        row: tuple[int | None, str] | None = (
            Event.objects.filter(chain=name, seq=pin.seq).values_list("pk", "hash").first()
        )
        if row is None:
            segment = next(
                (
                    s
                    for s in segments.get(name, {}).values()
                    if s.first_seq <= pin.seq <= s.last_seq
                ),
                None,
            )
            if segment is not None:
                # Detached: the range's last hash is in the archive record, so a checkpoint of
                # it is checked against that; one inside a range can be only against the dump.
                report.archived += 1
                if pin.seq != segment.last_seq:
                    continue
                row = (None, segment.last_hash)
        for digest, (at, source) in pin.signed.items():
            if row is None:
                report.first_break = ChainBreak(
                    "checkpoint_event_missing",
                    name,
                    None,
                    pin.seq,
                    f"Sự kiện số {pin.seq} của chuỗi {name}, đã được chốt lúc {_local(at)}, "
                    f"không còn trong nhật ký (phần cuối nhật ký đã bị cắt?). Điểm chốt: {source}.",
                )
                return report
            if row[1] != digest:
                report.first_break = ChainBreak(
                    "checkpoint_hash_mismatch",
                    name,
                    row[0],
                    pin.seq,
                    f"Sự kiện số {pin.seq} của chuỗi {name} khác với khi được chốt lúc "
                    f"{_local(at)} (nhật ký đã bị viết lại?). Điểm chốt: {source}.",
                )
                return report
    return report


# ---------------------------------------------------------------------------------------------
# Transactional outbox
# ---------------------------------------------------------------------------------------------

logger = logging.getLogger("egov.events.outbox")

Deliverer = Callable[[OutboxMessage], None]
# One deliverer per topic: a second one for a topic is refused at import.
DELIVERERS: Registry[str, Deliverer] = Registry("outbox deliverer")


class DeliveryError(Exception):
    """A delivery failed in a way worth retrying (network, timeout, 5xx)."""


class PermanentDeliveryError(DeliveryError):
    """A delivery can never succeed as it is (bad address, 4xx): the message goes dead now."""


def register_deliverer(topic: str) -> Callable[[Deliverer], Deliverer]:
    """Decorator: `func(message)` delivers messages of `topic`; return = delivered, raise = retry.

    The deliverer must pass `message.idempotency_key` to the remote side so that a repeated
    delivery (after a crash between sending and recording) is recognised there.
    """

    def register(func: Deliverer) -> Deliverer:
        return DELIVERERS.register(topic, func)

    return register


def get_deliverer(topic: str) -> Deliverer | None:
    return DELIVERERS.get(topic)


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def backoff_delay(
    attempts: int,
    *,
    base: float | None = None,
    cap: float | None = None,
    rng: random.Random | None = None,
) -> timedelta:
    """Exponential backoff with jitter: half of min(cap, base*2^(n-1)) plus a random half."""
    base = float(_setting("OUTBOX_BACKOFF_BASE_SECONDS", 30) if base is None else base)
    cap = float(_setting("OUTBOX_BACKOFF_CAP_SECONDS", 6 * 3600) if cap is None else cap)
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    jitter = (rng or _jitter_rng).uniform(0, ceiling / 2)
    return timedelta(seconds=ceiling / 2 + jitter)


_jitter_rng = random.Random()  # noqa: S311 - spreading retries, not security


# How to ask the worker to deliver a message now: the task module registers its huey task at
# start-up (events.apps), so the outbox does not import the task queue that calls back into it.
Kick = Callable[[int], object]
_WORKER: Registry[str, Kick] = Registry("outbox worker")


def register_worker_kick(kick: Kick) -> Kick:
    return _WORKER.register("kick", kick)


def _kick(message_id: int) -> None:
    """After commit: ask the worker to deliver now (the periodic sweep is the safety net)."""
    kick = _WORKER.get("kick")
    if kick is not None:
        kick(message_id)


def enqueue(
    topic: str,
    payload: dict[str, Any],
    *,
    idempotency_key: str,
    max_attempts: int | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Queue a message in the caller's transaction; it is sent only if that transaction commits.

    Enqueueing the same `idempotency_key` again returns the existing message (one row).
    """
    if not topic or len(topic) > 40:
        raise ValueError("topic must be 1..40 characters")
    if not idempotency_key or len(idempotency_key) > 200:
        raise ValueError("idempotency_key must be 1..200 characters")
    now = timezone.now()
    # Insert first, read only on a clash: a new key (nearly always) costs one savepoint and one
    # INSERT, not get_or_create's SELECT and two savepoints, inside transactions that often
    # hold a hot lock (a submission holds its agency's chain head until commit, issue #19).
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                idempotency_key=idempotency_key,
                topic=topic,
                payload=canonical_payload(payload),
                max_attempts=max_attempts or int(_setting("OUTBOX_MAX_ATTEMPTS", 12)),
                next_attempt_at=not_before or now,
                created_at=now,
                updated_at=now,
            )
        created = True
    except IntegrityError:
        message = OutboxMessage.objects.get(idempotency_key=idempotency_key)
        created = False
    if created:
        transaction.on_commit(partial(_kick, message.pk), robust=True)
    elif message.topic != topic:
        logger.warning(
            "outbox key %s already used for topic %s (not %s)",
            idempotency_key,
            message.topic,
            topic,
        )
    return message


def _due(now: datetime) -> Q:
    waiting = Q(
        status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.FAILED],
        next_attempt_at__lte=now,
    )
    abandoned = Q(
        status=OutboxMessage.Status.DELIVERING,
        locked_until__lt=now,
        attempts__lt=F("max_attempts"),
    )
    return waiting | abandoned


def claim_due(
    *, now: datetime | None = None, limit: int | None = None, message_id: int | None = None
) -> tuple[str, list[OutboxMessage]]:
    """Claim due messages for this worker: (claim token, messages now 'delivering').

    PostgreSQL picks rows with SELECT ... FOR UPDATE SKIP LOCKED, so workers on several machines
    take disjoint sets without waiting on each other; SQLite serialises writers and the
    conditional UPDATE re-checks that each row is still due. A claim is a lease: if the worker
    dies, the row becomes due again when `locked_until` passes.
    """
    now = now or timezone.now()
    limit = limit or int(_setting("OUTBOX_BATCH_SIZE", 50))
    lease = timedelta(seconds=int(_setting("OUTBOX_LEASE_SECONDS", 300)))
    token = uuid.uuid4().hex
    with transaction.atomic():
        candidates = OutboxMessage.objects.filter(_due(now))
        if message_id is not None:
            candidates = candidates.filter(pk=message_id)
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(
            candidates.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return token, []
        OutboxMessage.objects.filter(_due(now), pk__in=ids).update(
            status=OutboxMessage.Status.DELIVERING,
            claim_token=token,
            locked_until=now + lease,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        claimed = list(OutboxMessage.objects.filter(pk__in=ids, claim_token=token).order_by("id"))
    return token, claimed


@dataclass
class DispatchReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0

    def add(self, other: DispatchReport) -> None:
        self.claimed += other.claimed
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.dead += other.dead


def _finish(message: OutboxMessage, token: str, **fields: Any) -> bool:
    """Record the outcome only if our claim still holds: each outcome is written once."""
    updated = OutboxMessage.objects.filter(
        pk=message.pk, claim_token=token, status=OutboxMessage.Status.DELIVERING
    ).update(claim_token="", locked_until=None, **fields)
    return updated == 1


def _deliver_claimed(
    message: OutboxMessage, token: str, now: datetime | None, report: DispatchReport
) -> None:
    deliverer = DELIVERERS.get(message.topic)
    try:
        if deliverer is None:
            raise DeliveryError(f"Chưa có bộ gửi cho kênh '{message.topic}'.")
        deliverer(message)
    except Exception as exc:
        when = now or timezone.now()
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if isinstance(exc, PermanentDeliveryError) or message.attempts >= message.max_attempts:
            if _finish(
                message, token, status=OutboxMessage.Status.DEAD, last_error=error, updated_at=when
            ):
                report.dead += 1
                logger.error(
                    "outbox message %s (%s, key %s) is dead after %s attempts: %s",
                    message.pk,
                    message.topic,
                    message.idempotency_key,
                    message.attempts,
                    error,
                )
            return
        retry_at = when + backoff_delay(message.attempts)
        if _finish(
            message,
            token,
            status=OutboxMessage.Status.FAILED,
            last_error=error,
            next_attempt_at=retry_at,
            updated_at=when,
        ):
            report.retrying += 1
            logger.warning(
                "outbox message %s (%s) attempt %s failed, retry at %s: %s",
                message.pk,
                message.topic,
                message.attempts,
                retry_at.isoformat(),
                error,
            )
        return
    when = now or timezone.now()
    if _finish(
        message,
        token,
        status=OutboxMessage.Status.DELIVERED,
        delivered_at=when,
        last_error="",
        updated_at=when,
    ):
        report.delivered += 1
    else:
        logger.error(
            "outbox message %s was delivered after its lease expired; the remote side must "
            "deduplicate key %s",
            message.pk,
            message.idempotency_key,
        )


def dispatch_due(*, now: datetime | None = None, limit: int | None = None) -> DispatchReport:
    """Claim one batch of due messages and deliver them."""
    token, messages = claim_due(now=now, limit=limit)
    report = DispatchReport(claimed=len(messages))
    for message in messages:
        _deliver_claimed(message, token, now, report)
    return report


def dispatch_message(message_id: int, *, now: datetime | None = None) -> DispatchReport:
    """Deliver one message if it is due and nobody else holds it (the after-commit path)."""
    token, messages = claim_due(now=now, limit=1, message_id=message_id)
    report = DispatchReport(claimed=len(messages))
    for message in messages:
        _deliver_claimed(message, token, now, report)
    return report


def bury_abandoned(*, now: datetime | None = None) -> int:
    """Messages whose worker died on their last allowed attempt become dead."""
    now = now or timezone.now()
    return OutboxMessage.objects.filter(
        status=OutboxMessage.Status.DELIVERING,
        locked_until__lt=now,
        attempts__gte=F("max_attempts"),
    ).update(
        status=OutboxMessage.Status.DEAD,
        claim_token="",
        locked_until=None,
        updated_at=now,
        last_error="Tiến trình gửi đã dừng giữa chừng ở lần gửi cuối cùng.",
    )


def sweep_outbox(*, now: datetime | None = None, time_budget: float = 50.0) -> DispatchReport:
    """Deliver everything due, batch after batch, for at most `time_budget` seconds."""
    started = time.monotonic()
    report = DispatchReport()
    report.dead += bury_abandoned(now=now)
    while time.monotonic() - started < time_budget:
        batch = dispatch_due(now=now)
        report.add(batch)
        if batch.claimed == 0:
            break
    return report


def retry_dead(*, actor: Actor, message_ids: Iterable[int]) -> int:
    """Operator action: give dead messages a fresh set of attempts. Returns how many."""
    if not actor.is_operator:
        raise NotAllowed("Chỉ quản trị hệ thống được gửi lại tin nhắn hỏng.")
    now = timezone.now()
    with transaction.atomic():
        messages = list(
            OutboxMessage.objects.select_for_update()
            .filter(pk__in=list(message_ids), status=OutboxMessage.Status.DEAD)
            .order_by("id")
        )
        for message in messages:
            OutboxMessage.objects.filter(pk=message.pk).update(
                status=OutboxMessage.Status.PENDING,
                attempts=0,
                next_attempt_at=now,
                claim_token="",
                locked_until=None,
                updated_at=now,
            )
            record_event(
                actor=actor,
                event_type=event_types.OUTBOX_RETRIED,
                subject_type="outbox_message",
                subject_id=message.pk,
                payload={
                    "topic": message.topic,
                    "idempotency_key": message.idempotency_key,
                    "last_error": message.last_error[:500],
                },
            )
            transaction.on_commit(partial(_kick, message.pk), robust=True)
    return len(messages)


def outbox_stats(*, now: datetime | None = None) -> dict[str, Any]:
    """Counts per status and the age of the oldest due message, for health pages."""
    now = now or timezone.now()
    counts = {status: 0 for status in OutboxMessage.Status.values}
    for row in OutboxMessage.objects.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    oldest = (
        OutboxMessage.objects.filter(_due(now))
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return {
        "counts": counts,
        "oldest_due_seconds": (now - oldest).total_seconds() if oldest else 0.0,
    }
