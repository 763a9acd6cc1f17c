"""Issue #11, finding 2: the dashboard API answers a leader only from a session that passed the
second factor (accounts.middleware)."""

from __future__ import annotations

import pytest

from egov.conftest import assert_mfa_refused
from egov.org.models import Role

pytestmark = pytest.mark.django_db
ROUTES = ["summary/", "trend/", "agencies/", "index766/?period=year&year=2025"]


@pytest.mark.parametrize("with_totp", [False, True], ids=["no-authenticator", "skipped-totp"])
def test_leader_without_second_factor_reads_no_figure(
    agency, make_official, password_only, mfa_session, with_totp
):
    leader = make_official(agency, roles=[Role.LEADER], username="lanhdao").user
    reused = None if with_totp else password_only(leader)
    for route in ROUTES:
        client = reused or password_only(leader, with_totp=True)
        response = client.get(f"/api/v1/stats/{route}")
        assert_mfa_refused(response)
        assert response.json()["code"] == "mfa_required", route
    assert mfa_session(leader).get("/api/v1/stats/summary/").status_code == 200
