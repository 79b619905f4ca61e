"""Correspondence in the window: "Letters and labels…", dropped emails, calendars and email lists.

- :class:`LettersDialog`: pick a Word template, the people (the current list, selection or a saved
  view) and what to make (one document, a file each, or A4 labels); see who will be left out and
  why before making anything; letters are logged (checked by default) and the logging can be undone.
- :func:`log_dropped_emails`: .eml/.msg files dropped on the window or a person become
  interactions; :class:`EmailsLoggedDialog` says what happened and offers unmatched addresses as
  new people.
- :class:`EmailListDialog`: "Email these people…" opens the mail program with the list in Bcc, in
  batches mail programs accept; "Copy email addresses" copies the same batches.
- :func:`add_to_calendar`: an .ics of events or follow-ups, opened in the calendar program.

The file dialogs and the desktop (opening files, links and the clipboard) go through
:class:`Desktop`, which tests replace.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm.correspondence import mailto
from crm.correspondence.emails import EMAIL_SUFFIXES, EmailLogResult
from crm.correspondence.letters import LettersResult
from crm.correspondence.templates import Template
from crm.filters import PersonFilter

from ui import dialogs
from ui.tasks import Task, TaskContext, TaskRunner

LEFT_OUT_SHOWN = 2_000  # rows in the left-out table; the count says how many in all


class Desktop:
    """Seams to the desktop: file dialogs, opening files and links, the clipboard."""

    @staticmethod
    def open_file_name(parent: QWidget | None, title: str, folder: str, pattern: str) -> str:
        return QFileDialog.getOpenFileName(parent, title, folder, pattern)[0]

    @staticmethod
    def save_file_name(parent: QWidget | None, title: str, suggested: str, pattern: str) -> str:
        return QFileDialog.getSaveFileName(parent, title, suggested, pattern)[0]

    @staticmethod
    def folder_name(parent: QWidget | None, title: str, folder: str) -> str:
        return QFileDialog.getExistingDirectory(parent, title, folder)

    @staticmethod
    def open_url(url: QUrl) -> bool:
        return QDesktopServices.openUrl(url)

    @staticmethod
    def copy_text(text: str) -> None:
        QGuiApplication.clipboard().setText(text)


def _alive(widget: QWidget) -> bool:
    return shiboken6.isValid(widget)


def _documents() -> str:
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)


def dropped_email_files(urls: Sequence[QUrl]) -> list[str]:
    """The local .eml and .msg files among dropped URLs."""
    return [
        u.toLocalFile() for u in urls if u.isLocalFile() and u.toLocalFile().lower().endswith(EMAIL_SUFFIXES)
    ]


# --- Letters and labels ---------------------------------------------------------------------------

MAKE_CHOICES: tuple[tuple[str, str], ...] = (
    ("document", "One Word document, a page per person"),
    ("each", "One Word file per person, in a folder"),
    ("L7160", "Address labels: A4 sheet of 21 (Avery L7160)"),
    ("L7163", "Address labels: A4 sheet of 14 (Avery L7163)"),
)


class LettersDialog(QDialog):
    """Letters and labels for a list of people, from the team's own Word template."""

    letters_made = Signal(object)  # LettersResult
    batch_undone = Signal(int)

    def __init__(
        self,
        runner: TaskRunner,
        person_filter: PersonFilter,
        parent: QWidget | None = None,
        *,
        list_label: str = "The current list",
        views: Sequence[str] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Letters and labels")
        self.runner = runner
        self.current_filter = person_filter
        self.template: Template | None = None
        self.letters_result: LettersResult | None = None
        self.task: Task[Any] | None = None
        self._count_generation = 0

        intro = QLabel(
            "Fill a Word template made with Mailings › Insert Merge Field for each person, with the "
            "post rules of the mail-merge export: people who opted out of post, asked not to be "
            "contacted or have no usable address are left out and listed."
        )
        intro.setWordWrap(True)

        self.template_edit = QLineEdit()
        self.template_edit.setReadOnly(True)
        self.template_edit.setPlaceholderText("Choose a Word template (.docx)…")
        self.template_edit.setAccessibleName("Word template")
        self.choose_button = QPushButton("&Choose template…")
        self.choose_button.clicked.connect(self.choose_template)
        template_row = QHBoxLayout()
        template_row.addWidget(self.template_edit, 1)
        template_row.addWidget(self.choose_button)
        self.fields_label = QLabel(
            "Merge fields are named after the mail-merge export's columns, e.g. "
            "Addressee, Address_block, Formal_salutation."
        )
        self.fields_label.setWordWrap(True)
        self.fields_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.who_box = QComboBox()
        self.who_box.setAccessibleName("Which people")
        self.who_box.addItem(list_label, None)
        for name in views:
            self.who_box.addItem(f"Saved view: {name}", name)
        self.who_box.currentIndexChanged.connect(lambda _i: self.update_count())

        make_box = QGroupBox("Make")
        make_layout = QVBoxLayout(make_box)
        self.make_group = QButtonGroup(self)
        self.make_buttons: dict[str, QRadioButton] = {}
        for i, (key, text) in enumerate(MAKE_CHOICES):
            button = QRadioButton(text)
            self.make_group.addButton(button, i)
            self.make_buttons[key] = button
            make_layout.addWidget(button)
        self.make_buttons["document"].setChecked(True)
        self.make_group.idToggled.connect(lambda _i, _on: self._make_changed())
        self.joint_check = QCheckBox("One letter per household, with a joint salutation (“Dear Ann and Bob”)")
        self.joint_check.toggled.connect(lambda _on: self.update_count())
        self.log_check = QCheckBox(
            "Log each letter as an interaction on its person (“Letter: <template name>”)"
        )
        self.log_check.setChecked(True)
        self.label_template_check = QCheckBox(
            "Lay each label out as the template (otherwise the address block)"
        )
        self.label_template_check.toggled.connect(lambda _on: self._update_make_enabled())

        form = QFormLayout()
        form.addRow("Template:", template_row)
        form.addRow("", self.fields_label)
        form.addRow("People:", self.who_box)

        self.count_label = QLabel("Counting…")
        self.count_label.setWordWrap(True)
        self.left_out_table = QTableWidget(0, 2)
        self.left_out_table.setHorizontalHeaderLabels(["Left out", "Why"])
        self.left_out_table.setAccessibleName("People left out and why")
        self.left_out_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.left_out_table.verticalHeader().setVisible(False)
        header = self.left_out_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.open_button = QPushButton("&Open")
        self.open_button.clicked.connect(self.open_result)
        self.folder_button = QPushButton("Show in &folder")
        self.folder_button.clicked.connect(self.show_in_folder)
        self.undo_button = QPushButton("&Undo logging")
        self.undo_button.setToolTip("Move the interactions these letters logged to the Trash")
        self.undo_button.clicked.connect(self.undo_logging)
        for hidden in (self.open_button, self.folder_button, self.undo_button):
            hidden.setVisible(False)
        result_row = QHBoxLayout()
        result_row.addWidget(self.open_button)
        result_row.addWidget(self.folder_button)
        result_row.addWidget(self.undo_button)
        result_row.addStretch(1)

        self.buttons = QDialogButtonBox()
        self.make_button = self.buttons.addButton("&Make letters…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.make_button.setEnabled(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.make_button.clicked.connect(self.make)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(make_box)
        layout.addWidget(self.joint_check)
        layout.addWidget(self.log_check)
        layout.addWidget(self.label_template_check)
        layout.addWidget(self.count_label)
        layout.addWidget(self.left_out_table, 1)
        layout.addWidget(self.result_label)
        layout.addLayout(result_row)
        layout.addWidget(self.buttons)
        self.resize(720, 640)
        self._make_changed()
        self.update_count()

    # --- choices --------------------------------------------------------------------------------

    def make_choice(self) -> str:
        for key, button in self.make_buttons.items():
            if button.isChecked():
                return key
        return "document"

    def labels(self) -> str | None:
        choice = self.make_choice()
        return choice if choice.startswith("L") else None

    def _make_changed(self) -> None:
        labels = self.labels() is not None
        self.log_check.setEnabled(not labels)
        self.log_check.setToolTip("Labels are not logged: the letters they go on are." if labels else "")
        self.label_template_check.setVisible(labels)
        self.make_button.setText("&Make labels…" if labels else "&Make letters…")
        self._update_make_enabled()

    def _update_make_enabled(self) -> None:
        ready = self.template is not None or (
            self.labels() is not None and not self.label_template_check.isChecked()
        )
        self.make_button.setEnabled(ready and self.task is None)

    def filter_getter(self) -> Callable[[Any], PersonFilter]:
        """What the worker calls with its database to get the people (read on the GUI thread now)."""
        view = self.who_box.currentData()
        current = self.current_filter

        def get(db: Any) -> PersonFilter:
            if view is None:
                return current
            from crm.services import views

            with db.session() as session:
                return views.view_filter(session, view)

        return get

    # --- template -------------------------------------------------------------------------------

    def choose_template(self) -> Task[Any] | None:
        path = Desktop.open_file_name(self, "Choose a Word template", _documents(), "Word documents (*.docx)")
        if not path:
            return None
        return self.set_template(path)

    def set_template(self, path: str) -> Task[Any]:
        """Check a template off the GUI thread; its fields or the reason it is refused are shown."""
        from crm.correspondence.templates import load_template

        self.template = None
        self.template_edit.setText(path)
        self.fields_label.setText("Reading the template…")
        self._update_make_enabled()

        def load(_ctx: TaskContext) -> Template:
            return load_template(path)

        def done(template: Template) -> None:
            if not _alive(self):
                return
            self.template = template
            names = ", ".join(template.fields)
            self.fields_label.setStyleSheet("")
            self.fields_label.setText(f"Merge fields: {names}.")
            self._update_make_enabled()

        def failed(exc: BaseException) -> None:
            if not _alive(self):
                return
            self.fields_label.setStyleSheet("color: #b00020;")
            self.fields_label.setText(str(exc))
            self._update_make_enabled()

        return self.runner.run(load, on_done=done, on_error=failed, parent_widget=self)

    # --- who ------------------------------------------------------------------------------------

    def update_count(self) -> Task[Any]:
        """Count who gets a letter and list who is left out, with the post rules."""
        from crm.correspondence.letters import select_letters

        self._count_generation += 1
        generation = self._count_generation
        joint = self.joint_check.isChecked()
        people_filter = self.filter_getter()
        self.count_label.setText("Counting…")

        def count(ctx: TaskContext) -> tuple[int, int, list[tuple[str, str]]]:
            f = people_filter(ctx.db)
            selection = select_letters(ctx.db, f, {}, joint=joint, should_cancel=ctx.should_cancel)
            people = sum(len(lt.person_ids) for lt in selection.letters)
            return len(selection.letters), people, [(x.name, x.reason) for x in selection.left_out]

        def done(answer: tuple[int, int, list[tuple[str, str]]]) -> None:
            if not _alive(self) or generation != self._count_generation:
                return
            letters, people, left_out = answer
            self.show_count(letters, people, left_out)

        def failed(exc: BaseException) -> None:
            if _alive(self) and generation == self._count_generation:
                self.count_label.setText(str(exc))

        return self.runner.run(count, on_done=done, on_error=failed, parent_widget=self)

    def show_count(self, letters: int, people: int, left_out: Sequence[tuple[str, str]]) -> None:
        noun = "letter" if letters == 1 else "letters"
        text = f"{letters:,} {noun}"
        if people != letters:
            text += f" ({people:,} people)"
        text += f"; {len(left_out):,} left out" if left_out else "; nobody left out"
        if left_out:
            counts: dict[str, int] = {}
            for _name, reason in left_out:
                bucket = reason.split(" as ", 1)[0] if reason.startswith("Same ") else reason
                counts[bucket] = counts.get(bucket, 0) + 1
            text += " — " + "; ".join(f"{r}: {n:,}" for r, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        self.count_label.setText(text + ".")
        self.fill_left_out(left_out)

    def fill_left_out(self, left_out: Sequence[tuple[str, str]]) -> None:
        shown = left_out[:LEFT_OUT_SHOWN]
        self.left_out_table.setRowCount(len(shown))
        for row, (name, reason) in enumerate(shown):
            self.left_out_table.setItem(row, 0, QTableWidgetItem(name))
            self.left_out_table.setItem(row, 1, QTableWidgetItem(reason))

    # --- making ---------------------------------------------------------------------------------

    def choose_output(self) -> str:
        labels = self.labels()
        stem = self.template.name if self.template is not None else "Address labels"
        if self.make_choice() == "each":
            return Desktop.folder_name(self, "Choose a folder for the letters", _documents())
        suggested = str(Path(_documents()) / (f"{stem} labels.docx" if labels else f"{stem} letters.docx"))
        return Desktop.save_file_name(self, "Save the letters as", suggested, "Word documents (*.docx)")

    def make(self) -> Task[Any] | None:
        out = self.choose_output()
        if not out:
            return None
        return self.make_into(out)

    def make_into(self, out: str) -> Task[Any] | None:
        from crm.correspondence.letters import make_labels, make_letters

        template = self.template
        choice, labels = self.make_choice(), self.labels()
        if template is None and (labels is None or self.label_template_check.isChecked()):
            dialogs.show_error(self, "Letters and labels", "Choose a Word template first.")
            return None
        joint, log = self.joint_check.isChecked(), self.log_check.isChecked()
        use_template = self.label_template_check.isChecked()
        people_filter = self.filter_getter()

        def work(ctx: TaskContext) -> LettersResult:
            f = people_filter(ctx.db)
            if labels is not None:
                path = template.path if (use_template and template is not None) else None
                return make_labels(
                    ctx.db,
                    out,
                    f,
                    sheet_code=labels,
                    template_path=path,
                    joint=joint,
                    progress=ctx.progress,
                    should_cancel=ctx.should_cancel,
                )
            assert template is not None
            return make_letters(
                ctx.db,
                template.path,
                out,
                f,
                one_file_each=choice == "each",
                joint=joint,
                log=log,
                progress=ctx.progress,
                should_cancel=ctx.should_cancel,
            )

        self.result_label.setText("Making letters…")
        self.task = self.runner.run(
            work,
            on_done=self._made,
            on_cancelled=self._cancelled,
            label="Making labels…" if labels else "Making letters…",
            parent_widget=self,
            write=True,
        )
        self.task.finished.connect(self._task_ended)
        self._update_make_enabled()
        return self.task

    def _cancelled(self) -> None:
        if _alive(self):
            self.result_label.setText("Cancelled; nothing was written or logged.")

    def _task_ended(self) -> None:
        if not _alive(self):
            return
        failed = self.task is not None and self.task.error is not None and self.letters_result is None
        if failed and not self.result_label.text().startswith("Cancelled") and self.task is not None:
            self.result_label.setText("Nothing was made: " + str(self.task.error))
        self.task = None
        self._update_make_enabled()

    def _made(self, result: LettersResult) -> None:
        if not _alive(self):
            return
        self.letters_result = result
        what = "labels" if self.labels() else ("letters" if result.letters != 1 else "letter")
        where = (
            result.path.name
            if len(result.files) == 1
            else f"{len(result.files):,} files in {result.path.name}"
        )
        lines = [f"Made {result.letters:,} {what} ({where})."]
        if result.excluded:
            lines.append(f"Left out {result.excluded:,}; the list below says why.")
        if result.batch_id is not None:
            lines.append(f"Each letter is logged on its person (batch {result.batch_id}).")
        self.result_label.setText(" ".join(lines))
        self.fill_left_out([(x.name, x.reason) for x in result.left_out])
        self.open_button.setVisible(True)
        self.folder_button.setVisible(True)
        self.undo_button.setVisible(result.batch_id is not None)
        self.letters_made.emit(result)

    def open_result(self) -> None:
        if self.letters_result is not None:
            target = (
                self.letters_result.files[0]
                if len(self.letters_result.files) == 1
                else self.letters_result.path
            )
            if not Desktop.open_url(QUrl.fromLocalFile(str(target))):
                dialogs.show_error(self, "Open", f"No program could open {target.name}.")

    def show_in_folder(self) -> None:
        if self.letters_result is not None:
            folder = (
                self.letters_result.path
                if self.letters_result.path.is_dir()
                else self.letters_result.path.parent
            )
            Desktop.open_url(QUrl.fromLocalFile(str(folder)))

    def undo_logging(self) -> Task[Any] | None:
        from crm.correspondence.batches import UndoResult, undo_batch

        if self.letters_result is None or self.letters_result.batch_id is None:
            return None
        batch_id = self.letters_result.batch_id

        def work(ctx: TaskContext) -> UndoResult:
            with ctx.db.transaction() as session:
                return undo_batch(session, batch_id)

        def done(undone: UndoResult) -> None:
            if not _alive(self):
                return
            self.undo_button.setVisible(False)
            self.result_label.setText(
                f"The {undone.removed:,} logged letters are in the Trash; the documents are kept."
            )
            self.batch_undone.emit(batch_id)

        return self.runner.run(work, on_done=done, parent_widget=self, write=True)

    def done(self, result: int) -> None:
        if self.task is not None:
            self.task.cancel()
        super().done(result)


# --- Emails dropped in ----------------------------------------------------------------------------


class EmailsLoggedDialog(QDialog):
    """What logging dropped emails did; unmatched addresses can become new people."""

    people_added = Signal(list)

    def __init__(
        self,
        runner: TaskRunner,
        result: EmailLogResult,
        paths: Sequence[str],
        parent: QWidget | None = None,
        *,
        person_id: int | None = None,
        on_logged: Callable[[EmailLogResult], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Emails logged")
        self.runner = runner
        self.paths = list(paths)
        self.person_id = person_id
        self.on_logged = on_logged
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.unmatched_label = QLabel(
            "These addresses belong to nobody in Kindred. Tick any to add as new people:"
        )
        self.unmatched_label.setWordWrap(True)
        self.unmatched_list = QListWidget()
        self.unmatched_list.setAccessibleName("Addresses not matched to anyone")
        self.add_button = QPushButton("&Add ticked as new people and log again")
        self.add_button.clicked.connect(self.add_people)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.unmatched_label)
        layout.addWidget(self.unmatched_list, 1)
        layout.addWidget(self.add_button)
        layout.addWidget(buttons)
        self.resize(620, 460)
        self.show_result(result)

    def show_result(self, result: EmailLogResult) -> None:
        self.log_result = result
        lines = [f"Logged {result.logged:,} {'email' if result.logged == 1 else 'emails'}."]
        if result.already_logged:
            lines.append(
                f"{result.already_logged:,} were already logged (same Message-ID) and were left alone."
            )
        if result.linked:
            lines.append(f"Linked {result.linked:,} more people to emails logged before.")
        if result.not_logged:
            lines.append(
                f"{len(result.not_logged):,} involve nobody in Kindred and were not logged: "
                + ", ".join(result.not_logged[:5])
                + (" …" if len(result.not_logged) > 5 else "")
                + ". Drop them on a person to log them there, or add the people below."
            )
        for _name, reason in result.failed[:10]:
            lines.append(f"Not read: {reason}")
        self.summary.setText("\n".join(lines))
        self.unmatched_list.clear()
        for address in result.unmatched:
            shown = result.names.get(address)
            item = QListWidgetItem(f"{shown} <{address}>" if shown else address)
            item.setData(Qt.ItemDataRole.UserRole, address)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.unmatched_list.addItem(item)
        has = bool(result.unmatched)
        self.unmatched_label.setVisible(has)
        self.unmatched_list.setVisible(has)
        self.add_button.setVisible(has)

    def ticked(self) -> list[str]:
        out = []
        for row in range(self.unmatched_list.count()):
            item = self.unmatched_list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def add_people(self) -> Task[Any] | None:
        from crm.correspondence.emails import add_people_for, log_emails

        addresses = self.ticked()
        if not addresses:
            dialogs.show_info(self, "Emails logged", "Tick the addresses to add as new people first.")
            return None
        names = dict(self.log_result.names)
        paths, person_id = self.paths, self.person_id

        def work(ctx: TaskContext) -> tuple[list[int], EmailLogResult]:
            with ctx.db.transaction() as session:
                ids = add_people_for(session, addresses, names)
            return ids, log_emails(ctx.db, paths, person_id=person_id)

        def done(answer: tuple[list[int], EmailLogResult]) -> None:
            ids, again = answer
            if not _alive(self):
                return
            merged = dataclasses.replace(
                again,
                logged=self.log_result.logged + again.logged,
                already_logged=max(0, again.already_logged - self.log_result.logged),
            )
            self.show_result(merged)
            self.people_added.emit(ids)
            if self.on_logged is not None:
                self.on_logged(again)

        return self.runner.run(work, on_done=done, parent_widget=self, write=True)


def log_dropped_emails(
    runner: TaskRunner,
    paths: Sequence[str],
    parent: QWidget,
    *,
    person_id: int | None = None,
    on_logged: Callable[[EmailLogResult], None] | None = None,
    show: Callable[[QDialog], None] | None = None,
) -> Task[Any]:
    """Log dropped emails off the GUI thread, then say what happened."""
    from crm.correspondence.emails import log_emails

    files = list(paths)

    def work(ctx: TaskContext) -> EmailLogResult:
        return log_emails(
            ctx.db, files, person_id=person_id, progress=ctx.progress, should_cancel=ctx.should_cancel
        )

    def done(result: EmailLogResult) -> None:
        if on_logged is not None:
            on_logged(result)
        dialog = EmailsLoggedDialog(runner, result, files, parent, person_id=person_id, on_logged=on_logged)
        (show or (lambda d: d.open()))(dialog)

    label = "Logging emails…" if len(files) > 20 else None
    return runner.run(work, on_done=done, parent_widget=parent, write=True, label=label)


# --- Email lists ----------------------------------------------------------------------------------


class EmailListDialog(QDialog):
    """The list's addresses in batches a mail program accepts: each opened in Bcc or copied."""

    def __init__(
        self, addresses: Sequence[str], parent: QWidget | None = None, *, copy_only: bool = False
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Copy email addresses" if copy_only else "Email these people")
        self.batches = mailto.bcc_batches(addresses)
        self.done_batches: set[int] = set()
        total = len(addresses)
        intro = QLabel(
            f"{total:,} addresses (email rules applied: no do-not-contact, suppressed or opted-out "
            f"people), in {len(self.batches)} batches of up to {mailto.MAX_ADDRESSES}, as mail "
            "programs limit the recipients of one message. Each batch goes in Bcc, so nobody sees "
            "the others' addresses."
        )
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName("Batches of addresses")
        for i, batch in enumerate(self.batches):
            self.list.addItem(f"Batch {i + 1}: {len(batch)} addresses — {batch[0]} … {batch[-1]}")
        self.list.setCurrentRow(0)
        self.email_button = QPushButton("&Email this batch")
        self.email_button.clicked.connect(self.email_current)
        self.email_button.setVisible(not copy_only)
        self.copy_button = QPushButton("&Copy this batch")
        self.copy_button.clicked.connect(self.copy_current)
        self.status = QLabel("")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.email_button)
        row.addWidget(self.copy_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(620, 420)

    def _advance(self, index: int, verb: str) -> None:
        self.done_batches.add(index)
        item = self.list.item(index)
        if not item.text().startswith("✓ "):
            item.setText("✓ " + item.text())
        self.status.setText(f"{verb} batch {index + 1} of {len(self.batches)}.")
        if index + 1 < len(self.batches):
            self.list.setCurrentRow(index + 1)

    def email_current(self) -> None:
        index = max(0, self.list.currentRow())
        if not Desktop.open_url(QUrl(mailto.mailto_link(self.batches[index]), QUrl.ParsingMode.StrictMode)):
            dialogs.show_error(
                self, "Email", "No mail program is set up on this computer; copy the addresses instead."
            )
            return
        self._advance(index, "Opened")

    def copy_current(self) -> None:
        index = max(0, self.list.currentRow())
        Desktop.copy_text(mailto.clipboard_text(self.batches[index]))
        self._advance(index, "Copied")


def email_people(
    runner: TaskRunner,
    person_filter: PersonFilter,
    parent: QWidget,
    *,
    copy_only: bool = False,
    show: Callable[[QDialog], None] | None = None,
) -> Task[Any]:
    """ "Email these people…" (or "Copy email addresses"): the addresses with the email rules."""
    from crm.exporting.engine import email_addresses

    def load(ctx: TaskContext) -> list[str]:
        with ctx.db.session() as session:
            return email_addresses(session, person_filter)

    def done(addresses: list[str]) -> None:
        if not addresses:
            dialogs.show_info(
                parent, "Email", "None of these people can be emailed (no address, or they opted out)."
            )
            return
        if len(mailto.bcc_batches(addresses)) == 1:
            if copy_only:
                Desktop.copy_text(mailto.clipboard_text(addresses))
                dialogs.show_info(
                    parent, "Email", f"Copied {len(addresses):,} addresses; paste them into Bcc."
                )
            elif not Desktop.open_url(QUrl(mailto.mailto_link(addresses), QUrl.ParsingMode.StrictMode)):
                dialogs.show_error(parent, "Email", "No mail program is set up on this computer.")
            return
        dialog = EmailListDialog(addresses, parent, copy_only=copy_only)
        (show or (lambda d: d.open()))(dialog)

    return runner.run(load, on_done=done, parent_widget=parent)


# --- Calendars ------------------------------------------------------------------------------------


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def add_to_calendar(
    runner: TaskRunner,
    parent: QWidget,
    *,
    event_ids: Sequence[int] | None = None,
    interaction_ids: Sequence[int] | None = None,
    name: str = "Kindred",
    path: str | None = None,
) -> Task[Any]:
    """Write an .ics of these events or follow-ups and hand it to the calendar program.

    Without ids (and with ``path``) the whole feed of events and open follow-ups is written there.
    """
    from crm.correspondence.calendar import write_calendar

    if path is None:
        folder = (
            Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.TempLocation)) / "Kindred"
        )
        path = str(folder / f"{_UNSAFE.sub(' ', name).strip()[:60] or 'Kindred'}.ics")
    feed = event_ids is None and interaction_ids is None

    def work(ctx: TaskContext) -> tuple[Path, int]:
        with ctx.db.session() as session:
            return write_calendar(
                session,
                path,
                events=feed or event_ids is not None,
                followups=feed or interaction_ids is not None,
                event_ids=event_ids,
                interaction_ids=interaction_ids,
            )

    def done(answer: tuple[Path, int]) -> None:
        written, count = answer
        if count == 0:
            dialogs.show_info(
                parent, "Add to calendar", "There is nothing dated to add (events need a start date)."
            )
            return
        if not Desktop.open_url(QUrl.fromLocalFile(str(written))):
            dialogs.show_info(
                parent, "Add to calendar", f"Saved {written}; open it with your calendar program."
            )

    return runner.run(work, on_done=done, parent_widget=parent)


def save_calendar_feed(runner: TaskRunner, parent: QWidget) -> Task[Any] | None:
    """File › Calendar feed…: every dated event and open follow-up in one .ics."""
    suggested = str(Path(_documents()) / "Kindred calendar.ics")
    path = Desktop.save_file_name(parent, "Save the calendar as", suggested, "Calendars (*.ics)")
    if not path:
        return None
    return add_to_calendar(runner, parent, path=path)


__all__ = [
    "Desktop",
    "EmailListDialog",
    "EmailsLoggedDialog",
    "LettersDialog",
    "add_to_calendar",
    "dropped_email_files",
    "email_people",
    "log_dropped_emails",
    "save_calendar_feed",
]
