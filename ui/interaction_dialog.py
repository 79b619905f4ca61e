"""Log an interaction (meeting, call, email, letter, event) with one or many people, or edit one."""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, QStringListModel, Qt, Signal
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
from crm.services import interactions, topics

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


class TopicCompleter(QCompleter):
    """Completes the topic being typed after the last comma from the managed topics."""

    def splitPath(self, path: str) -> list[str]:
        return [path.rsplit(",", 1)[-1].strip()]

    def pathFromIndex(self, index: QModelIndex | QPersistentModelIndex) -> str:
        chosen = str(super().pathFromIndex(index))
        widget = self.widget()
        typed = widget.text() if isinstance(widget, QLineEdit) else ""
        head = typed.rsplit(",", 1)[0] if "," in typed else ""
        return f"{head}, {chosen}" if head else chosen


class InteractionDialog(QDialog):
    """Date, kind, subject, notes, topics, owner, follow-up date and several participants.

    With ``interaction_id`` it edits that interaction instead: the form shows what is stored and
    saving changes only what was changed, refusing to overwrite someone else's later edit.

    Signals:
        logged(int): a new interaction was saved; carries its id.
        edited(int): the interaction was changed; ``before`` and ``after`` hold the snapshots
            (:func:`crm.services.interactions.interaction_snapshot`) for undo.
    """

    logged = Signal(int)
    edited = Signal(int)

    def __init__(
        self,
        runner: TaskRunner,
        person_ids: Sequence[int] = (),
        parent: QWidget | None = None,
        *,
        interaction_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.interaction_id = interaction_id
        self.before: dict[str, Any] = {}
        self.after: dict[str, Any] = {}
        self._version: int | None = None
        self.setWindowTitle("Edit interaction" if interaction_id is not None else "Log interaction")
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
        with runner.db.session() as session:
            known = [t.name for t in topics.list_topics(session)]
        self.topic_completer = TopicCompleter(known, self)
        self.topic_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.topic_completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.topics_edit.setCompleter(self.topic_completer)
        self.owner_edit = QLineEdit(audit.current_user())
        self.owner_edit.setAccessibleName("Owner")
        self.follow_up_check = QCheckBox("Follow up on")
        self.follow_up_date = QDateEdit(_qdate(dt.date.today() + dt.timedelta(days=14)))
        self.follow_up_date.setCalendarPopup(True)
        self.follow_up_date.setDisplayFormat(preferences.qt_date_format())
        self.follow_up_date.setEnabled(False)
        self.follow_up_date.setAccessibleName("Follow-up date")
        self.follow_up_check.toggled.connect(self.follow_up_date.setEnabled)
        self.follow_up_done = QCheckBox("Done")
        self.follow_up_done.setAccessibleName("Follow-up done")
        self.follow_up_done.setEnabled(False)
        self.follow_up_done.setVisible(interaction_id is not None)
        self.follow_up_check.toggled.connect(self.follow_up_done.setEnabled)
        follow = QHBoxLayout()
        follow.addWidget(self.follow_up_check)
        follow.addWidget(self.follow_up_date)
        follow.addWidget(self.follow_up_done)
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
        self.save_button = self.buttons.addButton(
            "Save changes" if interaction_id is not None else "Log interaction",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        if interaction_id is not None:
            self._load(interaction_id)
        self._fill_people()

    def _load(self, interaction_id: int) -> None:
        """Show the stored interaction (one short read: the form opens with it)."""
        with self.runner.db.session() as session:
            self.before = interactions.interaction_snapshot(session, interaction_id)
            self._version = interactions.get_interaction(session, interaction_id).version
        snap = self.before
        self.date_edit.setDate(_qdate(snap["date"]))
        self.kind_combo.setCurrentIndex(max(self.kind_combo.findData(snap["kind"]), 0))
        self.subject_edit.setText(snap["subject"])
        self.notes_edit.setPlainText(snap["notes"] or "")
        self.topics_edit.setText(snap["topics"] or "")
        self.owner_edit.setText(snap["owner"] or "")
        self.follow_up_check.setChecked(snap["follow_up_on"] is not None)
        if snap["follow_up_on"] is not None:
            self.follow_up_date.setDate(_qdate(snap["follow_up_on"]))
        self.follow_up_done.setChecked(bool(snap["follow_up_done"]))
        self._ids = list(snap["person_ids"])

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
        if self.interaction_id is not None:
            self._save_edit(subject)
            return
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

    def _save_edit(self, subject: str) -> None:
        interaction_id = self.interaction_id
        assert interaction_id is not None
        following = self.follow_up_check.isChecked()
        form: dict[str, Any] = {
            "subject": subject,
            "date": _pydate(self.date_edit.date()),
            "kind": self.kind_combo.currentData(),
            "notes": self.notes_edit.toPlainText(),
            "topics": self.topics_edit.text(),
            "owner": self.owner_edit.text(),
            "follow_up_on": _pydate(self.follow_up_date.date()) if following else None,
            "follow_up_done": following and self.follow_up_done.isChecked(),
            "person_ids": sorted(self._ids),
        }
        # Only what the user changed: a field someone else changed meanwhile is not sent back.
        changes = {k: v for k, v in form.items() if v != self.before.get(k)}
        version = self._version

        def work(ctx: TaskContext) -> dict[str, Any]:
            with ctx.db.transaction() as session:
                interactions.update_interaction(session, interaction_id, changes, expected_version=version)
                return interactions.interaction_snapshot(session, interaction_id)

        def done(after: dict[str, Any]) -> None:
            self.after = after
            emit(self.edited, interaction_id)
            self.accept()

        self.save_button.setEnabled(False)
        self.runner.run(work, on_done=done, on_error=self._failed, parent_widget=self, write=True)

    def _saved(self, interaction_id: int) -> None:
        emit(self.logged, interaction_id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, UserError):
            dialogs.show_error(self, self.windowTitle(), str(exc))
        else:
            dialogs.show_bug(self, exc, "".join(traceback.format_exception(exc)))
