"""Data protection actions on people: "Subject access…" and "Erase this person…" (typed confirmation).

The questions go through module-level seams (:func:`choose_subject_access_path`, :func:`ask_erasure`)
that tests replace; the work runs through the TaskRunner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from crm.privacy.erasure import BACKUP_NOTE, ErasureResult, backups_holding, erase_people
from crm.privacy.subject_access import SubjectAccessResult, write_subject_access

from ui import dialogs
from ui.pages.common import run_task
from ui.tasks import Task, TaskContext, TaskRunner

CONFIRM_WORD = "ERASE"


class EraseDialog(QDialog):
    """Asks for the reason and a typed confirmation before erasing people."""

    def __init__(self, names: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Erase" if len(names) != 1 else f"Erase {names[0]}")
        self.setObjectName("erase_dialog")
        who = (
            names[0]
            if len(names) == 1
            else f"{len(names):,} people ({', '.join(names[:3])}{'…' if len(names) > 3 else ''})"
        )
        intro = QLabel(
            f"<p>Erasing removes <b>{who}</b> and their personal data everywhere in Kindred: details, "
            "contact details, roles, memberships, consents, attendance, interactions only about them, and "
            "their history's old values. This cannot be undone.</p>"
            "<p>Kindred keeps only that an erasure happened (when, by whom and why) and their email "
            "addresses as a keyed hash on the suppression list, so an old spreadsheet cannot bring them "
            "back as contactable.</p>"
        )
        intro.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("e.g. Erasure request by email of 3 May")
        self.reason_edit.setAccessibleName("Reason for the erasure")
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setAccessibleName(f"Type {CONFIRM_WORD} to confirm")
        self.confirm_edit.setPlaceholderText(CONFIRM_WORD)
        form = QFormLayout()
        form.addRow("&Reason:", self.reason_edit)
        form.addRow(f"Type {CONFIRM_WORD} to &confirm:", self.confirm_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.erase_button = self.buttons.addButton("Erase", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.erase_button.setEnabled(False)
        self.erase_button.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.reason_edit.textChanged.connect(self._check)
        self.confirm_edit.textChanged.connect(self._check)
        self.resize(560, self.sizeHint().height())

    def _check(self) -> None:
        self.erase_button.setEnabled(
            bool(self.reason_edit.text().strip()) and self.confirm_edit.text().strip() == CONFIRM_WORD
        )

    def reason(self) -> str:
        return " ".join(self.reason_edit.text().split())


def ask_erasure(parent: QWidget | None, names: Sequence[str]) -> str | None:
    """Seam: the reason for erasing these people, or None when the user cancels (tests replace it)."""
    dialog = EraseDialog(names, parent)
    return dialog.reason() if dialog.exec() == QDialog.DialogCode.Accepted else None


def choose_subject_access_path(parent: QWidget | None, name: str) -> str:
    """Seam: where to save a subject access workbook; "" when the user cancels (tests replace it)."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(documents) if documents else Path.home()
    safe = "".join(c for c in name if c.isalnum() or c in " -_'").strip() or "person"
    suggested = folder / f"Subject access - {safe} - {dt.date.today():%Y-%m-%d}.xlsx"
    path, _ = QFileDialog.getSaveFileName(
        parent, "Save subject access workbook", str(suggested), "Excel workbook (*.xlsx)"
    )
    return path


def start_subject_access(
    widget: QWidget,
    runner: TaskRunner,
    person_id: int,
    name: str,
    on_done: Callable[[SubjectAccessResult], None] | None = None,
) -> Task[Any] | None:
    """Ask where, then write everything held on the person (in the background, with progress)."""
    path = choose_subject_access_path(widget, name)
    if not path:
        return None

    def work(ctx: TaskContext) -> SubjectAccessResult:
        with ctx.db.session() as session:
            result = write_subject_access(session, person_id, path, progress=ctx.progress)
        from crm import audit

        with ctx.db.transaction() as session:
            audit.record(
                session, "export", "person", person_id, details=f"Subject access: {result.path.name}"
            )
        return result

    def done(result: SubjectAccessResult) -> None:
        held = sum(result.sheets.values())
        dialogs.show_info(
            widget,
            "Subject access",
            f"Everything held on {result.name} is in {result.path.name} ({held:,} rows over "
            f"{len(result.sheets)} sheets). Read the notes of interactions and events before sending: "
            "redact anything about other people.",
        )
        if on_done is not None:
            on_done(result)

    return run_task(widget, runner, work, on_done=done, label="Writing the subject access workbook…")


def start_erasure(
    widget: QWidget,
    runner: TaskRunner,
    person_ids: Sequence[int],
    names: Sequence[str],
    on_done: Callable[[list[ErasureResult]], None] | None = None,
) -> Task[Any] | None:
    """Ask for the reason and the typed confirmation, then erase (one transaction for all)."""
    reason = ask_erasure(widget, names)
    if not reason:
        return None
    ids = list(person_ids)

    def work(ctx: TaskContext) -> list[ErasureResult]:
        with ctx.db.transaction() as session:
            ctx.progress(0, len(ids))
            results = erase_people(session, ids, reason)
        oldest = min((r.created_at for r in results if r.created_at is not None), default=None)
        backups = backups_holding(ctx.db, since=oldest)
        for r in results:
            r.backups = backups
        return results

    def done(results: list[ErasureResult]) -> None:
        dialogs.show_info(widget, "Erased", erasure_summary(results, team=runner.db.path is None))
        if on_done is not None:
            on_done(results)

    return run_task(widget, runner, work, on_done=done, write=True, label="Erasing…")


def erasure_summary(results: Sequence[ErasureResult], *, team: bool = False) -> str:
    """What the user is told after an erasure, including the backups that still hold the data."""
    n = len(results)
    lines = [
        f"Erased {n:,} {'person' if n == 1 else 'people'}. Their addresses stay on the suppression list as keyed hashes."
    ]
    backups = results[0].backups if results else []
    if backups:
        lines.append("")
        lines.append(
            f"{len(backups)} backup{'s' if len(backups) != 1 else ''} made before this still hold their data:"
        )
        lines += [f"• {b.path.name} ({b.modified:%d/%m/%Y %H:%M})" for b in backups[:10]]
        if len(backups) > 10:
            lines.append(f"• … and {len(backups) - 10} more")
        lines.append(BACKUP_NOTE)
    elif team:
        lines.append(
            "This is a team database: its backups on the server hold the data until they expire there."
        )
    else:
        lines.append("No backups of this database hold their data.")
    return "\n".join(lines)
