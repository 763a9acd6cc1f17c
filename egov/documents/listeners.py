"""Apps above documents that follow an outgoing document they asked for (a meeting's
conclusion notice, a consultation's result) register here to hear when it is issued; documents
never imports them (the layers contract).

A listener is called after the issuing transaction committed, with the document's id; it runs
its own action (its own transaction). A listener that fails is logged and does not undo the
issue: the app that listens also reconciles on its own schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

Listener = Callable[[int], None]
_issued: list[Listener] = []


def on_issued(listener: Listener) -> Listener:
    """Register `listener(document_id)` (at the app's ready(); idempotent)."""
    if listener not in _issued:
        _issued.append(listener)
    return listener


def document_issued(document_id: int) -> None:
    for listener in list(_issued):
        try:
            listener(document_id)
        except Exception:  # a listener's failure never undoes the issue
            logger.exception("documents: issued listener %r failed for %s", listener, document_id)
