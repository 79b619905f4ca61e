"""Events and their attendance: create and edit events, add attendees, mark who came."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm import filters
from crm.filters import PersonFilter
from crm.models import AttendanceStatus
from crm.services import event_parts, events, interactions, networks, views

from ui import dialogs, preferences
from ui.changes import Change
from ui.dialogs import FormDialog
from ui.pages import common
from ui.pages.base import ListPage
from ui.pages.common import (
    Column,
    EmptyState,
    PageCommand,
    RowsModel,
    fit_columns,
    format_date,
    make_table,
    on_delete_key,
    push_undo,
    run_task,
    selected_rows,
    write_undoable,
)
from ui.pages.event_stations import FollowUpDialog, FollowUpsPanel, NoteDialog, PartDialog, StationsPanel
from ui.pages.person_picker import PersonPickerDialog
from ui.tasks import TaskContext, TaskRunner

EventParts = tuple[list[event_parts.PartRow], list[event_parts.Placement], list[event_parts.FollowUpRow]]

STATUS_LABELS: dict[str, str] = {
    AttendanceStatus.INVITED.value: "Invited",
    AttendanceStatus.REGISTERED.value: "Registered",
    AttendanceStatus.ATTENDED.value: "Attended",
    AttendanceStatus.APOLOGIES.value: "Apologies",
    AttendanceStatus.NO_SHOW.value: "No-show",
}


def status_label(value: Any) -> str:
    return STATUS_LABELS.get(str(value), str(value or ""))


def _to_qdate(value: dt.date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _from_qdate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


class EventDialog(FormDialog):
    """Create or edit an event: name, dates, place, description and the network it belongs to."""

    def __init__(
        self,
        network_choices: list[tuple[int, str]],
        values: dict[str, Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        values = values or {}
        super().__init__(
            "Edit event" if values else "New event",
            parent,
            ok_text="Save event" if values else "Create event",
            min_width=480,
        )
        self.name = QLineEdit(values.get("name") or "")
        self.name.setAccessibleName("Event name")
        self.starts_on = QDateEdit()
        self.starts_on.setAccessibleName("Starts on")
        self.starts_on.setCalendarPopup(True)
        self.starts_on.setDisplayFormat(preferences.qt_date_format())
        self.starts_on.setDate(_to_qdate(values.get("starts_on") or dt.date.today()))
        self.several_days = QCheckBox("Runs over several days, ending on")
        self.several_days.setAccessibleName("Runs over several days")
        self.ends_on = QDateEdit()
        self.ends_on.setAccessibleName("Ends on")
        self.ends_on.setCalendarPopup(True)
        self.ends_on.setDisplayFormat(preferences.qt_date_format())
        ends = values.get("ends_on")
        self.several_days.setChecked(ends is not None)
        self.ends_on.setDate(_to_qdate(ends or values.get("starts_on") or dt.date.today()))
        self.ends_on.setEnabled(ends is not None)
        self.several_days.toggled.connect(self.ends_on.setEnabled)
        ends_row = QHBoxLayout()
        ends_row.addWidget(self.several_days)
        ends_row.addWidget(self.ends_on, 1)
        self.location = QLineEdit(values.get("location") or "")
        self.location.setAccessibleName("Location")
        self.network = QComboBox()
        self.network.setAccessibleName("Network")
        self.network.addItem("(none)", None)
        for network_id, name in network_choices:
            self.network.addItem(name, network_id)
        if values.get("network_id") is not None:
            self.network.setCurrentIndex(max(0, self.network.findData(values["network_id"])))
        self.description = QPlainTextEdit(values.get("description") or "")
        self.description.setAccessibleName("Description")
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(self.description.fontMetrics().lineSpacing() * 5 + 12)
        self.form.addRow("&Name:", self.name)
        self.form.addRow("&Date:", self.starts_on)
        self.form.addRow("", ends_row)
        self.form.addRow("&Location:", self.location)
        self.form.addRow("Net&work:", self.network)
        self.form.addRow("D&escription:", self.description)

    def values(self) -> dict[str, Any]:
        starts = _from_qdate(self.starts_on.date())
        return {
            "name": self.name.text().strip(),
            "starts_on": starts,
            "ends_on": _from_qdate(self.ends_on.date()) if self.several_days.isChecked() else None,
            "location": self.location.text().strip() or None,
            "description": self.description.toPlainText().strip() or None,
            "network_id": self.network.currentData(),
        }

    def problem_text(self) -> str | None:
        values = self.values()
        if not values["name"]:
            return "An event needs a name."
        if values["ends_on"] is not None and values["ends_on"] < values["starts_on"]:
            return "An event cannot end before it starts."
        return None


class AddFromViewDialog(FormDialog):
    """Choose a saved view and the status its people get on the list."""

    def __init__(self, view_names: list[str], parent: QWidget | None = None) -> None:
        super().__init__("Add attendees from a saved view", parent, ok_text="Add people", min_width=380)
        self.view = QComboBox()
        self.view.setAccessibleName("Saved view")
        self.view.addItems(view_names)
        self.status = QComboBox()
        self.status.setAccessibleName("Status to give them")
        for value, label in STATUS_LABELS.items():
            self.status.addItem(label, value)
        self.form.addRow("Saved &view:", self.view)
        self.form.addRow("Add them as:", self.status)
        note = QLabel("People already on the list get this status too.")
        note.setWordWrap(True)
        self.form.addRow(note)


class EventsPage(ListPage):
    """Events with attendance counts; the chosen event's attendance list beside them.

    Signals (besides :class:`~ui.pages.base.ListPage`'s):
        export_requested(object): export these people (a :class:`crm.filters.PersonFilter`).
    """

    export_requested = Signal(object)
    CHANGES = Change(people=True, events=True)  # attendance changes "last contacted" too

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(runner, parent)
        self._event: dict[str, Any] | None = None
        self._attendance: list[tuple[Any, ...]] = []
        self._parts: list[event_parts.PartRow] = []

        # Events list.
        self.new_button = QPushButton("&New event…")
        self.new_button.setAccessibleName("New event")
        self.edit_button = QPushButton("&Edit event…")
        self.edit_button.setAccessibleName("Edit the selected event")
        self.trash_button = QPushButton("Move to &Trash")
        self.trash_button.setAccessibleName("Move the selected event to the Trash")
        self.calendar_button = QPushButton("Add to ca&lendar")
        self.calendar_button.setAccessibleName("Add the selected event to your calendar")
        self.model = RowsModel(
            [
                Column("Event", 1),
                Column("Date", 2),
                Column("People", 4, numeric=True),
                Column("Came", 5, numeric=True),
            ],
            self,
            tooltip=lambda row, _col: f"{row[1]}\n{format_date(row[2])}, {row[3] or 'no location'}",
        )
        self.table = make_table(self.model, "Events", multi=False)
        fit_columns(self.table, [30, 10, 6, 5])
        self.list_stack = EmptyState(self.table, "No events yet — create one with New event.")
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.new_button)
        list_buttons.addWidget(self.edit_button)
        list_buttons.addWidget(self.calendar_button)
        list_buttons.addStretch(1)
        list_buttons.addWidget(self.trash_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list_stack, 1)
        left_layout.addLayout(list_buttons)

        # Attendance.
        self.heading = QLabel()
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setWordWrap(True)
        self.meta = QLabel()
        self.meta.setWordWrap(True)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.show_box = QComboBox()
        self.show_box.setAccessibleName("Show attendees with this status")
        self.show_box.addItem("Everyone on the list", None)
        for value, label in STATUS_LABELS.items():
            self.show_box.addItem(label, value)
        self.add_button = QToolButton()
        self.add_button.setText("&Add people")
        self.add_button.setAccessibleName("Add people to the event")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        add_menu = QMenu(self.add_button)
        self.add_search_action = add_menu.addAction("By searching for people…")
        self.add_view_action = add_menu.addAction("From a saved view…")
        self.add_button.setMenu(add_menu)
        self.export_button = QPushButton("E&xport…")
        self.export_button.setAccessibleName("Export the people shown")
        top_row = QHBoxLayout()
        top_row.addWidget(QLabel("Show:"))
        top_row.addWidget(self.show_box)
        top_row.addStretch(1)
        top_row.addWidget(self.add_button)
        top_row.addWidget(self.export_button)
        self.attendance_model = RowsModel(
            [
                Column("Name", 2),
                Column("Status", 3, formatter=status_label),
                Column("Stations", 5),
                Column("Notes", 4),
            ],
            self,
        )
        self.attendance_table = make_table(self.attendance_model, "Attendance")
        self.attendance_table.setSortingEnabled(True)
        self.attendance_table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        fit_columns(self.attendance_table, [20, 10, 18, 24], stretch=0)
        self.attendance_stack = EmptyState(self.attendance_table, "")
        self.counts = QLabel()
        self.counts.setWordWrap(True)
        self.mark_box = QComboBox()
        self.mark_box.setAccessibleName("Status to mark the selected people with")
        for value, label in STATUS_LABELS.items():
            self.mark_box.addItem(label, value)
        self.mark_box.setCurrentIndex(self.mark_box.findData(AttendanceStatus.ATTENDED.value))
        self.mark_button = QPushButton("&Mark selected")
        self.mark_button.setAccessibleName("Mark the selected people with this status")
        mark_row = QHBoxLayout()
        mark_row.addWidget(QLabel("Mark selected as:"))
        mark_row.addWidget(self.mark_box)
        mark_row.addWidget(self.mark_button)
        mark_row.addStretch(1)
        self.place_button = QToolButton()
        self.place_button.setText("&Place at")
        self.place_button.setAccessibleName("Place the selected people at a station")
        self.place_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.place_menu = QMenu(self.place_button)
        self.place_button.setMenu(self.place_menu)
        self.notes_button = QPushButton("Edit &notes…")
        self.notes_button.setAccessibleName("Edit the selected person's notes for the event")
        self.follow_button = QPushButton("&Follow up…")
        self.follow_button.setAccessibleName("Create a follow-up with the selected people from their notes")
        # The station actions have a row of their own, so the page fits 1280×800 beside the list.
        station_row = QHBoxLayout()
        station_row.addWidget(self.place_button)
        station_row.addWidget(self.notes_button)
        station_row.addWidget(self.follow_button)
        station_row.addStretch(1)

        self.detail = QWidget()
        detail_layout = QVBoxLayout(self.detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.heading)
        detail_layout.addWidget(self.meta)
        detail_layout.addWidget(self.description)
        people_tab = QWidget()
        people_layout = QVBoxLayout(people_tab)
        people_layout.addLayout(top_row)
        people_layout.addWidget(self.attendance_stack, 1)
        people_layout.addWidget(self.counts)
        people_layout.addLayout(mark_row)
        people_layout.addLayout(station_row)
        self.stations = StationsPanel()
        self.follow_ups = FollowUpsPanel()
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Event details")
        self.tabs.addTab(people_tab, "&People")
        self.tabs.addTab(self.stations, "&Stations")
        self.tabs.addTab(self.follow_ups, "Follow-&ups")
        detail_layout.addWidget(self.tabs, 1)
        self.detail_stack = EmptyState(self.detail, "Choose an event to see who is invited and who came.")

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail_stack)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([470, 530])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self.table.selectionModel().selectionChanged.connect(self._event_chosen)
        self.table.activated.connect(lambda _i: self.edit_event())
        self.attendance_table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.attendance_table.activated.connect(
            lambda index: self.person_activated.emit(self.attendance_model.row_at(index.row())[1])
        )
        self.new_button.clicked.connect(self.new_event)
        self.edit_button.clicked.connect(self.edit_event)
        self.calendar_button.clicked.connect(self.add_to_calendar)
        self.trash_button.clicked.connect(self.trash_event)
        on_delete_key(self.table, self.trash_event)
        self.show_box.currentIndexChanged.connect(lambda _i: self._show_attendance())
        self.add_search_action.triggered.connect(self.add_by_search)
        self.add_view_action.triggered.connect(self.add_from_view)
        self.export_button.clicked.connect(self.request_export)
        self.mark_button.clicked.connect(lambda: self.mark_selected(self.mark_box.currentData()))
        self.place_menu.aboutToShow.connect(self._fill_place_menu)
        self.notes_button.clicked.connect(self.edit_attendee_notes)
        self.follow_button.clicked.connect(self.follow_up_attendees)
        self.stations.add_requested.connect(self.add_part)
        self.stations.edit_requested.connect(self.edit_part)
        self.stations.remove_requested.connect(self.remove_part)
        self.stations.place_requested.connect(self.place_by_search)
        self.stations.unplace_requested.connect(self.unplace)
        self.stations.note_requested.connect(self.edit_placement_note)
        self.stations.follow_up_requested.connect(self.follow_up_station)
        self.stations.export_requested.connect(self.export_station)
        self.stations.person_activated.connect(self.person_activated)
        self.follow_ups.done_requested.connect(self.mark_follow_ups_done)

        for first, second in (
            (self.table, self.new_button),
            (self.new_button, self.edit_button),
            (self.edit_button, self.trash_button),
            (self.trash_button, self.show_box),
            (self.show_box, self.add_button),
            (self.add_button, self.export_button),
            (self.export_button, self.attendance_table),
            (self.attendance_table, self.mark_box),
            (self.mark_box, self.mark_button),
            (self.mark_button, self.place_button),
            (self.place_button, self.notes_button),
            (self.notes_button, self.follow_button),
        ):
            QWidget.setTabOrder(first, second)
        self.detail_stack.set_empty(True)
        self._update_buttons()

    # Loading -------------------------------------------------------------------------------

    @property
    def current_event_id(self) -> int | None:
        return self._event["id"] if self._event else None

    def add_to_calendar(self) -> Any:
        """The shown event as an .ics, opened in the calendar program."""
        from ui.correspondence import add_to_calendar

        if self._event is None:
            return None
        return add_to_calendar(
            self.runner, self, event_ids=[self._event["id"]], name=str(self._event["name"])
        )

    def list_loader(self) -> Callable[[Session], list[tuple[Any, ...]]]:
        return events.list_events

    def show_list(self, rows: list[tuple[Any, ...]]) -> None:
        keep = self.current_event_id
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        self.model.set_rows(rows)
        selection.blockSignals(False)
        self.list_stack.set_empty(not rows)
        row = self.model.row_of_id(keep) if keep is not None else -1
        if row < 0 and rows and keep is None:
            row = 0  # the newest event: usually the one being worked on
        if row >= 0:
            selection.blockSignals(True)
            self.table.selectRow(row)
            selection.blockSignals(False)
            self._load_event(self.model.id_at(row))
        else:
            self._event = None
            self.detail_stack.set_empty(True, None if rows else "")
            self._update_buttons()

    def _event_chosen(self, *_args: object) -> None:
        rows = selected_rows(self.table)
        self._update_buttons()
        if rows and self.model.id_at(rows[0]) != self.current_event_id:
            self._load_event(self.model.id_at(rows[0]))

    def select_event(self, event_id: int) -> None:
        row = self.model.row_of_id(event_id)
        if row >= 0:
            self.table.selectRow(row)

    def _load_event(self, event_id: int) -> None:
        def load(session: Session) -> tuple[dict[str, Any], list[tuple[Any, ...]], EventParts]:
            event = events.get_event(session, event_id)
            network = networks.get_network(session, event.network_id).name if event.network_id else None
            info = {
                "id": event.id,
                "name": event.name,
                "starts_on": event.starts_on,
                "ends_on": event.ends_on,
                "location": event.location,
                "description": event.description,
                "network_id": event.network_id,
                "network": network,
            }
            part_rows = event_parts.list_parts(session, event_id)
            placed = event_parts.placements(session, event_id)
            # Who was at which station, from the placements (in the stations' order).
            names = {p.id: p.name for p in part_rows}
            at: dict[int, list[str]] = {}
            for p in placed:
                at.setdefault(p.person_id, []).append(names[p.part_id])
            rows = [(*r, ", ".join(at.get(r[1], ()))) for r in events.attendance(session, event_id)]
            return info, rows, (part_rows, placed, event_parts.event_follow_ups(session, event_id))

        def done(result: tuple[dict[str, Any], list[tuple[Any, ...]], EventParts]) -> None:
            self._event, self._attendance, (self._parts, placements, follow_ups) = result
            self.stations.set_data(self._parts, placements)
            self.follow_ups.set_rows(follow_ups)
            self.tabs.setTabText(1, f"&Stations ({len(self._parts)})" if self._parts else "&Stations")
            open_ups = sum(1 for f in follow_ups if not f.done)
            self.tabs.setTabText(2, f"Follow-&ups ({open_ups})" if open_ups else "Follow-&ups")
            self._show_event()

        self.load_detail(load, done)

    def _show_event(self) -> None:
        event = self._event
        if event is None:
            self.detail_stack.set_empty(True)
            return
        self.detail_stack.set_empty(False)
        self.heading.setText(event["name"])
        when = format_date(event["starts_on"]) or "No date set"
        if event["ends_on"]:
            when += f" to {format_date(event['ends_on'])}"
        parts = [when, event["location"] or "no location given"]
        if event["network"]:
            parts.append(event["network"])
        self.meta.setText(" · ".join(parts))
        self.description.setText(event["description"] or "")
        self.description.setVisible(bool(event["description"]))
        self._show_attendance()

    def _show_attendance(self) -> None:
        status = self.show_box.currentData()
        rows = [r for r in self._attendance if status is None or r[3] == status]
        selected = {self.attendance_model.id_at(r) for r in selected_rows(self.attendance_table)}
        header = self.attendance_table.horizontalHeader()
        self.attendance_model.set_rows(rows)
        self.attendance_model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        selection = self.attendance_table.selectionModel()
        for row in range(self.attendance_model.rowCount()):
            if self.attendance_model.id_at(row) in selected:
                selection.select(
                    self.attendance_model.index(row, 0),
                    selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                )
        # Stations and notes only take room when the event has them.
        self.attendance_table.setColumnHidden(2, not self._parts)
        self.attendance_table.setColumnHidden(3, not any(r[4] for r in self._attendance))
        tally = {value: 0 for value in STATUS_LABELS}
        for r in self._attendance:
            tally[r[3]] = tally.get(r[3], 0) + 1
        self.counts.setText(
            f"{len(self._attendance):,} on the list: "
            + ", ".join(f"{n:,} {status_label(s).lower()}" for s, n in tally.items() if n)
            if self._attendance
            else ""
        )
        if not self._attendance:
            self.attendance_stack.set_empty(
                True, "No one on the list yet — add people with Add people, from a search or a saved view."
            )
        elif not rows:
            self.attendance_stack.set_empty(True, f"No one is marked “{status_label(status)}”.")
        else:
            self.attendance_stack.set_empty(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_event = self._event is not None
        self.edit_button.setEnabled(has_event)
        self.calendar_button.setEnabled(has_event)
        self.trash_button.setEnabled(has_event)
        self.add_button.setEnabled(has_event)
        self.export_button.setEnabled(has_event and self.attendance_model.rowCount() > 0)
        chosen = len(selected_rows(self.attendance_table)) if not self.attendance_stack.is_empty else 0
        self.mark_button.setEnabled(chosen > 0)
        self.place_button.setEnabled(chosen > 0 and bool(self._parts))
        self.notes_button.setEnabled(chosen == 1)
        self.follow_button.setEnabled(chosen > 0)

    # Actions -------------------------------------------------------------------------------

    def selected_attendees(self) -> list[tuple[Any, ...]]:
        """Rows (attendance id, person id, name, status, notes, stations) of the selected people."""
        return [self.attendance_model.row_at(r) for r in selected_rows(self.attendance_table)]

    def _write(
        self,
        fn: Any,
        on_done: Any = None,
        undo_text: str | None = None,
        reverse: Any = None,
        label: str | None = None,
    ) -> None:
        """Run ``fn(session)`` as one transaction; with ``reverse``, Edit ▸ Undo can take it back."""
        write_undoable(
            self,
            self.runner,
            fn,
            changed=self.after_change,
            undo_text=undo_text,
            reverse=reverse,
            on_done=on_done,
            label=label,
        )

    def mark_selected(self, status: str) -> None:
        """Give the selected people this attendance status (attended, apologies and so on)."""
        if self._event is None:
            return
        event_id = self._event["id"]
        person_ids = [r[1] for r in self.selected_attendees()]
        if not person_ids:
            return
        before: dict[str, list[int]] = {}
        for row in self.selected_attendees():
            before.setdefault(row[3], []).append(row[1])

        def put_back(session: Any) -> None:
            for previous, ids in before.items():
                events.set_attendance(session, event_id, ids, previous)

        self._write(
            lambda session: events.set_attendance(session, event_id, person_ids, status),
            undo_text=f"Mark {len(person_ids):,} as {status_label(status).lower()}",
            reverse=put_back,
        )

    def _undoable(self, text: str, do: Any, reverse: Any) -> None:
        push_undo(self, PageCommand(self.runner, text, do, reverse, self.after_change))

    def add_people(self, person_ids: list[int], status: str = AttendanceStatus.INVITED.value) -> None:
        if self._event is None or not person_ids:
            return
        event_id = self._event["id"]
        self._write(lambda session: events.set_attendance(session, event_id, person_ids, status))

    def add_by_search(self) -> None:
        if self._event is None:
            return
        dialog = PersonPickerDialog(
            self.runner,
            self,
            title=f"Add people to {self._event['name']}",
            accept_text="Invite selected",
            exclude={r[1] for r in self._attendance},
        )
        if common.exec_dialog(dialog):
            self.add_people([pid for pid, _name in dialog.selected_people()])

    def add_from_view(self) -> None:
        if self._event is None:
            return
        event_id = self._event["id"]

        def load(ctx: TaskContext) -> list[str]:
            with ctx.db.session() as session:
                return [v.name for v in views.list_views(session)]

        def chosen(names: list[str]) -> None:
            if not names:
                dialogs.show_info(
                    self,
                    "No saved views",
                    "There are no saved views yet. Filter the People list and choose Save view to make one.",
                )
                return
            dialog = AddFromViewDialog(names, self)
            if not common.exec_dialog(dialog):
                return
            view_name = dialog.view.currentText()
            status = dialog.status.currentData()

            def add(session: Any) -> int:
                f = views.view_filter(session, view_name)
                ids = filters.person_ids(session, f, ranked=False)
                return events.set_attendance(session, event_id, ids, status) if ids else 0

            def added(n: int) -> None:
                if n == 0:
                    dialogs.show_info(
                        self, "Nothing to add", f"The view “{view_name}” has no one new to add."
                    )

            # A view can hold thousands of people: a progress window appears if it takes a while.
            self._write(add, added, label=f"Adding the people in “{view_name}”…")

        run_task(self, self.runner, load, on_done=chosen)

    def request_export(self) -> None:
        """Ask the main window to export the people shown (everyone, or those with one status)."""
        ids = [self.attendance_model.row_at(r)[1] for r in range(self.attendance_model.rowCount())]
        if ids:
            self.export_requested.emit(PersonFilter(ids=ids))

    def _network_choices(self, then: Any) -> None:
        def load(ctx: TaskContext) -> list[tuple[int, str]]:
            with ctx.db.session() as session:
                return [(r[0], r[1]) for r in networks.list_networks(session)]

        run_task(self, self.runner, load, on_done=then)

    def new_event(self) -> None:
        def ask(choices: list[tuple[int, str]]) -> None:
            dialog = EventDialog(choices, parent=self)
            if not common.exec_dialog(dialog):
                return
            if problem := dialog.problem_text():
                dialogs.show_error(self, "Event not created", problem)
                return
            values = dialog.values()

            def write(ctx: TaskContext) -> int:
                with ctx.db.transaction() as session:
                    fields = dict(values)
                    return events.create_event(session, fields.pop("name"), **fields).id

            def done(event_id: int) -> None:
                self._undoable(
                    f"Add event {values.get('name') or ''}".strip(),
                    lambda s: events.restore_events(s, [event_id]),
                    lambda s: events.trash_events(s, [event_id]),
                )
                self._event = {"id": event_id}  # refresh() opens it
                self.refresh()

            run_task(self, self.runner, write, on_done=done, write=True)

        self._network_choices(ask)

    def edit_event(self) -> None:
        if self._event is None:
            return
        event = dict(self._event)

        def ask(choices: list[tuple[int, str]]) -> None:
            dialog = EventDialog(choices, event, parent=self)
            if not common.exec_dialog(dialog):
                return
            if problem := dialog.problem_text():
                dialogs.show_error(self, "Event not saved", problem)
                return
            values = dialog.values()
            before = {key: event.get(key) for key in values}
            self._write(
                lambda session: events.update_event(session, event["id"], values),
                undo_text=f"Edit {event['name']}",
                reverse=lambda session: events.update_event(session, event["id"], before),
            )

        self._network_choices(ask)

    def trash_event(self) -> None:
        if self._event is None:
            return
        event_id, name = self._event["id"], self._event["name"]
        if not dialogs.confirm(
            self, "Move to Trash", f"Move “{name}” to the Trash? You can restore it from the Trash."
        ):
            return

        def done(_n: int) -> None:
            self._event = None

        self._write(
            lambda session: events.trash_events(session, [event_id]),
            done,
            undo_text=f"Move {name} to the Trash",
            reverse=lambda session: events.restore_events(session, [event_id]),
        )

    # Stations, notes and follow-ups ------------------------------------------------------------

    def _part(self, part_id: int) -> event_parts.PartRow | None:
        return next((p for p in self._parts if p.id == part_id), None)

    def _fill_place_menu(self) -> None:
        self.place_menu.clear()
        for part in self._parts:
            action = self.place_menu.addAction(part.name)
            action.triggered.connect(lambda _checked=False, pid=part.id: self.place_selected(pid))

    def place_selected(self, part_id: int) -> None:
        """Place the people selected on the People tab at a station (they keep other stations)."""
        part = self._part(part_id)
        person_ids = [r[1] for r in self.selected_attendees()]
        if part is None or not person_ids:
            return
        self._place(part, person_ids)

    def _place(self, part: event_parts.PartRow, person_ids: list[int]) -> None:
        already = {p for p in person_ids if part.name in self._stations_of(p)}
        new = [p for p in person_ids if p not in already]
        on_list = {r[1] for r in self._attendance}
        added = [p for p in new if p not in on_list]
        event_id = self._event["id"] if self._event else None

        def put_back(session: Any) -> None:
            event_parts.unplace_people(session, part.id, new)
            if added and event_id is not None:
                # Only just added to the list by being placed: they come off it again.
                events.remove_attendance(session, event_id, added)

        self._write(
            lambda session: event_parts.place_people(session, part.id, person_ids),
            undo_text=f"Place {len(person_ids):,} at {part.name}",
            reverse=put_back,
        )

    def _stations_of(self, person_id: int) -> list[str]:
        row = next((r for r in self._attendance if r[1] == person_id), None)
        return [n for n in (row[5].split(", ") if row and row[5] else [])]

    def place_by_search(self, part_id: int) -> None:
        part = self._part(part_id)
        if part is None:
            return
        dialog = PersonPickerDialog(
            self.runner,
            self,
            title=f"Place people at {part.name}",
            accept_text="Place selected",
            exclude={p for p in self._placed_at(part_id)},
        )
        if common.exec_dialog(dialog):
            self._place(part, [pid for pid, _name in dialog.selected_people()])

    def _placed_at(self, part_id: int) -> list[int]:
        rows = self.stations.people_model.rows if self.stations.current_part_id == part_id else []
        return [r[1] for r in rows]

    def unplace(self, part_id: int, person_ids: list[int]) -> None:
        part = self._part(part_id)
        if part is None or not person_ids:
            return
        notes = {
            pid: (p.notes if (p := self.stations.placement(part_id, pid)) else None) for pid in person_ids
        }
        self._write(
            lambda session: event_parts.unplace_people(session, part_id, person_ids),
            undo_text=f"Take {len(person_ids):,} off {part.name}",
            reverse=lambda session: event_parts.replace_people(session, part_id, notes),
        )

    def add_part(self) -> None:
        if self._event is None:
            return
        dialog = PartDialog(parent=self)
        if not common.exec_dialog(dialog):
            return
        values = dialog.values()
        event_id = self._event["id"]
        fields = dict(values)
        name = fields.pop("name")

        def write(session: Any) -> int:
            return event_parts.add_part(session, event_id, name, **fields).id

        def done(part_id: int) -> None:
            self._undoable(
                f"Add {name}",
                lambda s: event_parts.restore_part(s, part_id),
                lambda s: event_parts.remove_part(s, part_id),
            )

        self._write(write, done)

    def edit_part(self, part_id: int) -> None:
        part = self._part(part_id)
        if part is None:
            return
        before = {
            "name": part.name,
            "kind": part.kind,
            "topic": part.topic,
            "host": part.host,
            "notes": part.notes,
        }
        dialog = PartDialog(before, parent=self)
        if not common.exec_dialog(dialog):
            return
        values = dialog.values()
        self._write(
            lambda session: event_parts.update_part(session, part_id, values),
            undo_text=f"Edit {part.name}",
            reverse=lambda session: event_parts.update_part(session, part_id, before),
        )

    def remove_part(self, part_id: int) -> None:
        part = self._part(part_id)
        if part is None:
            return
        if not dialogs.confirm(
            self,
            "Remove station",
            f"Remove “{part.name}” from the event? The {part.placed:,} people placed there stay on the "
            "event's list; Edit ▸ Undo puts the station back with them.",
        ):
            return
        self._write(
            lambda session: event_parts.remove_part(session, part_id),
            undo_text=f"Remove {part.name}",
            reverse=lambda session: event_parts.restore_part(session, part_id),
        )

    def edit_attendee_notes(self) -> None:
        rows = self.selected_attendees()
        if self._event is None or len(rows) != 1:
            return
        _aid, person_id, name, _status, old, _stations = rows[0]
        event_id = self._event["id"]
        dialog = NoteDialog("Notes", f"{name} at {self._event['name']}:", old, self)
        if not common.exec_dialog(dialog):
            return
        new = dialog.value()
        self._write(
            lambda session: event_parts.set_attendance_notes(session, event_id, person_id, new),
            undo_text=f"Edit notes on {name}",
            reverse=lambda session: event_parts.set_attendance_notes(session, event_id, person_id, old),
        )

    def edit_placement_note(self, part_id: int, person_id: int) -> None:
        part = self._part(part_id)
        placement = self.stations.placement(part_id, person_id)
        if part is None or placement is None:
            return
        old = placement.notes
        dialog = NoteDialog("Note", f"What {placement.name} said at {part.name}:", old, self)
        if not common.exec_dialog(dialog):
            return
        new = dialog.value()
        self._write(
            lambda session: event_parts.set_placement_notes(session, part_id, person_id, new),
            undo_text=f"Edit {placement.name}'s note at {part.name}",
            reverse=lambda session: event_parts.set_placement_notes(session, part_id, person_id, old),
        )

    def follow_up_attendees(self) -> None:
        rows = self.selected_attendees()
        if self._event is None or not rows:
            return
        text = "\n".join(dict.fromkeys(r[4] for r in rows if r[4]))
        self._follow_up([r[1] for r in rows], [r[2] for r in rows], self._event["name"], text, None)

    def follow_up_station(self, part_id: int, person_ids: list[int]) -> None:
        part = self._part(part_id)
        if self._event is None or part is None:
            return
        placed = [p for pid in person_ids if (p := self.stations.placement(part_id, pid))]
        # From the selected people's notes there; with no one selected, from the station's notes.
        text = "\n".join(dict.fromkeys(p.notes for p in placed if p.notes)) if placed else (part.notes or "")
        self._follow_up([p.person_id for p in placed], [p.name for p in placed], part.name, text, part_id)

    def _follow_up(
        self, person_ids: list[int], names: list[str], where: str, text: str, part_id: int | None
    ) -> None:
        if self._event is None:
            return
        event_id = self._event["id"]
        dialog = FollowUpDialog(names, where, text, self)
        if not common.exec_dialog(dialog):
            return
        values = dialog.values()

        def write(session: Any) -> int:
            return event_parts.create_follow_up(
                session,
                event_id,
                person_ids=person_ids,
                due=values["due"],
                text=values["text"],
                part_id=part_id,
                owner=values["owner"],
            ).id

        def done(interaction_id: int) -> None:
            self._undoable(
                "Create follow-up",
                lambda s: interactions.restore_interactions(s, [interaction_id]),
                lambda s: interactions.trash_interactions(s, [interaction_id]),
            )
            self.tabs.setCurrentWidget(self.follow_ups)

        self._write(write, done)

    def mark_follow_ups_done(self, ids: list[int]) -> None:
        if not ids:
            return

        def write(session: Any) -> None:
            for interaction_id in ids:
                interactions.set_follow_up_done(session, interaction_id, True)

        def reverse(session: Any) -> None:
            for interaction_id in ids:
                interactions.set_follow_up_done(session, interaction_id, False)

        self._write(write, undo_text=f"Mark {len(ids):,} follow-ups done", reverse=reverse)

    def export_station(self, part_id: int) -> None:
        """Ask the main window to export the people placed at a station."""
        if self._part(part_id) is not None:
            self.export_requested.emit(PersonFilter(station_id=part_id))
