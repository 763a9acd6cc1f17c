"""Driving many dossiers fast, and draining the outbox with the clock moved past the backoff."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from egov.catalog.models import Procedure
from egov.core.actors import actor_for_user
from egov.dossiers import event_types as E
from egov.dossiers.models import Channel, Dossier, Status
from egov.events.models import OutboxMessage
from egov.events.services import dispatch_due, record_event

from .conftest import APPLICANT_NAME


def drain(rounds: int = 400) -> int:
    """Deliver until no national message waits; returns the rounds used."""
    now = timezone.now()
    for n in range(rounds):
        dispatch_due(now=now, limit=500)
        waiting = OutboxMessage.objects.filter(
            topic="national_portal", status__in=["pending", "failed", "delivering"]
        )
        if not waiting.exists():
            return n + 1
        now += timedelta(hours=7)  # past OUTBOX_BACKOFF_CAP_SECONDS (6 h)
    raise AssertionError("the outbox did not drain")


def bulk_lifecycles(staff: Any, procedure: Procedure, count: int, start: int = 0) -> list[str]:
    """`count` dossiers born at the desk, processed and returned: the dossier rows, then each
    one's events as onestop.services records them for this three-step procedure (received with
    its step started, the specialist's result and forward, done, returned). A factory for the
    acceptance test: the one-stop services take ~0.3 s a dossier (PDF inspection in a
    subprocess); the sync reads only the events, which are the same."""
    agency = procedure.agencies.first()
    assert agency is not None
    now = timezone.now()
    rows = [
        Dossier(
            code=f"{agency.identifier}-{now:%y%m%d}-{start + n + 1:05d}",
            procedure=procedure,
            agency=agency,
            applicant_kind="citizen",
            applicant_name=APPLICANT_NAME,
            applicant_id_number=f"0221950{start + n:05d}",
            summary=procedure.name,
            channel=Channel.IN_PERSON,
            status=Status.RECEIVED,
            submitted_at=now,
            received_at=now,
            appointment_at=now + timedelta(days=3),
        )
        for n in range(count)
    ]
    Dossier.objects.bulk_create(rows)
    receiver, specialist = (
        actor_for_user(staff.receiver.user),
        actor_for_user(staff.specialist.user),
    )
    desk = {
        "official": "Cán bộ tiếp nhận",
        "agency_name": agency.name,
        "unit_name": "Bộ phận Một cửa",
    }
    section = {"official": "Chuyên viên", "agency_name": agency.name, "unit_name": "Phòng Hộ tịch"}

    def record(actor: Any, event: Any, code: str, **payload: Any) -> None:
        record_event(
            actor=actor,
            event_type=event,
            subject_type="dossier",
            subject_id=code,
            agency_id=agency.pk,
            payload=payload,
        )

    due = now + timedelta(days=1)
    for n, row in enumerate(rows):
        code = row.code
        with transaction.atomic():
            record(
                receiver,
                E.RECEIVED,
                code,
                **desk,
                status=Status.RECEIVED,
                channel=Channel.IN_PERSON,
                appointment_at=row.appointment_at,
                files=[{"component": "to-khai", "name": "to-khai.pdf", "sha256": f"{n:064x}"}],
                procedure=procedure.code,
                applicant_kind="citizen",
                applicant_name=row.applicant_name,
                applicant_id_number=row.applicant_id_number,
                summary=row.summary,
            )
            record(
                receiver,
                E.STEP_STARTED,
                code,
                **section,
                status=Status.PROCESSING,
                step=2,
                step_name="Thẩm định hồ sơ",
                assignee="Chuyên viên",
                due_at=due,
            )
        with transaction.atomic():
            record(
                specialist,
                E.RESULT_RECORDED,
                code,
                **section,
                status=Status.PROCESSING,
                name="ket-qua.pdf",
                sha256=f"{n + 1:064x}",
            )
        with transaction.atomic():
            common = {**section, "step": 2, "step_name": "Thẩm định hồ sơ", "step_id": n}
            record(specialist, E.FORWARDED, code, **common, status=Status.PROCESSING, note="Đạt")
            record(specialist, E.DONE, code, **section, status=Status.DONE, on_time=True)
        with transaction.atomic():
            record(receiver, E.RETURNED, code, **desk, status=Status.RETURNED, method="desk")
    return [r.code for r in rows]
