"""The rendered sections of the dashboard and 766 pages, cached per scope and selection.

Rendering two hundred agency rows, the filter lists and the 766 tables costs far more than the
aggregate reads (issue #19), and it is the same for every viewer with the same scope, selection
and language. So the sections are rendered once into HTML and kept in the shared cache (Redis in
production), under a key made of:

- the viewer's scope (the agencies they may see, `agency_scope`) and the selection's agencies: a
  leader never receives another scope's figures, whatever the query string says;
- the selection (period, agency, sector, procedure, channel), the page and the language.

Freshness, told on the page ("Số liệu cập nhật lúc HH:MM:SS" is the moment of the build):

- every recorded event that can move a figure (dossiers, payments, documents, organisation,
  catalogue, 766 definitions, calendar) bumps one version key, in its transaction and again
  after commit (the second bump covers a build that ran between the two and read the old rows);
  an entry built under another version is rebuilt — but not before it is SETTLE seconds old, so
  at the desk rush a busy scope is rebuilt at most every few seconds rather than on every
  request (`STATS_PAGE_SETTLE_SECONDS`, 0 in the tests);
- every entry lives at most TTL seconds: the parts not driven by events (how many dossiers are
  overdue right now, the national portal's acknowledgements) are never older than that.

Entries are built on the primary (`use_primary`): a build on a lagging replica would store old
figures under the new version, and nothing would replace them until the next change or the TTL.
Builds are rare (once per scope and selection per change), so the primary hardly notices; the
uncached reads (drill-down lists, chart data) may still go to the replica.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

from egov.core.dbrouting import use_primary
from egov.core.pagecache import set_version
from egov.events.models import Event
from egov.events.services import register_projector

VERSION_KEY = "stats:pages:version"
TTL_SECONDS = 120
DEFAULT_SETTLE_SECONDS = 10

# Event families that move something these pages show.
PREFIXES = (
    "dossier.",
    "payment.",
    "document.",
    "incoming_document.",
    "org.",
    "catalog.",
    "stats.",
    "calendar.",
)


def settle_seconds() -> float:
    return float(getattr(settings, "STATS_PAGE_SETTLE_SECONDS", DEFAULT_SETTLE_SECONDS))


def bump() -> None:
    """A figure may have changed: entries built before now are out of date. A random token, not
    a clock reading: two bumps under the same (or a frozen) clock still differ."""
    set_version(VERSION_KEY, uuid.uuid4().hex)  # never fails the change that bumps it


def _bump_after_commit() -> None:
    bump()


def changed() -> None:
    """Bump now, and once more when the outermost transaction commits (scheduled once)."""
    bump()
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        return
    if any(func is _bump_after_commit for _sids, func, _robust in conn.run_on_commit):
        return
    transaction.on_commit(_bump_after_commit, robust=True)


def _on_event(event: Event) -> None:
    changed()


for _prefix in PREFIXES:
    register_projector(_prefix)(_on_event)


def _digest(ids: Iterable[int] | None) -> str:
    if ids is None:
        return "all"
    return hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:32]


def key(
    page: str, scope: frozenset[int] | None, agency_ids: frozenset[int] | None, **parts: Any
) -> str:
    raw = "|".join(
        [
            page,
            str(get_language()),
            "scope=" + _digest(scope),
            "agencies=" + _digest(agency_ids),
            *(f"{k}={parts[k]}" for k in sorted(parts)),
        ]
    )
    return "stats:page:" + hashlib.sha256(raw.encode()).hexdigest()


def _current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY, "")
    return str(version)


def sections(cache_key: str, build: Callable[[], dict[str, str]]) -> dict[str, str]:
    """The HTML sections under `cache_key`, built (on the primary) when missing or out of date."""
    got = cache.get_many([VERSION_KEY, cache_key])
    entry = got.get(cache_key)
    version = got.get(VERSION_KEY)
    if version is None:
        version = _current_version()
    if entry is not None:
        built_version, built_ts, html = entry
        age = time.time() - built_ts  # negative when the clock went back: not trusted
        if built_version == version or 0 <= age < settle_seconds():
            return dict(html)
    # The version is read before the figures: a change committed during the build leaves a newer
    # version behind, and the next request rebuilds.
    started = time.time()
    with use_primary():
        html = build()
    cache.set(cache_key, (version, started, html), TTL_SECONDS)
    return html
