"""Mailing-list export: the right people, the right columns, nothing dangerous.

Headless, for the CLI, the app and its self-test::

    from crm.exporting import export_people
    result = export_people(db, PersonFilter(network="Kindness Champions"), "champions.xlsx", purpose="email")

See :mod:`crm.exporting.engine` (who is exported and why not), :mod:`crm.exporting.columns`
(columns, presets, salutations) and :mod:`crm.exporting.writers` (safe ``.xlsx`` and ``.csv``).
"""

from __future__ import annotations

from crm.exporting.columns import (
    BUILTIN_PRESETS,
    COLUMNS,
    PRESET_LABELS,
    all_presets,
    preset_columns,
    save_preset,
)
from crm.exporting.engine import (
    REASONS,
    ExportOptions,
    ExportResult,
    batches,
    count_selected,
    email_addresses,
    export_people,
    preview_rows,
)

__all__ = [
    "BUILTIN_PRESETS",
    "COLUMNS",
    "PRESET_LABELS",
    "REASONS",
    "ExportOptions",
    "ExportResult",
    "all_presets",
    "batches",
    "count_selected",
    "email_addresses",
    "export_people",
    "preset_columns",
    "preview_rows",
    "save_preset",
]
