"""Issue #11, finding 2: the organisation API answers officials only from a session that
passed the second factor (accounts.middleware)."""

from __future__ import annotations

import pytest

from egov.conftest import assert_mfa_refused

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("with_totp", [False, True], ids=["no-authenticator", "skipped-totp"])
def test_official_without_second_factor_reads_no_organisation(
    agency, make_official, password_only, mfa_session, with_totp
):
    official = make_official(agency, username="chuyenvien").user
    for url in (
        "/api/v1/org/agencies/",
        f"/api/v1/org/agencies/{agency.identifier}/",
        "/api/v1/org/administrative-units/",
    ):
        response = password_only(official, with_totp=with_totp).get(url)
        assert_mfa_refused(response)
        assert agency.name not in response.content.decode()
    assert mfa_session(official).get("/api/v1/org/agencies/").status_code == 200
