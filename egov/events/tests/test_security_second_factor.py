"""Issue #11, finding 2: an operator's session without the second factor read the event log
through the API. It now carries no operator's rights (accounts.middleware)."""

from __future__ import annotations

import pytest

from egov.conftest import assert_mfa_refused
from egov.org.models import Role

from .test_api import log  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"


@pytest.mark.parametrize("with_totp", [False, True], ids=["no-authenticator", "skipped-totp"])
def test_operator_without_second_factor_reads_no_event(
    agency,
    make_official,
    log,  # noqa: F811
    password_only,
    mfa_session,
    with_totp,
):
    operator = make_official(agency, roles=[Role.OPERATOR], username="quantri").user
    response = password_only(operator, with_totp=with_totp).get(URL)
    assert_mfa_refused(response)
    assert response.json()["code"] == "mfa_required"
    assert "H41-" not in response.content.decode()
    # After the TOTP step the same operator reads the whole log.
    assert "H41-0" in mfa_session(operator).get(URL).content.decode()
