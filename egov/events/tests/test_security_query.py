"""Finding 6 (the `since` part) and 13: a well-formed but impossible moment is a 400, not a 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from egov.accounts.models import ApiClient
from egov.events.models import Event

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


def bearer(agency, scopes: list[str]) -> APIClient:  # type: ignore[no-untyped-def]
    raw, prefix, digest = ApiClient.new_token()
    ApiClient.objects.create(
        name=prefix, agency=agency, scopes=scopes, key_prefix=prefix, key_hash=digest
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-02-30T00:00:00"}, "since"),  # was a 500 (ValueError)
        ({"since": "2026-02-30"}, "since"),
        ({"since": "0001-01-01T00:00:00"}, "since"),  # UTC conversion would overflow
        ({"after": "abc"}, "after"),
        ({"limit": "-1"}, "limit"),
    ],
)
def test_impossible_filter_is_a_clear_400(agency, params, field):  # type: ignore[no-untyped-def]
    api = bearer(agency, ["events:read"])
    before = Event.objects.count()
    response = api.get(URL, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and list(body["fields"]) == [field]
    assert Event.objects.count() == before


def test_a_valid_since_still_filters(agency):  # type: ignore[no-untyped-def]
    api = bearer(agency, ["events:read"])
    assert api.get(URL, {"since": "2026-02-28T00:00:00"}).status_code == 200
    assert api.get(URL, {"since": "2026-02-28"}).status_code == 200
    assert api.get(URL, {"since": ""}).status_code == 200  # empty: not given
