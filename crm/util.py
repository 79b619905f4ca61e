"""Small helpers with no better home."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

# Below SQLite's default limit of 32,766 bound parameters per statement, with room for others.
SQL_CHUNK = 5_000


def chunked(items: Sequence[T], size: int = SQL_CHUNK) -> Iterator[Sequence[T]]:
    """Slices of at most ``size`` items, for ``IN (...)`` lists over many ids."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Cyclic garbage collection off for the block.

    Bulk work creates millions of small objects (cells, values, rows); each burst makes the
    collector walk everything already alive, which more than doubled the cost of cleaning a
    100,000-row list. Such work makes few reference cycles; collection resumes afterwards.
    Also a decorator: ``@gc_paused()``.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
