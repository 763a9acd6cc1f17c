"""The generated catalogue and the public-pages benchmark's freshness check (issue #19)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from django.core.cache import caches
from django.test import override_settings

from egov.bench.catalogue import build_document, generate_catalogue
from egov.bench.public import freshness
from egov.catalog import services
from egov.catalog.models import OnlineMode, Procedure
from egov.core.actors import SYSTEM


def _redis(db: int) -> dict[str, dict[str, str]]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:6379/{db}",
        }
    }


def test_the_generated_catalogue_is_varied_and_valid():
    document = build_document(400)
    procedures = document["procedures"]
    codes = [p["code"] for p in procedures]
    assert len(set(codes)) == 400
    assert all(not services.check_code(c) for c in codes)
    assert len({p["name"] for p in procedures}) > 350
    assert len({p["sector"] for p in procedures}) >= 35
    assert {p["online_mode"] for p in procedures} == {2, 3, 4}
    assert {p["level"] for p in procedures} == {"commune", "province"}
    assert any("dang ky" in p["name"].lower() or "Đăng ký" in p["name"] for p in procedures)
    for p in procedures:
        steps = [
            services.StepSpec(s["name"], s["role"], str(s["budget"]), s.get("unit_kind", ""))
            for s in (p.get("process") or {}).get("steps", [])
        ]
        if steps:
            assert not services.check_steps(steps, p["processing_time"], p["time_unit"])
    # The same seed, the same catalogue: a second run adds nothing.
    assert build_document(400) == document


@pytest.mark.django_db
def test_the_generated_catalogue_goes_through_the_import():
    result = generate_catalogue(12, log=lambda _line: None)
    assert Procedure.objects.filter(code__startswith="3.", is_published=True).count() == 12
    assert "12 thủ tục mới" in result.summary()
    again = generate_catalogue(12, log=lambda _line: None)
    assert "0 thủ tục mới" in again.summary()


@pytest.mark.django_db(transaction=True)
def test_the_freshness_check_sees_the_change_on_the_next_request(live_server, agency):  # type: ignore[no-untyped-def]
    sector = services.create_sector(actor=SYSTEM, code="HT", name="Hộ tịch")
    services.create_procedure(
        actor=SYSTEM,
        code="3.000001.000.00.00.H41",
        name="Đăng ký khai sinh mẫu",
        sector=sector,
        level="commune",
        processing_time=Decimal("1"),
        online_mode=OnlineMode.FULL,
        agencies=[agency],
        is_published=True,
        steps=[services.StepSpec("Xử lý", "specialist", "1")],
    )
    port = urlparse(live_server.url).port
    with override_settings(CACHES=_redis(5)):  # the server's cache
        caches["default"].clear()
        try:
            same = SimpleNamespace(env={"REDIS_URL": "redis://127.0.0.1:6379/5"})
            result = freshness(same, port)  # type: ignore[arg-type]
            assert result.problems == [] and result.metrics["fresh"] == 1.0
            rows = result.tables[0].rows
            assert rows[0][1] == "hit" and rows[0][2] == "miss"  # it was cached, then rebuilt
            assert Procedure.objects.get().name == "Đăng ký khai sinh mẫu"  # put back
        finally:
            caches["default"].clear()
            caches["default"].close()
