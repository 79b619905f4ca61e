"""Editing interactions and roles in the window, undo and history, and the Topics list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QVBoxLayout, QWidget

from crm import audit
from crm.db import Database
from crm.services import interactions, roles, topics

from ui.interaction_dialog import InteractionDialog
from ui.pages import common
from ui.pages.interactions_page import InteractionsPage
from ui.tasks import TaskRunner
from ui.topics_dialog import TopicsDialog

TIMEOUT = 10_000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class Host(QWidget):
    """Stands in for the main window: a top-level widget that owns the undo stack."""

    def __init__(self) -> None:
        super().__init__()
        self.undo_stack = QUndoStack(self)
        QVBoxLayout(self)


@pytest.fixture
def hosted(qtbot: QtBot, demo_runner: TaskRunner) -> tuple[Host, InteractionsPage]:
    host = Host()
    qtbot.addWidget(host)
    page = InteractionsPage(demo_runner, host)
    host.layout().addWidget(page)
    host.resize(1100, 750)
    host.show()
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.refresh()
    return host, page


def _field(dialog: Any, name: str) -> Any:
    return next(w for w in dialog.findChildren(QWidget) if w.accessibleName() == name)


def test_edit_an_interaction_then_undo_and_redo_it(
    qtbot: QtBot, hosted: tuple[Host, InteractionsPage], demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, page = hosted
    iid = page.model.row_at(0).id
    with demo_db.session() as session:
        before = interactions.interaction_snapshot(session, iid)
    assert len(before["person_ids"]) >= 1

    def fill(dialog: InteractionDialog) -> bool:
        # The form opens with what is stored.
        assert dialog.windowTitle() == "Edit interaction"
        assert dialog.subject_edit.text() == before["subject"]
        assert dialog.participant_ids() == before["person_ids"]
        dialog.subject_edit.setText("Corrected subject")
        dialog.topics_edit.setText("Food Poverty, loneliness")
        dialog.people_list.item(0).setSelected(True)
        dialog.remove_button.click()
        with qtbot.waitSignal(dialog.edited, timeout=TIMEOUT):
            dialog.save_button.click()
        return dialog.result() == dialog.DialogCode.Accepted

    monkeypatch.setattr(common, "exec_dialog", fill)
    page.table.selectRow(0)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.edit_button.click()
    assert page.heading.text() == "Corrected subject"
    with demo_db.session() as session:
        after = interactions.interaction_snapshot(session, iid)
        assert after["subject"] == "Corrected subject"
        assert after["topics"] == "Food Poverty, loneliness"
        assert len(after["person_ids"]) == len(before["person_ids"]) - 1
    # The History tab shows the edit, field by field.
    qtbot.waitUntil(lambda: page.history_view.model.rowCount() >= 3, timeout=TIMEOUT)
    changes = [page.history_view.model.row_at(r)[8] for r in range(page.history_view.model.rowCount())]
    assert f"Subject: {before['subject']} → Corrected subject" in changes
    assert host.undo_stack.undoText() == "Edit “Corrected subject”"

    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        host.undo_stack.undo()
    with demo_db.session() as session:
        assert interactions.interaction_snapshot(session, iid) == before
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        host.undo_stack.redo()
    with demo_db.session() as session:
        assert interactions.interaction_snapshot(session, iid)["subject"] == "Corrected subject"


def test_a_stale_edit_is_refused_and_the_form_stays_open(
    qtbot: QtBot, demo_runner: TaskRunner, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui import dialogs

    with demo_db.session() as session:
        iid = interactions.list_interactions(session, limit=1)[0].id
    dialog = InteractionDialog(demo_runner, (), None, interaction_id=iid)
    qtbot.addWidget(dialog)
    with demo_db.transaction() as session:
        interactions.update_interaction(session, iid, {"notes": "Someone else's note"})
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _p, _t, text: shown.append(text))
    dialog.subject_edit.setText("My change")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=TIMEOUT)
    assert "changed by someone else" in shown[0]
    assert dialog.save_button.isEnabled()
    with demo_db.session() as session:
        assert interactions.get_interaction(session, iid).subject != "My change"


def test_topics_complete_after_the_last_comma(qtbot: QtBot, demo_runner: TaskRunner) -> None:
    dialog = InteractionDialog(demo_runner, ())
    qtbot.addWidget(dialog)
    completer = dialog.topic_completer
    assert completer.splitPath("housing, lone") == ["lone"]
    dialog.topics_edit.setText("housing, lone")
    completer.setCompletionPrefix("lone")
    # The chosen topic replaces only what is being typed; the topics before it stay.
    assert completer.currentCompletion() == "housing, loneliness"


def test_filter_the_list_by_topic(
    qtbot: QtBot, hosted: tuple[Host, InteractionsPage], demo_db: Database
) -> None:
    _host, page = hosted
    with demo_db.session() as session:
        housing = next(t for t in topics.list_topics(session) if t.name == "housing")
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.topic_box.setCurrentIndex(page.topic_box.findData(housing.id))
    assert page.model.total == housing.count > 0
    with demo_db.session() as session:
        assert all(
            "housing" in topics.topic_names(session, page.model.row_at(r).id)
            for r in range(page.model.rowCount())
        )


def test_topics_list_renames_and_merges_undoably(
    qtbot: QtBot, hosted: tuple[Host, InteractionsPage], demo_db: Database, qtmodeltester: Any
) -> None:
    host, page = hosted
    with demo_db.transaction() as session:
        interactions.log_interaction(session, subject="Visit", topics="Food banks")
        interactions.log_interaction(session, subject="Call", topics="food poverty, food bank")
    dialog = page.open_topics()
    assert isinstance(dialog, TopicsDialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=TIMEOUT)
    qtmodeltester.check(dialog.model)
    counts = {r.name: r.count for r in dialog.rows}
    assert counts["Food banks"] == 2 and counts["food poverty"] == 1

    bank = next(r.id for r in dialog.rows if r.name == "Food banks")
    poverty = next(r.id for r in dialog.rows if r.name == "food poverty")
    dialog.select_topic(bank)
    assert dialog.rename_edit.text() == "Food banks"
    dialog.rename_edit.setText("Food bank")
    with qtbot.waitSignal(dialog.refreshed, timeout=TIMEOUT):
        dialog.rename_button.click()
    assert "Food bank" in {r.name for r in dialog.rows}

    dialog.select_topic(bank)
    dialog.merge_box.setCurrentIndex(dialog.merge_box.findData(poverty))
    with qtbot.waitSignal(dialog.refreshed, timeout=TIMEOUT):
        dialog.merge_button.click()
    assert {r.name: r.count for r in dialog.rows}["food poverty"] == 2
    assert "Food bank" not in {r.name for r in dialog.rows}
    assert host.undo_stack.undoText() == "Merge “Food bank” into “food poverty”"
    with demo_db.session() as session:
        assert {i.topics for i in interactions.list_interactions(session, text="Visit")} >= {"food poverty"}

    with qtbot.waitSignal(dialog.refreshed, timeout=TIMEOUT):
        host.undo_stack.undo()
    assert {r.name: r.count for r in dialog.rows}["Food bank"] == 2
    with qtbot.waitSignal(dialog.refreshed, timeout=TIMEOUT):
        host.undo_stack.undo()
    assert {r.name: r.count for r in dialog.rows}["Food banks"] == 2

    # "Show interactions" filters the page by the topic.
    dialog.select_topic(bank)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        dialog.show_button.click()
    assert page.topic_box.currentData() == bank and page.model.total == 2


def test_a_rename_onto_another_topic_is_explained_in_the_list(
    qtbot: QtBot, hosted: tuple[Host, InteractionsPage]
) -> None:
    _host, page = hosted
    dialog = page.open_topics()
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 1, timeout=TIMEOUT)
    dialog.select_topic(dialog.rows[0].id)
    dialog.rename_edit.setText(dialog.rows[1].name.upper())
    dialog.rename_button.click()
    qtbot.waitUntil(lambda: "merge" in dialog.message.text(), timeout=TIMEOUT)


def test_edit_a_role_and_an_interaction_from_the_person_panel(qtbot: QtBot, main_window: Any) -> None:
    detail = main_window.people_page.detail
    pid = detail.person_id
    with main_window.db.transaction() as session:
        role_id = roles.add_role(session, pid, chamber="Scottish Parliament", party="Green").id
        iid = interactions.log_interaction(
            session, subject="Coffee", date=dt.date(2026, 1, 5), person_ids=[pid], topics="housing"
        ).id
    detail.reload_related()

    row = next(
        r
        for r in range(detail.roles_table.rowCount())
        if detail.roles_table.item(r, 0).data(0x0100) == role_id  # Qt.UserRole
    )
    detail.roles_table.setCurrentCell(row, 0)
    dialog = detail.open_edit_role()
    assert _field(dialog, "Party").text() == "Green"
    _field(dialog, "Party").setText("Scottish Green Party")
    _field(dialog, "Constituency").setText("Edinburgh Central")
    with qtbot.waitSignal(detail.related_changed, timeout=TIMEOUT):
        dialog.accept()
    with main_window.db.session() as session:
        snap = roles.role_snapshot(session, role_id)
        assert (snap["party"], snap["constituency"]) == ("Scottish Green Party", "Edinburgh Central")
    with qtbot.waitSignal(detail.related_changed, timeout=TIMEOUT):
        main_window.undo_stack.undo()
    with main_window.db.session() as session:
        assert roles.role_snapshot(session, role_id)["party"] == "Green"
        assert [e.field for e in audit.history(session, "elected_role", role_id)][:2] == [
            "constituency",
            "party",
        ]

    row = next(
        r
        for r in range(detail.timeline_table.rowCount())
        if detail.timeline_table.item(r, 0).data(0x0100) == iid
    )
    detail.timeline_table.setCurrentCell(row, 0)
    dialog = detail.open_edit_interaction()
    assert dialog.subject_edit.text() == "Coffee"
    dialog.date_edit.setDate(dialog.date_edit.date().addDays(2))
    with qtbot.waitSignal(detail.related_changed, timeout=TIMEOUT):
        dialog.save_button.click()
    with main_window.db.session() as session:
        assert interactions.get_interaction(session, iid).date == dt.date(2026, 1, 7)
    assert main_window.undo_stack.undoText() == "Edit “Coffee”"
