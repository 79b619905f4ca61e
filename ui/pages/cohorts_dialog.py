"""A network's cohorts and groups: add, rename, change dates or kind, remove unused ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm.models import GROUP_KINDS
from crm.services import cohorts

from ui import dialogs
from ui.dialogs import FormDialog
from ui.pages.common import run_task
from ui.tasks import TaskContext, TaskRunner


def _table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(name)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: list[tuple[int, list[str]]]) -> None:
    table.setRowCount(len(rows))
    for r, (key, values) in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setData(Qt.ItemDataRole.UserRole, key)
            table.setItem(r, c, item)


def _qdate(day: dt.date | None) -> QDate:
    return QDate(day.year, day.month, day.day) if day else QDate(1900, 1, 1)


def _pydate(edit: Any) -> dt.date | None:
    d = edit.date()
    if d == edit.minimumDate():
        return None
    return dt.date(d.year(), d.month(), d.day())


class CohortsDialog(QDialog):
    """Two lists, cohorts and groups, each with New, Edit and Remove."""

    changed = Signal()  # something was written: the network page reloads
    loaded = Signal()

    def __init__(self, runner: TaskRunner, network_id: int, network_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Cohorts and groups — {network_name}")
        self.runner = runner
        self.network_id = network_id
        self._cohorts: dict[int, cohorts.CohortRow] = {}
        self._groups: dict[int, cohorts.GroupRow] = {}

        self.cohort_table = _table(["Cohort", "Dates", "Current members", "Ever in it"], "Cohorts")
        self.group_table = _table(["Group", "Kind", "Current members"], "Groups")
        layout = QVBoxLayout(self)
        self.new_cohort_button, self.edit_cohort_button, self.remove_cohort_button = self._box(
            layout, "Cohorts (a year's intake, e.g. KLN 2019–20)", self.cohort_table, "cohort"
        )
        self.new_group_button, self.edit_group_button, self.remove_group_button = self._box(
            layout, "Working groups and regional hubs", self.group_table, "group"
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.new_cohort_button.clicked.connect(lambda: self.edit_cohort(None))
        self.edit_cohort_button.clicked.connect(lambda: self.edit_cohort(self._chosen(self.cohort_table)))
        self.remove_cohort_button.clicked.connect(self.remove_cohort)
        self.new_group_button.clicked.connect(lambda: self.edit_group(None))
        self.edit_group_button.clicked.connect(lambda: self.edit_group(self._chosen(self.group_table)))
        self.remove_group_button.clicked.connect(self.remove_group)
        self.cohort_table.doubleClicked.connect(lambda _i: self.edit_cohort(self._chosen(self.cohort_table)))
        self.group_table.doubleClicked.connect(lambda _i: self.edit_group(self._chosen(self.group_table)))
        self.setMinimumSize(620, 520)
        self.active_dialog: QDialog | None = None
        self.reload()

    @staticmethod
    def _box(
        layout: QVBoxLayout, title: str, table: QTableWidget, noun: str
    ) -> tuple[QPushButton, QPushButton, QPushButton]:
        box = QGroupBox(title)
        inner = QVBoxLayout(box)
        inner.addWidget(table)
        row = QHBoxLayout()
        new = QPushButton(f"New {noun}…")
        edit = QPushButton("Edit…")
        remove = QPushButton("Remove")
        new.setAccessibleName(f"New {noun}")
        edit.setAccessibleName(f"Edit the selected {noun}")
        remove.setAccessibleName(f"Remove the selected {noun}")
        remove.setToolTip("Only a cohort nobody has been in, or a group with nobody in it, can be removed.")
        for button in (new, edit, remove):
            row.addWidget(button)
        row.addStretch(1)
        inner.addLayout(row)
        layout.addWidget(box)
        return new, edit, remove

    # Loading -----------------------------------------------------------------------------------

    def reload(self) -> None:
        network_id = self.network_id

        def load(ctx: TaskContext) -> tuple[list[cohorts.CohortRow], list[cohorts.GroupRow]]:
            with ctx.db.session() as session:
                return cohorts.list_cohorts(session, network_id), cohorts.list_groups(session, network_id)

        run_task(self, self.runner, load, on_done=self._loaded)

    def _loaded(self, result: tuple[list[cohorts.CohortRow], list[cohorts.GroupRow]]) -> None:
        cohort_rows, group_rows = result
        self._cohorts = {c.id: c for c in cohort_rows}
        self._groups = {g.id: g for g in group_rows}
        _fill(
            self.cohort_table,
            [(c.id, [c.name, c.dates(), f"{c.members:,}", f"{c.ever:,}"]) for c in cohort_rows],
        )
        _fill(self.group_table, [(g.id, [g.name, g.kind.capitalize(), f"{g.members:,}"]) for g in group_rows])
        self.loaded.emit()

    @staticmethod
    def _chosen(table: QTableWidget) -> int | None:
        row = table.currentRow()
        item = table.item(row, 0) if row >= 0 else None
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def _write(self, fn: Any) -> None:
        def work(ctx: TaskContext) -> None:
            with ctx.db.transaction() as session:
                fn(session)

        def done(_result: None) -> None:
            self.changed.emit()
            self.reload()

        run_task(self, self.runner, work, on_done=done, write=True)

    # Cohorts -----------------------------------------------------------------------------------

    def edit_cohort(self, cohort_id: int | None) -> FormDialog:
        row = self._cohorts.get(cohort_id) if cohort_id is not None else None
        dialog = FormDialog("Edit cohort" if row else "New cohort", self)
        name = dialog.line("&Name")
        name.setPlaceholderText("e.g. KLN 2019–20")
        starts = dialog.date("&Starts", optional=True)
        ends = dialog.date("&Ends", optional=True)
        if row is not None:
            name.setText(row.name)
            starts.setDate(_qdate(row.starts_on))
            ends.setDate(_qdate(row.ends_on))
        network_id = self.network_id

        def accept() -> None:
            values = (name.text(), _pydate(starts), _pydate(ends))
            if row is None:
                self._write(lambda s: cohorts.create_cohort(s, network_id, *values))
            else:
                self._write(
                    lambda s: cohorts.update_cohort(
                        s, row.id, name=values[0], starts_on=values[1], ends_on=values[2]
                    )
                )

        dialog.accepted.connect(accept)
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def remove_cohort(self) -> None:
        cohort_id = self._chosen(self.cohort_table)
        if cohort_id is None:
            dialogs.show_info(self, "Kindred", "Select a cohort first.")
            return
        self._write(lambda s: cohorts.delete_cohort(s, cohort_id))

    # Groups ------------------------------------------------------------------------------------

    def edit_group(self, group_id: int | None) -> FormDialog:
        row = self._groups.get(group_id) if group_id is not None else None
        dialog = FormDialog("Edit group" if row else "New group", self)
        name = dialog.line("&Name")
        name.setPlaceholderText("e.g. Housing, or Scotland hub")
        kind = dialog.combo("&Kind", [k.capitalize() for k in GROUP_KINDS], editable=True)
        if row is not None:
            name.setText(row.name)
            kind.setCurrentText(row.kind.capitalize())
        network_id = self.network_id

        def accept() -> None:
            values = (name.text(), kind.currentText())
            if row is None:
                self._write(lambda s: cohorts.create_group(s, network_id, values[0], values[1]))
            else:
                self._write(lambda s: cohorts.update_group(s, row.id, name=values[0], kind=values[1]))

        dialog.accepted.connect(accept)
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def remove_group(self) -> None:
        group_id = self._chosen(self.group_table)
        if group_id is None:
            dialogs.show_info(self, "Kindred", "Select a group first.")
            return
        self._write(lambda s: cohorts.delete_group(s, group_id))
