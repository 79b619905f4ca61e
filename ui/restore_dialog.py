"""File → Restore from backup…: the automatic backups with date, reason and people; restore one.

Restoring backs the current database up first (so a restore can itself be undone by restoring
that copy), puts the chosen backup in its place and reopens the window on it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm.backups import BackupInfo, RestoreResult, backup_folder, inspect_backup, list_backups, restore_backup

from ui import dialogs
from ui.tasks import TaskContext, TaskRunner, emit


class RestoreDialog(QDialog):
    """Lists the backups; Restore asks once, then works in the background.

    Signals:
        restored(object): the :class:`~crm.backups.RestoreResult`, after the backup is in place.
    """

    restored = Signal(object)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.setWindowTitle("Restore from backup")
        self.setMinimumSize(720, 420)
        self.backups: list[BackupInfo] = []

        layout = QVBoxLayout(self)
        folder = backup_folder(runner.db)
        self.intro = QLabel(
            "Kindred makes a copy before every import, undo of an import and upgrade, and once a "
            "day. Choose the copy to go back to: the database as it is now is backed up first, so "
            f"nothing is lost.\nCopies are kept in {folder}."
        )
        self.intro.setWordWrap(True)
        self.intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.intro)

        self.table = QTableWidget(0, 3)
        self.table.setAccessibleName("Backups")
        self.table.setHorizontalHeaderLabels(["Made", "Why", "People"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.restore_selected())
        layout.addWidget(self.table, 1)
        self.empty = QLabel("No automatic backups of this database yet.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty)

        buttons = QDialogButtonBox()
        self.restore_button = QPushButton("&Restore")
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self.restore_selected)
        self.file_button = QPushButton("Choose a &file…")
        self.file_button.clicked.connect(self.restore_from_file)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.file_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.backups = list_backups(self.runner.db)
        self.table.setRowCount(len(self.backups))
        for row, b in enumerate(self.backups):
            made = QTableWidgetItem(f"{b.created:%a %d %b %Y, %H:%M}")
            made.setToolTip(str(b.path))
            people = QTableWidgetItem("" if b.people is None else f"{b.people:,}")
            people.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, 0, made)
            self.table.setItem(row, 1, QTableWidgetItem(b.reason[:1].upper() + b.reason[1:]))
            self.table.setItem(row, 2, people)
        self.table.setVisible(bool(self.backups))
        self.empty.setVisible(not self.backups)
        if self.backups:
            self.table.selectRow(0)

    def _selection_changed(self) -> None:
        self.restore_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

    def _ask_file(self) -> str:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Restore from a backup file",
            str(backup_folder(self.runner.db)),
            "Kindred databases (*.db *.sqlite);;All files (*)",
        )
        return path

    def restore_from_file(self) -> None:
        path = self._ask_file()
        if path:
            self.restore(Path(path))

    def restore_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.restore(self.backups[rows[0].row()].path)

    def restore(self, path: Path) -> None:
        """Check the file, ask once, then restore in the background."""
        try:
            info = inspect_backup(path)
        except Exception as exc:  # a wrong file is the user's to fix: one error path shows it
            dialogs.report_error(self, exc)
            return
        people = "" if info.people is None else f" ({info.people:,} people)"
        if not dialogs.confirm(
            self,
            "Restore from backup",
            f"Go back to the copy made {info.created:%d %B %Y at %H:%M}{people}?\n\n"
            "Changes made since then will be replaced; the database as it is now is backed up "
            "first, so you can come back to it.",
        ):
            return

        def work(ctx: TaskContext) -> RestoreResult:
            return restore_backup(ctx.db, path)

        self.restore_button.setEnabled(False)
        self.runner.run(
            work,
            on_done=self._restored,
            on_error=self._failed,
            label="Restoring…",
            parent_widget=self,
            write=True,
        )

    def _restored(self, result: RestoreResult) -> None:
        emit(self.restored, result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._selection_changed()
        dialogs.report_error(self, exc)
