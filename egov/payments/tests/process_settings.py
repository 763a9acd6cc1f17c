"""Settings of the web and worker processes the kill -9 test starts (test_national_worker_kill):
the test settings, on the test database (DATABASE_URL from the test), with a real task queue in a
file they share (not run inline) and a short outbox lease, so a message a killed worker held is
taken again within seconds."""

import os

from egov.settings.test import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "egov",
    "filename": os.environ["EGOV_TEST_HUEY_FILE"],
    "immediate": False,
    "consumer": {"workers": 2, "worker_type": "thread"},
}
OUTBOX_LEASE_SECONDS = 2
