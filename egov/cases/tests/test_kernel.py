"""The case kernel on a throw-away case type with three states (open → in progress → closed):
a refused transition changes nothing, two concurrent actions on one case cannot both succeed,
the event and the outbox message are written with the change or not at all."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections, models, transaction

from egov.accounts.models import User
from egov.cases import CaseType, Transition, TransitionRefused, begin, perform
from egov.core.actors import Actor, actor_for_user
from egov.core.errors import Conflict, DomainError, NotAllowed, NotFoundError
from egov.events.catalogue import EventPayloadError, Payload, declare
from egov.events.models import Event, OutboxMessage
from egov.org.models import Role


class Ticket(models.Model):
    """Exists only in these tests: the table is made and dropped by the `tickets` fixture."""

    code = models.CharField(max_length=20, unique=True)
    status = models.CharField(max_length=20, default="open")
    version = models.PositiveIntegerField(default=1)
    agency_id = models.IntegerField(null=True)
    note = models.CharField(max_length=100, blank=True)

    class Meta:
        app_label = "cases_tests"

    def __str__(self) -> str:
        return self.code


class TicketPayload(Payload):
    status: str
    note: str = ""


STARTED = declare(
    "ticket.started", subject="ticket", payload=TicketPayload, description="test only"
)
OPENED = declare("ticket.opened", subject="ticket", payload=TicketPayload, description="test only")
CLOSED = declare("ticket.closed", subject="ticket", payload=TicketPayload, description="test only")

TICKET = CaseType(
    name="ticket",
    model=Ticket,
    key="code",
    transitions=[
        Transition("open", "Mở", frozenset(), "open"),
        Transition("start", "Bắt đầu", frozenset({"open"}), "in_progress"),
        Transition("close", "Đóng", frozenset({"in_progress"}), "closed", role=Role.LEADER),
    ],
)


def _ticket_payload(act: Any) -> dict[str, Any]:
    return {"status": act.case.status}


TICKET.event_payload = _ticket_payload  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def tickets(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), connection.schema_editor(atomic=False) as editor:
        editor.create_model(Ticket)
    yield
    with django_db_blocker.unblock(), connection.schema_editor(atomic=False) as editor:
        editor.delete_model(Ticket)


@pytest.fixture
def people(make_official: Any, agency: Any) -> dict[str, Actor]:
    return {
        "specialist": actor_for_user(make_official(agency, [Role.SPECIALIST]).user),
        "leader": actor_for_user(make_official(agency, [Role.LEADER]).user),
    }


def _start(actor: Actor, code: str, version: int | None = None, fail: bool = False) -> None:
    with perform(TICKET, "start", actor=actor, case=code, expected_version=version) as act:
        act.case.note = "đang làm"
        act.save("note")
        act.record(STARTED, note="bắt đầu")
        act.enqueue("test.ticket", {"code": code}, idempotency_key=f"ticket:{code}:start")
        if fail:
            raise RuntimeError("the body failed after writing")


def _snapshot(code: str) -> tuple[Any, ...]:
    ticket = Ticket.objects.get(code=code)
    return (
        ticket.status,
        ticket.version,
        ticket.note,
        Event.objects.filter(subject_type="ticket", subject_id=code).count(),
        OutboxMessage.objects.filter(idempotency_key__startswith=f"ticket:{code}:").count(),
    )


@pytest.mark.django_db
def test_an_allowed_action_writes_state_version_event_and_message_together(tickets, people):
    ticket = Ticket.objects.create(code="T-1", agency_id=None)
    _start(people["specialist"], "T-1", version=ticket.version)
    assert _snapshot("T-1") == ("in_progress", 2, "đang làm", 1, 1)
    event = Event.objects.get(subject_type="ticket", subject_id="T-1")
    assert event.event_type == "ticket.started"
    assert event.payload == {"status": "in_progress", "note": "bắt đầu"}
    assert TICKET.allowed_actions("in_progress") == ["close"]


@pytest.mark.django_db
def test_a_refused_transition_changes_nothing(tickets, people):
    Ticket.objects.create(code="T-2", status="open")
    before = _snapshot("T-2")
    with pytest.raises(TransitionRefused) as refused:
        with perform(TICKET, "close", actor=people["leader"], case="T-2") as act:
            act.save()
            act.record(CLOSED)
    assert refused.value.code == "invalid_transition" and refused.value.http_status == 409
    assert "Không thể “đóng” khi hồ sơ đang ở trạng thái “open”" in refused.value.message
    assert _snapshot("T-2") == before


@pytest.mark.django_db
def test_a_missing_role_a_stale_version_and_an_unknown_case_are_refused(tickets, people):
    Ticket.objects.create(code="T-3", status="in_progress", version=5)
    before = _snapshot("T-3")
    with pytest.raises(NotAllowed, match="cần vai trò"):
        with perform(TICKET, "close", actor=people["specialist"], case="T-3") as act:
            act.record(CLOSED)
    with pytest.raises(Conflict) as stale:
        with perform(TICKET, "close", actor=people["leader"], case="T-3", expected_version=4):
            pass
    assert stale.value.code == "stale_version"
    with pytest.raises(NotFoundError):
        with perform(TICKET, "close", actor=people["leader"], case="T-404"):
            pass
    with pytest.raises(NotAllowed):  # a citizen is not among the actors the table allows
        with perform(TICKET, "close", actor=Actor(kind="citizen", user_id=1), case="T-3"):
            pass
    assert _snapshot("T-3") == before


@pytest.mark.django_db
def test_event_and_outbox_rows_are_written_with_the_change_or_not_at_all(tickets, people):
    Ticket.objects.create(code="T-4")
    before = _snapshot("T-4")
    with pytest.raises(RuntimeError, match="the body failed"):
        _start(people["specialist"], "T-4", fail=True)
    assert _snapshot("T-4") == before
    # A payload the catalogue does not declare is refused before anything is written.
    with pytest.raises(EventPayloadError):
        with perform(TICKET, "start", actor=people["specialist"], case="T-4") as act:
            act.save()
            act.record(STARTED, surprise="not in the schema")
    assert _snapshot("T-4") == before


@pytest.mark.django_db
def test_an_action_must_record_its_event_and_cannot_run_inside_another(tickets, people):
    Ticket.objects.create(code="T-5")
    before = _snapshot("T-5")
    with pytest.raises(RuntimeError, match="recorded no event"):
        with perform(TICKET, "start", actor=people["specialist"], case="T-5") as act:
            act.save()
    assert _snapshot("T-5") == before
    Ticket.objects.create(code="T-6")
    with pytest.raises(RuntimeError, match="durable"):
        with perform(TICKET, "start", actor=people["specialist"], case="T-5") as act:
            act.save()
            act.record(STARTED)
            _start(people["specialist"], "T-6")  # a second action inside the first: refused
    assert _snapshot("T-5") == before


def _race_start(args: tuple[int, str, int, Any, Any]) -> None:
    user_id, code, version, barrier, results = args
    connections.close_all()  # a connection of this process's own
    try:
        actor = actor_for_user(User.objects.get(pk=user_id))
        barrier.wait(timeout=30)
        _start(actor, code, version=version)
        results.put("ok")
    except DomainError as exc:
        results.put(exc.code)
    except Exception as exc:  # an unexpected error must fail the test, not hang it
        results.put(f"error: {type(exc).__name__}: {exc}")
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_two_processes_acting_on_one_case_cannot_both_succeed(tickets, people):
    for version in (1, None):  # with the version each saw, and without (the lock alone decides)
        code = f"T-race-{version}"
        with transaction.atomic():
            Ticket.objects.create(code=code)
        ctx = multiprocessing.get_context("fork")
        barrier = ctx.Barrier(2)
        results = ctx.Queue()
        users = [people["specialist"].user_id, people["leader"].user_id]
        connections.close_all()
        processes = [
            ctx.Process(target=_race_start, args=((user, code, version, barrier, results),))
            for user in users
        ]
        for p in processes:
            p.start()
        outcomes = sorted(results.get(timeout=60) for _ in processes)
        for p in processes:
            p.join(timeout=30)
        expected = "stale_version" if version else "invalid_transition"
        assert outcomes == sorted(["ok", expected]), outcomes
        assert _snapshot(code) == ("in_progress", 2, "đang làm", 1, 1)


@pytest.mark.django_db
def test_the_action_that_makes_a_case_writes_it_with_its_event_or_not_at_all(tickets, people):
    with begin(TICKET, "open", actor=people["specialist"]) as act:
        act.case = Ticket.objects.create(code="T-new")
        act.record(OPENED)
    assert _snapshot("T-new") == ("open", 1, "", 1, 0)
    with pytest.raises(RuntimeError, match="recorded no event"):
        with begin(TICKET, "open", actor=people["specialist"]) as act:
            act.case = Ticket.objects.create(code="T-silent")
    with pytest.raises(RuntimeError, match="wrong state"):
        with begin(TICKET, "open", actor=people["specialist"]) as act:
            act.case = Ticket.objects.create(code="T-odd", status="closed")
            act.record(OPENED)
    assert not Ticket.objects.filter(code__in=["T-silent", "T-odd"]).exists()
    with pytest.raises(LookupError):  # an action on an existing case is not a beginning
        with begin(TICKET, "start", actor=people["specialist"]):
            pass
