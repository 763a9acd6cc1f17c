"""Finding 13: catalogue filters are typed; a value outside them is a 400, never ignored."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LIST = "/api/v1/catalog/procedures/"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"online_mode": "-58800"}, "online_mode"),  # was answered 200 with every procedure
        ({"online_mode": "full"}, "online_mode"),
        ({"level": "galaxy"}, "level"),
        ({"q": "khai sinh", "online_mode": "7"}, "online_mode"),  # the search path too
        ({"limit": "abc"}, "limit"),  # was silently the default page size
        ({"offset": "-3"}, "offset"),
    ],
)
def test_invalid_filter_is_refused(catalog, params, field):  # type: ignore[no-untyped-def]
    response = APIClient().get(LIST, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"]


def test_valid_filters_still_work(catalog):  # type: ignore[no-untyped-def]
    api = APIClient()
    assert api.get(LIST, {"online_mode": "4"}).status_code == 200
    assert api.get(LIST, {"online_mode": "", "level": "commune", "limit": "2"}).status_code == 200
    huge = api.get(LIST, {"limit": "100000"})  # beyond the maximum: reduced, not refused
    assert huge.status_code == 200
