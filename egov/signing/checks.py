"""Deploy checks: production must not sign with the development keystore key."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register

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
