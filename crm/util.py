"""Small helpers with no better home."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

# Below SQLite's default limit of 32,766 bound parameters per statement, with room for others.
SQL_CHUNK = 5_000


def chunked(items: Sequence[T], size: int = SQL_CHUNK) -> Iterator[Sequence[T]]:
    """Slices of at most ``size`` items, for ``IN (...)`` lists over many ids."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
