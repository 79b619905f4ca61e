"""The Events page's stations, notes and follow-ups, on the sample data's Parliament reception."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from crm.db import Database
from crm.filters import PersonFilter, count_people
from crm.models import AttendancePart, Interaction
from crm.services import event_parts

from ui import dialogs
from ui.pages import common
from ui.pages.event_stations import FollowUpDialog, NoteDialog, PartDialog
from ui.pages.events_page import EventsPage
from ui.tasks import TaskRunner

TIMEOUT = 5000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
RECEPTION = "Kindness in Public Policy: reception at the Scottish Parliament"
FOOD = "Food poverty"


@pytest.fixture
def page(demo_runner: TaskRunner, qtbot: QtBot) -> EventsPage:
    widget = EventsPage(demo_runner)
    widget.undo_stack = QUndoStack(widget)  # type: ignore[attr-defined]  # Edit ▸ Undo, as in the window
    qtbot.addWidget(widget)
    widget.resize(1200, 760)
    widget.show()
    with qtbot.waitSignal(widget.refreshed, timeout=TIMEOUT):
        widget.refresh()
    row = next(r for r in range(widget.model.rowCount()) if widget.model.row_at(r)[1] == RECEPTION)
    with qtbot.waitSignal(widget.refreshed, timeout=TIMEOUT):
        widget.table.selectRow(row)
    return widget


def _choose_station(page: EventsPage, name: str) -> None:
    model = page.stations.parts_model
    page.stations.parts_table.selectRow(
        next(r for r in range(model.rowCount()) if model.row_at(r)[1] == name)
    )


def _select_people(view: object, model: object, rows: range) -> None:
    selection = view.selectionModel()  # type: ignore[attr-defined]
    selection.clearSelection()
    for row in rows:
        selection.select(model.index(row, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows)  # type: ignore[attr-defined]


def test_the_page_shows_who_was_at_which_station(page: EventsPage, qtmodeltester: object) -> None:
    qtmodeltester.check(page.stations.parts_model)  # type: ignore[attr-defined]
    qtmodeltester.check(page.stations.people_model)  # type: ignore[attr-defined]
    assert page.tabs.tabText(1) == "&Stations (4)"
    parts = page.stations.parts_model
    assert [parts.index(r, 0).data() for r in range(4)] == [
        "Health and social care working environments",
        "Values-based leadership",
        "Kindness in procurement and commissioning",
        FOOD,
    ]
    _choose_station(page, FOOD)
    assert page.stations.part_heading.text() == f"Station: {FOOD}"
    assert "Host: Morven (programme team) with a local food larder" in page.stations.part_about.text()
    assert "circle on the floor" in page.stations.part_about.text()
    people = page.stations.people_model
    assert people.rowCount() == int(parts.index(3, 1).data())
    notes = [people.index(r, 1).data() for r in range(people.rowCount())]
    assert "Runs a community larder; would share their referral-free model." in notes
    # The People tab has a Stations column; someone at two stations shows both.
    assert not page.attendance_table.isColumnHidden(2)
    both = [page.attendance_model.index(r, 2).data() for r in range(page.attendance_model.rowCount())]
    assert any(", " in s for s in both)
    assert page.tabs.tabText(2) == "Follow-&ups (1)"
    assert page.follow_ups.model.rowCount() == 1


def test_add_a_station_and_place_selected_people_there(
    qtbot: QtBot, page: EventsPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fill(dialog: PartDialog) -> bool:
        dialog.ok_button.click()  # no name yet: the dialog says so
        assert "Give it a name" in dialog.problem.text()
        qtbot.keyClicks(dialog.name, "Breakout: rural councils")
        dialog.kind.setCurrentIndex(dialog.kind.findData("breakout room"))
        dialog.host.setText("Ruth")
        return True

    monkeypatch.setattr(common, "exec_dialog", fill)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.stations.add_button, Qt.MouseButton.LeftButton)
    assert page.tabs.tabText(1) == "&Stations (5)"
    new = next(p for p in page._parts if p.name == "Breakout: rural councils")
    assert (new.kind, new.host, new.placed) == ("breakout room", "Ruth", 0)
    page.show_box.setCurrentIndex(page.show_box.findData("attended"))
    _select_people(page.attendance_table, page.attendance_model, range(3))
    chosen = [r[1] for r in page.selected_attendees()]
    assert page.place_button.isEnabled()
    page._fill_place_menu()
    action = next(a for a in page.place_menu.actions() if a.text() == "Breakout: rural councils")
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        action.trigger()
    with demo_db.session() as session:
        placed = set(
            session.scalars(select(AttendancePart.person_id).where(AttendancePart.part_id == new.id))
        )
        assert placed == set(chosen)
        assert count_people(session, PersonFilter(station="Breakout: rural councils")) == 3
    # Undo takes them off again.
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.window().undo_stack.undo() if hasattr(page.window(), "undo_stack") else page.unplace(
            new.id, chosen
        )
    with demo_db.session() as session:
        assert count_people(session, PersonFilter(station="Breakout: rural councils")) == 0


def test_edit_a_note_at_a_station_and_follow_it_up(
    qtbot: QtBot, page: EventsPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    page.tabs.setCurrentWidget(page.stations)
    _choose_station(page, FOOD)
    people = page.stations.people_model
    _select_people(page.stations.people_table, people, range(1))
    person_id, name = people.row_at(0)[1], people.row_at(0)[2]
    assert page.stations.note_button.isEnabled()

    def write_note(dialog: NoteDialog) -> bool:
        assert name in dialog.findChild(type(page.stations.part_heading)).text()
        dialog.text.setPlainText("Will send figures on school holiday hunger.")
        return True

    monkeypatch.setattr(common, "exec_dialog", write_note)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.stations.note_button, Qt.MouseButton.LeftButton)
    row = next(r for r in range(people.rowCount()) if people.row_at(r)[1] == person_id)
    assert people.index(row, 1).data() == "Will send figures on school holiday hunger."

    _select_people(page.stations.people_table, people, range(row, row + 1))

    def follow(dialog: FollowUpDialog) -> bool:
        assert dialog.text.toPlainText() == "Will send figures on school holiday hunger."
        dialog.owner.setText("Morven")
        return True

    monkeypatch.setattr(common, "exec_dialog", follow)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.stations.follow_button, Qt.MouseButton.LeftButton)
    assert page.tabs.currentWidget() is page.follow_ups
    assert page.follow_ups.model.rowCount() == 2
    subjects = [page.follow_ups.model.row_at(r)[3] for r in range(2)]
    assert "Follow up: Will send figures on school holiday hunger." in subjects
    with demo_db.session() as session:
        made = session.query(Interaction).filter(Interaction.subject.like("Follow up: Will send%")).one()
        assert made.owner == "Morven" and made.event_id == page.current_event_id
        assert [p.person_id for p in made.participants] == [person_id]
    # Marking it done from the event's list.
    index = subjects.index("Follow up: Will send figures on school holiday hunger.")
    page.follow_ups.table.selectRow(index)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.follow_ups.done_button, Qt.MouseButton.LeftButton)
    with demo_db.session() as session:
        assert session.get(Interaction, made.id).follow_up_done  # type: ignore[union-attr]


def test_attendee_notes_are_edited_from_the_people_tab(
    qtbot: QtBot, page: EventsPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _select_people(page.attendance_table, page.attendance_model, range(1))
    person_id = page.selected_attendees()[0][1]
    monkeypatch.setattr(
        common, "exec_dialog", lambda d: d.text.setPlainText("Asked for the evidence review.") or True
    )
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.notes_button, Qt.MouseButton.LeftButton)
    notes = {r[1]: r[4] for r in page._attendance}
    assert notes[person_id] == "Asked for the evidence review."
    assert not page.attendance_table.isColumnHidden(3)


def test_remove_a_station_and_export_who_was_there(
    qtbot: QtBot, page: EventsPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _choose_station(page, FOOD)
    part_id = page.stations.current_part_id
    exported: list[PersonFilter] = []
    page.export_requested.connect(exported.append)
    qtbot.mouseClick(page.stations.export_button, Qt.MouseButton.LeftButton)
    assert exported == [PersonFilter(station_id=part_id)]
    monkeypatch.setattr(dialogs, "confirm", lambda *_a, **_k: True)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.stations.remove_button, Qt.MouseButton.LeftButton)
    assert page.tabs.tabText(1) == "&Stations (3)"
    with demo_db.transaction() as session:
        assert [p.name for p in event_parts.list_parts(session, page.current_event_id)][-1] != FOOD  # type: ignore[arg-type]


def test_the_people_filters_take_an_event_and_a_station(
    qtbot: QtBot, demo_runner: TaskRunner, demo_db: Database
) -> None:
    from ui.people.filter_panel import FilterPanel

    panel = FilterPanel(demo_runner)
    qtbot.addWidget(panel)
    panel.refresh_choices()
    assert panel.event_combo.findText(RECEPTION) > 0
    assert panel.station_combo.findText(FOOD) > 0
    with qtbot.waitSignal(panel.changed, timeout=TIMEOUT):
        panel.event_combo.setCurrentIndex(panel.event_combo.findText(RECEPTION))
    panel.station_combo.setCurrentIndex(panel.station_combo.findText(FOOD))
    f = panel.person_filter()
    assert (f.event, f.station) == (RECEPTION, FOOD)
    with demo_db.session() as session:
        (food,) = [p for p in event_parts.list_parts(session, _event_id(session)) if p.name == FOOD]
        assert count_people(session, f) == food.placed
    panel.clear()
    assert panel.person_filter().station is None
    panel.set_filter(f)  # a saved view shows again as it was saved
    assert panel.person_filter() == f


def _event_id(session: object) -> int:
    from crm.models import Event

    return int(session.scalar(select(Event.id).where(Event.name == RECEPTION)))  # type: ignore[attr-defined]
