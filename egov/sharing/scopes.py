"""What a granted client sees of each record (one place per resource), and who reads the log.

- dossier-status: any granted client, any dossier of the province, by its code; the answer
  itself is limited (selectors.dossier_status): no applicant identity, no form data, no
  officials' names or notes.
- results: only when the request names the dossier's code AND its applicant's id number (the
  citizen shows it to the asking agency); otherwise "not found", whichever part was wrong.
- payment-status: a client of the dossier's agency, or a province-wide client (no agency);
  another agency's client gets "not found".
- procedures: the published catalogue (egov.catalog.scopes), nothing personal.
- message log: operators all of it; an API client with `sharing:audit` the entries of its own
  agency's clients (a province-wide one all of them).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from egov.accounts.models import ApiClient
from egov.core.actors import Actor
from egov.dossiers.models import Dossier

from .api_scopes import AUDIT


def payment_dossiers(client: ApiClient, qs: QuerySet[Dossier]) -> QuerySet[Dossier]:
    if client.agency_id is None:
        return qs
    return qs.filter(agency_id=client.agency_id)


def result_dossiers(qs: QuerySet[Dossier], *, code: str, id_number: str) -> QuerySet[Dossier]:
    if not code or not id_number:
        return qs.none()
    return qs.filter(code=code, applicant_id_number=id_number)


def can_read_log(actor: Actor) -> bool:
    if actor.is_operator:
        return True
    return actor.kind == "api_client" and AUDIT in actor.scopes


def log_entries(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    if actor.is_operator:
        return qs
    if actor.kind == "api_client" and AUDIT in actor.scopes:
        return qs.filter(agency_id__in=actor.agency_ids) if actor.agency_ids else qs
    return qs.none()
