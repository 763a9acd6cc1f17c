"""Which database a read goes to: the primary, or a streaming replica when that is safe.

The interface other apps use (the router, the middleware and the lag checks live here too):

- `@replica_ok` marks a read-only view whose data may lag the primary by a few seconds
  (dashboard, 766, transparency, public catalogue, public answers, search). Only such views, on
  GET/HEAD, may read the replica; everything else, and anything that decides a state change,
  reads the primary.
- `use_primary()` forces the primary inside a block, e.g. while building a cache entry that
  must never hold data older than the event that invalidated it.
- `replica_allowed()` tells whether reads in this context may go to the replica.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connections
from django.db.models import Model
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.crypto import salted_hmac

_replica_wanted: ContextVar[bool] = ContextVar("egov_replica_wanted", default=False)
_primary_forced: ContextVar[int] = ContextVar("egov_primary_forced", default=0)

F = TypeVar("F", bound=Callable[..., Any])


def replica_ok(view: F) -> F:
    """Mark a view as tolerant of replica lag (read-only pages and APIs only)."""
    view.replica_ok = True  # type: ignore[attr-defined]
    return view


def is_replica_ok(view: object) -> bool:
    # DRF's as_view() wraps the class: the mark may sit on the function or on its view class.
    if getattr(view, "replica_ok", False):
        return True
    cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
    return bool(getattr(cls, "replica_ok", False))


@contextlib.contextmanager
def use_primary() -> Iterator[None]:
    token = _primary_forced.set(_primary_forced.get() + 1)
    try:
        yield
    finally:
        _primary_forced.reset(token)


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may go to the replica (set by the middleware for marked views)."""
    token = _replica_wanted.set(True)
    try:
        yield
    finally:
        _replica_wanted.reset(token)


def replica_allowed() -> bool:
    return _replica_wanted.get() and not _primary_forced.get()


# --- the router ----------------------------------------------------------------------------------

REPLICA = "replica"
PRIMARY = "default"

# Reads that decide who the client is and what it may do, and the shared cache's table when the
# cache lives in the database, always come from the primary: a logged-out session, a revoked API
# token or a deleted cache entry must not live on for the replica's lag.
PRIMARY_ONLY_APPS = frozenset({"sessions", "accounts", "auth", "account", "mfa", "django_cache"})

log = logging.getLogger("egov.dbrouting")


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Writes go to the primary; reads to the replica only when `replica_allowed()`, the replica
    is up and close enough, and no transaction is open on the primary (what is read inside an
    atomic block usually decides what it writes)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        # Always a name, never None: Django would fall back to the instance's own database, and an
        # object read from the replica would drag its related reads there inside use_primary().
        if (
            replica_allowed()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and not connections[PRIMARY].in_atomic_block
            and replica_state()[0]
        ):
            return REPLICA
        return PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # one database, two copies

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY


# --- the replica's health and lag, per process ---------------------------------------------------

# Lag 0 when the standby streams and has replayed all it received (an idle primary writes no
# commits, so "now - last replayed commit" alone would call an idle, caught-up replica late);
# otherwise the age of the last replayed commit. NULL (nothing replayed since start) while behind:
# unknown, treated as too late.
LAG_SQL = """
SELECT pg_is_in_recovery(),
       COALESCE(pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(), false)
           AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver),
       EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8
"""


@dataclass
class Health:
    checked_at: float = -math.inf
    up: bool = False
    lag: float = math.inf
    reason: str = "unchecked"


_health = Health()
_probe_lock = threading.Lock()


def _probe() -> None:
    conn = connections[REPLICA]
    try:
        with conn.cursor() as cursor:
            cursor.execute(LAG_SQL)
            in_recovery, caught_up, age = cursor.fetchone()
    except Exception as exc:  # refused, timed out, or a test forbidding the alias: all "down"
        with contextlib.suppress(Exception):
            conn.close()
        _set_health(False, math.inf, f"down: {type(exc).__name__}")
        return
    if not in_recovery:
        # A promoted or mistaken "replica" no longer follows the primary.
        _set_health(False, math.inf, "not a standby")
    elif caught_up:
        _set_health(True, 0.0, "ok")
    else:
        _set_health(True, math.inf if age is None else max(float(age), 0.0), "ok")


def _set_health(up: bool, lag: float, reason: str) -> None:
    if up != _health.up and _health.reason != "unchecked":
        log.warning("read replica %s (%s)", "back up" if up else "unavailable", reason)
    _health.up, _health.lag, _health.reason = up, lag, reason
    _health.checked_at = time.monotonic()


def note_replica_failure() -> None:
    """A query on the replica failed: primary until the next probe finds it back."""
    with contextlib.suppress(Exception):
        connections[REPLICA].close()
    _set_health(False, math.inf, "failed during a request")


def replica_state() -> tuple[bool, str]:
    """(may reads go to the replica now, why not). Probes at most once per
    DB_REPLICA_CHECK_SECONDS while up, DB_REPLICA_RETRY_SECONDS while down; a thread finding
    another one probing uses the last result rather than wait."""
    if not replica_configured():
        return False, "none"
    ttl = settings.DB_REPLICA_CHECK_SECONDS if _health.up else settings.DB_REPLICA_RETRY_SECONDS
    if time.monotonic() - _health.checked_at >= ttl and _probe_lock.acquire(blocking=False):
        try:
            _probe()
        finally:
            _probe_lock.release()
    if not _health.up:
        return False, "down"
    lag = _health.lag
    if lag > 0:  # a replica behind at the last probe has fallen further behind since
        lag += time.monotonic() - _health.checked_at
    if lag > settings.DB_REPLICA_MAX_LAG_SECONDS:
        return False, "lag"
    return True, ""


def reset_health() -> None:
    """Forget the last probe (tests, and after reconfiguring the replica)."""
    _health.checked_at, _health.up, _health.lag, _health.reason = (
        -math.inf,
        False,
        math.inf,
        ("unchecked"),
    )


# --- the middleware ------------------------------------------------------------------------------

SAFE_METHODS = frozenset({"GET", "HEAD"})
STICKY_COOKIE = "egov_wrote"
STICKY_SALT = "egov.dbrouting.sticky"
READ_HEADER = "X-Egov-Read"

_WRITE = re.compile(
    r"\s*(?:(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO|TRUNCATE|COPY)\s+\"?([\w.]+)"
    r"|(CREATE|ALTER|DROP)\b)",
    re.IGNORECASE,
)


_CTE_WRITE = re.compile(r"\b(?:INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@functools.cache
def _primary_only_tables() -> frozenset[str]:
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in PRIMARY_ONLY_APPS
    }
    tables |= {
        str(c["LOCATION"])
        for c in settings.CACHES.values()
        if c["BACKEND"].endswith("DatabaseCache")
    }
    return frozenset(tables)


def is_replicated_write(sql: str) -> bool:
    """Does this statement change what the replica may serve? Writes to the tables that are
    always read from the primary (sessions, accounts, the cache table: a token's last use, a
    rate-limit counter) do not: a client polling an API would otherwise never leave the
    primary."""
    match = _WRITE.match(sql)
    if match is None:
        # A data-modifying CTE writes too.
        return sql.lstrip()[:4].upper() == "WITH" and bool(_CTE_WRITE.search(sql))
    table = match.group(1)
    return table is None or table.split(".")[-1] not in _primary_only_tables()


class _WriteWatch:
    """An execute wrapper on the primary's connection: did this request write anything the
    replica may serve?"""

    def __init__(self) -> None:
        self.wrote = False

    def __call__(
        self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: Any
    ) -> Any:
        if not self.wrote and is_replicated_write(str(sql)):
            self.wrote = True
        return execute(sql, params, many, context)


def _token_key(authorization: str) -> str:
    # Keyed hash: the cache never holds a token (or a basic-auth password) in any form.
    return "egov:wrote:" + salted_hmac(STICKY_SALT, authorization).hexdigest()


def _sticky(request: HttpRequest) -> bool:
    """Did this client write within DB_REPLICA_STICKY_SECONDS (read-your-writes)?"""
    if request.get_signed_cookie(
        STICKY_COOKIE, default=None, salt=STICKY_SALT, max_age=settings.DB_REPLICA_STICKY_SECONDS
    ):
        return True
    authorization = request.META.get("HTTP_AUTHORIZATION")
    if authorization:
        try:
            return bool(cache.get(_token_key(authorization)))
        except Exception:  # cache down: the primary is always right
            return True
    return False


def _make_sticky(request: HttpRequest, response: HttpResponseBase) -> None:
    seconds = settings.DB_REPLICA_STICKY_SECONDS
    # Browsers (sessions): a signed cookie holding nothing but its own time.
    response.set_signed_cookie(
        STICKY_COOKIE,
        "1",
        salt=STICKY_SALT,
        max_age=seconds,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    # API clients keep no cookies: their token (or basic credentials) marks them in the cache.
    authorization = request.META.get("HTTP_AUTHORIZATION")
    if authorization:
        try:
            cache.set(_token_key(authorization), 1, timeout=seconds)
        except Exception:
            log.warning("read routing: could not mark an API client as having written")


def _render(response: HttpResponseBase) -> HttpResponseBase:
    # A template response renders after the view returns: render it while the reads still go
    # where they were meant to (and a failing replica can still be retried).
    render = getattr(response, "render", None)
    if callable(render) and not getattr(response, "is_rendered", True):
        response = render()
    return response


class ReadRoutingMiddleware:
    """Runs the GET/HEAD of views marked `replica_ok` on the replica, unless the client wrote
    within DB_REPLICA_STICKY_SECONDS, the replica is down or lags past
    DB_REPLICA_MAX_LAG_SECONDS. Says which in the X-Egov-Read header (replica|primary).

    Last in MIDDLEWARE: its process_view calls the marked view itself (inside replica_reads()),
    so that the view and its rendering can be retried once on the primary if the replica fails
    on the way; every other middleware's process_view has run by then."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        watch = _WriteWatch()
        with connections[PRIMARY].execute_wrapper(watch):
            response = self.get_response(request)
        if watch.wrote or getattr(request, "_egov_unsafe_view", False):
            _make_sticky(request, response)
        read = getattr(request, "_egov_read", None)
        if read:
            response[READ_HEADER] = read
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        if request.method not in SAFE_METHODS:
            request._egov_unsafe_view = True  # type: ignore[attr-defined]
            return None
        if not is_replica_ok(view_func):
            return None
        if _sticky(request):
            reason = "sticky"
        else:
            ok, reason = replica_state()
            if ok:
                return self._on_replica(request, view_func, view_args, view_kwargs)
        request._egov_read = "primary"  # type: ignore[attr-defined]
        log.debug("read routing: %s %s on the primary (%s)", request.method, request.path, reason)
        return None

    def _on_replica(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase:
        try:
            with replica_reads():
                response = _render(view_func(request, *view_args, **view_kwargs))
            request._egov_read = REPLICA  # type: ignore[attr-defined]
            return response
        except (OperationalError, InterfaceError) as exc:
            log.warning("read routing: the replica failed during %s (%s)", request.path, exc)
            note_replica_failure()
        # Once, on the primary: a marked view only reads, running it again is harmless.
        with use_primary():
            response = _render(view_func(request, *view_args, **view_kwargs))
        request._egov_read = "primary"  # type: ignore[attr-defined]
        return response
