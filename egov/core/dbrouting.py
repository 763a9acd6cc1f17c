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
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

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
