"""The documents API: officials read their agency's documents and act through endpoints; API
clients read with the documents:read scope but never sign or number."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from egov.accounts.services import create_api_client
from egov.conftest import fresh_totp
from egov.core.actors import SYSTEM
from egov.documents import incoming as incoming_services
from egov.documents.models import IncomingDocument, OutgoingStatus

from .test_incoming import _data
from .test_outgoing import draft

pytestmark = pytest.mark.django_db


def test_official_drafts_and_walks_the_chain_through_the_api(
    client, login_with_mfa, people, vx_unit, certificates
):
    login_with_mfa(people["drafter"].user)
    response = client.post(
        "/api/v1/documents/outgoing/",
        {
            "doc_type": "thong-bao",
            "subject": "Thông báo lịch tiếp công dân",
            "content": "Lãnh đạo tiếp công dân vào thứ Năm hằng tuần.",
            "internal_units": [vx_unit.pk],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    pk = body["id"]
    assert body["status"] == "draft" and body["versions"][0]["kind"] == "rendered"
    response = client.post(
        f"/api/v1/documents/outgoing/{pk}/submit/",
        {"reviewer": people["leader"].pk, "version": body["version"]},
        content_type="application/json",
    )
    assert response.json()["status"] == "in_review"
    # Not the drafter's turn any more.
    response = client.post(
        f"/api/v1/documents/outgoing/{pk}/review/",
        {"decision": "approve"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"

    client.logout()
    login_with_mfa(people["leader"].user)
    client.post(
        f"/api/v1/documents/outgoing/{pk}/review/",
        {"decision": "approve"},
        content_type="application/json",
    )
    # Signing asks for a fresh authenticator code: none or a wrong one signs nothing.
    response = client.post(f"/api/v1/documents/outgoing/{pk}/sign/")
    assert response.status_code == 400 and response.json()["code"] == "second_factor_invalid"
    cache.clear()
    response = client.post(
        f"/api/v1/documents/outgoing/{pk}/sign/",
        {"code": fresh_totp(margin=3)},
        content_type="application/json",
    )
    assert response.json()["status"] == "signed"
    response = client.post(f"/api/v1/documents/outgoing/{pk}/issue/")
    assert response.status_code == 403  # only the clerk numbers
    assert "văn thư" in response.json()["message"]

    client.logout()
    login_with_mfa(people["clerk"].user)
    body = client.post(f"/api/v1/documents/outgoing/{pk}/issue/").json()
    assert body["symbol"] == "01/TB-UBND" and body["status"] == OutgoingStatus.SENT
    listing = client.get("/api/v1/documents/outgoing/", {"status": "sent"}).json()
    assert [d["symbol"] for d in listing] == ["01/TB-UBND"]
    seq = body["versions"][-1]["seq"]
    pdf = client.get(f"/api/v1/documents/outgoing/{pk}/versions/{seq}/file/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content)[:5] == b"%PDF-"


def test_incoming_actions_and_overdue_filter(client, login_with_mfa, people, agency, vx_unit):
    incoming = incoming_services.receive(agency=agency, data=_data(sender_organ_id=""))
    login_with_mfa(people["clerk"].user)
    body = client.post(f"/api/v1/documents/incoming/{incoming.pk}/register/").json()
    assert body["arrival_number"] == 1 and body["status"] == "registered"
    client.logout()
    login_with_mfa(people["leader"].user)
    response = client.post(
        f"/api/v1/documents/incoming/{incoming.pk}/assign/",
        {"instruction": "VX xử lý", "main_unit": vx_unit.pk, "working_days": 2},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "assigned" and body["assignments"][0]["unit"] == vx_unit.name
    assert body["overdue"] is False
    assert client.get("/api/v1/documents/incoming/", {"overdue": "true"}).json() == []
    response = client.post(
        f"/api/v1/documents/incoming/{incoming.pk}/assign/",
        {"instruction": ""},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "instruction" in response.json()["fields"]


def test_api_client_reads_its_agency_but_cannot_act(client, people, vx_unit, agency, other_agency):
    document = draft(people, vx_unit)
    _c, token = create_api_client(
        actor=SYSTEM, name="IOC", scopes=["documents:read"], agency=agency
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    listing = client.get("/api/v1/documents/outgoing/", **headers).json()
    assert [d["id"] for d in listing] == [document.pk]
    assert client.get(f"/api/v1/documents/outgoing/{document.pk}/", **headers).status_code == 200
    response = client.post(f"/api/v1/documents/outgoing/{document.pk}/sign/", **headers)
    assert response.status_code == 403

    _c, other_token = create_api_client(
        actor=SYSTEM, name="Khác", scopes=["documents:read", "documents:write"], agency=other_agency
    )
    other = {"HTTP_AUTHORIZATION": f"Bearer {other_token}"}
    assert client.get(f"/api/v1/documents/outgoing/{document.pk}/", **other).status_code == 404
    response = client.post(f"/api/v1/documents/outgoing/{document.pk}/sign/", **other)
    assert response.status_code == 404

    _c, no_scope = create_api_client(
        actor=SYSTEM, name="Lịch", scopes=["calendar:read"], agency=agency
    )
    response = client.get("/api/v1/documents/outgoing/", HTTP_AUTHORIZATION=f"Bearer {no_scope}")
    assert response.status_code == 403


def test_schema_documents_the_endpoints(client):
    schema = client.get("/api/v1/schema/").content.decode()
    for path in (
        "/api/v1/documents/outgoing/",
        "/api/v1/documents/outgoing/{id}/{action}/",
        "/api/v1/documents/incoming/{id}/{action}/",
        "/api/v1/documents/search/",
    ):
        assert path in schema


def test_other_agency_official_gets_404(
    client, login_with_mfa, agency, other_agency, make_official
):
    from egov.org.models import Role

    incoming = incoming_services.receive(agency=agency, data=_data(sender_organ_id=""))
    stranger = make_official(other_agency, roles=[Role.CLERK], username="stp.vt")
    login_with_mfa(stranger.user)
    assert client.get(f"/api/v1/documents/incoming/{incoming.pk}/").status_code == 404
    assert client.post(f"/api/v1/documents/incoming/{incoming.pk}/register/").status_code == 404
    assert IncomingDocument.objects.get().status == "received"
