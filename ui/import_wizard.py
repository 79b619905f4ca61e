"""The import wizard and the import history dialog.

File → sheet and header row → column mapping (live preview of cleaned values) → duplicates →
options → dry-run summary → import (progress and Cancel, off the GUI thread) → result (undo,
problems report). Every step calls the headless engine in :mod:`crm.importing` through the
shared :class:`~ui.tasks.TaskRunner`; threads exchange plain tables and plans, never ORM objects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from crm.errors import UserError
from crm.importing import (
    DUPLICATE_ACTION_LABELS,
    DUPLICATE_ACTIONS,
    FIELD_LABELS,
    ImportOptions,
    ImportPlan,
    ImportResult,
    RowPlan,
    Table,
    apply_import,
    dry_run,
    list_batches,
    preview_rows,
    read_table,
    remember_mapping,
    suggest_mapping,
    suggest_type,
)
from crm.importing.channels import CHANNEL_FIELDS, channel_value
from crm.importing.reader import SUPPORTED_SUFFIXES, column_letter
from crm.models import CONSENT_PURPOSES, LAWFUL_BASES, MEMBERSHIP_ROLES, STAKEHOLDER_LABELS
from crm.roster.reconcile import undo_batch

from ui import dialogs, preferences
from ui.import_consent import ConsentColumnBox, consent_summary
from ui.tasks import Task, TaskContext, TaskRunner, emit

PREVIEW_ROWS = 5
FILE_FILTER = "Spreadsheets (" + " ".join(f"*{s}" for s in SUPPORTED_SUFFIXES) + ");;All files (*)"
_ERROR_STYLE = "color: #a4262c;"

Index = QModelIndex | QPersistentModelIndex


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return preferences.format_date(value)
    text = str(value)
    return text if len(text) <= 120 else text[:120] + "…"


def _readonly_table(columns: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _row_details(row: RowPlan) -> str:
    """Who the row is and what happens beyond the outcome column."""
    name = " ".join(str(row.values[k]) for k in ("title", "first_name", "last_name") if row.values.get(k))
    who = ", ".join(p for p in (name, str(row.values.get("email") or ""), row.organisation or "") if p)
    parts: list[str] = []
    if row.action == "update":
        parts.append(row.describe().removeprefix("update "))
    elif row.action == "create":
        parts.append(who or "(no name)")
        if row.match:
            parts.append(f"although {row.match}")
    else:
        parts.extend([who, *row.reasons])
    parts.extend(f"{f.column}: {f.reason}" for f in row.flags)
    return " — ".join(p for p in parts if p)


class PlanModel(QAbstractTableModel):
    """The dry run, row by row: row number, outcome and what happens. Reads the plan lazily."""

    COLUMNS = ("Row", "Outcome", "Details")
    OUTCOMES: ClassVar[dict[str, str]] = {
        "create": "Create",
        "update": "Update",
        "skip": "Skip",
        "reject": "Reject",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RowPlan] = []
        self.plan: ImportPlan | None = None

    def set_plan(self, plan: ImportPlan | None) -> None:
        self.beginResetModel()
        self.plan = plan
        self._rows = list(plan.rows) if plan is not None else []
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return str(row.row)
            if index.column() == 1:
                return self.OUTCOMES[row.action] + (" (flagged)" if row.flags else "")
            return _row_details(row)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 2:
            return "\n".join([f"Row {row.row}: {row.describe()}", *(str(f) for f in row.flags)])
        return None


# --- Pages --------------------------------------------------------------------------------------


class _Page(QWizardPage):
    """A page that may be waiting on background work; ``isComplete`` follows ``_ready``."""

    def __init__(self, title: str, subtitle: str = "") -> None:
        super().__init__()
        self.setTitle(title)
        if subtitle:
            self.setSubTitle(subtitle)
        self._ready = False
        self.status = QLabel()
        self.status.setWordWrap(True)

    @property
    def w(self) -> ImportWizard:
        wizard = self.wizard()
        assert isinstance(wizard, ImportWizard)
        return wizard

    def set_ready(self, ready: bool) -> None:
        if ready != self._ready:
            self._ready = ready
            emit(self.completeChanged)

    def isComplete(self) -> bool:
        return self._ready

    def show_status(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(_ERROR_STYLE if error else "")


class FilePage(_Page):
    def __init__(self) -> None:
        super().__init__(
            "Choose a file",
            "A contact list as .xlsx, .xlsm, .xlsb, .xls, .ods, .csv or .txt. Nothing is changed until the last step.",
        )
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("File to import")
        self.path_edit.setAccessibleName("File to import")
        self.browse = QPushButton("Choose…")
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.browse.clicked.connect(self._choose)
        # A pasted or typed path is read as soon as it names a file, without waiting for Enter;
        # a short pause first, so typing a path does not read every file it passes on the way.
        self._requested = ""
        self._typed = QTimer(self)
        self._typed.setSingleShot(True)
        self._typed.setInterval(250)
        self._typed.timeout.connect(self._typed_path)
        self.path_edit.textChanged.connect(lambda _t: self._typed.start())
        self.path_edit.editingFinished.connect(self._edited)

    def _showing(self) -> bool:
        # Focus leaving the box as the wizard closes also ends editing: ignore that.
        return isinstance(self.wizard(), ImportWizard) and self.isVisible()

    def _typed_path(self) -> None:
        """The text changed and rested: read it if it names a file; otherwise Next waits."""
        if not self._showing():
            return
        text = self.path_edit.text().strip()
        if text and text == self._requested:
            return  # already read, or being read
        if text and Path(text).expanduser().is_file():
            self.load(Path(text).expanduser())
        elif self.w.table is None or str(self.w.table.path) != text:
            self.set_ready(False)

    def _edited(self) -> None:
        """Enter (or leaving the box): read the path, or say plainly why it cannot be read."""
        self._typed.stop()
        if self._showing():
            self.load(self.path_edit.text())

    def _choose(self) -> None:
        path = self.w.ask_open_path()
        if path:
            self.path_edit.setText(str(path))
            self.load(path)

    def load(self, path: str | Path | None, sheet: str | None = None) -> Task[Any] | None:
        """Read the file in the background; the page completes once it is read."""
        text = str(path or "").strip()
        if not text:
            self.set_ready(False)
            return None
        if self.w.table is not None and str(self.w.table.path) == text and sheet is None:
            return None
        self._requested = text
        self.set_ready(False)
        self.show_status(f"Reading {Path(text).name}…")
        return self.w.read(Path(text), sheet, page=self)

    def table_loaded(self, table: Table) -> None:
        rows = len(table.data_rows)
        where = f", sheet {table.sheet!r}" if table.sheet else ""
        if table.header_row_number:
            self.show_status(
                f"{table.file_name}{where}: {rows:,} rows under the headings on row {table.header_row_number}."
            )
        else:
            self.show_status(
                f"{table.file_name}{where}: {rows:,} rows and no heading row; columns are matched by their values."
            )
        self.set_ready(True)

    def read_failed(self, message: str) -> None:
        self.show_status(message, error=True)
        self.set_ready(False)


class SheetPage(_Page):
    def __init__(self) -> None:
        super().__init__("Sheet and headings", "Pick the sheet and the row that holds the column headings.")
        self.sheet_combo = QComboBox()
        self.sheet_combo.setAccessibleName("Sheet")
        self.header_spin = QSpinBox()
        self.header_spin.setMinimum(0)
        self.header_spin.setSpecialValueText("No heading row")
        self.header_spin.setAccessibleName("Headings are on row")
        self.preview = _readonly_table([])
        form = QFormLayout()
        form.addRow("Sheet:", self.sheet_combo)
        form.addRow("Headings are on row:", self.header_spin)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("The first rows of the sheet (the headings row is selected):"))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.status)
        self.sheet_combo.activated.connect(self._sheet_chosen)
        self.header_spin.valueChanged.connect(self._header_chosen)
        self._filling = False

    def initializePage(self) -> None:
        self.fill()

    def fill(self) -> None:
        table = self.w.table
        if table is None:
            return
        self._filling = True
        self.sheet_combo.clear()
        visible = [s for s in table.sheets if s.is_worksheet]
        for info in visible:
            label = info.name if info.visible else f"{info.name} (hidden)"
            self.sheet_combo.addItem(label, info.name)
        self.sheet_combo.setEnabled(bool(visible))
        if table.sheet is not None:
            self.sheet_combo.setCurrentIndex(max(self.sheet_combo.findData(table.sheet), 0))
        top = table.rows[:30]
        self.header_spin.setMaximum(max(n for n, _ in top))
        self.header_spin.setValue(table.header_row_number)
        width = min(max((len(r) for _, r in top), default=0), 30)
        self.preview.clear()
        self.preview.setColumnCount(width + 1)
        self.preview.setHorizontalHeaderLabels(["Row", *(column_letter(i) for i in range(width))])
        self.preview.setRowCount(len(top))
        for r, (number, values) in enumerate(top):
            self.preview.setItem(r, 0, QTableWidgetItem(str(number)))
            for c in range(min(width, len(values))):
                self.preview.setItem(r, c + 1, QTableWidgetItem(_cell(values[c])))
        if table.header_index >= 0:
            self.preview.selectRow(table.header_index)
        self._filling = False
        self.set_ready(True)

    def _sheet_chosen(self, _index: int) -> None:
        name = self.sheet_combo.currentData()
        table = self.w.table
        if table is None or name == table.sheet:
            return
        self.set_ready(False)
        self.show_status(f"Reading sheet {name!r}…")
        self.w.read(table.path, name, page=self)

    def table_loaded(self, _table: Table) -> None:
        self.show_status("")
        self.fill()

    def read_failed(self, message: str) -> None:
        self.show_status(message, error=True)

    def _header_chosen(self, number: int) -> None:
        table = self.w.table
        if self._filling or table is None:
            return
        index = -1 if number == 0 else next((i for i, (n, _) in enumerate(table.rows) if n == number), None)
        if index is None:
            self.show_status(f"Row {number} is empty: choose a row with the headings.", error=True)
            self.set_ready(False)
            return
        self.w.set_table(table.with_header(index), keep_mapping=False)
        if index < 0:
            self.preview.clearSelection()
        else:
            self.preview.selectRow(min(index, self.preview.rowCount() - 1))
        self.show_status("")
        self.set_ready(True)


class MappingPage(_Page):
    COLUMNS = ("Column in the file", "Goes into", "First values")

    def __init__(self) -> None:
        super().__init__(
            "Match the columns",
            "Kindred has matched the columns it recognises. Change any that are wrong; columns set to "
            "“Do not import” are left out.",
        )
        self.grid = _readonly_table(list(self.COLUMNS))
        self.preview = _readonly_table([])
        self.remember = QCheckBox("Remember these choices for files with the same headings")
        self.remember.setChecked(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.grid, 3)
        layout.addWidget(QLabel("Preview: the first rows as they will be imported"))
        layout.addWidget(self.preview, 2)
        layout.addWidget(self.remember)
        # Data protection: consent from a yes/no column (ui/import_consent.py).
        self.consent_box = ConsentColumnBox()
        self.consent_box.changed.connect(self._consent_changed)
        layout.addWidget(self.consent_box)
        layout.addWidget(self.status)
        self.combos: list[QComboBox] = []

    def initializePage(self) -> None:
        table = self.w.table
        assert table is not None
        headers = table.headers
        if self.w.mapping is None:
            self.w.mapping = suggest_mapping(headers, rows=[r for _, r in table.data_rows[:200]])
        # Without a heading row there is nothing to recognise the next such file by.
        has_headings = table.header_row_number > 0
        self.remember.setEnabled(has_headings)
        self.remember.setChecked(has_headings)
        self.grid.setRowCount(len(headers))
        self.combos = []
        samples = table.data_rows[:3]
        for i, heading in enumerate(headers):
            self.grid.setItem(i, 0, QTableWidgetItem(heading))
            combo = QComboBox()
            combo.setAccessibleName(f"Field for column {heading}")
            combo.addItem("Do not import", "")
            for key, label in FIELD_LABELS.items():
                combo.addItem(label, key)
            combo.setCurrentIndex(max(combo.findData(self.w.mapping.get(i, "")), 0))
            combo.currentIndexChanged.connect(self._changed)
            self.grid.setCellWidget(i, 1, combo)
            self.combos.append(combo)
            values = ", ".join(_cell(r[i]) for _, r in samples if i < len(r) and r[i] not in (None, ""))
            self.grid.setItem(i, 2, QTableWidgetItem(values))
        self.grid.resizeColumnToContents(0)
        self.grid.setColumnWidth(1, 260)
        options = self.w.import_options
        self.consent_box.set_headers(headers, options.consent_column, options.consent_date_column)
        self._changed()

    def current_mapping(self) -> dict[int, str]:
        return {i: c.currentData() for i, c in enumerate(self.combos) if c.currentData()}

    def _changed(self, _index: int = 0) -> None:
        mapping = self.current_mapping()
        self.w.mapping = mapping
        fields = list(mapping.values())
        twice = sorted({f for f in fields if fields.count(f) > 1})
        if twice:
            self.show_status(f"Two columns go into {FIELD_LABELS[twice[0]]}: choose one.", error=True)
            self.set_ready(False)
        elif not any(
            f in ("first_name", "last_name", "full_name", "email", "preferred_name") for f in fields
        ):
            self.show_status("Choose at least one column with a name or an email address.", error=True)
            self.set_ready(False)
        else:
            self.show_status("")
            self.set_ready(True)
        self._refresh_preview(mapping)

    def _refresh_preview(self, mapping: dict[int, str]) -> None:
        """Cleaning the first rows is quick (no database): done here so the preview is live."""
        table = self.w.table
        assert table is not None
        try:
            rows = preview_rows(table, mapping, limit=PREVIEW_ROWS)
        except UserError:
            rows = []
        fields = [f for _, f in sorted(mapping.items())]
        shown = [f for f in fields if f != "full_name"]
        if "full_name" in fields:
            shown = [f for f in ("title", "first_name", "last_name") if f not in shown] + shown
        labels = ["Row", *(FIELD_LABELS.get(f, f) for f in shown), "Needs attention"]
        self.preview.clear()
        self.preview.setColumnCount(len(labels))
        self.preview.setHorizontalHeaderLabels(labels)
        self.preview.setRowCount(len(rows))
        for r, plan in enumerate(rows):
            self.preview.setItem(r, 0, QTableWidgetItem(str(plan.row)))
            for c, f in enumerate(shown, start=1):
                value: Any
                if f == "organisation":
                    value = plan.organisation
                elif f in ("network", "role", "joined_on"):
                    value = ", ".join(f"{n} ({role})" for n, role, _ in plan.networks)
                elif f == "tags":
                    value = ", ".join(plan.tags)
                elif f == "type":
                    value = ", ".join(STAKEHOLDER_LABELS.get(t, t) for t in plan.types)  # type: ignore[call-overload]
                elif f in ("party", "constituency", "chamber"):
                    value = (plan.elected or {}).get(f)
                elif f in CHANNEL_FIELDS:  # "Work email": a labelled contact point
                    value = channel_value(plan, f)
                else:
                    value = plan.values.get(f)
                self.preview.setItem(r, c, QTableWidgetItem(_cell(value)))
            notes = "; ".join([*plan.reasons, *(f"{f.column}: {f.reason}" for f in plan.flags)])
            self.preview.setItem(r, len(labels) - 1, QTableWidgetItem(notes))

    def _consent_changed(self) -> None:
        """The consent column is recorded as consent, not imported into a field as well."""
        options = self.w.import_options
        options.consent_column = self.consent_box.column()
        options.consent_column_purpose = (
            self.consent_box.purpose() if options.consent_column is not None else None
        )
        options.consent_date_column = self.consent_box.date_column()
        col = options.consent_column
        if col is not None and col < len(self.combos) and self.combos[col].currentData():
            self.combos[col].setCurrentIndex(0)

    def validatePage(self) -> bool:
        problem = self.consent_box.problem()
        if problem:
            self.show_status(problem, error=True)
            return False
        table = self.w.table
        if table is not None and self.remember.isChecked():
            remember_mapping(table.headers, self.current_mapping())
        return True


class DuplicatesPage(_Page):
    COLUMNS = ("Row", "Name in the file", "Already there", "What to do")

    def __init__(self) -> None:
        super().__init__(
            "Duplicates",
            "People who are already in Kindred (same email; or same name and organisation or postcode), "
            "or who appear twice in the file. A blank cell never erases what Kindred holds.",
        )
        self.all_combo = QComboBox()
        self.all_combo.setAccessibleName("For all duplicates")
        for action in DUPLICATE_ACTIONS:
            self.all_combo.addItem(DUPLICATE_ACTION_LABELS[action], action)
        self.table = _readonly_table(list(self.COLUMNS))
        form = QFormLayout()
        form.addRow("For all duplicates:", self.all_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.row_combos: dict[int, QComboBox] = {}
        self.all_combo.currentIndexChanged.connect(self._all_changed)

    def initializePage(self) -> None:
        self.set_ready(False)
        self.table.setRowCount(0)
        self.show_status("Looking for duplicates…")
        self.w.run_dry(self._planned, page=self)

    def _planned(self, result: ImportResult) -> None:
        plan = result.plan
        dups = plan.duplicates
        self.row_combos = {}
        self.table.setRowCount(len(dups))
        chosen = self.w.import_options.row_actions
        for r, row in enumerate(dups):
            name = " ".join(str(row.values.get(k)) for k in ("first_name", "last_name") if row.values.get(k))
            self.table.setItem(r, 0, QTableWidgetItem(str(row.row)))
            self.table.setItem(r, 1, QTableWidgetItem(name or str(row.values.get("email") or "")))
            if row.duplicate_of_row is not None:
                there = f"Row {row.duplicate_of_row} of this file ({row.match.split(' as row')[0] if row.match else ''})"
            else:
                there = f"{row.person_name or 'A person'} — {row.match or ''}"
            self.table.setItem(r, 2, QTableWidgetItem(there))
            combo = QComboBox()
            combo.setAccessibleName(f"What to do with row {row.row}")
            for action in DUPLICATE_ACTIONS:
                combo.addItem(DUPLICATE_ACTION_LABELS[action], action)
            combo.setCurrentIndex(combo.findData(chosen.get(row.row, self.w.import_options.on_duplicate)))
            self.table.setCellWidget(r, 3, combo)
            self.row_combos[row.row] = combo
        self.table.resizeColumnsToContents()
        self.show_status(
            f"{_plural(len(dups), 'possible duplicate')} found."
            if dups
            else "No duplicates: everyone in the file is new."
        )
        self.set_ready(True)

    def _all_changed(self, _index: int) -> None:
        action = self.all_combo.currentData()
        for combo in self.row_combos.values():
            combo.setCurrentIndex(combo.findData(action))

    def validatePage(self) -> bool:
        default = self.all_combo.currentData()
        self.w.import_options.on_duplicate = default
        self.w.import_options.row_actions = {
            row: combo.currentData()
            for row, combo in self.row_combos.items()
            if combo.currentData() != default
        }
        return True


NOT_ELECTED = "not-elected"
MEMBERS_OF_CHOICES: tuple[tuple[str, str], ...] = (
    ("Choose…", ""),
    ("The Scottish Parliament (MSPs)", "msp"),
    ("The Senedd (MSs)", "ms"),
    ("The House of Commons (MPs)", "mp"),
    ("A local council (councillors)", "councillor"),
    ("None of these (leave party and constituency out)", NOT_ELECTED),
)


class OptionsPage(_Page):
    def __init__(self) -> None:
        super().__init__(
            "Options for everyone imported", "All optional. Per-row columns mapped earlier still apply."
        )
        self.network = QComboBox()
        self.network.setEditable(True)
        self.network.setAccessibleName("Add to network")
        self.role = QComboBox()
        self.role.setEditable(True)
        self.role.addItems(list(MEMBERSHIP_ROLES))
        self.role.setAccessibleName("Role in network")
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("Separate tags with commas")
        self.tags.setAccessibleName("Tags")
        self.type = QComboBox()
        self.type.setAccessibleName("Stakeholder type")
        self.type.addItem("(none)", "")
        for key, label in STAKEHOLDER_LABELS.items():
            self.type.addItem(label, key.value)
        self.source = QLineEdit()
        self.source.setPlaceholderText("Where the list came from, e.g. Reception sign-up sheet")
        self.source.setAccessibleName("Source")
        self.consent = QGroupBox("Record consent")
        self.consent.setCheckable(True)
        self.consent.setChecked(False)
        self.purpose = QComboBox()
        self.purpose.setEditable(True)
        self.purpose.addItems(list(CONSENT_PURPOSES))
        self.purpose.setAccessibleName("Consent purpose")
        self.basis = QComboBox()
        self.basis.addItems(list(LAWFUL_BASES))
        self.basis.setAccessibleName("Lawful basis")
        self.consent_date = QDateEdit(QDate.currentDate())
        self.consent_date.setCalendarPopup(True)
        self.consent_date.setDisplayFormat(preferences.qt_date_format())
        self.consent_date.setAccessibleName("Consent given on")
        self.consent_source = QLineEdit()
        self.consent_source.setPlaceholderText("How it was given, e.g. tick box on the sign-up form")
        self.consent_source.setAccessibleName("How consent was given")
        consent_form = QFormLayout(self.consent)
        consent_form.addRow("Purpose:", self.purpose)
        consent_form.addRow("Lawful basis:", self.basis)
        consent_form.addRow("Given on:", self.consent_date)
        consent_form.addRow("How:", self.consent_source)
        form = QFormLayout()
        form.addRow("Add to network:", self.network)
        form.addRow("Role:", self.role)
        form.addRow("Tags:", self.tags)
        form.addRow("Stakeholder type:", self.type)
        # A list with party and constituency columns but no chamber: ask, in plain words, where
        # these people sit (the answer gives their stakeholder type, and so their roles' chamber).
        self.members_of = QComboBox()
        self.members_of.setAccessibleName("Which parliament or council these people are members of")
        for label, value in MEMBERS_OF_CHOICES:
            self.members_of.addItem(label, value)
        self.members_of_label = QLabel("These people are members of:")
        form.addRow(self.members_of_label, self.members_of)
        self.members_of.currentIndexChanged.connect(self._members_of_chosen)
        self.type.currentIndexChanged.connect(self._type_chosen)
        form.addRow("Source:", self.source)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.consent)
        layout.addStretch(1)
        layout.addWidget(self.status)
        self._loaded = False
        self._type_suggested = False

    def _needs_chamber(self) -> bool:
        """Party or constituency columns, and nothing in the file saying which chamber."""
        fields = set((self.w.mapping or {}).values())
        return bool(fields & {"party", "constituency"}) and not fields & {"chamber", "type"}

    def _members_of_chosen(self, _index: int) -> None:
        value = self.members_of.currentData()
        if value and value != NOT_ELECTED:
            self.type.setCurrentIndex(max(self.type.findData(value), 0))
            self.show_status("")

    def _type_chosen(self, _index: int) -> None:
        found = self.members_of.findData(self.type.currentData() or "")
        if found > 0 and self.members_of.currentIndex() != found:
            self.members_of.setCurrentIndex(found)

    def initializePage(self) -> None:
        self.set_ready(True)
        self._suggest_type()
        needs = self._needs_chamber()
        self.members_of.setVisible(needs)
        self.members_of_label.setVisible(needs)
        if needs:
            self._type_chosen(0)
        if not self._loaded:
            from crm.services import networks

            def load(ctx: TaskContext) -> list[str]:
                with ctx.db.session() as session:
                    return [name for _, name, _ in networks.list_networks(session)]

            def done(names: list[str]) -> None:
                current = self.network.currentText()
                self.network.clear()
                self.network.addItem("")
                self.network.addItems(names)
                self.network.setCurrentText(current)
                self._loaded = True

            self.w.runner.run(load, on_done=done, parent_widget=self)

    def _suggest_type(self) -> None:
        """A list of MSPs (or MSs, MPs, councillors) by its headings, sheet or file name: their
        type is chosen, once, so party and constituency columns know their chamber."""
        table = self.w.table
        if self._type_suggested or table is None or self.type.currentData():
            return
        self._type_suggested = True
        if "type" in (self.w.mapping or {}).values():
            return
        kind = suggest_type(table.headers, table.file_name, table.sheet)
        if kind is None:
            return
        self.type.setCurrentIndex(max(self.type.findData(kind), 0))
        self.show_status(
            f"Stakeholder type set to {self.type.currentText()}, as the list says so: change it if that is wrong."
        )

    def validatePage(self) -> bool:
        options = self.w.import_options
        if self._needs_chamber():
            answer = self.members_of.currentData()
            if not answer:
                self.show_status(
                    "Which parliament or council are these people members of? Choose one above, "
                    "so their party and constituency are recorded with the right seat.",
                    error=True,
                )
                self.members_of.setFocus()
                return False
            if answer == NOT_ELECTED and self.w.mapping is not None:
                # Not elected members: their party and constituency columns are left out.
                self.w.mapping = {
                    i: f for i, f in self.w.mapping.items() if f not in ("party", "constituency")
                }
        options.network = self.network.currentText().strip() or None
        options.role = (self.role.currentText().strip() or "member").lower()
        options.tags = [t.strip() for t in self.tags.text().replace(";", ",").split(",") if t.strip()]
        options.type = self.type.currentData() or None
        options.source = self.source.text().strip() or None
        if self.consent.isChecked():
            purpose = self.purpose.currentText().strip()
            if not purpose:
                self.show_status("Consent needs a purpose.", error=True)
                return False
            options.consent_purpose = purpose
            options.consent_basis = self.basis.currentText()
            options.consent_date = self.consent_date.date().toPython()  # type: ignore[assignment]
            options.consent_source = self.consent_source.text().strip() or None
        else:
            options.consent_purpose = None
        self.show_status("")
        return True


class SummaryPage(_Page):
    def __init__(self) -> None:
        super().__init__(
            "Check before importing", "What the import will do, row by row. Nothing has changed yet."
        )
        self.counts = QLabel()
        self.counts.setWordWrap(True)
        self.model = PlanModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        layout = QVBoxLayout(self)
        layout.addWidget(self.counts)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)

    def initializePage(self) -> None:
        self.set_ready(False)
        self.model.set_plan(None)
        self.counts.setText("Working out what would happen…")
        self.w.run_dry(self._planned, page=self)

    def _planned(self, result: ImportResult) -> None:
        plan = result.plan
        self.model.set_plan(plan)
        extra = []
        if plan.new_organisations:
            extra.append(_plural(len(plan.new_organisations), "new organisation"))
        if plan.new_networks:
            extra.append("new networks: " + ", ".join(plan.new_networks))
        self.counts.setText(
            f"{result.created:,} to create, {result.updated:,} to update, {result.skipped:,} to skip, "
            f"{result.rejected:,} rejected, {result.flagged:,} with values that need attention"
            + (f"; {'; '.join(extra)}" if extra else "")
            + "."
            + consent_summary(self.w.table, plan.options)
        )
        self.set_ready(result.created + result.updated > 0)
        if not self._ready:
            self.show_status("There is nothing to import.", error=True)
        else:
            self.show_status("")
        self.setButtonText(QWizard.WizardButton.NextButton, "Import")


class ImportPage(_Page):
    def __init__(self) -> None:
        super().__init__("Importing", "Everything is written in one go: a cancelled import changes nothing.")
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Import progress")
        self.cancel_button = QPushButton("Cancel import")
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.task: Task[Any] | None = None
        self.cancelled = False
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._refresh)
        self.cancel_button.clicked.connect(self.cancel)
        # Once the import has happened there is no going back to change it: undo instead.
        self.setCommitPage(True)

    def initializePage(self) -> None:
        self.set_ready(False)
        self.cancelled = False
        self.bar.setRange(0, 0)
        self.show_status("")
        self.cancel_button.setEnabled(True)
        self.task = self.w.start_import(self)
        self._timer.start()

    def cleanupPage(self) -> None:
        """Going Back while the import runs cancels it."""
        self.cancel()
        self._timer.stop()

    def cancel(self) -> None:
        if self.task is not None and not self.task.done:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.show_status("Cancelling…")

    def _refresh(self) -> None:
        if self.task is None:
            return
        done, total = self.task.ctx._progress
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))

    def finished_ok(self) -> None:
        self._timer.stop()
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.cancel_button.setEnabled(False)
        self.set_ready(True)
        self.w.next()

    def was_cancelled(self) -> None:
        self._timer.stop()
        self.cancelled = True
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.cancel_button.setEnabled(False)
        self.show_status("Import cancelled: nothing was changed. Go back to change the options, or close.")

    def failed(self, message: str) -> None:
        self._timer.stop()
        self.cancel_button.setEnabled(False)
        self.show_status(f"The import did not happen and nothing was changed: {message}", error=True)


class ResultPage(_Page):
    def __init__(self) -> None:
        super().__init__("Import finished")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.undo_button = QPushButton("Undo this import")
        self.report_button = QPushButton("Save problems report…")
        # Shown once the people this import created have been compared with everyone else.
        self.review_button = QPushButton("Review possible duplicates")
        self.review_button.setAccessibleName(
            "Review the people this import created who resemble people already in Kindred"
        )
        self.review_button.hide()
        self.duplicate_pairs: list[Any] = []
        row = QHBoxLayout()
        row.addWidget(self.undo_button)
        row.addWidget(self.report_button)
        row.addWidget(self.review_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.undo_button.clicked.connect(lambda: self.w.undo())
        self.report_button.clicked.connect(lambda: self.w.save_report())
        self.review_button.clicked.connect(lambda: self.w.review_duplicates())
        self.setFinalPage(True)

    def initializePage(self) -> None:
        result = self.w.import_result
        assert result is not None
        self.summary.setText(
            f"Import {result.batch_id} of {result.plan.file_name}: {result.created:,} created, "
            f"{result.updated:,} updated, {result.skipped:,} skipped, {result.rejected:,} rejected, "
            f"{result.flagged:,} flagged, in {result.seconds:.1f} s. "
            "You can undo it here now, or later from File › Import history."
        )
        problems = len(result.plan.problem_rows)
        self.report_button.setEnabled(problems > 0)
        self.report_button.setText(
            f"Save problems report ({problems:,} rows)…" if problems else "No problems to report"
        )
        self.undo_button.setEnabled(True)
        self.review_button.hide()
        self.duplicate_pairs = []
        self.set_ready(True)
        if result.created:
            self.w.check_duplicates()

    def show_duplicates(self, pairs: list[Any]) -> None:
        """Offer the review when the import created people who resemble people already here."""
        self.duplicate_pairs = pairs
        n = len(pairs)
        self.review_button.setText(f"Review {n:,} possible duplicate{'s' if n != 1 else ''}")
        self.review_button.setVisible(n > 0)

    def undone(self) -> None:
        self.review_button.hide()
        self.undo_button.setEnabled(False)
        self.show_status("The import was undone: Kindred is as it was before.")


# --- The wizard ---------------------------------------------------------------------------------


class ImportWizard(QWizard):
    """Import a contact list, step by step. ``path`` opens it on a file (a dropped file)."""

    import_finished = Signal(int)
    import_undone = Signal(int)
    duplicates_checked = Signal(int)
    review_duplicates_requested = Signal(list)

    FILE, SHEET, MAPPING, DUPLICATES, OPTIONS, SUMMARY, IMPORT, RESULT = range(8)

    def __init__(
        self, runner: TaskRunner, parent: QWidget | None = None, path: Path | str | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.setWindowTitle("Import people")
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.resize(860, 600)
        self.table: Table | None = None
        self.mapping: dict[int, str] | None = None
        self.import_options = ImportOptions()
        self.import_result: ImportResult | None = None
        self._last_plan: ImportPlan | None = None
        self._generation = 0
        self.file_page = FilePage()
        self.sheet_page = SheetPage()
        self.mapping_page = MappingPage()
        self.duplicates_page = DuplicatesPage()
        self.options_page = OptionsPage()
        self.summary_page = SummaryPage()
        self.import_page = ImportPage()
        self.result_page = ResultPage()
        for page_id, page in enumerate(
            (
                self.file_page,
                self.sheet_page,
                self.mapping_page,
                self.duplicates_page,
                self.options_page,
                self.summary_page,
                self.import_page,
                self.result_page,
            )
        ):
            self.setPage(page_id, page)
        self.setStartId(self.FILE)
        if path:
            self.file_page.path_edit.setText(str(path))
            QTimer.singleShot(0, lambda: self.file_page.load(path))

    # Seams that tests replace: native file dialogs are modal.
    def ask_open_path(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, "Import people", str(Path.home()), FILE_FILTER)
        return path or None

    def ask_report_path(self) -> str | None:
        assert self.import_result is not None
        default = Path.home() / f"{Path(self.import_result.plan.file_name).stem} - problems.xlsx"
        path, _ = QFileDialog.getSaveFileName(
            self, "Save problems report", str(default), "Excel workbooks (*.xlsx)"
        )
        return path or None

    def _options_copy(self) -> ImportOptions:
        """Work on the worker thread gets its own copy of the choices."""
        return dataclasses.replace(
            self.import_options,
            row_actions=dict(self.import_options.row_actions),
            tags=list(self.import_options.tags),
        )

    def reject(self) -> None:
        """Closing while importing cancels the import (it is rolled back)."""
        self.import_page.cancel()
        super().reject()

    def set_table(self, table: Table, *, keep_mapping: bool) -> None:
        self.table = table
        if not keep_mapping:
            self.mapping = None

    def read(self, path: Path, sheet: str | None, *, page: Any) -> Task[Any]:
        """Read (and check) the file off the GUI thread; the page hears how it went."""
        self._generation += 1
        generation = self._generation

        def done(table: Table) -> None:
            if generation != self._generation:
                return
            self.set_table(table, keep_mapping=False)
            page.table_loaded(table)

        def failed(exc: BaseException) -> None:
            if generation != self._generation:
                return
            if isinstance(exc, UserError):
                page.read_failed(str(exc))
            else:
                page.read_failed(f"{path.name} could not be read ({type(exc).__name__}: {exc}).")

        return self.runner.run(
            lambda _ctx: read_table(path, sheet), on_done=done, on_error=failed, parent_widget=self
        )

    def run_dry(self, callback: Any, *, page: _Page) -> Task[Any]:
        """A dry run with the current choices (reads only)."""
        table, mapping = self.table, dict(self.mapping or {})
        options = self._options_copy()
        assert table is not None

        def failed(exc: BaseException) -> None:
            page.show_status(
                str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}", error=True
            )

        def done(result: ImportResult) -> None:
            self._last_plan = result.plan
            callback(result)

        previous = self._last_plan  # given back unchanged if nothing it depends on has changed
        return self.runner.run(
            lambda ctx: dry_run(
                ctx.db,
                table,
                mapping,
                options,
                plan=previous,
                progress=ctx.progress,
                should_cancel=ctx.should_cancel,
            ),
            on_done=done,
            on_error=failed,
            parent_widget=self,
        )

    def start_import(self, page: ImportPage) -> Task[Any]:
        table, mapping, options = self.table, dict(self.mapping or {}), self._options_copy()
        assert table is not None
        # The summary page's dry run: used as it is unless anything changed since (checked inside
        # the import's transaction), so a long list is not worked out a second time.
        plan, self._last_plan = self._last_plan, None

        def done(result: ImportResult) -> None:
            self.import_result = result
            if result.batch_id is not None:
                emit(self.import_finished, result.batch_id)
            page.finished_ok()

        def failed(exc: BaseException) -> None:
            page.failed(str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}")

        return self.runner.run(
            lambda ctx: apply_import(
                ctx.db,
                table,
                mapping,
                options,
                plan=plan,
                progress=ctx.progress,
                should_cancel=ctx.should_cancel,
            ),
            on_done=done,
            on_error=failed,
            on_cancelled=page.was_cancelled,
            parent_widget=self,
            write=True,
        )

    def check_duplicates(self) -> Task[Any] | None:
        """Compare the people this import created with everyone else, in the background."""
        if self.import_result is None or self.import_result.batch_id is None:
            return None
        batch_id = self.import_result.batch_id

        def work(ctx: TaskContext) -> list[Any]:
            from sqlalchemy import select

            from crm.matching.finder import find_people_duplicates
            from crm.models import Person

            with ctx.db.session() as session:
                created = list(
                    session.scalars(
                        select(Person.id).where(
                            Person.import_batch_id == batch_id, Person.deleted_at.is_(None)
                        )
                    )
                )
                if not created:
                    return []
                return find_people_duplicates(session, only=created, should_cancel=ctx.should_cancel).pairs

        def done(pairs: list[Any]) -> None:
            self.result_page.show_duplicates(pairs)
            emit(self.duplicates_checked, len(pairs))

        return self.runner.run(work, on_done=done, on_error=lambda _e: None, parent_widget=self)

    def review_duplicates(self) -> None:
        """Hand the possible duplicates to the Duplicates page and close the wizard."""
        pairs = list(self.result_page.duplicate_pairs)
        self.accept()
        emit(self.review_duplicates_requested, pairs)

    def undo(self) -> Task[Any] | None:
        if self.import_result is None or self.import_result.batch_id is None:
            return None
        batch_id = self.import_result.batch_id
        if not dialogs.confirm(
            self,
            "Undo import",
            f"Undo import {batch_id}? People it created are removed and changed details restored.",
        ):
            return None
        self.result_page.undo_button.setEnabled(False)

        def done(_result: Any) -> None:
            self.result_page.undone()
            emit(self.import_undone, batch_id)

        def failed(exc: BaseException) -> None:
            self.result_page.undo_button.setEnabled(True)
            message = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
            self.result_page.show_status(message, error=True)
            dialogs.show_error(self, "Undo import", message)

        return self.runner.run(
            lambda ctx: undo_batch(ctx.db, batch_id),  # a roster refresh is undone its own way
            on_done=done,
            on_error=failed,
            parent_widget=self,
            write=True,
        )

    def save_report(self) -> Task[Any] | None:
        if self.import_result is None or self.table is None:
            return None
        path = self.ask_report_path()
        if not path:
            return None
        plan, table = self.import_result.plan, self.table

        def write(_ctx: TaskContext) -> int:
            from crm.importing.report import write_problems_report

            return write_problems_report(plan, table, Path(path))

        def done(rows: int) -> None:
            self.result_page.show_status(f"Saved {rows:,} rows to {Path(path).name}.")

        return self.runner.run(write, on_done=done, parent_widget=self)


# --- History ------------------------------------------------------------------------------------


class ImportHistoryDialog(QDialog):
    """Past imports with their counts; the selected one can be undone."""

    import_undone = Signal(int)
    COLUMNS = (
        "Import",
        "When",
        "File",
        "By",
        "Created",
        "Updated",
        "Skipped",
        "Rejected",
        "Flagged",
        "Status",
    )

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.setWindowTitle("Import history")
        self.resize(900, 420)
        self.table = _readonly_table(list(self.COLUMNS))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.undo_button = QPushButton("Undo import")
        self.undo_button.setEnabled(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.undo_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.rows: list[tuple[Any, ...]] = []
        self.loaded = False
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.undo_button.clicked.connect(self.undo_selected)
        self.reload()

    def reload(self) -> Task[Any]:
        def load(ctx: TaskContext) -> list[tuple[Any, ...]]:
            with ctx.db.session() as session:
                return [
                    (
                        b.id,
                        b.started_at,
                        b.file_name,
                        b.user,
                        b.created,
                        b.updated,
                        b.skipped,
                        b.rejected,
                        b.flagged,
                        b.undone_at,
                    )
                    for b in list_batches(session)
                ]

        return self.runner.run(load, on_done=self._loaded, parent_widget=self)

    def _loaded(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            batch_id, when, file_name, user, *counts, undone = row
            local = when.astimezone() if when.tzinfo else when.replace(tzinfo=dt.UTC).astimezone()
            values = [
                str(batch_id),
                f"{local:%d/%m/%Y %H:%M}",
                file_name,
                user or "",
                *(f"{c:,}" for c in counts),
            ]
            values.append(f"Undone {undone:%d/%m/%Y}" if undone else "Imported")
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if 4 <= c <= 8:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.status.setText("No imports yet." if not rows else "")
        self.loaded = True
        self._selection_changed()

    def selected_batch(self) -> tuple[Any, ...] | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self.rows[min(rows)] if rows else None

    def _selection_changed(self) -> None:
        row = self.selected_batch()
        self.undo_button.setEnabled(row is not None and row[-1] is None)

    def undo_selected(self) -> Task[Any] | None:
        row = self.selected_batch()
        if row is None or row[-1] is not None:
            return None
        batch_id, file_name = row[0], row[2]
        if not dialogs.confirm(
            self,
            "Undo import",
            f"Undo import {batch_id} ({file_name})? People it created are removed and changed details restored.",
        ):
            return None
        self.undo_button.setEnabled(False)

        def done(_result: Any) -> None:
            self.status.setText(f"Import {batch_id} was undone.")
            emit(self.import_undone, batch_id)
            self.reload()

        def failed(exc: BaseException) -> None:
            message = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
            self.status.setText(message)
            self._selection_changed()
            dialogs.show_error(self, "Undo import", message)

        return self.runner.run(
            lambda ctx: undo_batch(ctx.db, batch_id),  # a roster refresh is undone its own way
            on_done=done,
            on_error=failed,
            parent_widget=self,
            write=True,
        )
