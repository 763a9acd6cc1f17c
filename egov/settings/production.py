"""Production: everything security-relevant is on; secrets must come from the environment.

The process refuses to start (ImproperlyConfigured at import) rather than run with a guessable
secret: `manage.py check --deploy` is advice an installation may never run.
"""

import os

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

from egov.signing.keystore import DEV_KEYSTORE_KEY

from .base import *  # noqa: F403
from .base import SECRET_KEY

DEBUG = False
# Django's own rule (security.W009: 50+ characters, 5+ distinct, not "django-insecure-"), with
# its own constants, plus our development default.
if (
    SECRET_KEY.startswith(("dev-insecure", SECRET_KEY_INSECURE_PREFIX))
    or len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
):
    raise ImproperlyConfigured(
        "Set a strong SECRET_KEY in production: 50+ random characters, not a repeated one."
    )
if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL.")

# The first key encrypts the signing keys' passphrases (egov.signing.keystore); the development
# default is public, so signing keys under it are as good as unprotected. Later keys only decrypt
# (rotation), so an old development key may still follow a real one there.
_keystore_keys = [k.strip() for k in os.environ.get("SIGNING_KEYSTORE_KEY", "").split(",")]
if not _keystore_keys[0] or _keystore_keys[0] == DEV_KEYSTORE_KEY:
    raise ImproperlyConfigured(
        "Set SIGNING_KEYSTORE_KEY (a long random secret kept outside the database): without it "
        "the signing keys would be protected by the public development key."
    )
if len(_keystore_keys[0]) < 32:
    raise ImproperlyConfigured("SIGNING_KEYSTORE_KEY must be at least 32 random characters.")

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
# Load balancers probe the health endpoint over plain HTTP: a 301 there reads as "down".
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
