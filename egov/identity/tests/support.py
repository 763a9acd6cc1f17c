"""For tests of any area: the VNeID stand-in in a thread with the settings pointing at it.

    from egov.identity.tests.support import identity_standin   # a pytest fixture

    def test_x(identity_standin, client):
        identity_standin.set_mode("normal")
        ... client.get("/dang-nhap/vneid/") ...   # then follow to the stand-in: vneid_login()

`vneid_login(client, standin, citizen="an")` runs the whole flow with django's test client
(real HTTP to the stand-in) and returns the final response. The fixture needs `settings`
(pytest-django); a browser test uses the same fixture: the live server's pages redirect to the
stand-in and it back to the live server (any 127.0.0.1/localhost redirect URI is accepted).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from egov.identity.standin import IdentityStandIn

CLIENT_ID = "cong-dvc-test"
CLIENT_SECRET = "bi-mat-cua-ung-dung-thu"  # a test value, not a secret


@pytest.fixture
def identity_standin(settings: Any) -> Iterator[IdentityStandIn]:
    with IdentityStandIn(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        # django's test client's host, and the live server's.
        redirect_hosts=("testserver", "127.0.0.1", "localhost"),
    ) as server:
        settings.VNEID_DISCOVERY_URL = server.discovery_url
        settings.VNEID_ISSUER = server.issuer
        settings.VNEID_CLIENT_ID = CLIENT_ID
        settings.VNEID_CLIENT_SECRET = CLIENT_SECRET
        settings.VNEID_REDIRECT_URI = ""
        yield server


def authorize_at_standin(location: str, citizen: str = "an", action: str = "consent") -> str:
    """What a browser does at the stand-in: open its page, pick a citizen, press the button;
    returns where the stand-in sends the browser back (the callback URL with code and state)."""
    page = requests.get(location, timeout=10)
    assert page.status_code == 200, page.text
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    parts = urlsplit(location)
    answer = requests.post(
        f"{parts.scheme}://{parts.netloc}/authorize",
        data={**params, "citizen": citizen, "action": action},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303, answer.text
    return str(answer.headers["Location"])


def start_login(client: Any, next_url: str = "") -> str:
    """The portal's start: the stand-in's authorize URL it redirects to."""
    response = client.get("/dang-nhap/vneid/" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302, response.content
    return str(response["Location"])


def vneid_login(client: Any, standin: IdentityStandIn, citizen: str = "an") -> Any:
    """The whole login with django's test client; returns the callback's response."""
    back = authorize_at_standin(start_login(client), citizen)
    parts = urlsplit(back)
    return client.get(parts.path + "?" + parts.query)
