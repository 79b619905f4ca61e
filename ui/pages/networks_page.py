"""Networks: their members with roles, statuses, cohorts, groups and every period of membership;
change them, remove members, manage cohorts and groups, export a network (or one cohort or group)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from crm.filters import PersonFilter
from crm.models import MEMBERSHIP_ROLES, MEMBERSHIP_STATUSES
from crm.services import cohorts, networks

from ui import dialogs
from ui.changes import Change
from ui.dialogs import FormDialog
from ui.pages import common
from ui.pages.base import ListPage
from ui.pages.cohorts_dialog import CohortsDialog
from ui.pages.common import (
    Column,
    EmptyState,
    RowsModel,
    fit_columns,
    make_table,
    on_delete_key,
    run_task,
    selected_rows,
    write_undoable,
)
from ui.tasks import TaskContext, TaskRunner


def _label(value: Any) -> str:
    return str(value or "").capitalize()


class NewNetworkDialog(FormDialog):
    """Name, description and whether anyone may join."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("New network", parent, ok_text="Create network")
        self.name = QLineEdit()
        self.name.setAccessibleName("Network name")
        self.description = QPlainTextEdit()
        self.description.setAccessibleName("Description")
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(self.description.fontMetrics().lineSpacing() * 4 + 12)
        self.is_open = QCheckBox("Open network: anyone may join")
        self.is_open.setAccessibleName("Open network")
        self.form.addRow("&Name:", self.name)
        self.form.addRow("&Description:", self.description)
        self.form.addRow("", self.is_open)
        self.ok_button.setEnabled(False)
        self.name.textChanged.connect(lambda text: self.ok_button.setEnabled(bool(text.strip())))


class NetworksPage(ListPage):
    """Networks on the left; the chosen network's members, roles and statuses on the right.

    Signals (besides :class:`~ui.pages.base.ListPage`'s):
        export_requested(object): export these people (a :class:`crm.filters.PersonFilter`).
    """

    export_requested = Signal(object)
    CHANGES = Change(people=True, networks=True)  # memberships changed: the People list is stale

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(runner, parent)
        self._network: tuple[int, str] | None = None
        self._all_members: list[tuple[Any, ...]] = []
        self.active_dialog: QDialog | None = None

        # Networks.
        self.new_button = QPushButton("&New network…")
        self.new_button.setAccessibleName("New network")
        self.model = RowsModel([Column("Network", 1), Column("Members", 2, numeric=True)], self)
        self.table = make_table(self.model, "Networks", multi=False)
        fit_columns(self.table, [26, 8])
        self.list_stack = EmptyState(self.table, "No networks yet — create one with New network.")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list_stack, 1)
        left_layout.addWidget(self.new_button, 0, Qt.AlignmentFlag.AlignLeft)

        # Members.
        self.heading = QLabel()
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setWordWrap(True)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.show_left = QCheckBox("Show people who have &left")
        self.show_left.setAccessibleName("Show people who have left the network")
        self.export_button = QPushButton("E&xport members…")
        self.export_button.setAccessibleName("Export this network's members")
        # Everyone, or one cohort or group of the network.
        self.scope_box = QComboBox()
        self.scope_box.setAccessibleName("Show everyone, or one cohort or group")
        self.scope_box.setMinimumContentsLength(18)
        self.scope_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.cohorts_button = QPushButton("&Cohorts and groups…")
        self.cohorts_button.setAccessibleName("Manage this network's cohorts and groups")
        header_row = QHBoxLayout()
        header_row.addWidget(self.scope_box)
        header_row.addWidget(self.show_left, 1)
        header_row.addWidget(self.cohorts_button)
        header_row.addWidget(self.export_button)
        self.members_model = RowsModel(
            [
                Column("Name", 2),
                Column("Role", 3, formatter=_label),
                Column("Status", 4, formatter=_label),
                Column("Joined", 5),
                Column("Cohort", 6),
                Column("Groups", 7),
                Column("Periods", 8, numeric=True),
            ],
            self,
            tooltip=lambda row, _col: row[9] or None,
        )
        self.members_table = make_table(self.members_model, "Members")
        self.members_table.setSortingEnabled(True)
        # Start in the service's order (by last name); a click on a header sorts by that column.
        self.members_table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        fit_columns(self.members_table, [24, 9, 7, 10, 12, 16, 6])
        self.members_stack = EmptyState(self.members_table, "")
        self.count_label = QLabel()
        # The selected member's periods: joining, leaving and rejoining all show.
        self.history_label = QLabel()
        self.history_label.setWordWrap(True)
        self.history_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.history_label.setAccessibleName("Membership history of the selected member")
        self._cohort_ids: list[int | None] = [None]
        self._group_ids: list[int] = []

        self.role_box = QComboBox()
        self.role_box.addItems([_label(r) for r in MEMBERSHIP_ROLES])
        self.role_box.setAccessibleName("Role for the selected members")
        self.role_button = QPushButton("Set &role")
        self.role_button.setAccessibleName("Set the role of the selected members")
        self.status_box = QComboBox()
        self.status_box.addItems([_label(s) for s in MEMBERSHIP_STATUSES if s != "left"])
        self.status_box.setAccessibleName("Status for the selected members")
        self.status_button = QPushButton("Set &status")
        self.status_button.setAccessibleName("Set the status of the selected members")
        self.remove_button = QPushButton("Re&move from network")
        self.remove_button.setAccessibleName("Remove the selected members from the network")
        self.remove_button.setToolTip("Marks them as having left; their history in the network is kept.")
        actions = QHBoxLayout()
        actions.addWidget(QLabel("Selected:"))
        actions.addWidget(self.role_box)
        actions.addWidget(self.role_button)
        actions.addSpacing(12)
        actions.addWidget(self.status_box)
        actions.addWidget(self.status_button)
        actions.addStretch(1)
        actions.addWidget(self.remove_button)
        self.cohort_box = QComboBox()
        self.cohort_box.setAccessibleName("Cohort for the selected members")
        self.cohort_button = QPushButton("Set c&ohort")
        self.cohort_button.setAccessibleName("Put the selected members in this cohort")
        self.group_box = QComboBox()
        self.group_box.setAccessibleName("Group for the selected members")
        self.add_group_button = QPushButton("Add to &group")
        self.add_group_button.setAccessibleName("Add the selected members to this group")
        self.leave_group_button = QPushButton("Take out of group")
        self.leave_group_button.setAccessibleName("Take the selected members out of this group")
        groups_row = QHBoxLayout()
        groups_row.addWidget(QLabel("Cohort and groups:"))
        groups_row.addWidget(self.cohort_box)
        groups_row.addWidget(self.cohort_button)
        groups_row.addSpacing(12)
        groups_row.addWidget(self.group_box)
        groups_row.addWidget(self.add_group_button)
        groups_row.addWidget(self.leave_group_button)
        groups_row.addStretch(1)

        self.detail = QWidget()
        detail_layout = QVBoxLayout(self.detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.heading)
        detail_layout.addWidget(self.description)
        detail_layout.addLayout(header_row)
        detail_layout.addWidget(self.members_stack, 1)
        detail_layout.addWidget(self.history_label)
        detail_layout.addWidget(self.count_label)
        detail_layout.addLayout(actions)
        detail_layout.addLayout(groups_row)
        self.detail_stack = EmptyState(self.detail, "Choose a network to see its members.")

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail_stack)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([340, 660])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self.table.selectionModel().selectionChanged.connect(self._network_chosen)
        self.members_table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.members_table.activated.connect(
            lambda index: self.person_activated.emit(self.members_model.row_at(index.row())[1])
        )
        self.show_left.toggled.connect(lambda _on: self._show_members())
        self.scope_box.currentIndexChanged.connect(lambda _i: self._show_members())
        self.cohorts_button.clicked.connect(self.open_cohorts)
        self.cohort_button.clicked.connect(self.set_cohort)
        self.add_group_button.clicked.connect(lambda: self.change_group(add=True))
        self.leave_group_button.clicked.connect(lambda: self.change_group(add=False))
        self.new_button.clicked.connect(self.new_network)
        self.export_button.clicked.connect(self.request_export)
        self.role_button.clicked.connect(lambda: self.set_role(self.role_box.currentText()))
        self.status_button.clicked.connect(lambda: self.set_status(self.status_box.currentText()))
        self.remove_button.clicked.connect(self.remove_selected)
        on_delete_key(self.members_table, self.remove_selected)

        for first, second in (
            (self.table, self.new_button),
            (self.new_button, self.show_left),
            (self.show_left, self.export_button),
            (self.export_button, self.members_table),
            (self.members_table, self.role_box),
            (self.role_box, self.role_button),
            (self.role_button, self.status_box),
            (self.status_box, self.status_button),
            (self.status_button, self.remove_button),
            (self.remove_button, self.cohort_box),
            (self.cohort_box, self.cohort_button),
            (self.cohort_button, self.group_box),
            (self.group_box, self.add_group_button),
            (self.add_group_button, self.leave_group_button),
        ):
            QWidget.setTabOrder(first, second)
        self.detail_stack.set_empty(True)
        self._update_buttons()

    # Loading -------------------------------------------------------------------------------

    @property
    def current_network(self) -> tuple[int, str] | None:
        """(id, name) of the network shown, if any."""
        return self._network

    def list_loader(self) -> Callable[[Session], list[tuple[int, str, int]]]:
        return networks.list_networks

    def show_list(self, rows: list[tuple[int, str, int]]) -> None:
        keep = self._network[0] if self._network else None
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        self.model.set_rows(rows)
        selection.blockSignals(False)
        self.list_stack.set_empty(not rows)
        row = self.model.row_of_id(keep) if keep is not None else -1
        if row < 0 and rows and keep is None:
            row = 0  # open the first network rather than show an empty pane
        if row >= 0:
            selection.blockSignals(True)
            self.table.selectRow(row)
            selection.blockSignals(False)
            self._load_members(self.model.id_at(row), self.model.row_at(row)[1])
        else:
            self._network = None
            self.detail_stack.set_empty(True, None if rows else "")
            self._update_buttons()

    def select_network(self, network_id: int) -> None:
        row = self.model.row_of_id(network_id)
        if row >= 0:
            self.table.selectRow(row)

    def _network_chosen(self, *_args: object) -> None:
        rows = selected_rows(self.table)
        if rows:
            self._load_members(self.model.id_at(rows[0]), self.model.row_at(rows[0])[1])

    def _load_members(self, network_id: int, name: str) -> None:
        self._network = (network_id, name)

        def load(session: Session) -> tuple[str | None, list[tuple[Any, ...]], Any, Any]:
            network = networks.get_network(session, network_id)
            extras = cohorts.member_extras(session, network_id)
            rows = []
            for m in networks.members(session, network_id):
                x = extras.get(m[0])
                rows.append(
                    (*m, x.cohort, x.groups, x.periods, x.history, x.cohort_id, x.group_ids)
                    if x
                    else (*m, "", "", 0, "", None, frozenset())
                )
            return (
                network.description,
                rows,
                cohorts.list_cohorts(session, network_id),
                cohorts.list_groups(session, network_id),
            )

        def done(result: tuple[str | None, list[tuple[Any, ...]], Any, Any]) -> None:
            description, members, cohort_rows, group_rows = result
            self._fill_scopes(cohort_rows, group_rows)
            self.heading.setText(name)
            self.description.setText(description or "")
            self.description.setVisible(bool(description))
            self._all_members = members
            self.detail_stack.set_empty(False)
            self._show_members()

        self.load_detail(load, done)

    def _fill_scopes(self, cohort_rows: list[cohorts.CohortRow], group_rows: list[cohorts.GroupRow]) -> None:
        """The cohort and group choices of the network shown (the scope kept when it still exists)."""
        keep = self.scope_box.currentData()
        scopes: list[tuple[str, Any]] = [("Everyone", None)]
        scopes += [(f"Cohort: {c.name}", ("cohort", c.id, c.name)) for c in cohort_rows]
        scopes += [(f"{g.kind.capitalize()}: {g.name}", ("group", g.id, g.name)) for g in group_rows]
        self.scope_box.blockSignals(True)
        self.scope_box.clear()
        for label, data in scopes:
            self.scope_box.addItem(label, data)
        index = next((i for i, (_l, d) in enumerate(scopes) if d == keep), 0)
        self.scope_box.setCurrentIndex(index)
        self.scope_box.blockSignals(False)
        self.scope_box.setEnabled(len(scopes) > 1)
        self.cohort_box.clear()
        self.cohort_box.addItems(["(no cohort)", *[c.name for c in cohort_rows]])
        self._cohort_ids = [None, *[c.id for c in cohort_rows]]
        self.group_box.clear()
        self.group_box.addItems([g.name for g in group_rows])
        self._group_ids = [g.id for g in group_rows]
        self.group_box.setPlaceholderText("(no groups yet)")
        self.group_box.setEnabled(bool(group_rows))
        self.cohort_box.setEnabled(bool(cohort_rows))

    def _in_scope(self, member: tuple[Any, ...]) -> bool:
        scope = self.scope_box.currentData()
        if not scope:
            return True
        kind, scope_id, _name = scope
        return member[10] == scope_id if kind == "cohort" else scope_id in member[11]

    def _show_history(self) -> None:
        chosen = self.selected_members()
        if len(chosen) == 1 and chosen[0][9]:
            m = chosen[0]
            self.history_label.setText(f"{m[2]}: {m[9]}")
        else:
            self.history_label.setText(
                "Select one member to see every period they have belonged." if self._all_members else ""
            )

    def _show_members(self) -> None:
        members = [m for m in self._all_members if self._in_scope(m)]
        shown = members if self.show_left.isChecked() else [m for m in members if m[4] != "left"]
        selected = {self.members_model.id_at(r) for r in selected_rows(self.members_table)}
        header = self.members_table.horizontalHeader()
        self.members_model.set_rows(shown)
        self.members_model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        for row in range(self.members_model.rowCount()):
            if self.members_model.id_at(row) in selected:
                self.members_table.selectionModel().select(
                    self.members_model.index(row, 0),
                    self.members_table.selectionModel().SelectionFlag.Select
                    | self.members_table.selectionModel().SelectionFlag.Rows,
                )
        active = sum(1 for m in members if m[4] == "active")
        left = sum(1 for m in members if m[4] == "left")
        self.count_label.setText(
            f"{len(shown):,} shown · {active:,} active · {len(members) - active - left:,} invited or paused"
            f" · {left:,} left"
        )
        if not members:
            self.members_stack.set_empty(
                True,
                "No members yet. Add people from the People list: select them and choose Add to network.",
            )
        elif not shown:
            self.members_stack.set_empty(
                True, "Everyone in this network has left. Tick “Show people who have left” to see them."
            )
        else:
            self.members_stack.set_empty(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_selection = bool(selected_rows(self.members_table)) and not self.members_stack.is_empty
        for widget in (self.role_button, self.status_button, self.remove_button):
            widget.setEnabled(has_selection)
        self.cohort_button.setEnabled(has_selection and len(self._cohort_ids) > 1)
        for widget in (self.add_group_button, self.leave_group_button):
            widget.setEnabled(has_selection and bool(self._group_ids))
        self.export_button.setEnabled(self._network is not None)
        self.cohorts_button.setEnabled(self._network is not None)
        self._show_history()

    # Actions -------------------------------------------------------------------------------

    def selected_members(self) -> list[tuple[Any, ...]]:
        """Rows (membership id, person id, name, role, status, joined) of the selected members."""
        return [self.members_model.row_at(r) for r in selected_rows(self.members_table)]

    def _write(self, fn: Any, undo_text: str | None = None, reverse: Any = None) -> None:
        """Run ``fn(session)`` as one transaction; with ``reverse``, Edit ▸ Undo can take it back."""
        write_undoable(self, self.runner, fn, changed=self.after_change, undo_text=undo_text, reverse=reverse)

    def set_role(self, role: str) -> None:
        """Give the selected members this role (for example "Champion")."""
        ids = [m[0] for m in self.selected_members()]
        if not ids:
            return
        value = role.lower()

        def change(session: Any) -> None:
            for membership_id in ids:
                networks.update_membership(session, membership_id, role=value)

        old = [(m[0], m[3]) for m in self.selected_members()]

        def change_back(session: Any) -> None:
            for membership_id, previous in old:
                networks.update_membership(session, membership_id, role=previous)

        self._write(change, f"Set role to {role}", change_back)

    def set_status(self, status: str) -> None:
        """Set the selected members' status (active, invited, paused)."""
        if self._network is None:
            return
        network_id = self._network[0]
        person_ids = [m[1] for m in self.selected_members()]
        if not person_ids:
            return
        value = status.lower()
        self._write(
            lambda session: networks.set_status(session, network_id, person_ids, value),
            f"Set status to {status}",
            self._restore_statuses(),
        )

    def remove_selected(self) -> None:
        """Mark the selected members as having left (their history stays)."""
        if self._network is None:
            return
        network_id, name = self._network
        members = self.selected_members()
        if not members:
            return
        who = members[0][2] if len(members) == 1 else f"{len(members)} people"
        if not dialogs.confirm(
            self,
            "Remove from network",
            f"Remove {who} from {name}? They are marked as having left today; "
            "their history in the network is kept.",
        ):
            return
        person_ids = [m[1] for m in members]
        self._write(
            lambda session: networks.set_status(session, network_id, person_ids, "left"),
            f"Remove {who} from {name}",
            self._restore_statuses(),
        )

    def _restore_statuses(self) -> Any:
        """A function that puts the selected members' statuses back as they are now."""
        old = [(m[0], m[4]) for m in self.selected_members()]

        def restore(session: Any) -> None:
            for membership_id, previous in old:
                networks.update_membership(session, membership_id, status=previous)

        return restore

    def request_export(self) -> None:
        if self._network is not None:
            # The members on show: current ones, and those who left only when they are shown; of
            # one cohort or group when one is chosen.
            scope = self.scope_box.currentData()
            self.export_requested.emit(
                PersonFilter(
                    network=self._network[1],
                    current_roles_only=not self.show_left.isChecked(),
                    network_cohort=scope[2] if scope and scope[0] == "cohort" else None,
                    network_group=scope[2] if scope and scope[0] == "group" else None,
                )
            )

    def open_cohorts(self) -> CohortsDialog | None:
        """Manage the network's cohorts and groups; the members reload after each change."""
        if self._network is None:
            return None
        dialog = CohortsDialog(self.runner, self._network[0], self._network[1], self)
        dialog.changed.connect(self.refresh)
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def set_cohort(self) -> None:
        """Put the selected members in the chosen cohort (or in none)."""
        members = self.selected_members()
        if not members or self.cohort_box.currentIndex() < 0:
            return
        cohort_id = self._cohort_ids[self.cohort_box.currentIndex()]
        label = self.cohort_box.currentText()
        old = [(m[0], m[10]) for m in members]

        def change_back(session: Any) -> None:
            for membership_id, previous in old:
                cohorts.set_cohort(session, [membership_id], previous)

        self._write(
            lambda session: cohorts.set_cohort(session, [m[0] for m in members], cohort_id),
            f"Set cohort to {label}",
            change_back,
        )

    def change_group(self, *, add: bool) -> None:
        """Add the selected members to the chosen group, or take them out of it."""
        members = self.selected_members()
        index = self.group_box.currentIndex()
        if not members or index < 0:
            return
        group_id = self._group_ids[index]
        name = self.group_box.currentText()
        ids = [m[0] for m in members]
        outside = [m[0] for m in members if group_id not in m[11]]
        inside = [m[0] for m in members if group_id in m[11]]
        if add:
            self._write(
                lambda session: cohorts.add_to_group(session, group_id, ids),
                f"Add to {name}",
                lambda session: cohorts.remove_from_group(session, group_id, outside),
            )
        else:
            self._write(
                lambda session: cohorts.remove_from_group(session, group_id, ids),
                f"Take out of {name}",
                lambda session: cohorts.add_to_group(session, group_id, inside),
            )

    def new_network(self) -> None:
        dialog = NewNetworkDialog(self)
        if not common.exec_dialog(dialog):
            return
        name = dialog.name.text()
        description = dialog.description.toPlainText().strip() or None
        is_open = dialog.is_open.isChecked()

        def write(ctx: TaskContext) -> tuple[int, str]:
            with ctx.db.transaction() as session:
                network = networks.create_network(session, name, description, is_open=is_open)
                return network.id, network.name

        def done(created: tuple[int, str]) -> None:
            self._network = created  # refresh() then opens it
            self.refresh()

        run_task(self, self.runner, write, on_done=done, write=True)
