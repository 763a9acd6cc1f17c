"""The 766 index of a small month driven through the real services, computed by hand, and the
boundaries of each formula (issue #13): working days of the calendar (7.5 h), withdrawn, stopped
and paused dossiers judged, 3.3 and 4.2 needing an electronic / digitised result."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
import time_machine

from egov.core.actors import SYSTEM
from egov.onestop import services
from egov.onestop.tests.conftest import act
from egov.stats import aggregates, queries, views
from egov.stats.periods import month_period
from egov.workcalendar.models import WorkingHours
from egov.workcalendar.services import WorkingCalendar

from .conftest import NOW, History

pytestmark = pytest.mark.django_db


@pytest.fixture
def leader_client(client, staff, login_with_mfa):  # type: ignore[no-untyped-def]
    login_with_mfa(staff.leader.user)
    return client


def index_of(year: int, month: int) -> tuple[dict[str, Decimal | None], queries.Figures, object]:
    sel = queries.select(SYSTEM, month_period(year, month))
    context = views.index_context(sel)
    result = context["result"]
    scores = {i.code: i.score for g in result.groups for i in g.indicators}
    return scores, context["figures"], result


def indicator(result, code):  # type: ignore[no-untyped-def]
    return next(i for g in result.groups for i in g.indicators if i.code == code)


@pytest.fixture
def march(staff, procedure, make_citizen):  # type: ignore[no-untyped-def]
    """March 2025 at one agency, one procedure of 4 working days (offered online in full)."""
    h = History(staff, procedure, make_citizen(personal_id="022195001234"))
    d = {}
    # P1: desk, papers scanned; received Mon 3/3 08:00, due Fri 7/3 17:00; done Fri 7/3 08:00
    # (exactly 4 working days, on its due day in business hours) with a result file; returned.
    d["P1"] = h.receive(2025, 3, 3, 8, 0)
    h.finish(d["P1"], 2025, 3, 7, 8, 0, result=True)
    h.hand_back(d["P1"], 2025, 3, 7, 10, 0)
    h.rate(d["P1"], 5, 2025, 3, 7, 11, 0)
    # P2: online; accepted Mon 3/3 09:00 (due Fri 7/3), done Wed 5/3 09:00 with a result file.
    d["P2"] = h.submit(2025, 3, 3, 8, 0)
    h.accept(d["P2"], 2025, 3, 3, 9, 0)
    h.finish(d["P2"], 2025, 3, 5, 9, 0, result=True)
    h.hand_back(d["P2"], 2025, 3, 5, 10, 0)
    # P3: online; accepted Tue 4/3 08:00 (due Mon 10/3), done Thu 13/3 08:00 without a result
    # file, handed back on paper at the desk, rated "rất không hài lòng".
    d["P3"] = h.submit(2025, 3, 4, 7, 0)
    h.accept(d["P3"], 2025, 3, 4, 8, 0)
    h.finish(d["P3"], 2025, 3, 13, 8, 0)
    with h.when(2025, 3, 13, 9, 0):
        services.return_result(actor=act(staff.receiver), dossier=d["P3"].code, method="desk")
    h.rate(d["P3"], 1, 2025, 3, 13, 10, 0)
    # P4: received Wed 5/3 08:00 (due Tue 11/3), withdrawn Thu 6/3: in time.
    d["P4"] = h.receive(2025, 3, 5, 8, 0)
    with h.when(2025, 3, 6, 8, 0):
        services.withdraw(actor=act(staff.receiver), dossier=d["P4"].code, reason="Công dân rút")
    # P5: received Wed 5/3 09:00 (due Tue 11/3), stopped Mon 17/3: late.
    d["P5"] = h.receive(2025, 3, 5, 9, 0)
    with h.when(2025, 3, 17, 8, 0):
        services.stop(actor=act(staff.leader), dossier=d["P5"].code, reason="Không đủ điều kiện")
    # P6: received Mon 10/3 (due Fri 14/3), supplement asked Tue 11/3, never answered.
    d["P6"] = h.receive(2025, 3, 10, 8, 0)
    h.ask_supplement(d["P6"], 2025, 3, 11, 8, 0)
    # P7: received Mon 17/3 (due Fri 21/3), still running on 31/3: overdue.
    d["P7"] = h.receive(2025, 3, 17, 8, 0)
    # P8: received Thu 27/3 (due Wed 2/4), still running on 31/3: on time.
    d["P8"] = h.receive(2025, 3, 27, 8, 0)
    return d


def test_hand_computed_month_equals_the_index(march):
    """March 2025 by hand (a working day is 08:00-11:30 + 13:00-17:00 = 7.5 h):

    Ended in March: P1 on time (due day), P2 early, P3 late (13/3 > 10/3); P4 withdrawn in
    time, P5 stopped late (17/3 > 11/3). Open on 31/3: P6 paused in time (asked 11/3, due
    14/3), P7 overdue (due 21/3), P8 on time (due 2/4).

    2.1 = in time (P1, P2, P4, P6, P8) / judged (P1-P8) = 5/8 = 62.5% -> 62.5/100 x 12 = 7.50
        (the old formula left P4, P5, P6 out: 3/5 = 60% -> 7.20)
    2.2 taken P1 4 + P2 2 + P3 7 = 13 working days; legal 3 x 4 = 12 days
        -> 12/13 = 92.31% -> 0.923077 x 8 = 7.38; shown "Trung bình 4,3 ngày / thời hạn 4,0"
        (with 8-hour days: 13 x 7.5 / 8 / 3 = 4.06 -> "4,1")
    3.1 = 1 procedure, offered online in full = 100% >= 80% -> 6.00
    3.3 = returned online with an electronic result (P2) / returned (P1, P2, P3) = 1/3
        -> (1/3) / 50% x 8 = 5.33 (P3 was submitted online but its result was on paper)
    4.1 = returned with a result file (P1, P2) / returned (3) = 2/3 -> 2/3 x 8 = 5.33
    4.2 = returned with components and result digitised (P1 scanned, P2 online; P3 has no
        result file) / returned (3) = 2/3 -> (2/3) / 80% x 10 = 8.33
    5.4 = (judged 8 - late 3 (P3, P5, P7) - dissatisfied 1 (P3)) / 8 = 50% -> 50/90 x 12 = 6.67
    1.4, 3.5, 3.6, 4.3, 5.1: nothing measures them: no data.
    Groups: 1: 0; 2: 7.50 + 7.38 = 14.88; 3: 6.00 + 5.33 = 11.33; 4: 5.33 + 8.33 = 13.66;
    5: 6.67. Total 46.54.
    """
    with time_machine.travel(NOW, tick=False):
        live = index_of(2025, 3)  # counters still in the delta rows, the day not closed
        aggregates.maintain()
        scores, figs, result = index_of(2025, 3)
    assert live[0] == scores
    assert scores == {
        "1.4": None,
        "2.1": Decimal("7.50"),
        "2.2": Decimal("7.38"),
        "3.1": Decimal("6.00"),
        "3.3": Decimal("5.33"),
        "3.5": None,
        "3.6": None,
        "4.1": Decimal("5.33"),
        "4.2": Decimal("8.33"),
        "4.3": None,
        "5.1": None,
        "5.4": Decimal("6.67"),
    }
    assert {g.code: g.score for g in result.groups} == {
        "1": Decimal("0"),
        "2": Decimal("14.88"),
        "3": Decimal("11.33"),
        "4": Decimal("13.66"),
        "5": Decimal("6.67"),
    }
    assert result.total == Decimal("46.54")
    assert (figs.handled, figs.handled_in_time) == (8, 5)
    assert (figs.cancelled_in_time, figs.cancelled_late, figs.paused, figs.paused_late) == (
        1,
        1,
        1,
        0,
    )
    assert indicator(result, "2.2").measure.note.startswith(
        "Trung bình 4,3 ngày làm việc / thời hạn 4,0 ngày"
    )


def test_a_four_day_procedure_handled_in_four_working_days_shows_four_days(
    staff, procedure, make_citizen, leader_client
):
    h = History(staff, procedure, make_citizen(personal_id="022195001234"))
    d = h.receive(2025, 3, 3, 8, 0)  # Mon 08:00
    h.finish(d, 2025, 3, 7, 8, 0)  # Fri 08:00: 4 x 7.5 h of work
    with time_machine.travel(NOW, tick=False):
        scores, figs, result = index_of(2025, 3)
        page = leader_client.get("/dieu-hanh/?period=month&month=2025-03")
    assert figs.avg_handling_days == 4.0
    assert page.context["avg_handling_days"] == "4,0"
    assert "4,0 ngày làm việc" in page.content.decode()
    assert indicator(result, "2.2").measure.note.startswith(
        "Trung bình 4,0 ngày làm việc / thời hạn 4,0 ngày"
    )
    assert scores["2.2"] == Decimal("8.00")


def test_a_longer_working_day_of_the_calendar_is_a_longer_day(staff, procedure, make_citizen):
    """An agency whose calendar has 8-hour days (07:30-11:30, 13:00-17:00): the same 4 days."""
    agency = procedure.agencies.get()
    WorkingHours.objects.create(
        agency=agency,
        morning_start=time(7, 30),
        morning_end=time(11, 30),
        afternoon_start=time(13, 0),
        afternoon_end=time(17, 0),
    )
    WorkingCalendar.clear_cache()
    h = History(staff, procedure, make_citizen(personal_id="022195001234"))
    d = h.receive(2025, 3, 3, 7, 30)
    h.finish(d, 2025, 3, 7, 7, 30)
    with time_machine.travel(NOW, tick=False):
        _scores, figs, _result = index_of(2025, 3)
    assert figs.avg_handling_days == 4.0
    assert figs.legal_millidays == 4000


def test_withdrawn_and_stopped_dossiers_are_judged_in_2_1(staff, procedure, make_citizen):
    h = History(staff, procedure, make_citizen(personal_id="022195001234"))
    withdrawn = h.receive(2025, 3, 3, 8, 0)  # due Fri 7/3
    with h.when(2025, 3, 4, 8, 0):
        services.withdraw(actor=act(staff.receiver), dossier=withdrawn.code, reason="Rút")
    stopped = h.receive(2025, 3, 3, 9, 0)  # due Fri 7/3
    with h.when(2025, 3, 10, 8, 0):
        services.stop(actor=act(staff.leader), dossier=stopped.code, reason="Dừng")
    with time_machine.travel(NOW, tick=False):
        scores, _figs, result = index_of(2025, 3)
    two_one = indicator(result, "2.1").measure
    assert (two_one.numerator, two_one.denominator) == (1, 2)
    assert scores["2.1"] == Decimal("6.00")  # 50% x 12


def test_a_dossier_waiting_for_a_supplement_is_judged_where_the_wait_began(
    staff, procedure, make_citizen
):
    h = History(staff, procedure, make_citizen(personal_id="022195001234"))
    in_time = h.receive(2025, 3, 3, 8, 0)  # due Fri 7/3
    h.ask_supplement(in_time, 2025, 3, 5, 8, 0)
    late = h.receive(2025, 3, 3, 9, 0)  # due Fri 7/3, asked on Tue 11/3: already late
    h.ask_supplement(late, 2025, 3, 11, 8, 0)
    with time_machine.travel(NOW, tick=False):
        for _ in ("ledger", "closed day"):
            _scores, figs, result = index_of(2025, 3)
            assert (figs.paused, figs.paused_late) == (2, 1)
            two_one = indicator(result, "2.1").measure
            assert (two_one.numerator, two_one.denominator) == (1, 2)
            aggregates.maintain()
        # Now, from the tracker: both still waiting, one of them late.
        _scores, figs, _result = index_of(2025, 4)
        assert (figs.paused, figs.paused_late) == (2, 1)


def test_an_online_dossier_without_an_electronic_result_does_not_count_for_3_3_or_4_2(
    staff, procedure, make_citizen
):
    h = History(staff, procedure, make_citizen(personal_id="022195001234"))
    electronic = h.submit(2025, 3, 3, 8, 0)
    h.accept(electronic, 2025, 3, 3, 9, 0)
    h.finish(electronic, 2025, 3, 4, 9, 0, result=True)
    h.hand_back(electronic, 2025, 3, 4, 10, 0)
    paper = h.submit(2025, 3, 3, 8, 30)
    h.accept(paper, 2025, 3, 3, 9, 30)
    h.finish(paper, 2025, 3, 4, 9, 30)
    with h.when(2025, 3, 4, 10, 30):
        services.return_result(actor=act(staff.receiver), dossier=paper.code, method="desk")
    with time_machine.travel(NOW, tick=False):
        scores, figs, result = index_of(2025, 3)
    assert figs.received_online == 2  # both were submitted online
    three_three = indicator(result, "3.3").measure
    assert (three_three.numerator, three_three.denominator) == (1, 2)
    assert scores["3.3"] == Decimal("8.00")  # 50%: full marks at 50%
    four_two = indicator(result, "4.2").measure
    assert (four_two.numerator, four_two.denominator) == (1, 2)
    assert scores["4.2"] == Decimal("6.25")  # 50% / 80% x 10
    # What operators read of the formula says so too.
    assert "có kết quả điện tử" in indicator(result, "3.3").description
    assert "kết quả được số hóa" in indicator(result, "4.2").description


def test_a_dossier_withdrawn_while_waiting_is_judged_where_the_wait_began(
    staff, procedure, make_citizen
):
    h = History(staff, procedure, make_citizen(personal_id="022195001234"))
    d = h.receive(2025, 3, 3, 8, 0)  # due Fri 7/3
    h.ask_supplement(d, 2025, 3, 5, 8, 0)  # the clock stops on Wed 5/3, in time
    with h.when(2025, 3, 20, 8, 0):  # withdrawn long after 7/3, still waiting
        services.withdraw(actor=act(staff.receiver), dossier=d.code, reason="Công dân rút")
    with time_machine.travel(NOW, tick=False):
        _scores, figs, _result = index_of(2025, 3)
        assert (figs.cancelled_in_time, figs.cancelled_late) == (1, 0)
        aggregates.rebuild()
        _scores, figs, _result = index_of(2025, 3)
        assert (figs.cancelled_in_time, figs.cancelled_late) == (1, 0)
