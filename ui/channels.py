"""The channel editor: every email, phone, mobile and postal address of a person or organisation.

A table of the owner's contact points (kind, label, details, which is preferred) with Add, Edit,
Make preferred and Remove. Each change is one transaction through :mod:`crm.services.channels`,
run by the TaskRunner, refused if the record changed since it was shown. Used in the person panel
and on the Organisations page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm.errors import ValidationError
from crm.models import CHANNEL_LABELS, ChannelKind
from crm.services import channels
from crm.services.channels import Channel

from ui import dialogs
from ui.dialogs import FormDialog
from ui.tasks import TaskContext, TaskRunner, emit

_ADDRESS_FIELDS = (
    ("address_line1", "Line &1"),
    ("address_line2", "Line &2"),
    ("address_line3", "Line &3"),
    ("town", "&Town"),
    ("postcode", "&Postcode"),
    ("country", "C&ountry"),
)
_PLACEHOLDERS = {
    "email": "e.g. name@example.org",
    "phone": "e.g. 0131 496 0000",
    "mobile": "e.g. 07700 900000",
}


class ChannelDialog(FormDialog):
    """Add or edit one contact point; the values are checked before the dialog closes."""

    def __init__(
        self, kind: str, parent: QWidget | None, *, organisation: bool, channel: Channel | None = None
    ) -> None:
        what = ChannelKind(kind).label.lower()
        super().__init__(f"Edit {what}" if channel else f"Add {what}", parent)
        self.kind = kind
        self.label_combo = self.combo("&Label", ["", *CHANNEL_LABELS], editable=True)
        self.label_combo.setToolTip("Work, Home, Constituency office… or any short label of your own")
        self.value_edit: QLineEdit | None = None
        self.address_edits: dict[str, QLineEdit] = {}
        if kind == "address":
            for name, label in _ADDRESS_FIELDS:
                if organisation and name == "address_line3":
                    continue  # an organisation's address has two lines (the third joins the second)
                self.address_edits[name] = self.line(label)
        else:
            self.value_edit = self.line(f"&{ChannelKind(kind).label}")
            self.value_edit.setPlaceholderText(_PLACEHOLDERS[kind])
        self.preferred_check = QCheckBox(f"Use as the preferred {what}")
        self.preferred_check.setToolTip("The one lists, letters and exports use")
        if channel is None:
            self.form.addRow("", self.preferred_check)
        if channel is not None:
            self.label_combo.setEditText(channel.label or "")
            if self.value_edit is not None:
                self.value_edit.setText(channel.value or "")
            for name, edit in self.address_edits.items():
                edit.setText(channel.address.get(name) or "")
        (self.value_edit or next(iter(self.address_edits.values()))).setFocus()

    def values(self) -> dict[str, Any]:
        """What was typed: label, value or address."""
        return {
            "label": self.label_combo.currentText(),
            "value": self.value_edit.text() if self.value_edit is not None else None,
            "address": {k: e.text() for k, e in self.address_edits.items()} if self.address_edits else None,
        }

    def problem_text(self) -> str | None:
        typed = self.values()
        try:
            channels.clean_channel(self.kind, typed["value"], typed["address"])
            channels.clean_label(typed["label"])
        except ValidationError as exc:
            return str(exc)
        return None


class ChannelEditor(QWidget):
    """Every contact point of one owner; ``changed(owner_id)`` after each saved change."""

    changed = Signal(int)

    def __init__(self, runner: TaskRunner, owner: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.owner = owner  # "person" or "organisation"
        self.owner_id: int | None = None
        self.version: int | None = None
        self.rows: list[Channel] = []
        self.active_dialog: ChannelDialog | None = None
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Kind", "Label", "Details", "Preferred"])
        self.table.setAccessibleName("Emails, phones and addresses")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for column in (0, 1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _index: self.open_edit())
        self.empty_note = QLabel("No email, phone or address yet.")
        self.empty_note.setWordWrap(True)
        self.locked_note = QLabel("Save or revert the edits above to change these.")
        self.locked_note.setWordWrap(True)
        self.locked_note.hide()

        self.add_button = QPushButton("Add…")
        self.add_button.setAccessibleName("Add an email, phone or address")
        menu = QMenu(self.add_button)
        kinds = [k for k in ChannelKind if not (owner == "organisation" and k is ChannelKind.MOBILE)]
        self.add_actions = {
            k.value: menu.addAction(k.label, functools.partial(self.open_add, k.value)) for k in kinds
        }
        self.add_button.setMenu(menu)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.clicked.connect(self.open_edit)
        self.preferred_button = QPushButton("Make preferred")
        self.preferred_button.setToolTip("Lists, letters and exports use the preferred one of each kind")
        self.preferred_button.clicked.connect(self.make_preferred)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.preferred_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.empty_note)
        layout.addWidget(self.locked_note)
        layout.addLayout(buttons)
        self.show_owner(None, None)

    # --- showing --------------------------------------------------------------------------------

    def show_owner(self, owner_id: int | None, version: int | None) -> None:
        """Show an owner's contact points (``None``: nothing yet, e.g. a person not yet saved)."""
        self.owner_id = owner_id
        self.version = version
        if owner_id is None:
            self.rows = []
        else:
            with self.runner.db.session() as session:
                self.rows = channels.list_channels(session, **{f"{self.owner}_id": owner_id})
        self.table.setRowCount(len(self.rows))
        for r, ch in enumerate(self.rows):
            kind = "Address" if ch.kind == "address" else ch.kind_label  # short: the details need the room
            texts = (kind, ch.label or "", ch.text, "Preferred" if ch.preferred else "")
            for c, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, ch.id)
                if c == 2:
                    item.setToolTip(text)  # a long email is cut short in a narrow panel
                if c == 3 and ch.preferred:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        # As tall as its rows (up to a dozen), so the panel's own scroll bar is the only one.
        shown = min(len(self.rows), 12)
        height = self.table.horizontalHeader().height() + 2 * self.table.frameWidth()
        height += sum(self.table.rowHeight(r) for r in range(shown))
        self.table.setFixedHeight(max(height, self.table.horizontalHeader().height() + 8))
        self.table.setVisible(bool(self.rows))
        self.empty_note.setVisible(not self.rows and owner_id is not None)
        if owner_id is None:
            self.empty_note.setText(
                "Save the new record first, then add further emails, phones and addresses."
            )
            self.empty_note.show()
        else:
            self.empty_note.setText("No email, phone or address yet.")
        self._update_buttons()

    def set_locked(self, locked: bool) -> None:
        """While the form above has unsaved edits, channels are not changed (one change at a time)."""
        self.locked_note.setVisible(locked and self.owner_id is not None)
        self.setProperty("locked", locked)
        self._update_buttons()

    def selected(self) -> Channel | None:
        row = self.table.currentRow()
        if row < 0 or row >= len(self.rows) or not self.table.selectionModel().hasSelection():
            return None
        return self.rows[row]

    def _update_buttons(self) -> None:
        usable = self.owner_id is not None and not self.property("locked")
        chosen = self.selected()
        self.add_button.setEnabled(usable)
        self.edit_button.setEnabled(usable and chosen is not None)
        self.remove_button.setEnabled(usable and chosen is not None)
        self.preferred_button.setEnabled(usable and chosen is not None and not chosen.preferred)

    # --- changing -------------------------------------------------------------------------------

    def _run(self, change: Callable[[Any], Any]) -> None:
        owner_id = self.owner_id
        assert owner_id is not None

        def work(ctx: TaskContext) -> None:
            with ctx.db.transaction() as session:
                change(session)

        def done(_result: None) -> None:
            emit(self.changed, owner_id)

        self.runner.run(work, on_done=done, parent_widget=self, write=True)

    def _owner_args(self) -> dict[str, Any]:
        return {f"{self.owner}_id": self.owner_id, "expected_version": self.version}

    def open_add(self, kind: str) -> ChannelDialog:
        dialog = ChannelDialog(kind, self, organisation=self.owner == "organisation")
        args = self._owner_args()

        def accept() -> None:
            typed = dialog.values()
            preferred = dialog.preferred_check.isChecked()
            self._run(lambda s: channels.add_channel(s, kind=kind, preferred=preferred, **typed, **args))

        return self._open(dialog, accept)

    def open_edit(self) -> ChannelDialog | None:
        chosen = self.selected()
        if chosen is None or not self.edit_button.isEnabled():
            return None
        dialog = ChannelDialog(chosen.kind, self, organisation=self.owner == "organisation", channel=chosen)
        version = self.version

        def accept() -> None:
            typed = dialog.values()
            self._run(lambda s: channels.update_channel(s, chosen.id, expected_version=version, **typed))

        return self._open(dialog, accept)

    def make_preferred(self) -> None:
        chosen = self.selected()
        if chosen is None:
            dialogs.show_info(self, "Kindred", "Select an email, phone or address first.")
            return
        version = self.version
        self._run(lambda s: channels.make_preferred(s, chosen.id, expected_version=version))

    def remove(self) -> None:
        chosen = self.selected()
        if chosen is None:
            dialogs.show_info(self, "Kindred", "Select an email, phone or address first.")
            return
        version = self.version
        self._run(lambda s: channels.remove_channel(s, chosen.id, expected_version=version))

    def _open(self, dialog: ChannelDialog, on_accept: Callable[[], None]) -> ChannelDialog:
        self.active_dialog = dialog
        dialog.accepted.connect(on_accept)
        dialog.open()
        return dialog
