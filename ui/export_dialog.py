"""Export…: preset and columns with a preview, channel and duplicate options, where to save,
progress with Cancel off the GUI thread, then "Open file" / "Show in folder".

Opened by the main window from the people list, a saved view, a network or an event, with a
:class:`~crm.filters.PersonFilter` describing the people: ``PersonFilter(network=...)`` for a
network, ``PersonFilter(ids=...)`` for a selection. For an event's attendance list pass
``event_id=`` (and optionally ``attendance_statuses=``): the export then keeps only people on that
event's list, and lists those in the Trash on the Excluded sheet.

Also copies the email addresses of the people, 50 at a time, for pasting into Bcc.

The file dialog and opening a file go through :meth:`ExportDialog.choose_path`,
:meth:`ExportDialog.ask_preset_name` and :meth:`ExportDialog.open_url`, which tests replace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    QStandardPaths,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from crm.errors import UserError
from crm.exporting import columns as colmod
from crm.exporting.engine import (
    ExportCount,
    ExportOptions,
    ExportResult,
    batches,
    count_export,
    default_channel,
    email_addresses,
    export_people,
    preview_rows,
)
from crm.filters import PersonFilter
from crm.models import CONSENT_PURPOSES
from crm.services import channels

from ui import dialogs
from ui.tasks import Task, TaskContext, TaskRunner

EMAIL_BATCH = 50
PREVIEW_ROWS = 20
PREVIEW_DELAY_MS = 250
LAST_FOLDER_KEY = "export/last_folder"
IGNORE = "ignore"
CHANNELS: tuple[tuple[str, str | None], ...] = (
    ("Post (letters)", "post"),
    ("Email", "email"),
    ("None: not a mailing", None),
    ("Ignore the channel’s rules…", IGNORE),
)

_IndexArg = QModelIndex | QPersistentModelIndex


class PreviewModel(QAbstractTableModel):
    """The first rows of the export, as text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._headers: list[str] = []
        self._rows: list[list[str]] = []

    def set_rows(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.beginResetModel()
        self._headers = list(headers)
        self._rows = [list(r) for r in rows]
        self.endResetModel()

    def rowCount(self, parent: _IndexArg = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _IndexArg = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: _IndexArg, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        return self._rows[index.row()][index.column()]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headers[section] if 0 <= section < len(self._headers) else None
        return str(section + 2)  # the sheet's row number: the header is row 1

    def row(self, r: int) -> list[str]:
        return list(self._rows[r])


class ExportDialog(QDialog):
    """Export the people of a filter to a mail-merge spreadsheet."""

    export_finished = Signal(str)  # the path written
    preview_updated = Signal()
    count_updated = Signal()
    emails_copied = Signal(int)  # how many addresses are on the clipboard

    def __init__(
        self,
        runner: TaskRunner,
        person_filter: PersonFilter,
        parent: QWidget | None = None,
        title: str = "Export",
        *,
        event_id: int | None = None,
        attendance_statuses: Sequence[str] = (),
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.person_filter = person_filter
        self.event_id = event_id
        self.attendance_statuses = tuple(attendance_statuses)
        self.export_result: ExportResult | None = None
        self.task: Task[Any] | None = None
        self._preview_generation = 0
        self._emails: list[list[str]] = []
        self._email_batch = 0
        self.setWindowTitle(title)
        self.setObjectName("export_dialog")
        self._build()
        self._apply_preset()
        self._update_options()
        self._load_count()

    # --- Layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.summary = QLabel(f"People: {self.person_filter.describe()}")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)

        columns_box = QGroupBox("Columns")
        grid = QGridLayout(columns_box)
        self.preset_combo = QComboBox()
        self.preset_combo.setAccessibleName("Column preset")
        self._fill_presets()
        self.save_preset_button = QPushButton("Save as preset…")
        preset_row = QHBoxLayout()
        preset_label = QLabel("&Preset:")
        preset_label.setBuddy(self.preset_combo)
        preset_row.addWidget(preset_label)
        preset_row.addWidget(self.preset_combo, 1)
        preset_row.addWidget(self.save_preset_button)
        grid.addLayout(preset_row, 0, 0, 1, 3)
        self.available_list = QListWidget()
        self.available_list.setAccessibleName("Columns you can add")
        self.chosen_list = QListWidget()
        self.chosen_list.setAccessibleName("Columns in the file, in order")
        for lst in (self.available_list, self.chosen_list):
            lst.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.add_button = QPushButton("&Add →")
        self.remove_button = QPushButton("← &Remove")
        self.up_button = QPushButton("Move &up")
        self.down_button = QPushButton("Move &down")
        buttons = QVBoxLayout()
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        grid.addWidget(QLabel("Available"), 1, 0)
        grid.addWidget(QLabel("In the file"), 1, 2)
        grid.addWidget(self.available_list, 2, 0)
        grid.addLayout(buttons, 2, 1)
        grid.addWidget(self.chosen_list, 2, 2)
        layout.addWidget(columns_box)

        options_box = QGroupBox("Who is included")
        form = QFormLayout(options_box)
        self.channel_combo = QComboBox()
        for label, value in CHANNELS:
            self.channel_combo.addItem(label, value)
        self.channel_combo.setToolTip(
            "Email leaves out people who opted out of email or have no address; "
            "post leaves out people who opted out of post or have no usable postal address. "
            "Do-not-contact and the suppression list always apply."
        )
        form.addRow("&Channel:", self.channel_combo)
        self.ignore_reason_edit = QLineEdit()
        self.ignore_reason_edit.setPlaceholderText(
            "Why this list ignores the channel’s opt-outs, e.g. name badges for a reception (recorded)"
        )
        self.ignore_reason_edit.setAccessibleName("Reason for ignoring the channel’s rules")
        self.ignore_reason_label = QLabel("&Reason:")
        self.ignore_reason_label.setBuddy(self.ignore_reason_edit)
        form.addRow(self.ignore_reason_label, self.ignore_reason_edit)
        self.consent_combo = QComboBox()
        self.consent_combo.setEditable(True)
        self.consent_combo.addItem("")
        self.consent_combo.addItems(list(CONSENT_PURPOSES))
        self.consent_combo.setAccessibleName("Consent or lawful basis needed for")
        self.consent_combo.setToolTip("Leave out people without consent or a lawful basis for this purpose.")
        form.addRow("Co&nsent needed for:", self.consent_combo)
        self.dedupe_check = QCheckBox("One row per email address (per postal address for letters)")
        self.dedupe_check.setChecked(True)
        self.dedupe_check.setToolTip(
            "Turn off to send one letter to each person, e.g. to people at one workplace."
        )
        form.addRow(self.dedupe_check)
        self.joint_check = QCheckBox("Joint salutation for people at one address (“Dear Ann and Bob”)")
        form.addRow(self.joint_check)
        # Letters: the preferred address, or each person's address of a chosen label.
        self.address_combo = QComboBox()
        self.address_combo.addItem("Each person's preferred address", None)
        with self.runner.db.session() as session:
            for label in channels.address_labels(session):
                self.address_combo.addItem(f"{label} address (else the preferred one)", label)
        self.address_combo.setAccessibleName("Postal address to use")
        self.address_combo.setToolTip(
            "For letters: use each person's address with this label where they have one, "
            "for example their constituency office."
        )
        self.address_combo.currentIndexChanged.connect(lambda _i: self._options_changed())
        form.addRow("Postal &address:", self.address_combo)
        self.record_check = QCheckBox("Record the mailing on everyone exported:")
        self.mailing_edit = QLineEdit()
        self.mailing_edit.setPlaceholderText("e.g. Autumn newsletter")
        self.mailing_edit.setAccessibleName("Mailing name")
        record_row = QHBoxLayout()
        record_row.addWidget(self.record_check)
        record_row.addWidget(self.mailing_edit, 1)
        form.addRow(record_row)
        layout.addWidget(options_box)

        preview_box = QGroupBox("Preview")
        preview_layout = QVBoxLayout(preview_box)
        self.count_label = QLabel("Counting…")
        preview_layout.addWidget(self.count_label)
        self.preview_model = PreviewModel(self)
        self.preview_table = QTableView()
        self.preview_table.setModel(self.preview_model)
        self.preview_table.setAccessibleName("Preview of the first rows")
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        preview_layout.addWidget(self.preview_table)
        layout.addWidget(preview_box, 1)

        save_row = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setReadOnly(True)
        self.path_edit.setPlaceholderText("Choose where to save (.xlsx, or .csv for other programs)")
        self.path_edit.setAccessibleName("File to save")
        self.choose_button = QPushButton("C&hoose…")
        save_row.addWidget(QLabel("Save to:"))
        save_row.addWidget(self.path_edit, 1)
        save_row.addWidget(self.choose_button)
        layout.addLayout(save_row)

        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result_label)

        bottom = QHBoxLayout()
        self.copy_emails_button = QPushButton("Copy &email addresses")
        self.copy_emails_button.setToolTip(
            f"Copy the addresses {EMAIL_BATCH} at a time, for pasting into Bcc."
        )
        self.open_button = QPushButton("&Open file")
        self.folder_button = QPushButton("Show in &folder")
        self.export_button = QPushButton("E&xport")
        self.export_button.setDefault(True)
        self.close_button = QPushButton("Close")
        for b in (self.copy_emails_button,):
            bottom.addWidget(b)
        bottom.addStretch(1)
        for b in (self.open_button, self.folder_button, self.export_button, self.close_button):
            bottom.addWidget(b)
        layout.addLayout(bottom)
        self.open_button.setVisible(False)
        self.folder_button.setVisible(False)

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.refresh_preview)
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(PREVIEW_DELAY_MS)
        self._count_timer.timeout.connect(self._load_count)
        self._count_generation = 0
        self.export_count: ExportCount | None = None

        self.preset_combo.currentIndexChanged.connect(self._apply_preset)
        self.save_preset_button.clicked.connect(self.save_preset)
        self.add_button.clicked.connect(self.add_selected_columns)
        self.remove_button.clicked.connect(self.remove_selected_columns)
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        self.available_list.itemDoubleClicked.connect(lambda _i: self.add_selected_columns())
        self.chosen_list.itemDoubleClicked.connect(lambda _i: self.remove_selected_columns())
        self.channel_combo.currentIndexChanged.connect(self._update_options)
        self.consent_combo.currentTextChanged.connect(lambda _t: self._options_changed())
        self.dedupe_check.toggled.connect(lambda _c: self._options_changed())
        self.joint_check.toggled.connect(lambda _c: self._options_changed())
        self.record_check.toggled.connect(lambda _c: self._update_options())
        self.choose_button.clicked.connect(self.choose_file)
        self.export_button.clicked.connect(self.start_export)
        self.close_button.clicked.connect(self.reject)
        self.open_button.clicked.connect(self.open_file)
        self.folder_button.clicked.connect(self.show_in_folder)
        self.copy_emails_button.clicked.connect(self.copy_email_addresses)
        self.resize(900, 760)

    def _fill_presets(self, select: str | None = None) -> None:
        self.preset_combo.blockSignals(True)
        self.preset_combo.clear()
        for key, label in colmod.PRESET_LABELS.items():
            self.preset_combo.addItem(label, key)
        for name in colmod.saved_presets():
            self.preset_combo.addItem(name, name)
        if select is not None:
            self.preset_combo.setCurrentIndex(max(self.preset_combo.findData(select), 0))
        self.preset_combo.blockSignals(False)

    # --- Columns --------------------------------------------------------------------------------

    def chosen_columns(self) -> list[str]:
        return [
            self.chosen_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.chosen_list.count())
        ]

    def set_columns(self, keys: Sequence[str]) -> None:
        self.chosen_list.clear()
        self.available_list.clear()
        for key in keys:
            self.chosen_list.addItem(self._item(key))
        for key in colmod.COLUMNS:
            if key not in keys:
                self.available_list.addItem(self._item(key))
        self._columns_changed()

    @staticmethod
    def _item(key: str) -> QListWidgetItem:
        item = QListWidgetItem(colmod.column_label(key))
        item.setData(Qt.ItemDataRole.UserRole, key)
        return item

    def _apply_preset(self) -> None:
        name = self.preset_combo.currentData()
        try:
            keys = colmod.preset_columns(name)
        except UserError:
            keys = list(colmod.MAIL_MERGE)
        self.set_columns(keys)
        # Each preset starts with its own channel's rules: a mail merge is for letters.
        channel = default_channel(name, keys)
        self.channel_combo.setCurrentIndex(max(self.channel_combo.findData(channel), 0))
        self._update_options()

    def add_selected_columns(self) -> None:
        chosen = self.chosen_columns()
        for item in self.available_list.selectedItems():
            chosen.append(item.data(Qt.ItemDataRole.UserRole))
        self.set_columns(chosen)

    def remove_selected_columns(self) -> None:
        gone = {item.data(Qt.ItemDataRole.UserRole) for item in self.chosen_list.selectedItems()}
        self.set_columns([k for k in self.chosen_columns() if k not in gone])

    def move_selected(self, step: int) -> None:
        keys = self.chosen_columns()
        rows = sorted(self.chosen_list.row(i) for i in self.chosen_list.selectedItems())
        if not rows:
            return
        if (step < 0 and rows[0] == 0) or (step > 0 and rows[-1] == len(keys) - 1):
            return
        for r in rows if step < 0 else reversed(rows):
            keys[r], keys[r + step] = keys[r + step], keys[r]
        moved = {keys[r + step] for r in rows}
        self.set_columns(keys)
        for i in range(self.chosen_list.count()):
            item = self.chosen_list.item(i)
            item.setSelected(item.data(Qt.ItemDataRole.UserRole) in moved)

    def _columns_changed(self) -> None:
        has_columns = self.chosen_list.count() > 0
        self.export_button.setEnabled(has_columns and self.task is None)
        self.save_preset_button.setEnabled(has_columns)
        self._preview_timer.start()

    def ask_preset_name(self) -> str | None:
        """Seam: ask for a preset's name (tests replace this)."""
        name, ok = QInputDialog.getText(self, "Save preset", "Name of the preset:")
        return name if ok else None

    def save_preset(self) -> None:
        name = self.ask_preset_name()
        if not name:
            return
        try:
            colmod.save_preset(name, self.chosen_columns())
        except UserError as exc:
            dialogs.show_error(self, "Save preset", str(exc))
            return
        cleaned = " ".join(name.split())
        self._fill_presets(select=cleaned)

    # --- Options --------------------------------------------------------------------------------

    def ignoring_rules(self) -> bool:
        """Whether the user chose to ignore the channel's rules (which needs a reason): "Ignore…",
        or no channel for a preset that has one (a mail merge without post rules)."""
        data = self.channel_combo.currentData()
        if data == IGNORE:
            return True
        return (
            data is None
            and default_channel(self.preset_combo.currentData(), self.chosen_columns()) is not None
        )

    def options(self) -> ExportOptions:
        purpose = None if self.ignoring_rules() else self.channel_combo.currentData()
        return ExportOptions(
            purpose=purpose,
            consent_purpose=self.consent_combo.currentText().strip().lower() or None,
            dedupe=self.dedupe_check.isChecked(),
            joint_salutation=purpose == "post"
            and self.dedupe_check.isChecked()
            and self.joint_check.isChecked(),
            event_id=self.event_id,
            attendance_statuses=self.attendance_statuses,
            address_label=self.address_combo.currentData() if purpose == "post" else None,
        )

    def _update_options(self) -> None:
        post = self.channel_combo.currentData() == "post"
        ignoring = self.ignoring_rules()
        self.ignore_reason_edit.setVisible(ignoring)
        self.ignore_reason_label.setVisible(ignoring)
        self.joint_check.setEnabled(post)
        self.address_combo.setEnabled(post and self.address_combo.count() > 1)
        if not post:
            self.joint_check.setChecked(False)
        self.mailing_edit.setEnabled(self.record_check.isChecked())
        self._options_changed()

    def _options_changed(self) -> None:
        self._preview_timer.start()
        self._count_timer.start()

    # --- Background work ------------------------------------------------------------------------

    def _load_count(self) -> Task[Any] | None:
        """Count what the export will write with these options: the same rows, not written."""
        self._count_timer.stop()
        self._count_generation += 1
        generation = self._count_generation
        f, options = self.person_filter, self.options()
        self.count_label.setText("Counting…")

        def count(ctx: TaskContext) -> ExportCount:
            with ctx.db.session() as session:
                return count_export(session, f, options, ctx.should_cancel)

        def done(n: ExportCount) -> None:
            if not _alive(self) or generation != self._count_generation:
                return  # closed while counting, or the options changed since
            self.export_count = n
            self.count_label.setText(describe_count(n))
            self.count_updated.emit()

        return self.runner.run(count, on_done=done, parent_widget=self)

    def refresh_preview(self) -> Task[Any] | None:
        """Show the first rows the export would write (in the background)."""
        self._preview_timer.stop()
        keys = self.chosen_columns()
        if not keys:
            self.preview_model.set_rows([], [])
            self.preview_updated.emit()
            return None
        self._preview_generation += 1
        generation = self._preview_generation
        f, options = self.person_filter, self.options()

        def load(ctx: TaskContext) -> list[list[str]]:
            with ctx.db.session() as session:
                return preview_rows(session, f, keys, PREVIEW_ROWS, options)

        def done(rows: list[list[str]]) -> None:
            if not _alive(self) or generation != self._preview_generation:
                return  # the columns or options changed since; a newer preview is on its way
            self.preview_model.set_rows([colmod.column_label(k) for k in keys], rows)
            self.preview_table.resizeColumnsToContents()
            self.preview_updated.emit()

        return self.runner.run(load, on_done=done, parent_widget=self)

    # --- Saving ---------------------------------------------------------------------------------

    def suggested_path(self) -> Path:
        """A dated name in the folder of the last export (else Documents)."""
        last = str(_settings().value(LAST_FOLDER_KEY, "", type=str) or "")
        folder = Path(last) if last and Path(last).is_dir() else None
        if folder is None:
            documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
            folder = Path(documents) if documents else Path.home()
        return folder / f"Kindred export {dt.date.today():%Y-%m-%d}.xlsx"

    def choose_path(self, suggested: Path) -> str:
        """Seam: ask where to save (tests replace this). Returns "" when the user cancels."""
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export to",
            str(suggested),
            "Excel workbook (*.xlsx);;CSV, UTF-8 (*.csv)",
        )
        return path

    def choose_file(self) -> bool:
        current = self.path_edit.text()
        path = self.choose_path(Path(current) if current else self.suggested_path())
        if not path:
            return False
        if Path(path).suffix.lower() not in (".xlsx", ".csv"):
            path += ".xlsx"
        self.path_edit.setText(path)
        return True

    def start_export(self) -> Task[Any] | None:
        """Export in the background; the runner shows progress with Cancel for long lists."""
        if self.task is not None:
            return None
        if not self.path_edit.text() and not self.choose_file():
            return None
        keys = self.chosen_columns()
        if not keys:
            return None
        ignore_reason = " ".join(self.ignore_reason_edit.text().split()) if self.ignoring_rules() else None
        if self.ignoring_rules() and not ignore_reason:
            dialogs.show_error(
                self,
                "Export",
                "Say why this list ignores the channel’s rules; the reason is recorded with the export.",
            )
            self.ignore_reason_edit.setFocus()
            return None
        record = self.mailing_edit.text().strip() if self.record_check.isChecked() else ""
        if self.record_check.isChecked() and not record:
            dialogs.show_error(
                self, "Export", "Give the mailing a name to record it, e.g. “Autumn newsletter”."
            )
            return None
        path = self.path_edit.text()
        f, options = self.person_filter, self.options()
        preset = self.preset_combo.currentData()
        preset_keys = _preset_or_none(preset)
        columns = None if preset_keys == keys else keys
        doc_title = self.windowTitle() if self.windowTitle() != "Export" else None

        def work(ctx: TaskContext) -> ExportResult:
            return export_people(
                ctx.db,
                f,
                path,
                preset=preset,
                columns=columns,
                purpose=options.purpose,
                consent_purpose=options.consent_purpose,
                dedupe=options.dedupe,
                joint_salutation=options.joint_salutation,
                address_label=options.address_label,
                event_id=options.event_id,
                attendance_statuses=options.attendance_statuses,
                record_mailing=record or None,
                title=doc_title,
                progress=ctx.progress,
                should_cancel=ctx.should_cancel,
                ignore_channel_rules=ignore_reason,
            )

        self.result_label.setText("Exporting…")
        self.open_button.setVisible(False)
        self.folder_button.setVisible(False)
        self.task = self.runner.run(
            work,
            on_done=self._export_done,
            on_cancelled=self._export_cancelled,
            label="Exporting…",
            parent_widget=self,
            write=True,
        )
        self.task.finished.connect(self._task_ended)
        self.export_button.setEnabled(False)
        return self.task

    def _task_ended(self) -> None:
        if not _alive(self):
            return
        failed = self.task is not None and self.task.error is not None and not self.export_result
        if failed and not self.result_label.text().startswith("Export cancelled"):
            self.result_label.setText("The export did not finish; no file was written.")
        self.task = None
        self.export_button.setEnabled(self.chosen_list.count() > 0)

    def _export_cancelled(self) -> None:
        if _alive(self):
            self.result_label.setText("Export cancelled; no file was written.")

    def done(self, result: int) -> None:
        """Closing stops a pending preview; a running export is cancelled (it leaves no file)."""
        self._preview_timer.stop()
        self.cancel_export()
        super().done(result)

    def cancel_export(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _export_done(self, result: ExportResult) -> None:
        _settings().setValue(LAST_FOLDER_KEY, str(result.path.parent))
        if not _alive(self):
            return  # the file is written; the dialog was closed meanwhile
        self.export_result = result
        lines = [f"Exported {result.exported:,} rows to {result.path.name}."]
        if result.people != result.exported:
            lines[0] = f"Exported {result.exported:,} rows ({result.people:,} people) to {result.path.name}."
        if result.excluded:
            where = "the Excluded sheet" if result.path.suffix.lower() == ".xlsx" else result.files[-1].name
            reasons = "; ".join(f"{reason}: {n:,}" for reason, n in result.reasons.items())
            lines.append(f"Left out {result.excluded:,} (see {where}) — {reasons}.")
        if result.interaction_id is not None:
            lines.append("The mailing is recorded on everyone exported.")
        lines += [f"Warning: {w}" for w in result.warnings]
        self.result_label.setText("\n".join(lines))
        self.open_button.setVisible(True)
        self.folder_button.setVisible(True)
        self.export_finished.emit(str(result.path))

    def open_url(self, url: QUrl) -> bool:
        """Seam: hand a file or folder to the desktop (tests replace this)."""
        return QDesktopServices.openUrl(url)

    def open_file(self) -> None:
        if self.export_result is not None and not self.open_url(
            QUrl.fromLocalFile(str(self.export_result.path))
        ):
            dialogs.show_error(self, "Open file", f"No program could open {self.export_result.path.name}.")

    def show_in_folder(self) -> None:
        if self.export_result is not None:
            self.open_url(QUrl.fromLocalFile(str(self.export_result.path.parent)))

    # --- Email addresses for Bcc ----------------------------------------------------------------

    def copy_email_addresses(self) -> Task[Any] | None:
        """Copy the next batch of addresses; the first click loads them (email rules apply)."""
        if self._emails and self._email_batch < len(self._emails):
            self._copy_batch()
            return None
        f, options = self.person_filter, self.options()

        def load(ctx: TaskContext) -> list[str]:
            with ctx.db.session() as session:
                return email_addresses(session, f, options)

        def done(emails: list[str]) -> None:
            if not _alive(self):
                return
            self._emails = batches(emails, EMAIL_BATCH)
            self._email_batch = 0
            if not emails:
                self.result_label.setText("None of these people can be emailed.")
                self.emails_copied.emit(0)
                return
            self._copy_batch()

        return self.runner.run(load, on_done=done, parent_widget=self)

    def _copy_batch(self) -> None:
        batch = self._emails[self._email_batch]
        QGuiApplication.clipboard().setText("; ".join(batch))
        start = self._email_batch * EMAIL_BATCH + 1
        total = sum(len(b) for b in self._emails)
        self._email_batch += 1
        remaining = len(self._emails) - self._email_batch
        text = (
            f"Copied addresses {start:,}–{start + len(batch) - 1:,} of {total:,} "
            f"(batch {self._email_batch} of {len(self._emails)}). Paste them into Bcc."
        )
        if remaining:
            self.copy_emails_button.setText(f"Copy &next {min(EMAIL_BATCH, total - start - len(batch) + 1)}")
        else:
            text += " That was the last batch."
            self.copy_emails_button.setText("Copy &email addresses")
            self._emails = []
            self._email_batch = 0
        self.result_label.setText(text)
        self.emails_copied.emit(len(batch))


def describe_count(n: ExportCount) -> str:
    """ "143 rows will be exported · 65 left out (listed on the Excluded sheet)"."""
    rows = f"{n.rows:,} {'row' if n.rows == 1 else 'rows'} will be exported"
    if n.people != n.rows:
        rows += f" ({n.people:,} people)"
    if n.excluded:
        rows += f" · {n.excluded:,} left out (listed with the reason on the Excluded sheet)"
    else:
        rows += " · nobody left out"
    return rows + "."


def _settings() -> QSettings:
    # The application's settings file (the main window uses the same organisation and name).
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Kindred", "Kindred")


def _alive(widget: QWidget) -> bool:
    """Whether the Qt side of a widget still exists (work can finish after a dialog closed)."""
    return shiboken6.isValid(widget)


def _preset_or_none(name: str) -> list[str] | None:
    try:
        return colmod.preset_columns(name)
    except UserError:
        return None
