"""One base for the platform's registries (API scopes, event types, scope policies, projectors,
outbox deliverers, ...): a key names one entry, declared once; a second declaration of the same
key is a programming error and fails at import time instead of silently replacing the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

K = TypeVar("K")
V = TypeVar("V")


class DuplicateEntry(ImproperlyConfigured):
    pass


class Registry(Generic[K, V]):
    """Entries in declaration order. `register` refuses a key already taken, unless it is the very
    same entry again (a module imported twice under test runners)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[K, V] = {}

    def register(self, key: K, entry: V) -> V:
        existing = self._entries.get(key, entry)
        if existing is not entry and existing != entry:
            raise DuplicateEntry(f"{self.what}: {key!r} is declared twice")
        self._entries[key] = entry
        return entry

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def __getitem__(self, key: K) -> V:
        try:
            return self._entries[key]
        except KeyError:
            raise LookupError(f"{self.what}: {key!r} is not declared") from None

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[K]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[tuple[K, V]]:
        return list(self._entries.items())

    def values(self) -> list[V]:
        return list(self._entries.values())
