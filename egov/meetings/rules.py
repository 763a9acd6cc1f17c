"""Deciding a vote or a written consultation from a DecisionRule (the rule is data; this is
the arithmetic, written once for meetings and consultations).

The default rule of a People's Committee (seeded by migration 0002, its source in
`DecisionRule.legal_source`): a proposal passes when **more than half of all members** vote for
it; when the votes for and against are equal, the side the chair voted for wins. A secret ballot
does not tell which side the chair took, so a tie there fails (and the outcome says why).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

FOR = "for"
AGAINST = "against"
ABSTAIN = "abstain"
FOR_AGAINST_OPTIONS = (FOR, AGAINST, ABSTAIN)
OPTION_LABELS = {FOR: "Tán thành", AGAINST: "Không tán thành", ABSTAIN: "Không biểu quyết"}


class Rule(Protocol):
    base: str
    numerator: int
    denominator: int
    strict: bool
    tie_break: str
    quorum_numerator: int
    quorum_denominator: int
    non_answer: str


@dataclass(frozen=True)
class Outcome:
    passed: bool
    # For a choice list: the option chosen (None: no option reached the threshold).
    winner: str | None
    counts: dict[str, int]
    members: int
    present: int
    cast: int
    base: int
    needed: int
    quorum: int
    quorum_met: bool
    tie: bool
    decided_by_chair: bool
    reason: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def needed_votes(base: int, numerator: int, denominator: int, strict: bool) -> int:
    """The fewest votes that satisfy the threshold: "more than half of 7" is 4, of 6 is 4;
    "at least two thirds of 9" is 6."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    whole, rest = divmod(base * numerator, denominator)
    if strict:
        return whole + 1
    return whole + (1 if rest else 0)


def quorum_of(rule: Rule, members: int) -> int:
    if rule.quorum_numerator <= 0:
        return 0
    return needed_votes(members, rule.quorum_numerator, rule.quorum_denominator, strict=False)


def decide(
    rule: Rule,
    *,
    counts: Mapping[str, int],
    members: int,
    present: int | None = None,
    chair_choice: str | None = None,
    options: Sequence[str] = FOR_AGAINST_OPTIONS,
    non_answers: int = 0,
    in_meeting: bool = True,
) -> Outcome:
    """The outcome of one vote.

    `counts`: ballots per option (for/against/abstain, or the keys of a choice list);
    `members`: all voting members; `present`: those present (meetings; defaults to members);
    `chair_choice`: the chair's option when known (open votes, consultations), else None;
    `non_answers`: consultation members who did not answer (counted as the rule says);
    `in_meeting`: False for a written consultation (no quorum applies).
    """
    counts = {key: int(counts.get(key, 0)) for key in options}
    if non_answers and rule.non_answer == "agree" and FOR in counts:
        counts[FOR] += non_answers
    present = members if present is None else present
    cast = sum(counts.values())
    base = {"all_members": members, "present": present, "votes_cast": cast}[rule.base]
    needed = needed_votes(base, rule.numerator, rule.denominator, rule.strict)
    quorum = quorum_of(rule, members) if in_meeting else 0
    quorum_met = present >= quorum
    common: dict[str, Any] = {
        "counts": counts,
        "members": members,
        "present": present,
        "cast": cast,
        "base": base,
        "needed": needed,
        "quorum": quorum,
        "quorum_met": quorum_met,
    }
    if not quorum_met:
        return Outcome(
            passed=False,
            winner=None,
            tie=False,
            decided_by_chair=False,
            reason=f"Không đủ số thành viên có mặt ({present}/{members}, cần {quorum}).",
            **common,
        )
    if tuple(options) == FOR_AGAINST_OPTIONS:
        return _for_against(rule, counts, needed, chair_choice, common)
    return _choice_list(rule, counts, needed, chair_choice, common)


def _for_against(
    rule: Rule,
    counts: dict[str, int],
    needed: int,
    chair_choice: str | None,
    common: dict[str, Any],
) -> Outcome:
    votes_for, votes_against = counts[FOR], counts[AGAINST]
    tie = votes_for == votes_against and votes_for > 0
    if tie and rule.tie_break == "chair":
        if chair_choice in (FOR, AGAINST):
            passed = chair_choice == FOR
            side = "tán thành" if passed else "không tán thành"
            return Outcome(
                passed=passed,
                winner=None,
                tie=True,
                decided_by_chair=True,
                reason=(
                    f"Số tán thành và không tán thành ngang nhau ({votes_for}/{votes_against}): "
                    f"quyết định theo ý kiến chủ tọa đã biểu quyết ({side})."
                ),
                **common,
            )
        return Outcome(
            passed=False,
            winner=None,
            tie=True,
            decided_by_chair=False,
            reason=(
                f"Số tán thành và không tán thành ngang nhau ({votes_for}/{votes_against}) và "
                "không xác định được ý kiến của chủ tọa (bỏ phiếu kín hoặc chủ tọa không "
                "biểu quyết): không thông qua."
            ),
            **common,
        )
    passed = votes_for >= needed
    base_label = {
        "all_members": "tổng số thành viên",
        "present": "số thành viên có mặt",
        "votes_cast": "số phiếu",
    }[rule.base]
    reason = (
        f"{votes_for} tán thành trên {common['base']} ({base_label}); cần ít nhất {needed}: "
        + ("thông qua." if passed else "không thông qua.")
    )
    return Outcome(
        passed=passed, winner=None, tie=tie, decided_by_chair=False, reason=reason, **common
    )


def _choice_list(
    rule: Rule,
    counts: dict[str, int],
    needed: int,
    chair_choice: str | None,
    common: dict[str, Any],
) -> Outcome:
    if not counts:
        return Outcome(
            passed=False,
            winner=None,
            tie=False,
            decided_by_chair=False,
            reason="Không có phương án.",
            **common,
        )
    top = max(counts.values())
    leaders = [key for key, n in counts.items() if n == top]
    tie = len(leaders) > 1 and top > 0
    decided_by_chair = False
    winner: str | None = leaders[0] if len(leaders) == 1 else None
    if tie and rule.tie_break == "chair" and chair_choice in leaders:
        winner, decided_by_chair = chair_choice, True
    if winner is not None and counts[winner] < needed and not decided_by_chair:
        winner = None
    if winner is None:
        reason = (
            f"Không phương án nào đạt {needed} phiếu."
            if not tie
            else f"Các phương án ngang nhau ({top} phiếu): không chọn được."
        )
    elif decided_by_chair:
        reason = f"Các phương án ngang nhau ({top} phiếu): theo ý kiến chủ tọa."
    else:
        reason = f"Phương án được chọn với {counts[winner]} phiếu (cần {needed})."
    return Outcome(
        passed=winner is not None,
        winner=winner,
        tie=tie,
        decided_by_chair=decided_by_chair,
        reason=reason,
        **common,
    )
