"""Safe spreadsheet writers for exports: ``.xlsx`` through XlsxWriter, ``.csv`` for Excel.

What "safe" means here:

- No cell that comes from contact data is ever a formula or a hyperlink. In ``.xlsx`` every text
  cell is written with ``write_string`` (XlsxWriter would otherwise turn ``=...`` into a formula and
  ``http://...`` into a link); a text cell that *starts* like a formula (``= + - @``, tab, carriage
  return, or their full-width forms) also gets Excel's quote-prefix style, so it stays text even
  after someone edits it, while the value itself is unchanged for mail merge.
- In ``.csv``, where there are no cell types, such text gets a leading apostrophe, as OWASP's
  "CSV Injection" guidance recommends; quoting alone does not stop Excel evaluating it.
- Characters Excel cannot hold (control characters, lone surrogates) are removed and reported,
  rather than aborting the export; text over Excel's 32,767-character limit is cut and reported.
- Files are written to a temporary name beside the target and moved into place at the end, so a
  failed or cancelled export never leaves half a file or spoils an earlier one. XlsxWriter's own
  temporary files go in a hidden folder beside the target too (not the system temp folder), removed
  on success and on failure; leftovers of an export that was killed outright are removed by the
  next export to the same file.
- A failure to write (disk full, read-only folder, share gone) is a plain message naming the file.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crm.errors import FileProblem, UserError, user_error_for
from crm.exporting.columns import MAX_WIDTH, Column, Kind

EXCEL_CELL_LIMIT = 32_767
EXCEL_MAX_ROWS = 1_048_576
# Starting characters that spreadsheet programs read as the start of a formula (OWASP), plus the
# full-width forms that some locales' Excel also accepts.
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
# XML 1.0 cannot carry these; Excel cannot hold them.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Two searches over a whole row find anything that needs a closer look: an illegal character, or a
# cell starting like a formula (cells are joined after newlines, so "\n=" is a cell start; a newline
# inside a note only costs a closer look). Two simple patterns scan faster than one alternation.
_FORMULA_START_IN_ROW = re.compile("\n[=+\\-@\t\r＝＋－＠]")
MAX_DETAILED_WARNINGS = 50
# Widths follow the data of the first rows only: measuring every cell would slow big exports.
WIDTH_SAMPLE_ROWS = 2_000
EXCLUDED_SHEET = "Excluded"


def _needs_care(joined: str) -> bool:
    return _ILLEGAL.search(joined) is not None or _FORMULA_START_IN_ROW.search(joined) is not None


def looks_like_formula(text: str) -> bool:
    return text[:1] in FORMULA_STARTS


def neutralise_csv(text: str) -> str:
    """OWASP's advice for CSV: a leading apostrophe makes a formula-like value plain text."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut_to_excel_limit(text: str) -> str:
    """Cut at Excel's limit, counted as Excel counts (UTF-16 units), never splitting a character."""
    units = text.encode("utf-16-le")[: EXCEL_CELL_LIMIT * 2]
    return units.decode("utf-16-le", errors="ignore")


class _Warnings:
    """Collects cell problems; keeps the first few in detail and counts the rest."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.more = 0

    def add(self, line: str) -> None:
        if len(self.lines) < MAX_DETAILED_WARNINGS:
            self.lines.append(line)
        else:
            self.more += 1

    def as_list(self) -> list[str]:
        if self.more:
            return [*self.lines, f"… and {self.more:,} more cell problems like these."]
        return list(self.lines)


def clean_text_cell(text: str, *, sheet: str, row: int, column: Column, warnings: _Warnings) -> str:
    """Remove characters Excel cannot hold and cut over-long text, reporting both."""
    if _ILLEGAL.search(text):
        removed = len(_ILLEGAL.findall(text))
        text = _ILLEGAL.sub("", text)
        warnings.add(
            f"{sheet}, row {row}, column {column.label!r}: removed {removed} character"
            f"{'s' if removed != 1 else ''} Excel cannot hold."
        )
    if len(text) > EXCEL_CELL_LIMIT // 2 and _utf16_len(text) > EXCEL_CELL_LIMIT:
        length = _utf16_len(text)
        text = _cut_to_excel_limit(text)
        warnings.add(
            f"{sheet}, row {row}, column {column.label!r}: {length:,} characters is over Excel's "
            f"limit of {EXCEL_CELL_LIMIT:,}; the text was cut."
        )
    return text


def as_date(value: Any) -> dt.date | None:
    """A date for a date column; timestamps become the local calendar day."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return (value.astimezone() if value.tzinfo else value).date()
    if isinstance(value, dt.date):
        return value
    return None


def temporary_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _parts_prefix(path: Path) -> str:
    return f".{path.name}."


def _sweep_leftovers(path: Path) -> None:
    """Remove what an earlier export to ``path`` left when it was killed outright (kill -9, power
    cut): its temporary file and XlsxWriter's folder. They are ours by name, and are about to be
    written afresh."""
    with contextlib.suppress(OSError):
        temporary_path(path).unlink(missing_ok=True)
        for leftover in path.parent.glob(f"{_parts_prefix(path)}*.parts"):
            shutil.rmtree(leftover, ignore_errors=True)


class _QuietAfterFailure(io.FileIO):
    """The workbook's file. After a write fails (disk full), later writes are dropped: XlsxWriter
    leaves its ZIP writer open when a write fails, and the ZIP writer's own clean-up would fail
    again, unseen, when it is collected. The file is deleted anyway."""

    failed = False

    def write(self, data: Any) -> int:
        if self.failed:
            return len(data)
        try:
            return super().write(data)
        except OSError:
            self.failed = True
            raise

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0 if self.failed else super().seek(offset, whence)

    def tell(self) -> int:
        return 0 if self.failed else super().tell()

    def flush(self) -> None:
        if not self.failed:
            super().flush()


def write_problem(exc: BaseException, path: Path) -> UserError:
    """The plain message for a failure to write ``path`` (disk full, read-only, share gone…)."""
    if isinstance(exc, UserError):
        return exc
    mapped = user_error_for(exc, str(path))
    if mapped is not None:
        return mapped
    reason = getattr(exc, "strerror", None) or exc
    return FileProblem(f"Cannot write {path}: {reason}.")


def _move_into_place(tmp: Path, path: Path) -> None:
    try:
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in (13, 1, 16, 26):  # EACCES, EPERM, EBUSY, ETXTBSY: usually open in Excel
            raise FileProblem(
                f"Cannot save {path}: {exc.strerror or exc}. If the file is open in Excel, close it and try again."
            ) from exc
        raise write_problem(exc, path) from exc


class SheetWriter:
    """What the export engine writes to: a main sheet of people and an "Excluded" list."""

    path: Path
    warnings: _Warnings

    def write_row(self, values: Sequence[Any]) -> None:
        raise NotImplementedError

    def write_excluded(self, values: Sequence[Any]) -> None:
        raise NotImplementedError

    def close(self) -> list[Path]:
        """Finish and move the file(s) into place; returns the files written."""
        raise NotImplementedError

    def abort(self) -> None:
        """Throw away what was written (cancel or error)."""
        raise NotImplementedError


EXCLUDED_COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", width=26),
    Column("email", "Email", width=32),
    Column("postcode", "Postcode", width=10, text_format=True),
    Column("reason", "Reason", width=44),
    Column("id", "Kindred ID", Kind.NUMBER, width=10),
)


class _XlsxSheet:
    """One worksheet written row by row in constant-memory mode."""

    def __init__(self, writer: XlsxExportWriter, name: str, columns: Sequence[Column]) -> None:
        self.writer = writer
        self.name = name
        self.ws = writer.workbook.add_worksheet(name)
        self.columns = list(columns)
        self.widths = [max(c.width, len(c.label) + 2) for c in self.columns]
        self.kinds = [c.kind for c in self.columns]
        self.all_text = all(k is Kind.TEXT for k in self.kinds)
        self.maybe_long = any(c.unbounded for c in self.columns)
        self.text_cols = [c.text_format for c in self.columns]
        fmts = writer.formats
        self.cell_fmt = [fmts["text"] if c.text_format else None for c in self.columns]
        self.quote_fmt = [fmts["quote_text"] if c.text_format else fmts["quote"] for c in self.columns]
        for col, label in enumerate(c.label for c in self.columns):
            self.ws.write_string(0, col, label, fmts["header"])
        self.row = 1
        self.ws.freeze_panes(1, 0)

    def write(self, values: Sequence[Any]) -> None:
        r = self.row
        if r >= EXCEL_MAX_ROWS:
            # XlsxWriter would silently drop the rest.
            raise FileProblem(
                f"{self.writer.path.name}: more than {EXCEL_MAX_ROWS - 1:,} rows will not fit on the "
                f"{self.name} sheet of an Excel workbook; export to .csv or narrow the list."
            )
        self.row += 1
        ws = self.ws
        if r <= WIDTH_SAMPLE_ROWS:
            self._measure(values)
        # The common case (mail merge): two quick searches over the whole row show that no cell needs care.
        if (
            self.all_text
            and not self.maybe_long
            and not _needs_care("\n" + "\n".join([v or "" for v in values]))
        ):
            formats = self.cell_fmt
            for c, v in enumerate(values):
                if v:
                    ws.write_string(r, c, v, formats[c])
            return
        for c, v in enumerate(values):
            if v is None or v == "":
                continue
            kind = self.kinds[c]
            if kind is Kind.TEXT:
                text = v if isinstance(v, str) else str(v)
                text = clean_text_cell(
                    text, sheet=self.name, row=r + 1, column=self.columns[c], warnings=self.writer.warnings
                )
                if text:
                    fmt = self.quote_fmt[c] if text[:1] in FORMULA_STARTS else self.cell_fmt[c]
                    ws.write_string(r, c, text, fmt)
            elif kind is Kind.DATE:
                day = as_date(v)
                if day is not None:
                    ws.write_datetime(r, c, day, self.writer.formats["date"])
            else:
                ws.write_number(r, c, v)

    def _measure(self, values: Sequence[Any]) -> None:
        widths = self.widths
        for c, v in enumerate(values):
            if v.__class__ is str:
                n = len(v) + 2
                if n > widths[c]:
                    widths[c] = min(n, MAX_WIDTH)

    def finish(self) -> None:
        last = max(self.row - 1, 0)
        self.ws.autofilter(0, 0, last, len(self.columns) - 1)
        fmts = self.writer.formats
        for c, width in enumerate(self.widths):
            fmt = (
                fmts["text"] if self.text_cols[c] else (fmts["date"] if self.kinds[c] is Kind.DATE else None)
            )
            self.ws.set_column(c, c, width, fmt)


class XlsxExportWriter(SheetWriter):
    """An ``.xlsx`` workbook: the people, then an "Excluded" sheet."""

    def __init__(
        self,
        path: Path,
        columns: Sequence[Column],
        *,
        sheet_name: str = "People",
        title: str = "",
        subject: str = "",
        comments: str = "",
        author: str = "",
        created: dt.datetime | None = None,
    ) -> None:
        import xlsxwriter

        self.path = path
        self.tmp = temporary_path(path)
        self.warnings = _Warnings()
        self._closed = False
        _sweep_leftovers(path)
        try:
            # XlsxWriter's per-sheet temporary files: beside the target, where we can clean them.
            self.parts = Path(tempfile.mkdtemp(prefix=_parts_prefix(path), suffix=".parts", dir=path.parent))
            self._file = _QuietAfterFailure(self.tmp, "w")
        except OSError as exc:
            raise write_problem(exc, path) from exc
        self.workbook = xlsxwriter.Workbook(
            self._file,
            {
                "tmpdir": str(self.parts),
                "constant_memory": True,
                # Belt and braces: every contact cell goes through write_string anyway.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        wb = self.workbook
        self.formats = {
            "header": wb.add_format({"bold": True, "bottom": 1}),
            "text": wb.add_format({"num_format": "@"}),
            "quote": wb.add_format({"quote_prefix": True}),
            "quote_text": wb.add_format({"quote_prefix": True, "num_format": "@"}),
            "date": wb.add_format({"num_format": "dd/mm/yyyy"}),
        }
        wb.set_properties(
            {
                "title": title,
                "subject": subject,
                "author": author,
                "comments": comments,
                "created": created or dt.datetime.now(),
            }
        )
        self.main = _XlsxSheet(self, sheet_name, columns)
        self.excluded = _XlsxSheet(self, EXCLUDED_SHEET, EXCLUDED_COLUMNS)

    def write_row(self, values: Sequence[Any]) -> None:
        try:
            self.main.write(values)
        except OSError as exc:
            raise write_problem(exc, self.path) from exc

    def write_excluded(self, values: Sequence[Any]) -> None:
        try:
            self.excluded.write(values)
        except OSError as exc:
            raise write_problem(exc, self.path) from exc

    def _close_workbook(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.main.finish()
            self.excluded.finish()
            self.workbook.close()
        except Exception as exc:  # XlsxWriter raises its own FileCreateError and OSErrors
            self._discard_file()
            raise write_problem(exc, self.path) from exc
        finally:
            shutil.rmtree(self.parts, ignore_errors=True)
        try:
            self._file.close()
        except OSError as exc:
            self.tmp.unlink(missing_ok=True)
            raise write_problem(exc, self.path) from exc

    def close(self) -> list[Path]:
        self._close_workbook()
        _move_into_place(self.tmp, self.path)
        return [self.path]

    def abort(self) -> None:
        try:
            # Closing a workbook that failed half-way can fail again: that must not hide the error.
            with contextlib.suppress(Exception):
                self._close_workbook()
        finally:
            self._discard_file()
            shutil.rmtree(self.parts, ignore_errors=True)

    def _discard_file(self) -> None:
        # XlsxWriter keeps each sheet's rows in an open temporary file until the workbook is
        # assembled; after a failure they would only be closed, with a warning, when collected.
        for sheet in self.workbook.worksheets():
            handle = getattr(sheet, "row_data_fh", None)
            if handle is not None and not handle.closed:
                with contextlib.suppress(Exception):  # a full disk fails the final flush too
                    handle.close()
        self._file.failed = True  # whatever XlsxWriter still holds open writes nowhere now
        with contextlib.suppress(OSError):
            self._file.close()
        self.tmp.unlink(missing_ok=True)


class _CsvSheet:
    def __init__(self, writer: CsvExportWriter, name: str, path: Path, columns: Sequence[Column]) -> None:
        self.writer = writer
        self.name = name
        self.path = path
        self.tmp = temporary_path(path)
        self.columns = list(columns)
        self.kinds = [c.kind for c in self.columns]
        try:
            # UTF-8 with a byte-order mark: without it Excel reads the file as the local code page
            # and mangles accents.
            self.fh = self.tmp.open("w", encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise write_problem(exc, path) from exc
        self.csv = csv.writer(self.fh)
        self.csv.writerow([c.label for c in self.columns])
        self.row = 1

    def write(self, values: Sequence[Any]) -> None:
        self.row += 1
        out: list[str] = []
        for c, v in enumerate(values):
            if v is None:
                out.append("")
                continue
            kind = self.kinds[c]
            if kind is Kind.TEXT:
                text = v if isinstance(v, str) else str(v)
                if _needs_care("\n" + text) or (
                    self.columns[c].unbounded and len(text) > EXCEL_CELL_LIMIT // 2
                ):
                    text = clean_text_cell(
                        text,
                        sheet=self.name,
                        row=self.row,
                        column=self.columns[c],
                        warnings=self.writer.warnings,
                    )
                    text = neutralise_csv(text)
                out.append(text)
            elif kind is Kind.DATE:
                day = as_date(v)
                out.append(day.isoformat() if day else "")
            else:
                out.append(str(v))
        self.csv.writerow(out)

    def close(self) -> None:
        if not self.fh.closed:
            self.fh.close()


class CsvExportWriter(SheetWriter):
    """A ``.csv`` file (UTF-8 with BOM) and, beside it, ``NAME-excluded.csv``."""

    def __init__(self, path: Path, columns: Sequence[Column]) -> None:
        self.path = path
        self.excluded_path = path.with_name(f"{path.stem}-excluded{path.suffix}")
        self.warnings = _Warnings()
        _sweep_leftovers(path)
        _sweep_leftovers(self.excluded_path)
        self.main = _CsvSheet(self, path.name, path, columns)
        try:
            self.excluded = _CsvSheet(self, self.excluded_path.name, self.excluded_path, EXCLUDED_COLUMNS)
        except FileProblem:
            self.main.close()
            self.main.tmp.unlink(missing_ok=True)
            raise

    def write_row(self, values: Sequence[Any]) -> None:
        try:
            self.main.write(values)
        except OSError as exc:
            raise write_problem(exc, self.path) from exc

    def write_excluded(self, values: Sequence[Any]) -> None:
        try:
            self.excluded.write(values)
        except OSError as exc:
            raise write_problem(exc, self.excluded_path) from exc

    def close(self) -> list[Path]:
        try:
            self.main.close()
            self.excluded.close()
        except OSError as exc:
            self.abort()
            raise write_problem(exc, self.path) from exc
        _move_into_place(self.main.tmp, self.path)
        _move_into_place(self.excluded.tmp, self.excluded_path)
        return [self.path, self.excluded_path]

    def abort(self) -> None:
        for sheet in (self.main, self.excluded):
            # A full disk can fail the final flush too: the file goes either way.
            with contextlib.suppress(OSError):
                sheet.close()
            sheet.tmp.unlink(missing_ok=True)


def open_writer(path: Path, columns: Sequence[Column], **properties: Any) -> SheetWriter:
    """The writer for the file's extension (``.xlsx`` or ``.csv``)."""
    suffix = path.suffix.lower()
    if not path.parent.is_dir():
        raise FileProblem(f"Cannot save {path}: the folder {path.parent} does not exist.")
    if suffix == ".xlsx":
        return XlsxExportWriter(path, columns, **properties)
    if suffix == ".csv":
        return CsvExportWriter(path, columns)
    raise FileProblem(f"Cannot export to {path.name}: choose a file name ending in .xlsx or .csv.")
