"""The four Excel reports: the figures as tables beside native Excel charts, and a cover sheet.

The charts are XlsxWriter's own (``add_chart``), drawn by Excel or LibreOffice from the cells, so
they stay live and editable. Every text from the data is written with ``write_string``: nothing
becomes a formula or a link, whatever a name or a note starts with.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from crm import __version__
from crm.errors import FileProblem, ValidationError
from crm.reports import aggregates
from crm.reports.period import Period

REPORTS: dict[str, str] = {
    "engagement": "Engagement with representatives",
    "networks": "Networks over time",
    "events": "Events: invited to followed up",
    "data-quality": "Data quality",
}
# Colours that read on white and in print, in series order (Okabe and Ito's colour-blind-safe set).
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
MAX_EXCEL_TEXT = 32_767


@dataclass(frozen=True)
class ReportResult:
    report: str
    path: Path
    period: Period
    sheets: list[str]
    charts: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": self.report,
            "path": str(self.path),
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "sheets": self.sheets,
            "charts": self.charts,
        }


def check_report_name(name: str) -> str:
    if name not in REPORTS:
        raise ValidationError(
            f"There is no report called {name!r}: choose one of {', '.join(REPORTS)}.", "report"
        )
    return name


class _Book:
    """An XlsxWriter workbook with the report's formats and table and chart helpers."""

    def __init__(self, path: Path, title: str, period: Period) -> None:
        import xlsxwriter

        self.path = path
        self.tmp = path.with_name(f".{path.name}.partial")
        self.workbook = xlsxwriter.Workbook(
            str(self.tmp),
            {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
        )
        wb = self.workbook
        self.title = title
        self.period = period
        self.charts = 0
        self.sheets: list[str] = []
        self.f_title = wb.add_format({"bold": True, "font_size": 16})
        self.f_bold = wb.add_format({"bold": True})
        self.f_header = wb.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
        self.f_date = wb.add_format({"num_format": "dd/mm/yyyy", "align": "left"})
        self.f_percent = wb.add_format({"num_format": "0.0"})
        self.f_wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        wb.set_properties(
            {
                "title": title,
                "subject": f"{title}, {period.describe()}",
                "comments": f"Made by Kindred {__version__}",
                "created": dt.datetime.now(),
            }
        )

    def text(self, sheet: Any, row: int, col: int, value: str, fmt: Any = None) -> None:
        sheet.write_string(row, col, value[:MAX_EXCEL_TEXT], fmt)

    def cover(self, counted: Sequence[str], notes: Sequence[str] = ()) -> None:
        sheet = self.workbook.add_worksheet("Cover")
        self.sheets.append("Cover")
        sheet.set_column(0, 0, 110)
        self.text(sheet, 0, 0, self.title, self.f_title)
        self.text(sheet, 2, 0, f"Period: {self.period.describe()} (both days included)", self.f_bold)
        self.text(sheet, 3, 0, f"Made on {dt.datetime.now():%d %B %Y at %H:%M} by Kindred {__version__}.")
        row = 5
        self.text(sheet, row, 0, "What was counted", self.f_bold)
        for line in counted:
            row += 1
            self.text(sheet, row, 0, line, self.f_wrap)
        if notes:
            row += 2
            self.text(sheet, row, 0, "Notes", self.f_bold)
            for line in notes:
                row += 1
                self.text(sheet, row, 0, line, self.f_wrap)
        row += 2
        self.text(
            sheet,
            row,
            0,
            "People in the Trash are never counted. Each sheet holds a table and a chart drawn from it; "
            "the charts follow the cells if you edit them.",
            self.f_wrap,
        )

    def table(
        self,
        name: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        widths: Sequence[int] = (),
        note: str | None = None,
    ) -> tuple[Any, int, int]:
        """A sheet with a header row and ``rows``; returns the sheet, its first data row and last row."""
        sheet = self.workbook.add_worksheet(name)
        self.sheets.append(name)
        first = 0
        if note:
            self.text(sheet, 0, 0, note, self.f_wrap)
            first = 2
        for col, header in enumerate(headers):
            self.text(sheet, first, col, header, self.f_header)
            sheet.set_column(col, col, widths[col] if col < len(widths) else 14)
        for r, values in enumerate(rows, start=first + 1):
            for col, value in enumerate(values):
                self.cell(sheet, r, col, value)
        sheet.freeze_panes(first + 1, 0)
        return sheet, first + 1, first + len(rows)

    def cell(self, sheet: Any, row: int, col: int, value: Any) -> None:
        if value is None:
            sheet.write_blank(row, col, None)
        elif isinstance(value, bool):
            self.text(sheet, row, col, "Yes" if value else "No")
        elif isinstance(value, float):
            sheet.write_number(row, col, value, self.f_percent)
        elif isinstance(value, int):
            sheet.write_number(row, col, value)
        elif isinstance(value, dt.date):
            sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), self.f_date)
        else:
            self.text(sheet, row, col, str(value))

    def chart(
        self,
        sheet: Any,
        kind: str,
        title: str,
        *,
        categories: tuple[int, int, int],
        series: Sequence[tuple[str, int]],
        first_row: int,
        last_row: int,
        at: str,
        subtype: str | None = None,
        y_title: str = "People",
        x_title: str | None = None,
        size: tuple[int, int] = (760, 400),
    ) -> None:
        """A native chart of columns of ``sheet``: ``categories`` is (first row, last row, column),
        ``series`` (name, column) pairs over rows ``first_row``–``last_row``."""
        if last_row < first_row:
            return  # nothing to draw; the table says so
        options: dict[str, Any] = {"type": kind}
        if subtype:
            options["subtype"] = subtype
        chart = self.workbook.add_chart(options)
        name = sheet.get_name()
        for i, (label, col) in enumerate(series):
            colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
            spec: dict[str, Any] = {
                "name": label,
                "categories": [name, categories[0], categories[2], categories[1], categories[2]],
                "values": [name, first_row, col, last_row, col],
            }
            if kind == "line":
                spec["line"] = {"color": colour, "width": 2.25}
                spec["marker"] = {
                    "type": "circle",
                    "size": 5,
                    "fill": {"color": colour},
                    "border": {"color": colour},
                }
            else:
                spec["fill"] = {"color": colour}
                spec["border"] = {"color": colour}
            chart.add_series(spec)
        chart.set_title({"name": title, "name_font": {"size": 12}})
        value_axis = {
            "name": y_title,
            "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
            "min": 0,
        }
        category_axis: dict[str, Any] = {"name": x_title} if x_title else {}
        if kind == "bar":  # horizontal bars: Excel's x axis is the values
            chart.set_x_axis(value_axis)
            chart.set_y_axis({**category_axis, "reverse": True})
        else:
            chart.set_y_axis(value_axis)
            chart.set_x_axis(category_axis)
        chart.set_legend({"position": "bottom" if len(series) > 1 else "none"})
        chart.set_size({"width": size[0], "height": size[1]})
        sheet.insert_chart(at, chart)
        self.charts += 1

    def close(self) -> None:
        try:
            self.workbook.close()
        except Exception as exc:  # XlsxWriter's FileCreateError and OSErrors
            _remove(self.tmp)
            raise FileProblem(f"Cannot write {self.path}: {exc}") from exc
        try:
            os.replace(self.tmp, self.path)
        except OSError as exc:
            _remove(self.tmp)
            raise FileProblem(
                f"Cannot save {self.path}: {exc.strerror or exc}. If the file is open in Excel, close it "
                "and try again."
            ) from exc

    def abort(self) -> None:
        # Closed all the same (XlsxWriter would write the file when collected), then removed.
        with contextlib.suppress(Exception):
            self.workbook.close()
        _remove(self.tmp)


def _remove(path: Path) -> None:
    """Remove our temporary file, never anything else that stands in its place."""
    if path.is_file():
        path.unlink()


def _bar_height(rows: int) -> int:
    return max(300, min(1400, 90 + 26 * rows))


def _engagement(book: _Book, session: Session, period: Period) -> None:
    data = aggregates.engagement(session, period, detail=True)
    book.cover(
        [
            "Interactions: every meeting, call, email, letter and event recorded, dated within the period "
            "(interactions in the Trash are left out); 'with representatives' counts those with at least one "
            "current representative taking part.",
            f"Representatives: people holding a seat in the Scottish Parliament (MSPs), the Senedd (MSs) or "
            f"the House of Commons (MPs) on {data.as_at:%d %B %Y}; former members are left out.",
            "Engaged: took part in at least one interaction within the period.",
            f"Not contacted in six months: no recorded contact since {data.not_contacted_since:%d %B %Y}, "
            "or never.",
        ]
    )
    sheet, first, last = book.table(
        "By month",
        ["Month", "Interactions", "With representatives"],
        [(m.label, m.interactions, m.with_representatives) for m in data.months],
        widths=(12, 14, 22),
    )
    book.chart(
        sheet,
        "column",
        "Interactions per month",
        categories=(first, last, 0),
        series=[("Interactions", 1), ("With representatives", 2)],
        first_row=first,
        last_row=last,
        at="E2",
        y_title="Interactions",
    )
    sheet, first, last = book.table(
        "Chambers",
        ["Chamber", "Members", "Engaged", "Engaged (%)", "Not contacted in 6 months"],
        [(s.group, s.members, s.engaged, s.percent, s.not_contacted) for s in data.chambers],
        widths=(16, 10, 10, 12, 16),
    )
    book.chart(
        sheet,
        "column",
        "Current representatives engaged in the period",
        categories=(first, last, 0),
        series=[("Members", 1), ("Engaged", 2)],
        first_row=first,
        last_row=last,
        at="G2",
    )
    for title, shares, label in (
        ("By party", data.by_party, "Party"),
        ("By region", data.by_region, "Region or constituency"),
    ):
        sheet, first, last = book.table(
            title,
            ["Chamber", label, "Members", "Engaged", "Engaged (%)", "Not contacted in 6 months"],
            [
                (
                    dict(aggregates.REPRESENTATIVE_CHAMBERS)[s.chamber],
                    s.group,
                    s.members,
                    s.engaged,
                    s.percent,
                    s.not_contacted,
                )
                for s in shares
            ],
            widths=(10, 36, 10, 10, 12, 16),
        )
        book.chart(
            sheet,
            "bar",
            f"Representatives engaged, {title.lower()}",
            categories=(first, last, 1),
            series=[("Members", 2), ("Engaged", 3)],
            first_row=first,
            last_row=last,
            at="H2",
            size=(760, _bar_height(last - first + 1)),
        )
    book.table(
        "Representatives",
        ["Name", "Chamber", "Party", "Constituency", "Region", "Last contacted", "Interactions in period"],
        [
            (
                r.name,
                dict(aggregates.REPRESENTATIVE_CHAMBERS)[r.chamber],
                r.party,
                r.constituency,
                r.region,
                r.last_contacted,
                r.interactions,
            )
            for r in data.representatives
        ],
        widths=(28, 10, 34, 30, 24, 14, 12),
        note="Least recently contacted first; an empty date means never.",
    )


def _networks(book: _Book, session: Session, period: Period) -> None:
    data = aggregates.networks(session, period)
    book.cover(
        [
            "Members: people in a network on the last day of each month (or of the period), not merely "
            "invited and not left by then; people and networks in the Trash are left out.",
            "Joined and left: memberships whose join or leaving date falls in the month.",
            "By nation and by sector: members on the period's last day, by the nation recorded for the "
            "person and the sector of their organisation.",
            "A cohort or working group recorded as a network of its own is counted as its own network.",
        ]
    )
    names = [s.name for s in data.series]
    rows = [[label, *(s.members[i] for s in data.series)] for i, label in enumerate(data.month_labels)]
    sheet, first, last = book.table(
        "Members over time", ["Month", *names], rows, widths=(12, *[22] * len(names))
    )
    book.chart(
        sheet,
        "line",
        "Members at the end of each month",
        categories=(first, last, 0),
        series=[(n, i + 1) for i, n in enumerate(names)],
        first_row=first,
        last_row=last,
        at=f"{_column_letter(len(names) + 2)}2",
        y_title="Members",
    )
    headers = ["Month"]
    for n in names:
        headers += [f"{n}: joined", f"{n}: left"]
    rows = [
        [label, *(v for s in data.series for v in (s.joined[i], s.left[i]))]
        for i, label in enumerate(data.month_labels)
    ]
    sheet, first, last = book.table(
        "Joins and leaves", headers, rows, widths=(12, *[16] * (len(headers) - 1))
    )
    book.chart(
        sheet,
        "column",
        "Joins and leaves per month",
        categories=(first, last, 0),
        series=[(h, i + 1) for i, h in enumerate(headers[1:])],
        first_row=first,
        last_row=last,
        at=f"{_column_letter(len(headers) + 1)}2",
        y_title="Memberships",
    )
    for title, splits in (
        ("By nation", data.by_nation),
        ("By sector", data.by_sector),
        ("By cohort", data.by_cohort),
    ):
        if not splits:
            continue  # no network has cohorts
        groups = sorted({s.group for s in splits}, key=lambda g: (g == aggregates.NOT_RECORDED, g))
        table = {(s.network, s.group): s.members for s in splits}
        rows = [[n, *(table.get((n, g), 0) for g in groups)] for n in names]
        sheet, first, last = book.table(title, ["Network", *groups], rows, widths=(30, *[14] * len(groups)))
        book.chart(
            sheet,
            "bar",
            f"Members {title.lower()} on {period.end:%d %B %Y}",
            categories=(first, last, 0),
            series=[(g, i + 1) for i, g in enumerate(groups)],
            first_row=first,
            last_row=last,
            at=f"{_column_letter(len(groups) + 2)}2",
            subtype="stacked",
            size=(760, _bar_height(last - first + 1) + 60),
        )


def _events(book: _Book, session: Session, period: Period) -> None:
    data = aggregates.events(session, period)
    book.cover(
        [
            "Events starting within the period (events in the Trash left out).",
            "Invited: everyone on the event's list. Registered: registered, attended or marked as a no-show. "
            "Attended: marked as attended.",
            f"Followed up: attended, and took part in a later interaction within {aggregates.FOLLOW_UP_DAYS} days "
            "of the event's last day (the event's own record does not count).",
            "Stations: people who attended, by the station, workshop or breakout room they were placed at "
            "(someone at several counts at each).",
        ]
    )
    sheet, first, last = book.table(
        "Funnel",
        ["Event", "Date", "Invited", "Registered", "Attended", "Followed up"],
        [(e.name, e.starts_on, e.invited, e.registered, e.attended, e.followed_up) for e in data.events],
        widths=(48, 12, 10, 11, 10, 12),
    )
    book.chart(
        sheet,
        "bar",
        "From invited to followed up, per event",
        categories=(first, last, 0),
        series=[("Invited", 2), ("Registered", 3), ("Attended", 4), ("Followed up", 5)],
        first_row=first,
        last_row=last,
        at="H2",
        size=(820, _bar_height(4 * (last - first + 1))),
    )
    totals = data.totals
    sheet, first, last = book.table(
        "All events",
        ["Stage", "People"],
        list(zip(("Invited", "Registered", "Attended", "Followed up"), totals, strict=True)),
        widths=(16, 10),
    )
    book.chart(
        sheet,
        "column",
        f"All {len(data.events)} events in the period",
        categories=(first, last, 0),
        series=[("People", 1)],
        first_row=first,
        last_row=last,
        at="D2",
    )
    sheet, first, last = book.table(
        "Stations",
        ["Event", "Station", "Attended"],
        [(s.event, s.station, s.attended) for s in data.stations],
        widths=(48, 40, 10),
        note=None if data.stations else "No event in the period has stations, workshops or breakout rooms.",
    )
    book.chart(
        sheet,
        "bar",
        "Attendance by station",
        categories=(first, last, 1),
        series=[("Attended", 2)],
        first_row=first,
        last_row=last,
        at="E2",
        size=(760, _bar_height(last - first + 1)),
    )


def _data_quality(book: _Book, session: Session, period: Period) -> None:
    data = aggregates.data_quality(session, period)
    book.cover(
        [
            f"People not in the Trash on {data.as_at:%d %B %Y}: {data.people:,}. Each check counts the people "
            "the People list shows with that check's filter.",
            *(f"{c.label}: {c.description}" for c in data.checks),
        ],
        notes=[
            "These checks describe the records as they are today; the period is recorded for reference only.",
        ],
    )
    sheet, first, last = book.table(
        "Checks",
        ["Check", "People", "Of everyone (%)", "What it means"],
        [
            (c.label, c.count, round(100.0 * c.count / data.people, 1) if data.people else 0.0, c.description)
            for c in data.checks
        ],
        widths=(26, 10, 14, 70),
    )
    book.chart(
        sheet,
        "bar",
        "People needing attention, by check",
        categories=(first, last, 0),
        series=[("People", 1)],
        first_row=first,
        last_row=last,
        at="F2",
        size=(700, _bar_height(last - first + 1)),
    )


_WRITERS: dict[str, Callable[[_Book, Session, Period], None]] = {
    "engagement": _engagement,
    "networks": _networks,
    "events": _events,
    "data-quality": _data_quality,
}


def _column_letter(index: int) -> str:
    """Excel's column letters for a 1-based index."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def write_report(session: Session, name: str, path: str | os.PathLike[str], period: Period) -> ReportResult:
    """Write report ``name`` for ``period`` to ``path`` (.xlsx), replacing the file only once complete."""
    check_report_name(name)
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise FileProblem(f"Cannot write {target.name}: a report is an Excel file, so end its name in .xlsx.")
    if not target.parent.is_dir():
        raise FileProblem(f"Cannot save {target}: the folder {target.parent} does not exist.")
    if target.is_dir():
        raise FileProblem(f"Cannot save {target}: it is a folder; choose a file name ending in .xlsx.")
    book = _Book(target, REPORTS[name], period)
    try:
        _WRITERS[name](book, session, period)
    except BaseException:
        book.abort()
        raise
    book.close()
    return ReportResult(name, target, period, book.sheets, book.charts)
