"""Two officials acting on one dossier at the same moment, from separate processes (PostgreSQL):
exactly one succeeds, the other is refused, and the dossier agrees with its events."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from django.db import connections

from egov.dossiers.models import Dossier, Status
from egov.dossiers.tests.conftest import pdf_upload
from egov.events.models import Event
from egov.onestop import services
from egov.onestop.models import DossierStep, StepStatus

from .conftest import act

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


def _act(args: tuple[str, int, str, int, Any, Any, str]) -> None:
    """In a child process: wait for the others, then act once; report the outcome."""
    action, user_id, code, version, barrier, results, media_root = args
    from django.conf import settings

    from egov.accounts.models import User
    from egov.core.errors import DomainError

    settings.MEDIA_ROOT = media_root
    connections.close_all()  # a fresh connection in this process
    try:
        actor = act(User.objects.get(pk=user_id).official)
        barrier.wait(timeout=30)
        if action == "forward":
            services.forward(actor=actor, dossier=code, note="Đồng thời", version=version or None)
        else:
            services.stop(actor=actor, dossier=code, reason="Dừng", version=version or None)
        results.put((action, "ok"))
    except DomainError as exc:
        results.put((action, exc.code))
    except Exception as exc:  # an unexpected error must fail the test, not hang it
        results.put((action, f"error: {type(exc).__name__}: {exc}"))
    finally:
        connections.close_all()


def _race(jobs: list[tuple[str, int]], code: str, version: int, media: str) -> list[Any]:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    connections.close_all()
    processes = [
        ctx.Process(target=_act, args=((action, user, code, version, barrier, results, media),))
        for action, user in jobs
    ]
    for p in processes:
        p.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for p in processes:
        p.join(timeout=30)
    return sorted(outcomes)


@pytest.fixture
def dossier(staff, procedure):  # type: ignore[no-untyped-def]
    return services.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=services.Applicant("citizen", "Lê Thị Hoa", "022195001234", "0912345678"),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )


def _replayed_status(code: str) -> int | None:
    status = None
    for payload in Event.objects.filter(subject_id=code).values_list("payload", flat=True):
        status = payload.get("status", status)
    return status


def test_holder_and_unit_head_forward_the_same_step_at_once(dossier, staff, tmp_path):
    before = Event.objects.filter(subject_id=dossier.code).count()
    outcomes = _race(
        [("forward", staff.specialist.user_id), ("forward", staff.head.user_id)],
        dossier.code,
        dossier.version,
        str(tmp_path),
    )
    assert outcomes == [("forward", "ok"), ("forward", "stale_version")]
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert fresh.version == dossier.version + 1
    # One step advanced: step 2 done once, step 3 active, nothing else touched.
    assert list(fresh.steps.exclude(status=StepStatus.PENDING).values_list("order", "status")) == [
        (1, "done"),
        (2, "done"),
        (3, "active"),
    ]
    new = list(
        Event.objects.filter(subject_id=dossier.code)
        .order_by("id")[before:]
        .values_list("event_type", flat=True)
    )
    assert new == ["dossier.forwarded", "dossier.step_started"]
    assert _replayed_status(dossier.code) == fresh.status == Status.PROCESSING


def test_forward_and_stop_at_once_only_one_wins(dossier, staff, tmp_path):
    before = Event.objects.filter(subject_id=dossier.code).count()
    outcomes = _race(
        [("forward", staff.specialist.user_id), ("stop", staff.leader.user_id)],
        dossier.code,
        dossier.version,
        str(tmp_path),
    )
    results = dict(outcomes)
    assert sorted(results.values()) == ["ok", "stale_version"]
    fresh = Dossier.objects.get(pk=dossier.pk)
    new = list(
        Event.objects.filter(subject_id=dossier.code)
        .order_by("id")[before:]
        .values_list("event_type", flat=True)
    )
    active = list(DossierStep.objects.filter(dossier=fresh, status=StepStatus.ACTIVE))
    if results["forward"] == "ok":
        assert fresh.status == Status.PROCESSING and [s.order for s in active] == [3]
        assert new == ["dossier.forwarded", "dossier.step_started"]
    else:
        assert fresh.status == Status.STOPPED and active == []
        assert new == ["dossier.stopped"]
    assert fresh.version == dossier.version + 1
    assert _replayed_status(dossier.code) == fresh.status


def test_without_versions_the_loser_meets_the_new_state(dossier, staff, tmp_path):
    """Both acted on the same page without sending the version: the row lock still serialises
    them, and the second is judged against the state the first left."""
    outcomes = _race(
        [("forward", staff.specialist.user_id), ("forward", staff.specialist.user_id)],
        dossier.code,
        0,  # no version check
        str(tmp_path),
    )
    # The second forward finds step 3 active, held by the unit head, not the specialist.
    assert outcomes == [("forward", "ok"), ("forward", "permission_denied")]
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert fresh.steps.filter(order=2, status=StepStatus.DONE).count() == 1
    assert fresh.steps.get(status=StepStatus.ACTIVE).order == 3
