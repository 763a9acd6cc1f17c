"""Background jobs of the dashboard aggregates (run by `python manage.py run_huey`)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from . import aggregates

logger = logging.getLogger("egov.stats.tasks")


@db_periodic_task(crontab(minute="*"))
@lock_task("stats-maintain")
def maintain_stats() -> None:
    """Every minute: fold the counter increments into the daily and monthly tables, and close
    finished days (in-progress dossiers at the end of each day)."""
    folded, closed = aggregates.maintain()
    if closed:
        logger.info("stats: %s counter rows folded, %s day(s) closed", folded, closed)
