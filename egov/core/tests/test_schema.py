"""The OpenAPI schema served by the app is valid and documents every API group."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_schema_validates_without_warnings(tmp_path, capsys):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/v1/dossiers/",
        "/api/v1/catalog/procedures/",
        "/api/v1/tracking/",
        "/api/v1/org/agencies/",
        "/api/v1/events/",
        "/api/v1/calendar/add-working-days/",
    ):
        assert path in text
    assert "apiClientToken" in text
