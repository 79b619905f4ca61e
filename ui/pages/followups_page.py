"""Follow-ups: open ones, oldest due first, overdue ones marked with an icon and words; Mark done."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from crm.services import interactions
from crm.services.interactions import participant_summaries

from ui.changes import Change
from ui.pages.base import ListPage
from ui.pages.common import (
    Column,
    EmptyState,
    RowsModel,
    fit_columns,
    format_date,
    make_table,
    selected_rows,
    write_undoable,
)
from ui.pages.interactions_page import KIND_LABELS
from ui.tasks import TaskRunner

# Row fields: id, due, state text, subject, people, owner, kind, date, notes, days overdue.
DUE, STATE, SUBJECT, PEOPLE, OWNER, KIND, DATE, NOTES, LATE = range(1, 10)
EVERYONE = "Everyone"


def due_text(due: dt.date, today: dt.date) -> str:
    """ "Overdue by 3 days", "Due today", "Due tomorrow", "Due in 5 days"."""
    days = (due - today).days
    if days < 0:
        return f"Overdue by {-days} day{'s' if days != -1 else ''}"
    if days == 0:
        return "Due today"
    if days == 1:
        return "Due tomorrow"
    return f"Due in {days} days"


class FollowUpsPage(ListPage):
    """Open follow-ups with who they are with and whose they are; mark them done.

    Signals (besides :class:`~ui.pages.base.ListPage`'s):
        overdue_count_changed(int): the number overdue, for the sidebar's badge.
    """

    overdue_count_changed = Signal(int)
    CHANGES = Change(interactions=True)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(runner, parent)
        self._rows: list[tuple[Any, ...]] = []
        self.overdue_count = 0
        self._warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)

        self.show_box = QComboBox()
        self.show_box.setAccessibleName("Which follow-ups to show")
        self.show_box.addItem("All open follow-ups", True)
        self.show_box.addItem("Due now or overdue", False)
        self.owner_box = QComboBox()
        self.owner_box.setAccessibleName("Whose follow-ups to show")
        self.owner_box.addItem(EVERYONE)
        self.calendar_button = QPushButton("Add to ca&lendar")
        self.calendar_button.setAccessibleName("Add the selected follow-ups to your calendar")
        self.calendar_button.setEnabled(False)
        self.done_button = QPushButton("&Mark done")
        self.done_button.setAccessibleName("Mark the selected follow-ups as done")
        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.show_box)
        top.addWidget(QLabel("Owner:"))
        top.addWidget(self.owner_box)
        top.addStretch(1)
        top.addWidget(self.calendar_button)
        top.addWidget(self.done_button)

        self.model = RowsModel(
            [
                Column("Due", DUE),
                Column("When", STATE),
                Column("Subject", SUBJECT),
                Column("People", PEOPLE),
                Column("Owner", OWNER),
            ],
            self,
            decoration=self._decoration,
        )
        self.table = make_table(self.model, "Follow-ups")
        fit_columns(self.table, [10, 20, 30, 24, 7], stretch=2)
        self.list_stack = EmptyState(self.table, "")
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        self.heading = QLabel()
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setWordWrap(True)
        self.meta = QLabel()
        self.meta.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        notes_box = QWidget()
        notes_layout = QVBoxLayout(notes_box)
        notes_layout.setContentsMargins(0, 0, 0, 0)
        notes_layout.addWidget(self.heading)
        notes_layout.addWidget(self.meta)
        notes_layout.addWidget(self.notes, 1)
        self.people_model = RowsModel([Column("Name", 1)], self)
        self.people_table = make_table(self.people_model, "People to follow up with")
        self.people_table.horizontalHeader().setVisible(False)
        self.people_stack = EmptyState(self.people_table, "No one is linked to this follow-up.")
        self.people_label = QLabel("People")
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
        self.detail_stack = EmptyState(detail, "Choose a follow-up to see its notes and who it is with.")

        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addLayout(top)
        upper_layout.addWidget(self.list_stack, 1)
        upper_layout.addWidget(self.summary)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(self.detail_stack)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([500, 200])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self.show_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.owner_box.currentIndexChanged.connect(lambda _i: self._show_rows())
        self.done_button.clicked.connect(self.mark_done)
        self.calendar_button.clicked.connect(self.add_to_calendar)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.people_table.activated.connect(
            lambda index: self.person_activated.emit(self.people_model.id_at(index.row()))
        )
        for first, second in (
            (self.show_box, self.owner_box),
            (self.owner_box, self.done_button),
            (self.done_button, self.table),
            (self.table, self.people_table),
        ):
            QWidget.setTabOrder(first, second)
        self.done_button.setEnabled(False)
        self.detail_stack.set_empty(True)

    def _decoration(self, row: tuple[Any, ...], column: int) -> QIcon | None:
        # Overdue rows carry a warning icon as well as the words: never colour alone.
        return self._warning if column == 1 and row[LATE] > 0 else None

    # Loading -------------------------------------------------------------------------------

    def list_loader(self) -> Callable[[Session], tuple[list[tuple[Any, ...]], int]]:
        """Open follow-ups and the overdue count."""
        include_future = bool(self.show_box.currentData())

        def load(session: Session) -> tuple[list[tuple[Any, ...]], int]:
            today = dt.date.today()
            items = interactions.follow_ups(session, today=today, include_future=include_future)
            names = participant_summaries(session, [i.id for i in items])
            rows = []
            for it in items:
                due = it.follow_up_on
                assert due is not None  # follow_ups() returns only those with a date
                rows.append(
                    (
                        it.id,
                        due,
                        due_text(due, today),
                        it.subject,
                        names.get(it.id, ""),
                        it.owner,
                        it.kind,
                        it.date,
                        it.notes,
                        max(0, (today - due).days),
                    )
                )
            return rows, interactions.count_overdue(session, today)

        return load

    def show_list(self, result: tuple[list[tuple[Any, ...]], int]) -> None:
        rows, overdue = result
        self._rows = rows
        owners = sorted({r[OWNER] for r in rows if r[OWNER]}, key=str.casefold)
        current = self.owner_box.currentText()
        self.owner_box.blockSignals(True)
        self.owner_box.clear()
        self.owner_box.addItem(EVERYONE)
        self.owner_box.addItems(owners)
        self.owner_box.setCurrentIndex(max(0, self.owner_box.findText(current)))
        self.owner_box.blockSignals(False)
        changed = overdue != self.overdue_count
        self.overdue_count = overdue
        self._show_rows()
        if changed or self._generation == 1:  # the first load tells the badge in any case
            self.overdue_count_changed.emit(overdue)

    def _show_rows(self) -> None:
        owner = self.owner_box.currentText()
        rows = [r for r in self._rows if owner == EVERYONE or r[OWNER] == owner]
        keep = {self.model.id_at(r) for r in selected_rows(self.table)}
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        self.model.set_rows(rows)
        for i in range(self.model.rowCount()):
            if self.model.id_at(i) in keep:
                selection.select(
                    self.model.index(i, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows
                )
        if not selection.hasSelection() and rows:
            self.table.selectRow(0)  # the most overdue: show its notes rather than an empty pane
        selection.blockSignals(False)
        late = sum(1 for r in rows if r[LATE] > 0)
        today = sum(1 for r in rows if r[STATE] == "Due today")
        self.summary.setText(
            f"{len(rows):,} open follow-up{'s' if len(rows) != 1 else ''}: {late:,} overdue, {today:,} due today."
            if rows
            else ""
        )
        if rows:
            self.list_stack.set_empty(False)
        elif self._rows:
            self.list_stack.set_empty(True, f"{owner} has no open follow-ups.")
        else:
            self.list_stack.set_empty(
                True,
                "Nothing to follow up — set a follow-up date when you log an interaction and it appears here.",
            )
        self._selection_changed()

    def _selection_changed(self, *_args: object) -> None:
        rows = selected_rows(self.table)
        self.done_button.setEnabled(bool(rows) and not self.list_stack.is_empty)
        self.calendar_button.setEnabled(bool(rows) and not self.list_stack.is_empty)
        if len(rows) != 1:
            self.detail_stack.set_empty(True, None if self.model.rowCount() else "")
            return
        row = self.model.row_at(rows[0])
        self.detail_stack.set_empty(False)
        self.heading.setText(row[SUBJECT])
        parts = [
            f"{KIND_LABELS.get(row[KIND], row[KIND])} on {format_date(row[DATE])}",
            f"follow-up {row[STATE].lower()} ({format_date(row[DUE])})",
        ]
        if row[OWNER]:
            parts.append(f"owner {row[OWNER]}")
        self.meta.setText(" · ".join(parts))
        self.notes.setText(row[NOTES] or "No notes.")
        self._load_people(row[0])

    def _load_people(self, interaction_id: int) -> None:
        def show(people: list[tuple[int, str]]) -> None:
            self.people_model.set_rows(people)
            self.people_label.setText(f"People ({len(people):,})")
            self.people_stack.set_empty(not people)

        self.load_detail(lambda session: interactions.participants(session, interaction_id), show)

    # Actions -------------------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        return [self.model.id_at(r) for r in selected_rows(self.table)]

    def add_to_calendar(self) -> Any:
        """The selected follow-ups as an .ics, opened in the calendar program."""
        from ui.correspondence import add_to_calendar

        ids = self.selected_ids()
        if not ids:
            return None
        return add_to_calendar(self.runner, self, interaction_ids=ids, name="Kindred follow-ups")

    def mark_done(self) -> None:
        """Mark the selected follow-ups done; they leave the list and the badge count drops."""
        ids = self.selected_ids()
        if not ids:
            return

        def write_ids(session: Any) -> None:
            for interaction_id in ids:
                interactions.set_follow_up_done(session, interaction_id)

        def reopen(session: Any) -> None:
            for interaction_id in ids:
                interactions.set_follow_up_done(session, interaction_id, False)

        n = len(ids)
        write_undoable(
            self,
            self.runner,
            write_ids,
            changed=self.after_change,
            undo_text=f"Mark {n:,} follow-up{'s' if n != 1 else ''} done",
            reverse=reopen,
        )
