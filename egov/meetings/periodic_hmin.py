"""Background jobs of minutes, conclusions and tasks (huey; imported by tasks.py)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import conclusions, tasks

logger = logging.getLogger("egov.meetings.periodic_hmin")


# Huey's crontab runs in UTC: 01:15 UTC is 08:15 in Asia/Ho_Chi_Minh. The service sends only on
# working days (the assignee agency's calendar) and at most once a day per task.
@db_periodic_task(crontab(minute="15", hour="1"))
def remind_tasks() -> None:
    """Tasks two working days before their deadline, and overdue ones."""
    report = tasks.send_task_reminders()
    if report.before_due or report.overdue:
        logger.info("task reminders: %s before due, %s overdue", report.before_due, report.overdue)


@db_periodic_task(crontab(minute="*/10"))
def reconcile_conclusions() -> None:
    """Conclusion notices issued by the documents app whose listener did not run or failed."""
    done = conclusions.reconcile_issued()
    if done:
        logger.warning("conclusions marked issued by the reconciler: %s", done)
