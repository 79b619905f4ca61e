"""The person panel: create, edit with inline validation, explicit save, unsaved-change guard, undo."""

from __future__ import annotations

from typing import Any

import pytest

from PySide6.QtCore import QItemSelectionModel

from crm.models import Person
from crm.services import consent, interactions, networks, people, roles, tags

from ui import dialogs
from ui.people.person_detail import PersonDetail
from ui.tasks import TaskRunner


def _field(dialog: Any, name: str) -> Any:
    """A dialog's control by its accessible name (what a screen reader announces)."""
    from PySide6.QtWidgets import QWidget

    return next(w for w in dialog.findChildren(QWidget) if w.accessibleName() == name)


def _saved(qtbot: Any, detail: PersonDetail) -> None:
    with qtbot.waitSignal(detail.person_saved, timeout=10_000):
        assert detail.save()


def test_create_a_person_from_the_main_window(qtbot: Any, main_window: Any) -> None:
    page = main_window.people_page
    before = page.model.rowCount()
    main_window.new_person_action.trigger()
    detail = page.detail
    assert detail.person_id is None
    assert detail.heading.text() == "New person"
    qtbot.keyClicks(detail.edits["first_name"], "Morven")
    qtbot.keyClicks(detail.edits["last_name"], "Achnacarry")
    qtbot.keyClicks(detail.edits["email"], "Morven.A@Example.ORG")
    qtbot.keyClicks(detail.organisation_edit, "Kindred Test Trust")
    assert detail.organisation_note.isVisible()  # a new organisation: said before saving
    detail.type_checks["msp"].setChecked(True)
    qtbot.keyClicks(detail.tags_edit, "newsletter, reception 2026")
    assert detail.is_dirty() and detail.save_button.isEnabled()
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        main_window.save_action.trigger()
    assert page.model.rowCount() == before + 1
    pid = detail.person_id
    assert pid is not None and not detail.is_dirty()
    with main_window.db.session() as session:
        person = people.get_person(session, pid)
        assert person.email == "morven.a@example.org"
        assert person.organisation is not None and person.organisation.name == "Kindred Test Trust"
        assert [t.type for t in person.types] == ["msp"]
        assert tags.tags_of(session, pid) == ["newsletter", "reception 2026"]
    assert page.model.row_of(pid) is not None


def test_invalid_email_and_phone_are_explained_and_block_saving(qtbot: Any, runner: TaskRunner) -> None:
    detail = PersonDetail(runner)
    qtbot.addWidget(detail)
    detail.show()
    qtbot.keyClicks(detail.edits["first_name"], "Ada")
    detail.edits["email"].setText("ada@@example")
    detail.edits["phone"].setText("12")
    assert not detail.save()
    assert "not a valid email address" in detail.errors["email"].text()
    assert detail.errors["email"].isVisible()
    assert "phone number" in detail.errors["phone"].text()
    with runner.db.session() as session:
        assert session.query(Person).count() == 0
    # Fixing them clears the messages and saves the normalised values.
    detail.edits["email"].setText("ada@example.org")
    detail.edits["phone"].setText("01314960000")
    detail.edits["postcode"].setText("eh991sp")
    _saved(qtbot, detail)
    assert not detail.errors["email"].isVisible()
    assert detail.edits["phone"].text() == "0131 496 0000"
    assert detail.edits["postcode"].text() == "EH99 1SP"


def test_a_person_needs_a_name_or_email(qtbot: Any, runner: TaskRunner) -> None:
    detail = PersonDetail(runner)
    qtbot.addWidget(detail)
    detail.edits["town"].setText("Perth")
    assert not detail.save()
    assert "name or an email" in detail.errors["email"].text()


def test_edit_save_and_undo(qtbot: Any, main_window: Any) -> None:
    page = main_window.people_page
    detail = page.detail
    pid = detail.person_id
    assert pid is not None
    old_job = detail.edits["job_title"].text()
    detail.edits["job_title"].clear()
    qtbot.keyClicks(detail.edits["job_title"], "Head of Kindness")
    _saved(qtbot, detail)
    with main_window.db.session() as session:
        assert people.get_person(session, pid).job_title == "Head of Kindness"
    assert main_window.undo_action.isEnabled()
    assert main_window.undo_action.text().replace("&", "") == f"Undo Edit {detail.heading.text()}"
    with qtbot.waitSignal(detail.person_saved, timeout=10_000):
        main_window.undo_action.trigger()
    with main_window.db.session() as session:
        assert (people.get_person(session, pid).job_title or "") == old_job
    assert detail.edits["job_title"].text() == old_job
    with qtbot.waitSignal(detail.person_saved, timeout=10_000):
        main_window.redo_action.trigger()
    assert detail.edits["job_title"].text() == "Head of Kindness"


def test_switching_person_with_unsaved_edits_asks(
    qtbot: Any, main_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = main_window.people_page
    detail = page.detail
    first = detail.person_id
    qtbot.keyClicks(detail.edits["notes"] if "notes" in detail.edits else detail.edits["region"], " (edited)")
    assert detail.is_dirty()
    answers = ["cancel"]
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "ask_unsaved_changes", lambda _p, name: asked.append(name) or answers.pop(0))
    selection = page.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    selection.setCurrentIndex(page.model.index(1, 0), flags)
    assert asked
    assert detail.person_id == first and detail.is_dirty()  # Cancel: still there, edits kept
    qtbot.waitUntil(lambda: page.table.currentIndex().row() == page.model.row_of(first), timeout=5_000)

    answers.append("discard")
    selection.setCurrentIndex(page.model.index(1, 0), flags)
    assert detail.person_id == page.model.person_id(1)
    assert not detail.is_dirty()
    with main_window.db.session() as session:
        assert " (edited)" not in (people.get_person(session, first).region or "")


def test_log_interaction_from_the_panel(qtbot: Any, main_window: Any) -> None:
    detail = main_window.people_page.detail
    pid = detail.person_id
    dialog = detail.open_log_interaction()
    assert dialog is not None and dialog.participant_ids() == [pid]
    dialog.kind_combo.setCurrentText("Call")
    dialog.subject_edit.setText("Catch-up about the reception")
    dialog.topics_edit.setText("events, loneliness")
    dialog.follow_up_check.setChecked(True)
    with qtbot.waitSignal(detail.interaction_logged, timeout=10_000):
        dialog.save_button.click()
    assert detail.tabs.currentIndex() == 4
    assert detail.timeline_table.item(0, 2).text() == "Catch-up about the reception"
    with main_window.db.session() as session:
        latest = interactions.timeline(session, pid)[0]
        assert latest.kind == "call" and latest.follow_up_on is not None
        assert latest.topics == "events, loneliness"


def test_interaction_needs_a_subject(qtbot: Any, main_window: Any) -> None:
    dialog = main_window.people_page.detail.open_log_interaction()
    dialog.save_button.click()
    assert dialog.subject_error.isVisible()
    assert dialog.isVisible()


def test_memberships_roles_and_consent(qtbot: Any, main_window: Any) -> None:
    detail = main_window.people_page.detail
    pid = detail.person_id
    dialog = detail.open_add_to_network()
    combos = dialog.findChildren(type(detail.title_combo))
    combos[0].setCurrentText("Kindness Champions")
    with qtbot.waitSignal(detail.related_changed, timeout=10_000):
        dialog.accept()
    with main_window.db.session() as session:
        net = networks.network_by_name(session, "Kindness Champions")
        assert pid in [m[1] for m in networks.members(session, net.id)]
    names = [detail.membership_table.item(r, 0).text() for r in range(detail.membership_table.rowCount())]
    assert "Kindness Champions" in names

    dialog = detail.open_add_role()
    _field(dialog, "Chamber").setCurrentText("Scottish Parliament")
    _field(dialog, "Party").setText("Scottish Green Party")
    _field(dialog, "Constituency").setText("Edinburgh Central")
    with qtbot.waitSignal(detail.related_changed, timeout=10_000):
        dialog.accept()
    with main_window.db.session() as session:
        assert any(r.constituency == "Edinburgh Central" for r in roles.roles_of(session, pid))

    dialog = detail.open_record_consent()
    dialog.findChildren(type(detail.title_combo))[0].setCurrentText("newsletter")
    with qtbot.waitSignal(detail.related_changed, timeout=10_000):
        dialog.accept()
    with main_window.db.session() as session:
        assert any(c.purpose == "newsletter" for c in consent.consents_of(session, pid))


def test_interaction_with_several_participants(qtbot: Any, main_window: Any) -> None:
    detail = main_window.people_page.detail
    first = detail.person_id
    dialog = detail.open_log_interaction()
    dialog.add_edit.setText("floinn")
    dialog._suggest("floinn")
    suggestions = list(dialog._suggestions)
    assert suggestions and all("Floinn" in s for s in suggestions)
    dialog._add_suggestion(suggestions[0])
    assert len(dialog.participant_ids()) == 2
    assert dialog.people_list.count() == 2
    dialog.people_list.item(0).setSelected(True)
    dialog.remove_button.click()
    assert first not in dialog.participant_ids()
    dialog.add_participant(first)
    dialog.subject_edit.setText("Three-way call")
    with qtbot.waitSignal(dialog.logged, timeout=10_000) as blocker:
        dialog.save_button.click()
    with main_window.db.session() as session:
        assert {pid for pid, _name in interactions.participants(session, blocker.args[0])} == set(
            dialog.participant_ids()
        )


def test_a_new_person_opens_on_details_with_no_stale_timeline_count(qtbot: Any, main_window: Any) -> None:
    page = main_window.people_page
    detail = page.detail
    qtbot.waitUntil(lambda: detail.person_id is not None, timeout=10_000)
    detail.tabs.setCurrentIndex(4)
    dialog = detail.open_log_interaction()
    assert dialog is not None
    dialog.subject_edit.setText("Coffee")
    with qtbot.waitSignal(detail.interaction_logged, timeout=10_000):
        dialog.save_button.click()
    assert detail.tabs.currentIndex() == 4
    assert detail.tabs.tabText(4).startswith("Timeline (")
    main_window.new_person_action.trigger()
    assert detail.person_id is None
    assert detail.tabs.currentIndex() == 0
    assert detail.tabs.tabText(4) == "Timeline"
