"""The people table model: holds the ordered ids of matching people, fetches rows page by page.

Only the ids of the people that match the filter live in Python (a list of ints: about 3.5 MB for
100,000 people). Display values are fetched on demand, one page of rows at a time, for the rows the
view actually paints, and kept in a bounded cache. Filtering, searching and sorting run in SQL
(:mod:`crm.filters`); :meth:`PeopleModel.sort` re-queries the ids instead of sorting in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from crm import filters
from crm.filters import PersonFilter
from crm.models import STAKEHOLDER_LABELS
from crm.roster import current

from ui import preferences
from ui.tasks import Task, TaskContext, TaskRunner, emit

PAGE_SIZE = 250
FIRST_SCREEN = 200
REST_DELAY_MS = 30
CACHE_LIMIT = 6_000
DEFAULT_COLUMNS: tuple[str, ...] = ("name", "organisation", "job_title", "email", "town", "last_contacted")
PERSON_ID_ROLE = Qt.ItemDataRole.UserRole + 1
# Rows fetched with the first screen of ids, off the GUI thread: more than a 1920×1080 screen shows,
# so the first paint after a keystroke reads them from the cache instead of querying.
PREFETCH_ROWS = 60
# data() and flags() run for every cell and role on every repaint: plain ints compare fastest.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_PERSON_ID = int(PERSON_ID_ROLE)
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

_Index = QModelIndex | QPersistentModelIndex
# The columns asked for and the rows fetched with a first screen.
_Prefetched = tuple[list[str], dict[int, tuple[Any, ...]]]


def available_columns() -> dict[str, str]:
    """Column key → header label, in the order the column chooser offers them."""
    return {key: label for key, (label, _expr) in filters.list_columns().items()}


def _display(key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return preferences.format_date(value)
    if key == "type":
        # "former_msp" when all their Scottish Parliament roles have ended: "Former MSP".
        labels = {t.value: label for t, label in STAKEHOLDER_LABELS.items()}
        return current.type_label(str(value), labels)
    if key == "name":
        # "Last, First" with either part missing would otherwise show a stray comma.
        return str(value).strip().strip(",").strip()
    return str(value)


class PeopleModel(QAbstractTableModel):
    """Rows are people matching :attr:`person_filter`, in SQL order.

    Signals:
        ids_loaded(int): a reload finished; carries the number of matching people.
        first_screen_loaded(int): the first screen of a long result is on show, the rest is coming.
    """

    ids_loaded = Signal(int)
    first_screen_loaded = Signal(int)

    def __init__(
        self, runner: TaskRunner, columns: Sequence[str] = DEFAULT_COLUMNS, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        labels = available_columns()
        self._columns: list[str] = [c for c in columns if c in labels] or list(DEFAULT_COLUMNS)
        self._labels = labels
        self._ids: list[int] = []
        self._row_of: dict[int, int] | None = None
        self._cache: OrderedDict[int, tuple[Any, ...]] = OrderedDict()
        self._filter = PersonFilter()
        self._sort_key = "name"
        self._descending = False
        self._user_sorted = False
        self._generation = 0
        self._complete_generation = -1
        self.loaded = False
        self.queries = 0  # pages fetched: lets tests prove rows load lazily

    # --- what is shown ------------------------------------------------------------------------

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    @property
    def person_filter(self) -> PersonFilter:
        return self._filter

    @property
    def sort_key(self) -> str:
        return self._effective_sort()

    @property
    def descending(self) -> bool:
        return self._descending

    def set_columns(self, columns: Sequence[str]) -> None:
        wanted = [c for c in columns if c in self._labels] or ["name"]
        if wanted == self._columns:
            return
        self.beginResetModel()
        self._columns = wanted
        self._cache.clear()
        self.endResetModel()

    def set_filter(self, person_filter: PersonFilter) -> Task[list[int]]:
        self._filter = person_filter
        return self.reload()

    def set_sort(self, key: str, descending: bool = False) -> Task[list[int]]:
        self._sort_key = key
        self._descending = descending
        self._user_sorted = True
        return self.reload()

    @property
    def ranked(self) -> bool:
        """The rows are in order of relevance to a search, not by any column."""
        return self._effective_sort() == "rank"

    def _effective_sort(self) -> str:
        # A search shows the best matches first until the user picks a column to sort by.
        if self._filter.text and not self._user_sorted and self.runner.db.is_sqlite:
            return "rank"
        return self._sort_key

    # --- loading ------------------------------------------------------------------------------

    def reload(self) -> Task[list[int]]:
        """Re-query the matching ids off the GUI thread; the newest request wins.

        Two queries, one after the other: the first screen of ids (``LIMIT``, fast even when a
        short search matches half the database), then all of them. The table shows the first
        screen as soon as it arrives and grows to the full list without losing its place.
        """
        self._generation += 1
        generation = self._generation
        person_filter, sort, descending = self._filter, self._effective_sort(), self._descending
        columns = list(self._columns)
        # Written by the worker before its result is sent, read on the GUI thread after it arrives.
        rows: dict[int, tuple[Any, ...]] = {}

        def first_screen(ctx: TaskContext) -> list[int]:
            with ctx.db.session() as session:
                ids = filters.first_screen_ids(
                    session, person_filter, sort=sort, descending=descending, limit=FIRST_SCREEN
                )
                # The rows of the first paint, here rather than on the GUI thread as it paints.
                rows.update(filters.list_rows(session, ids[:PREFETCH_ROWS], columns))
            return ids

        task = self.runner.run(
            first_screen,
            on_done=lambda ids: self._apply_first_screen(generation, ids, (columns, rows)),
            owner=self,
        )
        task.succeeded.connect(lambda ids: self._load_rest(generation, ids))
        return task

    def start(self) -> None:
        """First load at start-up: the first screen on this thread (so the first paint shows rows),
        the rest in the background."""
        self._generation += 1
        with self.runner.db.session() as session:
            ids = filters.first_screen_ids(
                session,
                self._filter,
                sort=self._effective_sort(),
                descending=self._descending,
                limit=FIRST_SCREEN,
            )
        self._apply_first_screen(self._generation, ids)
        self._load_rest(self._generation, ids)

    def _load_rest(self, generation: int, first: list[int]) -> None:
        """All the ids, once the first screen has had a moment to paint: fetching tens of thousands
        of ids holds the interpreter lock while it runs."""
        if not shiboken6.isValid(self):
            return  # the window closed while the first screen was on its way
        if generation != self._generation or len(first) < FIRST_SCREEN:
            return
        person_filter, sort, descending = self._filter, self._effective_sort(), self._descending

        def everything(ctx: TaskContext) -> list[int]:
            with ctx.db.session() as session:
                return filters.person_ids(session, person_filter, sort=sort, descending=descending)

        def run() -> None:
            if generation == self._generation:
                self.runner.run(everything, on_done=lambda ids: self._apply_ids(generation, ids), owner=self)

        QTimer.singleShot(REST_DELAY_MS, self, run)

    def cancel_pending(self) -> None:
        """Ignore answers to queries already asked (the window is closing)."""
        self._generation += 1

    def _apply_first_screen(
        self, generation: int, ids: list[int], prefetched: _Prefetched | None = None
    ) -> None:
        if not shiboken6.isValid(self):
            return  # the window closed while the query ran
        if generation != self._generation or self._complete_generation == generation:
            return
        if len(ids) < FIRST_SCREEN:
            self._apply_ids(generation, ids, prefetched)  # that was all of them
            return
        self.beginResetModel()
        self._ids = ids
        self._row_of = None
        self._cache.clear()
        self._prefill(ids, prefetched)
        self.endResetModel()
        emit(self.first_screen_loaded, len(ids))

    def _prefill(self, ids: list[int], prefetched: _Prefetched | None) -> None:
        """Cache the rows fetched with the first screen (if the columns have not changed since)."""
        if prefetched is None or prefetched[0] != self._columns:
            return
        rows = prefetched[1]
        blank = ("",) * len(self._columns)
        for pid in ids[:PREFETCH_ROWS]:
            self._cache[pid] = rows.get(pid, blank)  # deleted meanwhile: empty, as _fetch_page does

    def reload_now(self) -> None:
        """Re-query on the calling thread (start-up and tests that need the rows at once)."""
        self._generation += 1
        with self.runner.db.session() as session:
            ids = filters.person_ids(
                session, self._filter, sort=self._effective_sort(), descending=self._descending
            )
        self._apply_ids(self._generation, ids)

    def _apply_ids(self, generation: int, ids: list[int], prefetched: _Prefetched | None = None) -> None:
        if not shiboken6.isValid(self):
            return  # the window closed while the query ran
        if generation != self._generation or self._complete_generation == generation:
            return  # a newer search is on its way (this answer is stale), or this one is in
        self._complete_generation = generation
        shown = len(self._ids)
        if self._ids and shown < len(ids) and ids[:shown] == self._ids:
            # The first screen is already on show: append the rest, keeping selection and scroll.
            self.beginInsertRows(QModelIndex(), shown, len(ids) - 1)
            self._ids = ids
            self._row_of = None
            self.endInsertRows()
        else:
            self.beginResetModel()
            self._ids = ids
            self._row_of = None
            self._cache.clear()
            self._prefill(ids, prefetched)
            self.endResetModel()
        self.loaded = True
        emit(self.ids_loaded, len(ids))

    def refresh_people(self, person_ids: Sequence[int]) -> None:
        """Forget cached rows of these people and repaint them (after an edit)."""
        for pid in person_ids:
            self._cache.pop(pid, None)
        rows = [r for r in (self.row_of(pid) for pid in person_ids) if r is not None]
        if rows and self._columns:
            emit(
                self.dataChanged, self.index(min(rows), 0), self.index(max(rows), len(self._columns) - 1), []
            )

    def _fetch_page(self, row: int) -> None:
        start = row - row % PAGE_SIZE
        wanted = [pid for pid in self._ids[start : start + PAGE_SIZE] if pid not in self._cache]
        if not wanted:
            return
        with self.runner.db.session() as session:
            rows = filters.list_rows(session, wanted, self._columns)
        self.queries += 1
        for pid in wanted:
            # A person deleted meanwhile shows as an empty row until the next reload.
            self._cache[pid] = rows.get(pid, ("",) * len(self._columns))
        while len(self._cache) > CACHE_LIMIT:
            self._cache.popitem(last=False)

    def _row_values(self, row: int) -> tuple[Any, ...]:
        pid = self._ids[row]
        values = self._cache.get(pid)
        if values is None:
            self._fetch_page(row)
            values = self._cache[pid]
        else:
            self._cache.move_to_end(pid)
        return values

    # --- ids and rows -------------------------------------------------------------------------

    def person_id(self, row: int) -> int:
        return self._ids[row]

    def ids(self) -> list[int]:
        """All matching ids in display order (a copy)."""
        return list(self._ids)

    def row_of(self, person_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {pid: row for row, pid in enumerate(self._ids)}
        return self._row_of.get(person_id)

    # --- Qt model interface -------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # The role first: most of the calls a repaint makes are for roles this model leaves alone.
        role = int(role)
        if role != _DISPLAY and role != _TOOLTIP and role != _PERSON_ID:
            return None
        row, column = index.row(), index.column()
        if not index.isValid() or row >= len(self._ids) or column >= len(self._columns):
            return None
        if role == _PERSON_ID:
            return self._ids[row]
        text = _display(self._columns[column], self._row_values(row)[column])
        if role == _TOOLTIP:
            return text if len(text) > 30 else None
        return text

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self._columns):
                return self._labels[self._columns[section]]
            return None
        return str(section + 1)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _ROW_FLAGS

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in SQL: re-query the ids in the new order."""
        if not 0 <= column < len(self._columns):
            return
        self.set_sort(self._columns[column], order == Qt.SortOrder.DescendingOrder)

    def column_key(self, column: int) -> str:
        return self._columns[column]
