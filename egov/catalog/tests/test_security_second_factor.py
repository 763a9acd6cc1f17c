"""Issue #11, finding 2: an operator's session without the second factor sees the catalogue as
anyone does, never the unpublished drafts (accounts.middleware)."""

from __future__ import annotations

import pytest
from django.test import Client

from .conftest import DRAFT

pytestmark = pytest.mark.django_db
URL = "/api/v1/catalog/procedures/"


def codes(response) -> set[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content[:300]
    return {p["code"] for p in response.json()["results"]}


@pytest.mark.parametrize("with_totp", [False, True], ids=["no-authenticator", "skipped-totp"])
def test_operator_without_second_factor_sees_no_draft(
    catalog, operator_user, password_only, mfa_session, with_totp
):
    public = codes(Client().get(URL))
    half = codes(password_only(operator_user, with_totp=with_totp).get(URL))
    assert half == public and DRAFT not in half
    detail = password_only(operator_user, with_totp=with_totp).get(f"{URL}{DRAFT}/")
    assert detail.status_code == 404
    assert mfa_session(operator_user).get(f"{URL}{DRAFT}/").json()["code"] == DRAFT
