"""Fixtures for the organisation tests: a session that has passed the second factor."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from egov.org.models import Agency, Role


@pytest.fixture
def mfa_login(client: Client) -> Callable[[Any], Client]:
    """Log `user` in on `client` as if they had typed their password and a TOTP code.

    allauth keeps the methods used in the session (`account_authentication_methods`); the
    second-factor middleware trusts an official's session only when one of them is "mfa".
    A TOTP authenticator is created for the user when they have none.
    """
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    def login(user: Any, *, with_mfa: bool = True) -> Client:
        client.force_login(user)
        if not with_mfa:
            return client
        authenticator = (
            Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
            or TOTP.activate(user, generate_totp_secret()).instance
        )
        now = time.time()
        session = client.session
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "password", "at": now, "username": user.username},
            {"method": "mfa", "at": now, "id": authenticator.pk, "type": "totp"},
        ]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
        return client

    return login


@pytest.fixture
def operator(agency: Agency, make_official: Any) -> Any:
    """An operator account (Official with the operator role) of the provincial committee."""
    return make_official(agency, roles=[Role.OPERATOR], username="quantri.test").user
