"""The people page: search, filters, the lazy table, the person panel and bulk actions."""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from PySide6.QtCore import (
    QByteArray,
    QItemSelection,
    QItemSelectionModel,
    QItemSelectionRange,
    QModelIndex,
    QPoint,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm.errors import UserError, ValidationError
from crm.filters import PersonFilter
from crm.models import MEMBERSHIP_ROLES, MEMBERSHIP_STATUSES, AttendanceStatus, Person
from crm.services import events, networks, people, tags, views
from crm.util import chunked

from ui import dialogs, preferences
from ui.changes import Change
from ui.dialogs import FormDialog
from ui.pages.base import ListPage
from ui.people.filter_panel import FilterPanel
from ui.people.people_model import DEFAULT_COLUMNS, PeopleModel, available_columns
from ui.people.person_detail import PersonDetail
from ui.tasks import Task, TaskContext, TaskRunner, emit
from ui.undo import TrashPeopleCommand
from ui.widgets import compact_combos

SEARCH_DEBOUNCE_MS = 150
BULK_CHUNK = 2_000
CONFIRM_TRASH_ABOVE = 50
# One letter searches as you type too: its first screen comes from the search index at once.
MIN_SEARCH_LENGTH = 1
LIST_MIN_WIDTH = 330


def _people(n: int) -> str:
    return f"{n:,} selected {'person' if n == 1 else 'people'}"


def _ranges(selection: QItemSelection) -> list[QItemSelectionRange]:
    return [selection.at(i) for i in range(selection.count())]


class WelcomePanel(QWidget):
    """What an empty database shows: two ways to get started."""

    import_requested = Signal()
    sample_requested = Signal()
    new_person_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Welcome to Kindred")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        text = QLabel(
            "This database has no people in it yet. Bring in the contacts you already keep in a "
            "spreadsheet, or try Kindred out with fictional sample data."
        )
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setFixedWidth(520)
        text.setMinimumHeight(text.heightForWidth(520))
        self.import_button = QPushButton("Import a spreadsheet…")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.import_requested)
        self.sample_button = QPushButton("Load sample data")
        self.sample_button.clicked.connect(self.sample_requested)
        self.new_button = QPushButton("Add a person")
        self.new_button.clicked.connect(self.new_person_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.import_button, self.sample_button, self.new_button):
            button.setMinimumHeight(36)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(title, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(8)
        layout.addWidget(text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(16)
        layout.addLayout(buttons)
        layout.addStretch(3)


class PeopleTable(QTableView):
    """The list itself: fixed row heights (so 100,000 rows scroll without measuring each)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("People")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.setCornerButtonEnabled(False)
        self.setTabKeyNavigation(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setDefaultSectionSize(150)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)


class PeoplePage(ListPage):
    """The People list (a lazy model over ids, see :meth:`ListPage.use_lazy_model`) and the person
    panel beside it.

    Signals (besides :class:`~ui.pages.base.ListPage`'s; ``data_changed`` when people were added,
    edited, deleted or restored):
        views_changed(): a saved view was added or replaced.
        message(str): a short status message for the status bar.
        import_requested(), sample_requested(): from the welcome panel.
        count_changed(int): the number of people the list shows.
        find_duplicates_requested(int): the person panel asked for one person's duplicates.
    """

    views_changed = Signal()
    message = Signal(str)
    import_requested = Signal()
    sample_requested = Signal()
    count_changed = Signal(int)
    find_duplicates_requested = Signal(int)
    CHANGES = Change(people=True)

    def __init__(
        self, runner: TaskRunner, undo_stack: QUndoStack | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(runner, parent)
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.model = PeopleModel(runner, DEFAULT_COLUMNS, self)
        self.use_lazy_model(self.model)
        self.active_dialog: QDialog | None = None
        self._shown_id: int | None = None
        self._total: int | None = None
        self._view_name: str | None = None
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(0)
        self._detail_timer.timeout.connect(self._load_shown_detail)
        self._build()
        self.model.ids_loaded.connect(self._ids_loaded)
        self.model.first_screen_loaded.connect(self._first_screen_loaded)

    # --- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search people by name, email, organisation, town…  (Ctrl+F)")
        self.search_edit.setAccessibleName("Search people")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(260)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.apply_filter)
        self.search_edit.textChanged.connect(lambda _t: self._debounce.start())
        self.search_edit.returnPressed.connect(lambda: self.apply_filter(short_search=True))

        self.filters_button = QToolButton()
        self.filters_button.setText("Filters")
        self.filters_button.setCheckable(True)
        self.filters_button.setAccessibleName("Show filters")
        self.filters_button.toggled.connect(self._toggle_filters)
        self.count_label = QLabel("")
        self.count_label.setAccessibleName("Number of matching people")
        self.count_label.setMinimumWidth(120)
        self.save_view_button = QPushButton("Save view…")
        self.save_view_button.setAccessibleName("Save these filters as a view")
        self.save_view_button.clicked.connect(self.open_save_view)
        self.columns_button = QToolButton()
        self.columns_button.setText("Columns")
        self.columns_button.setAccessibleName("Choose columns")
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.columns_menu = QMenu(self)
        self.columns_menu.aboutToShow.connect(self._fill_columns_menu)
        self.columns_button.setMenu(self.columns_menu)
        self.actions_button = QToolButton()
        self.actions_button.setText("Actions")
        self.actions_button.setAccessibleName("Bulk actions on the selected people")
        self.actions_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.actions_menu = self._build_actions_menu()
        self.actions_button.setMenu(self.actions_menu)
        self.new_button = QPushButton("New person")
        self.new_button.setToolTip("Add a person (Ctrl+N)")
        self.new_button.clicked.connect(self.new_person)

        top = QHBoxLayout()
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.filters_button)
        top.addWidget(self.count_label)
        top.addWidget(self.save_view_button)
        top.addWidget(self.columns_button)
        top.addWidget(self.actions_button)
        top.addWidget(self.new_button)

        self.filter_panel = FilterPanel(self.runner)
        self.filter_panel.changed.connect(self.apply_filter)
        self.filter_scroll = QScrollArea()
        self.filter_scroll.setWidgetResizable(True)
        self.filter_scroll.setWidget(self.filter_panel)
        self.filter_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.filter_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        compact_combos(self.filter_panel, 7)
        self.filter_scroll.setMinimumWidth(self.filter_panel.minimumSizeHint().width() + 16)
        self.filter_scroll.setAccessibleName("Filters")
        self.filter_scroll.hide()

        self.table = PeopleTable()
        self.table.setModel(self.model)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._sort_changed)
        self.model.first_screen_loaded.connect(self._show_sort_order)
        self.model.ids_loaded.connect(self._show_sort_order)
        self.table.horizontalHeader().customContextMenuRequested.connect(self._header_menu)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(
            lambda pos: self.actions_menu.exec(self.table.viewport().mapToGlobal(pos))
        )
        self.empty_label = QLabel("No one matches. Try fewer words or clear the filters.")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.table)
        self.list_stack.addWidget(self.empty_label)

        self.detail = PersonDetail(self.runner, self.undo_stack)
        self.detail.person_saved.connect(self._person_saved)
        self.detail.interaction_logged.connect(lambda _i: self._refresh_shown())
        self.detail.related_changed.connect(lambda pid: self.model.refresh_people([pid]))
        self.detail.find_duplicates_requested.connect(self.find_duplicates_requested)
        self.detail.person_erased.connect(self._person_erased)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.filter_scroll)
        self.splitter.addWidget(self.list_stack)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([0, 560, 440])
        # Enough of the list to read a name, an organisation and a job title.
        self.list_stack.setMinimumWidth(LIST_MIN_WIDTH)

        list_page = QWidget()
        body = QVBoxLayout(list_page)
        body.setContentsMargins(8, 8, 8, 0)
        body.addLayout(top)
        body.addWidget(self.splitter, 1)

        self.welcome = WelcomePanel()
        self.welcome.import_requested.connect(self.import_requested)
        self.welcome.sample_requested.connect(self.sample_requested)
        self.welcome.new_person_requested.connect(self._welcome_new_person)
        self.stack = QStackedWidget()
        self.stack.addWidget(list_page)
        self.stack.addWidget(self.welcome)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        # Tab walks the top bar left to right, then the list, then the person panel's fields.
        order: list[QWidget] = [
            self.search_edit,
            self.filters_button,
            self.save_view_button,
            self.columns_button,
            self.actions_button,
            self.new_button,
            self.table,
            self.detail.log_button,
            self.detail.revert_button,
            self.detail.save_button,
            self.detail.tabs,
            self.detail.title_combo,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        self._selection_changed()

    def _build_actions_menu(self) -> QMenu:
        menu = QMenu(self)
        self.bulk_actions: dict[str, QAction] = {}
        for key, text, slot in (
            ("network", "Add to network…", self.open_bulk_add_to_network),
            ("status", "Change membership status…", self.open_bulk_status),
            ("tag", "Add tag…", self.open_bulk_tag),
            ("untag", "Remove tag…", self.open_bulk_untag),
            ("event", "Add to event…", self.open_bulk_event),
            ("interaction", "Log one interaction for all…", self.open_bulk_interaction),
            ("trash", "Move to Trash", self.trash_selected),
        ):
            if key == "trash":
                menu.addSeparator()
            action = menu.addAction(text)
            action.triggered.connect(slot)
            self.bulk_actions[key] = action
        menu.addSeparator()
        select_all = menu.addAction("Select all matching")
        select_all.triggered.connect(self.table_select_all)
        return menu

    # --- loading ------------------------------------------------------------------------------

    def start(self) -> None:
        """First load: synchronous, so the first paint already shows rows."""
        self._total = self._count_all()
        self.model.start()
        self._show_welcome_if_empty()

    def refresh(self) -> Task[Any]:
        self._total = None  # counted again
        return super().refresh()

    def _count_all(self) -> int:
        with self.runner.db.session() as session:
            return session.scalar(select(func.count(Person.id)).where(Person.deleted_at.is_(None))) or 0

    def _show_welcome_if_empty(self) -> None:
        empty = self._total == 0 and self.model.person_filter.is_empty()
        self.stack.setCurrentIndex(1 if empty else 0)

    def current_filter(self) -> PersonFilter:
        return self.filter_panel.person_filter(self.search_edit.text().strip() or None)

    def apply_filter(self, *, short_search: bool = False) -> Task[list[int]]:
        """Re-run the query with what the search box and filter panel say now.

        Every keystroke searches (after a short pause): even one letter, which matches half of a
        large list, shows its first screen at once from the search index (the rest and the count
        follow in the background). ``short_search`` is kept for Enter, which searches at once.
        """
        self._debounce.stop()
        f = self.current_filter()
        if f.text and len(f.text) < MIN_SEARCH_LENGTH and not short_search:
            f.text = None
        n = len({k for k in f.to_dict() if k != "text"})
        self.filters_button.setText(f"Filters ({n})" if n else "Filters")
        return self.model.set_filter(f)

    def _first_screen_loaded(self, count: int) -> None:
        if self._total is not None and self.model.person_filter.is_empty():
            self.count_label.setText(f"{self._total:,} {'person' if self._total == 1 else 'people'}")
        else:
            self.count_label.setText(f"{count:,}+ people…")
        self.list_stack.setCurrentIndex(0)
        if self._shown_id is not None and (row := self.model.row_of(self._shown_id)) is not None:
            self._select_row(row)
        elif not self.detail.is_dirty():
            self._shown_id = None
            self._select_row(0)

    def _ids_loaded(self, count: int) -> None:
        noun = "person" if count == 1 else "people"
        self.count_label.setText(f"{count:,} {noun}")
        emit(self.count_changed, count)
        if self._total is None:
            self._total = self._count_all() if count == 0 else max(count, 1)
        self._show_welcome_if_empty()
        self.list_stack.setCurrentIndex(1 if count == 0 else 0)
        # Keep the person on show selected when they are still in the list.
        if self._shown_id is not None and (row := self.model.row_of(self._shown_id)) is not None:
            self._select_row(row)
        elif count and not self.detail.is_dirty():
            self._shown_id = None
            self._select_row(0)
        self._selection_changed()

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        try:
            selection.setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        finally:
            selection.blockSignals(False)
        self.table.viewport().update()
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        pid = self.model.person_id(row)
        if pid != self.detail.person_id or self._shown_id is None:
            self._shown_id = pid
            self._detail_timer.start()  # after the list has painted: the list is what was asked for

    def _load_shown_detail(self) -> None:
        if (
            self._shown_id is not None
            and self._shown_id != self.detail.person_id
            and not self.detail.is_dirty()
        ):
            self.detail.load(self._shown_id)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        pid = self.model.person_id(current.row())
        if pid == self.detail.person_id:
            return
        if not self.detail.maybe_leave():
            # Stay on the person with unsaved edits.
            QTimer.singleShot(0, self, self._reselect_shown)
            return
        self._shown_id = pid
        self.detail.load(pid)

    def _reselect_shown(self) -> None:
        if self._shown_id is not None and (row := self.model.row_of(self._shown_id)) is not None:
            self._select_row(row)

    def show_person(self, person_id: int) -> bool:
        """Show one person (from another page): clears filters when they are not in the list."""
        if not self.detail.maybe_leave():
            return False
        self._shown_id = person_id
        self.detail.load(person_id)
        row = self.model.row_of(person_id)
        if row is None:
            self.search_edit.blockSignals(True)
            self.search_edit.clear()
            self.search_edit.blockSignals(False)
            self.filter_panel.set_filter(PersonFilter())
            self.apply_filter()
        else:
            self._select_row(row)
        return True

    def _person_saved(self, person_id: int) -> None:
        was_new = self._shown_id != person_id and self.model.row_of(person_id) is None
        self._shown_id = person_id
        if was_new or self.model.row_of(person_id) is None:
            self.refresh()
        else:
            self.model.refresh_people([person_id])
        emit(self.data_changed)
        emit(self.message, "Saved.")

    def _person_erased(self, person_id: int) -> None:
        """An erased person leaves the list (and the undo history cannot bring them back)."""
        if self._shown_id == person_id:
            self._shown_id = None
        self.undo_stack.clear()  # earlier edits of someone erased cannot be undone
        self.after_change()
        emit(self.message, "Erased.")

    def _refresh_shown(self) -> None:
        if self._shown_id is not None:
            self.model.refresh_people([self._shown_id])
        emit(self.data_changed)

    # --- selection and sorting ----------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """Ids of the selected rows in display order, without creating an index per row."""
        rows: set[int] = set()
        for selection_range in _ranges(self.table.selectionModel().selection()):
            rows.update(range(selection_range.top(), selection_range.bottom() + 1))
        ids = self.model.ids()
        return [ids[r] for r in sorted(rows) if r < len(ids)]

    def table_select_all(self) -> None:
        self.table.selectAll()

    def _selection_changed(self) -> None:
        n = sum(r.bottom() - r.top() + 1 for r in _ranges(self.table.selectionModel().selection()))
        for action in self.bulk_actions.values():
            action.setEnabled(bool(n))
        self.actions_button.setText(f"Actions ({n:,})" if n and n > 1 else "Actions")

    def _show_sort_order(self, *_args: Any) -> None:
        """No arrow over results ranked by relevance: no column orders them."""
        header = self.table.horizontalHeader()
        if self.model.ranked and header.sortIndicatorSection() != -1:
            header.blockSignals(True)
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            header.blockSignals(False)
            header.viewport().update()

    def _sort_changed(self, section: int, order: Qt.SortOrder) -> None:
        if 0 <= section < self.model.columnCount():
            self.model.sort(section, order)

    # --- columns ------------------------------------------------------------------------------

    def _fill_columns_menu(self, menu: QMenu | None = None) -> QMenu:
        menu = menu or self.columns_menu
        menu.clear()
        shown = self.model.columns
        for key, label in available_columns().items():
            action = menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(key in shown)
            action.setEnabled(not (key in shown and len(shown) == 1))
            action.toggled.connect(lambda on, k=key: self.toggle_column(k, on))
        menu.addSeparator()
        menu.addAction("Reset columns").triggered.connect(lambda: self.set_columns(DEFAULT_COLUMNS))
        return menu

    def _header_menu(self, pos: QPoint) -> None:
        menu = self._fill_columns_menu(QMenu(self))
        menu.exec(self.table.horizontalHeader().mapToGlobal(pos))

    def toggle_column(self, key: str, on: bool) -> None:
        columns = self.model.columns
        if on and key not in columns:
            columns.append(key)
        elif not on and key in columns:
            columns.remove(key)
        self.set_columns(columns)

    def set_columns(self, columns: Sequence[str]) -> None:
        self.model.set_columns(columns)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("people/columns", self.model.columns)
        settings.setValue("people/header", self.table.horizontalHeader().saveState())
        settings.setValue("people/splitter", self.splitter.saveState())
        settings.setValue("people/filters_shown", self.filters_button.isChecked())

    def restore_state(self, settings: QSettings) -> None:
        columns = settings.value("people/columns")
        if isinstance(columns, str):
            columns = [columns]
        if isinstance(columns, list) and columns:
            self.model.set_columns([str(c) for c in columns])
        header = settings.value("people/header")
        if isinstance(header, QByteArray):
            self.table.horizontalHeader().blockSignals(True)
            self.table.horizontalHeader().restoreState(header)
            self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            self.table.horizontalHeader().blockSignals(False)
        splitter = settings.value("people/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        shown = settings.value("people/filters_shown")
        self.filters_button.setChecked(shown in (True, "true"))

    def _toggle_filters(self, on: bool) -> None:
        if on:
            self.filter_panel.refresh_choices()
        if on == self.filter_scroll.isVisible():
            return
        sizes = self.splitter.sizes()
        self.filter_scroll.setVisible(on)
        total = sum(sizes[1:]) + (sizes[0] if not on else 0)
        if total <= 0:
            return  # not laid out yet: the splitter shares the space itself
        # The filters take their width from the list and the person panel alike, so neither is
        # squeezed (QSplitter would take it all from its neighbour, the list).
        panel = self.filter_scroll.minimumWidth() if on else 0
        rest = total - panel
        share = sizes[1] / max(sizes[1] + sizes[2], 1)
        list_width = max(LIST_MIN_WIDTH, round(rest * share))
        self.splitter.setSizes([panel, list_width, max(rest - list_width, 0)])

    # --- people -------------------------------------------------------------------------------

    def new_person(self) -> None:
        if not self.detail.maybe_leave():
            return
        self._shown_id = None
        self.table.selectionModel().blockSignals(True)
        self.table.clearSelection()
        self.table.selectionModel().blockSignals(False)
        self.detail.load(None)
        self.detail.edits["first_name"].setFocus()

    def _welcome_new_person(self) -> None:
        self.stack.setCurrentIndex(0)
        self.new_person()

    def focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def trash_selected(self) -> Task[Any] | None:
        ids = self.selected_ids()
        if not ids and self._shown_id is not None:
            ids = [self._shown_id]
        if not ids:
            return None
        n = len(ids)
        if n > CONFIRM_TRASH_ABOVE and not dialogs.confirm(
            self, "Move to Trash", f"Move {n:,} people to the Trash? You can restore them from the Trash."
        ):
            return None
        if self.detail.person_id in ids:
            self.detail.load(self.detail.person_id)  # their unsaved edits go with them

        def done(moved: int) -> None:
            self.undo_stack.push(TrashPeopleCommand(self.runner, ids, self.people_updated))
            self._after_bulk(
                f"Moved {moved:,} {'person' if moved == 1 else 'people'} to the Trash. Ctrl+Z to undo."
            )
            if self._shown_id in ids:
                self._shown_id = None

        return self._run_bulk("Moving to the Trash…", ids, people.trash_people, done)

    def people_updated(self, ids: list[int]) -> None:
        """Undo or redo touched these people: re-query the list and the panel."""
        self.after_change()
        if self.detail.person_id in ids and not self.detail.is_dirty():
            self.detail.load(self.detail.person_id)

    # --- bulk actions -------------------------------------------------------------------------

    def _run_bulk(
        self,
        label: str,
        ids: list[int],
        fn: Callable[[Session, Sequence[int]], int],
        done: Callable[[int], None],
    ) -> Task[int]:
        """One transaction over all ids, in chunks so progress shows and Cancel rolls everything back."""

        def work(ctx: TaskContext) -> int:
            total = 0
            with ctx.db.transaction() as session:
                for i, part in enumerate(chunked(ids, BULK_CHUNK)):
                    ctx.check_cancel()
                    total += fn(session, part)
                    ctx.progress(min((i + 1) * BULK_CHUNK, len(ids)), len(ids))
            return total

        return self.runner.run(work, on_done=done, label=label, parent_widget=self, write=True)

    def _after_bulk(self, message: str) -> None:
        self.after_change()
        self.detail.reload_related()
        emit(self.message, message)

    def _open(self, dialog: QDialog, on_accept: Callable[[], Any]) -> QDialog:
        self.active_dialog = dialog
        dialog.accepted.connect(on_accept)
        dialog.open()
        return dialog

    def _network_names(self) -> list[str]:
        with self.runner.db.session() as session:
            return [n for _id, n, _c in networks.list_networks(session)]

    def _tag_names(self) -> list[str]:
        with self.runner.db.session() as session:
            return [t for t, _n in tags.all_tags(session)]

    def open_bulk_add_to_network(self) -> QDialog | None:
        ids = self.selected_ids()
        if not ids:
            return None
        dialog = FormDialog(
            "Add to network",
            self,
            f"Add {_people(len(ids))} to a network. Anyone already in it keeps their role and status; "
            "type a new name to start a network.",
        )
        network = dialog.combo("&Network", self._network_names(), editable=True)
        role = dialog.combo("&Role", MEMBERSHIP_ROLES, editable=True)
        status = dialog.combo("&Status", MEMBERSHIP_STATUSES)

        def accept() -> None:
            name, role_value, status_value = network.currentText(), role.currentText(), status.currentText()
            holder: dict[str, int] = {}

            def add(session: Session, part: Sequence[int]) -> int:
                if "id" not in holder:
                    holder["id"] = networks.get_or_create_network(session, name)[0].id
                return networks.add_members(session, holder["id"], part, role=role_value, status=status_value)

            self._run_bulk(
                "Adding to the network…",
                ids,
                add,
                lambda n: self._after_bulk(f"Added {n:,} people to {name}."),
            )

        return self._open(dialog, accept)

    def open_bulk_status(self) -> QDialog | None:
        ids = self.selected_ids()
        if not ids:
            return None
        dialog = FormDialog(
            "Change membership status",
            self,
            f"Change the status of {_people(len(ids))} in one network (those not in it are left alone).",
        )
        network = dialog.combo("&Network", self._network_names())
        status = dialog.combo("&Status", MEMBERSHIP_STATUSES)

        def accept() -> None:
            name, value = network.currentText(), status.currentText()

            def change(session: Session, part: Sequence[int]) -> int:
                return networks.set_status(session, networks.network_by_name(session, name).id, part, value)

            self._run_bulk(
                "Changing status…",
                ids,
                change,
                lambda n: self._after_bulk(f"{n:,} memberships of {name} now {value}."),
            )

        return self._open(dialog, accept)

    def open_bulk_tag(self) -> QDialog | None:
        ids = self.selected_ids()
        if not ids:
            return None
        dialog = FormDialog("Add tag", self, f"Tag {_people(len(ids))}. Type a new tag or pick one.")
        tag = dialog.combo("&Tag", self._tag_names(), editable=True)
        tag.setCurrentText("")

        def accept() -> None:
            name = tag.currentText()
            self._run_bulk(
                "Tagging…",
                ids,
                lambda s, part: tags.tag_people(s, part, name),
                lambda n: self._after_bulk(f"Tagged {n:,} people “{name}”."),
            )

        return self._open(dialog, accept)

    def open_bulk_untag(self) -> QDialog | None:
        ids = self.selected_ids()
        if not ids:
            return None
        dialog = FormDialog("Remove tag", self, f"Remove a tag from {_people(len(ids))}.")
        tag = dialog.combo("&Tag", self._tag_names())

        def accept() -> None:
            name = tag.currentText()
            self._run_bulk(
                "Removing the tag…",
                ids,
                lambda s, part: tags.untag_people(s, part, name),
                lambda n: self._after_bulk(f"Removed “{name}” from {n:,} people."),
            )

        return self._open(dialog, accept)

    def open_bulk_event(self) -> QDialog | None:
        ids = self.selected_ids()
        if not ids:
            return None
        with self.runner.db.session() as session:
            choices = [(eid, name, starts) for eid, name, starts, *_rest in events.list_events(session)]
        if not choices:
            dialogs.show_info(self, "Add to event", "There are no events yet: create one on the Events page.")
            return None
        dialog = FormDialog(
            "Add to event",
            self,
            f"Put {_people(len(ids))} on an event's list, or mark them as attended or sent apologies.",
        )
        event = dialog.combo(
            "&Event",
            [
                f"{name} ({preferences.format_date(starts)})" if starts else name
                for _e, name, starts in choices
            ],
        )
        for i, (eid, _name, _starts) in enumerate(choices):
            event.setItemData(i, eid)
        status = dialog.combo("&Status", [s.value.replace("_", "-") for s in AttendanceStatus])

        def accept() -> None:
            event_id, value, label = event.currentData(), status.currentText(), event.currentText()
            self._run_bulk(
                "Adding to the event…",
                ids,
                lambda s, part: events.set_attendance(s, event_id, part, value),
                lambda n: self._after_bulk(f"{n:,} people now {value} for {label}."),
            )

        return self._open(dialog, accept)

    def open_bulk_interaction(self) -> QDialog | None:
        ids = self.selected_ids()
        if not ids:
            return None
        from ui.interaction_dialog import InteractionDialog

        dialog = InteractionDialog(self.runner, ids, self)
        dialog.logged.connect(
            lambda _i: self._after_bulk(f"Logged one interaction with {len(ids):,} people.")
        )
        self.active_dialog = dialog
        dialog.open()
        return dialog

    # --- saved views --------------------------------------------------------------------------

    def open_save_view(self) -> QDialog:
        dialog = FormDialog(
            "Save view", self, "A saved view keeps these filters and appears in the sidebar and in exports."
        )
        name = dialog.line("&Name")
        name.setText(self._view_name or "")
        name.setPlaceholderText("e.g. MSPs in Lothian")
        note = QLabel(self.current_filter().describe())
        note.setWordWrap(True)
        dialog.form.addRow("Shows", note)
        return self._open(dialog, lambda: self.save_view(name.text()))

    def save_view(self, name: str, *, replace: bool = False) -> Task[str]:
        f = self.current_filter()

        def work(ctx: TaskContext) -> str:
            with ctx.db.transaction() as session:
                return views.save_view(session, name, f, replace=replace).name

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValidationError) and "already a view" in str(exc):
                if dialogs.confirm(self, "Save view", f"Replace the view “{name.strip()}”?"):
                    self.save_view(name, replace=True)
            elif isinstance(exc, UserError):
                dialogs.show_error(self, "Save view", str(exc))
            else:
                dialogs.show_bug(self, exc, "".join(traceback.format_exception(exc)))

        def done(saved: str) -> None:
            self._view_name = saved
            emit(self.views_changed)
            emit(self.message, f"Saved the view “{saved}”.")

        return self.runner.run(work, on_done=done, on_error=failed, write=True)

    def apply_view(self, name: str, f: PersonFilter) -> Task[list[int]]:
        self._view_name = name
        self.filter_panel.set_filter(f)
        self.search_edit.blockSignals(True)
        self.search_edit.setText(f.text or "")
        self.search_edit.blockSignals(False)
        if len({k for k in f.to_dict() if k != "text"}):
            self.filters_button.setChecked(True)
        return self.apply_filter()
