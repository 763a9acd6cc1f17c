"""Fixtures for the organisation tests: a session that has passed the second factor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from egov.conftest import login_client
from egov.org.models import Agency, Role


@pytest.fixture
def mfa_login(client: Client) -> Callable[..., Client]:
    """Log `user` in on `client` as if they had typed their password and a TOTP code (or, with
    `with_mfa=False`, the password only)."""

    def login(user: Any, *, with_mfa: bool = True) -> Client:
        return login_client(user, with_mfa=with_mfa, client=client)  # type: ignore[no-any-return]

    return login


@pytest.fixture
def operator(agency: Agency, make_official: Any) -> Any:
    """An operator account (Official with the operator role) of the provincial committee."""
    return make_official(agency, roles=[Role.OPERATOR], username="quantri.test").user
