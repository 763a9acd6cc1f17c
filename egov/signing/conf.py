"""Signing settings: a Django setting of the name, else the environment variable of the name.

SIGNING_KEYSTORE_KEY     key(s) encrypting PKCS#12 passphrases and PINs (comma-separated: the
                         first encrypts, all decrypt)
SIGNING_PKCS11_MODULE    path of the token/HSM vendor's PKCS#11 library (.so)
SIGNING_PKCS11_PIN       user PIN of the token when an identity does not carry its own
SIGNING_TRUST_ROOT_FILES comma-separated PEM files of root CAs to trust besides the database list
SIGNING_FONTS            (setting only) {"regular"|"bold"|"serif_bold"|"script": path} overrides
"""

from __future__ import annotations

import os

from django.conf import settings


def setting(name: str, default: str = "") -> str:
    value = getattr(settings, name, None)
    if value in (None, ""):
        value = os.environ.get(name, default)
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def setting_list(name: str) -> list[str]:
    return [item.strip() for item in setting(name).split(",") if item.strip()]
