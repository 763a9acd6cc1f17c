"""The secretariat's background job: reminders before meetings (run by `manage.py run_huey`)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.meetings import send_reminders

logger = logging.getLogger("egov.meetings.periodic_hsec")


@db_periodic_task(crontab(minute="*/5"))
def remind_meetings() -> None:
    """Every five minutes: the day-before and hour-before reminders that are due (each sent
    once per meeting time: markers on the meeting and outbox keys)."""
    sent = send_reminders()
    if sent:
        logger.info("meeting reminders sent to %s people", sent)
