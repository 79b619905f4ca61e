"""Pieces shared by the secondary pages: a small table model, an empty-state stack, formatting.

The pages show short lists (organisations, networks, events, follow-ups, the Trash): a plain
table model over a list of rows is right for them. The interactions list can grow long and has
its own SQL-paged model in :mod:`ui.pages.interactions_page`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QIcon, QKeyEvent, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QWidget,
)

from ui import preferences
from ui.tasks import Task, TaskContext, TaskRunner
from ui.undo import ServiceCommand

ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2

AnyIndex = QModelIndex | QPersistentModelIndex


def format_date(value: dt.date | dt.datetime | None) -> str:
    """In the format chosen in Preferences (a datetime also shows the local time)."""
    return preferences.format_date(value)


def exec_dialog(dialog: QDialog) -> bool:
    """Run a modal form; True when accepted.

    The one seam through which pages open their own forms, so tests can fill and accept them
    without a blocking event loop (the same idea as :mod:`ui.dialogs` for message boxes).
    """
    return dialog.exec() == QDialog.DialogCode.Accepted


@dataclass(frozen=True)
class Column:
    """One column of a :class:`RowsModel`: header, the row field it shows, and how."""

    label: str
    field: int
    numeric: bool = False
    formatter: Callable[[Any], str] | None = None


class RowsModel(QAbstractTableModel):
    """A read-only table over a short list of row tuples whose first item is the record's id.

    Sorting happens here, in Python: these lists are short (tens to a few thousand rows).
    """

    def __init__(
        self,
        columns: Sequence[Column],
        parent: QWidget | None = None,
        *,
        decoration: Callable[[tuple[Any, ...], int], QIcon | None] | None = None,
        tooltip: Callable[[tuple[Any, ...], int], str | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[tuple[Any, ...]] = []
        self._decoration = decoration
        self._tooltip = tooltip

    def set_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> tuple[Any, ...]:
        return self.rows[row]

    def id_at(self, row: int) -> int:
        return int(self.rows[row][0])

    def row_of_id(self, record_id: int) -> int:
        for i, row in enumerate(self.rows):
            if row[0] == record_id:
                return i
        return -1

    # Qt overrides --------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.columns)

    def _text(self, row: tuple[Any, ...], column: Column) -> str:
        value = row[column.field]
        if column.formatter is not None:
            return column.formatter(value)
        if value is None:
            return ""
        if isinstance(value, dt.date):
            return format_date(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return str(value)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        row = self.rows[index.row()]
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and self._decoration is not None:
            return self._decoration(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            # The full text, for cells a narrow column cuts short.
            return self._tooltip(row, index.column()) if self._tooltip else self._text(row, column) or None
        if role == ID_ROLE:
            return row[0]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.columns)
        ):
            return self.columns[section].label
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not (0 <= column < len(self.columns)):
            return
        field = self.columns[column].field

        def key(row: tuple[Any, ...]) -> tuple[int, Any]:
            value = row[field]
            if value is None:
                return (1, "")
            if isinstance(value, str):
                return (0, value.casefold())
            if isinstance(value, dt.datetime):
                return (0, value.timestamp() if value.tzinfo else value.replace(tzinfo=dt.UTC).timestamp())
            return (0, value)

        self.layoutAboutToBeChanged.emit()
        filled = [r for r in self.rows if r[field] is not None]
        empty = [r for r in self.rows if r[field] is None]
        filled.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)
        self.rows = filled + empty  # empty values last either way
        self.layoutChanged.emit()


def make_table(model: QAbstractTableModel, accessible_name: str, *, multi: bool = True) -> QTableView:
    """A table view with the pages' common behaviour: whole rows, no grid, sortable."""
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(accessible_name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(
        QAbstractItemView.SelectionMode.ExtendedSelection
        if multi
        else QAbstractItemView.SelectionMode.SingleSelection
    )
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setHighlightSections(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.setTabKeyNavigation(False)  # Tab leaves the table, as people expect
    return view


def selected_rows(view: QTableView) -> list[int]:
    return sorted({i.row() for i in view.selectionModel().selectedRows()})


def fit_columns(view: QTableView, widths: Sequence[int], *, stretch: int | None = 0) -> None:
    """Initial column widths in characters, so they scale with the font (high DPI).

    The ``stretch`` column (the name, by default) takes the room that is left.
    """
    char = view.fontMetrics().horizontalAdvance("n")
    header = view.horizontalHeader()
    for i, chars in enumerate(widths):
        view.setColumnWidth(i, chars * char + 16)
    if stretch is not None:
        header.setStretchLastSection(False)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)


class EmptyState(QStackedWidget):
    """Shows its content, or a message saying what to do when there is nothing to show."""

    def __init__(self, content: QWidget, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.content = content
        self.default_message = message
        self.label = QLabel(message)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setMargin(24)
        self.addWidget(content)
        self.addWidget(self.label)

    def set_empty(self, empty: bool, message: str | None = None) -> None:
        """Show the message (``message``, else the default one) instead of the content, or not."""
        self.label.setText(self.default_message if message is None else message)
        self.setCurrentWidget(self.label if empty else self.content)

    @property
    def is_empty(self) -> bool:
        return self.currentWidget() is self.label


class SearchBox(QLineEdit):
    """A search field that reports its text once typing pauses (debounced)."""

    search_changed = Signal(str)

    def __init__(self, placeholder: str, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setAccessibleName(accessible_name)
        self.setClearButtonEnabled(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(lambda: self.search_changed.emit(self.text().strip()))
        self.textChanged.connect(lambda _text: self._timer.start())


def report_error(parent: QWidget | None, exc: BaseException) -> None:
    """Show an error from a background task (the one error path: :func:`ui.dialogs.report_error`)."""
    from ui import dialogs

    dialogs.report_error(parent, exc)


class PageCommand(ServiceCommand):
    """A page's undoable change: :class:`~ui.undo.ServiceCommand` whose ``changed`` needs no result."""

    def __init__(
        self,
        runner: TaskRunner,
        text: str,
        do: Callable[[Session], object],
        reverse: Callable[[Session], object],
        changed: Callable[[], None],
    ) -> None:
        super().__init__(runner, text, do, reverse, lambda _result: changed())


def push_undo(widget: QWidget, command: ServiceCommand) -> None:
    """Put the command on the window's undo stack (Edit ▸ Undo, Ctrl+Z) when the window has one."""
    stack = getattr(widget.window(), "undo_stack", None)
    if isinstance(stack, QUndoStack):
        stack.push(command)


def write_undoable(
    widget: QWidget,
    runner: TaskRunner,
    fn: Callable[[Session], Any],
    *,
    changed: Callable[[], None],
    undo_text: str | None = None,
    reverse: Callable[[Session], object] | None = None,
    on_done: Callable[[Any], None] | None = None,
    label: str | None = None,
) -> Task[Any]:
    """Run ``fn(session)`` as one transaction on the writer; with ``undo_text`` and ``reverse``,
    Edit ▸ Undo can take it back. Cancel pressed meanwhile rolls the whole change back. Afterwards
    ``on_done`` gets the result, then ``changed`` refreshes whatever shows the data."""

    def write(ctx: TaskContext) -> Any:
        with ctx.db.transaction() as session:
            result = fn(session)
            ctx.check_cancel()
            return result

    def done(result: Any) -> None:
        if reverse is not None and undo_text:
            push_undo(widget, PageCommand(runner, undo_text, fn, reverse, changed))
        if on_done is not None:
            on_done(result)
        changed()

    return run_task(widget, runner, write, on_done=done, write=True, label=label)


def run_task(
    widget: QWidget,
    runner: TaskRunner,
    fn: Callable[[TaskContext], Any],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    write: bool = False,
    label: str | None = None,
) -> Task[Any]:
    """``runner.run`` for a widget's work: answers that arrive after the widget is gone are dropped
    by the runner (the widget is the task's owner), for example when the window closes."""
    return runner.run(fn, on_done=on_done, on_error=on_error, parent_widget=widget, write=write, label=label)


class _DeleteKey(QObject):
    """Delete (and Backspace, as on a Mac) in a list acts on its selection, ahead of window shortcuts."""

    def __init__(self, view: QAbstractItemView, action: Callable[[], None]) -> None:
        super().__init__(view)
        self._action = action

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not (
            event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
            and not event.modifiers()
        ):
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            event.accept()  # the key is ours while the list has focus
        else:
            self._action()
        return True


def on_delete_key(view: QAbstractItemView, action: Callable[[], None]) -> None:
    """Run ``action`` when Delete is pressed while ``view`` has focus."""
    view.installEventFilter(_DeleteKey(view, action))
