"""Issue #11, finding 1: the administration had a login form of its own (Django admin's) that
took the operator's password with no TOTP step and no failed-login throttle; a logged-in citizen
was shown it at /quan-tri/login/. Now that URL only redirects to the platform login
(egov.core.admin.admin_login) and never authenticates anyone."""

from __future__ import annotations

import pytest
from django.test import Client

from egov.events.models import Event
from egov.org.models import Role

pytestmark = pytest.mark.django_db
PASSWORD = "Mat-khau-2026!"


@pytest.fixture
def operator(agency, make_official):  # type: ignore[no-untyped-def]
    return make_official(agency, roles=[Role.OPERATOR], username="quantri").user


def session_user(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_citizen_posting_the_operators_password_to_the_admin_login_stays_a_citizen(
    client, make_citizen, operator
):
    citizen = make_citizen()
    client.force_login(citizen)
    page = client.get("/quan-tri/login/")
    assert page.status_code == 403
    assert 'name="password"' not in page.content.decode()
    logins = Event.objects.filter(event_type="account.logged_in").count()
    response = client.post(
        "/quan-tri/login/?next=/quan-tri/", {"username": operator.username, "password": PASSWORD}
    )
    assert response.status_code == 403
    assert session_user(client) == str(citizen.pk)
    assert Event.objects.filter(event_type="account.logged_in").count() == logins
    # And nothing of the operator's through the API either.
    listing = client.get("/api/v1/events/")
    assert "account.official_created" not in listing.content.decode()
    assert client.get(f"/api/v1/accounts/users/{operator.pk}/").status_code in (403, 404)


def test_anonymous_is_sent_to_the_platform_login_and_a_post_logs_nobody_in(client, operator):
    response = client.get("/quan-tri/login/?next=/quan-tri/events/event/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/quan-tri/events/event/"
    response = client.post(
        "/quan-tri/login/", {"username": operator.username, "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert session_user(client) is None


def test_no_way_around_the_failed_login_throttle(client, operator, make_citizen):
    """Eight wrong passwords, then the right one at the admin login from a citizen's session:
    never a login (before, the ninth attempt logged in as the operator with no TOTP step)."""
    citizen = make_citizen()
    client.force_login(citizen)
    for _ in range(8):
        client.post("/quan-tri/login/", {"username": operator.username, "password": "sai-roi"})
    client.post("/quan-tri/login/", {"username": operator.username, "password": PASSWORD})
    assert session_user(client) == str(citizen.pk)
    assert not Event.objects.filter(event_type="account.logged_in").exists()


def test_an_administrator_is_sent_on_and_never_off_site(operator, mfa_session):
    client = mfa_session(operator)
    response = client.get("/quan-tri/login/?next=/quan-tri/events/event/")
    assert response.status_code == 302 and response["Location"] == "/quan-tri/events/event/"
    for target in ("https://evil.example/", "//evil.example/x", "/quan-tri/login/"):
        response = client.get("/quan-tri/login/", {"next": target})
        assert response.status_code == 302 and response["Location"] == "/quan-tri/", target


def test_a_citizen_opening_the_administration_is_refused_not_offered_a_form(client, make_citizen):
    client.force_login(make_citizen())
    response = client.get("/quan-tri/", follow=True)
    assert response.status_code == 403
    assert 'name="password"' not in response.content.decode()


def test_the_operator_still_gets_in_through_the_platform_login(client, operator, login_with_mfa):
    login_with_mfa(operator)
    assert client.get("/quan-tri/").status_code == 200
