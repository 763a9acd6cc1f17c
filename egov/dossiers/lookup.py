"""The public lookup's read path (POST /api/v1/tracking/), the platform's hottest request.

It answers with the body DossierDetailSerializer writes for an applicant (a test keeps the
two equal) but reads it with one fixed SQL statement built once per process from the models'
own table and column names: the dossier with its procedure and agency, joined to its events
(one row per event). Compiling the two ORM querysets and building three model instances cost
more CPU than PostgreSQL spends answering them (issue #19's profile), and the query shape
never changes. What is checked (the second factor) and what is shown (applicant-visible steps
only) stay in services.py, shared with the page.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from django.db import connection
from rest_framework.fields import DateTimeField

from egov.catalog.models import Procedure
from egov.core.rawload import Columns, aware, fetchall
from egov.events.models import Event
from egov.org.models import Agency

from . import services
from .models import Dossier, Status

# The body's dossier fields in the SELECT's order, after the code and the two second factors.
SHOWN = (
    "procedure_code",
    "procedure_name",
    "agency",
    "status",
    "channel",
    "applicant_name",
    "submitted_at",
    "received_at",
    "appointment_at",
    "promised_at",
    "finished_at",
    "returned_at",
    "fee_total",
    "result_delivery",
    "payment_state",
)
MOMENTS = frozenset(name for name in SHOWN if name.endswith("_at"))
STATUS_LABELS = {value: str(label) for value, label in Status.choices}
_MOMENT = DateTimeField()


def moment(value: Any) -> str | None:
    """A moment as the API writes every moment (DRF's DateTimeField: ISO 8601, local time)."""
    return None if value is None else _MOMENT.to_representation(value)


@cache
def _statement(vendor: str) -> str:
    """The one statement, from the models' metadata (a renamed column renames it too): the
    dossier with its procedure and agency, once per event, its events joined in order."""
    d, p, a, e = (
        Columns(Dossier, "d"),
        Columns(Procedure, "p"),
        Columns(Agency, "a"),
        Columns(Event, "e"),
    )
    columns = [
        d.col("code"),
        d.col("applicant_id_number"),
        d.col("applicant_phone"),
        p.col("code"),
        p.col("name"),
        a.col("identifier"),
        *(d.col(name) for name in SHOWN[3:]),  # status … payment_state: the dossier's own
        e.col("occurred_at"),
        e.col("event_type"),
        e.col("payload"),
    ]
    return (
        f"SELECT {', '.join(columns)} FROM {d.table} "  # noqa: S608 - names from _meta
        f"JOIN {p.table} ON {p.col('id')} = {d.col('procedure')} "
        f"JOIN {a.table} ON {a.col('id')} = {d.col('agency')} "
        f"LEFT JOIN {e.table} ON {e.col('subject_type')} = %s AND {e.col('subject_id')} = "
        f"{d.col('code')} WHERE {d.col('code')} = %s ORDER BY {e.col('id')}"
    )


def tracking_body(code: str, second_factor: str) -> dict[str, Any] | None:
    """The applicant's view of one dossier, or None when the code or the second factor is
    wrong (the caller answers both the same way)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 40:
        return None
    found = fetchall(_statement(connection.vendor), ["dossier", code])
    if not found:
        return None
    row = found[0]
    if not services.second_factor_matches(second_factor, row[1], row[2]):
        return None
    width = 3 + len(SHOWN)
    events = [r[width:] for r in found if r[width + 1] is not None]
    body: dict[str, Any] = {"code": row[0]}
    for name, value in zip(SHOWN, row[3:width], strict=True):
        body[name] = moment(aware(value)) if name in MOMENTS else value
        if name == "status":
            body["status_label"] = STATUS_LABELS[value]
    rows = [
        (aware(at), kind, payload if isinstance(payload, dict) else json.loads(payload or "{}"))
        for at, kind, payload in events
    ]
    body["timeline"] = [
        {
            "at": moment(entry.at),
            "event_type": entry.event_type,
            "title": entry.title,
            "actor": entry.actor,
            "status": entry.status,
            "detail": entry.detail,
        }
        for entry in services.timeline_entries(rows, for_applicant=True)
    ]
    return body
