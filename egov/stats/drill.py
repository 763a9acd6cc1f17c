"""Drill-down: the dossiers behind a figure, within the same selection and scope.

The figure itself comes from the aggregates; the list behind it reads the dossiers a page at a
time, newest first by the moment the figure counts (received, resolved, returned), with a keyset
on (that moment, id) over its index: a page of a past year is found without walking every later
dossier, which ordering by id alone did (seconds at ten million dossiers).
Officials reach dossiers of the agencies below theirs here, as the dashboard scope allows; the
dossier page itself still applies the dossier scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from egov.core.ids import parse_id
from egov.core.keyset import keyset_page
from egov.dossiers.models import Channel, Dossier, Rating, Status
from egov.onestop.models import DossierStep, StepStatus, SupplementRequest

from .aggregates import live_open_filter
from .models import OpenDossier
from .projector import repeated_supplement_is_late
from .queries import Selection


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def window(sel: Selection) -> tuple[datetime, datetime]:
    return _start(sel.start), _start(sel.end + timedelta(days=1))


def _late() -> Q:
    """Late by date (deadlines.timeliness, in SQL), on the `fin` and `due` annotations."""
    late = Q(fin__gt=F("due"))
    if repeated_supplement_is_late():
        late |= Q(supplement_count__gt=1)
    return late


def _resolved(sel: Selection) -> QuerySet[Dossier]:
    lo, hi = window(sel)
    return Dossier.objects.filter(
        status__in=[Status.DONE, Status.RETURNED], finished_at__gte=lo, finished_at__lt=hi
    )


def _promised(kept: bool) -> Callable[[Selection], QuerySet[Dossier]]:
    """Resolved after an approved apology letter; with `kept`, those done by its date."""

    def query(sel: Selection) -> QuerySet[Dossier]:
        qs = _resolved(sel).filter(promised_at__isnull=False)
        if not kept:
            return qs
        return qs.annotate(fin=TruncDate("finished_at"), promised=TruncDate("promised_at")).filter(
            fin__lte=F("promised")
        )

    return query


def _ended(status: int) -> Callable[[Selection], QuerySet[Dossier]]:
    def query(sel: Selection) -> QuerySet[Dossier]:
        lo, hi = window(sel)
        return Dossier.objects.filter(status=status, finished_at__gte=lo, finished_at__lt=hi)

    return query


def _received(sel: Selection) -> QuerySet[Dossier]:
    lo, hi = window(sel)
    return Dossier.objects.filter(received_at__gte=lo, received_at__lt=hi)


def _open(name: str) -> Callable[[Selection], QuerySet[Dossier]]:
    """In-progress dossiers: now (from the tracker) when the period reaches today, else those
    open at the end of the period, judged with its last day as their end against their current
    appointment date (due that day: still on time)."""

    def query(sel: Selection) -> QuerySet[Dossier]:
        now = timezone.now()
        if sel.end >= timezone.localdate(now):
            ids = OpenDossier.objects.filter(live_open_filter(now)[name]).values("dossier_id")
            return Dossier.objects.filter(pk__in=ids)
        end = _start(sel.end + timedelta(days=1))
        running = Dossier.objects.filter(received_at__lt=end).exclude(finished_at__lt=end)
        paused = Exists(
            SupplementRequest.objects.filter(dossier=OuterRef("pk"), requested_at__lt=end).filter(
                Q(answered_at__isnull=True) | Q(answered_at__gte=end)
            )
        )
        running = running.annotate(is_paused=paused)
        if name == "paused":
            return running.filter(is_paused=True)
        running = running.filter(is_paused=False)
        overdue = Q(appointment_at__lt=_start(sel.end))
        if repeated_supplement_is_late():
            overdue |= Q(supplement_count__gt=1)
        return running.filter(overdue) if name == "overdue" else running.exclude(overdue)

    return query


def _late_steps(sel: Selection, unit_id: int | None, agency_id: int | None) -> QuerySet[Dossier]:
    lo, hi = window(sel)
    steps = DossierStep.objects.filter(
        status=StepStatus.DONE, finished_at__gte=lo, finished_at__lt=hi, finished_at__gt=F("due_at")
    ).exclude(role="receiver")
    if unit_id is not None:
        steps = steps.filter(unit_id=unit_id) if unit_id else steps.filter(unit__isnull=True)
    if agency_id is not None:
        steps = steps.filter(agency_id=agency_id)
    return Dossier.objects.filter(pk__in=steps.values("dossier_id"))


def _stuck(unit_id: int | None, agency_id: int | None) -> QuerySet[Dossier]:
    rows = OpenDossier.objects.filter(
        received_at__isnull=False,
        ended=False,
        paused_since__isnull=True,
        step_due_at__lt=timezone.now(),
    )
    if unit_id is not None:
        rows = rows.filter(step_unit_id=unit_id)
    if agency_id is not None:
        rows = rows.filter(step_agency_id=agency_id)
    return Dossier.objects.filter(pk__in=rows.values("dossier_id"))


def _rated(levels: list[int]) -> Callable[[Selection], QuerySet[Dossier]]:
    def query(sel: Selection) -> QuerySet[Dossier]:
        lo, hi = window(sel)
        ratings = Rating.objects.filter(level__in=levels, created_at__gte=lo, created_at__lt=hi)
        return Dossier.objects.filter(pk__in=ratings.values("dossier_id"))

    return query


def _supplements(sel: Selection) -> QuerySet[Dossier]:
    lo, hi = window(sel)
    asked = SupplementRequest.objects.filter(requested_at__gte=lo, requested_at__lt=hi)
    return Dossier.objects.filter(pk__in=asked.values("dossier_id"))


@dataclass(frozen=True)
class Metric:
    label: str
    query: Callable[[Selection], QuerySet[Dossier]]
    # The moment the list is ordered by (never NULL in it); "" = newest id first, for the sets
    # that are small (read from the tracker) or not tied to one dossier moment.
    order: str = ""


RECEIVED, FINISHED = "received_at", "finished_at"


def _resolved_kind(kind: str) -> Callable[[Selection], QuerySet[Dossier]]:
    def query(sel: Selection) -> QuerySet[Dossier]:
        # The local dates the verdict compares: the end of processing, the legal appointment.
        qs = _resolved(sel).annotate(fin=TruncDate("finished_at"), due=TruncDate("appointment_at"))
        if kind == "late":
            return qs.filter(_late())
        qs = qs.exclude(_late())
        return qs.filter(fin__lt=F("due")) if kind == "early" else qs.filter(fin__gte=F("due"))

    return query


METRICS: dict[str, Metric] = {
    "received": Metric("Hồ sơ tiếp nhận", _received, RECEIVED),
    "received_online": Metric(
        "Hồ sơ tiếp nhận trực tuyến",
        lambda s: _received(s).filter(channel=Channel.ONLINE),
        RECEIVED,
    ),
    "resolved": Metric("Hồ sơ đã giải quyết", _resolved, FINISHED),
    "resolved_early": Metric("Giải quyết trước hạn", _resolved_kind("early"), FINISHED),
    "resolved_on_time": Metric("Giải quyết đúng hạn", _resolved_kind("on_time"), FINISHED),
    "resolved_late": Metric("Giải quyết trễ hạn", _resolved_kind("late"), FINISHED),
    "resolved_promised": Metric(
        "Giải quyết có phiếu xin lỗi, hẹn lại", _promised(kept=False), FINISHED
    ),
    "resolved_promise_kept": Metric("Giữ đúng ngày hẹn lại", _promised(kept=True), FINISHED),
    "returned": Metric(
        "Đã trả kết quả",
        lambda s: Dossier.objects.filter(
            status=Status.RETURNED, returned_at__gte=window(s)[0], returned_at__lt=window(s)[1]
        ),
        "returned_at",
    ),
    "refused": Metric("Từ chối tiếp nhận", _ended(Status.REFUSED), FINISHED),
    "withdrawn": Metric("Rút hồ sơ", _ended(Status.WITHDRAWAL_REQUESTED), FINISHED),
    "stopped": Metric("Dừng xử lý", _ended(Status.STOPPED), FINISHED),
    # In progress: received (now or by the end of the period), so received_at is set.
    "on_time": Metric("Đang xử lý trong hạn", _open("on_time"), RECEIVED),
    "overdue": Metric("Đang xử lý quá hạn", _open("overdue"), RECEIVED),
    "paused": Metric("Chờ công dân bổ sung", _open("paused"), RECEIVED),
    "waiting": Metric("Chờ tiếp nhận (nộp trực tuyến)", _open("waiting")),
    "to_return": Metric("Đã xử lý xong, chờ trả kết quả", _open("to_return")),
    "supplements": Metric("Có yêu cầu bổ sung trong kỳ", _supplements),
    "dissatisfied": Metric("Không hài lòng, rất không hài lòng", _rated([1, 2])),
    "satisfied": Metric("Hài lòng, rất hài lòng", _rated([4, 5])),
}
STEP_METRICS = {
    "late_steps": "Hồ sơ có bước xử lý trễ hạn",
    "stuck": "Hồ sơ đang quá hạn ở bước hiện tại",
}


def _int(value: Any) -> int | None:
    return parse_id(value)  # a 20-digit id would overflow the driver


@dataclass(frozen=True)
class Behind:
    """The dossiers behind one figure, in list order, and how to page them."""

    title: str
    dossiers: QuerySet[Dossier]
    order: str  # the moment field the list is ordered by, "" for newest id first

    def page(self, cursor: str, size: int) -> tuple[list[Dossier], str | None]:
        """One page after the cursor (from the previous page), and the next page's cursor."""
        return keyset_page(self.dossiers, self.order, cursor, size, descending=True)


def dossiers_behind(sel: Selection, metric: str, params: Any) -> Behind:
    """The dossiers behind one figure; KeyError for an unknown metric."""
    order = ""
    if metric in STEP_METRICS:
        unit_id, agency_id = _int(params.get("unit")), _int(params.get("step_agency"))
        if metric == "late_steps":
            # A step finished in the period belongs to a dossier received before its end: the
            # bound lets the list walk the reception index back from there.
            qs = _late_steps(sel, unit_id, agency_id).filter(received_at__lt=window(sel)[1])
            order = RECEIVED
        else:
            qs = _stuck(unit_id, agency_id)
        title = STEP_METRICS[metric]
    else:
        chosen = METRICS[metric]
        qs, title, order = chosen.query(sel), chosen.label, chosen.order
    if sel.agency_ids is not None:
        qs = qs.filter(agency_id__in=sorted(sel.agency_ids))
    if sel.sector_id:
        qs = qs.filter(procedure__sector_id=sel.sector_id)
    if sel.procedure_id:
        qs = qs.filter(procedure_id=sel.procedure_id)
    if sel.channel:
        qs = qs.filter(channel=sel.channel)
    ordering = (f"-{order}", "-id") if order else ("-id",)
    return Behind(title, qs.select_related("procedure", "agency").order_by(*ordering), order)
