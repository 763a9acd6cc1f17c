"""The public service catalogue is reachable from every page's footer (it was linked from
nowhere), in Vietnamese and in English."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_every_page_links_the_catalogue(client):
    home = client.get("/").content.decode()
    assert '<a href="/chia-se-du-lieu/">Dịch vụ chia sẻ dữ liệu</a>' in home
    assert client.get("/chia-se-du-lieu/").status_code == 200
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert (
        '<a href="/chia-se-du-lieu/">Data sharing services</a>' in client.get("/").content.decode()
    )
