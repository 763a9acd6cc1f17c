"""The API documentation renders under the strict Content-Security-Policy (no inline script):
Swagger UI's start-up script comes from its own address, so the page is not left blank."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_api_docs_page_runs_no_inline_script(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert "script-src 'self'" in page["Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.content.decode(), re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    start = client.get("/api/v1/docs/?script=")
    assert start.status_code == 200
    assert "SwaggerUIBundle" in start.content.decode()
