"""Test settings: fast hashing, immediate background jobs, in-memory mail."""

from .base import *  # noqa: F403
from .base import HUEY

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HUEY = {**HUEY, "immediate": True}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# No shared checkpoint file: each test database is new (tests that need one set a temporary file).
EVENT_CHECKPOINT_FILE = ""

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns when it is missing

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not the shared in-memory database: the live server of the browser tests then has
    # its own connection per request thread (concurrent htmx requests otherwise collide on one).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405

# `migrate` would load the government's announced days (workcalendar.apps) into every test
# database, with their events; tests build the calendar they mean to test instead, and
# workcalendar/tests/test_official_days_on_migrate.py turns the loading on to prove it.
WORKCALENDAR_LOAD_OFFICIAL_DAYS = False

if "replica" in DATABASES:  # noqa: F405
    # In-process tests cannot create a test database on a read-only standby: the alias mirrors
    # the test database, where the router's probe finds no standby and every read stays on the
    # primary. The real replica is exercised by egov/core/tests/test_read_routing.py, which runs
    # the application in its own process against a primary and a streaming replica (PgPair).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # noqa: F405

# The dashboard's cached sections are rebuilt as soon as a figure changes (no settling window),
# so a test that changes a figure sees it on the next request (egov/stats/pagecache.py).
STATS_PAGE_SETTLE_SECONDS = 0
