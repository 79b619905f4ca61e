"""Duplicates: a review queue of likely duplicate people (or organisations), best first.

Each entry is a group of records that are probably one (two, or more when several records
resemble each other), shown side by side with their differences highlighted and a choice per
differing field. Merge folds the included records into the one marked "Keep"; Not the same
person remembers the pair so it never comes back; Skip moves on. Scans run on the TaskRunner
with progress and Cancel; merges are one transaction each and can be undone (Edit ▸ Undo).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from crm.errors import UserError
from crm.matching.finder import DuplicatePair, find_organisation_duplicates, find_people_duplicates
from crm.models import (
    ORGANISATION_FIELDS,
    PERSON_FIELD_LABELS,
    PERSON_FIELDS,
    ContactPoint,
    Organisation,
    Person,
)
from crm.services import merge as merging

from ui import dialogs
from ui.changes import Change
from ui.pages.base import ListPage
from ui.pages.common import (
    Column,
    EmptyState,
    PageCommand,
    RowsModel,
    fit_columns,
    format_date,
    make_table,
    push_undo,
    report_error,
    run_task,
)
from ui.tasks import Task, TaskContext, TaskRunner

EXPLANATION = (
    "Kindred compares everyone's names, email addresses, phone numbers, addresses and organisations "
    "and lists the records that are probably the same, best match first. Check each one: choose the "
    "value to keep where they differ, then Merge. Nothing is lost: a merge can be undone."
)
# Fields shown side by side (the rest still fill empty fields when merging).
PERSON_SHOWN = (
    "title",
    "first_name",
    "last_name",
    "preferred_name",
    "job_title",
    "email",
    "phone",
    "mobile",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "nation",
    "notes",
    "source",
)
ORG_LABELS = {
    f: f.replace("_", " ").capitalize().replace("line1", "line 1").replace("line2", "line 2")
    for f in ORGANISATION_FIELDS
}


@dataclass
class Group:
    """Records that are probably one: ids in order, the best score and the reasons."""

    ids: list[int]
    score: float
    reasons: list[str]
    pairs: list[DuplicatePair]


def group_pairs(pairs: Sequence[DuplicatePair]) -> list[Group]:
    """Join pairs that share a record into groups (three records of one person are one entry)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        parent[find(p.a)] = find(p.b)
    by_root: dict[int, list[DuplicatePair]] = {}
    for p in pairs:
        by_root.setdefault(find(p.a), []).append(p)
    groups = []
    for members in by_root.values():
        ids = sorted({i for p in members for i in (p.a, p.b)})
        best = max(members, key=lambda p: p.score)
        groups.append(Group(ids, best.score, list(best.reasons), members))
    groups.sort(key=lambda g: (-g.score, g.ids))
    return groups


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value).replace("\n", " ⏎ ")


def load_records(session: Session, entity: str, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The fields shown side by side, by id."""
    out: dict[int, dict[str, Any]] = {}
    if entity == "person":
        for p in session.scalars(select(Person).where(Person.id.in_(list(ids)))):
            values = {f: getattr(p, f) for f in PERSON_FIELDS}
            values["organisation_id"] = p.organisation_id
            values["_organisation"] = p.organisation.name if p.organisation else None
            values["_emails"] = ", ".join(
                session.scalars(
                    select(ContactPoint.value).where(
                        ContactPoint.person_id == p.id,
                        ContactPoint.kind == "email",
                        ContactPoint.preferred.is_(False),
                    )
                )
            )
            values["_title"] = p.display_name
            out[p.id] = values
    else:
        for o in session.scalars(select(Organisation).where(Organisation.id.in_(list(ids)))):
            values = {f: getattr(o, f) for f in ORGANISATION_FIELDS}
            values["_title"] = o.name
            values["_people"] = len(o.people)
            out[o.id] = values
    return out


class Comparison(QWidget):
    """The records of one group side by side: a Keep choice per record, an Include box per
    record, and for each differing field a radio button per value."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setHorizontalSpacing(18)
        self.grid.setVerticalSpacing(6)
        self.entity = "person"
        self.ids: list[int] = []
        self.keep_group = QButtonGroup(self)
        self.keep_buttons: dict[int, QRadioButton] = {}
        self.include: dict[int, QCheckBox] = {}
        self.field_groups: dict[str, QButtonGroup] = {}
        self.field_buttons: dict[str, dict[int, QRadioButton]] = {}

    def clear(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for group in (self.keep_group, *self.field_groups.values()):
            for button in group.buttons():
                group.removeButton(button)
        self.ids = []
        self.keep_buttons = {}
        self.include = {}
        self.field_groups = {}
        self.field_buttons = {}

    def show_records(self, entity: str, records: dict[int, dict[str, Any]], ids: Sequence[int]) -> None:
        self.clear()
        self.entity = entity
        self.ids = [i for i in ids if i in records]
        bold = QFont(self.font())
        bold.setBold(True)
        for col, rid in enumerate(self.ids, start=1):
            title = QLabel(f"{records[rid]['_title']}  ·  id {rid}")
            title.setFont(bold)
            title.setWordWrap(True)
            self.grid.addWidget(title, 0, col)
            keep = QRadioButton("Keep this record")
            keep.setAccessibleName(f"Keep record {rid}")
            self.keep_group.addButton(keep, rid)
            self.keep_buttons[rid] = keep
            include = QCheckBox("Include")
            include.setChecked(True)
            include.setAccessibleName(f"Include record {rid} in the merge")
            include.toggled.connect(lambda _on, r=rid: self._included(r))
            self.include[rid] = include
            box = QHBoxLayout()
            box.addWidget(keep)
            box.addWidget(include)
            box.addStretch(1)
            holder = QWidget()
            holder.setLayout(box)
            box.setContentsMargins(0, 0, 0, 0)
            self.grid.addWidget(holder, 1, col)
        if self.ids:
            # The lowest id is usually the oldest, most linked record: keep it unless told otherwise.
            self.keep_buttons[self.ids[0]].setChecked(True)
        self.keep_group.idToggled.connect(self._keep_changed)
        if entity == "person":
            fields: list[tuple[str, str]] = [(f, PERSON_FIELD_LABELS[f]) for f in PERSON_SHOWN]
            fields.insert(6, ("organisation_id", "Organisation"))
            extra = [("_emails", "Other emails")]
        else:
            fields = [(f, ORG_LABELS[f]) for f in ORGANISATION_FIELDS]
            extra = [("_people", "People")]
        row = 2
        for fname, label in [*fields, *extra]:
            shown = {
                rid: _shown(records[rid].get("_organisation" if fname == "organisation_id" else fname))
                for rid in self.ids
            }
            present = {v for v in shown.values() if v != "—"}
            if not present:
                continue
            name = QLabel(label)
            name.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            self.grid.addWidget(name, row, 0)
            differs = len(set(shown.values())) > 1 and not fname.startswith("_")
            if differs:
                name.setFont(bold)
                group = QButtonGroup(self)
                self.field_groups[fname] = group
                self.field_buttons[fname] = {}
            for col, rid in enumerate(self.ids, start=1):
                if differs:
                    button = QRadioButton(shown[rid])
                    button.setAccessibleName(f"{label}: {shown[rid]} (record {rid})")
                    button.setProperty("differs", True)
                    # Differences stand out: the values that disagree are highlighted.
                    button.setStyleSheet(
                        "QRadioButton { background: palette(alternate-base); padding: 2px; }"
                    )
                    group.addButton(button, rid)
                    self.field_buttons[fname][rid] = button
                    self.grid.addWidget(button, row, col)
                else:
                    value = QLabel(shown[rid])
                    value.setWordWrap(True)
                    value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                    self.grid.addWidget(value, row, col)
            row += 1
        self.grid.setColumnStretch(0, 0)
        for col in range(1, len(self.ids) + 1):
            self.grid.setColumnStretch(col, 1)
        self.grid.setRowStretch(row, 1)
        self._default_choices(records)

    def _default_choices(self, records: dict[int, dict[str, Any]]) -> None:
        """Each differing field starts on the kept record's value, or the first filled one."""
        keep = self.kept_id()
        for fname, buttons in self.field_buttons.items():
            value = records[keep].get(fname) if keep is not None else None
            target = (
                keep
                if value not in (None, "")
                else next((rid for rid in self.ids if records[rid].get(fname) not in (None, "")), keep)
            )
            if target is not None and target in buttons:
                buttons[target].setChecked(True)
        self._records = records

    def _keep_changed(self, rid: int, checked: bool) -> None:
        if checked:
            self.include[rid].setChecked(True)
            self._default_choices(self._records)

    def _included(self, rid: int) -> None:
        on = self.include[rid].isChecked()
        for buttons in self.field_buttons.values():
            if rid in buttons:
                buttons[rid].setEnabled(on)
        self.keep_buttons[rid].setEnabled(on)

    def kept_id(self) -> int | None:
        checked = self.keep_group.checkedId()
        return checked if checked != -1 else None

    def included_ids(self) -> list[int]:
        return [rid for rid in self.ids if self.include[rid].isChecked()]

    def choices(self) -> dict[str, int]:
        """Field → record id whose value to keep, for each field where the records differ."""
        out: dict[str, int] = {}
        included = set(self.included_ids())
        for fname, group in self.field_groups.items():
            rid = group.checkedId()
            if rid != -1 and rid in included:
                out[fname] = rid
        return out


class DuplicatesPage(ListPage):
    """The review queue: its list is a scan of every record, with progress and Cancel.

    Signals (besides :class:`~ui.pages.base.ListPage`'s; ``refreshed`` says a scan is in):
        duplicate_count_changed(int): groups left to review among people (-1: not counted).
        merged(int): a merge was made (its id).
    """

    duplicate_count_changed = Signal(int)
    merged = Signal(int)
    CHANGES = Change(people=True, organisations=True)  # merged records: other lists are stale
    SCAN_LABEL = "Finding duplicates…"

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(runner, parent)
        self.entity = "person"
        self.groups: list[Group] = []
        self._only: list[int] | None = None
        self._asked = False  # a scan or a hand-off has been asked for

        self.explanation = QLabel(EXPLANATION)
        self.explanation.setWordWrap(True)
        self.kind_box = QComboBox()
        self.kind_box.addItem("People", "person")
        self.kind_box.addItem("Organisations", "organisation")
        self.kind_box.setAccessibleName("Kind of record to check")
        self.scan_button = QPushButton("&Find duplicates")
        self.scan_button.setAccessibleName("Find duplicates among everyone")
        self.status = QLabel()
        self.history_button = QPushButton("Merge &history…")
        self.history_button.setAccessibleName("Past merges, and undo one")
        top = QHBoxLayout()
        top.addWidget(QLabel("Check:"))
        top.addWidget(self.kind_box)
        top.addWidget(self.scan_button)
        top.addWidget(self.status, 1)
        top.addWidget(self.history_button)

        # Row: (key, score, names, reasons, group index)
        self.model = RowsModel(
            [
                Column("Match", 1, formatter=lambda s: f"{s:.0%}"),
                Column("Records", 2),
                Column("Why", 3),
            ],
            self,
        )
        self.table = make_table(self.model, "Possible duplicates", multi=False)
        fit_columns(self.table, [6, 24, 30], stretch=2)
        self.queue = EmptyState(self.table, "Press Find duplicates to check everyone.")

        self.comparison = Comparison()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.comparison)
        self.reasons_label = QLabel()
        self.reasons_label.setWordWrap(True)
        self.merge_button = QPushButton("&Merge")
        self.merge_button.setAccessibleName("Merge the included records into the one to keep")
        self.not_same_button = QPushButton("&Not the same person")
        self.not_same_button.setAccessibleName("These records are not the same: never suggest them again")
        self.skip_button = QPushButton("S&kip")
        self.skip_button.setAccessibleName("Skip to the next possible duplicate")
        buttons = QHBoxLayout()
        buttons.addWidget(self.merge_button)
        buttons.addWidget(self.not_same_button)
        buttons.addStretch(1)
        buttons.addWidget(self.skip_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.reasons_label)
        right_layout.addWidget(scroll, 1)
        right_layout.addLayout(buttons)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.queue)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([380, 900])

        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self.scan_button.clicked.connect(lambda: self.scan())
        self.kind_box.currentIndexChanged.connect(lambda _i: self.scan())
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _prev: self._show_group(current.row())
        )
        self.merge_button.clicked.connect(self.merge_current)
        self.not_same_button.clicked.connect(self.not_same_current)
        self.skip_button.clicked.connect(self.skip_current)
        self.history_button.clicked.connect(self.open_history)
        self._set_buttons(False)

    # --- Scanning ------------------------------------------------------------------------------

    # Showing the page does not rescan (a scan of 100,000 people takes a while): it keeps the queue.
    def refresh(self) -> None:  # type: ignore[override]
        """Opening the page shows the last scan; a first visit scans everyone, unless something
        else (one person's duplicates, an import's) was asked for meanwhile."""
        if not self._asked:
            QTimer.singleShot(0, lambda: self.scan() if not self._asked else None)

    def scan(self, only: Sequence[int] | None = None) -> Task[Any]:
        """Find duplicates among everyone (or those involving ``only``), in the background."""
        self._asked = True
        self.entity = self.kind_box.currentData() or "person"
        self._only = list(only) if only is not None else None
        self.status.setText("Looking for duplicates…")
        self.scan_button.setEnabled(False)
        return super().refresh()

    def scan_loader(self) -> Callable[[Session, TaskContext], list[DuplicatePair]]:
        entity, only = self.entity, self._only
        find = find_organisation_duplicates if entity == "organisation" else find_people_duplicates

        def read(session: Session, ctx: TaskContext) -> list[DuplicatePair]:
            return find(
                session,
                only=only,
                progress=lambda done, total: ctx.progress(done, total, "Comparing records…"),
                should_cancel=ctx.should_cancel,
            ).pairs

        return read

    def scan_stopped(self, exc: BaseException | None) -> None:
        self.scan_button.setEnabled(True)
        self.status.setText("" if exc is not None else "Stopped.")
        super().scan_stopped(exc)

    def show_pairs(self, pairs: Sequence[DuplicatePair], entity: str = "person") -> None:
        """Review pairs found elsewhere (the import wizard's hand-off)."""
        self._asked = True
        self.drop_pending()
        index = self.kind_box.findData(entity)
        self.kind_box.blockSignals(True)
        self.kind_box.setCurrentIndex(index)
        self.kind_box.blockSignals(False)
        self.entity = entity
        self.show_list(list(pairs))
        self.refreshed.emit()

    def find_for_person(self, person_id: int) -> None:
        """Duplicates of one person (the person panel's "Find duplicates of this person")."""
        self.kind_box.blockSignals(True)
        self.kind_box.setCurrentIndex(0)
        self.kind_box.blockSignals(False)
        self.scan(only=[person_id])

    def show_list(self, pairs: list[DuplicatePair]) -> None:
        self.scan_button.setEnabled(True)
        self.groups = group_pairs(pairs)
        self._fill_queue()
        if self._only is None:
            self.duplicate_count_changed.emit(len(self.groups) if self.entity == "person" else -1)

    def _fill_queue(self, select: int = 0) -> None:
        ids = sorted({i for g in self.groups for i in g.ids})
        names: dict[int, str] = {}
        entity = self.entity
        if ids:
            with self.runner.db.session() as session:
                names = merging.record_names(session, entity, ids)
        rows = [
            (f"group:{n}", g.score, " · ".join(names.get(i, str(i)) for i in g.ids), "; ".join(g.reasons), n)
            for n, g in enumerate(self.groups)
        ]
        self.model.set_rows(rows)
        n = len(self.groups)
        what = "people" if entity == "person" else "organisations"
        if n:
            self.status.setText(f"{n:,} possible duplicate{'s' if n != 1 else ''} to review")
            self.queue.set_empty(False)
            self.table.selectRow(min(select, n - 1))
            self._show_group(min(select, n - 1))
        else:
            self.status.setText("")
            self.queue.set_empty(True, f"No likely duplicates among the {what}.")
            self.comparison.clear()
            self.reasons_label.setText("")
            self._set_buttons(False)

    def _set_buttons(self, on: bool) -> None:
        for b in (self.merge_button, self.not_same_button, self.skip_button):
            b.setEnabled(on)
        self.not_same_button.setText(
            "&Not the same person" if self.entity == "person" else "&Not the same organisation"
        )

    def current_group(self) -> Group | None:
        row = self.table.currentIndex().row()
        if row < 0 or row >= self.model.rowCount():
            return None
        index: int = self.model.row_at(row)[4]
        return self.groups[index]

    def _show_group(self, row: int) -> None:
        if row < 0 or row >= self.model.rowCount():
            return
        group = self.groups[self.model.row_at(row)[4]]
        with self.runner.db.session() as session:
            records = load_records(session, self.entity, group.ids)
        self.comparison.show_records(self.entity, records, group.ids)
        self.reasons_label.setText(f"<b>{group.score:.0%} match</b>: {'; '.join(group.reasons)}")
        self._set_buttons(len(records) >= 2)

    # --- Actions -------------------------------------------------------------------------------

    def _drop_current(self) -> int:
        row = self.table.currentIndex().row()
        group = self.current_group()
        if group is not None:
            self.groups.remove(group)
        self._fill_queue(max(row, 0))
        return row

    def merge_current(self) -> None:
        """Merge the included records of the shown group into the one to keep."""
        keep = self.comparison.kept_id()
        included = self.comparison.included_ids()
        others = [i for i in included if i != keep]
        if keep is None or not others:
            dialogs.show_info(self, "Merge", "Include at least two records, and choose the one to keep.")
            return
        choices = {f: r for f, r in self.comparison.choices().items() if r != keep}
        entity = self.entity
        holder: dict[str, int] = {}

        def do(session: Session) -> merging.MergeResult:
            result = merging.merge(session, entity, keep, others, choices=choices)
            holder["merge_id"] = result.merge_id
            return result

        def reverse(session: Session) -> object:
            return merging.undo_merge(session, holder["merge_id"])

        def redo(session: Session) -> object:
            return do(session)

        def write(ctx: TaskContext) -> merging.MergeResult:
            from crm.backups import automatic_backup

            automatic_backup(ctx.db, f"before merging {', '.join(str(i) for i in [keep, *others])}")
            with ctx.db.transaction() as session:
                return do(session)

        def done(result: merging.MergeResult) -> None:
            push_undo(
                self,
                PageCommand(self.runner, f"Merge {len(others) + 1} records", redo, reverse, self._changed),
            )
            self._drop_current()
            self._changed()
            self.merged.emit(result.merge_id)

        run_task(self, self.runner, write, on_done=done, write=True)

    def _changed(self) -> None:
        self.data_changed.emit()
        if self._only is None and self.entity == "person":
            self.duplicate_count_changed.emit(len(self.groups))

    def not_same_current(self) -> None:
        """Remember that the shown records are not the same, so they are never suggested again."""
        group = self.current_group()
        if group is None:
            return
        ids = self.comparison.included_ids()
        pairs = [(a, b) for n, a in enumerate(ids) for b in ids[n + 1 :]]
        entity = self.entity

        def write(ctx: TaskContext) -> int:
            with ctx.db.transaction() as session:
                return sum(merging.mark_not_duplicate(session, entity, a, b) for a, b in pairs)

        def done(_n: int) -> None:
            self._drop_current()
            if self._only is None and self.entity == "person":
                self.duplicate_count_changed.emit(len(self.groups))

        run_task(self, self.runner, write, on_done=done, write=True)

    def open_history(self) -> MergeHistoryDialog:
        """Past merges, with Undo merge."""
        dialog = MergeHistoryDialog(self.runner, self)
        dialog.undone.connect(lambda _n: self._changed())
        dialog.open()
        return dialog

    def skip_current(self) -> None:
        """Move on to the next entry; the skipped one goes to the end of the queue."""
        group = self.current_group()
        if group is None or len(self.groups) < 2:
            return
        row = self.table.currentIndex().row()
        self.groups.remove(group)
        self.groups.append(group)
        self._fill_queue(row)


class MergeHistoryDialog(QDialog):
    """Past merges, newest first, and Undo merge (refused, naming why, when later edits conflict)."""

    undone = Signal(int)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Merge history")
        self.runner = runner
        # Row: (merge id, when, kept, merged, moved, state)
        self.model = RowsModel(
            [
                Column("When", 1, formatter=format_date),
                Column("Kept", 2),
                Column("Merged into it", 3),
                Column("Links moved", 4),
                Column("", 5),
            ],
            self,
        )
        self.table = make_table(self.model, "Past merges", multi=False)
        fit_columns(self.table, [16, 22, 30, 26, 10], stretch=2)
        self.undo_button = QPushButton("&Undo merge")
        self.undo_button.setAccessibleName("Undo the selected merge")
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.undo_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(900, 420)
        self.undo_button.clicked.connect(self.undo_selected)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        self.load()

    def load(self) -> None:
        with self.runner.db.session() as session:
            merges = merging.list_merges(session)
        self.model.set_rows(
            [
                (
                    m.id,
                    m.at,
                    f"{m.kept_name} ({m.entity} {m.kept})",
                    ", ".join(m.merged_names),
                    ", ".join(f"{n} {k}" for k, n in m.moved.items()) or "none",
                    "undone" if m.undone_at else "",
                )
                for m in merges
            ]
        )
        self._selected()

    def _selected(self) -> None:
        row = self.table.currentIndex().row()
        ok = 0 <= row < self.model.rowCount() and not self.model.row_at(row)[5]
        self.undo_button.setEnabled(ok)

    def undo_selected(self) -> None:
        row = self.table.currentIndex().row()
        if row < 0:
            return
        merge_id = self.model.row_at(row)[0]

        def write(ctx: TaskContext) -> int:
            with ctx.db.transaction() as session:
                merging.undo_merge(session, merge_id)
            return int(merge_id)

        def done(n: int) -> None:
            self.status.setText(f"Merge {n} was undone: the records are as they were before.")
            self.load()
            self.undone.emit(n)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, UserError):
                self.status.setText(str(exc))
            else:
                report_error(self, exc)

        run_task(self, self.runner, write, on_done=done, on_error=failed, write=True)


def find_for_import(session: Session, person_ids: Sequence[int]) -> list[DuplicatePair]:
    """Pairs of people an import created and people who resemble them (the wizard's hand-off)."""
    if not person_ids:
        return []
    return find_people_duplicates(session, only=person_ids).pairs
