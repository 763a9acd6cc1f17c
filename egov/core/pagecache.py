"""Whole public pages cached for anonymous visitors, invalidated by version keys.

The catalogue list, a procedure page, search results, the home page and the transparency page
are the same for every anonymous visitor, and they are the portal's heaviest traffic. Each such
view hands its rendering to `cached_page`, which keeps the rendered HTML in Django's cache
(Redis in production and in the benchmark) under a key made of

- the page's namespaces' current **versions** (e.g. "catalog", "org"): a change to the data a
  namespace covers bumps its version (`bump_on_commit`, called by the owning app's event
  projector, so in the same transaction as the change and only once it commits); every entry
  built under the old version is then never read again (it expires on its own);
- the language, the full path with its query string, and whatever the view adds (an htmx
  partial, the day).

What must not be shared is kept out of the stored HTML:

- only anonymous visitors without pending messages are served from the cache; a signed-in
  user's page (the header shows their name) is rendered for them, never stored;
- the CSRF token of the header's forms is replaced by a placeholder in the stored copy and by
  the visitor's own token on every answer;
- a page that used a CSP nonce is never stored (the policy here has none: no inline script);
- per-request values (a due date "if submitted now") are *slots*: the view renders a marker,
  and the marker is filled for each answer.

Entries are built inside `use_primary()`: a lagging replica cannot put data older than the
change that invalidated them back into the cache.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache, caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.html import escape

from .dbrouting import use_primary

logger = logging.getLogger(__name__)

VERSION_PREFIX = "pagecache:version:"
PAGE_PREFIX = "pagecache:page:"
CSRF_PLACEHOLDER = "[[pagecache:csrf]]"
CSRF_INPUT_RE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
HIT_HEADER = "X-Page-Cache"  # "hit", "miss" or "off": read by the tests and the benchmark


def timeout() -> int:
    """How long an entry lives at most (seconds; 0 switches the page cache off)."""
    return int(getattr(settings, "PAGE_CACHE_SECONDS", 600))


def slot(name: str) -> str:
    """The marker a template renders where a per-request value goes."""
    return f"[[pagecache:slot:{name}]]"


# --- versions --------------------------------------------------------------------------------


def versions(namespaces: Iterable[str]) -> tuple[str, ...]:
    """The current version of each namespace (a missing one is created)."""
    names = list(namespaces)
    keys = [VERSION_PREFIX + n for n in names]
    found = cache.get_many(keys)
    out = []
    for key in keys:
        value = found.get(key)
        if value is None:
            cache.add(key, secrets.token_hex(8), None)
            value = cache.get(key) or "0"
        out.append(str(value))
    return tuple(out)


def set_version(key: str, value: str) -> None:
    """Write a cache version key without ever failing the change that asked for it.

    Version bumps run inside state changes (or right after their commit). A cache that cannot be
    written — Redis down, or the database cache's table not created yet, as during the first
    `migrate` when its post-migrate loaders record events — must not undo or fail the change:
    the pages then live until their expiry instead. With the database cache the write runs in a
    savepoint, so a failing write leaves the caller's PostgreSQL transaction usable."""
    try:
        # `cache` is a proxy: the backend itself is caches["default"].
        if isinstance(caches["default"], BaseDatabaseCache):
            with transaction.atomic():
                cache.set(key, value, None)
        else:
            cache.set(key, value, None)
    except Exception as exc:
        # One line (a fresh database's first migrate writes a dozen of these): the cause is named.
        first = (str(exc).splitlines() or [""])[0]
        logger.warning(
            "page cache version %s not written (%s: %s); pages live until they expire",
            key,
            type(exc).__name__,
            first,
        )


def bump(namespace: str) -> None:
    """Give the namespace a new version now: every page built under the old one is dropped."""
    set_version(VERSION_PREFIX + namespace, secrets.token_hex(8))


def bump_on_commit(namespace: str) -> None:
    """Bump once the current transaction commits (at once outside one): a page rebuilt between
    the change and the commit would otherwise be kept under the new version with old data."""
    transaction.on_commit(partial(bump, namespace))


# --- pages -----------------------------------------------------------------------------------


def _shareable_visitor(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return False
    # Pending messages (e.g. "you have signed out") are this visitor's own.
    return not list(messages.get_messages(request))


def _fill(html: str, slots: Mapping[str, str]) -> str:
    for name, value in slots.items():
        html = html.replace(slot(name), value)
    return html


def _answer(html: str, content_type: str, request: HttpRequest, state: str) -> HttpResponse:
    html = html.replace(CSRF_PLACEHOLDER, escape(get_token(request)))
    response = HttpResponse(html, content_type=content_type)
    response[HIT_HEADER] = state
    return response


def page_key(request: HttpRequest, namespaces: Iterable[str], parts: Iterable[str]) -> str:
    raw = "\x1f".join(
        [
            *versions(namespaces),
            translation.get_language() or "",
            request.get_full_path(),
            *parts,
        ]
    )
    return PAGE_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def cached_page(
    request: HttpRequest,
    build: Callable[[], HttpResponse],
    *,
    namespaces: Iterable[str],
    parts: Iterable[str] = (),
    slots: Callable[[Mapping[str, Any]], Mapping[str, str]] | None = None,
    seconds: int | None = None,
) -> HttpResponse:
    """The page `build()` renders, from the cache for an anonymous visitor.

    `build` renders the page with `slot(name)` markers where the values of `slots(meta)` go
    (`meta`: what the built response carried as `pagecache_meta`, stored with the page, so a
    slot needs no query); only a 200 HTML answer is stored. `seconds` bounds the entry's life
    (default `PAGE_CACHE_SECONDS`), for pages whose data also change without an event
    (popularity, figures of the day)."""
    life = timeout() if seconds is None else min(seconds, timeout())
    shareable = life > 0 and _shareable_visitor(request)
    if not shareable:
        response = build()
        if slots is not None and isinstance(response, HttpResponse) and not response.streaming:
            meta = getattr(response, "pagecache_meta", {})
            response.content = _fill(response.content.decode(), slots(meta)).encode()
        response[HIT_HEADER] = "off"
        return response
    key = page_key(request, namespaces, parts)
    entry = cache.get(key)
    if entry is not None:
        html, content_type, meta = entry
        return _answer(_fill(html, slots(meta) if slots else {}), content_type, request, "hit")
    with use_primary():
        response = build()
    if response.status_code != 200 or response.streaming or response.cookies:
        response[HIT_HEADER] = "off"
        return response
    html = response.content.decode()
    content_type = response.get("Content-Type", "text/html; charset=utf-8")
    meta = dict(getattr(response, "pagecache_meta", {}))
    if not isinstance(getattr(request, "_csp_nonce", None), str):  # a nonce: never shared
        stored = CSRF_INPUT_RE.sub(rf"\1{CSRF_PLACEHOLDER}\2", html)
        cache.set(key, (stored, content_type, meta), life)
    # This answer carries the token it was rendered with (the stored copy a placeholder).
    answer = HttpResponse(_fill(html, slots(meta) if slots else {}), content_type=content_type)
    answer[HIT_HEADER] = "miss"
    return answer
