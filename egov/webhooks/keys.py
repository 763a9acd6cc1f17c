"""Signing secrets: made, encrypted at rest, read back to sign.

A Standard Webhooks secret is `whsec_` + base64 of 32 random bytes. The platform must sign with
it, so it is stored encrypted (Fernet: AES-128-CBC + HMAC-SHA256) under a key that is not in the
database: WEBHOOK_SECRETS_KEY from the environment (any long random string), or, if unset, a key
derived from SECRET_KEY. A copy of the database alone does not give the secrets; rotating
WEBHOOK_SECRETS_KEY means re-encrypting (`manage.py` shell: not provided) or rotating every
subscription's secret.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _fernet() -> Fernet:
    material = str(getattr(settings, "WEBHOOK_SECRETS_KEY", "") or settings.SECRET_KEY)
    digest = hashlib.sha256(b"egov.webhooks.signing-secrets:" + material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            "webhook secret cannot be decrypted (WEBHOOK_SECRETS_KEY changed?)"
        ) from exc
