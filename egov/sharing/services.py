"""The only code that changes the sharing area's state: grants, client keys, the message log
and its checkpoints (events recorded in the same transaction where the kernel asks for one)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from egov.accounts.models import ApiClient
from egov.core.actors import Actor
from egov.core.errors import DomainError, NotAllowed
from egov.events import checkpoints
from egov.events.services import record_event

from . import event_types, registry
from .error_codes import SharingErrorCode
from .log import GENESIS, checkpoint_body, entry_hash
from .models import (
    ClientKey,
    MessageLogCheckpoint,
    MessageLogEntry,
    MessageLogHead,
    SeenNonce,
    ServiceGrant,
)
from .signatures import key_id_of, load_public_key


def _operator(actor: Actor) -> None:
    if not actor.is_operator:
        raise NotAllowed(
            "Chỉ quản trị hệ thống được quản lý quyền dùng dịch vụ chia sẻ dữ liệu.",
            code=SharingErrorCode.FORBIDDEN,
        )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@transaction.atomic
def grant_service(
    *,
    actor: Actor,
    client: ApiClient,
    service: str,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    reason: str = "",
) -> ServiceGrant:
    """Give `client` the right to call `service` from `valid_from` (now) until `valid_until`."""
    _operator(actor)
    if registry.get(service) is None:
        raise DomainError(
            f"Không có dịch vụ chia sẻ '{service}'.",
            code=SharingErrorCode.UNKNOWN_SERVICE,
            fields={"service": ["Dịch vụ không tồn tại."]},
        )
    start = valid_from or timezone.now()
    if valid_until is not None and valid_until <= start:
        raise DomainError(
            "Ngày hết hiệu lực phải sau ngày bắt đầu.",
            fields={"valid_until": ["Phải sau ngày bắt đầu hiệu lực."]},
        )
    grant = ServiceGrant.objects.create(
        client=client,
        service=service,
        valid_from=start,
        valid_until=valid_until,
        granted_by=actor.label,
        reason=reason[:500],
    )
    record_event(
        actor=actor,
        event_type=event_types.GRANT_GIVEN,
        subject_type=event_types.GRANT,
        subject_id=grant.pk,
        agency_id=client.agency_id,
        payload={
            "client": client.pk,
            "service": service,
            "valid_from": _iso(start),
            "valid_until": _iso(valid_until),
            "reason": grant.reason,
        },
    )
    return grant


@transaction.atomic
def revoke_grant(*, actor: Actor, grant: ServiceGrant) -> ServiceGrant:
    _operator(actor)
    locked = ServiceGrant.objects.select_for_update().get(pk=grant.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor.label
    locked.save(update_fields=["revoked_at", "revoked_by"])
    record_event(
        actor=actor,
        event_type=event_types.GRANT_REVOKED,
        subject_type=event_types.GRANT,
        subject_id=locked.pk,
        agency_id=locked.client.agency_id,
        payload={
            "client": locked.client_id,
            "service": locked.service,
            "valid_from": _iso(locked.valid_from),
            "valid_until": _iso(locked.valid_until),
        },
    )
    return locked


@transaction.atomic
def register_client_key(
    *, actor: Actor, client: ApiClient, public_key_pem: str, signatures_required: bool
) -> ClientKey:
    """Register (or replace) the client's Ed25519 public key for signed requests."""
    _operator(actor)
    try:
        key = load_public_key(public_key_pem.strip())
    except (ValueError, TypeError) as exc:
        raise DomainError(
            "Khóa công khai phải là khóa Ed25519 dạng PEM.",
            code=SharingErrorCode.INVALID_KEY,
            fields={"public_key_pem": ["Không đọc được khóa Ed25519 (PEM)."]},
        ) from exc
    key_id = key_id_of(key)
    row, _created = ClientKey.objects.update_or_create(
        client=client,
        defaults={
            "key_id": key_id,
            "public_key_pem": public_key_pem.strip(),
            "signatures_required": signatures_required,
            "registered_at": timezone.now(),
        },
    )
    record_event(
        actor=actor,
        event_type=event_types.KEY_REGISTERED,
        subject_type=event_types.CLIENT,
        subject_id=client.pk,
        agency_id=client.agency_id,
        payload={"key_id": key_id, "signatures_required": signatures_required},
    )
    return row


def signature_window() -> int:
    return int(settings.SHARING_SIGNATURE_WINDOW)


def remember_nonce(*, client_id: int, nonce: str, now: datetime) -> bool:
    """Record a signature's nonce; False if the client used it before (a replay)."""
    try:
        with transaction.atomic():
            SeenNonce.objects.create(client_id=client_id, nonce=nonce, seen_at=now)
    except IntegrityError:
        return False
    if secrets.randbelow(100) == 0:
        # Now and then, forget what is older than twice the window (stale anyway).
        SeenNonce.objects.filter(
            seen_at__lt=now - timedelta(seconds=2 * signature_window())
        ).delete()
    return True


def _lock_head() -> MessageLogHead:
    head = MessageLogHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            MessageLogHead.objects.create(pk=1, seq=0, hash=GENESIS)
    except IntegrityError:
        pass
    return MessageLogHead.objects.select_for_update().get(pk=1)


@transaction.atomic
def append_message(
    *,
    request_id: str,
    client: ApiClient | None,
    service: str,
    method: str,
    path: str,
    status_code: int,
    outcome: str,
    signed: bool,
    request_sha256: str,
    response_sha256: str,
    at: datetime | None = None,
) -> MessageLogEntry:
    """Append one exchange to the hash-chained message log."""
    head = _lock_head()
    fields: dict[str, Any] = {
        "seq": head.seq + 1,
        "prev_hash": head.hash,
        "at": at or timezone.now(),
        "request_id": request_id[:64],
        "client_id": client.pk if client else None,
        "client_label": client.name[:160] if client else "",
        "agency_id": client.agency_id if client else None,
        "service": service[:40],
        "method": method[:10],
        "path": path[:600],
        "status_code": status_code,
        "outcome": outcome[:60],
        "signed": signed,
        "request_sha256": request_sha256,
        "response_sha256": response_sha256,
    }
    entry = MessageLogEntry(**fields)
    entry.hash = entry_hash(entry)
    entry.save()
    head.seq, head.hash = entry.seq, entry.hash
    head.save(update_fields=["seq", "hash"])
    return entry


@transaction.atomic
def checkpoint_message_log(*, actor: Actor, now: datetime | None = None) -> MessageLogCheckpoint:
    """Sign where the message log ends now, store it and record it as an event (so the event
    log's checkpoints and RFC 3161 timestamps also cover it)."""
    head = _lock_head()
    at = now or timezone.now()
    key, sig = checkpoints.sign(checkpoint_body(at, head.seq, head.hash))
    row = MessageLogCheckpoint.objects.create(at=at, seq=head.seq, hash=head.hash, key=key, sig=sig)
    record_event(
        actor=actor,
        event_type=event_types.LOG_CHECKPOINTED,
        subject_type=event_types.MESSAGE_LOG,
        subject_id=row.pk,
        payload={"seq": head.seq, "hash": head.hash, "at": at.isoformat()},
    )
    return row
