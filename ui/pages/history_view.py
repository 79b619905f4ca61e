"""A record's history (person or organisation): every change with when, who, what and the source,
filterable by text and by kind of change. Loaded in the background."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from crm.privacy.history import (
    HistoryEntry,
    filter_entries,
    interaction_history,
    organisation_history,
    person_history,
)

from ui.pages.common import Column, EmptyState, RowsModel, SearchBox, fit_columns, make_table, run_task
from ui.tasks import TaskContext, TaskRunner

ALL = "Every kind of change"


def _when(value: Any) -> str:
    return value.astimezone().strftime("%d/%m/%Y %H:%M") if value is not None else ""


def _change(entry: HistoryEntry) -> str:
    """ "Town: Leeds → York"; a field set for the first time shows only its value."""
    if not entry.field:
        return entry.new
    if entry.old and entry.new:
        return f"{entry.field}: {entry.old} → {entry.new}"
    if entry.new:
        return f"{entry.field}: {entry.new}"
    if entry.old:
        return f"{entry.field}: {entry.old} → (blank)"
    return entry.field


class HistoryView(QWidget):
    """History of one person, organisation or interaction (``kind`` says which)."""

    loaded = Signal()

    def __init__(self, runner: TaskRunner, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.kind = kind
        self.record_id: int | None = None
        self.entries: list[HistoryEntry] = []
        self._generation = 0

        self.search = SearchBox("Filter the history", "Filter the history: field, value, who or source")
        self.action_box = QComboBox()
        self.action_box.setAccessibleName("Kind of change")
        self.action_box.addItem(ALL, None)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search, 1)
        top.addWidget(self.action_box)
        # Row: (index, when, who, action, field, old, new, source, "field: old → new")
        self.model = RowsModel(
            [
                Column("When", 1, formatter=_when),
                Column("Who", 2),
                Column("What", 3),
                Column("Change", 8),
                Column("Source", 7),
            ],
            self,
            tooltip=lambda row, _col: f"{row[4]}: {row[5]} → {row[6]}\n{row[7]}".strip(),
        )
        self.table = make_table(self.model, "History of changes", multi=False)
        fit_columns(self.table, [14, 7, 8, 26, 14], stretch=3)
        self.table.setWordWrap(False)
        self.stack = EmptyState(self.table, "No changes recorded yet.")
        self.count_label = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.count_label)
        self.search.search_changed.connect(lambda _t: self._show())
        self.action_box.currentIndexChanged.connect(lambda _i: self._show())

    def show_record(self, record_id: int | None) -> None:
        """Load the history of a record (None: nothing to show, e.g. a new record)."""
        self.record_id = record_id
        self._generation += 1
        generation = self._generation
        if record_id is None:
            self.entries = []
            self._show()
            return
        kind = self.kind

        def load(ctx: TaskContext) -> list[HistoryEntry]:
            with ctx.db.session() as session:
                if kind == "organisation":
                    return organisation_history(session, record_id)
                if kind == "interaction":
                    return interaction_history(session, record_id)
                return person_history(session, record_id)

        def done(entries: list[HistoryEntry]) -> None:
            if generation != self._generation:
                return
            self.entries = entries
            self._fill_actions()
            self._show()
            self.loaded.emit()

        run_task(self, self.runner, load, on_done=done)

    def reload(self) -> None:
        self.show_record(self.record_id)

    def _fill_actions(self) -> None:
        current = self.action_box.currentData()
        self.action_box.blockSignals(True)
        self.action_box.clear()
        self.action_box.addItem(ALL, None)
        for action in sorted({e.action for e in self.entries}):
            self.action_box.addItem(action, action)
        self.action_box.setCurrentIndex(max(self.action_box.findData(current), 0))
        self.action_box.blockSignals(False)

    def _show(self) -> None:
        shown = filter_entries(self.entries, self.search.text(), self.action_box.currentData())
        self.model.set_rows(
            [
                (i, e.at, e.who, e.action, e.field, e.old, e.new, e.source, _change(e))
                for i, e in enumerate(shown)
            ]
        )
        if shown:
            self.stack.set_empty(False)
        elif self.entries:
            self.stack.set_empty(True, "No changes match the filter.")
        else:
            self.stack.set_empty(True, "No changes recorded yet." if self.record_id else "")
        n, total = len(shown), len(self.entries)
        noun = "change" if total == 1 else "changes"
        self.count_label.setText(
            "" if not total else f"{n:,} of {total:,} {noun}" if n != total else f"{total:,} {noun}"
        )
