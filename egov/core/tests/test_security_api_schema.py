"""Finding 13: the schema says what the API answers — nullable fields, every error status with
the common error body — and an unknown API address answers that body too, not an HTML page."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ERROR_REF = "#/components/schemas/ApiError"


@pytest.fixture(scope="module")
def schema():  # type: ignore[no-untyped-def]
    return SchemaGenerator().get_schema(request=None, public=True)


def test_agency_parent_identifier_is_nullable_and_the_api_answers_null(schema, agency):  # type: ignore[no-untyped-def]
    fields = schema["components"]["schemas"]["Agency"]["properties"]
    assert fields["parent_identifier"]["nullable"] is True
    assert fields["admin_unit"]["nullable"] is True
    api = APIClient()
    api.force_authenticate(None)
    from egov.accounts.models import ApiClient

    raw, prefix, digest = ApiClient.new_token()
    ApiClient.objects.create(
        name=prefix, agency=agency, scopes=["org:read"], key_prefix=prefix, key_hash=digest
    )
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = api.get(f"/api/v1/org/agencies/{agency.identifier}/").json()
    assert agency.parent is None and body["parent_identifier"] is None


def test_every_operation_documents_its_errors_with_the_error_body(schema):  # type: ignore[no-untyped-def]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            label = f"{method.upper()} {path}"
            for status, response in responses.items():
                if status.startswith("4"):
                    body = response["content"]["application/json"]["schema"]
                    # The exchange's 422 is its receipt (the error body plus the edXML status).
                    assert body.get("$ref") == ERROR_REF or status == "422", label
            has_input = "requestBody" in operation or any(
                p["in"] == "query" for p in operation.get("parameters", [])
            )
            if has_input:
                assert "400" in responses, label
            if operation.get("security") != [{}]:
                assert {"401", "403"} <= set(responses), label
            if "{" in path:
                assert {"404", "405"} <= set(responses), label
            if method == "post":
                assert "409" in responses, label


def test_throttled_and_state_changing_operations_say_so(schema):  # type: ignore[no-untyped-def]
    paths = schema["paths"]
    assert "429" in paths["/api/v1/register/citizen/"]["post"]["responses"]
    assert "429" in paths["/api/v1/tracking/"]["post"]["responses"]
    assert "409" in paths["/api/v1/onestop/dossiers/{code}/forward/"]["post"]["responses"]
    events = {p["name"]: p for p in paths["/api/v1/events/"]["get"]["parameters"]}
    assert events["after"]["schema"] == {"type": "integer", "minimum": 0}
    catalog = {p["name"]: p for p in paths["/api/v1/catalog/procedures/"]["get"]["parameters"]}
    assert catalog["online_mode"]["schema"]["enum"] == [4, 3, 2]


def test_unknown_api_address_answers_the_json_error_body(db):  # type: ignore[no-untyped-def]
    response = APIClient().get("/api/v1/khong-co/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": "not_found",
        "message": "Không tìm thấy dữ liệu.",
        "fields": {},
    }
    page = APIClient().get("/khong-co-trang-nay/")
    assert page.status_code == 404 and "text/html" in page["Content-Type"]
