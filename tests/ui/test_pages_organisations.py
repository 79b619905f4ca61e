"""The Organisations page on the sample data: search, edit with validation, create, trash."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from crm.db import Database
from crm.models import AuditEntry, Organisation
from crm.services import organisations

from ui import dialogs
from ui.pages.organisations_page import OrganisationsPage
from ui.tasks import TaskRunner

TIMEOUT = 5000
# The offscreen platform says this whenever a window is shown; it is not a problem of ours.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def page(demo_runner: TaskRunner, qtbot: QtBot) -> OrganisationsPage:
    widget = OrganisationsPage(demo_runner)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    with qtbot.waitSignal(widget.refreshed, timeout=TIMEOUT):
        widget.refresh()
    return widget


def _row_of(page: OrganisationsPage, name: str) -> int:
    for row in range(page.model.rowCount()):
        if page.model.row_at(row)[1] == name:
            return row
    raise AssertionError(f"{name} is not in the list")


def _open(qtbot: QtBot, page: OrganisationsPage, name: str) -> None:
    if page.heading.text() == name:
        return  # already open
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.table.selectRow(_row_of(page, name))


def test_lists_sample_organisations_with_people_counts(
    page: OrganisationsPage, qtmodeltester: object
) -> None:
    qtmodeltester.check(page.model)  # type: ignore[attr-defined]
    assert page.model.rowCount() == 26
    row = page.model.row_at(_row_of(page, "Scottish Parliament"))
    assert row[2] == "Government"
    assert row[4] == 32
    assert page.count_label.text() == "26 organisations"
    # The first is open so the detail pane is never blank beside a full list.
    assert page.heading.text() == page.model.row_at(0)[1] == "Brightwater Energy Ltd"


def test_search_narrows_the_list_and_says_when_nothing_matches(qtbot: QtBot, page: OrganisationsPage) -> None:
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.keyClicks(page.search, "univer")
    names = sorted(page.model.row_at(r)[1] for r in range(page.model.rowCount()))
    assert names == ["Cardiff University", "University of Leeds", "University of Stirling"]
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.search.setText("zzzz nothing")
    assert page.list_stack.is_empty
    assert "No organisations match" in page.list_stack.label.text()


def test_edit_and_save_an_organisation(qtbot: QtBot, page: OrganisationsPage, demo_db: Database) -> None:
    _open(qtbot, page, "Cardiff University")
    assert page.inputs["town"].text() == "Cardiff"  # type: ignore[union-attr]
    assert page.people_model.rowCount() == 5
    assert not page.save_button.isEnabled()
    page.inputs["notes"].setPlainText("Runs the kindness research cluster.")  # type: ignore[union-attr]
    page.inputs["partner_status"].setCurrentText("Partner")  # type: ignore[union-attr]
    assert page.save_button.isEnabled()
    assert page.has_unsaved_changes
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.save_button, qtbot_left())
    assert not page.has_unsaved_changes
    assert page.model.row_at(_row_of(page, "Cardiff University"))[3] == "Partner"
    with demo_db.session() as session:
        org = organisations.find_organisation(session, "Cardiff University")
        assert org is not None
        assert org.notes == "Runs the kindness research cluster."
        fields = {
            e.field
            for e in session.query(AuditEntry).filter_by(
                entity="organisation", entity_id=org.id, action="update"
            )
        }
    assert fields == {"notes", "partner_status"}


def test_invalid_values_are_explained_and_not_saved(
    qtbot: QtBot, page: OrganisationsPage, demo_db: Database
) -> None:
    _open(qtbot, page, "NHS Fife")
    _retype(qtbot, page, "email", "not an email")
    page.save()
    assert page.error_box.isVisible()
    assert "not a valid email address" in page.error_label.text()
    _retype(qtbot, page, "email", "")
    _retype(qtbot, page, "name", "")
    page.save()
    assert page.error_label.text() == "An organisation needs a name."
    with demo_db.session() as session:
        assert organisations.find_organisation(session, "NHS Fife") is not None


def test_website_is_tidied_to_a_full_address(
    qtbot: QtBot, page: OrganisationsPage, demo_db: Database
) -> None:
    _open(qtbot, page, "Kind Coffee Co-operative")
    _retype(qtbot, page, "website", "kindcoffee.example.org")
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.save()
    assert page.inputs["website"].text() == "https://kindcoffee.example.org"  # type: ignore[union-attr]


def test_unsaved_changes_are_not_lost_silently(
    qtbot: QtBot, page: OrganisationsPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open(qtbot, page, "NHS Fife")
    _retype(qtbot, page, "town", "Kirkcaldy")
    assert page.heading.text() == "NHS Fife (not saved)"
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, _t, question, **_k: asked.append(question) or False)
    page.table.selectRow(_row_of(page, "Fife Council"))
    assert asked and "NHS Fife" in asked[0]
    assert page.inputs["town"].text() == "Kirkcaldy"  # type: ignore[union-attr]
    assert page.has_unsaved_changes


def test_create_a_new_organisation(qtbot: QtBot, page: OrganisationsPage, demo_db: Database) -> None:
    qtbot.mouseClick(page.new_button, qtbot_left())
    assert page.heading.text() == "New organisation"
    assert page.save_button.isEnabled()
    qtbot.keyClicks(page.inputs["name"], "Kindness Lab Wales")
    page.inputs["sector"].setCurrentText("Third sector")  # type: ignore[union-attr]
    page.inputs["postcode"].setText("cf10 1aa")  # type: ignore[union-attr]
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.save()
    assert page.model.rowCount() == 27
    selected = page.table.selectionModel().selectedRows()
    assert [page.model.row_at(i.row())[1] for i in selected] == ["Kindness Lab Wales"]
    assert page.inputs["postcode"].text() == "CF10 1AA"  # type: ignore[union-attr]
    with demo_db.session() as session:
        org = organisations.find_organisation(session, "kindness lab wales")
        assert org is not None and org.sector == "Third sector"


def test_move_to_trash_after_confirming(
    qtbot: QtBot, page: OrganisationsPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open(qtbot, page, "Ffynnon Foundation")
    monkeypatch.setattr(dialogs, "confirm", lambda *_a, **_k: True)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.trash_button, qtbot_left())
    assert page.model.rowCount() == 25
    assert page.heading.text() == page.model.row_at(0)[1] != "Ffynnon Foundation"
    with demo_db.session() as session:
        org = session.query(Organisation).filter_by(name="Ffynnon Foundation").one()
        assert org.deleted_at is not None


def test_double_clicking_a_person_opens_them(qtbot: QtBot, page: OrganisationsPage) -> None:
    _open(qtbot, page, "Cardiff University")
    index = page.people_model.index(0, 0)
    with qtbot.waitSignal(page.person_activated, timeout=TIMEOUT) as blocker:
        page.people_table.activated.emit(index)
    assert blocker.args == [page.people_model.id_at(0)]


def _retype(qtbot: QtBot, page: OrganisationsPage, field: str, text: str) -> None:
    """Select what is in a field and type over it, as a user would."""
    widget = page.inputs[field]
    assert isinstance(widget, QLineEdit)
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClick(widget, Qt.Key.Key_Delete)
    if text:
        qtbot.keyClicks(widget, text)


def qtbot_left() -> Qt.MouseButton:
    return Qt.MouseButton.LeftButton


def test_revert_puts_back_what_was_saved(qtbot: QtBot, page: OrganisationsPage) -> None:
    _open(qtbot, page, "NHS Fife")
    _retype(qtbot, page, "town", "Kirkcaldy")
    assert page.revert_button.isEnabled()
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.revert_button, qtbot_left())
    assert page.inputs["town"].text() == "Dunfermline"  # type: ignore[union-attr]
    assert page.heading.text() == "NHS Fife"
    assert not page.has_unsaved_changes


def test_delete_key_in_the_list_moves_the_organisation_to_the_trash(
    qtbot: QtBot, main_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the main window too, where Delete is also the People list's shortcut."""
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, _t, question, **_k: asked.append(question) or True)
    page = main_window.show_page("organisations")
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not main_window.runner.busy, timeout=TIMEOUT)
    page.table.setFocus()
    people_before = main_window.people_page.model.rowCount()
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    assert len(asked) == 1 and "Brightwater Energy Ltd" in asked[0]
    assert page.model.rowCount() == 25
    assert main_window.people_page.model.rowCount() == people_before  # no person was deleted


def test_a_save_after_someone_elses_is_refused_then_reloaded_keeping_what_was_typed(
    qtbot: QtBot, page: OrganisationsPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm.db import open_database

    _open(qtbot, page, "Cardiff University")
    # Another window (its own connection to the same file) changes the town and saves first.
    assert demo_db.path is not None
    other = open_database(demo_db.path, create=False)
    try:
        with other.transaction() as session:
            org = organisations.find_organisation(session, "Cardiff University")
            assert org is not None
            organisations.update_organisation(session, org.id, {"town": "Caerdydd"})
    finally:
        other.dispose()
    page.inputs["notes"].setPlainText("Typed here.")  # type: ignore[union-attr]
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "ask_reload_stale", lambda _p, text: asked.append(text) or True)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.save_button, qtbot_left())
    assert asked and "changed by someone else" in asked[0]
    with demo_db.session() as session:
        org = organisations.find_organisation(session, "Cardiff University")
        assert org is not None and org.notes != "Typed here."
    # Reloaded: their town shows, and the notes typed here are still there, ready to save.
    assert page.inputs["town"].text() == "Caerdydd"  # type: ignore[union-attr]
    assert page.inputs["notes"].toPlainText() == "Typed here."  # type: ignore[union-attr]
    assert page.has_unsaved_changes
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.save_button, qtbot_left())
    with demo_db.session() as session:
        org = organisations.find_organisation(session, "Cardiff University")
        assert org is not None and (org.town, org.notes) == ("Caerdydd", "Typed here.")
