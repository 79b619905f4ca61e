"""Nothing dangerous: no formulas or links from contact data, text stays text, Excel can open it."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from crm.db import Database
from crm.exporting import export_people
from crm.exporting.writers import EXCEL_CELL_LIMIT, neutralise_csv
from crm.filters import PersonFilter
from crm.services import people

from .conftest import HOSTILE_NAMES, HOSTILE_PHONE, Cast, read_sheet, sheet_xml


def test_hostile_values_are_text_never_formulas_or_links(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "hostile.xlsx"
    export_people(
        db,
        PersonFilter(ids=cast.hostile),
        out,
        columns=["first_name", "full_name", "phone", "job_title", "address_line1"],
    )
    wb = openpyxl.load_workbook(out)
    ws = wb["People"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if c.value is not None]
    assert len(cells) == 15
    assert all(c.data_type == "s" for c in cells)
    firsts = sorted(str(ws.cell(row=r, column=1).value) for r in range(2, 5))
    assert firsts == sorted(HOSTILE_NAMES)  # the values themselves are unchanged for mail merge
    assert {ws.cell(row=r, column=3).value for r in range(2, 5)} == {HOSTILE_PHONE}
    # Formula-like text also carries Excel's quote prefix, so it stays text even after an edit.
    assert all(c.quotePrefix for c in cells if str(c.value)[:1] in "=+-@")
    assert not ws._hyperlinks
    xml = sheet_xml(out)
    assert "<f>" not in xml and "<f " not in xml and "<hyperlink" not in xml
    assert xml.count('t="inlineStr"') >= 15


def test_formula_like_names_in_the_excluded_sheet_are_text_too(db: Database, tmp_path: Path) -> None:
    with db.transaction() as s:
        people.bulk_insert_people(s, [{"first_name": "=1+1", "last_name": "@x", "do_not_contact": True}])
    out = tmp_path / "ex.xlsx"
    export_people(db, PersonFilter(), out)
    ws = openpyxl.load_workbook(out)["Excluded"]
    assert ws["A2"].value == "=1+1 @x" and ws["A2"].data_type == "s"
    assert "<f>" not in sheet_xml(out)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"])
def test_csv_neutralises_every_formula_start(start: str) -> None:
    assert neutralise_csv(f"{start}SUM(1+1)") == f"'{start}SUM(1+1)"


@pytest.mark.parametrize("value", ["Claudia", "O'Neill", "0131 348 5000", "EH99 1SP", "", "a=b"])
def test_csv_leaves_ordinary_text_alone(value: str) -> None:
    assert neutralise_csv(value) == value


def test_csv_file_is_utf8_with_bom_and_neutralised(db: Database, cast: Cast, tmp_path: Path) -> None:
    with db.transaction() as s:
        people.create_person(s, first_name="Seán", last_name="Ó Floinn", email="sean@example.org")
    out = tmp_path / "list.csv"
    result = export_people(db, PersonFilter(), out, preset="full")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    names = {r["First name"] for r in rows}
    assert "Seán" in names
    assert {f"'{n}" for n in HOSTILE_NAMES} <= names
    assert all(r["Phone"] == f"'{HOSTILE_PHONE}" for r in rows if r["Last name"].startswith("Hostile"))
    claudia = next(r for r in rows if r["Last name"] == "Beamish")
    assert claudia["Last contacted"] == "2026-03-01"
    assert claudia["Phone"] == "0131 348 5000"
    excluded = tmp_path / "list-excluded.csv"
    assert result.files == [out, excluded]
    with excluded.open(encoding="utf-8-sig", newline="") as fh:
        reasons = {r["Name"]: r["Reason"] for r in csv.DictReader(fh)}
    assert reasons["Dora Noble"] == "Do not contact"


def test_characters_excel_cannot_hold_are_removed_with_a_warning(db: Database, tmp_path: Path) -> None:
    with db.transaction() as s:
        people.bulk_insert_people(
            s, [{"first_name": "Zo\x01ë", "last_name": "Bell\x07", "email": "zoe@example.org"}]
        )
    out = tmp_path / "ctrl.xlsx"
    result = export_people(db, PersonFilter(), out, purpose="email")
    row = read_sheet(out)[0]
    assert (row["First name"], row["Last name"], row["Full name"]) == ("Zoë", "Bell", "Zoë Bell")
    assert any(
        "row 2, column 'First name': removed 1 character Excel cannot hold" in w for w in result.warnings
    )
    csv_result = export_people(db, PersonFilter(), tmp_path / "ctrl.csv", purpose="email")
    assert "\x01" not in (tmp_path / "ctrl.csv").read_text(encoding="utf-8-sig")
    assert csv_result.warnings


def test_over_long_cells_are_cut_and_reported(db: Database, tmp_path: Path) -> None:
    with db.transaction() as s:
        people.create_person(s, first_name="Long", last_name="Notes", notes="x" * 40_000)
    out = tmp_path / "long.xlsx"
    result = export_people(db, PersonFilter(), out, preset="full")
    assert len(read_sheet(out)[0]["Notes"]) == EXCEL_CELL_LIMIT
    assert any("column 'Notes': 40,000 characters is over Excel's limit" in w for w in result.warnings)


def test_data_types_text_dates_and_numbers(db: Database, cast: Cast, tmp_path: Path) -> None:
    with db.transaction() as s:
        people.bulk_insert_people(
            s, [{"first_name": "Zero", "last_name": "Lead", "phone": "01313485000", "postcode": "01234"}]
        )
    out = tmp_path / "types.xlsx"
    export_people(db, PersonFilter(), out, preset="full")
    ws = openpyxl.load_workbook(out)["People"]
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) for name in header}
    rows = {r[col["Last name"]].value: r for r in ws.iter_rows(min_row=2)}
    lead = rows["Lead"]
    assert (lead[col["Phone"]].value, lead[col["Phone"]].data_type) == ("01313485000", "s")
    assert (lead[col["Postcode"]].value, lead[col["Postcode"]].data_type) == ("01234", "s")
    beamish = rows["Beamish"]
    assert beamish[col["Last contacted"]].value == dt.datetime(2026, 3, 1)
    assert beamish[col["Last contacted"]].is_date
    assert beamish[col["Kindred ID"]].data_type == "n"
    assert beamish[col["Do not contact"]].value == "No"


def test_workbook_is_tidy(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "tidy.xlsx"
    result = export_people(db, PersonFilter(), out, title="Autumn invitations")
    wb = openpyxl.load_workbook(out)
    ws = wb["People"]
    assert ws.freeze_panes == "A2"
    assert all(c.font.b for c in ws[1])
    assert ws.auto_filter.ref == f"A1:Q{result.exported + 1}"
    assert ws.column_dimensions["G"].width >= len("Ms Claudia Beamish MSP")
    assert wb.properties.title == "Autumn invitations"
    assert wb.properties.created is not None
    assert wb.properties.created.date() == dt.date.today()
    assert wb["Excluded"].freeze_panes == "A2"


def test_a_list_too_long_for_excel_is_refused_not_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm.errors import FileProblem
    from crm.exporting import writers
    from crm.exporting.columns import COLUMNS

    monkeypatch.setattr(writers, "EXCEL_MAX_ROWS", 4)  # the real limit is 1,048,576 rows
    writer = writers.open_writer(tmp_path / "big.xlsx", [COLUMNS["email"]])
    for i in range(3):
        writer.write_row([f"p{i}@example.org"])
    with pytest.raises(FileProblem, match="will not fit"):
        writer.write_row(["one too many"])
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_a_second_reader_sees_the_same_text(db: Database, cast: Cast, tmp_path: Path) -> None:
    """calamine (a separate, Rust-based reader) agrees: formula-like names come back as plain text."""
    from python_calamine import CalamineWorkbook

    out = tmp_path / "second.xlsx"
    export_people(db, PersonFilter(ids=cast.hostile), out, columns=["first_name", "phone", "postcode"])
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("People").to_python()
    assert rows[0] == ["First name", "Phone", "Postcode"]
    assert sorted(r[0] for r in rows[1:]) == sorted(HOSTILE_NAMES)
    assert all(r[1] == HOSTILE_PHONE and isinstance(r[2], str) for r in rows[1:])
