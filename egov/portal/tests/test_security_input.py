"""Attacks on the public catalogue search (issue #11 review): look-alike digits and oversized ids
in its filters were 500s (ValueError from int("²"), OverflowError in the SQLite driver)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BAD = ["²", "٣", "99999999999999999999999", "-1", "0", "abc"]


@pytest.mark.parametrize("key", ["sector", "agency", "online_mode"])
@pytest.mark.parametrize("value", BAD)
def test_bad_filter_values_list_nothing_instead_of_failing(client, birth_procedure, key, value):
    response = client.get("/thu-tuc/", {key: value})
    assert response.status_code == 200
    assert "Đăng ký khai sinh" not in response.content.decode()


def test_good_filters_still_find_the_procedure(client, birth_procedure):
    mode = str(birth_procedure.online_mode)
    for params in ({"online_mode": mode}, {"sector": str(birth_procedure.sector_id)}):
        page = client.get("/thu-tuc/", params).content.decode()
        assert "Đăng ký khai sinh" in page, params
