"""Deploy checks: production must not sign with the development keystore key, and should have
its event-log checkpoints timestamped by an outside authority."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, Warning, register

from .conf import setting
from .keystore import uses_dev_key


@register(Tags.security, deploy=True)
def keystore_key_configured(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if uses_dev_key():
        return [
            Error(
                "SIGNING_KEYSTORE_KEY is not set: the signing keys would be protected by the "
                "public development key.",
                hint="Set SIGNING_KEYSTORE_KEY to a long random secret kept outside the database.",
                id="signing.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def timestamp_authority_configured(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    if not setting("TSA_URL"):
        return [
            Warning(
                "TSA_URL is not set: the event-log checkpoints carry no RFC 3161 timestamp from "
                "an outside authority, so whoever holds SECRET_KEY could forge or back-date one.",
                hint="Set TSA_URL to the time-stamping authority of a licensed CA and trust its "
                "root (SIGNING_TRUST_ROOT_FILES or the trust list).",
                id="signing.W002",
            )
        ]
    return []
