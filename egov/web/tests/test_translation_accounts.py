"""The account pages (django-allauth's views, our templates or allauth's own) in Vietnamese:
every page a citizen or an official can open under /accounts/, and its form sent empty, shows no
English left by allauth (a msgid missing from egov/locale/vi/LC_MESSAGES/django.po)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from egov.conftest import login_client
from egov.org.models import Role

from .test_translation_admin import english_on, hidden_fields

pytestmark = pytest.mark.django_db

PASSWORD = "Mat-khau-2026!"

ANONYMOUS = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/inactive/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/done/",
    "/accounts/password/reset/key/1-sai-ma/",  # a link that is wrong or used: its own page
    "/accounts/confirm-email/",
]
SIGNED_IN = [
    "/accounts/logout/",
    "/accounts/reauthenticate/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/password/set/",
    "/accounts/2fa/",
    "/accounts/2fa/reauthenticate/",
    "/accounts/2fa/recovery-codes/",
    "/accounts/2fa/recovery-codes/generate/",
    "/accounts/2fa/totp/deactivate/",
]


def check(client: Client, url: str) -> dict[str, list[str]]:
    """English words on the page and on its form sent with nothing typed."""
    leaks: dict[str, list[str]] = {}
    response = client.get(url, follow=True)
    if response.status_code != 200:
        return leaks
    if found := english_on(response):
        leaks[url] = found
    if b'method="post"' in response.content and url != "/accounts/logout/":
        sent = client.post(
            response.redirect_chain[-1][0] if response.redirect_chain else url,
            hidden_fields(response),
            follow=True,
        )
        if sent.status_code == 200 and (found := english_on(sent)):
            leaks[f"{url} (sent empty)"] = found
    return leaks


def test_anonymous_account_pages(client: Client) -> None:
    leaks: dict[str, Any] = {}
    for url in ANONYMOUS:
        leaks |= check(client, url)
    assert not leaks, leaks


def test_citizen_account_pages(make_citizen: Any) -> None:
    client = Client()
    client.force_login(make_citizen())
    leaks: dict[str, Any] = {}
    for url in SIGNED_IN:
        leaks |= check(client, url)
    assert not leaks, leaks


def test_official_account_pages(agency: Any, make_official: Any) -> None:
    official = make_official(agency, roles=[Role.SPECIALIST], username="cb.thu")
    client = login_client(official.user)
    leaks: dict[str, Any] = {}
    for url in SIGNED_IN:
        leaks |= check(client, url)
    assert not leaks, leaks


def test_second_factor_pages(agency: Any, make_official: Any, give_totp: Any) -> None:
    leaks: dict[str, Any] = {}
    with_totp = make_official(agency, username="cb.mot")
    give_totp(with_totp.user)
    client = Client()
    client.post("/accounts/login/", {"login": "cb.mot", "password": PASSWORD})
    leaks |= check(client, "/accounts/2fa/authenticate/")
    make_official(agency, username="cb.moi")
    client = Client()
    client.post("/accounts/login/", {"login": "cb.moi", "password": PASSWORD})
    leaks |= check(client, "/accounts/2fa/totp/activate/")
    assert not leaks, leaks
