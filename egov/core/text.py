"""Unicode normalisation of incoming text, applied once at the boundary (forms and API).

The same Vietnamese name can arrive precomposed (NFC, "ễ" as one code point) or decomposed
(NFD, "e" + two combining marks, as macOS and some keyboards send it). Stored unnormalised, the
two spellings look identical but compare, sort, search and deduplicate as different strings.
Every string value posted to a page (request.GET/POST, by middleware) or to the API (by the
parsers in egov.core.parsers) is turned into NFC before any form, serializer or service sees it.

Secrets are left exactly as typed: a password is compared against a hash of the bytes the user
typed when setting it, and normalising it now would lock out whoever set one in NFD before.

The other Vietnamese text helpers live here too, so that every app folds text the same way:
`strip_accents` (tone marks and đ away), `normalize_vietnamese` (the search form of a text, for
stored search columns and for queries alike) and `collapse_spaces` (one line, single spaces).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.http import QueryDict

# Deeper than any payload the API defines (form data is component -> field -> value); a bound,
# so that walking a hostile body ends in a clear 400, never a RecursionError.
MAX_DEPTH = 32


class TooDeep(ValueError):
    """A structure nested deeper than MAX_DEPTH."""


def is_secret(key: object) -> bool:
    return isinstance(key, str) and "password" in key.lower()


def nfc(value: str) -> str:
    if value.isascii() or unicodedata.is_normalized("NFC", value):
        return value
    return unicodedata.normalize("NFC", value)


def strip_accents(text: str) -> str:
    """Vietnamese without tone marks and accents, đ → d ("Đặng Hạ Long" → "Dang Ha Long")."""
    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


def collapse_spaces(text: str) -> str:
    """One line: runs of whitespace become one space, ends trimmed, NFC."""
    return nfc(" ".join((text or "").split()))


_NON_WORD = re.compile(r"[^0-9a-z.]+")
_STRAY_DOTS = re.compile(r"(?<![0-9a-z])\.|\.(?![0-9a-z])")
_SPACES = re.compile(r"\s+")


def normalize_vietnamese(text: str) -> str:
    """Lower-case, accents and tone marks removed, đ → d, punctuation to single spaces.

    ``normalize_vietnamese("Đăng ký KHAI SINH (lần đầu)") == "dang ky khai sinh lan dau"``;
    dots inside words survive so procedure codes stay searchable ("1.001193.000.00.00.h41").
    """
    if not text:
        return ""
    text = strip_accents(unicodedata.normalize("NFKC", str(text)).lower())
    text = _NON_WORD.sub(" ", text)
    text = _STRAY_DOTS.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def normalize_data(value: Any, *, max_depth: int = MAX_DEPTH) -> Any:
    """NFC for every string in parsed JSON (keys and values), secrets aside; raises TooDeep."""
    return _walk(value, max_depth)


def _walk(value: Any, depth_left: int) -> Any:
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dict):
        if depth_left <= 0:
            raise TooDeep
        return {
            (nfc(k) if isinstance(k, str) else k): (v if is_secret(k) else _walk(v, depth_left - 1))
            for k, v in value.items()
        }
    if isinstance(value, list):
        if depth_left <= 0:
            raise TooDeep
        return [_walk(v, depth_left - 1) for v in value]
    return value


def normalize_querydict(data: QueryDict) -> QueryDict:
    """The same QueryDict when nothing needs normalising (the usual case), else an immutable
    NFC copy with the same encoding."""

    def clean(key: str, value: Any) -> Any:
        return nfc(value) if isinstance(value, str) and not is_secret(key) else value

    if all(
        nfc(key) == key and all(clean(key, v) is v for v in values) for key, values in data.lists()
    ):
        return data
    out = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        name = nfc(key)
        out.setlist(name, out.getlist(name) + [clean(key, v) for v in values])
    out._mutable = False
    return out
