"""Background jobs of the sharing area (run by `manage.py run_huey`)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from egov.core.actors import SYSTEM

from . import services
from .log import verify_message_log

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
def checkpoint_message_log() -> None:
    """Sign where the message log ends, every five minutes (nothing new: still a checkpoint, so
    a cut right after it is found)."""
    services.checkpoint_message_log(actor=SYSTEM)


@db_periodic_task(crontab(hour="19", minute="40"))
def verify_message_log_nightly() -> None:
    report = verify_message_log()
    if not report.ok:
        broken = report.first_break
        assert broken is not None
        logger.error("MESSAGE LOG BROKEN at #%s: %s", broken.seq, broken.reason)
