"""Normalised keys records are matched on. Pure functions, cached: lists repeat their values."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from crm.text import fold, organisation_key

# Names and organisations repeat across a list: fold each distinct value once.
fold_name = functools.lru_cache(maxsize=65_536)(fold)
org_key = functools.lru_cache(maxsize=65_536)(organisation_key)


def name_key(values: Mapping[str, Any]) -> tuple[str, str] | None:
    """(folded first or preferred name, folded last name), or None without both."""
    first = values.get("first_name") or values.get("preferred_name")
    last = values.get("last_name")
    if not first or not last:
        return None
    return fold_name(first), fold_name(last)


def compact_postcode(value: str | None) -> str | None:
    """A postcode without spaces, upper-case: "eh1 1aa" and "EH11AA" are one key."""
    return value.replace(" ", "").upper() if value else None
