"""A small fixed-window rate limit on the shared cache (lookups by code + second factor)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from django.utils import timezone

from egov.core.clientip import rate_limit_key


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt; False once `limit` attempts were made in the current window."""
    window = int(timezone.now().timestamp()) // window_seconds
    cache_key = f"rl:{key}:{window}"
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        return _redis_hit(backend, cache_key, window_seconds + 5) <= limit
    # One round trip to the cache once the window's counter exists (every attempt but the
    # first of a window): increment first, create only when it is missing.
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # Unless another process created it in between.
        created = cache.add(cache_key, 1, timeout=window_seconds + 5)
        count = 1 if created else cache.incr(cache_key)
    return count <= limit


def allow_lookup(request: HttpRequest) -> bool:
    """Public lookups by code + second factor: LOOKUP_RATE_LIMIT_PER_MINUTE per address (an IPv6
    client: per /64 network; 10)."""
    limit = int(getattr(settings, "LOOKUP_RATE_LIMIT_PER_MINUTE", 10))
    return hit(f"lookup:{rate_limit_key(request)}", limit=limit, window_seconds=60)


# INCR, and EXPIRE on the window's first hit, as one atomic command.
_COUNT = (
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n"
)


def _redis_hit(backend: RedisCache, cache_key: str, timeout: int) -> int:
    """INCR and EXPIRE in one round trip: Django's RedisCache.incr checks that the key exists
    first (two round trips), and a redis-py pipeline copies the client's ~170 response
    callbacks on every call (a fifth of a millisecond per lookup); a short script does neither."""
    key = backend.make_and_validate_key(cache_key)
    client = backend._cache.get_client(key, write=True)  # the backend's own redis-py client
    return int(client.execute_command("EVAL", _COUNT, 1, key, timeout))
