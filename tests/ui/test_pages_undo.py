"""Edit ▸ Undo (Ctrl+Z) takes back changes made on the secondary pages, and Redo makes them again."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QVBoxLayout, QWidget

from crm.db import Database
from crm.models import Attendance, Event, Interaction, Membership, Organisation
from crm.services import interactions, trash

from ui import dialogs
from ui.pages.events_page import EventsPage
from ui.pages.followups_page import FollowUpsPage
from ui.pages.interactions_page import InteractionsPage
from ui.pages.networks_page import NetworksPage
from ui.pages.organisations_page import OrganisationsPage
from ui.pages.trash_page import TrashPage
from ui.tasks import TaskRunner

TIMEOUT = 5000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class Host(QWidget):
    """Stands in for the main window: a top-level widget that owns the undo stack."""

    def __init__(self) -> None:
        super().__init__()
        self.undo_stack = QUndoStack(self)
        QVBoxLayout(self)


def _host(qtbot: QtBot, runner: TaskRunner, cls: type[Any]) -> tuple[Host, Any]:
    host = Host()
    qtbot.addWidget(host)
    page = cls(runner, host)
    host.layout().addWidget(page)
    host.resize(1000, 700)
    host.show()
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.refresh()
    return host, page


def _undo(qtbot: QtBot, host: Host, page: Any) -> None:
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        host.undo_stack.undo()


def _redo(qtbot: QtBot, host: Host, page: Any) -> None:
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        host.undo_stack.redo()


@pytest.fixture(autouse=True)
def _yes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialogs, "confirm", lambda *_a, **_k: True)


def test_undo_an_organisation_edit_and_a_move_to_trash(
    qtbot: QtBot, demo_runner: TaskRunner, demo_db: Database
) -> None:
    host, page = _host(qtbot, demo_runner, OrganisationsPage)
    org_id = page.model.id_at(0)
    town = page.inputs["town"]
    old_town = town.text()
    town.setText("Kirkcaldy")
    town.textEdited.emit("Kirkcaldy")
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.save()
    assert host.undo_stack.undoText() == f"Edit {page.model.row_at(0)[1]}"
    _undo(qtbot, host, page)
    assert town.text() == old_town
    with demo_db.session() as session:
        assert session.get(Organisation, org_id).town == old_town  # type: ignore[union-attr]
    _redo(qtbot, host, page)
    assert town.text() == "Kirkcaldy"

    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.trash_selected()
    assert page.model.row_of_id(org_id) < 0
    _undo(qtbot, host, page)
    assert page.model.row_of_id(org_id) >= 0
    with demo_db.session() as session:
        assert session.get(Organisation, org_id).deleted_at is None  # type: ignore[union-attr]


def test_undo_a_status_change_in_a_network(qtbot: QtBot, demo_runner: TaskRunner, demo_db: Database) -> None:
    host, page = _host(qtbot, demo_runner, NetworksPage)
    page.members_table.selectRow(0)
    membership_id = page.members_model.id_at(0)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.remove_selected()
    with demo_db.session() as session:
        assert session.get(Membership, membership_id).status == "left"  # type: ignore[union-attr]
    _undo(qtbot, host, page)
    with demo_db.session() as session:
        assert session.get(Membership, membership_id).status == "active"  # type: ignore[union-attr]
    assert page.members_model.row_of_id(membership_id) >= 0


def test_undo_marking_attendance(qtbot: QtBot, demo_runner: TaskRunner, demo_db: Database) -> None:
    host, page = _host(qtbot, demo_runner, EventsPage)
    page.attendance_table.selectRow(0)
    attendance_id, _pid, _name, before, *_notes_and_stations = page.attendance_model.row_at(0)
    new = "no_show" if before != "no_show" else "attended"
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.mark_selected(new)
    assert host.undo_stack.undoText().startswith("Mark 1 as ")
    _undo(qtbot, host, page)
    with demo_db.session() as session:
        assert session.get(Attendance, attendance_id).status == before  # type: ignore[union-attr]


def test_undo_moving_an_event_to_the_trash(qtbot: QtBot, demo_runner: TaskRunner, demo_db: Database) -> None:
    host, page = _host(qtbot, demo_runner, EventsPage)
    event_id = page.current_event_id
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.trash_event()
    assert page.model.row_of_id(event_id) < 0
    _undo(qtbot, host, page)
    assert page.model.row_of_id(event_id) >= 0
    with demo_db.session() as session:
        assert session.get(Event, event_id).deleted_at is None  # type: ignore[union-attr]


def test_undo_trashing_an_interaction(qtbot: QtBot, demo_runner: TaskRunner) -> None:
    host, page = _host(qtbot, demo_runner, InteractionsPage)
    first = page.model.row_at(0).id
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.trash_selected()
    assert page.model.row_of_id(first) < 0
    _undo(qtbot, host, page)
    assert page.model.row_of_id(first) == 0


def test_undo_mark_done_brings_the_badge_back(
    qtbot: QtBot, demo_runner: TaskRunner, demo_db: Database
) -> None:
    host, page = _host(qtbot, demo_runner, FollowUpsPage)
    before = page.overdue_count
    done_id = page.selected_ids()[0]
    with qtbot.waitSignal(page.overdue_count_changed, timeout=TIMEOUT):
        page.mark_done()
    assert page.overdue_count == before - 1
    with qtbot.waitSignal(page.overdue_count_changed, timeout=TIMEOUT) as blocker:
        host.undo_stack.undo()
    assert blocker.args == [before]
    with demo_db.session() as session:
        assert not session.get(Interaction, done_id).follow_up_done  # type: ignore[union-attr]
        assert interactions.count_overdue(session) == before


def test_undo_a_restore_puts_it_back_in_the_trash(
    qtbot: QtBot, demo_runner: TaskRunner, demo_db: Database
) -> None:
    with demo_db.transaction() as session:
        org = session.query(Organisation).filter_by(name="NHS Fife").one()
        trash.trash(session, "organisation", [org.id])
        org_id = org.id
    host, page = _host(qtbot, demo_runner, TrashPage)
    page.table.selectRow(0)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.restore_selected()
    assert page.model.rowCount() == 0
    _undo(qtbot, host, page)
    assert [page.model.row_at(r)[2] for r in range(page.model.rowCount())] == ["NHS Fife"]
    with demo_db.session() as session:
        assert session.get(Organisation, org_id).deleted_at is not None  # type: ignore[union-attr]
