"""Reconciliation with the national portal: per agency and day (the local day of NgayNopHoSo),
the dossiers the portal acknowledged to us against what it says it holds. A code we hold as
acknowledged that the portal does not have is sent again from scratch ("add", then every step):
its acknowledgement is forgotten, `dossier.sync_resent` recorded and a new outbox message queued,
all in one transaction per dossier."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from egov.core.actors import Actor
from egov.events.services import lock_chain, record_event

from . import adapter
from .event_types import SYNC_RESENT
from .models import SyncRecord
from .projector import queue_unless_waiting


@dataclass
class AgencyReconciliation:
    agency: str
    ours: int  # acknowledged by the portal, by our books
    remote: int  # what the portal counts
    pending: int  # not acknowledged yet (still in the outbox)
    missing: list[str] = field(default_factory=list)  # acknowledged but not on the portal
    unknown: list[str] = field(default_factory=list)  # on the portal, not ours


@dataclass
class Reconciliation:
    day: date
    agencies: list[AgencyReconciliation]
    queued: list[str] = field(default_factory=list)  # never queued before, queued now

    @property
    def resent(self) -> list[str]:
        return [code for a in self.agencies for code in a.missing]

    def report(self) -> str:
        lines = [f"Đối soát với Cổng Dịch vụ công quốc gia, ngày {self.day:%d/%m/%Y}:"]
        if not self.agencies:
            lines.append("  Không có hồ sơ nào của ngày này.")
        for a in self.agencies:
            lines.append(
                f"  Đơn vị {a.agency}: đã được xác nhận {a.ours}, Cổng quốc gia có {a.remote}, "
                f"đang chờ gửi {a.pending}."
            )
            if a.missing:
                lines.append(
                    f"    Thiếu trên Cổng quốc gia, đã xếp gửi lại {len(a.missing)} hồ sơ: "
                    + ", ".join(a.missing)
                )
            if a.unknown:
                lines.append(
                    f"    Cổng quốc gia có {len(a.unknown)} mã hồ sơ không có trong hệ thống: "
                    + ", ".join(a.unknown)
                )
        if self.queued:
            lines.append(
                f"  Chưa từng gửi (khi chưa cấu hình Cổng quốc gia), đã xếp gửi {len(self.queued)} "
                "hồ sơ: " + ", ".join(self.queued)
            )
        if not self.resent and not self.queued and all(not a.unknown for a in self.agencies):
            lines.append("  Khớp: không phải gửi lại hồ sơ nào.")
        return "\n".join(lines)


def resend(*, actor: Actor, code: str, reason: str) -> SyncRecord:
    """Forget the portal's acknowledgement of one dossier and queue it again from scratch."""
    with transaction.atomic():
        # The agency's chain head before the sync record, as every action takes them
        # (events.lock_chain): the event below would otherwise deadlock with a projector.
        lock_chain(SyncRecord.objects.values_list("agency_id", flat=True).get(code=code))
        sync = SyncRecord.objects.select_for_update().get(code=code)
        sync.remote_known = False
        sync.acked_version = 0
        sync.acked_steps = 0
        sync.resends += 1
        sync.unsent_since = timezone.now()
        sync.save(
            update_fields=[
                "remote_known",
                "acked_version",
                "acked_steps",
                "resends",
                "unsent_since",
            ]
        )
        record_event(
            actor=actor,
            event_type=SYNC_RESENT,
            subject_type="dossier",
            subject_id=code,
            agency_id=sync.agency_id,
            payload={"version": sync.version, "reason": reason[:200]},
        )
        queue_unless_waiting(sync)
    return sync


def reconcile(
    *,
    actor: Actor,
    day: date,
    agency: str = "",
    portal: adapter.NationalPortal | None = None,
) -> Reconciliation:
    """Compare one day (optionally one agency) and re-send what the portal lacks.

    Raises adapter.PortalError when the portal cannot be asked (nothing is changed)."""
    portal = portal or adapter.get_portal()
    remote: dict[str, set[str]] = {}
    remote_count: dict[str, int] = {}
    for item in portal.counts(day, agency):
        remote.setdefault(item.agency, set()).update(item.codes)
        remote_count[item.agency] = remote_count.get(item.agency, 0) + item.count
    rows = SyncRecord.objects.filter(day=day)
    if agency:
        rows = rows.filter(agency_code=agency)
    acked: dict[str, set[str]] = {}
    pending: dict[str, int] = {}
    for code, agency_code, known in rows.values_list("code", "agency_code", "remote_known"):
        if known:
            acked.setdefault(agency_code, set()).add(code)
        else:
            pending[agency_code] = pending.get(agency_code, 0) + 1
    result = []
    for name in sorted(set(acked) | set(remote) | set(pending)):
        ours, theirs = acked.get(name, set()), remote.get(name, set())
        everything = set(rows.filter(agency_code=name).values_list("code", flat=True))
        result.append(
            AgencyReconciliation(
                agency=name,
                ours=len(ours),
                remote=remote_count.get(name, 0),
                pending=pending.get(name, 0),
                missing=sorted(ours - theirs),
                unknown=sorted(theirs - everything),
            )
        )
    outcome = Reconciliation(day=day, agencies=result)
    for code in outcome.resent:
        resend(actor=actor, code=code, reason=f"Đối soát ngày {day.isoformat()}: thiếu trên Cổng")
    outcome.queued = queue_never_sent(rows)
    return outcome


def queue_never_sent(rows: QuerySet[SyncRecord]) -> list[str]:
    """Queue the records that were never queued (made while NATIONAL_PORTAL_URL was empty):
    nothing else would ever send them."""
    codes = []
    for sync in rows.filter(remote_known=False).order_by("code"):
        if sync.state.get("queued"):
            continue
        with transaction.atomic():
            sync = SyncRecord.objects.select_for_update().get(pk=sync.pk)
            if not sync.state.get("queued"):
                queue_unless_waiting(sync)
                codes.append(sync.code)
    return codes
