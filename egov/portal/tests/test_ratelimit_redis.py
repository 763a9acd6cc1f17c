"""The lookup rate limit on the production cache (the machine's real Redis server)."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import caches
from django.test import override_settings

from egov.core.ratelimit import hit

REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/15",
    }
}


def test_concurrent_hits_are_counted_exactly_on_redis():
    with override_settings(CACHES=REDIS):
        caches["default"].clear()
        results: list[bool] = []
        lock = threading.Lock()

        def worker() -> None:
            for _ in range(10):
                allowed = hit("lookup:bench-ip", limit=50, window_seconds=60)
                with lock:
                    results.append(allowed)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        caches["default"].clear()
    # 80 attempts against a limit of 50: exactly 50 allowed, never more.
    assert results.count(True) == 50 and results.count(False) == 30


@pytest.fixture(autouse=True)
def _close_redis():  # type: ignore[no-untyped-def]
    yield
    caches["default"].close()


def test_a_redis_window_counts_in_one_round_trip_and_expires():
    with override_settings(CACHES=REDIS):
        backend = caches["default"]
        backend.clear()
        client = backend._cache.get_client(write=True)
        assert [hit("lookup:one-rt", limit=2, window_seconds=60) for _ in range(3)] == [
            True,
            True,
            False,
        ]
        keys = client.keys("*rl:lookup:one-rt:*")
        assert len(keys) == 1
        assert int(client.get(keys[0])) == 3
        assert 0 < client.ttl(keys[0]) <= 65  # set by the first hit, never pushed on
        backend.clear()
