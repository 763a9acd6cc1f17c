"""The decision rules as the law states them (rules.decide over the seeded rules)."""

from __future__ import annotations

import pytest

from egov.meetings.models import DecisionRule
from egov.meetings.rules import AGAINST, FOR, decide, needed_votes

pytestmark = pytest.mark.django_db


def ubnd() -> DecisionRule:
    return DecisionRule.objects.get(code="ubnd")


def test_more_than_half_of_all_members() -> None:
    assert needed_votes(7, 1, 2, strict=True) == 4
    assert needed_votes(6, 1, 2, strict=True) == 4
    assert needed_votes(9, 2, 3, strict=False) == 6
    # 7 members, 4 for, 2 against, 1 silent: passes; 3 for with 4 present: fails (base is all).
    assert decide(ubnd(), counts={FOR: 4, AGAINST: 2}, members=7, present=7).passed
    out = decide(ubnd(), counts={FOR: 3, AGAINST: 1}, members=7, present=5)
    assert not out.passed and out.needed == 4


def test_a_tie_follows_the_chair() -> None:
    rule = ubnd()
    passed = decide(rule, counts={FOR: 3, AGAINST: 3}, members=6, chair_choice=FOR)
    assert passed.passed and passed.decided_by_chair and passed.tie
    failed = decide(rule, counts={FOR: 3, AGAINST: 3}, members=6, chair_choice=AGAINST)
    assert not failed.passed and failed.decided_by_chair
    # A secret ballot does not tell the chair's side: the tie fails, and says why.
    secret = decide(rule, counts={FOR: 3, AGAINST: 3}, members=6, chair_choice=None)
    assert not secret.passed and "chủ tọa" in secret.reason


def test_quorum_for_a_meeting_not_for_a_consultation() -> None:
    rule = ubnd()
    out = decide(rule, counts={FOR: 5}, members=9, present=5)
    assert not out.passed and not out.quorum_met and out.quorum == 6
    assert decide(rule, counts={FOR: 5}, members=9, present=5, in_meeting=False).passed


def test_choice_list_and_non_answers() -> None:
    rule = ubnd()
    out = decide(rule, counts={"a": 4, "b": 3}, members=7, options=("a", "b"))
    assert out.passed and out.winner == "a"
    tie = decide(rule, counts={"a": 3, "b": 3}, members=7, options=("a", "b"), chair_choice="b")
    assert tie.winner == "b" and tie.decided_by_chair
    # A rule that counts silence as agreement (data, not code).
    rule.non_answer = DecisionRule.NonAnswer.AGREE
    assert decide(
        rule, counts={FOR: 3, AGAINST: 2}, members=7, non_answers=2, in_meeting=False
    ).passed
