"""The stand-in VNeID provider itself: what it publishes, what it refuses, its control."""

from __future__ import annotations

import requests

from egov.identity.standin import IdentityStandIn

from .support import CLIENT_ID, CLIENT_SECRET


def _authorize(server: IdentityStandIn, **changes: str) -> requests.Response:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": "http://127.0.0.1:8000/dang-nhap/vneid/callback/",
        "scope": "openid profile",
        "state": "s",
        "nonce": "n",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        **changes,
    }
    return requests.get(f"{server.url}/authorize", params=params, timeout=10)


def test_the_stand_in_publishes_discovery_and_keys_and_refuses_bad_requests():
    with IdentityStandIn(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as server:
        discovery = requests.get(server.discovery_url, timeout=10).json()
        assert discovery["issuer"] == server.issuer
        assert discovery["code_challenge_methods_supported"] == ["S256"]
        keys = requests.get(discovery["jwks_uri"], timeout=10).json()["keys"]
        assert [k["kid"] for k in keys] == [server.key.kid] and "d" not in keys[0]

        page = _authorize(server)
        assert page.status_code == 200 and "Nguyễn Văn An" in page.text and "Đồng ý" in page.text
        assert _authorize(server, redirect_uri="https://ke-gian.example/cb").status_code == 400
        assert _authorize(server, client_id="khac").status_code == 400
        assert _authorize(server, code_challenge_method="plain").status_code == 400
        assert _authorize(server, nonce="").status_code == 400

        assert requests.get(f"{server.url}/userinfo", timeout=10).status_code == 401
        answer = requests.post(f"{server.url}/control", json={"mode": "expired"}, timeout=10)
        assert answer.json()["mode"] == "expired" and server.mode == "expired"
        bad = requests.post(f"{server.url}/control", json={"mode": "khong-co"}, timeout=10)
        assert bad.status_code == 400
