"""Benchmark: production behaviour, runnable on this machine over plain HTTP on 127.0.0.1.

Used by the gunicorn and Huey processes that `python manage.py bench` starts. As production
(egov/settings/production.py) minus what needs HTTPS in front (SSL redirect, secure and
`__Host-` cookies, HSTS) and minus its PostgreSQL-only guard, so the benchmark also runs on
SQLite. DATABASE_URL is the benchmark's own database (set by the command); connections are
kept open; the Huey queue, uploaded files and mail go to EGOV_BENCH_DIR; logging is WARNING.
"""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES, HUEY

DEBUG = False

BENCH_DIR = Path(os.environ.get("EGOV_BENCH_DIR", Path(tempfile.gettempdir()) / "egov-bench"))
BENCH_DIR.mkdir(parents=True, exist_ok=True)

if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = None  # persistent, as behind a production server

# The outbox kick after each submission goes to a real queue (not run inline), in a file of
# this run; `run_huey` with these settings drains it.
HUEY = {
    **HUEY,
    "huey_class": "huey.SqliteHuey",
    "filename": str(BENCH_DIR / "huey.sqlite3"),
    "immediate": False,
}
HUEY.pop("database", None)

MEDIA_ROOT = BENCH_DIR / "media"
MEETINGS_RENDER_CACHE = str(BENCH_DIR / "cache" / "meetings")
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = BENCH_DIR / "mail"
SMS_GATEWAY = "egov.bench.support.DiscardSmsGateway"
EVENT_CHECKPOINT_FILE = str(BENCH_DIR / "event-checkpoints.jsonl")

# Every lookup comes from 127.0.0.1: the per-address limit would stop the run after 10.
LOOKUP_RATE_LIMIT_PER_MINUTE = 1_000_000_000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# As in production (docs/deployment.md): the shared cache is Redis, so the lookup rate limit and
# allauth's login limits are atomic counters rather than database rows.
CACHES = {
    "default": {
        "BACKEND": "egov.core.rediscache.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"),
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"  # as production with Redis
