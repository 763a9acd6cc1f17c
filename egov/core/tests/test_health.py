"""The health endpoint that load balancers poll."""

from __future__ import annotations

import pytest
from django.db import DatabaseError


@pytest.mark.django_db
def test_health_answers_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_says_so_when_the_database_is_unreachable(client, monkeypatch):
    from egov.core import views

    class Broken:
        def __enter__(self):
            raise DatabaseError("connection refused")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(views.connection, "cursor", lambda: Broken())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "database unavailable"
