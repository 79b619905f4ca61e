"""Helpers that write the contact lists the import tests read: every file is generated here."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

Rows = Sequence[Sequence[Any]]

# A realistic little list: accents, gaps in different columns, odd spacing and case.
HEADINGS = ["Forename", "Surname", "E-mail address", "Organisation/Company", "Post code", "Tel"]
PEOPLE: list[list[Any]] = [
    ["Seán", "Ó Floinn", "Sean.OFloinn@Example.ORG ", "The Kindness Trust Ltd", "eh99 1sp", "0131 348 5000"],
    ["Zoë", "Müller", "zoe@example.org", "", "", ""],
    ["Siân", "Davies", "", "Cardiff Council", "CF10 4UW", "029 2087 2000"],
    ["  Amir ", "Khan\u200b", "amir.khan@example.org", "kindness trust", "", "07700 900123"],
]


def write_csv(path: Path, rows: Rows, *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows([["" if v is None else v for v in r] for r in rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(
    path: Path,
    sheets: dict[str, Rows],
    *,
    hidden: Sequence[str] = (),
    merge: Sequence[tuple[str, int, int, int, int, str]] = (),
) -> Path:
    """Write sheets of rows with XlsxWriter; ``merge`` holds (sheet, r1, c1, r2, c2, text)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
        if name in hidden:
            sheet.hide()
    for name, r1, c1, r2, c2, text in merge:
        workbook.get_worksheet_by_name(name).merge_range(r1, c1, r2, c2, text)
    workbook.close()
    return path


@pytest.fixture
def contacts_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "contacts.csv", [HEADINGS, *PEOPLE])


@pytest.fixture
def contacts_xlsx(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "contacts.xlsx", {"Contacts": [HEADINGS, *PEOPLE]})
