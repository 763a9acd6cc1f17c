"""The officials' work queue, built once for the page (views.queue) and the API (api.QueueView):
which active steps each tab holds, most urgent first, paged by core.keyset on (due_at, id)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.html import format_html
from django.utils.safestring import SafeString

from egov.catalog.models import Procedure, ReceptionDesk
from egov.core.keyset import decode_cursor, encode_cursor, invalid_cursor, keyset_page, parse_cursor
from egov.core.rawload import Columns, aware, fetchall
from egov.dossiers.models import Dossier, Status
from egov.org.models import Official, Role

from .models import DossierStep, StepStatus

ORDER = "due_at"
# Tabs and workspace tiles count at most this many items and show "999+" above: nobody acts on
# the exact size of a four-digit queue, and a full COUNT over thousands of active steps cost
# more than the page of rows itself.
COUNT_CAP = 999


@dataclass(frozen=True)
class Bounded:
    """A count of at most COUNT_CAP items, or "more than that". Renders itself in templates:
    "999+" on screen, "hơn 999 <noun>" to a screen reader."""

    n: int
    over: bool = False
    noun: str = ""

    def __bool__(self) -> bool:
        return self.n > 0

    def __int__(self) -> int:
        return self.n

    @property
    def text(self) -> str:
        return f"{self.n}+" if self.over else str(self.n)

    def __str__(self) -> SafeString:  # templates call str() before escaping: the markup
        if not self.over:
            return format_html("{}", self.n)
        return format_html(
            '<span aria-hidden="true">{}+</span><span class="visually-hidden">{}</span>',
            self.n,
            f"hơn {self.n} {self.noun}".rstrip(),
        )

    def __html__(self) -> SafeString:
        return str(self)  # type: ignore[return-value]


def bounded_count(qs: QuerySet[Any], noun: str = "") -> Bounded:
    """How many rows, counting no further than COUNT_CAP + 1: SELECT count(*) FROM (… LIMIT)."""
    cap = COUNT_CAP
    n = qs.order_by()[: cap + 1].count()
    return Bounded(cap, over=True, noun=noun) if n > cap else Bounded(n, noun=noun)


def queue_steps(tab: str, official: Official) -> QuerySet[DossierStep]:
    """Active steps with a due moment of one tab: "mine" (assigned to the official), "return"
    (results waiting at the agency's desk) or "unit" (the unit's, the agency's for a leader)."""
    qs = DossierStep.objects.filter(status=StepStatus.ACTIVE, due_at__isnull=False)
    if tab == "mine":
        return qs.filter(assignee=official)
    if tab == "return":
        return qs.filter(
            agency_id=official.agency_id, role=Role.RECEIVER, dossier__status=Status.DONE
        )
    if tab == "unit":
        qs = qs.filter(agency_id=official.agency_id)
        if not official.has_role(Role.LEADER):
            qs = qs.filter(unit=official.unit) if official.unit_id else qs.filter(unit=None)
        return qs
    raise ValueError(tab)


def desk_filter(agency_id: int, procedure: str = "procedure_id", agency: str = "agency_id") -> Q:
    """What the one-stop desk of an agency receives, as a filter on rows naming a procedure and
    a competent agency: its own agency's (unless the catalogue sends them to the provincial
    centre) and the departments' it is the centre for (catalog.ReceptionDesk)."""
    here = Q(**{agency: agency_id})
    sent_away = ReceptionDesk.objects.filter(agency_id=agency_id)
    if sent_away.exists():
        here &= Q(~Exists(sent_away.filter(procedure_id=OuterRef(procedure))))
    received_for = ReceptionDesk.objects.filter(desk_agency_id=agency_id)
    if received_for.exists():
        here |= Q(
            Exists(
                received_for.filter(procedure_id=OuterRef(procedure), agency_id=OuterRef(agency))
            )
        )
    return here


def online_dossiers(official: Official) -> QuerySet[Dossier]:
    """Online dossiers waiting for the official's desk to receive them."""
    return Dossier.objects.filter(status=Status.NEW).filter(desk_filter(official.agency_id))


def desk_procedures(agency_id: int) -> QuerySet[Procedure]:
    """The published procedures an agency's desk receives (its own, unless received at the
    centre, and those it is the centre for)."""
    own = Procedure.objects.filter(agencies=agency_id).exclude(reception_desks__agency=agency_id)
    centre = Procedure.objects.filter(reception_desks__desk_agency=agency_id)
    return Procedure.objects.filter(
        Q(pk__in=own.values("pk")) | Q(pk__in=centre.values("pk")), is_published=True
    )


def queue_page(
    qs: QuerySet[Any], cursor: str, limit: int, *, strict: bool = False
) -> tuple[list[Any], str | None]:
    """One page of the queue, soonest due first, and the next page's cursor."""
    return keyset_page(qs, ORDER, cursor, limit, strict=strict)


# The work-queue API's page ("mine"), read by one fixed statement (core.rawload): the API is
# called all day by every desk's software, and compiling its ORM queryset cost more CPU than
# PostgreSQL spends on it (issue #19). Same rows, order and cursors as queue_page(queue_steps(
# "mine", official).values(...)) (a test keeps both equal).
MINE_FIELDS = (
    "id",
    "dossier__code",
    "dossier__procedure__name",
    "dossier__applicant_name",
    "dossier__status",
    "dossier__version",
    "order",
    "name",
    "started_at",
    "due_at",
    "dossier__appointment_at",
)


@functools.cache
def _mine_sql(after: bool) -> str:
    s, d, p = Columns(DossierStep, "s"), Columns(Dossier, "d"), Columns(Procedure, "p")
    columns = [
        s.col("id"),
        d.col("code"),
        p.col("name"),
        d.col("applicant_name"),
        d.col("status"),
        d.col("version"),
        s.col("order"),
        s.col("name"),
        s.col("started_at"),
        s.col("due_at"),
        d.col("appointment_at"),
    ]
    due, pk = s.col("due_at"), s.col("id")
    # A row comparison, which PostgreSQL takes as a bound of step_mine_queue_idx (an OR of the
    # two cases would be a filter over the official's earlier steps on every later page).
    keyset = f"AND ({due}, {pk}) > (%s, %s) " if after else ""
    return (
        f"SELECT {', '.join(columns)} FROM {s.table} "  # noqa: S608 - names from _meta
        f"JOIN {d.table} ON {d.col('id')} = {s.col('dossier')} "
        f"JOIN {p.table} ON {p.col('id')} = {d.col('procedure')} "
        # The status is written into the statement, not bound: a plan made once for any value
        # could not use the partial index, whose condition names it.
        f"WHERE {s.col('status')} = '{StepStatus.ACTIVE.value}' AND {due} IS NOT NULL "
        f"AND {s.col('assignee')} = %s "
        f"{keyset}ORDER BY {due}, {pk} LIMIT %s"
    )


def mine_page(
    official_id: int, raw_cursor: str, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the official's own queue as `.values()` rows, and the next cursor; an
    unreadable cursor is the API's 400 `invalid_cursor`."""
    params: list[Any] = [official_id]
    key = None
    if raw_cursor:
        text = decode_cursor(raw_cursor)
        key = parse_cursor(text) if text is not None else None
        if key is None:
            raise invalid_cursor()
        moment = connection.ops.adapt_datetimefield_value(key[0])  # as the ORM would
        params += [moment, key[1]]
    found = fetchall(_mine_sql(key is not None), [*params, limit + 1], binary=True)
    rows = [
        {
            name: aware(value) if name in _MOMENTS else value
            for name, value in zip(MINE_FIELDS, row, strict=True)
        }
        for row in found
    ]
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(f"{rows[-1]['due_at'].isoformat()}_{rows[-1]['id']}")


_MOMENTS = frozenset({"started_at", "due_at", "dossier__appointment_at"})
