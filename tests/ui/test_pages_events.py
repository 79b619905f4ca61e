"""The Events page on the sample data: attendance, marking, adding people, creating and editing events."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import QDate, Qt

from crm.db import Database
from crm.filters import PersonFilter
from crm.models import Attendance, Event
from crm.services import events, views

from ui import dialogs
from ui.pages import common
from ui.pages.events_page import AddFromViewDialog, EventDialog, EventsPage
from ui.pages.person_picker import PersonPickerDialog
from ui.tasks import TaskRunner

TIMEOUT = 5000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
RECEPTION = "Kindness in Public Policy: reception at the Scottish Parliament"
MEETING = "Kindness Leadership Network: first meeting"


@pytest.fixture
def page(demo_runner: TaskRunner, qtbot: QtBot) -> EventsPage:
    widget = EventsPage(demo_runner)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    with qtbot.waitSignal(widget.refreshed, timeout=TIMEOUT):
        widget.refresh()
    return widget


def _open(qtbot: QtBot, page: EventsPage, name: str) -> None:
    row = next(r for r in range(page.model.rowCount()) if page.model.row_at(r)[1] == name)
    if page.current_event_id == page.model.id_at(row):
        return
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.table.selectRow(row)


def _statuses(db: Database, event_name: str) -> dict[int, str]:
    with db.session() as session:
        event = session.query(Event).filter_by(name=event_name).one()
        return {a.person_id: a.status for a in session.query(Attendance).filter_by(event_id=event.id)}


def _select(page: EventsPage, rows: range) -> list[int]:
    selection = page.attendance_table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(
            page.attendance_model.index(row, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        )
    return [r[1] for r in page.selected_attendees()]


def test_events_newest_first_with_counts(page: EventsPage, qtmodeltester: object) -> None:
    qtmodeltester.check(page.model)  # type: ignore[attr-defined]
    qtmodeltester.check(page.attendance_model)  # type: ignore[attr-defined]
    assert [page.model.row_at(r)[1] for r in range(2)] == [MEETING, RECEPTION]
    assert page.model.row_at(0)[4:] == (30, 22)
    assert page.heading.text() == MEETING
    assert page.attendance_model.rowCount() == 30
    assert page.counts.text() == "30 on the list: 22 attended, 5 apologies, 3 no-show"


def test_show_only_one_status(qtbot: QtBot, page: EventsPage) -> None:
    page.show_box.setCurrentIndex(page.show_box.findData("apologies"))
    assert page.attendance_model.rowCount() == 5
    assert {page.attendance_model.index(r, 1).data() for r in range(5)} == {"Apologies"}


def test_mark_selected_as_attended(qtbot: QtBot, page: EventsPage, demo_db: Database) -> None:
    _open(qtbot, page, RECEPTION)
    page.show_box.setCurrentIndex(page.show_box.findData("invited"))
    people = _select(page, range(3))
    page.mark_box.setCurrentIndex(page.mark_box.findData("attended"))
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.mark_button, Qt.MouseButton.LeftButton)
    statuses = _statuses(demo_db, RECEPTION)
    assert [statuses[p] for p in people] == ["attended"] * 3
    # The list still shows only the invited, so the three have left it; the counts moved.
    assert page.attendance_model.rowCount() == 26
    assert "33 attended" in page.counts.text()
    came = next(page.model.row_at(r)[5] for r in range(2) if page.model.row_at(r)[1] == RECEPTION)
    assert came == 33


def test_mark_apologies(qtbot: QtBot, page: EventsPage, demo_db: Database) -> None:
    people = _select(page, range(1))
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.mark_selected("apologies")
    assert _statuses(demo_db, MEETING)[people[0]] == "apologies"


def test_add_people_by_searching(
    qtbot: QtBot, page: EventsPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _statuses(demo_db, MEETING)

    def pick(dialog: PersonPickerDialog) -> bool:
        with qtbot.waitSignal(dialog.results_shown, timeout=TIMEOUT):
            qtbot.keyClicks(dialog.search, "university")
        assert dialog.model.rowCount() > 2
        assert not set(dialog.model.id_at(r) for r in range(dialog.model.rowCount())) & set(before)
        dialog.table.selectRow(0)
        dialog.table.selectionModel().select(
            dialog.model.index(1, 0),
            dialog.table.selectionModel().SelectionFlag.Select
            | dialog.table.selectionModel().SelectionFlag.Rows,
        )
        return True

    monkeypatch.setattr(common, "exec_dialog", pick)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.add_search_action.trigger()
    after = _statuses(demo_db, MEETING)
    added = set(after) - set(before)
    assert len(added) == 2
    assert {after[p] for p in added} == {"invited"}
    assert page.attendance_model.rowCount() == 32


def test_add_people_from_a_saved_view(
    qtbot: QtBot, page: EventsPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with demo_db.transaction() as session:
        views.save_view(session, "Welsh MSs", PersonFilter(types=["ms"]))

    def choose(dialog: AddFromViewDialog) -> bool:
        assert [dialog.view.itemText(i) for i in range(dialog.view.count())] == ["Welsh MSs"]
        dialog.status.setCurrentIndex(dialog.status.findData("registered"))
        return True

    monkeypatch.setattr(common, "exec_dialog", choose)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.add_view_action.trigger()
    statuses = _statuses(demo_db, MEETING)
    assert list(statuses.values()).count("registered") == 8
    assert page.attendance_model.rowCount() == 38


def test_add_from_view_explains_when_there_are_no_views(
    qtbot: QtBot, page: EventsPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_info", lambda _p, title, _m: shown.append(title))
    page.add_view_action.trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=TIMEOUT)
    assert shown == ["No saved views"]


def test_create_an_event(
    qtbot: QtBot, page: EventsPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fill(dialog: EventDialog) -> bool:
        assert dialog.windowTitle() == "New event"
        dialog.ok_button.click()  # nothing typed yet: the dialog says what is missing
        assert dialog.problem.text() == "An event needs a name."
        qtbot.keyClicks(dialog.name, "Kindness Champions gathering")
        dialog.starts_on.setDate(QDate(2026, 6, 10))
        dialog.location.setText("Pierhead, Cardiff Bay")
        dialog.network.setCurrentIndex(dialog.network.findText("Kindness Champions"))
        return True

    monkeypatch.setattr(common, "exec_dialog", fill)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 3
    assert page.heading.text() == "Kindness Champions gathering"
    assert "Pierhead, Cardiff Bay" in page.meta.text()
    assert "Kindness Champions" in page.meta.text()
    assert page.attendance_stack.is_empty
    assert "add people" in page.attendance_stack.label.text()
    with demo_db.session() as session:
        event = session.query(Event).filter_by(name="Kindness Champions gathering").one()
        assert event.starts_on == dt.date(2026, 6, 10)


def test_edit_an_event(
    qtbot: QtBot, page: EventsPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def change(dialog: EventDialog) -> bool:
        assert dialog.name.text() == MEETING
        dialog.location.setText("Andrew Carnegie Birthplace Museum, Dunfermline")
        dialog.several_days.setChecked(True)
        dialog.ends_on.setDate(dialog.starts_on.date().addDays(1))
        return True

    monkeypatch.setattr(common, "exec_dialog", change)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    assert "Birthplace Museum" in page.meta.text()
    assert " to " in page.meta.text()
    with demo_db.session() as session:
        event = session.query(Event).filter_by(name=MEETING).one()
        assert event.ends_on == event.starts_on + dt.timedelta(days=1)  # type: ignore[operator]


def test_export_the_people_shown(qtbot: QtBot, page: EventsPage) -> None:
    page.show_box.setCurrentIndex(page.show_box.findData("attended"))
    with qtbot.waitSignal(page.export_requested, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    (chosen,) = blocker.args
    assert isinstance(chosen, PersonFilter)
    assert sorted(chosen.ids or []) == sorted(page.attendance_model.row_at(r)[1] for r in range(22))


def test_trash_an_event(
    qtbot: QtBot, page: EventsPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dialogs, "confirm", lambda *_a, **_k: True)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.trash_button, Qt.MouseButton.LeftButton)
    assert [page.model.row_at(r)[1] for r in range(page.model.rowCount())] == [RECEPTION]
    with demo_db.session() as session:
        assert [e[1] for e in events.list_events(session, in_trash=True)] == [MEETING]


def test_opening_an_attendee_opens_the_person(qtbot: QtBot, page: EventsPage) -> None:
    with qtbot.waitSignal(page.person_activated, timeout=TIMEOUT) as blocker:
        page.attendance_table.activated.emit(page.attendance_model.index(2, 0))
    assert blocker.args == [page.attendance_model.row_at(2)[1]]
