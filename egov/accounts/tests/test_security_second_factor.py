"""Issue #11, finding 2: a login without a verified second factor carries no official's or
operator's rights, on any page or API. The control is one middleware
(accounts.middleware.OfficialSecondFactorMiddleware); these tests attack every API route the URL
configuration has, so an endpoint added later is covered too. Per-app tests with real objects
(documents signed, dossiers handled...) are in each app's test_security_second_factor.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from egov.accounts.services import create_api_client
from egov.conftest import assert_mfa_refused
from egov.core.actors import SYSTEM
from egov.events.models import Event
from egov.org.models import Role

pytestmark = pytest.mark.django_db


def api_routes() -> list[str]:
    """Every URL under /api/v1/, path parameters filled with harmless values."""
    routes: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith("api/v1/"):
                    route = re.sub(r"<(?:int|id):\w+>", "1", route)
                    route = re.sub(r"<(?:str|slug):\w+>", "x", route)
                    routes.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(routes))


ROUTES = api_routes()


def call(client: Client, method: str, url: str) -> Any:
    if method == "GET":
        return client.get(url)
    return client.post(url, {}, content_type="application/json")


def body(response: Any) -> Any:
    if response.get("Content-Type", "").startswith("application/json"):
        return response.json()
    return response.status_code


@pytest.fixture
def people(agency, make_official, make_citizen):  # type: ignore[no-untyped-def]
    return {
        "official": make_official(
            agency, roles=[Role.LEADER, Role.RECEIVER, Role.CLERK], username="lanhdao"
        ).user,
        "operator": make_official(agency, roles=[Role.OPERATOR], username="quantri").user,
        "citizen": make_citizen(),
    }


def test_the_sweep_sees_every_api_area():
    for area in (
        "/api/v1/me/",
        "/api/v1/org/",
        "/api/v1/catalog/",
        "/api/v1/dossiers/",
        "/api/v1/onestop/",
        "/api/v1/events/",
        "/api/v1/documents/outgoing/1/x/",
        "/api/v1/stats/",
        "/api/v1/exchange/",
        "/api/v1/calendar/",
    ):
        assert any(route.startswith(area) for route in ROUTES), area


@pytest.mark.parametrize("who", ["official", "operator"])
@pytest.mark.parametrize("with_totp", [False, True], ids=["no-authenticator", "skipped-totp"])
def test_every_api_route_treats_a_password_only_session_as_anonymous(
    people, password_only, who, with_totp
):
    user = people[who]
    half = password_only(user, with_totp=with_totp)
    events = Event.objects.count()
    for url in ROUTES:
        for method in ("GET", "POST"):
            if with_totp:
                # Such a session is thrown out on its first request: a fresh one per attack.
                half = password_only(user, with_totp=True)
            answer = call(half, method, url)
            anonymous = call(Client(), method, url)
            if anonymous.status_code in (401, 403):
                assert_mfa_refused(answer)
                assert answer.json()["code"] == "mfa_required", (method, url)
            else:  # public endpoints: exactly what anyone gets
                assert (answer.status_code, body(answer)) == (
                    anonymous.status_code,
                    body(anonymous),
                ), (method, url)
    assert Event.objects.count() == events  # nothing was done in their name


def test_the_refusal_says_what_is_missing(people, password_only):
    half = password_only(people["official"])
    response = half.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json() == {
        "code": "mfa_required",
        "message": "Phiên đăng nhập chưa xác thực hai lớp. Vui lòng đăng nhập lại với mã xác thực.",
        "fields": {},
    }
    assert "WWW-Authenticate" not in response


def test_operator_without_second_factor_reads_no_citizen_data(people, password_only, mfa_session):
    citizen = people["citizen"]
    url = f"/api/v1/accounts/users/{citizen.pk}/"
    for with_totp in (False, True):
        half = password_only(people["operator"], with_totp=with_totp)
        response = half.get(url)
        assert_mfa_refused(response)
        assert citizen.phone not in response.content.decode()
        assert_mfa_refused(half.get("/api/v1/events/"))
    # The same operator after the TOTP step reads them: the refusal is the second factor's.
    full = mfa_session(people["operator"])
    assert full.get(url).json()["phone"] == citizen.phone


def test_pages_send_a_password_only_session_away(people, password_only):
    half = password_only(people["operator"])
    for url in ("/lam-viec/", "/quan-tri/", "/mot-cua/", "/van-ban/", "/dieu-hanh/"):
        response = half.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/accounts/2fa/totp/activate/", url
    skipped = password_only(people["operator"], with_totp=True)
    response = skipped.get("/quan-tri/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in skipped.session


def test_a_session_that_skipped_totp_cannot_use_the_account_pages(people, password_only):
    """Recovery codes would be a second factor of their own: never shown to such a session."""
    skipped = password_only(people["operator"], with_totp=True)
    response = skipped.get("/accounts/2fa/recovery-codes/generate/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in skipped.session


def test_api_client_tokens_are_unaffected(people, password_only):
    _client, token = create_api_client(actor=SYSTEM, name="Cổng quốc gia", scopes=["org:read"])
    half = password_only(people["official"])
    response = half.get("/api/v1/org/agencies/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()
    assert_mfa_refused(half.get("/api/v1/org/agencies/"))
