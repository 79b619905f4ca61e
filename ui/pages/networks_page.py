"""Networks: their members with roles and statuses; change them, remove members, export a network."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
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
from crm.services import networks

from ui import dialogs
from ui.changes import Change, announce_on
from ui.pages import common
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


class NewNetworkDialog(QDialog):
    """Name, description and whether anyone may join."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New network")
        self.name = QLineEdit()
        self.name.setAccessibleName("Network name")
        self.description = QPlainTextEdit()
        self.description.setAccessibleName("Description")
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(self.description.fontMetrics().lineSpacing() * 4 + 12)
        self.is_open = QCheckBox("Open network: anyone may join")
        self.is_open.setAccessibleName("Open network")
        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("&Description:", self.description)
        form.addRow("", self.is_open)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create network")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setEnabled(False)
        self.name.textChanged.connect(lambda text: self.ok_button.setEnabled(bool(text.strip())))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)


class NetworksPage(QWidget):
    """Networks on the left; the chosen network's members, roles and statuses on the right."""

    person_activated = Signal(int)
    export_requested = Signal(object)  # a crm.filters.PersonFilter
    refreshed = Signal()
    data_changed = Signal()  # memberships changed: the People list is stale

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        announce_on(self.data_changed, parent, Change(people=True, networks=True))
        self.runner = runner
        self._generation = 0
        self._members_generation = 0
        self._network: tuple[int, str] | None = None
        self._all_members: list[tuple[Any, ...]] = []

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
        header_row = QHBoxLayout()
        header_row.addWidget(self.show_left, 1)
        header_row.addWidget(self.export_button)
        self.members_model = RowsModel(
            [
                Column("Name", 2),
                Column("Role", 3, formatter=_label),
                Column("Status", 4, formatter=_label),
                Column("Joined", 5),
            ],
            self,
        )
        self.members_table = make_table(self.members_model, "Members")
        self.members_table.setSortingEnabled(True)
        # Start in the service's order (by last name); a click on a header sorts by that column.
        self.members_table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        fit_columns(self.members_table, [24, 12, 10, 12])
        self.members_stack = EmptyState(self.members_table, "")
        self.count_label = QLabel()

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

        self.detail = QWidget()
        detail_layout = QVBoxLayout(self.detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.heading)
        detail_layout.addWidget(self.description)
        detail_layout.addLayout(header_row)
        detail_layout.addWidget(self.members_stack, 1)
        detail_layout.addWidget(self.count_label)
        detail_layout.addLayout(actions)
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
        ):
            QWidget.setTabOrder(first, second)
        self.detail_stack.set_empty(True)
        self._update_buttons()

    # Loading -------------------------------------------------------------------------------

    @property
    def current_network(self) -> tuple[int, str] | None:
        """(id, name) of the network shown, if any."""
        return self._network

    def refresh(self) -> None:
        """Reload the networks and the members of the one shown."""
        self._generation += 1
        generation = self._generation

        def load(ctx: TaskContext) -> list[tuple[int, str, int]]:
            with ctx.db.session() as session:
                return networks.list_networks(session)

        run_task(self, self.runner, load, on_done=lambda rows: self._loaded(generation, rows))

    def _loaded(self, generation: int, rows: list[tuple[int, str, int]]) -> None:
        if generation != self._generation:
            return
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
            self.refreshed.emit()

    def select_network(self, network_id: int) -> None:
        row = self.model.row_of_id(network_id)
        if row >= 0:
            self.table.selectRow(row)

    def _network_chosen(self, *_args: object) -> None:
        rows = selected_rows(self.table)
        if rows:
            self._load_members(self.model.id_at(rows[0]), self.model.row_at(rows[0])[1])

    def _load_members(self, network_id: int, name: str) -> None:
        self._members_generation += 1
        generation = self._members_generation
        self._network = (network_id, name)

        def load(ctx: TaskContext) -> tuple[str | None, list[tuple[Any, ...]]]:
            with ctx.db.session() as session:
                network = networks.get_network(session, network_id)
                return network.description, networks.members(session, network_id)

        def done(result: tuple[str | None, list[tuple[Any, ...]]]) -> None:
            if generation != self._members_generation:
                return
            description, members = result
            self.heading.setText(name)
            self.description.setText(description or "")
            self.description.setVisible(bool(description))
            self._all_members = members
            self.detail_stack.set_empty(False)
            self._show_members()
            self.refreshed.emit()

        run_task(self, self.runner, load, on_done=done)

    def _show_members(self) -> None:
        members = self._all_members
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
        self.export_button.setEnabled(self._network is not None)

    # Actions -------------------------------------------------------------------------------

    def selected_members(self) -> list[tuple[Any, ...]]:
        """Rows (membership id, person id, name, role, status, joined) of the selected members."""
        return [self.members_model.row_at(r) for r in selected_rows(self.members_table)]

    def _write(self, fn: Any, undo_text: str | None = None, reverse: Any = None) -> None:
        """Run ``fn(session)`` as one transaction; with ``reverse``, Edit ▸ Undo can take it back."""

        def changed() -> None:
            self.data_changed.emit()
            self.refresh()

        write_undoable(self, self.runner, fn, changed=changed, undo_text=undo_text, reverse=reverse)

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
            # The members on show: current ones, and those who left only when they are shown.
            self.export_requested.emit(
                PersonFilter(network=self._network[1], current_roles_only=not self.show_left.isChecked())
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
