"""Spreadsheet import: read safely, map columns, clean, plan (dry run), apply in one transaction, undo.

The modules: ``plan`` (options, row plans, results), ``rows`` (cleaning rows into plans),
``matching`` (the duplicate check), ``writing`` (write_plan), ``undo`` (history and undo) and
``engine`` (plan_import, dry_run, apply_import). The engine is headless: the CLI, the import wizard and the app's self-test call the same functions.
"""

from __future__ import annotations

from crm.importing.engine import apply_import, dry_run, plan_import
from crm.importing.mapping import (
    FIELD_LABELS,
    FIELDS,
    find_header_row,
    remember_mapping,
    suggest_mapping,
    suggest_type,
)
from crm.importing.plan import (
    DUPLICATE_ACTION_LABELS,
    DUPLICATE_ACTIONS,
    BatchInfo,
    Flag,
    ImportConflict,
    ImportOptions,
    ImportPlan,
    ImportResult,
    RowPlan,
    UndoResult,
)
from crm.importing.reader import SheetInfo, Table, check_file, list_sheets, read_table
from crm.importing.rows import preview_rows
from crm.importing.undo import list_batches, undo_import

__all__ = [
    "DUPLICATE_ACTIONS",
    "DUPLICATE_ACTION_LABELS",
    "FIELDS",
    "FIELD_LABELS",
    "BatchInfo",
    "Flag",
    "ImportConflict",
    "ImportOptions",
    "ImportPlan",
    "ImportResult",
    "RowPlan",
    "SheetInfo",
    "Table",
    "UndoResult",
    "apply_import",
    "check_file",
    "dry_run",
    "find_header_row",
    "list_batches",
    "list_sheets",
    "plan_import",
    "preview_rows",
    "read_table",
    "remember_mapping",
    "suggest_mapping",
    "suggest_type",
    "undo_import",
]
