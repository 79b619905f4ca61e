"""The Networks page on the sample data: members, roles, statuses, removal, new network, export."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from crm.db import Database
from crm.filters import PersonFilter, count_people
from crm.models import Membership
from crm.services import networks

from ui import dialogs
from ui.pages import common
from ui.pages.networks_page import NetworksPage, NewNetworkDialog
from ui.tasks import TaskRunner

TIMEOUT = 5000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def page(demo_runner: TaskRunner, qtbot: QtBot) -> NetworksPage:
    widget = NetworksPage(demo_runner)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    with qtbot.waitSignal(widget.refreshed, timeout=TIMEOUT):
        widget.refresh()
    return widget


def _open(qtbot: QtBot, page: NetworksPage, name: str) -> None:
    row = next(r for r in range(page.model.rowCount()) if page.model.row_at(r)[1] == name)
    if page.current_network == (page.model.id_at(row), name):
        return  # already open
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.table.selectRow(row)


def _select_members(page: NetworksPage, count: int) -> list[int]:
    """Select the first ``count`` members; returns their person ids."""
    selection = page.members_table.selectionModel()
    selection.clearSelection()
    for row in range(count):
        selection.select(
            page.members_model.index(row, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        )
    return [page.members_model.row_at(r)[1] for r in range(count)]


def _status_of(db: Database, network: str, person_id: int) -> str:
    with db.session() as session:
        network_id = networks.network_by_name(session, network).id
        return session.query(Membership).filter_by(network_id=network_id, person_id=person_id).one().status


def test_shows_networks_and_the_first_networks_members(page: NetworksPage, qtmodeltester: object) -> None:
    qtmodeltester.check(page.model)  # type: ignore[attr-defined]
    qtmodeltester.check(page.members_model)  # type: ignore[attr-defined]
    names = [page.model.row_at(r)[1] for r in range(page.model.rowCount())]
    assert names == ["Kindness Champions", "Kindness Innovation Network", "Kindness Leadership Network"]
    assert page.heading.text() == "Kindness Champions"
    # 66 Champions, of whom 3 left (5 more left and came back): the current 63 show.
    assert page.members_model.rowCount() == 63


def test_roles_and_statuses_are_shown(qtbot: QtBot, page: NetworksPage) -> None:
    _open(qtbot, page, "Kindness Leadership Network")
    roles = [page.members_model.index(r, 1).data() for r in range(page.members_model.rowCount())]
    assert roles.count("Co-chair") == 3
    _open(qtbot, page, "Kindness Innovation Network")
    statuses = [page.members_model.index(r, 2).data() for r in range(page.members_model.rowCount())]
    assert statuses.count("Paused") == 4
    assert "4 invited or paused" in page.count_label.text()


def test_change_status_of_selected_members(qtbot: QtBot, page: NetworksPage, demo_db: Database) -> None:
    _open(qtbot, page, "Kindness Champions")
    people = _select_members(page, 2)
    assert page.status_button.isEnabled()
    page.status_box.setCurrentText("Paused")
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.status_button, Qt.MouseButton.LeftButton)
    assert [_status_of(demo_db, "Kindness Champions", p) for p in people] == ["paused", "paused"]
    shown = {
        page.members_model.row_at(r)[1]: page.members_model.index(r, 2).data()
        for r in range(page.members_model.rowCount())
    }
    assert shown[people[0]] == "Paused"
    # The members stay selected, ready for the next change.
    assert len(page.selected_members()) == 2


def test_change_role_of_selected_members(qtbot: QtBot, page: NetworksPage, demo_db: Database) -> None:
    _open(qtbot, page, "Kindness Leadership Network")
    people = _select_members(page, 1)
    page.role_box.setCurrentText("Facilitator")
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.role_button, Qt.MouseButton.LeftButton)
    with demo_db.session() as session:
        network_id = networks.network_by_name(session, "Kindness Leadership Network").id
        role = session.query(Membership).filter_by(network_id=network_id, person_id=people[0]).one().role
    assert role == "facilitator"
    assert page.members_model.index(0, 1).data() == "Facilitator"


def test_remove_marks_members_as_left(
    qtbot: QtBot, page: NetworksPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open(qtbot, page, "Kindness Innovation Network")
    people = _select_members(page, 3)
    monkeypatch.setattr(dialogs, "confirm", lambda *_a, **_k: True)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert all(_status_of(demo_db, "Kindness Innovation Network", p) == "left" for p in people)
    assert page.members_model.rowCount() == 32
    assert "3 left" in page.count_label.text()
    page.show_left.setChecked(True)
    assert page.members_model.rowCount() == 35
    innovation = next(r for r in range(3) if page.model.row_at(r)[1] == "Kindness Innovation Network")
    assert page.model.row_at(innovation)[2] == 32


def test_remove_does_nothing_when_not_confirmed(
    qtbot: QtBot, page: NetworksPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = _select_members(page, 1)
    monkeypatch.setattr(dialogs, "confirm", lambda *_a, **_k: False)
    page.remove_selected()
    assert _status_of(demo_db, "Kindness Champions", people[0]) == "active"


def test_new_network(
    qtbot: QtBot, page: NetworksPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fill(dialog: NewNetworkDialog) -> bool:
        assert not dialog.ok_button.isEnabled()
        qtbot.keyClicks(dialog.name, "Kind Councils Network")
        assert dialog.ok_button.isEnabled()
        dialog.is_open.setChecked(True)
        return True

    monkeypatch.setattr(common, "exec_dialog", fill)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 4
    assert page.heading.text() == "Kind Councils Network"
    assert page.members_stack.is_empty
    assert "No members yet" in page.members_stack.label.text()
    with demo_db.session() as session:
        assert networks.network_by_name(session, "kind councils network").is_open


def test_export_carries_a_filter_for_the_network(qtbot: QtBot, page: NetworksPage, demo_db: Database) -> None:
    with demo_db.transaction() as session:
        network_id = networks.network_by_name(session, "Kindness Leadership Network").id
        leavers = [m[1] for m in networks.members(session, network_id)[:5]]
        networks.set_status(session, network_id, leavers, "left")
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.refresh()
    _open(qtbot, page, "Kindness Leadership Network")
    with qtbot.waitSignal(page.export_requested, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    (chosen,) = blocker.args
    assert chosen == PersonFilter(network="Kindness Leadership Network")
    shown = page.members_model.rowCount()
    with demo_db.session() as session:
        # The export takes the members the page shows: people who have left are not among them.
        assert count_people(session, chosen) == shown
        everyone = len(networks.members(session, page.current_network[0]))  # type: ignore[index]
    assert shown < everyone
    page.show_left.setChecked(True)
    with qtbot.waitSignal(page.export_requested, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    (chosen,) = blocker.args
    assert chosen == PersonFilter(network="Kindness Leadership Network", current_roles_only=False)
    with demo_db.session() as session:
        assert count_people(session, chosen) == page.members_model.rowCount() == everyone


def test_opening_a_member_opens_the_person(qtbot: QtBot, page: NetworksPage) -> None:
    with qtbot.waitSignal(page.person_activated, timeout=TIMEOUT) as blocker:
        page.members_table.activated.emit(page.members_model.index(3, 0))
    assert blocker.args == [page.members_model.row_at(3)[1]]
