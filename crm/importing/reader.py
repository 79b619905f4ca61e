"""Reading contact lists safely: file checks before parsing, then rows of raw values.

Spreadsheets (``.xlsx``/``.xlsm``/``.xlsb``/``.xls``/``.ods``) are read with python-calamine (about 1 s for
100,000 × 16 cells, against 6.6–9.9 s for openpyxl read-only); it parses XML in Rust without
entity expansion, so billion-laughs files cannot blow up. Before any parsing a file is checked:
its size, its first bytes against its extension, and for zip containers every member's size and
compression ratio (``zipfile`` and parsers do not bound decompression). CSV and text files are
decoded with a detected encoding and a sniffed delimiter; the ``csv`` module handles quoted
multi-line cells.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
import struct
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm.errors import FileProblem
from crm.importing.cleaning import unforce_text
from crm.util import gc_paused

# Limits. A contact list of 100,000 × 16 cells is about 8 MB as .xlsx and 60 MB of XML inside.
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_MEMBER_RATIO = 100  # Apache POI's default: refuse members that inflate more than 100:1
RATIO_CHECK_FROM_BYTES = 1024 * 1024  # tiny members may compress well; only big ones can hurt
MAX_CELLS = 60_000_000
MAX_ROWS = 1_048_576
# The most rows one import takes, so memory stays bounded whatever the file: reading stops at the
# first row past it, before anything is planned or written. As many as one Excel sheet holds under
# its headings, so a sheet Excel can save always imports. Memory grows with the rows: about 0.5 KB
# a row of 16 columns for the sheet and 0.7 KB for its plan, the sheet let go as it is cleaned when
# the caller allows (bench_import --big-rows and bench_import_memory measure 1,000,000).
MAX_IMPORT_ROWS = 1_048_575
HEADER_SCAN_ROWS = 30

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
SUPPORTED_SUFFIXES = SPREADSHEET_SUFFIXES + TEXT_SUFFIXES

# Values Excel shows for a failed formula: data that needs attention, not data.
EXCEL_ERRORS = frozenset(
    {"#N/A", "#NAME?", "#REF!", "#VALUE!", "#DIV/0!", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA"}
)

Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None


@dataclass(frozen=True)
class SheetInfo:
    """One sheet of a workbook, as offered to the user."""

    name: str
    visible: bool
    is_worksheet: bool = True


@dataclass
class Table:
    """The rows of one sheet (or CSV file), with the header row found.

    ``rows`` holds every non-empty row from the top of the sheet as ``(row_number, values)``;
    row numbers are 1-based, as the user sees them in Excel. ``header_index`` is the position in
    ``rows`` of the header row; data rows follow it.
    """

    path: Path
    kind: str  # xlsx, xlsb, xls, ods or csv
    sha256: str
    rows: list[tuple[int, list[Cell]]]
    sheets: list[SheetInfo] = field(default_factory=list)
    sheet: str | None = None
    header_index: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    # (row number, column index) → reason, for cells whose value cannot be trusted
    cell_problems: dict[tuple[int, int], str] = field(default_factory=dict)
    # With two rows of headings, the index of the upper one: it names columns the lower leaves blank.
    upper_heading_index: int | None = None
    # merged ranges as ((first row, first col), (last row, last col)), 0-based like calamine
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return self.path.name

    @property
    def width(self) -> int:
        return max((len(r) for _, r in self.rows), default=0)

    @property
    def header_row_number(self) -> int:
        """The headings' row as the user sees it; 0 when the list has no heading row."""
        if self.header_index < 0:
            return 0
        return self.rows[self.header_index][0] if self.rows else 1

    @property
    def headers(self) -> list[str]:
        """Column headings of the header row: merged cells filled, blanks named, duplicates numbered."""
        if not self.rows:
            return []
        width = self.width
        if self.header_index < 0:  # no heading row: the columns are named by their letters
            return [f"Column {column_letter(i)}" for i in range(width)]
        number, raw = self.rows[self.header_index]
        names: list[str] = [_heading_text(raw[i]) if i < len(raw) else "" for i in range(width)]
        if self.upper_heading_index is not None and self.upper_heading_index == self.header_index - 1:
            upper = self.rows[self.upper_heading_index][1]
            names = [n or (_heading_text(upper[i]) if i < len(upper) else "") for i, n in enumerate(names)]
        # A merged heading spans several columns: each spanned column takes the heading's text.
        # (A heading merged down from the row above was filled in when the sheet was read.)
        for (r1, c1), (r2, c2) in self.merged:
            if r1 <= number - 1 <= r2 and c1 < width:
                text = names[c1]
                for c in range(c1 + 1, min(c2 + 1, width)):
                    if not names[c]:
                        names[c] = text
        seen: dict[str, int] = {}
        out: list[str] = []
        for i, name in enumerate(names):
            name = name or f"Column {column_letter(i)}"
            key = name.casefold()
            seen[key] = seen.get(key, 0) + 1
            out.append(name if seen[key] == 1 else f"{name} ({seen[key]})")
        return out

    @property
    def data_rows(self) -> list[tuple[int, list[Cell]]]:
        return self.rows[self.header_index + 1 :]

    def with_header(self, header_index: int) -> Table:
        """The same table with another row as the header (the user picked it); -1: no heading row."""
        if not -1 <= header_index < len(self.rows):
            raise FileProblem(f"{self.file_name}: there is no row {header_index + 1} to use as headings.")
        copy = Table(**{**self.__dict__})
        copy.header_index = header_index
        return copy


def _heading_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unforce_text(" ".join(str(value).split()))


def column_letter(index: int) -> str:
    """Spreadsheet column letters for a 0-based index: 0 → "A", 26 → "AA"."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


# --- Checks before parsing ----------------------------------------------------------------------


def check_file(path: Path) -> str:
    """Check a file is what its name says and is safe to parse. Returns its kind.

    Raises:
        FileProblem: with a one-line reason (missing, empty, too large, not a spreadsheet,
            password-protected, old .xls renamed, corrupt, zip bomb).
    """
    name = path.name
    if not path.exists():
        raise FileProblem(f"{name}: the file does not exist.")
    if path.is_dir():
        raise FileProblem(f"{name} is a folder, not a file.")
    suffix = path.suffix.lower()
    if suffix == ".numbers":
        raise FileProblem(
            f"{name} is a Numbers spreadsheet, which Kindred cannot read: open it and export it as an "
            "Excel Workbook (.xlsx), then import that."
        )
    if suffix not in SUPPORTED_SUFFIXES:
        raise FileProblem(
            f"{name}: Kindred imports .xlsx, .xlsm, .xlsb, .xls, .ods, .csv and .txt files, not {suffix or 'this kind of file'}."
        )
    size = path.stat().st_size
    if size == 0:
        raise FileProblem(f"{name} is empty.")
    if size > MAX_FILE_BYTES:
        raise FileProblem(
            f"{name} is too large to import ({size / 1024 / 1024:.0f} MB; the limit is {MAX_FILE_BYTES // 1024 // 1024} MB)."
        )
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
    if suffix in TEXT_SUFFIXES:
        if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC):
            raise FileProblem(
                f"{name} is a spreadsheet workbook saved with a {suffix} name: rename it to .xlsx or .xls."
            )
        return "csv"
    if head.startswith(OLE_MAGIC):
        if _ole_is_encrypted(head):
            raise FileProblem(
                f"{name} is password-protected: open it in Excel, remove the password and save it again."
            )
        if suffix == ".xls":
            return "xls"
        raise FileProblem(
            f"{name} is an old-style Excel (.xls) workbook with a {suffix} name: rename it to .xls, or save it as .xlsx."
        )
    if not head.startswith(ZIP_MAGIC):
        markup = _markup_kind(head)
        if markup:
            raise FileProblem(
                f"{name} is {markup} saved with a {suffix} name, not a workbook: open it in Excel or "
                "LibreOffice and save it as .xlsx (or .csv), then import that."
            )
    if suffix == ".xls":
        if head.startswith(ZIP_MAGIC):
            # A modern workbook with an old name; calamine reads it by content.
            return _check_zip(path)
        if _looks_like_text(head):
            raise FileProblem(
                f"{name} is not an Excel workbook: it looks like a text (CSV) file with a {suffix} name. "
                "Rename it to .csv (or .txt) and import it again."
            )
        raise FileProblem(f"{name} is not an Excel workbook (its contents are not a spreadsheet).")
    if not head.startswith(ZIP_MAGIC):
        if _looks_like_text(head):
            raise FileProblem(
                f"{name} is not an Excel workbook: it looks like a text (CSV) file with a {suffix} name."
            )
        raise FileProblem(f"{name} is not a spreadsheet, or it is corrupt (it is not a zip container).")
    kind = _check_zip(path)
    return "ods" if suffix == ".ods" else kind


def _ole_is_encrypted(head: bytes) -> bool:
    """An encrypted OOXML workbook is an OLE file holding these streams (MS-OFFCRYPTO)."""
    return (
        any(marker.encode("utf-16-le") in head for marker in ("EncryptionInfo", "EncryptedPackage"))
        or b"FILEPASS" in head
    )


def _markup_kind(head: bytes) -> str | None:
    """Web pages and Excel 2003 XML that websites offer as "Excel" downloads."""
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            head = head[len(bom) :].decode(encoding, errors="ignore").encode("utf-8")
    start = head[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in head[:8192].lower():
        return "an Excel 2003 XML spreadsheet"
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head")) or (
        start.startswith(b"<") and b"<table" in head[:65536].lower()
    ):
        return "a web page"
    return None


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True  # Excel's "Unicode text"
    sample = head[:4096]
    return b"\x00" not in sample and sum(32 <= b < 127 or b in b"\r\n\t" for b in sample) > 0.9 * len(sample)


def _check_zip(path: Path) -> str:
    """Safety checks on a zip container; its kind: "xlsx", or "xlsb" for a binary workbook."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise FileProblem(f"{name} is corrupt: {exc}.") from exc
    except OSError as exc:
        raise FileProblem(f"{name} cannot be read: {exc.strerror or exc}.") from exc
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_UNCOMPRESSED_BYTES or total > MAX_UNCOMPRESSED_BYTES:
            raise FileProblem(
                f"{name} is refused: it would unpack to more than {MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB (a zip bomb or a damaged file)."
            )
        if info.file_size >= RATIO_CHECK_FROM_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_MEMBER_RATIO:
                raise FileProblem(
                    f"{name} is refused: a part of it is compressed {ratio:.0f} to 1, more than any real spreadsheet (a zip bomb)."
                )
    names = {i.filename for i in infos}
    if path.suffix.lower() == ".ods":
        if "content.xml" not in names:
            raise FileProblem(f"{name} is not an OpenDocument spreadsheet (no content.xml inside).")
        return "ods"
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        if "word/document.xml" in names:
            raise FileProblem(f"{name} is a Word document, not a spreadsheet.")
        raise FileProblem(f"{name} is not an Excel workbook (it is a zip file without a workbook inside).")
    if "xl/workbook.bin" in names:
        return "xlsb"  # whatever its name says: calamine is given the bytes and reads it by content
    if path.suffix.lower() == ".xlsb":
        raise FileProblem(f"{name} is not an Excel binary workbook (it has no workbook.bin inside).")
    return "xlsx"


# --- Reading ------------------------------------------------------------------------------------


def list_sheets(path: Path) -> list[SheetInfo]:
    """The sheets of a workbook (none for CSV files), after the safety checks."""
    kind = check_file(path)
    if kind == "csv":
        return []
    wb = _open_workbook(path)
    try:
        return _sheet_infos(wb)
    finally:
        wb.close()


def _open_workbook(path: Path) -> Any:
    import python_calamine as pc

    try:
        suffix = path.suffix.lower()
        if (suffix == ".xls" and _starts_with(path, ZIP_MAGIC)) or (
            suffix in (".xlsx", ".xlsm") and _is_xlsb(path)
        ):
            # A workbook saved with another kind's name: calamine goes by the name unless given
            # the bytes, which it reads by their content.
            with path.open("rb") as fh:
                return pc.CalamineWorkbook.from_filelike(fh)
        return pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError as exc:
        raise FileProblem(
            f"{path.name} is password-protected: remove the password in Excel and save it again."
        ) from exc
    except (pc.CalamineError, pc.ZipError, pc.XmlError, ValueError, OSError) as exc:
        if "cell limit" in str(exc).lower():
            raise _far_cell(path.name) from exc
        raise FileProblem(f"{path.name} is corrupt or not a spreadsheet Kindred can read ({exc}).") from exc


def _far_cell(where: str) -> FileProblem:
    """calamine refuses a grid too large to lay out (an .ods sheet with a cell far away)."""
    return FileProblem(
        f"{where} has a cell too far below or to the right of the list to read. Delete the rows "
        "and columns after the list, save the file and import it again."
    )


def _starts_with(path: Path, magic: bytes) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(magic)) == magic


def _sheet_infos(wb: Any) -> list[SheetInfo]:
    import python_calamine as pc

    return [
        SheetInfo(
            name=m.name,
            visible=m.visible == pc.SheetVisibleEnum.Visible,
            is_worksheet=m.typ == pc.SheetTypeEnum.WorkSheet,
        )
        for m in wb.sheets_metadata
    ]


@gc_paused()
def read_table(
    path: str | Path,
    sheet: str | None = None,
    *,
    header_row: int | None = None,
    find_header: Callable[[Sequence[Sequence[Cell]]], int] | None = None,
) -> Table:
    """Read a contact list after checking it is safe.

    Args:
        path: the file.
        sheet: the sheet to read; by default the first visible sheet that looks like a list.
        header_row: the 1-based row number of the headings; by default it is found.
        find_header: picks the header among the first rows (``mapping.find_header_row``).

    Raises:
        FileProblem: the file is refused, with a one-line reason.
    """
    path = Path(path)
    kind = check_file(path)
    digest = sha256_of(path)
    table = _read_csv(path, digest) if kind == "csv" else _read_workbook(path, kind, digest, sheet)
    if len(table.rows) > MAX_IMPORT_ROWS + 1:
        raise _too_many_rows(path)
    if not table.rows:
        where = f" (sheet {table.sheet!r})" if table.sheet else ""
        raise FileProblem(f"{path.name}{where} has no data in it.")
    if header_row == 0:
        table.header_index = -1  # the user says the list has no heading row
    elif header_row is not None:
        index = next((i for i, (n, _) in enumerate(table.rows) if n == header_row), None)
        if index is None:
            raise FileProblem(f"{path.name}: row {header_row} is empty and cannot hold the headings.")
        table.header_index = index
    else:
        if find_header is None:
            from crm.importing.mapping import find_header_row

            find_header = find_header_row
        found = find_header([r for _, r in table.rows[:HEADER_SCAN_ROWS]])
        if found < 0:
            table.header_index = -1
        elif _two_heading_rows(table, found):
            table.header_index, table.upper_heading_index = found + 1, found
        elif found and _two_heading_rows(table, found - 1):
            table.header_index, table.upper_heading_index = found, found - 1
        else:
            table.header_index = found
    return table


def _two_heading_rows(table: Table, index: int) -> bool:
    """Whether rows ``index`` and the next are two rows of headings: a heading merged across
    columns ("Name") with the columns named below it ("First", "Last"). The lower row then names
    each column, and the upper fills in its blanks."""
    if not table.merged or index + 1 >= len(table.rows):
        return False
    from crm.importing.mapping import field_for_heading

    number, _ = table.rows[index]
    below_number, below = table.rows[index + 1]
    if below_number != number + 1:
        return False
    for (r1, c1), (r2, c2) in table.merged:
        if r1 == r2 == number - 1 and c2 > c1 and c2 < len(below):
            spanned = below[c1 : c2 + 1]
            if all(isinstance(v, str) and v.strip() for v in spanned) and any(
                field_for_heading(v) for v in spanned if isinstance(v, str)
            ):
                return True
    return False


def _read_workbook(path: Path, kind: str, digest: str, sheet: str | None) -> Table:
    import python_calamine as pc

    wb = _open_workbook(path)
    try:
        infos = _sheet_infos(wb)
        worksheets = [s for s in infos if s.is_worksheet]
        if sheet is not None:
            match = next((s for s in infos if s.name == sheet), None) or next(
                (s for s in infos if s.name.casefold() == sheet.casefold()), None
            )
            if match is None:
                names = ", ".join(repr(s.name) for s in worksheets)
                raise FileProblem(f"{path.name} has no sheet called {sheet!r} (it has {names}).")
            candidates = [match]
        else:
            candidates = [s for s in worksheets if s.visible] or worksheets
        if not candidates:
            raise FileProblem(f"{path.name} has no worksheets.")
        best: Table | None = None
        best_score = -1.0
        for info in candidates:
            scan = _scan_sheet_xml(path, info.name) if kind == "xlsx" else None
            if kind == "xlsb":
                scan = _scan_sheet_bin(path, info.name)
                if scan.grid_bound > GRID_CELLS_LIMIT:
                    # No streaming reader for .xlsb: say what to fix instead.
                    raise _far_cell(f"{path.name}: sheet {info.name!r}")
            if scan is not None and scan.grid_bound > GRID_CELLS_LIMIT:
                rows = _stream_rows(path, info.name)
                merged: list[Any] = []
            else:
                try:
                    ws = wb.get_sheet_by_name(info.name)
                except pc.PasswordError as exc:
                    raise FileProblem(f"{path.name} is password-protected.") from exc
                except (pc.CalamineError, pc.XmlError, pc.ZipError, ValueError, OSError) as exc:
                    if "cell limit" in str(exc).lower():
                        raise _far_cell(f"{path.name}: sheet {info.name!r}") from exc
                    raise FileProblem(f"{path.name}: sheet {info.name!r} is corrupt ({exc}).") from exc
                if ws.height * max(ws.width, 1) > MAX_CELLS:
                    raise FileProblem(
                        f"{path.name}: sheet {info.name!r} is too large to import ({ws.height:,} rows × {ws.width:,} columns)."
                    )
                rows = _non_empty_rows(ws.iter_rows())
                merged = list(ws.merged_cell_ranges or [])
                _fill_merged_down(rows, merged)
            table = Table(path=path, kind=kind, sha256=digest, rows=rows, sheets=infos)
            table.sheet = info.name
            table.merged = merged
            if scan is not None:
                table.cell_problems.update(scan.problems)
            if sheet is not None:
                best = table
                break
            score = _list_score(table)
            if score > best_score:
                best, best_score = table, score
        assert best is not None
        for number, values in best.rows:
            # One C-level test a row; only a row showing an error is looked at cell by cell.
            try:
                if EXCEL_ERRORS.isdisjoint(values):
                    continue
            except TypeError:  # a cell value that cannot be hashed: look cell by cell
                pass
            for col, value in enumerate(values):
                if isinstance(value, str) and value in EXCEL_ERRORS:
                    best.cell_problems[(number, col)] = f"the cell shows the error {value}"
        return best
    finally:
        wb.close()


def _fill_merged_down(rows: list[tuple[int, list[Cell]]], merged: Sequence[Any]) -> None:
    """A cell merged down over several rows (an organisation beside each of its people) belongs to
    every row it covers; the sheet stores it in the top row only."""
    by_number = {number: values for number, values in rows}
    for (r1, c1), (r2, c2) in merged:
        top = by_number.get(r1 + 1)
        if r2 <= r1 or top is None or c1 >= len(top):
            continue
        value = top[c1]
        if value is None or value == "":
            continue
        for number in range(r1 + 2, r2 + 2):
            values = by_number.get(number)
            if values is None:
                continue
            for c in range(c1, c2 + 1):
                if c >= len(values):
                    values.extend([None] * (c + 1 - len(values)))
                if values[c] is None or values[c] == "":
                    values[c] = value


def _non_empty_rows(rows: Any) -> list[tuple[int, list[Cell]]]:
    """Rows that hold something, numbered as in the sheet; trailing empty cells trimmed.

    Empty rows cost almost nothing here, so a sheet formatted to row 1,048,576 stops at the last
    row with data. Cells holding only spaces count as empty.
    """
    out: list[tuple[int, list[Cell]]] = []
    shared: dict[Any, Any] = {}
    intern = shared.setdefault
    for number, row in enumerate(rows, start=1):
        end = len(row)
        while end and (row[end - 1] is None or (type(row[end - 1]) is str and not row[end - 1].strip())):
            end -= 1
        if end:
            # Repeated text shares one string (see _csv_rows).
            out.append((number, [intern(v, v) if type(v) is str and len(v) < 40 else v for v in row[:end]]))
            if len(shared) > 200_000:
                shared.clear()
    return out


_LIST_SHEET_NAMES = re.compile(
    r"contact|attendee|guest|delegate|people|person|member|participant|invite|mailing|list|rsvp|registra|sign",
    re.IGNORECASE,
)
_OTHER_SHEET_NAMES = re.compile(
    r"summary|total|pivot|chart|note|instruction|readme|read me|lookup|setting|organi[sz]ation|compan|template",
    re.IGNORECASE,
)


def _list_score(table: Table) -> float:
    """How much a sheet looks like a list of people: its headings naming people's fields (a name
    above all, then an email address), then its name ("Attendees" rather than "Summary" or
    "Organisations"), then its size. A long sheet of organisations does not beat a short guest list."""
    if not table.rows:
        return 0.0
    from crm.importing.mapping import field_for_heading, find_header_row

    sample = [r for _, r in table.rows[:HEADER_SCAN_ROWS]]
    header = sample[find_header_row(sample)]
    fields = {field_for_heading(v) for v in header if isinstance(v, str)} - {None}
    score = 10.0 * len(fields)
    if fields & {"full_name", "first_name", "last_name"}:
        score += 100
    if "email" in fields:
        score += 30
    if _LIST_SHEET_NAMES.search(table.sheet or ""):
        score += 25
    if _OTHER_SHEET_NAMES.search(table.sheet or ""):
        score -= 25
    return score + min(len(table.rows), 100_000) / 10_000


# A formula with no saved value (written by a script, never calculated: no <v>, or <v />). Excel
# writes <v></v> for a formula whose answer is "": a blank answer, not a missing one.
_CELL_FORMULA_NO_VALUE = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*>\s*<f[^>]*(?:/>|>[^<]*</f>)\s*(?:<v\s*/>)?\s*</c>'
)


_CELL_ERROR = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*\bt="e"[^>]*>\s*(?:<f[^>]*(?:/>|>[^<]*</f>))?\s*<v>([^<]*)</v>'
)


@dataclass
class SheetScan:
    """What one pass over a sheet's XML tells before it is parsed."""

    grid_bound: int = 0  # at most this many cells between A1 and the furthest cell
    problems: dict[tuple[int, int], str] = field(default_factory=dict)


# calamine lays a sheet out as one full grid before handing over any row: a lone space in cell
# XFD1048576 would ask for 550 GB and end the program. Sheets whose cells may span more than this
# are streamed with openpyxl instead (slower, but only the rows that hold something are kept).
GRID_CELLS_LIMIT = 10_000_000

_ROW_REF = re.compile(rb' r="([0-9]+)"')
_TWO_LETTER_REF = re.compile(rb' r="[A-Z]{2}[0-9]')
_THREE_LETTER_REF = re.compile(rb' r="[A-Z]{3}[0-9]')
_FAR_ROW_REF = re.compile(rb' r="[A-Z]{1,3}[0-9]{7}"')


def _scan_sheet_xml(path: Path, sheet: str) -> SheetScan:
    """One streamed pass over an .xlsx sheet: how far its cells may reach (rows are numbered in
    order; columns are judged by the length of their letters), formula cells saved without a
    value (files written by scripts) and error cells (#N/A, #REF!…), which read as blank and are
    not data."""
    scan = SheetScan()
    last_row, widest = 0, 26
    try:
        with zipfile.ZipFile(path) as zf:
            member = _sheet_member(zf, sheet)
            if member is None:
                return scan
            tail = b""
            with zf.open(member) as fh:
                while block := fh.read(4 * 1024 * 1024):
                    data = tail + block
                    if rows := _ROW_REF.findall(data):
                        last_row = max(last_row, int(rows[-1]))
                    if widest < 16_384 and _THREE_LETTER_REF.search(data):
                        widest = 16_384
                    elif widest < 702 and _TWO_LETTER_REF.search(data):
                        widest = _two_letter_width(data, widest)
                    if last_row < MAX_ROWS and _FAR_ROW_REF.search(data):
                        last_row = MAX_ROWS
                    if b"<f" in data:
                        for m in _CELL_FORMULA_NO_VALUE.finditer(data):
                            col = _column_index(m.group(1).decode())
                            scan.problems[(int(m.group(2)), col)] = (
                                "the cell holds a formula with no saved value"
                            )
                    if b't="e"' in data:
                        for m in _CELL_ERROR.finditer(data):
                            col = _column_index(m.group(1).decode())
                            shown = m.group(3).decode("utf-8", "replace")
                            scan.problems[(int(m.group(2)), col)] = f"the cell shows the error {shown}"
                    tail = data[-512:]
    except (zipfile.BadZipFile, KeyError, OSError):
        return scan  # calamine will say what is wrong with it
    scan.grid_bound = last_row * widest
    return scan


def _two_letter_width(data: bytes, at_least: int) -> int:
    """Columns up to the furthest two-letter column in ``data`` (AD → 30), judged by the first
    letter, from Z down: only sheets wider than 26 columns pay for this."""
    for first in range(ord("Z"), ord("A") - 1, -1):
        width = (first - ord("A") + 2) * 26
        if width <= at_least:
            break
        if re.search(b' r="' + bytes([first]) + b"[A-Z][0-9]", data):
            return width
    return at_least


def _stream_rows(path: Path, sheet: str) -> list[tuple[int, list[Cell]]]:
    """A sheet's non-empty rows read as a stream (openpyxl's read-only mode, which parses with
    defusedxml when it is installed, as it is here)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise FileProblem(f"{path.name} is corrupt or not a spreadsheet Kindred can read ({exc}).") from exc
    try:
        ws = wb[sheet]
        ws.reset_dimensions()  # the stated size may be the whole sheet: go by the cells
        rows = _non_empty_rows(ws.iter_rows(values_only=True))
    except FileProblem:
        raise
    except Exception as exc:
        raise FileProblem(f"{path.name}: sheet {sheet!r} is corrupt ({exc}).") from exc
    finally:
        wb.close()
    cells = sum(len(r) for _, r in rows)
    if cells > MAX_CELLS:
        raise FileProblem(f"{path.name}: sheet {sheet!r} is too large to import ({cells:,} cells).")
    return rows


def _is_xlsb(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return "xl/workbook.bin" in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


# .xlsb (MS-XLSB) records: a type and a size, each 7 bits a byte with the high bit saying "more".
_BRT_ROW_HDR = 0
_BRT_CELLS = frozenset(range(1, 12))  # blank, RK, error, bool, real, string, shared string, formulas
_BRT_ERRORS = frozenset({3, 11})  # BrtCellError, BrtFmlaError
_BRT_BUNDLE_SH = 156  # a sheet in workbook.bin: state, tab id, relationship id, name
_XLSB_ERROR_CODES = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
    0x2B: "#GETTING_DATA",
}
# A sheet part larger than this is more than any contact list (100,000 × 16 cells is about 30 MB).
MAX_XLSB_SHEET_BYTES = 512 * 1024 * 1024


def _records(data: bytes | memoryview, start: int = 0) -> Iterator[tuple[int, int, int]]:
    """(type, payload offset, payload size) of each whole record in ``data`` from ``start``; stops
    before a record cut off at the end (the caller reads on and resumes there)."""
    i, n = start, len(data)
    while i < n:
        kind = data[i]
        i += 1
        if kind & 0x80:
            if i >= n:
                return
            kind = (kind & 0x7F) | ((data[i] & 0x7F) << 7)
            i += 1
        size = shift = 0
        for _ in range(4):
            if i >= n:
                return
            byte = data[i]
            i += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if i + size > n:
            return
        yield kind, i, size
        i += size


def _xlsb_sheet_member(zf: zipfile.ZipFile, sheet: str) -> str | None:
    from defusedxml import ElementTree

    try:
        book = zf.read("xl/workbook.bin")
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.bin.rels"))
    except KeyError:
        return None
    rel_id = None
    for kind, at, size in _records(book):
        if kind != _BRT_BUNDLE_SH or size < 12:
            continue
        payload = book[at : at + size]
        rel_len = struct.unpack_from("<I", payload, 8)[0]
        rel_end = 12 + (0 if rel_len == 0xFFFFFFFF else rel_len * 2)
        if rel_end + 4 > size:
            continue
        name_len = struct.unpack_from("<I", payload, rel_end)[0]
        name = payload[rel_end + 4 : rel_end + 4 + name_len * 2].decode("utf-16-le", "replace")
        if name == sheet and rel_len != 0xFFFFFFFF:
            rel_id = payload[12:rel_end].decode("utf-16-le", "replace")
            break
    for el in rels.iter():
        if rel_id is not None and el.get("Id") == rel_id:
            target = el.get("Target", "").lstrip("/")
            return target if target.startswith("xl/") else f"xl/{target}"
    return None


def _scan_sheet_bin(path: Path, sheet: str) -> SheetScan:
    """One streamed pass over an .xlsb sheet's records: the grid its cells span (calamine lays
    that out whole, and a lone cell far away would ask for hundreds of gigabytes), and the cells
    showing an error."""
    scan = SheetScan()
    row = 0
    first_row = first_col = 1 << 32
    last_row = last_col = -1
    try:
        with zipfile.ZipFile(path) as zf:
            member = _xlsb_sheet_member(zf, sheet)
            if member is None:
                return scan
            if zf.getinfo(member).file_size > MAX_XLSB_SHEET_BYTES:
                scan.grid_bound = GRID_CELLS_LIMIT + 1
                return scan
            pending = b""
            with zf.open(member) as fh:
                while block := fh.read(4 * 1024 * 1024):
                    data = pending + block
                    end = 0
                    for kind, at, size in _records(data):
                        end = at + size
                        if kind == _BRT_ROW_HDR and size >= 4:
                            row = struct.unpack_from("<I", data, at)[0]
                        elif kind in _BRT_CELLS and size >= 4:
                            col = struct.unpack_from("<I", data, at)[0]
                            first_row, last_row = min(first_row, row), max(last_row, row)
                            first_col, last_col = min(first_col, col), max(last_col, col)
                            if kind in _BRT_ERRORS and size >= 9:
                                shown = _XLSB_ERROR_CODES.get(data[at + 8], "#ERROR")
                                scan.problems[(row + 1, col)] = f"the cell shows the error {shown}"
                    pending = data[end:]
    except (zipfile.BadZipFile, KeyError, OSError, struct.error):
        return scan  # calamine will say what is wrong with it
    if last_row >= 0:
        scan.grid_bound = (last_row - first_row + 1) * (last_col - first_col + 1)
    return scan


def _sheet_member(zf: zipfile.ZipFile, sheet: str | None) -> str | None:
    from defusedxml import ElementTree

    try:
        workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return None
    rel_id = None
    for el in workbook.iter():
        if el.tag.endswith("}sheet") and el.get("name") == sheet:
            rel_id = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
    for el in rels.iter():
        if el.get("Id") == rel_id:
            target = el.get("Target", "")
            target = target.lstrip("/")
            return target if target.startswith("xl/") else f"xl/{target}"
    return None


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


# --- CSV ----------------------------------------------------------------------------------------


def detect_encoding(data: bytes) -> str:
    """BOMs first; then UTF-16 without BOM (many zero bytes); then strict UTF-8; else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    sample = data[:4096]
    if sample and sample.count(0) > len(sample) // 4:
        # Text that is mostly ASCII has a zero in every other byte in UTF-16.
        even_zeros = sample[0::2].count(0)
        odd_zeros = sample[1::2].count(0)
        return "utf-16-be" if even_zeros > odd_zeros else "utf-16-le"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A sample may end inside a multi-byte character; that alone is no reason to doubt UTF-8.
        if exc.reason != "unexpected end of data" or exc.start < len(data) - 3:
            return "cp1252"
    return "utf-8"


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon, tab or pipe: the one that splits the first lines most consistently."""
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        pass
    best, best_score = ",", -1
    for delim in (",", ";", "\t", "|"):
        counts = [line.count(delim) for line in lines]
        score = min(counts) * 10 + sum(counts) if counts else 0
        if score > best_score:
            best, best_score = delim, score
    return best


# Characters that text in Windows-1252 or Mac Roman commonly holds: British, Irish, Welsh and
# European letters, currency and typographic punctuation.
_LIKELY_TEXT = frozenset(
    "£€¢¥éèêëáàâäãåæçíìîïñóòôöõøœúùûüýÿßŵŷẁẃẅỳÉÈÊËÁÀÂÄÅÆÇÍÌÎÏÑÓÒÔÖØŒÚÙÛÜŴŶ‘’‚“”„–—…•«»°·½¼¾©®™§¿¡"
)
_HIGH_BYTE = re.compile(rb"[A-Za-z]?[\x80-\xff]")


def _windows_or_mac(path: Path) -> str:
    """Text that is not UTF-8 comes from Excel on Windows (Windows-1252) or, saved as plain "CSV"
    by Excel for Mac, in Mac Roman. Each reading of the non-ASCII bytes is scored: likely letters
    and punctuation count for it, odd symbols and a capital straight after a small letter ("CafŽ")
    against it. Windows wins a tie."""
    with path.open("rb") as fh:
        data = fh.read(4 * 1024 * 1024)  # plenty to tell them apart
    scores = {"cp1252": 0, "mac_roman": 0}
    for found in set(_HIGH_BYTE.findall(data)):
        weight = data.count(found)
        for encoding in scores:
            text = found.decode(encoding, errors="replace")
            char = text[-1]
            score = 1 if char in _LIKELY_TEXT else -1
            if char.isupper() and len(text) == 2 and text[0].islower():
                score -= 2
            scores[encoding] += score * weight
    return "mac_roman" if scores["mac_roman"] > scores["cp1252"] else "cp1252"


# A cell may be as long as the whole file: the cell-length check flags it, with its row, instead of
# the csv module refusing the file (its default limit is 131,072 characters).
csv.field_size_limit(MAX_FILE_BYTES)


def _read_csv(path: Path, digest: str) -> Table:
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
    encoding = detect_encoding(head)
    if not encoding.startswith("utf-16") and b"\x00" in head[:4096]:
        raise FileProblem(f"{path.name} is not a text (CSV) file: it holds binary data.")
    if encoding == "utf-8":
        # A few bytes that are not UTF-8 anywhere in the file make it Windows-1252 (Excel's
        # "CSV" on Windows); finding out costs a streamed decode, not a copy of the file.
        try:
            with path.open(encoding="utf-8", newline="") as text_fh:
                while text_fh.read(1024 * 1024):
                    pass
        except UnicodeDecodeError:
            encoding = "cp1252"
    if encoding == "cp1252":
        encoding = _windows_or_mac(path)
    sample = head.decode(encoding, errors="ignore")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(sample)
    problems: dict[tuple[int, int], str] = {}
    # The five bytes Windows-1252 leaves undefined cannot be text; they show as "�" rather than
    # refusing the whole file.
    errors = "replace" if encoding == "cp1252" else "strict"
    try:
        try:
            with path.open(encoding=encoding, errors=errors, newline="") as text_fh:
                rows = _csv_rows(path, csv.reader(text_fh, delimiter=delimiter, strict=True), problems)
        except csv.Error:
            problems.clear()
            with path.open(encoding=encoding, errors=errors, newline="") as text_fh:
                rows = _csv_rows(path, csv.reader(text_fh, delimiter=delimiter), problems)
        return Table(
            path=path,
            kind="csv",
            sha256=digest,
            rows=rows,
            encoding=encoding,
            delimiter=delimiter,
            cell_problems=problems,
        )
    except UnicodeDecodeError as exc:
        raise FileProblem(f"{path.name} is not a text file Kindred can read ({exc.reason}).") from exc


def _csv_rows(
    path: Path, reader: Any, problems: dict[tuple[int, int], str] | None = None
) -> list[tuple[int, list[Cell]]]:
    """Rows numbered as records (what a spreadsheet shows when the CSV is opened), empty rows
    dropped. Repeated values (towns, titles, organisations) share one string, which roughly
    halves the memory a long list takes.

    The reader is strict only about a quotation mark left open at the end of the file (the rest
    of the file would silently become one cell); a cell that runs over several lines holding what
    look like further rows is noted in ``problems``, to be shown against its row.
    """
    rows: list[tuple[int, list[Cell]]] = []
    shared: dict[str, str] = {}
    intern = shared.setdefault
    delimiter = reader.dialect.delimiter
    widest = 0
    line = 0
    try:
        for number, row in enumerate(reader, start=1):
            first_line, line = line + 1, reader.line_num
            end = len(row)
            while end and not row[end - 1].strip():
                end -= 1
            if end:
                cells = row[:end] if end < len(row) else row
                # Whole-row work in C: a Python loop over every cell cost a fifth of the read.
                if "\x00" in "".join(cells):
                    raise FileProblem(f"{path.name} is not a text (CSV) file: it holds binary data.")
                if line > first_line and problems is not None:
                    for col, value in enumerate(cells):
                        if _holds_other_rows(value, delimiter, widest):
                            problems[(number, col)] = (
                                f"this cell runs from line {first_line} to line {line} of the file and seems to "
                                "hold other rows: check for a quotation mark that is not closed"
                            )
                widest = max(widest, end)
                if len(rows) > MAX_IMPORT_ROWS:  # the headings row plus the limit
                    raise _too_many_rows(path)
                rows.append((number, list(map(intern, cells, cells))))
                if len(shared) > 200_000:
                    shared.clear()
    except csv.Error as exc:
        if str(exc) == "unexpected end of data":
            raise FileProblem(
                f"{path.name}: a quotation mark opened on line {line + 1} is never closed, so everything "
                "after it would run into one cell. Fix that line (or save the file again from the "
                "spreadsheet) and import it again."
            ) from exc
        if reader.dialect.strict:
            raise  # other slips (text after a closing quote…) are read leniently: see _read_csv
        raise FileProblem(
            f"{path.name} is not a well-formed CSV file near line {reader.line_num}: {exc}."
        ) from exc
    return rows


def _too_many_rows(path: Path) -> FileProblem:
    return FileProblem(
        f"{path.name} has more than {MAX_IMPORT_ROWS:,} rows, the most Kindred imports at once: "
        "split it into smaller files and import them one after another."
    )


def _holds_other_rows(value: str, delimiter: str, widest: int) -> bool:
    """Whether a multi-line cell holds lines that split like the file's rows (two or more of them,
    so an address with commas is not mistaken for one)."""
    if "\n" not in value or widest < 3:
        return False
    like_rows = sum(1 for part in value.split("\n")[1:] if part.count(delimiter) >= widest - 1)
    return like_rows >= 2
