"""Written consultation's background job: reminders, then closing at the deadline (and carrying
on a closed consultation whose result was not drafted or issued yet)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import consultations

logger = logging.getLogger("egov.meetings.consultations")


# Every 15 minutes, day and night: a deadline is the end of a working day, and the close must
# follow it closely (answers after it are refused already; the tally waits for the worker).
@db_periodic_task(crontab(minute="*/15"))
def consultations_due() -> None:
    reminded = consultations.send_reminders()
    closed = consultations.close_due()
    if reminded or closed:
        logger.info("consultations: %s reminded, %s closed", reminded, len(closed))
