"""Log an interaction (meeting, call, email, letter, event) with one or many people."""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Sequence

from PySide6.QtCore import QDate, QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm import audit, filters
from crm.errors import UserError
from crm.filters import PersonFilter
from crm.models import InteractionKind
from crm.services import interactions

from ui import dialogs, preferences
from ui.tasks import TaskContext, TaskRunner, emit

# Above this many participants the dialog shows a count instead of a list of names.
LIST_LIMIT = 200
KIND_LABELS = {
    InteractionKind.MEETING: "Meeting",
    InteractionKind.CALL: "Call",
    InteractionKind.EMAIL: "Email",
    InteractionKind.LETTER: "Letter",
    InteractionKind.EVENT: "Event",
    InteractionKind.OTHER: "Other",
}


def _qdate(value: dt.date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


class InteractionDialog(QDialog):
    """Date, kind, subject, notes, topics, owner, follow-up date and several participants.

    Signals:
        logged(int): the interaction was saved; carries its id.
    """

    logged = Signal(int)

    def __init__(
        self,
        runner: TaskRunner,
        person_ids: Sequence[int] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.setWindowTitle("Log interaction")
        self.setMinimumWidth(520)
        self._ids: list[int] = list(dict.fromkeys(person_ids))
        self._suggestions: dict[str, int] = {}

        self.date_edit = QDateEdit(_qdate(dt.date.today()))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat(preferences.qt_date_format())
        self.date_edit.setAccessibleName("Date")
        self.kind_combo = QComboBox()
        for kind, label in KIND_LABELS.items():
            self.kind_combo.addItem(label, kind.value)
        self.kind_combo.setAccessibleName("Kind of interaction")
        self.subject_edit = QLineEdit()
        self.subject_edit.setPlaceholderText("What was it about?")
        self.subject_edit.setAccessibleName("Subject")
        self.subject_error = QLabel()
        self.subject_error.setObjectName("fieldError")
        self.subject_error.setStyleSheet("color: #d64541;")
        self.subject_error.hide()
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setAccessibleName("Notes")
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setMinimumHeight(90)
        self.topics_edit = QLineEdit()
        self.topics_edit.setPlaceholderText("Comma-separated, e.g. housing, loneliness")
        self.topics_edit.setAccessibleName("Topics")
        self.owner_edit = QLineEdit(audit.current_user())
        self.owner_edit.setAccessibleName("Owner")
        self.follow_up_check = QCheckBox("Follow up on")
        self.follow_up_date = QDateEdit(_qdate(dt.date.today() + dt.timedelta(days=14)))
        self.follow_up_date.setCalendarPopup(True)
        self.follow_up_date.setDisplayFormat(preferences.qt_date_format())
        self.follow_up_date.setEnabled(False)
        self.follow_up_date.setAccessibleName("Follow-up date")
        self.follow_up_check.toggled.connect(self.follow_up_date.setEnabled)
        follow = QHBoxLayout()
        follow.addWidget(self.follow_up_check)
        follow.addWidget(self.follow_up_date)
        follow.addStretch(1)

        self.people_list = QListWidget()
        self.people_list.setAccessibleName("Participants")
        self.people_list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.people_list.setMinimumHeight(90)
        self.people_count = QLabel()
        self.add_edit = QLineEdit()
        self.add_edit.setPlaceholderText("Add a participant: type a name")
        self.add_edit.setAccessibleName("Add participant")
        self._completion_model = QStringListModel(self)
        completer = QCompleter(self._completion_model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated.connect(self._add_suggestion)
        self.add_edit.setCompleter(completer)
        self.add_edit.textEdited.connect(self._suggest)
        self.add_edit.returnPressed.connect(lambda: self._add_suggestion(self.add_edit.text()))
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove selected participants")
        self.remove_button.clicked.connect(self._remove_selected)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_edit, 1)
        add_row.addWidget(self.remove_button)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("&Date", self.date_edit)
        form.addRow("&Kind", self.kind_combo)
        form.addRow("&Subject", self.subject_edit)
        form.addRow("", self.subject_error)
        form.addRow("&Notes", self.notes_edit)
        form.addRow("&Topics", self.topics_edit)
        form.addRow("&Owner", self.owner_edit)
        form.addRow("", follow)
        form.addRow("&People", self.people_count)
        form.addRow("", self.people_list)
        form.addRow("", add_row)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton("Log interaction", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._fill_people()

    # --- participants -------------------------------------------------------------------------

    def participant_ids(self) -> list[int]:
        return list(self._ids)

    def _fill_people(self) -> None:
        self.people_list.clear()
        n = len(self._ids)
        self.people_count.setText(f"{n:,} {'person' if n == 1 else 'people'}")
        if n > LIST_LIMIT:
            self.people_list.hide()
            self.remove_button.setEnabled(False)
            return
        self.people_list.show()
        self.remove_button.setEnabled(True)
        if not self._ids:
            return
        with self.runner.db.session() as session:
            rows = filters.list_rows(session, self._ids, ["name", "organisation"])
        for pid in self._ids:
            name, org = rows.get(pid, ("", None))
            label = str(name or "").strip().strip(",").strip() or f"Person {pid}"
            item = QListWidgetItem(f"{label} — {org}" if org else label)
            item.setData(Qt.ItemDataRole.UserRole, pid)
            self.people_list.addItem(item)

    def _suggest(self, text: str) -> None:
        if len(text.strip()) < 2:
            return
        with self.runner.db.session() as session:
            rows = filters.page(session, PersonFilter(text=text), ["name", "organisation"], limit=20)
        self._suggestions = {}
        for pid, name, org in rows:
            label = str(name or "").strip().strip(",").strip() or f"Person {pid}"
            self._suggestions[f"{label} — {org}" if org else f"{label} (#{pid})"] = pid
        self._completion_model.setStringList(list(self._suggestions))

    def _add_suggestion(self, text: str) -> None:
        pid = self._suggestions.get(text)
        if pid is None and len(self._suggestions) == 1:
            pid = next(iter(self._suggestions.values()))
        if pid is not None and pid not in self._ids:
            self._ids.append(pid)
            self._fill_people()
        self.add_edit.clear()

    def add_participant(self, person_id: int) -> None:
        if person_id not in self._ids:
            self._ids.append(person_id)
            self._fill_people()

    def _remove_selected(self) -> None:
        gone = {item.data(Qt.ItemDataRole.UserRole) for item in self.people_list.selectedItems()}
        self._ids = [pid for pid in self._ids if pid not in gone]
        self._fill_people()

    # --- saving -------------------------------------------------------------------------------

    def save(self) -> None:
        subject = self.subject_edit.text().strip()
        if not subject:
            self.subject_error.setText("Give the interaction a subject.")
            self.subject_error.show()
            self.subject_edit.setFocus()
            return
        self.subject_error.hide()
        values = {
            "subject": subject,
            "date": _pydate(self.date_edit.date()),
            "kind": self.kind_combo.currentData(),
            "notes": self.notes_edit.toPlainText(),
            "topics": self.topics_edit.text(),
            "owner": self.owner_edit.text(),
            "follow_up_on": _pydate(self.follow_up_date.date()) if self.follow_up_check.isChecked() else None,
            "person_ids": list(self._ids),
        }

        def work(ctx: TaskContext) -> int:
            with ctx.db.transaction() as session:
                return interactions.log_interaction(session, **values).id

        self.save_button.setEnabled(False)
        self.runner.run(
            work,
            on_done=self._saved,
            on_error=self._failed,
            label="Logging the interaction…" if len(self._ids) > 1000 else None,
            parent_widget=self,
            write=True,
        )

    def _saved(self, interaction_id: int) -> None:
        emit(self.logged, interaction_id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, UserError):
            dialogs.show_error(self, "Log interaction", str(exc))
        else:
            dialogs.show_bug(self, exc, "".join(traceback.format_exception(exc)))
