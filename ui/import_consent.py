"""The import wizard's "Consent from a column" choice: which yes/no column, for which purpose, and
the date from a timestamp column or the import's date. The engine does the rest
(:mod:`crm.importing.consent`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

from crm.errors import UserError
from crm.importing.consent import read_answers
from crm.importing.engine import ImportOptions
from crm.importing.reader import Table
from crm.models import CONSENT_PURPOSES

IMPORT_DATE = "The import’s date"
# Headings that ask a consent question ("Happy to be contacted about…?", "Consent to newsletter").
_QUESTION = re.compile(r"(?i)\b(happy to|consent|opt[- ]?in|agree|keep in touch|contact (you|me))\b")
_TIMESTAMP = re.compile(r"(?i)^(timestamp|submitted( at| on)?|date( submitted)?|completed|signed up( on)?)$")


def guess_consent_column(headers: Sequence[str]) -> int | None:
    """A heading that reads like a consent question, if there is one."""
    for i, heading in enumerate(headers):
        if _QUESTION.search(heading or ""):
            return i
    return None


def guess_date_column(headers: Sequence[str]) -> int | None:
    for i, heading in enumerate(headers):
        if _TIMESTAMP.match((heading or "").strip()):
            return i
    return None


class ConsentColumnBox(QGroupBox):
    """Checkable: record consent from one yes/no column of the file."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Consent from a column (yes records consent, no records a refusal, blank records nothing)", parent
        )
        self.setCheckable(True)
        self.setChecked(False)
        self.setAccessibleName("Record consent from a yes/no column")
        self.column_combo = QComboBox()
        self.column_combo.setAccessibleName("Column holding the consent answers")
        self.purpose_combo = QComboBox()
        self.purpose_combo.setEditable(True)
        self.purpose_combo.addItem("")
        self.purpose_combo.addItems(list(CONSENT_PURPOSES))
        self.purpose_combo.setAccessibleName("What the column gives consent for")
        edit = self.purpose_combo.lineEdit()
        if edit is not None:
            edit.setPlaceholderText("e.g. Kindness Champions network")
        self.date_combo = QComboBox()
        self.date_combo.setAccessibleName("Date of the consent")
        self.wording = QLabel()
        self.wording.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("&Column:", self.column_combo)
        form.addRow("Gives consent &for:", self.purpose_combo)
        form.addRow("&Date:", self.date_combo)
        form.addRow("Wording recorded:", self.wording)
        self.toggled.connect(lambda _on: self._changed())
        self.column_combo.currentIndexChanged.connect(lambda _i: self._changed())
        self.purpose_combo.currentTextChanged.connect(lambda _t: self._changed())
        self.date_combo.currentIndexChanged.connect(lambda _i: self._changed())

    def set_headers(
        self, headers: Sequence[str], column: int | None = None, date_column: int | None = None
    ) -> None:
        """Offer this file's columns; an earlier choice (or a likely consent question) is selected."""
        for combo in (self.column_combo, self.date_combo):
            combo.blockSignals(True)
            combo.clear()
        self.date_combo.addItem(IMPORT_DATE, None)
        for i, heading in enumerate(headers):
            self.column_combo.addItem(heading, i)
            self.date_combo.addItem(heading, i)
        guess = column if column is not None else guess_consent_column(headers)
        if guess is not None:
            self.column_combo.setCurrentIndex(max(self.column_combo.findData(guess), 0))
        date_guess = date_column if date_column is not None else guess_date_column(headers)
        self.date_combo.setCurrentIndex(
            max(self.date_combo.findData(date_guess), 0) if date_guess is not None else 0
        )
        for combo in (self.column_combo, self.date_combo):
            combo.blockSignals(False)
        # Ticked only by the user (or their earlier choice): a guess never records consent by itself.
        self.blockSignals(True)
        self.setChecked(column is not None)
        self.blockSignals(False)
        self._changed()

    def column(self) -> int | None:
        return self.column_combo.currentData() if self.isChecked() else None

    def purpose(self) -> str | None:
        text = " ".join(self.purpose_combo.currentText().split())
        return text or None

    def date_column(self) -> int | None:
        return self.date_combo.currentData() if self.isChecked() else None

    def problem(self) -> str | None:
        """What stops the choice being used, in a sentence; None when it is fine."""
        if not self.isChecked():
            return None
        if self.column() is None:
            return "Choose the column holding the consent answers."
        if not self.purpose():
            return f"Say what the column “{self.column_combo.currentText()}” gives consent for."
        if self.date_column() == self.column():
            return "The consent date cannot come from the consent column itself."
        return None

    def _changed(self) -> None:
        heading = self.column_combo.currentText()
        self.wording.setText(f"“{heading}”" if self.isChecked() and heading else "")
        self.changed.emit()


def consent_summary(table: Table | None, options: ImportOptions) -> str:
    """ "Consent column '…': 12 yes, 3 no, 5 blank." for the summary page ("" without a column)."""
    if table is None or options.consent_column is None:
        return ""
    try:
        answers = read_answers(table, options)
    except UserError as exc:
        return f" {exc}"
    if answers is None:
        return ""
    purpose = options.consent_column_purpose or ""
    return f" {answers.summary()}, for “{purpose}”."
