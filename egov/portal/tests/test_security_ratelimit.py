"""Attack (issue #11 review, finding 5): an IPv6 client owns a whole /64, so a limit keyed on
the full address was reset by changing the interface id on every request: the public lookup
(code + id number or phone) could be guessed without limit from one connection."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from egov.core.clientip import rate_limit_key
from egov.dossiers.models import Dossier

from .test_portal import submit_via_portal

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted_dossier(tmp_path, settings, birth_procedure, agency, make_citizen):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    client = Client()
    client.force_login(make_citizen())
    submit_via_portal(client, birth_procedure, agency)
    return Dossier.objects.get()


def test_rate_limit_key_groups_an_ipv6_client_by_its_network(rf):
    def key(addr: str) -> str:
        return rate_limit_key(rf.get("/", REMOTE_ADDR=addr))

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("203.0.113.7") == "203.0.113.7"
    assert key("::ffff:203.0.113.7") == "203.0.113.7"


def test_rotating_ipv6_addresses_does_not_reset_the_lookup_limit(submitted_dossier):
    code = submitted_dossier.code
    statuses = [
        Client(REMOTE_ADDR=f"2001:db8:1:2::{n:x}")
        .post("/tra-cuu/", {"code": code, "second_factor": "022000000000"})
        .status_code
        for n in range(1, 13)
    ]
    assert statuses[:10] == [200] * 10 and statuses[-1] == 429
    api = [
        APIClient(REMOTE_ADDR=f"2001:db8:1:2::{n:x}")
        .post("/api/v1/tracking/", {"code": code, "second_factor": "022000000000"}, format="json")
        .status_code
        for n in range(20, 23)
    ]
    assert api == [429] * 3
    # The same refusal whether the request was answered before DRF (JSON) or through it (form).
    fast = APIClient(REMOTE_ADDR="2001:db8:1:2::30").post(
        "/api/v1/tracking/", {"code": code, "second_factor": "022000000000"}, format="json"
    )
    drf = APIClient(REMOTE_ADDR="2001:db8:1:2::31").post(
        "/api/v1/tracking/", {"code": code, "second_factor": "022000000000"}
    )
    assert fast.status_code == drf.status_code == 429
    assert fast.content == drf.content and fast.json()["code"] == "throttled"
    assert fast["Retry-After"] == drf["Retry-After"] == "60"
    # Another customer's network is not affected.
    other = Client(REMOTE_ADDR="2001:db8:9:9::1")
    assert other.post("/tra-cuu/", {"code": code, "second_factor": "x"}).status_code == 200
