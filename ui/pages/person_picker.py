"""A dialog to find people by name, email or organisation and pick several of them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from crm import filters
from crm.filters import PersonFilter

from ui.pages.common import (
    Column,
    EmptyState,
    RowsModel,
    SearchBox,
    fit_columns,
    make_table,
    run_task,
    selected_rows,
)
from ui.tasks import TaskContext, TaskRunner

RESULT_LIMIT = 200


def _first_last(sort_name: str | None) -> str:
    last, _sep, first = (sort_name or "").partition(", ")
    return " ".join(p for p in (first.strip(), last.strip()) if p)


class PersonPickerDialog(QDialog):
    """Type to search (in SQL, best matches first); select people; press the accept button."""

    results_shown = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        title: str = "Find people",
        accept_text: str = "Add selected",
        exclude: set[int] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.runner = runner
        self.exclude = exclude or set()
        self._generation = 0
        self.search = SearchBox("Type a name, email or organisation", "Search people")
        self.model = RowsModel([Column("Name", 1), Column("Organisation", 2), Column("Email", 3)], self)
        self.table = make_table(self.model, "Matching people")
        fit_columns(self.table, [22, 24, 20], stretch=2)
        self.stack = EmptyState(self.table, "Type to find people.")
        self.note = QLabel()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(accept_text)
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.search.search_changed.connect(self.run_search)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_a: self.ok_button.setEnabled(bool(selected_rows(self.table)))
        )
        self.table.activated.connect(lambda _i: self.accept())
        self.resize(640, 440)
        self.stack.set_empty(True)

    def run_search(self, text: str) -> None:
        self._generation += 1
        generation = self._generation
        if not text:
            self.model.set_rows([])
            self.stack.set_empty(True, "Type to find people.")
            self.note.clear()
            self.results_shown.emit()
            return

        def load(ctx: TaskContext) -> list[tuple[Any, ...]]:
            with ctx.db.session() as session:
                rows = filters.page(
                    session,
                    PersonFilter(text=text),
                    ["name", "organisation", "email"],
                    limit=RESULT_LIMIT,
                )
            return [(r[0], _first_last(r[1]), r[2], r[3]) for r in rows]

        def done(rows: list[tuple[Any, ...]]) -> None:
            if generation != self._generation:
                return
            rows = [r for r in rows if r[0] not in self.exclude]
            self.model.set_rows(rows)
            self.stack.set_empty(not rows, f"No one matches “{text}”.")
            self.note.setText(
                f"Showing the first {RESULT_LIMIT}: type more to narrow the search."
                if len(rows) >= RESULT_LIMIT
                else ""
            )
            if rows:
                self.table.selectRow(0)
            self.results_shown.emit()

        run_task(self, self.runner, load, on_done=done)

    def selected_people(self) -> list[tuple[int, str]]:
        """(person id, name) of the selected people."""
        return [(self.model.id_at(r), self.model.row_at(r)[1]) for r in selected_rows(self.table)]

    def keyPressEvent(self, event: Any) -> None:
        # Down from the search box goes to the results, as in any search-as-you-type list.
        if event.key() == Qt.Key.Key_Down and self.search.hasFocus() and self.model.rowCount():
            self.table.setFocus()
            return
        super().keyPressEvent(event)
