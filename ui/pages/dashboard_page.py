"""The dashboard: engagement with representatives, networks, events, follow-ups and data quality.

Every figure is a SQL aggregate from :mod:`crm.reports.aggregates`, computed on a worker through
the TaskRunner; cards asking for the same figures over the same period share one query. The page
is built without Qt Charts: :mod:`ui.charts` (which loads it) is imported when the first figures
arrive, so opening a database shows the page at once.

Each chart card has its own period, a table of the same numbers (the text alternative: "Show as
table"), hover values, and Export as PNG. The data-quality tiles open the People list with the
tile's filter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm.filters import PersonFilter
from crm.reports import aggregates
from crm.reports.excel import REPORTS
from crm.reports.period import PRESETS, Period

from ui import dialogs
from ui.pages.common import Column, RowsModel, fit_columns, format_date, make_table
from ui.tasks import TaskContext, TaskRunner, emit

DEFAULT_PRESET = "last_12_months"
# The aggregate behind each source name, for a session and a period.
SOURCES: dict[str, Callable[[Any, Period], Any]] = dict(aggregates.DASHBOARD_SOURCES)
MAX_EVENTS = 8  # the latest events in the period; the table and the report have them all


def _period_combo(name: str) -> QComboBox:
    box = QComboBox()
    box.setAccessibleName(name)
    for key, label in PRESETS:
        box.addItem(label, key)
    box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return box


class ChartCard(QFrame):
    """A titled chart with its own period, a table of the same numbers, hover values and PNG export.

    ``build`` turns the source's figures into a :class:`ui.charts.ChartSpec`-like tuple of
    ``(kind, categories, series, value_title)``; ``extra`` (optional) updates widgets below.
    """

    period_changed = Signal()

    def __init__(
        self,
        key: str,
        title: str,
        source: str,
        build: Callable[[Any], tuple[Any, ...]],
        *,
        empty_message: str = "Nothing to show for this period.",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.key = key
        self.title = title
        self.source = source
        self.build = build
        self.empty_message = empty_message
        self.data: Any = None
        self.spec: Any = None
        self.chart_view: Any = None
        self.hover_text = ""
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(title)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

        heading = QLabel(title)
        font = QFont(heading.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        heading.setFont(font)
        self.heading = heading
        self.period_box = _period_combo(f"Period for {title}")
        self.period_box.currentIndexChanged.connect(lambda _i: emit(self.period_changed))
        self.table_button = QToolButton()
        self.table_button.setText("Table")
        self.table_button.setCheckable(True)
        self.table_button.setToolTip("Show the numbers as a table")
        self.table_button.setAccessibleName(f"Show {title} as a table")
        self.table_button.toggled.connect(self._show_table)
        self.png_button = QToolButton()
        self.png_button.setText("PNG…")
        self.png_button.setToolTip("Export as PNG")
        self.png_button.setAccessibleName(f"Export {title} as PNG")
        self.png_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(self.period_box)
        top.addWidget(self.table_button)
        top.addWidget(self.png_button)

        self.message = QLabel("Counting…")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(220)
        self.table = QTableView()
        self.table.setAccessibleName(f"{title}: the numbers")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(220)
        self.table_model = QStandardItemModel(self)
        self.table.setModel(self.table_model)
        self.body = QStackedWidget()
        self.body.addWidget(self.message)
        self.body.addWidget(self.table)
        self.hover_label = QLabel(" ")
        self.hover_label.setAccessibleName(f"{title}: value under the pointer")
        self.hover_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        palette = self.hover_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText))
        self.hover_label.setPalette(palette)
        self.extra = QVBoxLayout()
        self.extra.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.hover_label)
        layout.addLayout(self.extra)

    @property
    def period_key(self) -> str:
        return str(self.period_box.currentData())

    def period(self, today: dt.date | None = None) -> Period:
        return Period.preset(self.period_key, today)

    def set_period_key(self, key: str) -> None:
        """Choose a period without announcing it (the page reloads everything at once)."""
        i = self.period_box.findData(key)
        self.period_box.blockSignals(True)
        self.period_box.setCurrentIndex(max(i, 0))
        self.period_box.blockSignals(False)

    def set_loading(self) -> None:
        if self.data is None:
            self.message.setText("Counting…")

    def set_data(self, data: Any) -> None:
        """Draw the figures (imports Qt Charts the first time)."""
        from ui import charts

        self.data = data
        kind, categories, series, value_title, *colours = self.build(data)
        self.spec = charts.ChartSpec(kind, categories, series, value_title=value_title)
        if colours:
            self.spec.colours = colours[0]
        self._fill_table()
        if self.chart_view is not None:
            self.body.removeWidget(self.chart_view)
            self.chart_view.deleteLater()
            self.chart_view = None
        if self.spec.is_empty:
            self.message.setText(self.empty_message)
            self.png_button.setEnabled(False)
            if not self.table_button.isChecked():
                self.body.setCurrentWidget(self.message)
            return
        self.chart_view = charts.make_chart_view(self.spec, self.palette(), self._hovered)
        self.chart_view.setAccessibleName(f"{self.title}: chart")
        self.chart_view.setAccessibleDescription("Choose Table for the numbers.")
        self.body.insertWidget(0, self.chart_view)
        self.png_button.setEnabled(True)
        self.body.setCurrentWidget(self.table if self.table_button.isChecked() else self.chart_view)

    def _fill_table(self) -> None:
        model = self.table_model
        model.clear()
        model.setHorizontalHeaderLabels(["", *[name for name, _v in self.spec.series]])
        for i, category in enumerate(self.spec.categories):
            row = [QStandardItem(category)]
            for _name, values in self.spec.series:
                item = QStandardItem(
                    f"{values[i]:,.0f}" if float(values[i]).is_integer() else f"{values[i]:,.1f}"
                )
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                row.append(item)
            model.appendRow(row)
        self.table.resizeColumnsToContents()

    def _show_table(self, on: bool) -> None:
        self.table_button.setText("Chart" if on else "Table")
        self.table_button.setToolTip("Show the chart" if on else "Show the numbers as a table")
        if on:
            self.body.setCurrentWidget(self.table)
        elif self.chart_view is not None:
            self.body.setCurrentWidget(self.chart_view)
        else:
            self.body.setCurrentWidget(self.message)

    def _hovered(self, text: str) -> None:
        self.hover_text = text
        self.hover_label.setText(text or " ")
        if self.chart_view is not None:
            self.chart_view.setToolTip(text)

    def shown_widget(self) -> QWidget:
        return self.body.currentWidget() or self.body

    def changeEvent(self, event: QEvent) -> None:
        # Follow the light/dark palette when the application's changes.
        if event.type() == QEvent.Type.PaletteChange and self.chart_view is not None:
            from ui import charts

            charts.apply_palette(self.chart_view, self.palette())
        super().changeEvent(event)


class Tile(QPushButton):
    """A count that opens a list: "1,204 / No email"."""

    def __init__(self, key: str, label: str, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.label = label
        self.count: int | None = None
        self.setToolTip(description)
        self.setMinimumHeight(56)
        self.setMinimumWidth(60)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.set_count(None)

    def set_count(self, count: int | None) -> None:
        self.count = count
        number = "…" if count is None else f"{count:,}"
        self.setText(f"{number}\n{self.label}")
        self.setAccessibleName(f"{self.label}: {number}. Opens the list.")


class DashboardPage(QWidget):
    """Signals:
    person_activated(int): open a person (from the representatives' table).
    people_filter_requested(object, str): open the People list with a PersonFilter, named.
    page_requested(str): open another page ("followups").
    loaded(): every card and tile has its figures.
    """

    person_activated = Signal(int)
    people_filter_requested = Signal(object, str)
    page_requested = Signal(str)
    loaded = Signal()
    report_written = Signal(str)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._generation = 0
        self._cache: dict[tuple[str, Period], Any] = {}
        self._waiting: dict[tuple[str, Period], list[Callable[[Any], None]]] = {}
        self._outstanding = 0
        self._painted = False
        self._refresh_pending = False
        self.cards: dict[str, ChartCard] = {}
        self._build()

    # --- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        title = QLabel("Dashboard")
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.4)
        title.setFont(font)
        self.period_box = _period_combo("Period for every chart")
        self.period_box.currentIndexChanged.connect(self._page_period_changed)
        self.report_button = QToolButton()
        self.report_button.setText("Export report…")
        self.report_button.setAccessibleName("Export a report to Excel")
        self.report_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.report_button)
        for name, label in REPORTS.items():
            menu.addAction(f"{label}…").triggered.connect(lambda _c=False, n=name: self.export_report(n))
        self.report_button.setMenu(menu)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(QLabel("Period"))
        top.addWidget(self.period_box)
        top.addWidget(self.report_button)
        top.addWidget(self.refresh_button)

        # Tiles: data quality, and follow-ups due now.
        self.tiles: dict[str, Tile] = {}
        quality = _TileGroup("Data quality: people to look at", 4)
        for check in aggregates.QUALITY_CHECKS:
            tile = Tile(check.key, check.label, check.description)
            tile.clicked.connect(
                lambda _c=False, c=check: emit(self.people_filter_requested, c.filter, c.label)
            )
            self.tiles[check.key] = tile
            quality.add(tile)
        follow = _TileGroup("Follow-ups", 1)
        for key, label, tip in (
            ("overdue", "Overdue", "Open follow-ups whose date has passed."),
            ("due_this_week", "Due this week", "Open follow-ups due from today to Sunday."),
        ):
            tile = Tile(key, label, tip)
            tile.clicked.connect(lambda _c=False: emit(self.page_requested, "followups"))
            self.tiles[key] = tile
            follow.add(tile)
        tiles = QHBoxLayout()
        tiles.addWidget(quality.box, 4)
        tiles.addWidget(follow.box, 1)

        self._add_cards()
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(12)
        for i, card in enumerate(self.cards.values()):
            grid.addWidget(card, i // 2, i % 2)
        grid.addWidget(self._representatives_box(), (len(self.cards) + 1) // 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        content = QWidget()
        inner = QVBoxLayout(content)
        inner.addLayout(top)
        inner.addLayout(tiles)
        inner.addLayout(grid)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        self.scroll_area = scroll
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def _add_cards(self) -> None:
        def card(key: str, title: str, source: str, build: Any, **kw: Any) -> ChartCard:
            c = ChartCard(key, title, source, build, **kw)
            c.period_changed.connect(lambda c=c: self._load_card(c))
            c.png_button.clicked.connect(lambda _c=False, c=c: self.export_png(c))
            self.cards[key] = c
            return c

        card("interactions", "Interactions per month", "engagement", _interactions_per_month)
        engaged = card("engaged", "Current representatives engaged", "engagement", _engaged_by_chamber)
        self.not_contacted = QVBoxLayout()
        engaged.extra.addLayout(self.not_contacted)
        self.not_contacted_buttons: dict[str, QPushButton] = {}
        for chamber, label in aggregates.REPRESENTATIVE_CHAMBERS:
            button = QPushButton()
            button.setFlat(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _c=False, ch=chamber, lb=label: self._open_not_contacted(ch, lb))
            button.hide()
            self.not_contacted_buttons[chamber] = button
            self.not_contacted.addWidget(button)
        self.not_contacted.addStretch(1)

        for key, title, field in (
            ("by_party", "Engaged by party", "by_party"),
            ("by_region", "Engaged by region or constituency", "by_region"),
        ):
            c = card(key, title, "engagement", lambda d, f=field, k=key: _shares(d, f, self._chamber(k)))
            box = QComboBox()
            box.setAccessibleName(f"Chamber for {title}")
            for chamber, label in aggregates.REPRESENTATIVE_CHAMBERS:
                box.addItem(label, chamber)
            box.currentIndexChanged.connect(
                lambda _i, c=c: c.set_data(c.data) if c.data is not None else None
            )
            row = QHBoxLayout()
            row.addWidget(QLabel("Chamber"))
            row.addWidget(box)
            row.addStretch(1)
            c.extra.addLayout(row)
            setattr(self, f"{key}_chamber", box)

        card("members", "Network members over time", "network_series", _members_over_time)
        split = card(
            "network_split",
            "Network members by nation",
            "network_split",
            lambda d: _network_split(d, self._split_field()),
        )
        self.split_box = QComboBox()
        self.split_box.setAccessibleName("Split network members by")
        self.split_box.addItem("Nation", "by_nation")
        self.split_box.addItem("Sector", "by_sector")
        self.split_box.addItem("Cohort", "by_cohort")  # networks with cohorts only
        self.split_box.currentIndexChanged.connect(self._split_changed)
        row = QHBoxLayout()
        row.addWidget(QLabel("Split by"))
        row.addWidget(self.split_box)
        row.addStretch(1)
        split.extra.addLayout(row)
        card(
            "funnel",
            "Events: invited to followed up",
            "events",
            _funnel,
            empty_message="No events start in this period.",
        )
        card(
            "stations",
            "Attendance by station",
            "events",
            _stations,
            empty_message="No event in this period has stations, workshops or breakout rooms.",
        )
        card(
            "follow_ups",
            "Follow-ups by owner",
            "follow_ups",
            _follow_ups_by_owner,
            empty_message="No follow-ups: none open, none done in this period.",
        )

    def _representatives_box(self) -> QWidget:
        box = QFrame()
        box.setFrameShape(QFrame.Shape.StyledPanel)
        heading = QLabel("Last contact with each current representative (least recent first)")
        font = QFont(heading.font())
        font.setBold(True)
        heading.setFont(font)
        self.reps_model = RowsModel(
            [
                Column("Name", 1),
                Column("Chamber", 2),
                Column("Party", 3),
                Column("Constituency or region", 4),
                Column("Last contact", 5, formatter=lambda d: format_date(d) if d else "Never"),
            ],
            self,
        )
        self.reps_table = make_table(
            self.reps_model, "Last contact with each current representative", multi=False
        )
        self.reps_table.setMinimumHeight(260)
        fit_columns(self.reps_table, (24, 10, 26, 26, 12), stretch=0)
        self.reps_table.doubleClicked.connect(
            lambda index: emit(self.person_activated, self.reps_model.id_at(index.row()))
        )
        layout = QVBoxLayout(box)
        layout.addWidget(heading)
        layout.addWidget(self.reps_table)
        return box

    # --- loading ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Count everything again (data may have changed).

        Not before the page has painted once: at start-up the window shows first, and the counting
        (on worker threads, but sharing the processor) follows.
        """
        if not self._painted:
            self._refresh_pending = True
            return
        self._refresh_pending = False
        self._generation += 1
        self._cache.clear()
        self._waiting.clear()
        self._outstanding = 0
        # The cards' sources in the core's order (longest first, so the two reader threads finish
        # together); a card showing another period asks for its own as well.
        cards = list(self.cards.values())
        for source, _compute in aggregates.DASHBOARD_SOURCES:
            for card in cards:
                if card.source == source:
                    self._load_card(card)
            if source == "data_quality":
                self._request("data_quality", Period.last_12_months(), self._show_quality)
        self._request("follow_ups", Period.last_12_months(), self._show_follow_up_tiles)
        self._request("engagement", Period.last_12_months(), self._show_representatives)

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            if self._refresh_pending:
                QTimer.singleShot(0, self, self.refresh)

    def _load_card(self, card: ChartCard) -> None:
        card.set_loading()
        self._request(card.source, card.period(), card.set_data)

    def _request(self, source: str, period: Period, callback: Callable[[Any], None]) -> None:
        key = (source, period)
        if key in self._cache:
            callback(self._cache[key])
            return
        if key in self._waiting:
            self._waiting[key].append(callback)
            return
        self._waiting[key] = [callback]
        self._outstanding += 1
        generation = self._generation
        compute = SOURCES[source]

        def work(ctx: TaskContext) -> Any:
            with ctx.db.session() as session:
                return compute(session, period)

        def done(result: Any) -> None:
            if generation != self._generation:
                return  # counted before a refresh: a newer answer is on its way
            self._cache[key] = result
            for cb in self._waiting.pop(key, []):
                cb(result)
            self._outstanding -= 1
            if not self._outstanding:
                emit(self.loaded)

        self.runner.run(work, on_done=done, parent_widget=self, owner=self)

    def _page_period_changed(self) -> None:
        key = str(self.period_box.currentData())
        for card in self.cards.values():
            card.set_period_key(key)
            self._load_card(card)

    # --- showing ------------------------------------------------------------------------------

    def _show_quality(self, data: aggregates.DataQuality) -> None:
        for check in data.checks:
            self.tiles[check.key].set_count(check.count)

    def _show_follow_up_tiles(self, data: aggregates.FollowUps) -> None:
        self.tiles["overdue"].set_count(data.overdue)
        self.tiles["due_this_week"].set_count(data.due_this_week)

    def _show_representatives(self, data: aggregates.Engagement) -> None:
        self.reps_model.set_rows(
            [
                (
                    r.person_id,
                    r.name,
                    _member_title(r.chamber),
                    r.party,
                    r.constituency or r.region,
                    r.last_contacted,
                )
                for r in data.representatives
            ]
        )
        self._show_not_contacted(data)

    def _show_not_contacted(self, data: aggregates.Engagement) -> None:
        # One click to those not contacted in six months: counted as at today, as the list is.
        self._not_contacted_since = data.not_contacted_since
        for share in data.chambers:
            button = self.not_contacted_buttons[share.chamber]
            button.setText(f"{share.not_contacted:,} current {share.group} not contacted in six months")
            button.setAccessibleName(
                f"{share.not_contacted} {share.group} not contacted in six months: open the list"
            )
            button.setVisible(share.members > 0)

    def _open_not_contacted(self, chamber: str, label: str) -> None:
        f = PersonFilter(chamber=chamber, last_contacted_before=self._not_contacted_since)
        emit(self.people_filter_requested, f, f"{label} not contacted in six months")

    def _chamber(self, key: str) -> str:
        box: QComboBox = getattr(self, f"{key}_chamber")
        return str(box.currentData())

    def _split_field(self) -> str:
        return str(self.split_box.currentData())

    def _split_changed(self) -> None:
        card = self.cards["network_split"]
        card.title = f"Network members by {self.split_box.currentText().lower()}"
        card.heading.setText(card.title)
        if card.data is not None:
            card.set_data(card.data)

    # --- exports ------------------------------------------------------------------------------

    def ask_save_path(self, title: str, suggested: str, file_filter: str) -> str:
        """The file dialog seam (tests replace it)."""
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / suggested), file_filter)
        return path

    def export_png(self, card: ChartCard) -> bool:
        from ui import charts

        name = card.title.lower().replace(" ", "-").replace(":", "")
        path = self.ask_save_path("Export chart as PNG", f"{name}.png", "PNG images (*.png)")
        if not path:
            return False
        if not path.lower().endswith(".png"):
            path += ".png"
        if not charts.save_png(card.shown_widget(), path):
            dialogs.show_error(
                self, "Export as PNG", f"Cannot save {path}: check the folder exists and you may write to it."
            )
            return False
        return True

    def export_report(self, name: str) -> None:
        from crm.reports.excel import write_report

        period = Period.preset(str(self.period_box.currentData()))
        path = self.ask_save_path(
            f"Export report — {REPORTS[name]}",
            f"kindred-{name}-{period.end:%Y-%m-%d}.xlsx",
            "Excel workbooks (*.xlsx)",
        )
        if not path:
            return
        if not path.lower().endswith(".xlsx"):
            path += ".xlsx"

        def work(ctx: TaskContext) -> str:
            with ctx.db.session() as session:
                return str(write_report(session, name, path, period).path)

        self.runner.run(
            work,
            on_done=lambda written: emit(self.report_written, written),
            label="Writing the report…",
            parent_widget=self,
        )


class _TileGroup:
    """A titled grid of tiles, ``columns`` to a row."""

    def __init__(self, title: str, columns: int) -> None:
        self.box = QGroupBox(title)
        self.grid = QGridLayout(self.box)
        self.columns = columns
        self.count = 0

    def add(self, widget: QWidget) -> None:
        self.grid.addWidget(widget, self.count // self.columns, self.count % self.columns)
        self.count += 1


# --- from figures to charts ---------------------------------------------------------------------

Spec = tuple[Any, ...]  # kind, categories, series, value title[, colours]


MAX_BARS = 15  # categories drawn in a bar chart; the table has them all


def _month_labels(period: Period) -> list[str]:
    """Short month names ("Jan"), with the year ("Jan 25") when the period spans more than a year."""
    months = period.months()
    fmt = "%b" if len(months) <= 12 else "%b %y"
    return [f"{m.first:{fmt}}" for m in months]


def _member_title(chamber: str) -> str:
    """ "MSP", "MS", "MP": the chamber's plural label made singular."""
    label = dict(aggregates.REPRESENTATIVE_CHAMBERS).get(chamber, chamber)
    return label[:-1] if label.endswith("s") else label


def _interactions_per_month(d: aggregates.Engagement) -> Spec:
    if not any(m.interactions for m in d.months):
        return ("bar", [], [], "")
    return (
        "bar",
        _month_labels(d.period),
        [("Interactions", [float(m.interactions) for m in d.months])],
        "Interactions",
    )


def _engaged_by_chamber(d: aggregates.Engagement) -> Spec:
    shares = [s for s in d.chambers if s.members]
    return (
        "bar",
        [f"{s.group} ({s.percent:g}%)" for s in shares],
        [
            ("Current members", [float(s.members) for s in shares]),
            ("Engaged in the period", [float(s.engaged) for s in shares]),
        ],
        "People",
    )


def _shares(d: aggregates.Engagement, field: str, chamber: str) -> Spec:
    shares = [s for s in getattr(d, field) if s.chamber == chamber][:MAX_BARS]  # the largest first
    return (
        "hbar",
        [s.group for s in shares],
        [
            ("Current members", [float(s.members) for s in shares]),
            ("Engaged", [float(s.engaged) for s in shares]),
        ],
        "People",
    )


def _members_over_time(d: aggregates.Networks) -> Spec:
    series = [(s.name, [float(v) for v in s.members]) for s in d.series if any(s.members) or any(s.joined)]
    return ("line", _month_labels(d.period) if series else [], series, "Members")


def _network_split(d: aggregates.Networks, field: str) -> Spec:
    splits: list[aggregates.NetworkSplit] = getattr(d, field)
    networks = sorted({s.network for s in splits})[:MAX_BARS]
    groups = sorted({s.group for s in splits}, key=lambda g: (g == aggregates.NOT_RECORDED, g))
    table = {(s.network, s.group): s.members for s in splits}
    return (
        "stacked_hbar",
        networks,
        [(g, [float(table.get((n, g), 0)) for n in networks]) for g in groups],
        "Members",
    )


def _funnel(d: aggregates.Events) -> Spec:
    events = d.events[-MAX_EVENTS:]
    labels = [f"{e.name} ({format_date(e.starts_on)})" for e in events]
    return (
        "hbar",
        labels,
        [
            ("Invited", [float(e.invited) for e in events]),
            ("Registered", [float(e.registered) for e in events]),
            ("Attended", [float(e.attended) for e in events]),
            ("Followed up", [float(e.followed_up) for e in events]),
        ],
        "People",
    )


def _stations(d: aggregates.Events) -> Spec:
    several = len({s.event_id for s in d.stations}) > 1
    labels = [f"{s.station} — {s.event}" if several else s.station for s in d.stations][:MAX_BARS]
    return ("hbar", labels, [("Attended", [float(s.attended) for s in d.stations[:MAX_BARS]])], "People")


def _follow_ups_by_owner(d: aggregates.FollowUps) -> Spec:
    owners = d.by_owner[:MAX_BARS]
    return (
        "stacked_hbar",
        [o.owner for o in owners],
        [
            ("Overdue", [float(o.overdue) for o in owners]),
            ("Due this week", [float(o.due_this_week) for o in owners]),
            ("Due later", [float(o.due_later) for o in owners]),
            ("Done (due in the period)", [float(o.done) for o in owners]),
        ],
        "Follow-ups",
        # Overdue in vermilion, this week in orange, later in sky blue, done in bluish green.
        ("#D55E00", "#E69F00", "#56B4E9", "#009E73"),
    )
