"""The user's preferences (Edit → Preferences…): their name, their organisation's default nation and
the date format. Kept in the user's settings; applied when a window opens and when changed.

The name is who Kindred records as making changes (the audit log, interaction owners, imports and
exports) instead of the computer's login name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from crm import audit
from crm.models import NATIONS

from ui.settings import settings

# Key → (what the user sees, strftime format, Qt date-edit format).
DATE_FORMATS: dict[str, tuple[str, str, str]] = {
    "dd/mm/yyyy": ("31/12/2026 (day/month/year)", "%d/%m/%Y", "dd/MM/yyyy"),
    "d mmm yyyy": ("31 Dec 2026", "%-d %b %Y", "d MMM yyyy"),
    "yyyy-mm-dd": ("2026-12-31 (ISO 8601)", "%Y-%m-%d", "yyyy-MM-dd"),
}
DEFAULT_DATE_FORMAT = "dd/mm/yyyy"


@dataclass
class Preferences:
    """What the user has chosen; blanks mean "not set"."""

    user_name: str = ""
    default_nation: str = ""
    date_format: str = DEFAULT_DATE_FORMAT


_current = Preferences()


def load() -> Preferences:
    """The saved preferences (defaults for anything not saved or no longer valid)."""
    s = settings()
    name = s.value("preferences/user_name", "")
    nation = s.value("preferences/default_nation", "")
    date_format = s.value("preferences/date_format", DEFAULT_DATE_FORMAT)
    return Preferences(
        user_name=str(name or "").strip(),
        default_nation=str(nation) if nation in NATIONS else "",
        date_format=str(date_format) if date_format in DATE_FORMATS else DEFAULT_DATE_FORMAT,
    )


def save(prefs: Preferences) -> None:
    s = settings()
    s.setValue("preferences/user_name", prefs.user_name.strip())
    s.setValue("preferences/default_nation", prefs.default_nation)
    s.setValue("preferences/date_format", prefs.date_format)
    s.sync()
    apply(prefs)


def apply(prefs: Preferences) -> None:
    """Use these preferences from now on."""
    global _current
    _current = prefs
    audit.set_acting_user(prefs.user_name or None)


def current() -> Preferences:
    return _current


def format_date(value: dt.date | dt.datetime | None) -> str:
    """A date (or a datetime, in local time, with hours and minutes) in the chosen format."""
    if value is None:
        return ""
    pattern = DATE_FORMATS[_current.date_format][1]
    if isinstance(value, dt.datetime):
        # Kindred stores UTC; SQLite hands it back without a zone. Show it in local time.
        local = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone()
        return f"{_strftime(local, pattern)}, {local:%H:%M}"
    return _strftime(value, pattern)


def _strftime(value: dt.date, pattern: str) -> str:
    # "%-d" (no leading zero) is not portable to Windows: done by hand.
    return value.strftime(pattern.replace("%-d", str(value.day)))


def qt_date_format() -> str:
    """The chosen format for date fields (QDateEdit.setDisplayFormat)."""
    return DATE_FORMATS[_current.date_format][2]


class PreferencesDialog(QDialog):
    """Edit → Preferences…: saved when OK is pressed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        prefs = load()
        self.name_edit = QLineEdit(prefs.user_name)
        self.name_edit.setAccessibleName("Your name")
        self.name_edit.setPlaceholderText(audit.current_user() if not prefs.user_name else "")
        name_note = QLabel(
            "Recorded as the owner of interactions you log and in the history of every change you make."
        )
        name_note.setWordWrap(True)
        self.nation_combo = QComboBox()
        self.nation_combo.setAccessibleName("Default nation")
        self.nation_combo.addItem("None", "")
        for nation in NATIONS:
            self.nation_combo.addItem(nation, nation)
        self.nation_combo.setCurrentIndex(max(self.nation_combo.findData(prefs.default_nation), 0))
        nation_note = QLabel("Filled in for new people and organisations; you can change it for each.")
        nation_note.setWordWrap(True)
        self.date_combo = QComboBox()
        self.date_combo.setAccessibleName("Date format")
        for key, (label, _py, _qt) in DATE_FORMATS.items():
            self.date_combo.addItem(label, key)
        self.date_combo.setCurrentIndex(max(self.date_combo.findData(prefs.date_format), 0))
        form = QFormLayout(self)
        form.addRow("Your &name", self.name_edit)
        form.addRow("", name_note)
        form.addRow("Your organisation's default &nation", self.nation_combo)
        form.addRow("", nation_note)
        form.addRow("&Date format", self.date_combo)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.setMinimumWidth(480)

    def preferences(self) -> Preferences:
        return Preferences(
            user_name=self.name_edit.text().strip(),
            default_nation=str(self.nation_combo.currentData() or ""),
            date_format=str(self.date_combo.currentData() or DEFAULT_DATE_FORMAT),
        )

    def accept(self) -> None:
        save(self.preferences())
        super().accept()
