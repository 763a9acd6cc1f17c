"""Each sharing service answers what its catalogue entry promises, and each exchange is logged."""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import call_command

from egov.sharing import registry
from egov.sharing.log import verify_message_log
from egov.sharing.models import MessageLogEntry

from .conftest import ID_NUMBER

pytestmark = pytest.mark.django_db
BASE = "/api/v1/sharing/"


def last_entry() -> MessageLogEntry:
    return MessageLogEntry.objects.order_by("-seq").first()  # type: ignore[return-value]


def test_dossier_status_gives_progress_without_personal_data(callers, dossier):
    response = callers.other.get(f"{BASE}dossier-status/{dossier.code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == dossier.code and body["status"] == dossier.status
    assert body["agency_name"] == dossier.agency.name
    assert body["appointment_at"] is not None
    assert [s["order"] for s in body["steps"]] == sorted(s["order"] for s in body["steps"])
    assert body["steps"][0]["name"] == "Tiếp nhận hồ sơ"
    text = response.content.decode()
    for personal in ("Lê Thị Hoa", ID_NUMBER, "0912345678"):
        assert personal not in text
    assert set(body) == {
        "code",
        "procedure_code",
        "procedure_name",
        "agency_identifier",
        "agency_name",
        "status",
        "status_label",
        "submitted_at",
        "received_at",
        "appointment_at",
        "finished_at",
        "returned_at",
        "steps",
    }
    assert set(body["steps"][0]) == {
        "order",
        "name",
        "agency_name",
        "status",
        "started_at",
        "due_at",
        "finished_at",
    }


def test_unknown_dossier_is_not_found_and_logged(callers, db):
    response = callers.own.get(f"{BASE}dossier-status/KHONG-CO/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    entry = last_entry()
    assert (entry.status_code, entry.service, entry.client_id) == (
        404,
        "dossier-status",
        callers.own.client.pk,
    )


def test_procedure_catalogue(callers, procedure):
    listing = callers.other.get(f"{BASE}procedures/")
    assert listing.status_code == 200
    codes = [p["code"] for p in listing.json()["results"]]
    assert procedure.code in codes
    detail = callers.other.get(f"{BASE}procedures/{procedure.code}/")
    assert detail.status_code == 200 and detail.json()["name"] == procedure.name


def test_results_lookup_and_download_with_hash(callers, signed_result, dossier):
    lookup = callers.other.post(
        f"{BASE}results/lookup/",
        {"dossier_code": dossier.code, "applicant_id_number": ID_NUMBER},
    )
    assert lookup.status_code == 200
    [result] = lookup.json()["results"]
    assert result["sha256"] == signed_result.file.sha256
    assert result["signer_name"] == "Nguyễn Văn An"
    download = callers.other.post(
        f"{BASE}results/download/",
        {"dossier_code": dossier.code, "applicant_id_number": ID_NUMBER, "result_id": result["id"]},
    )
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == result["sha256"]
    entry = last_entry()
    assert entry.response_sha256 == result["sha256"]
    # The id number travelled in the body: the log keeps its hash, never the number.
    assert ID_NUMBER not in entry.path


def test_payment_status(callers, dossier):
    response = callers.own.get(f"{BASE}payment-status/{dossier.code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == dossier.code
    assert body["fee_total"] == dossier.fee_total and body["amount_paid"] == dossier.amount_paid
    assert body["paid_online"] is False
    assert callers.province.get(f"{BASE}payment-status/{dossier.code}/").status_code == 200


def test_catalogue_api_and_per_service_openapi(client, db):
    response = client.get(f"{BASE}services/")
    assert response.status_code == 200
    entries = {e["code"]: e for e in response.json()}
    assert set(entries) == set(registry.SERVICES)
    for code, entry in entries.items():
        assert entry["scope"] == "sharing:use" and entry["grant"] == code
        document = client.get(entry["openapi"])
        assert document.status_code == 200
        paths = document.json()["paths"]
        assert paths and all(p.startswith(registry.SERVICES[code].path_prefix) for p in paths)
        assert sorted(paths) == entry["paths"]
        assert document.json()["info"]["title"].endswith(f"({code})")
    assert client.get(f"{BASE}services/khong-co/openapi.json").status_code == 404


def test_every_exchange_is_logged_with_body_hashes_and_request_id(callers, dossier):
    before = MessageLogEntry.objects.count()
    ok = callers.own.get(f"{BASE}dossier-status/{dossier.code}/")
    refused = callers.none.get(f"{BASE}dossier-status/{dossier.code}/")
    anonymous = callers.own.http.get(f"{BASE}dossier-status/{dossier.code}/")
    assert (ok.status_code, refused.status_code, anonymous.status_code) == (200, 403, 401)
    entries = list(MessageLogEntry.objects.order_by("seq"))[before:]
    assert [e.status_code for e in entries] == [200, 403, 401]
    assert entries[0].request_id == ok["X-Request-Id"]
    assert entries[0].response_sha256 == hashlib.sha256(ok.content).hexdigest()
    assert entries[0].request_sha256 == hashlib.sha256(b"").hexdigest()
    assert entries[1].outcome == "sharing_no_grant"
    assert entries[2].client_id is None
    assert verify_message_log().ok


def test_checkpoint_and_verify_command(callers, dossier, capsys):
    callers.own.get(f"{BASE}dossier-status/{dossier.code}/")
    call_command("checkpoint_message_log")
    call_command("verify_message_log")
    assert capsys.readouterr().out.count("OK") == 1


def test_operator_reads_the_log_api_client_with_audit_scope_its_agency(
    callers, dossier, agency, client, make_official
):
    from .conftest import make_caller

    callers.own.get(f"{BASE}dossier-status/{dossier.code}/")
    callers.other.get(f"{BASE}dossier-status/{dossier.code}/")
    auditor = make_caller("Kiểm tra", agency, (), scopes=["sharing:audit"])
    response = auditor.http.get(
        f"{BASE}message-log/", headers={"Authorization": f"Bearer {auditor.token}"}
    )
    assert response.status_code == 200
    labels = {e["client_label"] for e in response.json()["results"]}
    assert labels == {"Hệ thống của sở"}
    plain = callers.own.http.get(
        f"{BASE}message-log/", headers={"Authorization": f"Bearer {callers.own.token}"}
    )
    assert plain.status_code == 403


def test_grant_changes_are_recorded_events_and_the_command_grants(callers, capsys):
    from egov.events.models import Event
    from egov.sharing.models import ServiceGrant

    client = callers.none.client
    call_command("sharing_grant", "--client", str(client.pk), "--service", "results")
    grant = ServiceGrant.objects.get(client=client, service="results")
    call_command("sharing_grant", "--revoke", str(grant.pk))
    callers.none.register_key(required=False)
    types = list(
        Event.objects.filter(event_type__startswith="sharing_grant.", subject_id=str(grant.pk))
        .order_by("pk")
        .values_list("event_type", flat=True)
    )
    assert types == ["sharing_grant.given", "sharing_grant.revoked"]
    assert Event.objects.filter(
        event_type="api_client.sharing_key_registered", subject_id=str(client.pk)
    ).exists()
    grant.refresh_from_db()
    assert grant.revoked_at is not None
