"""Update representatives…: pick a roster file, see what would change, confirm, undo if need be.

Three steps in one dialog: choose the file (and, when the file does not say, the chamber), review
the dry run grouped as New, Changed and Leaving with names, then the result with Undo. Reading
and the dry run are reads; the refresh and its undo are writes. All of it runs through the
TaskRunner, so the window never freezes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm.models import CHAMBERS
from crm.roster.readers import Roster, describe_kind, read_roster
from crm.roster.reconcile import KIND_LABELS, RefreshResult, RosterUndoResult, refresh_roster, undo_refresh

from ui.tasks import Task, TaskContext, TaskRunner

FILE_FILTER = (
    "Rosters (*.csv *.json *.xlsx *.xlsm *.xls *.ods *.txt);;EveryPolitician CSV (*.csv);;"
    "EveryPolitician or UK Parliament JSON (*.json);;Spreadsheets (*.xlsx *.xlsm *.xls *.ods *.csv);;All files (*)"
)
# The groups of the review, in order, with how each change is described.
GROUPS = ("added", "changed", "ended", "unmatched", "former", "continuing")
_EXPANDED = frozenset({"added", "changed", "ended", "unmatched"})
_FROM_FILE = "As the file says"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


class RosterDialog(QDialog):
    """The "Update representatives…" dialog.

    Signals:
        data_changed(): a refresh or its undo changed the database.
    """

    data_changed = Signal()

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.setWindowTitle("Update representatives")
        self.setMinimumSize(680, 480)
        self.roster: Roster | None = None
        self.preview: RefreshResult | None = None
        self.refresh_result: RefreshResult | None = None
        self.undo_result: RosterUndoResult | None = None
        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_choose())
        self.stack.addWidget(self._build_review())
        self.stack.addWidget(self._build_result())
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, 1)
        self._update_buttons()

    # --- Step 1: choose --------------------------------------------------------------------------

    def _build_choose(self) -> QWidget:
        page = QWidget()
        intro = QLabel(
            "Choose an official list of members: an EveryPolitician CSV or JSON file, the UK Parliament's "
            "members list (JSON), or any spreadsheet with members' names, parties and constituencies or "
            "regions. You will see what would change before anything does."
        )
        intro.setWordWrap(True)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("Roster file")
        self.path_edit.setAccessibleName("Roster file")
        self.browse_button = QPushButton("Choose…")
        self.browse_button.clicked.connect(self._choose)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        self.chamber_box = QComboBox()
        self.chamber_box.setEditable(True)  # a council is typed by name: "Fife Council"
        self.chamber_box.setAccessibleName("Which parliament or council these are members of")
        self.chamber_box.addItem(_FROM_FILE, None)
        for chamber in CHAMBERS:
            if chamber != "Local council":  # a council is named, not chosen
                self.chamber_box.addItem(chamber, chamber)
        self.chamber_box.setToolTip("Choose a parliament, or type a council's name, for example Fife Council")
        self.as_of_check = QCheckBox("Members missing from the list left on")
        self.as_of_check.setToolTip("Otherwise the list's own date, or today")
        self.as_of_edit = QDateEdit(QDate.currentDate())
        self.as_of_edit.setCalendarPopup(True)
        self.as_of_edit.setDisplayFormat("dd/MM/yyyy")
        self.as_of_edit.setEnabled(False)
        self.as_of_edit.setAccessibleName("Date members missing from the list left")
        self.as_of_check.toggled.connect(self.as_of_edit.setEnabled)
        as_of_row = QHBoxLayout()
        as_of_row.addWidget(self.as_of_check)
        as_of_row.addWidget(self.as_of_edit)
        as_of_row.addStretch(1)
        form = QFormLayout()
        form.addRow("File:", row)
        form.addRow("Parliament or council:", self.chamber_box)
        form.addRow("", as_of_row)
        self.choose_status = QLabel()
        self.choose_status.setWordWrap(True)
        self.check_button = QPushButton("&Check changes")
        self.check_button.setDefault(True)
        self.check_button.clicked.connect(self.check)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        self.path_edit.textChanged.connect(lambda _t: self._update_buttons())
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.check_button)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.choose_status)
        layout.addStretch(1)
        layout.addLayout(buttons)
        return page

    def ask_open_path(self) -> str | None:
        """The file dialog: a seam that tests replace."""
        path, _ = QFileDialog.getOpenFileName(self, "Choose a roster", str(Path.home()), FILE_FILTER)
        return path or None

    def _choose(self) -> None:
        path = self.ask_open_path()
        if path:
            self.path_edit.setText(path)

    def chosen_chamber(self) -> str | None:
        """The chamber chosen or typed; ``None`` for "as the file says"."""
        text = self.chamber_box.currentText().strip()
        if not text or text == _FROM_FILE:
            return None
        found = self.chamber_box.findText(text)
        data = self.chamber_box.itemData(found) if found >= 0 else None
        return str(data) if data else text

    def _as_of(self) -> dt.date | None:
        if not self.as_of_check.isChecked():
            return None
        value: dt.date = self.as_of_edit.date().toPython()  # type: ignore[assignment]
        return value

    def check(self) -> Task[Any] | None:
        """Read the roster and work out what would change (a read: nothing is written)."""
        path = self.path_edit.text().strip()
        if not path:
            return None
        chamber = self.chosen_chamber()
        as_of = self._as_of()
        self.choose_status.setText(f"Reading {Path(path).name}…")
        self.check_button.setEnabled(False)

        def work(ctx: TaskContext) -> tuple[Roster, RefreshResult]:
            roster = read_roster(path, chamber)
            ctx.check_cancel()
            return roster, refresh_roster(
                ctx.db, roster, as_of, dry_run=True, progress=ctx.progress, should_cancel=ctx.should_cancel
            )

        def failed(exc: BaseException) -> None:
            self.check_button.setEnabled(True)
            from crm.errors import UserError

            if isinstance(exc, UserError):
                message = str(exc)
                if "does not say which council" in message:
                    message = (
                        f"{Path(path).name} lists councillors but does not say which council: type the council's "
                        "name above (for example Fife Council), then Check changes again."
                    )
                    self.chamber_box.setFocus()
                elif "does not say which chamber" in message:
                    # Ask in plain words rather than quote the command line's advice.
                    message = (
                        f"{Path(path).name} does not say which parliament or council its members sit in: "
                        "choose it above, then Check changes again."
                    )
                    self.chamber_box.setFocus()
                self.choose_status.setText(message)
                return
            raise exc

        return self.runner.run(
            work,
            on_done=self._checked,
            on_error=failed,
            on_cancelled=self._check_cancelled,
            parent_widget=self,
            label="Checking the roster…",
        )

    def _check_cancelled(self) -> None:
        self.check_button.setEnabled(True)
        self.choose_status.setText("")

    def _checked(self, answer: tuple[Roster, RefreshResult]) -> None:
        self.roster, self.preview = answer
        self.check_button.setEnabled(True)
        self.choose_status.setText("")
        self._show_plan(self.preview)
        self.stack.setCurrentIndex(1)
        self._update_buttons()

    # --- Step 2: review --------------------------------------------------------------------------

    def _build_review(self) -> QWidget:
        page = QWidget()
        self.review_heading = QLabel()
        font = self.review_heading.font()
        font.setBold(True)
        self.review_heading.setFont(font)
        self.review_heading.setWordWrap(True)
        self.review_summary = QLabel()
        self.review_summary.setWordWrap(True)
        self.review_warnings = QLabel()
        self.review_warnings.setWordWrap(True)
        self.review_warnings.setObjectName("warning")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Name", "Party", "Constituency or region", "What happens"])
        self.tree.setAccessibleName("Changes the update would make")
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        back = QPushButton("Back")
        back.clicked.connect(self.back)
        self.apply_button = QPushButton("Update")
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.apply)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.review_heading)
        layout.addWidget(self.review_summary)
        layout.addWidget(self.review_warnings)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        return page

    def back(self) -> None:
        self.stack.setCurrentIndex(0)
        self._update_buttons()

    def _show_plan(self, result: RefreshResult) -> None:
        plan = result.plan
        roster = plan.roster
        self.review_heading.setText(
            f"{roster.chamber}: {describe_kind(roster.kind)} {roster.file_name}, as of {plan.as_of.day} {plan.as_of:%B %Y}"
        )
        parts = [
            _plural(plan.count("added"), "new member"),
            _plural(plan.count("changed"), "change"),
            f"{plan.count('ended'):,} leaving",
            f"{plan.count('continuing'):,} continuing",
        ]
        if plan.count("unmatched"):
            parts.append(f"{plan.count('unmatched'):,} not matched")
        extra = []
        if roster.vacant:
            extra.append(_plural(len(roster.vacant), "vacant seat") + " skipped")
        if plan.duplicates:
            extra.append(_plural(plan.duplicates, "repeated row") + " counted once")
        if roster.problems:
            extra.append(_plural(len(roster.problems), "row") + " could not be read")
        self.review_summary.setText(
            ", ".join(parts)
            + "."
            + (f" {'; '.join(extra).capitalize()}." if extra else "")
            + " Nothing has changed yet."
        )
        warnings = [*roster.warnings, *plan.warnings] + [f"Row {r}: {p}" for r, p in roster.problems[:5]]
        self.review_warnings.setText("\n".join(warnings))
        self.review_warnings.setVisible(bool(warnings))
        self.tree.clear()
        for kind in GROUPS:
            changes = plan.of_kind(kind)
            if not changes:
                continue
            group = QTreeWidgetItem([f"{KIND_LABELS[kind]} ({len(changes):,})"])
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            group.setFirstColumnSpanned(True)
            group.setData(0, Qt.ItemDataRole.UserRole, kind)
            self.tree.addTopLevelItem(group)
            for change in changes:
                item = QTreeWidgetItem([change.name, change.party or "", change.seat or "", change.detail])
                item.setToolTip(3, change.detail)
                group.addChild(item)
            group.setExpanded(kind in _EXPANDED)
        self.tree.resizeColumnToContents(0)
        self.tree.setColumnWidth(0, max(self.tree.columnWidth(0), 180))
        self.tree.setColumnWidth(1, 200)
        self.tree.setColumnWidth(2, 200)
        actions = plan.count("added") + plan.count("changed") + plan.count("ended")
        self.apply_button.setText(
            f"&Update {actions:,} representative{'s' if actions != 1 else ''}" if actions else "&Update"
        )
        self.apply_button.setEnabled(plan.has_changes)
        if not plan.has_changes:
            self.review_summary.setText(
                self.review_summary.text() + " Kindred is already up to date with this list."
            )

    def group_names(self, kind: str) -> list[str]:
        """Names listed under one group of the review (for tests and accessibility checks)."""
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            if group is not None and group.data(0, Qt.ItemDataRole.UserRole) == kind:
                return [
                    child.text(0) for j in range(group.childCount()) if (child := group.child(j)) is not None
                ]
        return []

    def apply(self) -> Task[Any] | None:
        """Refresh for real: one transaction, recorded as a batch that can be undone."""
        if self.roster is None or self.preview is None:
            return None
        roster, as_of = self.roster, self.preview.plan.as_of
        self.apply_button.setEnabled(False)

        def work(ctx: TaskContext) -> RefreshResult:
            return refresh_roster(
                ctx.db, roster, as_of, progress=ctx.progress, should_cancel=ctx.should_cancel
            )

        return self.runner.run(
            work,
            on_done=self._applied,
            on_error=lambda exc: self._apply_failed(exc),
            on_cancelled=lambda: self.apply_button.setEnabled(True),
            parent_widget=self,
            label="Updating representatives…",
            write=True,
        )

    def _apply_failed(self, exc: BaseException) -> None:
        from crm.errors import UserError

        from ui import dialogs

        self.apply_button.setEnabled(True)
        if isinstance(exc, UserError):
            dialogs.show_error(self, "Update representatives", str(exc))
            return
        raise exc

    def _applied(self, result: RefreshResult) -> None:
        self.refresh_result = result
        plan = result.plan
        self.result_text.setText(
            f"{plan.roster.chamber} is up to date with {plan.roster.file_name}: "
            f"{_plural(plan.count('added'), 'new member')}, {_plural(plan.count('changed'), 'change')}, "
            f"{plan.count('ended'):,} leaving (their roles ended on the dates shown; nothing was deleted), "
            f"{plan.count('continuing'):,} continuing."
            + (
                f" {plan.count('unmatched'):,} rows were not matched: see the list."
                if plan.count("unmatched")
                else ""
            )
        )
        self.result_detail.setText(
            "Former members stay in Kindred with their history. Lists and exports of MSPs, MSs, MPs and "
            "councillors now mean the current members; tick “former” in a filter to include the others."
        )
        self.undo_button.setEnabled(True)
        self.undo_button.setText("&Undo this update")
        self.stack.setCurrentIndex(2)
        self._update_buttons()
        self.data_changed.emit()

    # --- Step 3: result --------------------------------------------------------------------------

    def _build_result(self) -> QWidget:
        page = QWidget()
        self.result_text = QLabel()
        self.result_text.setWordWrap(True)
        font = self.result_text.font()
        font.setBold(True)
        self.result_text.setFont(font)
        self.result_detail = QLabel()
        self.result_detail.setWordWrap(True)
        self.undo_button = QPushButton("&Undo this update")
        self.undo_button.clicked.connect(self.undo)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.accept)
        box.button(QDialogButtonBox.StandardButton.Close).clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.undo_button)
        row.addStretch(1)
        row.addWidget(box)
        layout = QVBoxLayout(page)
        layout.addWidget(self.result_text)
        layout.addWidget(self.result_detail)
        layout.addStretch(1)
        layout.addLayout(row)
        return page

    def undo(self) -> Task[Any] | None:
        """Take the update back: people it created removed, roles it ended current again."""
        if self.refresh_result is None or self.refresh_result.batch_id is None:
            return None
        batch_id = self.refresh_result.batch_id
        self.undo_button.setEnabled(False)

        def work(ctx: TaskContext) -> RosterUndoResult:
            return undo_refresh(ctx.db, batch_id)

        return self.runner.run(
            work,
            on_done=self._undone,
            on_error=self._undo_failed,
            parent_widget=self,
            label="Undoing the update…",
            write=True,
        )

    def _undo_failed(self, exc: BaseException) -> None:
        self.undo_button.setEnabled(True)
        self._apply_failed(exc)

    def _undone(self, result: RosterUndoResult) -> None:
        self.undo_result = result
        self.result_text.setText(
            f"The update was undone: {_plural(result.people_removed, 'person', 'people')} it added removed, "
            f"{_plural(result.roles_restored, 'role')} it ended current again."
        )
        self.result_detail.setText("Kindred is as it was before the update.")
        self.undo_button.setText("Undone")
        self.data_changed.emit()

    def _update_buttons(self) -> None:
        self.check_button.setEnabled(bool(self.path_edit.text().strip()))
