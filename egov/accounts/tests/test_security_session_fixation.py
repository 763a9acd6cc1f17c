"""Session fixation across the login (issue #11, from the attack re-review): a session id an
attacker planted, or saw before the password or the TOTP step, must not be the one that carries
the official's rights afterwards."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from egov.conftest import fresh_totp
from egov.org.models import Role

pytestmark = pytest.mark.django_db


def test_the_session_id_is_renewed_when_the_official_is_logged_in(agency, make_official, give_totp):
    official = make_official(agency, roles=[Role.LEADER])
    give_totp(official.user)
    client = Client()
    client.get("/accounts/login/")  # an anonymous session the attacker could know
    client.session.save()
    planted = client.cookies[settings.SESSION_COOKIE_NAME].value

    response = client.post(
        "/accounts/login/", {"login": official.user.username, "password": "Mat-khau-2026!"}
    )
    assert response["Location"].startswith("/accounts/2fa/authenticate")
    before_totp = client.cookies[settings.SESSION_COOKIE_NAME].value

    response = client.post("/accounts/2fa/authenticate/", {"code": fresh_totp()})
    assert response.status_code == 302
    after_totp = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get("/api/v1/me/").status_code == 200

    # allauth only stages the login at the password step (nobody is logged in until the code is
    # right), so the id may stay until then; logging in after the TOTP step renews it.
    assert after_totp not in (planted, before_totp)
    # The planted id and the one seen between the steps carry nothing now.
    for stale in (planted, before_totp):
        attacker = Client()
        attacker.cookies[settings.SESSION_COOKIE_NAME] = stale
        assert attacker.get("/api/v1/me/").status_code in (401, 403)
        assert attacker.get("/lam-viec/").status_code == 302
