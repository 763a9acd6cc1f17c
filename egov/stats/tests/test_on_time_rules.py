"""On time or late (#13), at its boundaries, wherever a verdict is shown: the engine
(is_on_time), form 05, form 06, the stats projector behind the dashboard, its drill-down and the
naive count the aggregates are checked against.

- The verdict compares dates: done at 17:00 or 17:01 on the due day is on time, the next working
  day at 08:00 late.
- A supplement pause moves the appointment to a date (the end of a working day), never to a
  mid-morning moment.
- An apology letter (form 04) promises a date; the legal date still decides. A dossier done after
  its legal date but before the promised one is late, and "kept the promise".
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from egov.core.actors import SYSTEM
from egov.dossiers import event_types as E
from egov.dossiers.models import Dossier
from egov.events.models import Event
from egov.events.services import record_event
from egov.onestop import reports, services
from egov.onestop.tests.conftest import act
from egov.onestop.tests.test_api import session
from egov.stats import aggregates, drill, naive, queries
from egov.stats.periods import Period

from .conftest import History, at

pytestmark = pytest.mark.django_db

LATER = at(2026, 12, 15, 10, 0)  # when the figures are read: every day above is closed


def figures(start: date, end: date) -> queries.Figures:
    return queries.figures(queries.select(SYSTEM, Period("range", start, end)))


def naive_sum(name: str) -> int:
    return sum(c[name] for c in naive.dossier_facts().values())


def test_done_on_the_due_day_is_on_time_whatever_the_hour(staff, procedure):
    h = History(staff, procedure, None)
    # Received Monday 23/11/2026: 4 working days (24/11 is a holiday) → due Mon 30/11 17:00.
    five_pm, one_past, next_morning, _still_open = (h.receive(2026, 11, 23, 8, 0) for _ in range(4))
    assert five_pm.appointment_at == at(2026, 11, 30, 17, 0)
    h.finish(five_pm, 2026, 11, 30, 17, 0)
    h.finish(one_past, 2026, 11, 30, 17, 1)  # used to be late: it was compared as a moment
    h.finish(next_morning, 2026, 12, 1, 8, 0)
    dossiers = [Dossier.objects.get(pk=d.pk) for d in (five_pm, one_past, next_morning)]
    expected = [True, True, False]

    assert [services.is_on_time(d) for d in dossiers] == expected
    assert [reports.control_sheet(d, now=LATER).on_time for d in dossiers] == expected
    register = reports.register(staff.receiver.agency, date(2026, 11, 23), date(2026, 11, 23))
    labels = [r.on_time_label for r in register.rows]
    assert labels == ["Đúng hạn", "Đúng hạn", "Trễ hạn", "Đúng hạn"]  # the last one still open

    # Live, the open one is on time all its due day, after 17:00 too; overdue the next day.
    for moment, expected_open in ((at(2026, 11, 30, 17, 30), (1, 0)), (at(2026, 12, 1, 8), (0, 1))):
        with time_machine.travel(moment, tick=False):
            today = timezone.localdate()
            live = figures(today, today)
            assert (live.on_time, live.overdue) == expected_open, moment

    with time_machine.travel(LATER, tick=False):
        aggregates.maintain()
        due_day = figures(date(2026, 11, 30), date(2026, 11, 30))
        assert (due_day.resolved_on_time, due_day.resolved_late) == (2, 0)
        # Open at the end of their due day (judged with that day as their end): on time.
        assert (due_day.on_time, due_day.overdue) == (2, 0)
        assert figures(date(2026, 12, 1), date(2026, 12, 1)).overdue == 1
        assert figures(date(2026, 12, 1), date(2026, 12, 1)).resolved_late == 1
        sel = queries.select(SYSTEM, Period("range", date(2026, 11, 30), date(2026, 12, 1)))
        on_time = drill.dossiers_behind(sel, "resolved_on_time", {}).dossiers
        assert {d.code for d in on_time} == {five_pm.code, one_past.code}
    assert (naive_sum("resolved_on_time"), naive_sum("resolved_late")) == (2, 1)


def test_a_one_hour_pause_over_a_weekend_gives_a_date_not_monday_0830(
    staff, procedure, make_citizen
):
    citizen = make_citizen(personal_id="022195001234")
    h = History(staff, procedure, citizen)
    dossier = h.receive(2026, 11, 16, 8, 0)  # Monday: due Friday 20/11 17:00
    Dossier.objects.filter(pk=dossier.pk).update(applicant=citizen)
    assert dossier.appointment_at == at(2026, 11, 20, 17, 0)
    # Asked on Friday at 16:30, answered Monday at 08:00: one working hour (Fri 16:30–17:00,
    # Mon 07:30–08:00). Moved by that hour the due moment would be Monday 08:30; the
    # appointment is a date, so it is the end of Monday.
    h.ask_supplement(dossier, 2026, 11, 20, 16, 30)
    h.supplement(dossier, 2026, 11, 23, 8, 0)
    dossier.refresh_from_db()
    assert dossier.appointment_at == at(2026, 11, 23, 17, 0)
    answered = Event.objects.get(subject_id=dossier.code, event_type="dossier.supplement_provided")
    assert datetime.fromisoformat(answered.payload["appointment_at"]) == at(2026, 11, 23, 17, 0)
    h.finish(dossier, 2026, 11, 23, 16, 0)
    assert services.is_on_time(Dossier.objects.get(pk=dossier.pk)) is True


def test_an_apology_promise_kept_is_still_late(staff, procedure):
    h = History(staff, procedure, None)
    dossier = h.receive(2026, 11, 23, 8, 0)  # due Mon 30/11 17:00
    # Overdue on Tuesday 1/12: the holder drafts form 04 promising Friday 4/12, the leader
    # approves it.
    with time_machine.travel(at(2026, 12, 1, 9, 0), tick=False):
        letter = services.draft_apology(
            actor=act(staff.specialist),
            dossier=dossier.code,
            reason="Chờ xác minh của cơ quan khác",
            new_appointment_at=at(2026, 12, 4, 17, 0),
        )
        services.decide_apology(actor=act(staff.leader), letter_id=letter.pk, approve=True)
    h.finish(dossier, 2026, 12, 3, 10, 0)  # before the promised date
    done = Dossier.objects.get(pk=dossier.pk)
    assert done.appointment_at == at(2026, 11, 30, 17, 0)
    assert done.promised_at == at(2026, 12, 4, 17, 0)

    assert services.is_on_time(done) is False
    assert services.kept_promise(done) is True
    sheet = reports.control_sheet(done, now=LATER)
    assert (sheet.on_time_label, sheet.promise_label) == ("Trễ hạn", "Đúng ngày hẹn lại")
    assert sheet.extensions[0].new_appointment_at == at(2026, 12, 4, 17, 0)
    register = reports.register(staff.receiver.agency, date(2026, 11, 23), date(2026, 11, 23))
    assert [r.on_time_label for r in register.rows] == ["Trễ hạn"]
    # The workspace shows both dates and both verdicts.
    page = session(staff.leader.user).get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Ngày hẹn lại (phiếu xin lỗi)" in page and "04/12/2026" in page
    assert "Trễ hạn" in page and "Đúng ngày hẹn lại" in page

    with time_machine.travel(LATER, tick=False):
        aggregates.maintain()
        # Open at the end of 1/12, after the apology: overdue all the same.
        first = figures(date(2026, 12, 1), date(2026, 12, 1))
        assert (first.on_time, first.overdue) == (0, 1)
        done_day = figures(date(2026, 12, 3), date(2026, 12, 3))
        assert (done_day.resolved_in_time, done_day.resolved_late) == (0, 1)
        assert (done_day.resolved_promised, done_day.resolved_promise_kept) == (1, 1)
        assert done_day.resolved_on_time_rate == 0
        sel = queries.select(SYSTEM, Period("range", date(2026, 12, 3), date(2026, 12, 3)))
        for metric in ("resolved_late", "resolved_promised", "resolved_promise_kept"):
            assert [d.code for d in drill.dossiers_behind(sel, metric, {}).dossiers] == [
                dossier.code
            ]
        # A rebuild from the events reads the same.
        before = figures(date(2026, 11, 1), date(2026, 12, 10)).as_dict()
        aggregates.rebuild()
        assert figures(date(2026, 11, 1), date(2026, 12, 10)).as_dict() == before
    assert naive_sum("resolved_late") == 1
    assert (naive_sum("resolved_promised"), naive_sum("resolved_promise_kept")) == (1, 1)


def test_an_old_apology_event_is_read_as_a_promise(staff, procedure):
    """Events recorded before #13 carried the promised date as `appointment_at`: replayed, they
    must not move the legal date the open ledger judges by."""
    h = History(staff, procedure, None)
    dossier = h.receive(2026, 11, 23, 8, 0)  # due Mon 30/11 17:00
    # The old shape, as the engine recorded it then (the events are append-only: recorded so).
    with time_machine.travel(at(2026, 11, 27, 9, 0), tick=False), transaction.atomic():
        record_event(
            actor=act(staff.leader),
            event_type=E.APOLOGY_APPROVED,
            subject_type="dossier",
            subject_id=dossier.code,
            agency_id=dossier.agency_id,
            payload={
                "letter": 1,
                "reason": "Chờ xác minh",
                "appointment_at": at(2026, 12, 4, 17, 0),
                "previous_appointment_at": at(2026, 11, 30, 17, 0),
            },
        )
    with time_machine.travel(LATER, tick=False):
        aggregates.rebuild()
        day_after = figures(date(2026, 12, 1), date(2026, 12, 1))
        assert (day_after.on_time, day_after.overdue) == (0, 1)
    sheet = reports.control_sheet(Dossier.objects.get(pk=dossier.pk), now=LATER)
    assert sheet.extensions[0].new_appointment_at == at(2026, 12, 4, 17, 0)


def test_dashboard_shows_the_kept_promises(staff, procedure, client, login_with_mfa):
    h = History(staff, procedure, None)
    dossier = h.receive(2026, 11, 23, 8, 0)
    with time_machine.travel(at(2026, 12, 1, 9, 0), tick=False):
        letter = services.draft_apology(
            actor=act(staff.specialist),
            dossier=dossier.code,
            reason="Chờ xác minh",
            new_appointment_at=at(2026, 12, 4, 17, 0),
        )
        services.decide_apology(actor=act(staff.leader), letter_id=letter.pk, approve=True)
    h.finish(dossier, 2026, 12, 3, 10, 0)
    with time_machine.travel(LATER, tick=True):
        login_with_mfa(staff.leader.user)
        aggregates.maintain()
        page = client.get("/dieu-hanh/?period=month&month=2026-12")
        assert page.status_code == 200
        values = page.context["values"]
        assert (values["resolved_late"], values["resolved_promise_kept"]) == (1, 1)
        assert "Giữ đúng ngày hẹn lại (phiếu xin lỗi)" in page.content.decode()
