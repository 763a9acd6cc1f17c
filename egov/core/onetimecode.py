"""One-time codes handed to a person out of band (on paper, read aloud): generated, shown once,
stored only as a keyed hash. Used for the desk codes of citizens and the second-factor enrolment
codes of officials (egov.accounts.services)."""

from __future__ import annotations

import hmac
import secrets

from django.utils.crypto import salted_hmac

# Crockford-like: no 0/O, 1/I/L, so that a code read off paper is typed right; 10 symbols of 32
# are 50 bits.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 10


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    """The code as shown to a person: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def clean_code(code: str) -> str:
    """What was typed, without spaces, dashes and case."""
    return "".join(ch for ch in (code or "").upper() if ch.isascii() and ch.isalnum())


def hash_code(purpose: str, code: str) -> str:
    """Keyed (SECRET_KEY) hash of a cleaned code; `purpose` separates the kinds of code."""
    return salted_hmac(purpose, code, algorithm="sha256").hexdigest()


def matches(purpose: str, code: str, digest: str) -> bool:
    clean = clean_code(code)
    return bool(clean) and hmac.compare_digest(hash_code(purpose, clean), digest)
