"""Background jobs of the one-stop system (run by `python manage.py run_huey`)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import reminders

logger = logging.getLogger("egov.onestop.tasks")


# Huey's crontab runs in UTC: hours 0-10 UTC are 07:00-17:30 in Asia/Ho_Chi_Minh. The service
# itself skips days off (weekends, holidays) by the province's working calendar.
@db_periodic_task(crontab(minute="0,30", hour="0-10"))
def remind_due_steps() -> None:
    """Every 30 minutes in working hours: near-due and overdue reminders, with escalation."""
    report = reminders.send_due_reminders()
    if report.total:
        logger.info(
            "reminders: %s steps checked, sent %s",
            report.checked,
            dict(report.sent),
        )
