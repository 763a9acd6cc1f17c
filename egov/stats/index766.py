"""The 766 service index (Decision 766/QĐ-TTg): each indicator's rate, its score against its
threshold and maximum, group totals and the 100-point total, per agency and period.

Groups, indicators, thresholds and points are data (IndexGroup / IndexIndicator, per year, edited
by operators). The code of an indicator picks how its rate is measured (CALCULATORS); an
indicator the platform cannot measure yet (no national-portal sync, no citizen-feedback
system) is shown as "chưa có dữ liệu" and scores nothing, never an invented
value.

Score = min(rate / threshold, 1) x max points (rate x max / threshold below the threshold).

The total is out of the maximum of the indicators actually scored (`measured_max`), never out of
the 100 points of the full set: an indicator without data gives neither points nor a maximum
(the domain reference, §5, gives no rule for re-scaling to 100, so none is invented). An
agency with no dossier in the period is "chưa đủ dữ liệu": no indicator is scored, not even
those read from the catalogue (3.1), so it never ranks above agencies that worked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from egov.events.services import get_deliverer

from .models import IndexGroup, IndexIndicator
from .queries import Figures

NO_DATA = "Chưa có dữ liệu"
NOT_ENOUGH_DATA = "Chưa đủ dữ liệu"
TWO_PLACES = Decimal("0.01")


def _number(value: float) -> str:
    """A count as a count, a fraction with up to two decimals, a decimal comma."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def days_text(value: float) -> str:
    """Working days with one decimal; "dưới 0,1" rather than "0,0" for a few minutes."""
    if 0 < value < 0.05:
        return "dưới 0,1"
    return f"{value:.1f}".replace(".", ",")


@dataclass(frozen=True)
class Inputs:
    """What the calculators read: the dossier figures, the catalogue of the agencies and their
    payments (egov.payments.figures)."""

    figures: Figures
    procedures: int = 0
    online_procedures: int = 0
    # 3.5: published procedures with a fee or charge, and those of them an applicant can pay
    # online (offered online, at an agency that collects through an online provider).
    fee_procedures: int = 0
    fee_procedures_online: int = 0
    # 3.6: dossiers whose fees were asked in the period, and those paid through an online
    # provider.
    fee_dossiers: int = 0
    fee_dossiers_online: int = 0


@dataclass(frozen=True)
class Measure:
    numerator: float
    denominator: float
    note: str = ""
    shown: str = ""  # how the figures read when "numerator / denominator" would mislead

    @property
    def figures_text(self) -> str:
        if self.shown:
            return self.shown
        return f"{_number(self.numerator)} / {_number(self.denominator)}"

    @property
    def rate(self) -> Decimal | None:
        if not self.denominator:
            return None
        return Decimal(self.numerator) / Decimal(self.denominator)


Calculator = Callable[[Inputs], Measure | None]


def _sync(i: Inputs) -> Measure | None:
    # Only measurable once dossiers are actually synchronised to the national portal: a
    # deliverer for it (egov.national) and the portal's address configured.
    if get_deliverer("national_portal") is None or not settings.NATIONAL_PORTAL_URL:
        return None
    return Measure(i.figures.synced, i.figures.received)


def _on_time(i: Inputs) -> Measure | None:
    f = i.figures
    # The reference (§4) gives withdrawn, stopped and paused dossiers an end of processing too:
    # they are judged (Figures.handled), not left out.
    return Measure(
        f.handled_in_time,
        f.handled,
        f"{f.resolved_in_time} giải quyết đúng/trước hạn, {f.on_time} đang xử lý trong hạn, "
        f"{f.cancelled_in_time} rút/dừng trong hạn, "
        f"{f.paused - f.paused_late} chờ bổ sung trong hạn",
    )


def _handling_time(i: Inputs) -> Measure | None:
    f = i.figures
    if not f.resolved:
        return Measure(0, 0)  # nothing resolved: "Chưa có dữ liệu", not "0,0 / 0,0"
    # Days of each agency's own calendar (its day_length when processing was done), never a
    # constant: see models.DossierCounters.handling_millidays.
    days = f.avg_handling_days or 0
    legal_days = f.avg_legal_days or 0
    note = (
        f"Trung bình {days_text(days)} ngày làm việc / thời hạn {days_text(legal_days)} ngày, "
        f"trên {f.resolved} hồ sơ đã giải quyết"
    )
    # The figures as a person reads them: the average time taken against the legal time (the
    # sums behind the rate are days of all dossiers together, and read "0,0 / 0,0" when the
    # dossiers were resolved within the hour).
    shown = f"{days_text(days)} / {days_text(legal_days)} ngày"
    # rate = legal time / time taken, at most 100%: full marks when dossiers took no longer
    # than their legal time on average.
    if f.handling_millidays <= 0:
        return Measure(1, 1, note, shown)
    taken = f.handling_millidays
    return Measure(min(f.legal_millidays, taken) / 1000, taken / 1000, note, shown)


def _online_procedures(i: Inputs) -> Measure | None:
    return Measure(i.online_procedures, i.procedures)


def _online_submissions(i: Inputs) -> Measure | None:
    # Submitted online (channel 2) *with an electronic result*: only known once the result is
    # handed back, so measured on the dossiers returned in the period.
    return Measure(i.figures.returned_online_electronic, i.figures.returned)


def _electronic_results(i: Inputs) -> Measure | None:
    return Measure(i.figures.returned_electronic, i.figures.returned)


def _digitised(i: Inputs) -> Measure | None:
    # Components *and* result digitised: measured, like 3.3, on the dossiers returned.
    return Measure(i.figures.returned_digitised, i.figures.returned)


def _fees_payable_online(i: Inputs) -> Measure | None:
    return Measure(
        i.fee_procedures_online,
        i.fee_procedures,
        "Thủ tục có phí, lệ phí, cung cấp trực tuyến tại cơ quan đã nhận thanh toán trực tuyến / "
        "thủ tục có phí, lệ phí",
    )


def _online_payment(i: Inputs) -> Measure | None:
    return Measure(
        i.fee_dossiers_online,
        i.fee_dossiers,
        "Hồ sơ đã thanh toán trực tuyến / hồ sơ có phí, lệ phí phải nộp phát sinh trong kỳ",
    )


def _satisfaction(i: Inputs) -> Measure | None:
    f = i.figures
    late = f.handled - f.handled_in_time
    good = max(f.handled - late - f.dissatisfied, 0)
    return Measure(good, f.handled, f"{late} trễ/quá hạn, {f.dissatisfied} không hài lòng")


CALCULATORS: dict[str, Calculator] = {
    "1.4": _sync,
    "2.1": _on_time,
    "2.2": _handling_time,
    "3.1": _online_procedures,
    "3.3": _online_submissions,
    "3.5": _fees_payable_online,
    "3.6": _online_payment,
    "4.1": _electronic_results,
    "4.2": _digitised,
    "5.4": _satisfaction,
}


@dataclass
class IndicatorScore:
    code: str
    name: str
    description: str
    max_points: Decimal
    threshold: Decimal  # percent
    measure: Measure | None
    counted: bool = True  # False when the agency had no dossier in the period

    @property
    def rate(self) -> Decimal | None:
        return self.measure.rate if self.measure else None

    @property
    def rate_percent(self) -> Decimal | None:
        rate = self.rate
        return None if rate is None else (rate * 100).quantize(TWO_PLACES, ROUND_HALF_UP)

    @property
    def has_data(self) -> bool:
        return self.rate is not None

    @property
    def measurable(self) -> bool:
        """False when the platform has nothing to measure it with (not: no dossiers)."""
        return self.measure is not None

    @property
    def score(self) -> Decimal | None:
        if not self.counted:
            return None
        return score(self.rate, self.threshold, self.max_points)

    @property
    def scored(self) -> bool:
        return self.counted and self.has_data


def score(rate: Decimal | None, threshold_percent: Decimal, max_points: Decimal) -> Decimal | None:
    """min(rate / threshold, 1) x max, rounded to 0.01 (None when there is no rate)."""
    if rate is None:
        return None
    threshold = Decimal(threshold_percent) / 100
    fraction = Decimal(1) if threshold <= 0 else min(rate / threshold, Decimal(1))
    return (max(fraction, Decimal(0)) * Decimal(max_points)).quantize(TWO_PLACES, ROUND_HALF_UP)


@dataclass
class GroupScore:
    code: str
    name: str
    max_points: Decimal
    indicators: list[IndicatorScore] = field(default_factory=list)

    @property
    def score(self) -> Decimal:
        total = sum((i.score or Decimal(0) for i in self.indicators), Decimal(0))
        return min(total, self.max_points)

    @property
    def scored(self) -> bool:
        return any(i.scored for i in self.indicators)

    @property
    def measured_max(self) -> Decimal:
        """The most the scored indicators could give (the group's own maximum at most)."""
        found = sum((i.max_points for i in self.indicators if i.scored), Decimal(0))
        return min(found, self.max_points)


@dataclass
class IndexResult:
    year: int
    definitions_year: int | None
    groups: list[GroupScore]
    enough_data: bool = True  # False: no dossier in the period, nothing scored

    @property
    def total(self) -> Decimal:
        return sum((g.score for g in self.groups), Decimal(0))

    @property
    def max_points(self) -> Decimal:
        """The full set's maximum (100 points in Decision 766)."""
        return sum((g.max_points for g in self.groups), Decimal(0))

    @property
    def measured_max(self) -> Decimal:
        """The maximum of the indicators actually scored: what the total is out of."""
        return sum((g.measured_max for g in self.groups), Decimal(0))

    @property
    def attained(self) -> Decimal | None:
        """The total as a percentage of `measured_max` (None when nothing was scored): how
        agencies scored on different indicators compare."""
        if not self.enough_data or not self.measured_max:
            return None
        return (self.total * 100 / self.measured_max).quantize(TWO_PLACES, ROUND_HALF_UP)

    @property
    def without_data(self) -> list[IndicatorScore]:
        return [i for g in self.groups for i in g.indicators if not i.scored]

    def as_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "definitions_year": self.definitions_year,
            "enough_data": self.enough_data,
            "total": str(self.total) if self.enough_data else None,
            "max_points": str(self.max_points),
            "measured_max": str(self.measured_max),
            "attained_percent": None if self.attained is None else str(self.attained),
            "groups": [
                {
                    "code": g.code,
                    "name": g.name,
                    "max_points": str(g.max_points),
                    "measured_max": str(g.measured_max),
                    "score": str(g.score) if g.scored else None,
                    "indicators": [
                        {
                            "code": i.code,
                            "name": i.name,
                            "max_points": str(i.max_points),
                            "threshold": str(i.threshold),
                            "rate": None if i.rate_percent is None else str(i.rate_percent),
                            "numerator": i.measure.numerator if i.measure else None,
                            "denominator": i.measure.denominator if i.measure else None,
                            "score": None if i.score is None else str(i.score),
                            "note": (i.measure.note if i.measure else "") or "",
                            "has_data": i.has_data,
                            "scored": i.scored,
                        }
                        for i in g.indicators
                    ],
                }
                for g in self.groups
            ],
        }


@dataclass
class Definitions:
    year: int | None
    groups: list[IndexGroup]
    indicators: dict[int, list[IndexIndicator]]


def definitions(year: int) -> Definitions:
    """The groups and indicators in force for `year`: that year's rows, else the latest earlier
    year that has any (two queries)."""
    found = (
        IndexGroup.objects.filter(year__lte=year)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    if found is None:
        return Definitions(None, [], {})
    groups = list(IndexGroup.objects.filter(year=found).order_by("order", "code"))
    indicators: dict[int, list[IndexIndicator]] = {g.pk: [] for g in groups}
    for indicator in IndexIndicator.objects.filter(year=found, is_active=True).order_by(
        "order", "code"
    ):
        indicators.setdefault(indicator.group_id, []).append(indicator)
    return Definitions(found, groups, indicators)


def has_dossiers(f: Figures) -> bool:
    """Did the agency work in the period: a dossier received, judged (2.1) or handed back."""
    return bool(f.received or f.handled or f.returned)


def compute(year: int, inputs: Inputs, defs: Definitions | None = None) -> IndexResult:
    defs = defs or definitions(year)
    enough = has_dossiers(inputs.figures)
    groups = []
    for group in defs.groups:
        scored = GroupScore(group.code, group.name, group.max_points)
        for indicator in defs.indicators.get(group.pk, []):
            calculator = CALCULATORS.get(indicator.code)
            scored.indicators.append(
                IndicatorScore(
                    code=indicator.code,
                    name=indicator.name,
                    description=indicator.description,
                    max_points=indicator.max_points,
                    threshold=indicator.threshold,
                    measure=calculator(inputs) if calculator else None,
                    counted=enough,
                )
            )
        groups.append(scored)
    return IndexResult(year=year, definitions_year=defs.year, groups=groups, enough_data=enough)
