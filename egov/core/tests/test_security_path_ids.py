"""Row ids in addresses (finding 6 of issue #11): a 20-digit id matched `<int:>` routes and then
overflowed the SQLite driver, a 500. Ids are now a bounded `<id:>`: such an address is a plain 404
(JSON in the API), whatever the database."""

from __future__ import annotations

import pytest
from django.urls import reverse

from egov.org.models import Role

pytestmark = pytest.mark.django_db

HUGE = "9" * 20


def test_a_20_digit_id_is_not_found_on_pages_and_in_the_api(agency, make_official, mfa_session):
    leader = make_official(agency, roles=[Role.LEADER])
    client = mfa_session(leader.user)
    for path in (
        f"/van-ban/di/{HUGE}/",
        f"/van-ban/den/{HUGE}/tep/{HUGE}/",
        f"/api/v1/documents/outgoing/{HUGE}/",
        f"/api/v1/accounts/users/{HUGE}/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        if path.startswith("/api/"):
            assert response.json()["code"] == "not_found", path


def test_deciding_a_letter_with_a_20_digit_id_is_not_found(agency, make_official, mfa_session):
    from egov.events.models import Event

    leader = make_official(agency, roles=[Role.LEADER])
    client = mfa_session(leader.user)
    before = Event.objects.count()
    response = client.post(
        f"/api/v1/onestop/apologies/{HUGE}/decision/",
        {"approve": True},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Event.objects.count() == before


def test_ids_in_range_still_route():
    assert reverse("api-outgoing-detail", args=[2**63 - 1]).endswith(f"/{2**63 - 1}/")
