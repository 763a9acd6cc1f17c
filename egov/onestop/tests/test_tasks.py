"""Near-due and overdue reminders with escalation, on the real working-day calendar."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from egov.dossiers.models import Dossier
from egov.dossiers.tests.conftest import pdf_upload
from egov.events.models import Event, OutboxMessage
from egov.onestop import reminders, services
from egov.onestop.models import DossierStep, StepStatus
from egov.onestop.tasks import remind_due_steps

from .conftest import act

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


@pytest.fixture
def emails(staff):  # type: ignore[no-untyped-def]
    for name, official in vars(staff).items():
        official.user.email = f"{name}@ubnd.example.vn"
        official.user.save(update_fields=["email"])
    return staff


def receive(staff, procedure, when: datetime, id_number: str = "022195001234") -> Dossier:  # type: ignore[no-untyped-def]
    with time_machine.travel(when, tick=False):
        return services.receive_in_person(
            actor=act(staff.receiver),
            procedure_code=procedure.code,
            applicant=services.Applicant("citizen", "Lê Thị Hoa", id_number, "0912345678"),
            uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
        )


def run(when: datetime) -> reminders.ReminderReport:
    with time_machine.travel(when, tick=False):
        return reminders.send_due_reminders()


def sent(dossier: Dossier) -> list[tuple[str, list[str]]]:
    return [
        (r["level"], [p["role"] for p in r["recipients"]])
        for r in reminders.reminders_of(dossier.code)
    ]


def test_near_due_then_overdue_then_escalated_each_sent_once(emails, procedure):
    staff = emails
    # Received Monday 23/11/2026 08:00: the specialist's 2 days are due Thursday 26/11 08:00
    # (Tuesday 24/11 is a holiday).
    dossier = receive(staff, procedure, at(2026, 11, 23, 8, 0))
    step = DossierStep.objects.get(dossier=dossier, status=StepStatus.ACTIVE)
    assert step.due_at == at(2026, 11, 26, 8, 0)

    assert run(at(2026, 11, 25, 8, 0)).total == 0  # 7.5 working hours left: a whole day
    report = run(at(2026, 11, 25, 14, 30))  # 3 working hours left: under a working day
    assert dict(report.sent) == {"near_due": 1}
    assert sent(dossier) == [("near_due", ["assignee"])]
    message = OutboxMessage.objects.get(idempotency_key=f"reminder:{step.pk}:near_due")
    assert message.topic == "email" and message.payload["to"] == ["specialist@ubnd.example.vn"]
    assert "sắp đến hạn" in message.payload["subject"] and dossier.code in message.payload["body"]
    assert "08:00 ngày 26/11/2026" in message.payload["body"]

    assert run(at(2026, 11, 25, 15, 0)).total == 0  # already reminded

    report = run(at(2026, 11, 26, 9, 0))  # an hour late: the unit head hears of it
    assert dict(report.sent) == {"overdue": 1}
    overdue = OutboxMessage.objects.get(idempotency_key=f"reminder:{step.pk}:overdue")
    assert overdue.payload["to"] == ["head@ubnd.example.vn", "specialist@ubnd.example.vn"]

    assert run(at(2026, 11, 26, 16, 0)).total == 0  # 6.5 working hours late: not yet a day
    report = run(at(2026, 11, 27, 10, 0))  # 9.5 working hours late: to the agency's leader
    assert dict(report.sent) == {"escalated": 1}
    escalated = OutboxMessage.objects.get(idempotency_key=f"reminder:{step.pk}:escalated")
    assert escalated.payload["to"] == ["leader@ubnd.example.vn"]
    assert run(at(2026, 11, 27, 16, 0)).total == 0

    assert sent(dossier) == [
        ("near_due", ["assignee"]),
        ("overdue", ["assignee", "unit_head"]),
        ("escalated", ["leader"]),
    ]
    events = Event.objects.filter(event_type="dossier.reminder_sent", subject_id=dossier.code)
    assert [e.agency_id for e in events] == [dossier.agency_id] * 3
    assert {e.payload["step_id"] for e in events} == {step.pk}


def test_a_step_found_late_by_days_gets_both_levels_and_mail_goes_out(
    emails, procedure, django_capture_on_commit_callbacks
):
    dossier = receive(emails, procedure, at(2026, 11, 23, 8, 0))
    with (
        time_machine.travel(at(2026, 12, 1, 9, 0), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = reminders.send_due_reminders()
    assert dict(report.sent) == {"overdue": 1, "escalated": 1}
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        f"[Báo cáo lãnh đạo] Hồ sơ {dossier.code} quá hạn hơn 1 ngày làm việc",
        f"[Quá hạn] Hồ sơ {dossier.code} đã quá hạn xử lý",
    ]


def test_next_step_gets_its_own_reminders(emails, procedure):
    staff = emails
    dossier = receive(staff, procedure, at(2026, 11, 23, 8, 0))
    run(at(2026, 11, 25, 14, 30))
    with time_machine.travel(at(2026, 11, 25, 15, 0), tick=False):
        services.forward(actor=act(staff.specialist), dossier=dossier)
    # The head's half day from Wed 15:00 is due Thu 09:15: near due at once.
    report = run(at(2026, 11, 25, 15, 30))
    assert dict(report.sent) == {"near_due": 1}
    assert sent(dossier)[-1] == ("near_due", ["assignee"])
    head_step = DossierStep.objects.get(dossier=dossier, status=StepStatus.ACTIVE)
    assert OutboxMessage.objects.get(idempotency_key=f"reminder:{head_step.pk}:near_due").payload[
        "to"
    ] == ["head@ubnd.example.vn"]


def test_no_reminders_on_days_off_or_while_waiting_for_the_applicant(emails, procedure):
    staff = emails
    dossier = receive(staff, procedure, at(2026, 11, 23, 8, 0))
    report = run(at(2026, 11, 28, 10, 0))  # Saturday
    assert report.skipped_day_off and report.total == 0
    with time_machine.travel(at(2026, 11, 25, 9, 0), tick=False):
        services.request_supplement(actor=act(staff.specialist), dossier=dossier, reason="Thiếu")
    assert run(at(2026, 11, 30, 9, 0)).total == 0  # the clock is stopped
    assert not reminders.reminders_of(dossier.code)
    assert not OutboxMessage.objects.filter(idempotency_key__startswith="reminder:").exists()


def test_finished_and_stopped_dossiers_are_left_alone(emails, procedure):
    staff = emails
    dossier = receive(staff, procedure, at(2026, 11, 23, 8, 0))
    with time_machine.travel(at(2026, 11, 23, 9, 0), tick=False):
        services.stop(actor=act(staff.leader), dossier=dossier, reason="Không đủ điều kiện")
    assert run(at(2026, 12, 1, 9, 0)).checked == 0


def test_reminder_without_email_is_still_recorded_once(staff, procedure):
    dossier = receive(staff, procedure, at(2026, 11, 23, 8, 0))  # nobody has an e-mail address
    assert run(at(2026, 11, 26, 9, 0)).total == 1
    assert run(at(2026, 11, 26, 10, 0)).total == 0
    (reminder,) = reminders.reminders_of(dossier.code)
    assert reminder["level"] == "overdue" and reminder["emailed"] == 0
    assert not OutboxMessage.objects.filter(idempotency_key__startswith="reminder:").exists()


def test_unassigned_unit_without_head_goes_to_the_leader(emails, procedure, agency):
    staff = emails
    dossier = receive(staff, procedure, at(2026, 11, 23, 8, 0))
    DossierStep.objects.filter(dossier=dossier, status=StepStatus.ACTIVE).update(
        assignee=None, unit=None
    )
    run(at(2026, 11, 25, 14, 30))
    assert sent(dossier) == [("near_due", ["leader"])]


def test_work_is_a_few_queries_whatever_the_number_of_late_steps(
    emails, procedure, django_assert_max_num_queries
):
    for i in range(6):
        receive(emails, procedure, at(2026, 11, 23, 8, 0), id_number=f"02219500123{i}")
    assert run(at(2026, 11, 26, 9, 0)).total == 6
    # Calendars (2 + 2), the agencies, the steps, the reminders already sent.
    with django_assert_max_num_queries(7):
        assert run(at(2026, 11, 26, 10, 0)).total == 0


def test_periodic_task_runs_in_working_hours_and_calls_the_service(emails, procedure):
    dossier = receive(emails, procedure, at(2026, 11, 23, 8, 0))
    # Huey's crontab is in UTC: 02:00 UTC is 09:00 in Việt Nam, 12:00 UTC is 19:00.
    schedule = remind_due_steps.task_class()
    assert schedule.validate_datetime(datetime(2026, 11, 26, 2, 0))
    assert schedule.validate_datetime(datetime(2026, 11, 26, 2, 30))
    assert not schedule.validate_datetime(datetime(2026, 11, 26, 2, 15))
    assert not schedule.validate_datetime(datetime(2026, 11, 26, 12, 0))
    with time_machine.travel(at(2026, 11, 26, 9, 0), tick=False):
        remind_due_steps.call_local()
    assert sent(dossier) == [("overdue", ["assignee", "unit_head"])]


def test_due_steps_query_is_answered_from_an_index(emails, procedure):
    """No sequential scan of the steps table (it holds every finished step ever); at scale the
    planner takes the (agency, status, due_at) index: `agency_id = ANY(...)`, status, due_at."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    receive(emails, procedure, at(2026, 11, 23, 8, 0))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: ask what it could use
    plan = reminders.due_steps(at(2026, 11, 26, 9, 0)).explain()
    assert "Seq Scan on onestop_dossierstep" not in plan, plan
    assert "onestop_dossierstep" in plan and "Index" in plan, plan
