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


#: A red that reads on light and dark backgrounds alike; the message text says what is wrong, so
#: colour is never the only signal.
ERROR_STYLE = "color: #d64541;"


class FormDialog(QDialog):
    """A small modal form of labelled fields, a problem line and OK and Cancel (add to network, add
    a role, record consent, an event, a station; connect to a team database).

    Build the fields with ``combo``, ``line`` and ``date`` (or ``form.addRow``). A dialog whose
    answer can be wrong overrides :meth:`problem_text`: OK then shows that one sentence on the
    problem line and keeps the dialog open until the form is put right.
    """

    def __init__(
        self,
        title: str,
        parent: QWidget | None,
        intro: str = "",
        *,
        ok_text: str | None = None,
        min_width: int = 420,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(min_width)
        self.form = QFormLayout()
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.intro.setVisible(bool(intro))
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problem")
        self.problem.setObjectName("fieldError")
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok_text:
            self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

    def problem_text(self) -> str | None:
        """What stops the form being accepted, in one plain sentence; None when it may be."""
        return None

    def accept(self) -> None:
        """Accept, unless :meth:`problem_text` finds a problem: then say it and stay open."""
        problem = self.problem_text()
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))
        if problem:
            return
        super().accept()

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
