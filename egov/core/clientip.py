"""The client's address as our rate limits and logs must see it.

Behind a reverse proxy every request comes from the proxy (REMOTE_ADDR is 127.0.0.1 behind
nginx → gunicorn), so a limit keyed on REMOTE_ADDR is one limit shared by everyone. Each proxy
appends the address it received the request from to `X-Forwarded-For`; with
`TRUSTED_PROXY_COUNT` = N proxies of our own in front of Django, the client is the N-th entry
from the right. Entries further left were sent by the client and are never trusted, so a forged
header cannot change the result. With N = 0 (the default: Django faces the clients directly)
the header is ignored altogether.

allauth (`ALLAUTH_TRUSTED_PROXY_COUNT`, and `AccountAdapter.get_client_ip`) and DRF's throttles
(`NUM_PROXIES`) are configured from the same setting.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _clean(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51000"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def trusted_proxy_count() -> int:
    return max(0, int(getattr(settings, "TRUSTED_PROXY_COUNT", 0)))


def client_ip(request: HttpRequest) -> str:
    """The address of the client that reached our first trusted proxy (or Django itself)."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    count = trusted_proxy_count()
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    if count and forwarded:
        entries = [entry for entry in forwarded.split(",") if entry.strip()]
        if entries:
            # Fewer entries than proxies: the request skipped the outer proxies, and the
            # leftmost entry is what the first one it met saw (as DRF's NUM_PROXIES does).
            chosen = _clean(entries[-min(count, len(entries))])
            if chosen is not None:
                return chosen
    return _clean(remote) or remote or "unknown"


# One IPv6 customer gets a whole /64 (often more): a limit keyed on the full address is reset by
# changing the interface id. allauth keys its own per-address rates the same way
# (ALLAUTH_RATE_LIMIT_IPV6_PREFIX, default 64).
IPV6_RATE_LIMIT_PREFIX = 64


def rate_limit_key(request: HttpRequest) -> str:
    """The client as rate limits count it: its IPv4 address, or its IPv6 /64 network."""
    ip = client_ip(request)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.IPv6Network(f"{address}/{IPV6_RATE_LIMIT_PREFIX}", strict=False)
        return str(network)
    return ip
