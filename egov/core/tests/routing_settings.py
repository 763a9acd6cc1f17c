"""Settings of the application the read-routing test runs in its own process (test_read_routing):
the test settings, plus a URL for the test to change a procedure's name through the catalogue's
service, as an operator's edit would."""

from egov.settings.test import *  # noqa: F403

ROOT_URLCONF = "egov.core.tests.routing_app"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
