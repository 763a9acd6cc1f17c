"""Sync health per agency for the operations dashboard (egov/stats): dossiers waiting for the
portal's acknowledgement, messages given up (dead: an operator must look), and the age of the
oldest change not acknowledged yet. Two grouped queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Min, Q
from django.utils import timezone

from egov.events.models import OutboxMessage

from .models import SyncRecord

TOPIC = OutboxMessage.Topic.NATIONAL_PORTAL


@dataclass(frozen=True)
class AgencyHealth:
    agency_id: int | None
    agency_code: str
    pending: int
    dead: int
    oldest_unsent: datetime | None
    now: datetime

    @property
    def age(self) -> timedelta | None:
        return None if self.oldest_unsent is None else self.now - self.oldest_unsent

    @property
    def age_text(self) -> str:
        age = self.age
        if age is None:
            return "—"
        minutes = int(age.total_seconds() // 60)
        if minutes < 60:
            return f"{minutes} phút"
        hours = minutes // 60
        if hours < 48:
            return f"{hours} giờ {minutes % 60} phút"
        return f"{hours // 24} ngày"


def sync_health(
    agency_ids: Iterable[int] | None = None, *, now: datetime | None = None
) -> list[AgencyHealth]:
    """Per agency with anything unacknowledged or dead (all agencies when `agency_ids` is None),
    the worst first."""
    now = now or timezone.now()
    rows = SyncRecord.objects.all()
    if agency_ids is not None:
        rows = rows.filter(agency_id__in=sorted(agency_ids))
    waiting = (
        Q(remote_known=False)
        | Q(acked_version__lt=F("version"))
        | Q(acked_steps__lt=F("step_count"))
    )
    pending: dict[tuple[int | None, str], dict[str, Any]] = {
        (r["agency_id"], r["agency_code"]): dict(r)
        for r in rows.filter(waiting)
        .values("agency_id", "agency_code")
        .annotate(n=Count("id"), oldest=Min("unsent_since"))
    }
    codes = dict(rows.values_list("agency_code", "agency_id").distinct())
    dead: dict[str, int] = {}
    for payload in OutboxMessage.objects.filter(topic=TOPIC, status="dead").values_list(
        "payload", flat=True
    ):
        agency = str((payload or {}).get("agency", ""))
        if agency in codes:
            dead[agency] = dead.get(agency, 0) + 1
    keys = set(pending) | {(codes[a], a) for a in dead}
    result = [
        AgencyHealth(
            agency_id=agency_id,
            agency_code=code,
            pending=int(pending.get((agency_id, code), {}).get("n", 0)),
            dead=dead.get(code, 0),
            oldest_unsent=pending.get((agency_id, code), {}).get("oldest"),
            now=now,
        )
        for agency_id, code in keys
    ]
    return sorted(
        result, key=lambda h: (-h.dead, -(h.age or timedelta(0)).total_seconds(), h.agency_code)
    )
