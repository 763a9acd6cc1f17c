"""Path converters. `<id:pk>` is Django's `<int:pk>` bounded to a 64-bit key: a 20-digit id in
an address matched `<int:>` and then overflowed the SQLite driver (a 500); now it matches no
route at all (404)."""

from __future__ import annotations

from .ids import MAX_ID


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            # Django takes a ValueError here as "this route does not match".
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)
