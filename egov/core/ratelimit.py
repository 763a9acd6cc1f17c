"""A small fixed-window rate limit on the shared cache (lookups by code + second factor)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from egov.core.clientip import rate_limit_key


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt; False once `limit` attempts were made in the current window."""
    window = int(timezone.now().timestamp()) // window_seconds
    cache_key = f"rl:{key}:{window}"
    cache.add(cache_key, 0, timeout=window_seconds + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        cache.set(cache_key, 1, timeout=window_seconds + 5)
        count = 1
    return count <= limit


def allow_lookup(request: HttpRequest) -> bool:
    """Public lookups by code + second factor: LOOKUP_RATE_LIMIT_PER_MINUTE per address (an IPv6
    client: per /64 network; 10)."""
    limit = int(getattr(settings, "LOOKUP_RATE_LIMIT_PER_MINUTE", 10))
    return hit(f"lookup:{rate_limit_key(request)}", limit=limit, window_seconds=60)
