"""Kindred's service layer: the only code that changes data. Every function takes the caller's Session.

The modules load when first used (``from crm.services import people``): a command that needs two
of them does not pay for all of them at start-up.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = [
    "consent",
    "events",
    "interactions",
    "networks",
    "organisations",
    "people",
    "tags",
    "trash",
    "views",
]


def __getattr__(name: str) -> ModuleType:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
