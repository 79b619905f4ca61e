"""The in-file duplicate maps of a long list: exact whatever the keys' hashes."""

from __future__ import annotations

from typing import Any

from crm.importing.matching import _FirstRows
from crm.importing.plan import RowPlan


def test_first_rows_are_exact_when_two_keys_share_a_hash() -> None:
    # In CPython hash(-1) == hash(-2), so these two keys' tuples share a hash too.
    one, two = ("ann", "lee", -1), ("ann", "lee", -2)
    assert hash(one) == hash(two) and one != two
    keys: dict[int, tuple[Any, ...]] = {}
    first_rows = _FirstRows(lambda r: keys[r.row])

    def row(number: int, key: tuple[Any, ...]) -> RowPlan:
        keys[number] = key
        return RowPlan(row=number, action="create")

    a, b, c, d = row(2, one), row(3, two), row(4, one), row(5, two)
    assert first_rows.get(one) is None
    first_rows.setdefault(one, a)
    assert first_rows.get(one) is a and first_rows.get(two) is None
    first_rows.setdefault(two, b)
    first_rows.setdefault(one, c)
    first_rows.setdefault(two, d)
    # The first row with each key, never the other key's.
    assert (first_rows.get(one), first_rows.get(two)) == (a, b)
    assert first_rows.get(("ann", "lee", -3)) is None
