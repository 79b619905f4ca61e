"""Representatives: a chamber's current members by party and constituency or region, counts per
party, former members on request, and "Update representatives…" from an official roster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from crm.filters import PersonFilter
from crm.roster import chambers, current

from ui.changes import Change
from ui.pages.base import ListPage
from ui.pages.common import Column, EmptyState, RowsModel, fit_columns, format_date, make_table
from ui.tasks import TaskRunner

EXPLANATION = (
    "Members of each parliament and council as Kindred knows them. Keep them current with "
    "“Update representatives…”: pick an official list and see what changes before anything does."
)


class RepresentativesPage(ListPage):
    """Chamber chooser, counts per party, and the members of the chosen chamber.

    The list is the chambers; the detail, the chosen chamber's members.

    Signals (besides :class:`~ui.pages.base.ListPage`'s):
        export_requested(PersonFilter): export the members shown.
    """

    export_requested = Signal(object)  # a crm.filters.PersonFilter
    CHANGES = Change(people=True)  # a roster update changed people and roles

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(runner, parent)
        self._members: list[current.Representative] = []
        self.dialog: QWidget | None = None

        self.explanation = QLabel(EXPLANATION)
        self.explanation.setWordWrap(True)
        self.chamber_box = QComboBox()
        self.chamber_box.setAccessibleName("Parliament or council")
        self.chamber_box.setMinimumContentsLength(24)
        self.show_former = QCheckBox("Show &former members")
        self.show_former.setAccessibleName("Show former members as well")
        self.update_button = QPushButton("&Update representatives…")
        self.update_button.setAccessibleName("Update representatives from a roster file")
        self.export_button = QPushButton("&Export…")
        self.export_button.setAccessibleName("Export the members shown")
        top = QHBoxLayout()
        top.addWidget(QLabel("Chamber:"))
        top.addWidget(self.chamber_box)
        top.addWidget(self.show_former)
        top.addStretch(1)
        top.addWidget(self.export_button)
        top.addWidget(self.update_button)

        # Parties: (party, current members).
        self.party_model = RowsModel([Column("Party", 0), Column("Members", 1, numeric=True)], self)
        self.party_table = make_table(self.party_model, "Current members per party", multi=False)
        self.party_table.setSortingEnabled(True)
        self.party_table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        fit_columns(self.party_table, [24, 8], stretch=0)
        # Members: (person id, name, party, seat, kind, since, until, email, status).
        self.model = RowsModel(
            [
                Column("Name", 1),
                Column("Party", 2),
                Column("Constituency or region", 3),
                Column("Since", 5, formatter=format_date),
                Column("Until", 6, formatter=format_date),
                Column("Status", 8),
                Column("Email", 7),
            ],
            self,
        )
        self.table = make_table(self.model, "Members")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # by party, as a chamber is read
        fit_columns(self.table, [18, 20, 24, 10, 10, 11, 24], stretch=6)
        self.stack = EmptyState(self.table, "")
        self.count_label = QLabel()
        self.count_label.setAccessibleName("Number of members")

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.party_table)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([250, 1000])
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.count_label)

        self.chamber_box.currentIndexChanged.connect(lambda _i: self._load_members())
        self.show_former.toggled.connect(lambda _on: self._load_members())
        self.update_button.clicked.connect(self.open_update)
        self.export_button.clicked.connect(self.request_export)
        self.table.activated.connect(lambda index: self.person_activated.emit(self.model.id_at(index.row())))
        QWidget.setTabOrder(self.chamber_box, self.show_former)
        QWidget.setTabOrder(self.show_former, self.export_button)
        QWidget.setTabOrder(self.export_button, self.update_button)
        QWidget.setTabOrder(self.update_button, self.party_table)
        QWidget.setTabOrder(self.party_table, self.table)

    @property
    def chamber(self) -> str | None:
        value = self.chamber_box.currentData()
        return str(value) if value else None

    def list_loader(self) -> Callable[[Session], list[tuple[str, int]]]:
        """The chambers with their member counts (the chosen chamber's members follow)."""
        return current.chamber_counts

    def show_list(self, rows: list[tuple[str, int]]) -> None:
        chosen = self.chamber
        known = {c for c, _n in rows}
        items = list(rows) + [
            (c, 0) for c in ("Scottish Parliament", "Senedd", "House of Commons") if c not in known
        ]
        self.chamber_box.blockSignals(True)
        self.chamber_box.clear()
        for chamber, n in items:
            self.chamber_box.addItem(f"{chamber} ({n:,})", chamber)
        index = self.chamber_box.findData(chosen) if chosen else -1
        self.chamber_box.setCurrentIndex(max(index, 0))
        self.chamber_box.blockSignals(False)
        self._load_members()

    def select_chamber(self, chamber: str) -> None:
        index = self.chamber_box.findData(chamber)
        if index >= 0:
            self.chamber_box.setCurrentIndex(index)

    def _load_members(self) -> None:
        chamber = self.chamber
        if chamber is None:
            return
        include_former = self.show_former.isChecked()
        self.load_detail(
            lambda session: current.representatives(session, chamber, include_former=include_former),
            lambda members: self._members_loaded(chamber, members),
        )

    def _members_loaded(self, chamber: str, members: list[current.Representative]) -> None:
        self._members = members
        noun = chambers.MEMBER_NOUN.get(chambers.chamber_kind(chamber), "member")
        rows = [
            (
                m.person_id,
                m.name,
                m.party,
                f"{m.seat} (region)" if m.kind == "region" else m.seat,
                m.kind,
                m.start_date,
                None if m.current else m.end_date,
                m.email or "",
                noun if m.current else chambers.former_label(chambers.chamber_kind(chamber)),
            )
            for m in members
        ]
        header = self.table.horizontalHeader()
        self.model.set_rows(rows)
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        counts = current.party_counts(members)
        self.party_model.set_rows(counts)
        n_current = sum(1 for m in members if m.current)
        n_former = len(members) - n_current
        text = f"{n_current:,} current {noun}{'s' if n_current != 1 else ''} in {len(counts):,} parties"
        if self.show_former.isChecked():
            text += f" · {n_former:,} former shown"
        self.count_label.setText(text)
        if members:
            self.stack.set_empty(False)
        else:
            self.stack.set_empty(
                True,
                f"No {'members' if self.show_former.isChecked() else 'current members'} of the {chamber} in Kindred. "
                "Use “Update representatives…” with an official list to bring them in.",
            )

    def shown_names(self) -> list[str]:
        return [str(self.model.row_at(r)[1]) for r in range(self.model.rowCount())]

    def request_export(self) -> None:
        """Export the chamber's members as shown: current ones, former too when shown."""
        if self.chamber:
            self.export_requested.emit(
                PersonFilter(chamber=self.chamber, current_roles_only=not self.show_former.isChecked())
            )

    def open_update(self) -> Any:
        """The "Update representatives…" dialog; the page reloads after a change."""
        from ui.roster_dialog import RosterDialog

        dialog = RosterDialog(self.runner, self)
        dialog.data_changed.connect(self.after_change)
        self.dialog = dialog
        dialog.open()
        return dialog
