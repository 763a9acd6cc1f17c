"""The REST API: structured errors, scoped tokens, and nobody reading another person's account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from egov.accounts.models import ApiClient, User
from egov.accounts.services import create_api_client
from egov.core.actors import SYSTEM
from egov.core.errors import DomainError

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def test_schema_is_openapi_3_and_docs_page_is_served(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    body = schema.json()
    assert body["openapi"].startswith("3.")
    assert "/api/v1/register/citizen/" in body["paths"]
    assert client.get("/api/v1/docs/").status_code == 200


def test_citizen_registration_by_api_returns_field_errors():
    api = APIClient()
    response = api.post(
        "/api/v1/register/citizen/",
        {
            "personal_id": "12345",
            "full_name": "Nguyễn Văn A",
            "phone": "0912345678",
            "password": "Mat-khau-2026!",
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "registration_invalid"
    assert "12 chữ số" in body["fields"]["personal_id"][0]
    assert not User.objects.exists()


def test_oversized_field_is_refused_with_structured_error():
    response = APIClient().post(
        "/api/v1/register/citizen/",
        {
            "personal_id": "022195001234",
            "full_name": "A" * 5000,
            "phone": "0912345678",
            "password": "Mat-khau-2026!",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "full_name" in response.json()["fields"]


def test_citizen_sees_own_account_but_never_another(make_citizen):
    me, other = make_citizen(), make_citizen()
    api = APIClient()
    api.force_authenticate(me)
    assert api.get(f"/api/v1/accounts/users/{me.pk}/").json()["personal_id"] == me.username
    response = api.get(f"/api/v1/accounts/users/{other.pk}/")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "Không tìm thấy dữ liệu.",
        "fields": {},
    }


def test_official_cannot_read_citizen_accounts(agency, make_official, make_citizen):
    official, citizen = make_official(agency), make_citizen()
    api = APIClient()
    api.force_authenticate(official.user)
    assert api.get(f"/api/v1/accounts/users/{citizen.pk}/").status_code == 404


def test_anonymous_gets_401_with_vietnamese_message(make_citizen):
    citizen = make_citizen()
    response = APIClient().get(f"/api/v1/accounts/users/{citizen.pk}/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


class TestApiClientScopes:
    def test_token_with_scope_reads_agencies(self, agency):
        _, token = create_api_client(actor=SYSTEM, name="Cổng quốc gia", scopes=["org:read"])
        response = bearer(token).get("/api/v1/org/agencies/")
        assert response.status_code == 200
        assert response.json()["results"][0]["identifier"] == agency.identifier
        assert bearer(token).get("/api/v1/me/").json()["scopes"] == ["org:read"]

    def test_token_without_scope_is_refused(self, agency):
        _, token = create_api_client(actor=SYSTEM, name="Báo cáo", scopes=["calendar:read"])
        response = bearer(token).get("/api/v1/org/agencies/")
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"

    def test_forged_expired_and_disabled_tokens_are_refused(self, agency):
        client, token = create_api_client(actor=SYSTEM, name="X", scopes=["org:read"])
        forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
        assert bearer(forged).get("/api/v1/org/agencies/").status_code == 401
        assert bearer("egov_nothing").get("/api/v1/org/agencies/").status_code == 401
        ApiClient.objects.filter(pk=client.pk).update(expires_at=timezone.now() - timedelta(days=1))
        response = bearer(token).get("/api/v1/org/agencies/")
        assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
        ApiClient.objects.filter(pk=client.pk).update(expires_at=None, is_active=False)
        assert bearer(token).get("/api/v1/org/agencies/").status_code == 401

    def test_only_the_hash_of_the_token_is_stored(self):
        client, token = create_api_client(actor=SYSTEM, name="X", scopes=["org:read"])
        client.refresh_from_db()
        assert token not in (client.key_hash, client.key_prefix)
        assert client.key_hash == ApiClient.hash_key(token)

    def test_unknown_scope_and_non_operator_are_refused(self, agency, make_official):
        with pytest.raises(DomainError, match="Phạm vi không tồn tại"):
            create_api_client(actor=SYSTEM, name="X", scopes=["everything"])
        from egov.core.actors import actor_for_user

        official = make_official(agency)
        with pytest.raises(DomainError):
            create_api_client(actor=actor_for_user(official.user), name="X", scopes=["org:read"])
        assert not ApiClient.objects.exists()
