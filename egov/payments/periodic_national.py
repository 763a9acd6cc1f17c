"""The national payment platform's background job (run by `manage.py run_huey`): attempts with
no callback yet are QUERYed, and those whose time ran out are abandoned."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.national import poll_open_attempts

logger = logging.getLogger("egov.payments.periodic_national")


@db_periodic_task(crontab(minute="*"))
def poll_national_attempts() -> None:
    """Every minute: QUERY the platform about attempts still open after
    PAYMENT_QUERY_AFTER_MINUTES (through the outbox), abandon the hopeless ones."""
    report = poll_open_attempts()
    if report.queried or report.abandoned:
        logger.info(
            "national platform: %s attempts queried, %s abandoned",
            report.queried,
            report.abandoned,
        )
