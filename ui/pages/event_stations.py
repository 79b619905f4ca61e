"""An event's stations, workshops and breakout rooms, and its follow-ups, on the Events page.

The dialogs here ask for a part's details, a note and a follow-up; the two panels show the parts
with who was at each, and the follow-ups made from the event's notes. The Events page owns the
data and the writes: the panels only show what it loaded and say what the user asked for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from crm.models import EventPartKind
from crm.services.event_parts import KIND_LABELS, FollowUpRow, PartRow, Placement

from ui import preferences
from ui.dialogs import FormDialog
from ui.pages.common import Column, EmptyState, RowsModel, fit_columns, format_date, make_table, selected_rows


def kind_label(value: Any) -> str:
    return KIND_LABELS.get(str(value), str(value or ""))


def _text_box(text: str | None, name: str, lines: int) -> QPlainTextEdit:
    box = QPlainTextEdit(text or "")
    box.setAccessibleName(name)
    box.setTabChangesFocus(True)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 12)
    return box


class PartDialog(FormDialog):
    """Add or edit a station, workshop or breakout room: name, kind, topic, host and notes."""

    def __init__(self, values: dict[str, Any] | None = None, parent: QWidget | None = None) -> None:
        values = values or {}
        super().__init__(
            "Edit station" if values else "Add a station, workshop or room",
            parent,
            ok_text="Save" if values else "Add",
            min_width=460,
        )
        self.name = QLineEdit(values.get("name") or "")
        self.name.setAccessibleName("Name")
        self.name.setPlaceholderText("e.g. Food poverty")
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind")
        for kind in EventPartKind:
            self.kind.addItem(KIND_LABELS[kind.value], kind.value)
        self.kind.setCurrentIndex(
            max(0, self.kind.findData(values.get("kind") or EventPartKind.STATION.value))
        )
        self.topic = QLineEdit(values.get("topic") or "")
        self.topic.setAccessibleName("Topic")
        self.host = QLineEdit(values.get("host") or "")
        self.host.setAccessibleName("Host")
        self.host.setPlaceholderText("Who ran it")
        self.notes = _text_box(values.get("notes"), "Notes on the station", 5)
        self.form.addRow("&Name:", self.name)
        self.form.addRow("&Kind:", self.kind)
        self.form.addRow("&Topic:", self.topic)
        self.form.addRow("&Host:", self.host)
        self.form.addRow("N&otes:", self.notes)

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.text().strip(),
            "kind": self.kind.currentData(),
            "topic": self.topic.text().strip() or None,
            "host": self.host.text().strip() or None,
            "notes": self.notes.toPlainText().strip() or None,
        }

    def problem_text(self) -> str | None:
        return None if self.values()["name"] else "Give it a name, such as “Food poverty”."


class NoteDialog(FormDialog):
    """Edit one note: an attendee's notes for the event, or what someone said at a station."""

    def __init__(self, title: str, about: str, text: str | None, parent: QWidget | None = None) -> None:
        super().__init__(title, parent, about, ok_text="Save note", min_width=460)
        self.text = _text_box(text, title, 8)
        self.form.addRow(self.text)

    def value(self) -> str | None:
        return self.text.toPlainText().strip() or None


class FollowUpDialog(FormDialog):
    """A follow-up from a note: who, when it is due, what to do (the note) and who owns it."""

    def __init__(
        self, people: list[str], where: str, text: str | None, parent: QWidget | None = None
    ) -> None:
        shown = ", ".join(people[:4]) + (f" and {len(people) - 4} more" if len(people) > 4 else "")
        super().__init__(
            "Follow up",
            parent,
            f"A follow-up from {where}, with {shown or 'no one'}.",
            ok_text="Create follow-up",
            min_width=480,
        )
        self.due = QDateEdit()
        self.due.setAccessibleName("Due on")
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat(preferences.qt_date_format())
        soon = dt.date.today() + dt.timedelta(days=14)
        self.due.setDate(QDate(soon.year, soon.month, soon.day))
        self.text = _text_box(text, "What to follow up", 6)
        self.owner = QLineEdit()
        self.owner.setAccessibleName("Owner")
        self.owner.setPlaceholderText("Who will do it (optional)")
        self.form.addRow("&Due on:", self.due)
        self.form.addRow("&What:", self.text)
        self.form.addRow("&Owner:", self.owner)

    def values(self) -> dict[str, Any]:
        due = self.due.date()
        return {
            "due": dt.date(due.year(), due.month(), due.day()),
            "text": self.text.toPlainText().strip(),
            "owner": self.owner.text().strip() or None,
        }

    def problem_text(self) -> str | None:
        return None if self.values()["text"] else "Say what to follow up: the note is the follow-up's text."


class StationsPanel(QWidget):
    """The event's parts on the left; who was at the chosen one, with their notes, on the right."""

    add_requested = Signal()
    edit_requested = Signal(int)  # part id
    remove_requested = Signal(int)
    place_requested = Signal(int)
    unplace_requested = Signal(int, object)  # part id, person ids
    note_requested = Signal(int, int)  # part id, person id
    follow_up_requested = Signal(int, object)  # part id, person ids (empty: from the station's notes)
    export_requested = Signal(int)
    person_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parts: list[PartRow] = []
        self._placements: list[Placement] = []
        # Name and head count only: the kind, topic, host and notes show beside, for the chosen one.
        self.parts_model = RowsModel(
            [Column("Station", 1), Column("People", 4, numeric=True)],
            self,
            tooltip=lambda row, _col: "\n".join(
                x
                for x in (
                    row[1],
                    kind_label(row[2]),
                    row[3] and f"Host: {row[3]}",
                    row[5] and f"Topic: {row[5]}",
                )
                if x
            ),
        )
        self.parts_table = make_table(self.parts_model, "Stations, workshops and rooms", multi=False)
        fit_columns(self.parts_table, [26, 6], stretch=0)
        self.parts_stack = EmptyState(
            self.parts_table, "No stations yet — add the event's stations, workshops or breakout rooms."
        )
        self.add_button = QPushButton("Add &station…")
        self.add_button.setAccessibleName("Add a station, workshop or breakout room")
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setAccessibleName("Edit the selected station")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove the selected station")
        part_buttons = QHBoxLayout()
        part_buttons.addWidget(self.add_button)
        part_buttons.addWidget(self.edit_button)
        part_buttons.addStretch(1)
        part_buttons.addWidget(self.remove_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.parts_stack, 1)
        left_layout.addLayout(part_buttons)

        self.part_heading = QLabel()
        font = self.part_heading.font()
        font.setBold(True)
        self.part_heading.setFont(font)
        self.part_heading.setWordWrap(True)
        self.part_about = QLabel()
        self.part_about.setWordWrap(True)
        self.part_about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Notes stay on one line (resizing rows to wrapped text is slow for a big station); the
        # tooltip and Edit note show them whole.
        self.people_model = RowsModel(
            [Column("Name", 2), Column("Notes", 3)], self, tooltip=lambda row, _c: row[3]
        )
        self.people_table = make_table(self.people_model, "People at the station")
        self.people_table.setSortingEnabled(True)
        self.people_table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        fit_columns(self.people_table, [18, 30], stretch=1)
        self.people_stack = EmptyState(self.people_table, "")
        self.place_button = QPushButton("&Place people…")
        self.place_button.setAccessibleName("Place people at the selected station")
        self.note_button = QPushButton("Edit &note…")
        self.note_button.setAccessibleName("Edit what the selected person said here")
        self.unplace_button = QPushButton("Take off")
        self.unplace_button.setAccessibleName("Take the selected people off the station")
        self.follow_button = QPushButton("&Follow up…")
        self.follow_button.setAccessibleName("Create a follow-up from the note")
        self.export_button = QPushButton("E&xport…")
        self.export_button.setAccessibleName("Export the people at the station")
        # Two rows of buttons, so the tab fits beside the events list at 1280×800.
        people_buttons = QHBoxLayout()
        people_buttons.addWidget(self.place_button)
        people_buttons.addStretch(1)
        people_buttons.addWidget(self.unplace_button)
        note_buttons = QHBoxLayout()
        for button in (self.note_button, self.follow_button, self.export_button):
            note_buttons.addWidget(button)
        note_buttons.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.part_heading)
        right_layout.addWidget(self.part_about)
        right_layout.addWidget(self.people_stack, 1)
        right_layout.addLayout(people_buttons)
        right_layout.addLayout(note_buttons)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, 500])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.parts_table.selectionModel().selectionChanged.connect(lambda *_a: self._show_part())
        self.parts_table.activated.connect(lambda _i: self._emit_part(self.edit_requested))
        self.people_table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.people_table.activated.connect(
            lambda index: self.person_activated.emit(self.people_model.row_at(index.row())[1])
        )
        self.add_button.clicked.connect(self.add_requested)
        self.edit_button.clicked.connect(lambda: self._emit_part(self.edit_requested))
        self.remove_button.clicked.connect(lambda: self._emit_part(self.remove_requested))
        self.place_button.clicked.connect(lambda: self._emit_part(self.place_requested))
        self.export_button.clicked.connect(lambda: self._emit_part(self.export_requested))
        self.note_button.clicked.connect(self._note)
        self.unplace_button.clicked.connect(lambda: self._emit_people(self.unplace_requested))
        self.follow_button.clicked.connect(lambda: self._emit_people(self.follow_up_requested))
        self._update_buttons()

    @property
    def current_part_id(self) -> int | None:
        rows = selected_rows(self.parts_table)
        return self.parts_model.id_at(rows[0]) if rows else None

    def current_part(self) -> PartRow | None:
        part_id = self.current_part_id
        return next((p for p in self._parts if p.id == part_id), None)

    def selected_people(self) -> list[int]:
        return [self.people_model.row_at(r)[1] for r in selected_rows(self.people_table)]

    def placement(self, part_id: int, person_id: int) -> Placement | None:
        return next((p for p in self._placements if p.part_id == part_id and p.person_id == person_id), None)

    def _emit_part(self, signal: Any) -> None:
        if self.current_part_id is not None:
            signal.emit(self.current_part_id)

    def _emit_people(self, signal: Any) -> None:
        if self.current_part_id is not None:
            signal.emit(self.current_part_id, self.selected_people())

    def _note(self) -> None:
        people = self.selected_people()
        if self.current_part_id is not None and len(people) == 1:
            self.note_requested.emit(self.current_part_id, people[0])

    def set_data(self, parts: list[PartRow], placements: list[Placement]) -> None:
        """Show these parts and placements, keeping the chosen part (or choosing the first)."""
        keep = self.current_part_id
        self._parts, self._placements = parts, placements
        selection = self.parts_table.selectionModel()
        selection.blockSignals(True)
        self.parts_model.set_rows([(p.id, p.name, p.kind, p.host, p.placed, p.topic, p.notes) for p in parts])
        row = self.parts_model.row_of_id(keep) if keep is not None else -1
        if row < 0 and parts:
            row = 0
        if row >= 0:
            self.parts_table.selectRow(row)
        selection.blockSignals(False)
        self.parts_stack.set_empty(not parts)
        self._show_part()

    def _show_part(self) -> None:
        part = self.current_part()
        selected = set(self.selected_people())
        if part is None:
            self.part_heading.setText("")
            self.part_about.setText("")
            self.people_model.set_rows([])
            self.people_stack.set_empty(True, "Choose a station to see who was there." if self._parts else "")
            self._update_buttons()
            return
        self.part_heading.setText(f"{kind_label(part.kind)}: {part.name}")
        about = []
        if part.topic:
            about.append(f"Topic: {part.topic}")
        if part.host:
            about.append(f"Host: {part.host}")
        if part.notes:
            about.append(f"Notes: {part.notes}")
        self.part_about.setText("\n".join(about))
        self.part_about.setVisible(bool(about))
        rows = [(p.part_id, p.person_id, p.name, p.notes) for p in self._placements if p.part_id == part.id]
        header = self.people_table.horizontalHeader()
        self.people_model.set_rows(rows)
        self.people_model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        selection = self.people_table.selectionModel()
        for r in range(self.people_model.rowCount()):
            if self.people_model.row_at(r)[1] in selected:
                selection.select(
                    self.people_model.index(r, 0),
                    selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                )
        self.people_stack.set_empty(
            not rows, f"No one placed at “{part.name}” yet — select people and choose Place people."
        )
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_part = self.current_part_id is not None
        people = self.selected_people() if has_part else []
        self.edit_button.setEnabled(has_part)
        self.remove_button.setEnabled(has_part)
        self.place_button.setEnabled(has_part)
        self.export_button.setEnabled(has_part and self.people_model.rowCount() > 0)
        self.note_button.setEnabled(len(people) == 1)
        self.unplace_button.setEnabled(bool(people))
        part = self.current_part()
        # A follow-up comes from the selected people's notes there, or from the station's own notes.
        self.follow_button.setEnabled(bool(people) or bool(part and part.notes))


class FollowUpsPanel(QWidget):
    """The event's follow-ups: due date, what, with whom, and whether done."""

    done_requested = Signal(object)  # interaction ids

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RowsModel(
            [
                Column("Due", 1, formatter=format_date),
                Column("Follow-up", 3),
                Column("With", 5),
                Column("Done", 2, formatter=lambda v: "Done" if v else ""),
            ],
            self,
            tooltip=lambda row, _col: row[4],
        )
        self.table = make_table(self.model, "Follow-ups of the event")
        fit_columns(self.table, [10, 34, 20, 6], stretch=1)
        self.stack = EmptyState(
            self.table, "No follow-ups yet — make one from an attendee’s or a station’s note with Follow up."
        )
        self.done_button = QPushButton("&Mark done")
        self.done_button.setAccessibleName("Mark the selected follow-ups done")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.done_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.done_button.clicked.connect(
            lambda: self.done_requested.emit([self.model.id_at(r) for r in selected_rows(self.table)])
        )
        self._update_buttons()

    def set_rows(self, rows: list[FollowUpRow]) -> None:
        self.model.set_rows([(r.id, r.due, r.done, r.subject, r.notes, r.people) for r in rows])
        self.stack.set_empty(not rows)
        self._update_buttons()

    def _update_buttons(self) -> None:
        rows = selected_rows(self.table)
        self.done_button.setEnabled(any(not self.model.row_at(r)[2] for r in rows))
