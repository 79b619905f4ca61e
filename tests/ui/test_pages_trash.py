"""The Trash page: deleted records of every kind, newest first, and Restore."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from crm.db import Database
from crm.filters import PersonFilter, count_people
from crm.models import Event, Interaction, Organisation, Person
from crm.services import trash

from ui import dialogs
from ui.pages.common import format_date
from ui.pages.trash_page import EXPLANATION, TrashPage
from ui.tasks import TaskRunner

TIMEOUT = 5000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def trashed(demo_db: Database) -> dict[str, list[int]]:
    """Three people, an organisation, two interactions and an event moved to the Trash."""
    with demo_db.transaction() as session:
        ids = {
            "person": [p.id for p in session.query(Person).order_by(Person.id).limit(3)],
            "organisation": [o.id for o in session.query(Organisation).filter_by(name="NHS Fife")],
            "interaction": [i.id for i in session.query(Interaction).order_by(Interaction.id).limit(2)],
            "event": [e.id for e in session.query(Event).order_by(Event.id).limit(1)],
        }
        for kind, record_ids in ids.items():
            trash.trash(session, kind, record_ids)
    return ids


@pytest.fixture
def page(demo_runner: TaskRunner, qtbot: QtBot, trashed: dict[str, list[int]]) -> TrashPage:
    widget = TrashPage(demo_runner)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    with qtbot.waitSignal(widget.refreshed, timeout=TIMEOUT):
        widget.refresh()
    return widget


def test_lists_every_kind_with_when_it_was_deleted(page: TrashPage, qtmodeltester: object) -> None:
    qtmodeltester.check(page.model)  # type: ignore[attr-defined]
    kinds = sorted(page.model.index(r, 0).data() for r in range(page.model.rowCount()))
    assert kinds == ["Event", "Interaction", "Interaction", "Organisation", "Person", "Person", "Person"]
    assert "NHS Fife" in {page.model.index(r, 1).data() for r in range(page.model.rowCount())}
    row = page.model.row_at(0)
    assert page.model.index(0, 2).data() == format_date(row[3])
    assert page.count_label.text() == "7 items in the Trash"
    assert page.explanation.text() == EXPLANATION
    assert "kept until you restore them" in EXPLANATION


def test_show_one_kind(page: TrashPage) -> None:
    page.kind_box.setCurrentIndex(page.kind_box.findData("person"))
    assert page.model.rowCount() == 3
    page.kind_box.setCurrentIndex(page.kind_box.findData("network"))
    assert page.stack.is_empty
    assert page.stack.label.text() == "No networks in the Trash."


def test_restore_selected_people_and_organisation(
    qtbot: QtBot, page: TrashPage, demo_db: Database, trashed: dict[str, list[int]]
) -> None:
    with demo_db.session() as session:
        people_before = count_people(session, PersonFilter())
    selection = page.table.selectionModel()
    for r in range(page.model.rowCount()):
        if page.model.row_at(r)[1] in ("person", "organisation"):
            selection.select(
                page.model.index(r, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows
            )
    assert page.restore_button.isEnabled()
    with (
        qtbot.waitSignal(page.data_changed, timeout=TIMEOUT),
        qtbot.waitSignal(page.refreshed, timeout=TIMEOUT),
    ):
        qtbot.mouseClick(page.restore_button, Qt.MouseButton.LeftButton)
    assert sorted(page.model.index(r, 0).data() for r in range(page.model.rowCount())) == [
        "Event",
        "Interaction",
        "Interaction",
    ]
    with demo_db.session() as session:
        assert count_people(session, PersonFilter()) == people_before + 3
        org = session.get(Organisation, trashed["organisation"][0])
        assert org is not None and org.deleted_at is None


def test_restoring_everything_leaves_an_empty_trash_that_says_so(qtbot: QtBot, page: TrashPage) -> None:
    page.table.selectAll()
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.restore_selected()
    assert page.stack.is_empty
    assert page.stack.label.text().startswith("The Trash is empty.")
    assert page.count_label.text() == ""


def test_opening_a_person_in_the_trash_explains_why_not(
    qtbot: QtBot, page: TrashPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_info", lambda _p, _t, message: shown.append(message))
    row = next(r for r in range(page.model.rowCount()) if page.model.row_at(r)[1] == "person")
    page.table.activated.emit(page.model.index(row, 0))
    assert shown and "Restore them to open their record" in shown[0]


def test_a_network_in_the_trash_can_be_restored(
    qtbot: QtBot, demo_runner: TaskRunner, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm.services import networks

    told: list[str] = []
    monkeypatch.setattr(dialogs, "show_info", lambda _parent, _title, text: told.append(text))
    with demo_db.transaction() as session:
        network = networks.network_by_name(session, "Kindness Champions")
        trash.trash(session, "network", [network.id])
    page = TrashPage(demo_runner)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.refresh()
    (row,) = [r for r in range(page.model.rowCount()) if page.model.row_at(r)[1] == "network"]
    page.table.selectRow(row)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.restore_button, Qt.MouseButton.LeftButton)
    assert told == []  # no "cannot be restored" message
    with demo_db.session() as session:
        assert "Kindness Champions" in [name for _, name, _ in networks.list_networks(session)]
