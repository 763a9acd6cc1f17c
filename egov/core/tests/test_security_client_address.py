"""Issue #11, finding 5: behind nginx → gunicorn every request came from 127.0.0.1, so the
login throttle and the public lookup limit were one limit for the whole province. The client's
address is now taken from X-Forwarded-For with TRUSTED_PROXY_COUNT proxies of our own
(egov/core/clientip.py), for our limits, allauth's and DRF's alike."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory

from egov.accounts.adapter import AccountAdapter
from egov.core.clientip import client_ip


def request(remote: str = "127.0.0.1", forwarded: str | None = None) -> Any:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


class TestClientAddress:
    def test_without_proxies_the_header_is_ignored(self, settings):
        settings.TRUSTED_PROXY_COUNT = 0
        assert client_ip(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"

    def test_one_proxy_takes_the_address_it_appended(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        assert client_ip(request(forwarded="203.0.113.9")) == "203.0.113.9"
        # Entries the client sent itself (to the left) change nothing.
        assert client_ip(request(forwarded="10.0.0.1, 1.2.3.4, 203.0.113.9")) == "203.0.113.9"
        assert client_ip(request(forwarded="garbage, 203.0.113.9")) == "203.0.113.9"

    def test_two_proxies_take_the_second_from_the_right(self, settings):
        settings.TRUSTED_PROXY_COUNT = 2
        chain = "10.0.0.1, 203.0.113.9, 192.0.2.20"
        assert client_ip(request(forwarded=chain)) == "203.0.113.9"
        # A request that met only the inner proxy: what that proxy saw.
        assert client_ip(request(forwarded="203.0.113.9")) == "203.0.113.9"

    def test_no_header_or_an_unreadable_entry_falls_back_to_the_peer(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        assert client_ip(request("192.0.2.5")) == "192.0.2.5"
        assert client_ip(request("192.0.2.5", "not-an-address")) == "192.0.2.5"
        assert client_ip(request("192.0.2.5", "[2001:db8::1]:443")) == "2001:db8::1"
        assert client_ip(request("192.0.2.5", "203.0.113.9:51000")) == "203.0.113.9"

    def test_allauth_and_drf_use_the_same_count(self, settings):
        count = django_settings.TRUSTED_PROXY_COUNT
        assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == count
        assert count == django_settings.ALLAUTH_TRUSTED_PROXY_COUNT
        settings.TRUSTED_PROXY_COUNT = 1
        behind = request(forwarded="10.0.0.1, 203.0.113.9")
        assert AccountAdapter(behind).get_client_ip(behind) == "203.0.113.9"


# --- behind a real nginx --------------------------------------------------------------------

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
PASSWORD = "Mat-khau-2026!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def nginx(live_server, tmp_path, settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """nginx in front of the live server, as docs/deployment.md configures it; its URL."""
    if NGINX is None:
        pytest.skip("nginx is not installed (scripts/setup --test installs it)")
    settings.TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    upstream = live_server.url.removeprefix("http://")
    port = free_port()
    for name in ("logs", "tmp"):
        (tmp_path / name).mkdir()
    temp = tmp_path / "tmp"
    config = tmp_path / "nginx.conf"
    config.write_text(
        f"""
daemon off;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""
    )
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(config), "-e", "stderr"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    stderr = process.stderr.read().decode() if process.stderr else ""
                    pytest.fail(f"nginx did not start: {stderr}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


def browser(source: str) -> Any:
    """A requests session whose connections leave from `source` (any 127/8 address is ours)."""
    import requests
    from requests.adapters import HTTPAdapter

    class FromAddress(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["source_address"] = (source, 0)
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.mount("http://", FromAddress())
    return session


def login(session: Any, base: str, username: str, password: str, **headers: str) -> Any:
    page = session.get(f"{base}/accounts/login/", headers=headers, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    return session.post(
        f"{base}/accounts/login/",
        data={"login": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/accounts/login/", **headers},
        allow_redirects=False,
        timeout=10,
    )


def logged_in(response: Any) -> bool:
    return response.status_code == 302 and "/accounts/login/" not in response.headers["Location"]


@pytest.mark.django_db(transaction=True)
def test_behind_nginx_each_client_has_its_own_limits(nginx, make_citizen):
    citizen = make_citizen()
    a, b = browser("127.0.0.2"), browser("127.0.0.3")
    # Client A fails 21 times with made-up names: its address is refused after 20...
    answers = [login(a, nginx, f"0221950{i:05d}", "doan-mo").text for i in range(21)]
    assert "thử lại sau" not in answers[0] and "thử lại sau" in answers[-1]
    # ...even with a forged X-Forwarded-For (nginx appends the real one; that is what counts).
    forged = login(a, nginx, citizen.username, PASSWORD, **{"X-Forwarded-For": "203.0.113.77"})
    assert not logged_in(forged) and "thử lại sau" in forged.text
    # Client B, another address behind the same proxy, logs in with the right password.
    assert logged_in(login(b, nginx, citizen.username, PASSWORD))

    # The public lookup limit is per client too.
    limit = django_settings.LOOKUP_RATE_LIMIT_PER_MINUTE
    lookup = {"code": "H41.00-260302-0001", "second_factor": "0912345678"}
    statuses = [
        a.post(f"{nginx}/api/v1/tracking/", json=lookup, timeout=10).status_code
        for _ in range(limit + 1)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:limit]
    assert b.post(f"{nginx}/api/v1/tracking/", json=lookup, timeout=10).status_code != 429
    spoofed = a.post(
        f"{nginx}/api/v1/tracking/",
        json=lookup,
        headers={"X-Forwarded-For": "198.51.100.23"},
        timeout=10,
    )
    assert spoofed.status_code == 429
