"""The suppression list: addresses that must never be contacted, whatever a later import says.

See, search, add (with a reason) and remove. Imports mark a suppressed address do not contact and
exports leave it out; an erased person's address is shown only as a keyed hash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm.privacy.suppression import (
    SuppressionEntry,
    list_suppressions,
    still_do_not_contact,
    suppress,
    unsuppress,
)

from ui import dialogs
from ui.changes import Change
from ui.dialogs import FormDialog
from ui.pages.base import ListPage
from ui.pages.common import (
    Column,
    EmptyState,
    RowsModel,
    SearchBox,
    fit_columns,
    make_table,
    on_delete_key,
    run_task,
    selected_rows,
)
from ui.tasks import Task, TaskContext, TaskRunner

EXPLANATION = (
    "People on this list are never contacted: an import marks anyone with one of these addresses "
    "do not contact, and exports leave them out. Erased people are kept only as a keyed hash, so "
    "their address is not shown."
)


def _added(value: Any) -> str:
    return value.astimezone().strftime("%d/%m/%Y") if value is not None else ""


class AddSuppressionDialog(FormDialog):
    """An address and the reason it is suppressed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Add to the suppression list", parent, ok_text="Add")
        self.email_edit = QLineEdit()
        self.email_edit.setAccessibleName("Email address to suppress")
        self.email_edit.setPlaceholderText("name@example.org")
        self.reason_edit = QLineEdit()
        self.reason_edit.setAccessibleName("Reason")
        self.reason_edit.setPlaceholderText("e.g. Asked by phone not to be contacted again")
        self.form.addRow("&Email address:", self.email_edit)
        self.form.addRow("&Reason:", self.reason_edit)
        self.ok_button.setEnabled(False)
        for edit in (self.email_edit, self.reason_edit):
            edit.textChanged.connect(self._check)
        self.resize(480, self.sizeHint().height())

    def _check(self) -> None:
        self.ok_button.setEnabled(bool(self.email_edit.text().strip() and self.reason_edit.text().strip()))


def ask_suppression(parent: QWidget | None) -> tuple[str, str] | None:
    """Seam: (email, reason) to add, or None when the user cancels (tests replace it)."""
    dialog = AddSuppressionDialog(parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.email_edit.text(), dialog.reason_edit.text()


class SuppressionPage(ListPage):
    """The suppression list, newest first."""

    CHANGES = Change(people=True)  # people may have become do not contact

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(runner, parent)
        self._shown_text = ""
        self.entries: list[SuppressionEntry] = []

        self.explanation = QLabel(EXPLANATION)
        self.explanation.setWordWrap(True)
        self.search = SearchBox("Search addresses", "Search the suppression list")
        self.add_button = QPushButton("&Add address…")
        self.add_button.setAccessibleName("Add an address to the suppression list")
        self.remove_button = QPushButton("&Remove from list")
        self.remove_button.setAccessibleName("Remove the selected addresses from the suppression list")
        self.remove_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.add_button)
        top.addWidget(self.remove_button)
        # Row: (id, shown email, reason, added, hashed)
        self.model = RowsModel(
            [Column("Email address", 1), Column("Reason", 2), Column("Added", 3, formatter=_added)], self
        )
        self.table = make_table(self.model, "Suppressed addresses")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        fit_columns(self.table, [34, 40, 11], stretch=1)
        self.stack = EmptyState(self.table, "")
        self.count_label = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.count_label)

        self.search.search_changed.connect(lambda _t: self.refresh())
        self.add_button.clicked.connect(self.add_address)
        self.remove_button.clicked.connect(self.remove_selected)
        on_delete_key(self.table, self._delete_key)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

    def list_loader(self) -> Callable[[Session], list[SuppressionEntry]]:
        text = self._shown_text = self.search.text().strip()
        return lambda session: list_suppressions(session, text or None)

    def show_list(self, entries: list[SuppressionEntry]) -> None:
        self.entries = entries
        self.model.set_rows([(e.id, e.shown_email, e.reason or "", e.added, e.hashed) for e in entries])
        header = self.table.horizontalHeader()
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        n = len(entries)
        self.count_label.setText(f"{n:,} address{'es' if n != 1 else ''}" if n else "")
        if entries:
            self.stack.set_empty(False)
        else:
            self.stack.set_empty(
                True,
                "No address matches the search."
                if self._shown_text
                else "The suppression list is empty. Add an address when someone asks not to be contacted.",
            )
        self._selection_changed()

    def _delete_key(self) -> None:
        self.remove_selected()

    def _selection_changed(self, *_args: Any) -> None:
        self.remove_button.setEnabled(bool(selected_rows(self.table)))

    def add_address(self) -> Task[Any] | None:
        answer = ask_suppression(self)
        if answer is None:
            return None
        email, reason = answer

        def work(ctx: TaskContext) -> tuple[str, int]:
            with ctx.db.transaction() as session:
                entry, marked = suppress(session, email, reason)
            return entry.shown_email, marked

        def done(result: tuple[str, int]) -> None:
            shown, marked = result
            if marked:
                dialogs.show_info(
                    self,
                    "Suppressed",
                    f"{shown} is on the suppression list. {marked:,} "
                    f"{'person with it is' if marked == 1 else 'people with it are'} now marked do not contact.",
                )
                self.data_changed.emit()
            self.refresh()

        return run_task(self, self.runner, work, on_done=done, write=True)

    def remove_selected(self) -> Task[Any] | None:
        rows = [self.model.row_at(r) for r in selected_rows(self.table)]
        if not rows:
            return None
        hashed = [r for r in rows if r[4]]
        plain = [r[1] for r in rows if not r[4]]
        if hashed:
            dialogs.show_info(
                self,
                "Erased people",
                "An erased person's address is kept only as a keyed hash and cannot be chosen here. "
                "To take one off the list, use kindred-cli unsuppress with the address.",
            )
        if not plain:
            return None
        listed = ", ".join(plain[:3]) + ("…" if len(plain) > 3 else "")
        if not dialogs.confirm(
            self,
            "Remove from the suppression list",
            f"Take {listed} off the suppression list? Only do this if they have asked to be contacted "
            "again. People with these addresses stay marked do not contact until you change that on "
            "each person.",
        ):
            return None

        def work(ctx: TaskContext) -> int:
            with ctx.db.transaction() as session:
                for email in plain:
                    unsuppress(session, email)
                return sum(still_do_not_contact(session, e) for e in plain)

        def done(still: int) -> None:
            if still:
                dialogs.show_info(
                    self,
                    "Removed",
                    f"Removed. {still:,} {'person is' if still == 1 else 'people are'} still marked do not "
                    "contact: change that on their record if they really may be contacted again.",
                )
            self.refresh()

        return run_task(self, self.runner, work, on_done=done, write=True)
