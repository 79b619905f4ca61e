"""Due for review: people Kindred has had no reason to keep for longer than the retention period.

Shows the period (a setting shared by everyone using the database, changeable here), who is due and
their last activity, and acts on the chosen people: "Keep for another period" (recorded, with an
optional note) or "Erase…" (with a reason and a typed confirmation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from crm.privacy import settings
from crm.privacy.retention import RetentionReport, due_for_review, keep_for_another_period

from ui.changes import Change
from ui.pages.base import ListPage
from ui.pages.common import Column, EmptyState, RowsModel, fit_columns, make_table, run_task, selected_rows
from ui.privacy_actions import start_erasure
from ui.tasks import Task, TaskContext, TaskRunner

SHOWN_MAX = 2_000
EXPLANATION = (
    "People with no interaction, event, current elected role, current network membership or current "
    "consent for longer than the retention period. Keep those you still have a reason to hold (the "
    "decision is recorded and they come back after another period); erase the rest."
)


def _date(value: Any) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else ""


def _activity(value: Any) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else "None recorded"


def ask_keep_note(parent: QWidget | None, count: int) -> str | None:
    """Seam: an optional note for "Keep for another period"; None when the user cancels."""
    text, ok = QInputDialog.getText(
        parent,
        "Keep for another period",
        f"Why keep {'this person' if count == 1 else f'these {count:,} people'}? (optional, recorded)",
    )
    return text if ok else None


class RetentionPage(ListPage):
    """The retention review ("Due for review" in the sidebar)."""

    CHANGES = Change(people=True)  # erased people

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(runner, parent)
        self.report: RetentionReport | None = None

        self.explanation = QLabel(EXPLANATION)
        self.explanation.setWordWrap(True)
        self.months_spin = QSpinBox()
        self.months_spin.setRange(1, settings.MAX_RETENTION_MONTHS)
        self.months_spin.setSuffix(" months")
        self.months_spin.setAccessibleName("Retention period in months")
        self.months_spin.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # The spin box's own text field is what a screen reader lands on.
        self.months_spin.lineEdit().setAccessibleName("Retention period in months")
        self.save_period_button = QPushButton("Change &period")
        self.save_period_button.setAccessibleName("Save the retention period for everyone")
        self.save_period_button.setEnabled(False)
        self.period_note = QLabel()
        period = QHBoxLayout()
        period.addWidget(QLabel("Retention period:"))
        period.addWidget(self.months_spin)
        period.addWidget(self.save_period_button)
        period.addWidget(self.period_note, 1)

        # Row: (id, name, email, organisation, last activity, added)
        self.model = RowsModel(
            [
                Column("Name", 1),
                Column("Email", 2),
                Column("Organisation", 3),
                Column("Last activity", 4, formatter=_activity),
                Column("Added", 5, formatter=_date),
            ],
            self,
        )
        self.table = make_table(self.model, "People due for review")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)
        fit_columns(self.table, [24, 28, 24, 12, 12])
        self.stack = EmptyState(self.table, "")
        self.count_label = QLabel()
        self.keep_button = QPushButton("&Keep for another period")
        self.keep_button.setAccessibleName("Keep the selected people for another period")
        self.erase_button = QPushButton("&Erase…")
        self.erase_button.setAccessibleName("Erase the selected people")
        for b in (self.keep_button, self.erase_button):
            b.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.keep_button)
        bottom.addWidget(self.erase_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addLayout(period)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bottom)

        self.months_spin.valueChanged.connect(self._months_edited)
        self.save_period_button.clicked.connect(self.save_period)
        self.keep_button.clicked.connect(self.keep_selected)
        self.erase_button.clicked.connect(self.erase_selected)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.activated.connect(lambda index: self.person_activated.emit(self.model.id_at(index.row())))

    def list_loader(self) -> Callable[[Session], RetentionReport]:
        """The period and who is due."""
        return lambda session: due_for_review(session, limit=SHOWN_MAX)

    def show_list(self, report: RetentionReport) -> None:
        self.report = report
        self.months_spin.blockSignals(True)
        self.months_spin.setValue(report.months)
        self.months_spin.blockSignals(False)
        self.save_period_button.setEnabled(False)
        self.period_note.setText(f"Due: no activity since {report.cutoff:%-d %B %Y}.")
        self.model.set_rows(
            [
                (p.id, p.name, p.email or "", p.organisation or "", p.last_activity, p.added)
                for p in report.people
            ]
        )
        header = self.table.horizontalHeader()
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        n = report.total
        text = f"{n:,} {'person' if n == 1 else 'people'} due for review"
        if n > len(report.people):
            text += f" (showing the first {len(report.people):,} by name)"
        self.count_label.setText(text + "." if n else "")
        self.stack.set_empty(
            not report.people,
            f"Nobody is due for review: everyone has had a reason to be kept in the last {report.months} months.",
        )
        self._selection_changed()

    def _months_edited(self, value: int) -> None:
        self.save_period_button.setEnabled(self.report is None or value != self.report.months)

    def save_period(self) -> Task[Any]:
        months = self.months_spin.value()

        def work(ctx: TaskContext) -> None:
            with ctx.db.transaction() as session:
                settings.set_retention_months(session, months)

        def done(_result: None) -> None:
            self.refresh()

        return run_task(self, self.runner, work, on_done=done, write=True)

    def _selection_changed(self, *_args: Any) -> None:
        chosen = bool(selected_rows(self.table))
        self.keep_button.setEnabled(chosen)
        self.erase_button.setEnabled(chosen)

    def selected_people(self) -> list[tuple[int, str]]:
        return [(self.model.id_at(r), str(self.model.row_at(r)[1])) for r in selected_rows(self.table)]

    def keep_selected(self) -> Task[Any] | None:
        chosen = self.selected_people()
        if not chosen:
            return None
        note = ask_keep_note(self, len(chosen))
        if note is None:
            return None
        ids = [pid for pid, _ in chosen]

        def work(ctx: TaskContext) -> int:
            with ctx.db.transaction() as session:
                return keep_for_another_period(session, ids, note)

        def done(n: int) -> None:
            self.count_label.setText(f"Kept {n:,} for another period.")
            self.refresh()

        return run_task(self, self.runner, work, on_done=done, write=True)

    def erase_selected(self) -> Task[Any] | None:
        chosen = self.selected_people()
        if not chosen:
            return None

        return start_erasure(
            self, self.runner, [p for p, _ in chosen], [n for _, n in chosen], lambda _r: self.after_change()
        )
