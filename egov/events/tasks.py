"""Background jobs of the event log and the outbox (run by `python manage.py run_huey`)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import partitions, services

logger = logging.getLogger("egov.events.tasks")


@db_task()
def deliver_outbox_message(message_id: int) -> None:
    """Queued right after the commit that enqueued the message, so delivery is prompt."""
    services.dispatch_message(message_id)


services.register_worker_kick(deliver_outbox_message)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    """Every minute: deliver whatever is due (retries, and messages whose kick was lost)."""
    report = services.sweep_outbox()
    if report.claimed or report.dead:
        logger.info(
            "outbox sweep: %s claimed, %s delivered, %s retrying, %s dead",
            report.claimed,
            report.delivered,
            report.retrying,
            report.dead,
        )


@db_periodic_task(crontab(minute="*/5"))
def checkpoint_event_log() -> None:
    """Every five minutes: sign where the chains end (a cut of the log's end after this is
    found by verify_events), have the time-stamping authority attest it (and any checkpoint it
    did not attest before), and append both to the checkpoint file."""
    checkpoint = services.create_checkpoint()
    if checkpoint is not None:
        logger.info("event log checkpoint %s signed", checkpoint.pk)
    stamps = services.timestamp_checkpoints()
    if stamps.stamped:
        logger.info("%s event log checkpoints timestamped", stamps.stamped)
    services.sync_checkpoint_file()  # also catches up after a crash before the file append


# Huey's crontab runs in UTC: 19:30 UTC is 02:30 in Asia/Ho_Chi_Minh.
@db_periodic_task(crontab(hour="19", minute="30"))
def verify_event_log_nightly() -> None:
    """Every night: recompute the event chains; a broken chain is logged as an error."""
    result = services.verify_event_log()
    if result.ok:
        logger.info("event log verified: %s chains, %s events", result.chains, result.events)
    else:
        logger.error("EVENT LOG BROKEN: %s", result.first_break)


# 18:10 UTC is 01:10 in Asia/Ho_Chi_Minh, before the nightly verification.
@db_periodic_task(crontab(hour="18", minute="10"))
def ensure_event_partitions() -> None:
    """Every night (PostgreSQL): the current month and EVENT_PARTITIONS_AHEAD months after it
    have their partition of the event log; rows found in the DEFAULT partition are an error."""
    made = partitions.ensure_partitions()
    if made:
        logger.info("event log partitions created: %s", ", ".join(made))
    partitions.check_default_partition()
