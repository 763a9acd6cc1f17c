"""The catalogue API: public reads, a token needs catalog:read, drafts stay hidden."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from egov.accounts.services import create_api_client
from egov.core.actors import SYSTEM

from .conftest import DRAFT, GPXD, KHAI_SINH, LAI_KHAI_SINH, LLTP

pytestmark = pytest.mark.django_db

LIST = "/api/v1/catalog/procedures/"


def bearer(scopes: list[str]) -> APIClient:
    _, token = create_api_client(actor=SYSTEM, name="Ứng dụng thử", scopes=scopes)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_anonymous_citizen_browses_the_published_catalogue(catalog):
    api = APIClient()
    found = codes(api.get(LIST))
    assert KHAI_SINH in found and LLTP in found and DRAFT not in found
    row = next(r for r in api.get(LIST).json()["results"] if r["code"] == KHAI_SINH)
    assert row["name"] == "Đăng ký khai sinh"
    assert row["online_mode"] == 4 and row["online_mode_display"].endswith("toàn trình")
    assert row["level_display"] == "Cấp xã"


def test_search_and_filters(catalog, commune_agency):
    api = APIClient()
    assert codes(api.get(LIST, {"q": "dang ky khai sihn"}))[:2] == [KHAI_SINH, LAI_KHAI_SINH]
    assert codes(api.get(LIST, {"sector": "XD"})) == [GPXD]
    assert codes(api.get(LIST, {"q": "khai sinh", "online_mode": 3})) == [LAI_KHAI_SINH]
    assert codes(api.get(LIST, {"level": "province"})) == [LLTP]
    assert LLTP not in codes(api.get(LIST, {"agency": commune_agency.identifier}))
    assert codes(api.get(LIST, {"q": "khai sinh nuoc ngoai"})) == []
    response = api.get(LIST, {"q": "dang ky", "limit": 1})
    assert response.json()["count"] == 3 and len(response.json()["results"]) == 1


def test_detail_has_components_fees_and_current_process(catalog):
    body = APIClient().get(f"{LIST}{KHAI_SINH}/").json()
    assert body["name"] == "Đăng ký khai sinh"
    assert body["agencies"] == [
        {"identifier": "000.01.50.H41", "name": "Ủy ban nhân dân phường Hạ Long"}
    ]
    form = body["components"][0]
    assert form["code"] == "to-khai" and form["form_schema"]["fields"][0]["name"] == "child_name"
    assert [f["amount"] for f in body["fees"]] == [0, 8000]
    process = body["process"]
    assert process["version"] == 1
    assert [s["role"] for s in process["steps"]] == ["receiver", "specialist", "leader", "receiver"]
    assert process["steps"][0]["budget"] == "0.25"
    # Codes are accepted in lower case too.
    assert APIClient().get(f"{LIST}{KHAI_SINH.lower()}/").status_code == 200


def test_draft_and_unknown_are_not_found(catalog):
    assert APIClient().get(f"{LIST}{DRAFT}/").status_code == 404
    response = APIClient().get(f"{LIST}9.999999.H41/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_sectors(catalog):
    body = APIClient().get("/api/v1/catalog/sectors/").json()
    counts = {row["code"]: row["procedure_count"] for row in body}
    assert counts == {"HT": 3, "XD": 1, "LLTP": 1}  # the draft is not counted


def test_token_without_catalog_scope_is_refused(catalog):
    response = bearer(["org:read"]).get(LIST)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert bearer(["org:read"]).get(f"{LIST}{KHAI_SINH}/").status_code == 403
    assert bearer(["org:read"]).get("/api/v1/catalog/sectors/").status_code == 403


def test_token_with_catalog_scope_reads(catalog):
    assert KHAI_SINH in codes(bearer(["catalog:read"]).get(LIST))
    assert bearer(["catalog:read"]).get(f"{LIST}{KHAI_SINH}/").status_code == 200


def test_documented_in_the_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "/api/v1/catalog/procedures/" in schema["paths"]
    assert "/api/v1/catalog/procedures/{code}/" in schema["paths"]
    params = {
        p["name"] for p in schema["paths"]["/api/v1/catalog/procedures/"]["get"]["parameters"]
    }
    assert {"q", "sector", "agency", "level", "online_mode"} <= params
