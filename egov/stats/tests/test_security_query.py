"""Finding 13: every figure filter given must be well-formed, even one the period does not use."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from egov.accounts.models import ApiClient

pytestmark = pytest.mark.django_db


def bearer(agency) -> APIClient:  # type: ignore[no-untyped-def]
    raw, prefix, digest = ApiClient.new_token()
    ApiClient.objects.create(
        name=prefix, agency=agency, scopes=["stats:read"], key_prefix=prefix, key_hash=digest
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"year": "abc"}, "year"),  # was accepted (ignored outside period=year)
        ({"period": "year", "year": "abc"}, "year"),
        ({"period": "year", "year": "1850"}, "year"),
        ({"agency": "abc"}, "agency"),  # was silently "all agencies"
        ({"channel": "9"}, "channel"),
        ({"period": "decade"}, "period"),
        ({"day": "2026-02-30"}, "day"),
    ],
)
def test_invalid_selection_is_refused(agency, params, field):  # type: ignore[no-untyped-def]
    response = bearer(agency).get("/api/v1/stats/summary/", params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"]


def test_valid_selection_still_works(agency):  # type: ignore[no-untyped-def]
    api = bearer(agency)
    assert api.get("/api/v1/stats/summary/", {"period": "year", "year": "2025"}).status_code == 200
    assert api.get("/api/v1/stats/summary/", {"year": ""}).status_code == 200
