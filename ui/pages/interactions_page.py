"""Interactions, newest first, paged from SQL; text, kind and topic filters; details and history;
log, edit (undoably) and trash; the managed topics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from crm.models import InteractionKind
from crm.services import interactions, topics
from crm.services.interactions import (
    InteractionQuery,
    InteractionRow,
    count_interactions,
    fetch_page,
)

from ui import dialogs
from ui.changes import Change
from ui.pages import common
from ui.pages.base import ListPage
from ui.pages.common import (
    ID_ROLE,
    Column,
    EmptyState,
    RowsModel,
    SearchBox,
    fit_columns,
    format_date,
    make_table,
    on_delete_key,
    push_undo,
    selected_rows,
)
from ui.tasks import TaskRunner

PAGE_SIZE = 200
KIND_LABELS = {k.value: k.value.capitalize() for k in InteractionKind}

AnyIndex = QModelIndex | QPersistentModelIndex


def follow_up_text(row: InteractionRow, today: dt.date | None = None) -> str:
    if row.follow_up_on is None:
        return ""
    if row.follow_up_done:
        return f"Done ({format_date(row.follow_up_on)})"
    if row.follow_up_on < (today or dt.date.today()):
        return f"Overdue: {format_date(row.follow_up_on)}"
    return format_date(row.follow_up_on)


class InteractionsModel(QAbstractTableModel):
    """Rows arrive a page at a time from SQL as the view scrolls (``canFetchMore``/``fetchMore``).

    Filtering happens in SQL: the model never holds more rows than the user has scrolled past.
    """

    COLUMNS = ("Date", "Kind", "Subject", "People", "Owner", "Follow-up")

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.query = InteractionQuery()
        self.rows: list[InteractionRow] = []
        self.total = 0
        self._more = False
        self._today = dt.date.today()
        self._overdue_icon: QIcon | None = None

    def reset(self, query: InteractionQuery, rows: list[InteractionRow], total: int) -> None:
        """Show the first page of a (re)loaded query."""
        self.beginResetModel()
        self.query = query
        self.rows = list(rows)
        self.total = total
        self._more = len(rows) < total
        self._today = dt.date.today()
        self.endResetModel()

    def row_at(self, row: int) -> InteractionRow:
        return self.rows[row]

    def row_of_id(self, interaction_id: int) -> int:
        return next((i for i, r in enumerate(self.rows) if r.id == interaction_id), -1)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.COLUMNS)

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        return not parent.isValid() and self._more

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008 - Qt's signature
        if parent.isValid() or not self._more or not self.rows:
            return
        last = self.rows[-1]
        # A keyset page of 200 rows takes about a millisecond: fine on the GUI thread, and it
        # keeps scrolling smooth without a round trip through the worker.
        with self.runner.db.session() as session:
            page = fetch_page(session, self.query, (last.date, last.id))
        if not page:
            self._more = False
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(page) - 1)
        self.rows.extend(page)
        self.endInsertRows()
        self._more = len(page) == PAGE_SIZE and len(self.rows) < self.total

    def _overdue(self, row: InteractionRow) -> bool:
        return row.follow_up_on is not None and not row.follow_up_done and row.follow_up_on < self._today

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            values = (
                format_date(row.date),
                KIND_LABELS.get(row.kind, row.kind),
                row.subject,
                row.people,
                row.owner or "",
                follow_up_text(row, self._today),
            )
            return values[column]
        if role == Qt.ItemDataRole.DecorationRole and column == 5 and self._overdue(row):
            if self._overdue_icon is None:
                self._overdue_icon = QApplication.style().standardIcon(
                    QStyle.StandardPixmap.SP_MessageBoxWarning
                )
            return self._overdue_icon
        if role == ID_ROLE:
            return row.id
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.COLUMNS)
        ):
            return self.COLUMNS[section]
        return None


ListAnswer = tuple[list[InteractionRow], int, int | None, list[tuple[int, str, int]] | None]


class InteractionsPage(ListPage):
    """Every interaction, newest first, with a filter, a detail pane, logging and the Trash."""

    CHANGES = Change(people=True, interactions=True)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(runner, parent)
        self._select_after_refresh: int | None = None
        self._current_id: int | None = None

        self.search = SearchBox("Search subject, notes, topics, owner or people", "Search interactions")
        self.kind_box = QComboBox()
        self.kind_box.setAccessibleName("Kind of interaction to show")
        self.kind_box.addItem("All kinds", None)
        for value, label in KIND_LABELS.items():
            self.kind_box.addItem(label, value)
        self.topic_box = QComboBox()
        self.topic_box.setAccessibleName("Topic to show")
        self.topic_box.setMinimumContentsLength(14)
        self.topic_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.topic_box.addItem("All topics", None)
        self.topics_button = QPushButton("To&pics…")
        self.topics_button.setAccessibleName("Topics: counts, rename and merge")
        self.new_button = QPushButton("&Log interaction…")
        self.new_button.setAccessibleName("Log a new interaction")
        self.edit_button = QPushButton("E&dit…")
        self.edit_button.setAccessibleName("Edit the selected interaction")
        self.trash_button = QPushButton("Move to &Trash")
        self.trash_button.setAccessibleName("Move the selected interactions to the Trash")
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.kind_box)
        top.addWidget(self.topic_box)
        top.addWidget(self.topics_button)
        top.addWidget(self.new_button)

        self.model = InteractionsModel(runner, self)
        self.table = make_table(self.model, "Interactions")
        fit_columns(self.table, [10, 7, 30, 27, 7, 14], stretch=2)
        self.list_stack = EmptyState(self.table, "")
        self.count_label = QLabel()
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.edit_button)
        bottom.addWidget(self.trash_button)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addLayout(top)
        upper_layout.addWidget(self.list_stack, 1)
        upper_layout.addLayout(bottom)

        # Detail.
        self.heading = QLabel()
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = QLabel()
        self.meta.setWordWrap(True)
        self.notes = QPlainTextEdit()
        self.notes.setReadOnly(True)
        self.notes.setAccessibleName("Notes")
        self.notes.setPlaceholderText("No notes.")
        self.notes.setTabChangesFocus(True)
        notes_box = QWidget()
        notes_layout = QVBoxLayout(notes_box)
        notes_layout.setContentsMargins(0, 0, 0, 0)
        notes_layout.addWidget(self.heading)
        notes_layout.addWidget(self.meta)
        notes_layout.addWidget(self.notes, 1)
        self.people_label = QLabel("People")
        self.people_model = RowsModel([Column("Name", 1)], self)
        self.people_table = make_table(self.people_model, "People in this interaction")
        self.people_table.horizontalHeader().setVisible(False)
        self.people_stack = EmptyState(self.people_table, "No one is linked to this interaction.")
        people_box = QWidget()
        people_layout = QVBoxLayout(people_box)
        people_layout.setContentsMargins(0, 0, 0, 0)
        people_layout.addWidget(self.people_label)
        people_layout.addWidget(self.people_stack, 1)
        detail = QSplitter(Qt.Orientation.Horizontal)
        detail.addWidget(notes_box)
        detail.addWidget(people_box)
        detail.setChildrenCollapsible(False)
        detail.setSizes([650, 350])
        from ui.pages.history_view import HistoryView

        self.history_view = HistoryView(runner, "interaction", self)
        self.detail_tabs = QTabWidget()
        self.detail_tabs.addTab(detail, "Details")
        self.detail_tabs.addTab(self.history_view, "History")
        self.detail_stack = EmptyState(
            self.detail_tabs, "Choose an interaction to read its notes and see who took part."
        )

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(self.detail_stack)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([430, 270])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self.search.search_changed.connect(lambda _t: self.refresh())
        self.kind_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.topic_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.topics_button.clicked.connect(self.open_topics)
        self.new_button.clicked.connect(self.log_interaction)
        self.edit_button.clicked.connect(self.edit_selected)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.trash_button.clicked.connect(self.trash_selected)
        on_delete_key(self.table, self.trash_selected)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.people_table.activated.connect(
            lambda index: self.person_activated.emit(self.people_model.id_at(index.row()))
        )
        for first, second in (
            (self.search, self.kind_box),
            (self.kind_box, self.topic_box),
            (self.topic_box, self.topics_button),
            (self.topics_button, self.new_button),
            (self.new_button, self.table),
            (self.table, self.edit_button),
            (self.edit_button, self.trash_button),
            (self.trash_button, self.notes),
            (self.notes, self.people_table),
        ):
            QWidget.setTabOrder(first, second)
        self.detail_stack.set_empty(True)
        self.trash_button.setEnabled(False)
        self.edit_button.setEnabled(False)
        self.topics_dialog: Any = None
        self._topics_stale = True

    # Loading -------------------------------------------------------------------------------

    def current_query(self) -> InteractionQuery:
        return InteractionQuery(
            text=self.search.text().strip() or None,
            kind=self.kind_box.currentData(),
            topic_id=self.topic_box.currentData(),
        )

    def list_loader(self) -> Callable[[Session], ListAnswer]:
        """The first page of the list (the rest loads as the user scrolls)."""
        query = self.current_query()
        keep = self._select_after_refresh or self._current_id
        # The topics and their counts are read when they may have changed, not on every search.
        with_topics = self._topics_stale

        def read(session: Session) -> ListAnswer:
            rows = fetch_page(session, query)
            total = count_interactions(session, query)
            known = [(t.id, t.name, t.count) for t in topics.list_topics(session)] if with_topics else None
            return rows, total, keep, known

        return read

    def _fill_topics(self, known: list[tuple[int, str, int]]) -> None:
        current = self.topic_box.currentData()
        self.topic_box.blockSignals(True)
        self.topic_box.clear()
        self.topic_box.addItem("All topics", None)
        for topic_id, name, count in known:
            self.topic_box.addItem(f"{name} ({count:,})", topic_id)
        self.topic_box.setCurrentIndex(max(self.topic_box.findData(current), 0))
        self.topic_box.blockSignals(False)

    def show_list(self, answer: ListAnswer) -> None:
        rows, total, keep, known = answer
        if known is not None:
            self._fill_topics(known)
            self._topics_stale = False
        self._select_after_refresh = None
        query = self.current_query()
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        self.model.reset(query, rows, total)
        selection.blockSignals(False)
        self.count_label.setText(f"{total:,} interaction{'s' if total != 1 else ''}")
        if total:
            self.list_stack.set_empty(False)
        elif query.text or query.kind or query.topic_id is not None:
            self.list_stack.set_empty(True, "No interactions match the search.")
        else:
            self.list_stack.set_empty(True, "No interactions yet — record one with Log interaction.")
        row = self.model.row_of_id(keep) if keep is not None else -1
        if row < 0 and rows and keep is None:
            row = 0  # the newest: show its notes rather than an empty pane
            keep = rows[0].id
        if row >= 0:
            selection.blockSignals(True)
            self.table.selectRow(row)
            selection.blockSignals(False)
            self.table.scrollTo(self.model.index(row, 0))
            self.trash_button.setEnabled(True)
            self.edit_button.setEnabled(True)
            self._load_detail(self.model.row_at(row).id)
            return
        self._current_id = None
        self.detail_stack.set_empty(True, None if total else "")
        self.trash_button.setEnabled(False)
        self.edit_button.setEnabled(False)

    def _selection_changed(self, *_args: object) -> None:
        rows = selected_rows(self.table)
        self.trash_button.setEnabled(bool(rows))
        self.edit_button.setEnabled(len(rows) == 1)
        if len(rows) == 1:
            self._load_detail(self.model.row_at(rows[0]).id)

    def _load_detail(self, interaction_id: int) -> None:
        self._current_id = interaction_id

        def load(session: Session) -> dict[str, Any]:
            it = interactions.get_interaction(session, interaction_id)
            return {
                "subject": it.subject,
                "date": it.date,
                "kind": it.kind,
                "owner": it.owner,
                "topics": it.topics,
                "notes": it.notes,
                "follow_up_on": it.follow_up_on,
                "follow_up_done": it.follow_up_done,
                "people": interactions.participants(session, interaction_id),
            }

        def done(info: dict[str, Any]) -> None:
            self.detail_stack.set_empty(False)
            self.heading.setText(info["subject"])
            parts = [format_date(info["date"]), KIND_LABELS.get(info["kind"], info["kind"])]
            if info["owner"]:
                parts.append(f"with {info['owner']}")
            if info["topics"]:
                parts.append(f"Topics: {info['topics']}")
            if info["follow_up_on"]:
                state = "done" if info["follow_up_done"] else "due"
                parts.append(f"Follow-up {state} {format_date(info['follow_up_on'])}")
            self.meta.setText(" · ".join(parts))
            self.notes.setPlainText(info["notes"] or "")
            self.people_model.set_rows(info["people"])
            n = len(info["people"])
            self.people_label.setText(f"People ({n:,})")
            self.people_stack.set_empty(not n)
            self.history_view.show_record(interaction_id)

        self.load_detail(load, done)

    # Actions -------------------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        return [self.model.row_at(r).id for r in selected_rows(self.table)]

    def log_interaction(self) -> None:
        """Open the Log interaction form; the new interaction is shown once saved."""
        from ui.interaction_dialog import InteractionDialog

        dialog = InteractionDialog(self.runner, (), self)
        logged: list[int] = []
        dialog.logged.connect(logged.append)
        if common.exec_dialog(dialog) and logged:
            new_id = logged[-1]
            self._undoable(
                f"Log {dialog.subject_edit.text().strip() or 'interaction'}",
                lambda s: interactions.restore_interactions(s, [new_id]),
                lambda s: interactions.trash_interactions(s, [new_id]),
            )
            self._select_after_refresh = new_id
            self.after_change()

    def edit_selected(self) -> QDialog | None:
        """Open the selected interaction in the edit form; saving is one undoable change."""
        ids = self.selected_ids()
        if len(ids) != 1:
            return None
        return self.edit_interaction(ids[0])

    def edit_interaction(self, interaction_id: int) -> QDialog | None:
        from ui.interaction_dialog import InteractionDialog
        from ui.undo import EditInteractionCommand

        dialog = InteractionDialog(self.runner, (), self, interaction_id=interaction_id)
        edited: list[int] = []
        dialog.edited.connect(edited.append)
        if common.exec_dialog(dialog) and edited:
            push_undo(
                self,
                EditInteractionCommand(
                    self.runner,
                    interaction_id,
                    dialog.before,
                    dialog.after,
                    lambda _ids: self.after_change(),
                ),
            )
            self._select_after_refresh = interaction_id
            self.after_change()
        return dialog

    def open_topics(self) -> QDialog:
        """The Topics list (counts, rename, merge); "Show interactions" filters this list by one."""
        from ui.topics_dialog import TopicsDialog

        if self.topics_dialog is None:
            self.topics_dialog = TopicsDialog(self.runner, self)
            self.topics_dialog.topics_changed.connect(self.after_change)
            self.topics_dialog.show_topic.connect(self.show_topic)
        else:
            self.topics_dialog.refresh()
        dialog: QDialog = self.topics_dialog
        dialog.open()
        return dialog

    def show_topic(self, topic_id: int) -> None:
        """Show only the interactions of this topic."""
        index = self.topic_box.findData(topic_id)
        if index < 0:
            self.topic_box.blockSignals(True)
            self.topic_box.addItem(f"Topic {topic_id}", topic_id)
            self.topic_box.blockSignals(False)
            index = self.topic_box.count() - 1
        self.topic_box.setCurrentIndex(index)

    def trash_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        what = (
            f"“{self.model.row_at(selected_rows(self.table)[0]).subject}”"
            if len(ids) == 1
            else f"{len(ids)} interactions"
        )
        if not dialogs.confirm(
            self, "Move to Trash", f"Move {what} to the Trash? You can restore it from the Trash."
        ):
            return

        def done(_n: int) -> None:
            self._current_id = None

        common.write_undoable(
            self,
            self.runner,
            lambda session: interactions.trash_interactions(session, ids),
            changed=self.after_change,
            undo_text=f"Move {what} to the Trash",
            reverse=lambda session: interactions.restore_interactions(session, ids),
            on_done=done,
        )

    def after_change(self) -> None:
        """As :meth:`ListPage.after_change`; the topics' counts are read again too."""
        self._topics_stale = True
        super().after_change()

    def showEvent(self, event: QShowEvent) -> None:
        # Interactions logged elsewhere (a person's panel, letters, emails) change the counts.
        self._topics_stale = True
        super().showEvent(event)

    def _undoable(self, text: str, do: Any, reverse: Any) -> None:
        push_undo(self, common.PageCommand(self.runner, text, do, reverse, self.after_change))
