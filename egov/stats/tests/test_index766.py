"""The 766 scores on a small case computed by hand, with definitions that are data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from egov.core.actors import SYSTEM
from egov.core.errors import NotAllowed
from egov.stats import index766, services
from egov.stats.models import IndexGroup, IndexIndicator
from egov.stats.queries import Figures

pytestmark = pytest.mark.django_db


def figures(**counts: int) -> Figures:
    f = Figures()
    f.add(counts)
    return f


def test_scores_follow_rate_threshold_and_max_points():
    # 20 resolved: 12 early, 4 on time, 4 late; 5 running at the end: 4 on time, 1 overdue;
    # 5 waiting for a supplement, 1 of them already late when the wait began.
    # 2.1 = (16 + 4 + 4) / (20 + 5 + 5) = 80% -> 80/100 x 12 = 9.60
    # 3.3 = 5 online with an electronic result / 20 returned = 25% -> 25/50 x 8 = 4.00
    # 3.1 = 9 of 10 procedures online = 90% >= 80% -> full 6
    # 4.2 = 12 returned with components and result digitised / 20 = 60% -> 60/80 x 10 = 7.50
    # 4.1 = 15 electronic / 20 returned = 75% -> 6.00
    # 2.2 = legal 100 days / taken 125 days = 80% -> 6.40
    # 5.4 = (30 judged - 6 late/overdue - 2 dissatisfied) / 30 = 73.33% -> 73.33/90 x 12 = 9.78
    f = figures(
        received=40,
        received_online=10,
        received_digitised=40,
        resolved_early=12,
        resolved_on_time=4,
        resolved_late=4,
        on_time=4,
        overdue=1,
        paused=5,
        paused_late=1,
        returned=20,
        returned_electronic=15,
        returned_online_electronic=5,
        returned_digitised=12,
        handling_millidays=125_000,
        legal_millidays=100_000,
        rating_1=1,
        rating_2=1,
        rating_5=6,
    )
    result = index766.compute(2025, index766.Inputs(figures=f, procedures=10, online_procedures=9))
    scores = {i.code: i.score for g in result.groups for i in g.indicators}
    assert scores["2.1"] == Decimal("9.60")
    assert scores["2.2"] == Decimal("6.40")
    assert scores["3.1"] == Decimal("6.00")
    assert scores["3.3"] == Decimal("4.00")
    assert scores["4.1"] == Decimal("6.00")
    assert scores["4.2"] == Decimal("7.50")
    assert scores["5.4"] == Decimal("9.78")
    # No figures for these here (nothing synced, no fees, no feedback): no data, no points,
    # never an invented value.
    for code in ("1.4", "3.5", "3.6", "4.3", "5.1"):
        assert scores[code] is None
    groups = {g.code: g.score for g in result.groups}
    assert groups == {
        "1": Decimal("0"),
        "2": Decimal("16.00"),
        "3": Decimal("10.00"),
        "4": Decimal("13.50"),
        "5": Decimal("9.78"),
    }
    assert result.total == Decimal("49.28")
    assert result.max_points == Decimal("100")
    assert {i.code for i in result.without_data} == {"1.4", "3.5", "3.6", "4.3", "5.1"}


def test_weights_are_data_per_year_and_a_year_without_its_own_uses_the_last_one():
    actor = SYSTEM
    assert services.copy_year(actor=actor, source=2025, target=2026) == 12
    indicator = IndexIndicator.objects.get(year=2026, code="2.1")
    indicator.threshold = Decimal("90")
    indicator.max_points = Decimal("20")
    services.save_indicator(actor=actor, indicator=indicator)
    group = IndexGroup.objects.get(year=2026, code="2")
    group.max_points = Decimal("28")
    services.save_group(actor=actor, group=group)

    f = figures(resolved_early=9, resolved_late=1)  # 90%
    inputs = index766.Inputs(figures=f)
    score_2026 = {
        i.code: i.score for g in index766.compute(2026, inputs).groups for i in g.indicators
    }
    assert score_2026["2.1"] == Decimal("20.00")  # at the new 90% threshold: full marks
    score_2025 = {
        i.code: i.score for g in index766.compute(2025, inputs).groups for i in g.indicators
    }
    assert score_2025["2.1"] == Decimal("10.80")  # 90/100 x 12
    later = index766.compute(2031, inputs)
    assert later.definitions_year == 2026


def test_only_operators_change_the_index():
    from egov.core.actors import Actor

    leader = Actor(kind="official", user_id=1, roles=frozenset({"leader"}))
    indicator = IndexIndicator.objects.get(year=2025, code="2.1")
    with pytest.raises(NotAllowed):
        services.save_indicator(actor=leader, indicator=indicator)


def test_score_formula_edges():
    assert index766.score(Decimal("0.4"), Decimal("80"), Decimal("10")) == Decimal("5.00")
    assert index766.score(Decimal("1"), Decimal("80"), Decimal("10")) == Decimal("10.00")
    assert index766.score(None, Decimal("80"), Decimal("10")) is None
    assert index766.score(Decimal("0"), Decimal("0"), Decimal("10")) == Decimal("10.00")


def test_the_total_is_out_of_the_scored_indicators_maximum():
    # The case above: 1.4, 3.5, 3.6, 4.3 and 5.1 are not scored (18 + 4 + 4 + 4 + 6 = 36).
    f = figures(received=10, resolved_early=10, returned=10, handling_millidays=10_000)
    f.add({"legal_millidays": 20_000})
    result = index766.compute(2025, index766.Inputs(figures=f, procedures=4, online_procedures=4))
    assert result.enough_data
    assert result.max_points == Decimal("100")
    assert result.measured_max == Decimal("64")
    groups = {g.code: (g.scored, g.measured_max) for g in result.groups}
    assert groups["1"] == (False, Decimal("0")) and groups["3"] == (True, Decimal("14"))
    assert result.attained == (result.total * 100 / 64).quantize(Decimal("0.01"))
    assert result.as_dict()["measured_max"] == "64.00"


def test_no_dossiers_no_points_not_even_from_the_catalogue():
    result = index766.compute(
        2025, index766.Inputs(figures=figures(), procedures=10, online_procedures=10)
    )
    assert not result.enough_data
    scores = {i.code: i for g in result.groups for i in g.indicators}
    assert scores["3.1"].rate_percent == Decimal("100.00")  # shown, but not scored
    assert all(i.score is None for i in scores.values())
    assert result.measured_max == 0 and result.attained is None
    assert result.as_dict()["total"] is None


def test_2_2_without_resolved_dossiers_has_no_data_and_reads_in_days_when_it_has():
    running = figures(received=3, on_time=3)
    result = index766.compute(2025, index766.Inputs(figures=running))
    handling = {i.code: i for g in result.groups for i in g.indicators}["2.2"]
    assert not handling.has_data and handling.score is None
    assert handling not in [i for g in result.groups for i in g.indicators if i.scored]
    # Resolved within minutes: the sums of days are tiny, never "0,0 / 0,0".
    quick = figures(received=2, resolved_early=2, handling_millidays=4, legal_millidays=7000)
    measure = index766.compute(2025, index766.Inputs(figures=quick))
    handling = {i.code: i for g in measure.groups for i in g.indicators}["2.2"]
    assert handling.measure is not None
    assert handling.measure.figures_text == "dưới 0,1 / 3,5 ngày"
    assert handling.score == Decimal("8.00")
