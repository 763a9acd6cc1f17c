"""The operations dashboard shows the sync health per agency: what waits for the portal and
since when, and what was given up."""

from __future__ import annotations

import pytest

from egov.org.models import Role

from .conftest import receive
from .helpers import drain

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_what_waits_for_the_portal(
    client, agency, staff, procedure, portal, make_official, login_with_mfa
):
    leader = make_official(agency, [Role.LEADER], None, username="lanhdao")
    login_with_mfa(leader.user)
    receive(staff, procedure)
    portal.control({"fail_rate": 1})
    drain_failed = None
    try:
        drain(rounds=2)
    except AssertionError as exc:  # the portal fails every call: it cannot drain
        drain_failed = exc
    assert drain_failed is not None
    page = client.get("/dieu-hanh/").content.decode()
    assert "Đồng bộ Cổng Dịch vụ công quốc gia" in page
    row = page[page.index("national-h") :]
    assert f'<th scope="row">{agency.name}</th><td>1</td><td>0</td>' in row

    portal.control({"fail_rate": 0})
    drain()
    page = client.get("/dieu-hanh/").content.decode()
    assert "Mọi hồ sơ đã được Cổng quốc gia xác nhận." in page
