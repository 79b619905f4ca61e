"""The problems report: rejected and flagged rows as an ``.xlsx`` to fix and import again.

Each row of the report holds what was wrong and why, then the row exactly as it was in the file
(under the file's own headings), so the user can correct the cells and import the report itself.
Every cell is written as a string, so nothing in it can turn into a formula or a link.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from crm.errors import FileProblem
from crm.importing.plan import ImportPlan
from crm.importing.reader import Table
from crm.text import clean_multiline
from crm.validation import EXCEL_CELL_LIMIT

_CONTROL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)], None)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    text = str(value).translate(_CONTROL)
    return text[:EXCEL_CELL_LIMIT]


def write_problems_report(plan: ImportPlan, table: Table, path: str | Path) -> int:
    """Write the rejected and flagged rows to ``path``. Returns how many rows were written.

    Raises:
        FileProblem: the report cannot be written there.
    """
    import xlsxwriter

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        path = path.with_suffix(".xlsx")
    problems = plan.problem_rows
    originals = {number: cells for number, cells in table.data_rows}
    headers = plan.headers
    try:
        workbook = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
    except OSError as exc:
        raise FileProblem(f"Cannot write the report to {path}: {exc.strerror or exc}.") from exc
    try:
        sheet = workbook.add_worksheet("Problems")
        bold = workbook.add_format({"bold": True, "bg_color": "#F2F2F2"})
        wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        top = workbook.add_format({"valign": "top"})
        sheet.write_row(0, 0, ["Row in file", "Outcome", "What was wrong", *headers], bold)
        sheet.set_column(0, 0, 11)
        sheet.set_column(1, 1, 10)
        sheet.set_column(2, 2, 60)
        sheet.set_column(3, 3 + max(len(headers) - 1, 0), 20)
        sheet.freeze_panes(1, 3)
        for out_row, r in enumerate(problems, start=1):
            reasons = [*r.reasons, *(f"{f.column}: {f.reason}" for f in r.flags)]
            outcome = {"reject": "Rejected", "skip": "Skipped", "create": "Imported", "update": "Imported"}[
                r.action
            ]
            sheet.write_string(out_row, 0, str(r.row), top)
            sheet.write_string(out_row, 1, outcome, top)
            sheet.write_string(out_row, 2, clean_multiline("\n".join(reasons)) or "", wrap)
            cells = originals.get(r.row, [])
            for col in range(len(headers)):
                value = cells[col] if col < len(cells) else None
                if value is not None and value != "":
                    sheet.write_string(out_row, 3 + col, _cell_text(value), top)
        if problems:
            sheet.autofilter(0, 0, len(problems), 2 + len(headers))
    finally:
        try:
            workbook.close()
        except OSError as exc:
            raise FileProblem(f"Cannot write the report to {path}: {exc.strerror or exc}.") from exc
    return len(problems)
