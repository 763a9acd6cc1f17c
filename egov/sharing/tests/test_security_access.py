"""Attacks on the access rules: no grant, a revoked, expired or not-yet-valid grant, a grant for
another service, a missing scope, a browser session instead of a client, another agency's
payment data, a wrong id number for a result; every refusal is in the message log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from egov.core.actors import SYSTEM
from egov.core.errors import DomainError, NotAllowed
from egov.sharing import services
from egov.sharing.models import MessageLogEntry

from .conftest import ID_NUMBER, make_caller

pytestmark = pytest.mark.django_db
BASE = "/api/v1/sharing/"


def refused_code(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 403, response.content
    return response.json()["code"]


def test_client_without_any_grant_is_refused(callers, dossier):
    response = callers.none.get(f"{BASE}dossier-status/{dossier.code}/")
    assert refused_code(response) == "sharing_no_grant"
    assert dossier.code not in response.content.decode()


def test_grant_for_another_service_does_not_open_this_one(other_agency, dossier):
    caller = make_caller("Chỉ danh mục", other_agency, ("procedures",))
    assert caller.get(f"{BASE}procedures/").status_code == 200
    assert refused_code(caller.get(f"{BASE}dossier-status/{dossier.code}/")) == "sharing_no_grant"
    assert refused_code(caller.get(f"{BASE}payment-status/{dossier.code}/")) == "sharing_no_grant"
    lookup = caller.post(
        f"{BASE}results/lookup/", {"dossier_code": dossier.code, "applicant_id_number": ID_NUMBER}
    )
    assert refused_code(lookup) == "sharing_no_grant"


def test_revoked_grant_is_refused(callers, dossier):
    caller = callers.other
    assert caller.get(f"{BASE}dossier-status/{dossier.code}/").status_code == 200
    grant = caller.client.sharing_grants.get(service="dossier-status")
    services.revoke_grant(actor=SYSTEM, grant=grant)
    assert refused_code(caller.get(f"{BASE}dossier-status/{dossier.code}/")) == "sharing_no_grant"


def test_expired_and_not_yet_valid_grants_are_refused(other_agency, dossier):
    caller = make_caller("Hết hạn", other_agency, ())
    now = timezone.now()
    services.grant_service(
        actor=SYSTEM,
        client=caller.client,
        service="dossier-status",
        valid_from=now - timedelta(days=10),
        valid_until=now - timedelta(seconds=1),
    )
    assert refused_code(caller.get(f"{BASE}dossier-status/{dossier.code}/")) == "sharing_no_grant"
    services.grant_service(
        actor=SYSTEM,
        client=caller.client,
        service="dossier-status",
        valid_from=now + timedelta(days=1),
    )
    assert refused_code(caller.get(f"{BASE}dossier-status/{dossier.code}/")) == "sharing_no_grant"


def test_grant_without_the_scope_is_refused(other_agency, dossier):
    caller = make_caller(
        "Thiếu phạm vi", other_agency, ("dossier-status",), scopes=["catalog:read"]
    )
    assert refused_code(caller.get(f"{BASE}dossier-status/{dossier.code}/")) == "permission_denied"


def test_locked_client_and_bad_token_are_refused(callers, dossier):
    client = callers.other.client
    client.is_active = False
    client.save(update_fields=["is_active"])
    assert callers.other.get(f"{BASE}dossier-status/{dossier.code}/").status_code == 401
    forged = callers.other.http.get(
        f"{BASE}dossier-status/{dossier.code}/",
        headers={"Authorization": f"Bearer egov_{client.key_prefix}_forged"},
    )
    assert forged.status_code == 401


def test_browser_session_of_an_operator_is_not_a_client(client, dossier, django_user_model):
    operator = django_user_model.objects.create_superuser("quantri", password="Mat-khau-2026!")
    client.force_login(operator)
    response = client.get(f"{BASE}dossier-status/{dossier.code}/")
    assert response.status_code in (401, 403)
    assert dossier.code not in response.content.decode()


def test_another_agency_cannot_read_payment_status(callers, dossier):
    response = callers.other.get(f"{BASE}payment-status/{dossier.code}/")
    assert response.status_code == 404
    assert str(dossier.fee_total) not in response.content.decode() or dossier.fee_total == 0
    assert callers.own.get(f"{BASE}payment-status/{dossier.code}/").status_code == 200


def test_results_need_the_applicants_id_number(callers, signed_result, dossier):
    for wrong in ("022195009999", "", "KHONG"):
        response = callers.other.post(
            f"{BASE}results/lookup/", {"dossier_code": dossier.code, "applicant_id_number": wrong}
        )
        assert response.status_code in (400, 404)
        assert signed_result.file.sha256 not in response.content.decode()
    download = callers.other.post(
        f"{BASE}results/download/",
        {
            "dossier_code": dossier.code,
            "applicant_id_number": "022195009999",
            "result_id": signed_result.pk,
        },
    )
    assert download.status_code == 404


def test_result_of_another_dossier_cannot_be_fetched_through_a_known_one(
    callers, signed_result, dossier, staff, procedure
):
    from egov.onestop import services as onestop
    from egov.onestop.tests.conftest import act

    mine = onestop.receive_in_person(
        actor=act(staff.receiver),
        procedure_code=procedure.code,
        applicant=onestop.Applicant("citizen", "Trần Văn Bình", "022195005678", "0912000000"),
        uploads={
            "to-khai": [
                __import__("egov.dossiers.tests.conftest").dossiers.tests.conftest.pdf_upload()
            ]
        },
    )
    response = callers.other.post(
        f"{BASE}results/download/",
        {
            "dossier_code": mine.code,
            "applicant_id_number": "022195005678",
            "result_id": signed_result.pk,
        },
    )
    assert response.status_code == 404


def test_only_operators_grant(callers):
    from egov.core.actors import Actor

    official = Actor(kind="official", user_id=1, label="cb")
    with pytest.raises(NotAllowed):
        services.grant_service(actor=official, client=callers.none.client, service="results")
    with pytest.raises(DomainError):
        services.grant_service(actor=SYSTEM, client=callers.none.client, service="khong-co")


def test_refusals_are_logged(callers, dossier):
    before = MessageLogEntry.objects.count()
    callers.none.get(f"{BASE}dossier-status/{dossier.code}/")
    callers.other.get(f"{BASE}payment-status/{dossier.code}/")
    entries = list(MessageLogEntry.objects.order_by("seq"))[before:]
    assert [(e.status_code, e.outcome) for e in entries] == [
        (403, "sharing_no_grant"),
        (404, "not_found"),
    ]
