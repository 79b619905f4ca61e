"""Message boxes behind one seam, so tests can replace them (pytest-qt: modal dialogs block), and
``FormDialog``, the small form every "Add…" dialog is built from.

Tests monkeypatch the message functions; the application calls them, never ``QMessageBox`` directly.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from ui import preferences

log = logging.getLogger(__name__)


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """A problem the user caused or can fix: a plain message, no traceback."""
    QMessageBox.warning(parent, title, message)


def show_info(parent: QWidget | None, title: str, message: str) -> None:
    QMessageBox.information(parent, title, message)


def show_bug(parent: QWidget | None, exc: BaseException, details: str) -> None:
    """An unexpected error: say so plainly, offer the details for a bug report."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Kindred — something went wrong")
    box.setText("Something went wrong. Your data is safe: the change was not saved.")
    box.setInformativeText(f"{type(exc).__name__}: {exc}")
    box.setDetailedText(details)
    box.exec()


def report_error(parent: QWidget | None, exc: BaseException, details: str | None = None) -> None:
    """The window's one error path: a plain message for what a user can fix (including disk full,
    read-only, locked, damaged or a server gone), else a bug report with the details."""
    import traceback

    from crm.errors import DatabaseDamaged, UserError, user_error_for

    error = exc if isinstance(exc, UserError) else user_error_for(exc)
    if isinstance(error, DatabaseDamaged):
        show_error(parent, "Kindred — damaged database", str(error))
    elif error is not None:
        show_error(parent, "Kindred", str(error))
    else:
        details = details or "".join(traceback.format_exception(exc))
        log.error("Background task failed:\n%s", details)
        show_bug(parent, exc, details)


def ask_reload_stale(parent: QWidget | None, message: str) -> bool:
    """Someone else saved the record first: True to reload it (keeping what was typed)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Kindred — changed by someone else")
    box.setText(message)
    reload = box.addButton("&Reload and keep my changes", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(reload)
    box.exec()
    return box.clickedButton() is reload


def confirm(parent: QWidget | None, title: str, question: str, *, default_yes: bool = False) -> bool:
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    default = QMessageBox.StandardButton.Yes if default_yes else QMessageBox.StandardButton.No
    return QMessageBox.question(parent, title, question, buttons, default) == QMessageBox.StandardButton.Yes


def ask_unsaved_changes(parent: QWidget | None, name: str) -> str:
    """Unsaved edits are about to be left: returns "save", "discard" or "cancel"."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Kindred")
    box.setText(f"Save your changes to {name}?")
    box.setInformativeText("If you don't save, your changes will be lost.")
    box.setStandardButtons(
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    answer = box.exec()
    if answer == QMessageBox.StandardButton.Save:
        return "save"
    if answer == QMessageBox.StandardButton.Discard:
        return "discard"
    return "cancel"


class FormDialog(QDialog):
    """A small modal form of labelled fields with OK and Cancel (add to network, add a role,
    record consent, connect to a team database); build it with ``combo``, ``line`` and ``date``."""

    def __init__(self, title: str, parent: QWidget | None, intro: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.form = QFormLayout()
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.intro.setVisible(bool(intro))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)

    def combo(self, label: str, items: list[str] | tuple[str, ...], *, editable: bool = False) -> QComboBox:
        box = QComboBox()
        box.setEditable(editable)
        box.addItems(list(items))
        box.setAccessibleName(label.replace("&", ""))
        self.form.addRow(label, box)
        return box

    def line(self, label: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setAccessibleName(label.replace("&", ""))
        self.form.addRow(label, edit)
        return edit

    def date(self, label: str, *, optional: bool = False) -> QDateEdit:
        edit = QDateEdit(QDate.currentDate())
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(preferences.qt_date_format())
        edit.setAccessibleName(label.replace("&", ""))
        if optional:
            edit.setMinimumDate(QDate(1900, 1, 1))
            edit.setSpecialValueText("—")
            edit.setDate(edit.minimumDate())
        self.form.addRow(label, edit)
        return edit
