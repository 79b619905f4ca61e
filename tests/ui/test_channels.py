"""The channel editors: every email, phone and address in the person panel and on Organisations."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from crm.models import Organisation, Person
from crm.services import channels, organisations, people

from ui.people.person_detail import PersonDetail
from ui.tasks import TaskRunner

TIMEOUT = 10_000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _detail(qtbot: QtBot, runner: TaskRunner) -> tuple[PersonDetail, int]:
    with runner.db.transaction() as session:
        pid = people.create_person(
            session,
            first_name="Ailsa",
            last_name="Grant",
            email="ailsa.grant@parliament.scot",
            address_line1="The Scottish Parliament",
            town="Edinburgh",
            postcode="EH99 1SP",
        ).id
    detail = PersonDetail(runner)
    qtbot.addWidget(detail)
    detail.resize(700, 900)
    detail.show()
    detail.load(pid)
    return detail, pid


def _rows(editor: Any) -> list[tuple[str, ...]]:
    t = editor.table
    return [tuple(t.item(r, c).text() for c in range(4)) for r in range(t.rowCount())]


def _select(editor: Any, text: str) -> None:
    row = next(r for r in range(editor.table.rowCount()) if editor.table.item(r, 2).text() == text)
    editor.table.selectRow(row)


def test_add_label_make_preferred_and_remove_in_the_person_panel(qtbot: QtBot, runner: TaskRunner) -> None:
    detail, pid = _detail(qtbot, runner)
    editor = detail.channel_editor
    assert _rows(editor) == [
        ("Email", "", "ailsa.grant@parliament.scot", "Preferred"),
        ("Address", "", "The Scottish Parliament, Edinburgh, EH99 1SP", "Preferred"),
    ]
    # A constituency office address, labelled from the list.
    dialog = editor.open_add("address")
    dialog.label_combo.setEditText("Constituency office")
    qtbot.keyClicks(dialog.address_edits["address_line1"], "12 High Street")
    qtbot.keyClicks(dialog.address_edits["town"], "Dunfermline")
    qtbot.keyClicks(dialog.address_edits["postcode"], "ky12 7dr")
    with qtbot.waitSignal(editor.changed, timeout=TIMEOUT):
        dialog.accept()
    qtbot.waitUntil(lambda: len(_rows(editor)) == 3, timeout=TIMEOUT)
    assert ("Address", "Constituency office", "12 High Street, Dunfermline, KY12 7DR", "") in _rows(editor)
    # A bad email is explained in the dialog, which stays open; nothing is saved.
    dialog = editor.open_add("email")
    qtbot.keyClicks(dialog.value_edit, "ailsa@@home")
    dialog.accept()
    assert dialog.isVisible() and dialog.problem.isVisible()
    assert "email" in dialog.problem.text().lower()
    dialog.value_edit.setText("ailsa@home.example")
    dialog.label_combo.setEditText("Personal")
    with qtbot.waitSignal(editor.changed, timeout=TIMEOUT):
        dialog.accept()
    qtbot.waitUntil(lambda: len(_rows(editor)) == 4, timeout=TIMEOUT)
    # Make the office address preferred: the Address fields of the form follow.
    _select(editor, "12 High Street, Dunfermline, KY12 7DR")
    assert editor.preferred_button.isEnabled()
    with qtbot.waitSignal(editor.changed, timeout=TIMEOUT):
        editor.preferred_button.click()
    qtbot.waitUntil(lambda: detail.edits["address_line1"].text() == "12 High Street", timeout=TIMEOUT)
    assert detail.edits["town"].text() == "Dunfermline" and not detail.is_dirty()
    # Edit the personal email's label; remove the old preferred address.
    _select(editor, "ailsa@home.example")
    dialog = editor.open_edit()
    assert dialog is not None and dialog.value_edit is not None
    assert dialog.value_edit.text() == "ailsa@home.example"
    dialog.label_combo.setEditText("Home")
    with qtbot.waitSignal(editor.changed, timeout=TIMEOUT):
        dialog.accept()
    qtbot.waitUntil(lambda: ("Email", "Home", "ailsa@home.example", "") in _rows(editor), timeout=TIMEOUT)
    _select(editor, "The Scottish Parliament, Edinburgh, EH99 1SP")
    with qtbot.waitSignal(editor.changed, timeout=TIMEOUT):
        editor.remove_button.click()
    qtbot.waitUntil(lambda: len(_rows(editor)) == 3, timeout=TIMEOUT)
    with runner.db.session() as session:
        person = session.get(Person, pid)
        assert person is not None and (person.address_line1, person.postcode) == (
            "12 High Street",
            "KY12 7DR",
        )
        assert [c.label for c in channels.list_channels(session, person_id=pid)] == [
            None,
            "Home",
            "Constituency office",
        ]
    # The form saves after channel changes without tripping over its own version.
    detail.edits["job_title"].setText("MSP")
    detail._mark_dirty()
    with qtbot.waitSignal(detail.person_saved, timeout=TIMEOUT):
        assert detail.save()


def test_channels_wait_while_the_form_has_unsaved_edits(qtbot: QtBot, runner: TaskRunner) -> None:
    detail, _pid = _detail(qtbot, runner)
    editor = detail.channel_editor
    assert editor.add_button.isEnabled()
    qtbot.keyClicks(detail.edits["job_title"], "MSP")
    assert detail.is_dirty()
    assert not editor.add_button.isEnabled() and editor.locked_note.isVisible()
    detail.discard()
    assert editor.add_button.isEnabled() and not editor.locked_note.isVisible()
    # A new person is saved first.
    detail.load(None)
    assert not editor.add_button.isEnabled() and editor.empty_note.isVisible()


def test_organisation_page_edits_its_channels(qtbot: QtBot, runner: TaskRunner) -> None:
    from ui.pages.organisations_page import OrganisationsPage

    with runner.db.transaction() as session:
        oid = organisations.create_organisation(session, name="Carnegie UK", email="info@carnegie.example").id
    page = OrganisationsPage(runner)
    qtbot.addWidget(page)
    page.resize(1100, 750)
    page.show()
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.refresh()
    qtbot.waitUntil(lambda: page.heading.text() == "Carnegie UK", timeout=TIMEOUT)
    editor = page.channel_editor
    qtbot.waitUntil(
        lambda: _rows(editor) == [("Email", "", "info@carnegie.example", "Preferred")], timeout=TIMEOUT
    )
    assert "mobile" not in editor.add_actions  # an organisation has phones, not mobiles
    address = editor.open_add("address")
    assert "address_line3" not in address.address_edits  # an organisation's address has two lines
    address.reject()
    dialog = editor.open_add("phone")
    qtbot.keyClicks(dialog.value_edit, "01383 721445")
    dialog.label_combo.setEditText("Reception")
    with qtbot.waitSignal(editor.changed, timeout=TIMEOUT):
        dialog.accept()
    qtbot.waitUntil(lambda: page.inputs["phone"].text() == "01383 721445", timeout=TIMEOUT)
    assert ("Phone", "Reception", "01383 721445", "Preferred") in _rows(editor)
    with runner.db.session() as session:
        org = session.get(Organisation, oid)
        assert org is not None and org.phone == "01383 721445"


def test_export_dialog_chooses_the_address_a_mail_merge_uses(qtbot: QtBot, runner: TaskRunner) -> None:
    from crm.filters import PersonFilter

    from ui.export_dialog import ExportDialog

    _detail_widget, pid = _detail(qtbot, runner)
    with runner.db.transaction() as session:
        channels.add_channel(
            session,
            person_id=pid,
            kind="address",
            label="Constituency office",
            address={"address_line1": "12 High Street", "town": "Dunfermline"},
        )
    dialog = ExportDialog(runner, PersonFilter(), None)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.preview_updated, timeout=TIMEOUT):
        pass
    combo = dialog.address_combo
    assert combo.isEnabled()  # the mail merge preset writes letters
    assert [combo.itemData(i) for i in range(combo.count())] == [None, "Constituency office"]

    def shown() -> str:
        model = dialog.preview_model
        return " | ".join(" ".join(model.row(r)) for r in range(model.rowCount()))

    assert "The Scottish Parliament" in shown()
    with qtbot.waitSignal(dialog.preview_updated, timeout=TIMEOUT):
        combo.setCurrentIndex(1)
    assert dialog.options().address_label == "Constituency office"
    assert "12 High Street" in shown() and "Scottish Parliament" not in shown()
