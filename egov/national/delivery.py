"""The outbox deliverer of topic "national_portal": sends a dossier's LATEST record.

A message names a dossier and the version that queued it. If the portal already acknowledged
that version (or a later one), there is nothing to do. Otherwise the deliverer takes the
dossier's send lease (one sender per dossier at a time, so an older read can never overwrite a
newer one on the portal), sends the latest record ("add" until the portal acknowledged the
dossier once, then "update"), pushes the steps after the last acknowledged one in chunks
(NATIONAL_PORTAL_STEP_CHUNK), and records what was acknowledged. The first acknowledgement
records `dossier.synced`.

Errors: the portal's validation refusal (error_code "1") → PermanentDeliveryError (the message
goes dead; health.py counts it); anything else → DeliveryError (the outbox retries with its
backoff); "2" (update of a dossier the portal does not know) also forgets remote_known so that
the retry adds it again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from egov.core.actors import SYSTEM
from egov.events.models import OutboxMessage
from egov.events.services import (
    DeliveryError,
    PermanentDeliveryError,
    lock_chain,
    record_event,
    register_deliverer,
)
from egov.payments.sync import dossier_payment_part

from . import adapter
from .event_types import SYNCED
from .models import SyncRecord
from .projector import queue_unless_waiting

logger = logging.getLogger(__name__)


def _chunk() -> int:
    return max(1, int(getattr(settings, "NATIONAL_PORTAL_STEP_CHUNK", 50)))


def _lease_seconds() -> float:
    timeout = float(getattr(settings, "NATIONAL_PORTAL_TIMEOUT", 10))
    return timeout * 4 + 30


def _payment_part(code: str) -> dict[str, object]:
    try:
        return dossier_payment_part(code)
    except Exception:  # the dossier row is gone (never in production): send without fees
        logger.exception("national sync: no payment part for a dossier")
        return {}


def _up_to_date(sync: SyncRecord, version: int) -> bool:
    """The portal acknowledged this version (or a later one) and every step we have."""
    return (
        sync.remote_known and sync.acked_version >= version and sync.acked_steps >= sync.step_count
    )


@register_deliverer(OutboxMessage.Topic.NATIONAL_PORTAL)
def deliver(message: OutboxMessage) -> None:
    code = str(message.payload.get("code", ""))
    version = int(message.payload.get("version") or 0)
    sync = SyncRecord.objects.filter(code=code).first()
    if sync is None:
        raise PermanentDeliveryError("Không có bản ghi đồng bộ của hồ sơ.")
    if _up_to_date(sync, version):
        return  # a later message already sent this version or a newer one
    now = timezone.now()
    taken = (
        SyncRecord.objects.filter(pk=sync.pk)
        .filter(Q(sending_until__isnull=True) | Q(sending_until__lt=now))
        .update(sending_until=now + timedelta(seconds=_lease_seconds()))
    )
    if not taken:
        raise DeliveryError("Hồ sơ đang được gửi bởi tiến trình khác; gửi lại sau.")
    try:
        _send(sync.pk, adapter.get_portal())
    finally:
        SyncRecord.objects.filter(pk=sync.pk).update(sending_until=None)


def _send(pk: int, portal: adapter.NationalPortal) -> None:
    sync = SyncRecord.objects.get(pk=pk)
    record = {**sync.record, **_payment_part(sync.code)}
    sent_version = sync.version
    try:
        if sync.remote_known:
            portal.update(record)
        else:
            portal.add(record)
        _acknowledged(pk, sent_version, record)
        steps = list(
            sync.steps.filter(seq__gt=sync.acked_steps).order_by("seq").values_list("seq", "data")
        )
        size = _chunk()
        for start in range(0, len(steps), size):
            chunk = steps[start : start + size]
            portal.push_steps(sync.code, [data for _seq, data in chunk])
            last = chunk[-1][0]
            SyncRecord.objects.filter(pk=pk, acked_steps__lt=last).update(acked_steps=last)
    except adapter.PortalError as exc:
        reason = str(exc)
        fields: dict[str, object] = {"last_error": reason[:500]}
        if exc.code == adapter.UNKNOWN:
            fields.update(remote_known=False, acked_steps=0)
        SyncRecord.objects.filter(pk=pk).update(**fields)
        if exc.permanent:
            raise PermanentDeliveryError(reason) from exc
        raise DeliveryError(reason) from exc
    SyncRecord.objects.filter(pk=pk).update(last_error="")


def _acknowledged(pk: int, version: int, record: dict[str, object]) -> None:
    """The portal accepted the record at `version`: keep it, and record the first time."""
    with transaction.atomic():
        # The first acknowledgement records an event: the agency's chain head is taken before
        # the sync record, in the order every action takes them (events.lock_chain). "synced"
        # is never taken back, so a record read as synced records nothing below.
        agency_id, state = SyncRecord.objects.values_list("agency_id", "state").get(pk=pk)
        if not state.get("synced"):
            lock_chain(agency_id)
        sync = SyncRecord.objects.select_for_update().get(pk=pk)
        first = not sync.state.get("synced")
        sync.remote_known = True
        sync.acked_at = timezone.now()
        if version > sync.acked_version:
            sync.acked_version = version
        if sync.acked_version >= sync.version:
            sync.unsent_since = None
        # The fees as sent (they come from the payments, not from a dossier event).
        fees = {k: record[k] for k in ("DanhSachLePhi", "DuocThanhToanTrucTuyen") if k in record}
        if version == sync.version and fees:
            sync.record = {**sync.record, **fees}
        if first:
            sync.state = {**sync.state, "synced": True}
        sync.save()
        if sync.version > version and settings.NATIONAL_PORTAL_URL:
            queue_unless_waiting(
                sync
            )  # changed while we sent: the newer version gets its own message
        if first:
            record_event(
                actor=SYSTEM,
                event_type=SYNCED,
                subject_type="dossier",
                subject_id=sync.code,
                agency_id=sync.agency_id,
                payload={"version": version, "agency_code": sync.agency_code},
            )
