"""The Follow-ups page on the sample data: overdue marked in words and icon, Mark done, the badge count."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from crm.db import Database
from crm.models import Interaction
from crm.services import interactions

from ui.pages.followups_page import FollowUpsPage, due_text
from ui.tasks import TaskRunner

TIMEOUT = 5000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def page(demo_runner: TaskRunner, qtbot: QtBot) -> FollowUpsPage:
    widget = FollowUpsPage(demo_runner)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    with qtbot.waitSignal(widget.refreshed, timeout=TIMEOUT):
        widget.refresh()
    return widget


def _overdue(db: Database) -> int:
    with db.session() as session:
        return interactions.count_overdue(session)


def test_due_text_reads_naturally() -> None:
    today = dt.date(2026, 3, 10)
    assert due_text(dt.date(2026, 3, 9), today) == "Overdue by 1 day"
    assert due_text(dt.date(2026, 3, 1), today) == "Overdue by 9 days"
    assert due_text(today, today) == "Due today"
    assert due_text(dt.date(2026, 3, 11), today) == "Due tomorrow"
    assert due_text(dt.date(2026, 3, 15), today) == "Due in 5 days"


def test_lists_open_follow_ups_oldest_due_first(
    page: FollowUpsPage, demo_db: Database, qtmodeltester: object
) -> None:
    qtmodeltester.check(page.model)  # type: ignore[attr-defined]
    with demo_db.session() as session:
        expected = len(interactions.follow_ups(session))
    assert page.model.rowCount() == expected > 0
    due = [page.model.row_at(r)[1] for r in range(page.model.rowCount())]
    assert due == sorted(due)
    assert page.overdue_count == _overdue(demo_db) > 0


def test_overdue_rows_say_so_in_words_and_with_an_icon(page: FollowUpsPage) -> None:
    overdue_rows = [r for r in range(page.model.rowCount()) if page.model.row_at(r)[1] < dt.date.today()]
    assert overdue_rows
    for r in overdue_rows:
        index = page.model.index(r, 1)
        assert index.data().startswith("Overdue by ")
        assert index.data(Qt.ItemDataRole.DecorationRole) is not None
    later = [r for r in range(page.model.rowCount()) if page.model.row_at(r)[1] > dt.date.today()]
    assert later and page.model.index(later[0], 1).data(Qt.ItemDataRole.DecorationRole) is None


def test_mark_done_removes_them_and_lowers_the_badge(
    qtbot: QtBot, page: FollowUpsPage, demo_db: Database
) -> None:
    before = page.overdue_count
    selection = page.table.selectionModel()
    for row in (0, 1):
        selection.select(
            page.model.index(row, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        )
    ids = page.selected_ids()
    rows_before = page.model.rowCount()
    with qtbot.waitSignal(page.overdue_count_changed, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(page.done_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [before - 2]
    assert page.model.rowCount() == rows_before - 2
    assert _overdue(demo_db) == before - 2
    with demo_db.session() as session:
        assert all(session.get(Interaction, i).follow_up_done for i in ids)  # type: ignore[union-attr]
    assert "overdue" in page.summary.text()


def test_only_due_now_hides_later_ones(qtbot: QtBot, page: FollowUpsPage) -> None:
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.show_box.setCurrentIndex(1)
    assert page.model.rowCount() > 0
    assert all(page.model.row_at(r)[1] <= dt.date.today() for r in range(page.model.rowCount()))


def test_filter_by_owner_and_see_details(qtbot: QtBot, page: FollowUpsPage) -> None:
    page.owner_box.setCurrentText("Gethin")
    assert page.model.rowCount() > 0
    assert {page.model.row_at(r)[5] for r in range(page.model.rowCount())} == {"Gethin"}
    # The first of Gethin's is open, with who it is with.
    qtbot.waitUntil(lambda: page.people_model.rowCount() > 0, timeout=TIMEOUT)
    assert page.heading.text() == page.model.row_at(0)[3]
    assert "owner Gethin" in page.meta.text()
    assert page.people_model.rowCount() >= 1
    with qtbot.waitSignal(page.person_activated, timeout=TIMEOUT) as blocker:
        page.people_table.activated.emit(page.people_model.index(0, 0))
    assert blocker.args == [page.people_model.id_at(0)]


def test_empty_state_says_how_follow_ups_arrive(qtbot: QtBot, page: FollowUpsPage, demo_db: Database) -> None:
    with demo_db.transaction() as session:
        for item in interactions.follow_ups(session):
            interactions.set_follow_up_done(session, item.id)
    with qtbot.waitSignal(page.overdue_count_changed, timeout=TIMEOUT) as blocker:
        page.refresh()
    assert blocker.args == [0]
    assert page.list_stack.is_empty
    assert "set a follow-up date" in page.list_stack.label.text()
