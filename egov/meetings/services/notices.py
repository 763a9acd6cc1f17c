"""The official's in-app meeting notices (MeetingNotice, written by the outbox): marking them
read is the inbox's own mark, not a meeting's state (no event, as for annotations)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from egov.core.actors import Actor
from egov.core.scoping import visible_to

from ..models import MeetingNotice


def mark_read(*, actor: Actor, notice_ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own unread notices read (all of them when `notice_ids` is None);
    returns how many changed. Another official's notice is never touched (scope policy)."""
    if actor.kind != "official":
        return 0
    rows = visible_to(actor, MeetingNotice.objects.filter(read_at__isnull=True))
    if notice_ids is not None:
        rows = rows.filter(pk__in=list(notice_ids))
    return rows.update(read_at=timezone.now())
