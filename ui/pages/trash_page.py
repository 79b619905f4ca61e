"""The Trash: records of every kind moved there by an ordinary delete, and Restore."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm.services import trash

from ui import dialogs
from ui.changes import Change
from ui.pages.base import ListPage
from ui.pages.common import (
    Column,
    EmptyState,
    PageCommand,
    RowsModel,
    fit_columns,
    make_table,
    push_undo,
    run_task,
    selected_rows,
)
from ui.tasks import TaskContext, TaskRunner

KIND_LABELS = {
    "person": "Person",
    "organisation": "Organisation",
    "interaction": "Interaction",
    "event": "Event",
    "network": "Network",
}
# Whatever the core can take out of the Trash (people, organisations, interactions, events, networks).
RESTORABLE = frozenset(trash.KINDS)
EXPLANATION = (
    "Deleting something in Kindred moves it here. Items in the Trash are kept until you restore them: "
    "nothing here is erased, and while it is here it is left out of lists, searches and exports."
)


class TrashPage(ListPage):
    """Deleted people, organisations, interactions and events, most recently deleted first."""

    # Something came back: other lists are stale.
    CHANGES = Change(people=True, organisations=True, networks=True, interactions=True, events=True)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(runner, parent)
        self._items: list[tuple[Any, ...]] = []

        self.explanation = QLabel(EXPLANATION)
        self.explanation.setWordWrap(True)
        self.kind_box = QComboBox()
        self.kind_box.setAccessibleName("Kind of record to show")
        self.kind_box.addItem("Everything", None)
        for value, label in KIND_LABELS.items():
            self.kind_box.addItem(label if value == "person" else f"{label}s", value)
        self.kind_box.setItemText(1, "People")
        self.restore_button = QPushButton("&Restore selected")
        self.restore_button.setAccessibleName("Restore the selected items")
        self.restore_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.kind_box)
        top.addStretch(1)
        top.addWidget(self.restore_button)

        # Row: (row key, kind, name, deleted at, record id)
        self.model = RowsModel(
            [
                Column("Kind", 1, formatter=lambda kind: KIND_LABELS.get(kind, str(kind))),
                Column("Name", 2),
                Column("Deleted", 3),
            ],
            self,
        )
        self.table = make_table(self.model, "Items in the Trash")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        fit_columns(self.table, [12, 40, 18], stretch=1)
        self.stack = EmptyState(self.table, "")
        self.count_label = QLabel()

        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.count_label)

        self.kind_box.currentIndexChanged.connect(lambda _i: self._show())
        self.restore_button.clicked.connect(self.restore_selected)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_a: self.restore_button.setEnabled(bool(selected_rows(self.table)))
        )
        self.table.activated.connect(self._activated)
        QWidget.setTabOrder(self.kind_box, self.restore_button)
        QWidget.setTabOrder(self.restore_button, self.table)

    def list_loader(self) -> Callable[[Session], list[tuple[Any, ...]]]:
        def load(session: Session) -> list[tuple[Any, ...]]:
            return [
                (f"{i.kind}:{i.id}", i.kind, i.name, i.deleted_at, i.id) for i in trash.list_trash(session)
            ]

        return load

    def show_list(self, rows: list[tuple[Any, ...]]) -> None:
        self._items = rows
        self._show()

    def _show(self) -> None:
        kind = self.kind_box.currentData()
        rows = [r for r in self._items if kind is None or r[1] == kind]
        header = self.table.horizontalHeader()
        self.model.set_rows(rows)
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.restore_button.setEnabled(False)
        n = len(rows)
        self.count_label.setText(f"{n:,} item{'s' if n != 1 else ''} in the Trash" if n else "")
        if rows:
            self.stack.set_empty(False)
        elif self._items:
            self.stack.set_empty(True, f"No {self.kind_box.currentText().lower()} in the Trash.")
        else:
            self.stack.set_empty(
                True, "The Trash is empty. Anything you delete appears here until you restore it."
            )

    def _activated(self, index: Any) -> None:
        row = self.model.row_at(index.row())
        if row[1] == "person":
            # A person in the Trash opens only once restored; say so rather than do nothing.
            dialogs.show_info(
                self, "In the Trash", f"{row[2]} is in the Trash. Restore them to open their record."
            )

    def selected_items(self) -> list[tuple[str, int, str]]:
        """(kind, id, name) of the selected items."""
        return [
            (self.model.row_at(r)[1], self.model.row_at(r)[4], self.model.row_at(r)[2])
            for r in selected_rows(self.table)
        ]

    def restore_selected(self) -> None:
        """Put the selected items back where they were."""
        items = self.selected_items()
        if not items:
            return
        by_kind: dict[str, list[int]] = defaultdict(list)
        skipped: list[str] = []
        for kind, record_id, name in items:
            if kind in RESTORABLE:
                by_kind[kind].append(record_id)
            else:
                skipped.append(name)
        if skipped:
            dialogs.show_info(
                self,
                "Cannot restore",
                f"{', '.join(skipped)} cannot be restored from the Trash in this version of Kindred.",
            )
        if not by_kind:
            return

        def restore(session: Any) -> int:
            return sum(trash.restore(session, kind, ids) for kind, ids in by_kind.items())

        def put_back(session: Any) -> int:
            return sum(trash.trash(session, kind, ids) for kind, ids in by_kind.items())

        def write(ctx: TaskContext) -> int:
            with ctx.db.transaction() as session:
                return restore(session)

        def done(n: int) -> None:
            text = f"Restore {n:,} item{'s' if n != 1 else ''} from the Trash"
            push_undo(self, PageCommand(self.runner, text, restore, put_back, self.after_change))
            self.after_change()

        run_task(self, self.runner, write, on_done=done, write=True)
