"""The Interactions page on the sample data: paging, filtering, details, logging and trashing."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from crm.db import Database
from crm.models import Interaction, Person
from crm.services import interactions
from crm.text import fold

from ui import dialogs
from ui.interaction_dialog import InteractionDialog
from ui.pages import common
from ui.pages.interactions_page import PAGE_SIZE, InteractionsPage
from ui.tasks import TaskRunner

TIMEOUT = 5000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def page(demo_runner: TaskRunner, qtbot: QtBot) -> InteractionsPage:
    widget = InteractionsPage(demo_runner)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    with qtbot.waitSignal(widget.refreshed, timeout=TIMEOUT):
        widget.refresh()
    return widget


def test_newest_first_with_participants(page: InteractionsPage, qtmodeltester: object) -> None:
    qtmodeltester.check(page.model)  # type: ignore[attr-defined]
    assert page.count_label.text() == "92 interactions"
    dates = [page.model.row_at(r).date for r in range(page.model.rowCount())]
    assert dates == sorted(dates, reverse=True)
    reception = next(r for r in page.model.rows if r.subject == "Reception at the Scottish Parliament")
    assert reception.people.endswith("and 27 others")  # the 30 who came; apologies are on the event


def test_long_lists_load_page_by_page(qtbot: QtBot, demo_db: Database, demo_runner: TaskRunner) -> None:
    with demo_db.transaction() as session:
        person = session.query(Person).first()
        assert person is not None
        for i in range(PAGE_SIZE + 60):
            interactions.log_interaction(
                session, subject=f"Call {i}", kind="call", date=dt.date(2020, 1, 1), person_ids=[person.id]
            )
    widget = InteractionsPage(demo_runner)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.refreshed, timeout=TIMEOUT):
        widget.refresh()
    assert widget.model.rowCount() == PAGE_SIZE
    assert widget.model.total == 92 + PAGE_SIZE + 60
    assert widget.model.canFetchMore()
    widget.model.fetchMore()
    assert widget.model.rowCount() == 92 + PAGE_SIZE + 60
    assert not widget.model.canFetchMore()
    ids = [r.id for r in widget.model.rows]
    assert len(set(ids)) == len(ids)  # no row twice across the page boundary


def test_text_and_kind_filters(qtbot: QtBot, page: InteractionsPage) -> None:
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.keyClicks(page.search, "loneliness")
    subjects = {r.subject for r in page.model.rows}
    assert subjects and all("loneliness" in s for s in subjects)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.kind_box.setCurrentIndex(page.kind_box.findData("meeting"))
    assert {r.subject for r in page.model.rows} == {"Meeting about loneliness"}
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.search.setText("no such words anywhere")
    assert page.list_stack.is_empty
    assert page.list_stack.label.text() == "No interactions match the search."


def test_search_finds_participants_without_accents(
    qtbot: QtBot, page: InteractionsPage, demo_db: Database
) -> None:
    with demo_db.session() as session:
        subject = "Reception at the Scottish Parliament"
        people = interactions.participants(
            session, session.query(Interaction).filter_by(subject=subject).one().id
        )
    accented = next(w for _pid, name in people for w in name.split() if fold(w) != w.lower())
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.search.setText(fold(accented))  # "Seán" typed as "sean"
    assert subject in {r.subject for r in page.model.rows}


def test_details_show_notes_and_participants(qtbot: QtBot, page: InteractionsPage) -> None:
    row = next(
        i for i, r in enumerate(page.model.rows) if r.subject == "Reception at the Scottish Parliament"
    )
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.table.selectRow(row)
    assert page.heading.text() == "Reception at the Scottish Parliament"
    assert "Conversation stations" in page.notes.toPlainText()
    assert "with Morven" in page.meta.text()
    assert page.people_model.rowCount() == 30  # those who came; apologies are on the event
    qtbot_person = page.people_model.id_at(0)
    with qtbot.waitSignal(page.person_activated, timeout=TIMEOUT) as blocker:
        page.people_table.activated.emit(page.people_model.index(0, 0))
    assert blocker.args == [qtbot_person]


def test_log_an_interaction_with_two_people(
    qtbot: QtBot, page: InteractionsPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with demo_db.session() as session:
        two = [p.id for p in session.query(Person).order_by(Person.id).limit(2)]

    def fill(dialog: InteractionDialog) -> bool:
        qtbot.keyClicks(dialog.subject_edit, "Call about the kindness toolkit")
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("call"))
        for pid in two:
            dialog.add_participant(pid)
        with qtbot.waitSignal(dialog.logged, timeout=TIMEOUT):
            qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        return dialog.result() == dialog.DialogCode.Accepted

    monkeypatch.setattr(common, "exec_dialog", fill)
    with (
        qtbot.waitSignal(page.refreshed, timeout=TIMEOUT),
        qtbot.waitSignal(page.data_changed, timeout=TIMEOUT),
    ):
        qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert page.count_label.text() == "93 interactions"
    assert page.model.row_at(0).subject == "Call about the kindness toolkit"
    assert page.heading.text() == "Call about the kindness toolkit"
    assert page.people_model.rowCount() == 2
    assert [i.row() for i in page.table.selectionModel().selectedRows()] == [0]


def test_move_to_trash(
    qtbot: QtBot, page: InteractionsPage, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The newest is open when the page is first shown.
    assert page.heading.text() == page.model.row_at(0).subject
    subject = page.model.row_at(0).subject
    first_id = page.model.row_at(0).id
    monkeypatch.setattr(dialogs, "confirm", lambda *_a, **_k: True)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        qtbot.mouseClick(page.trash_button, Qt.MouseButton.LeftButton)
    assert page.count_label.text() == "91 interactions"
    assert page.model.row_at(0).id != first_id
    assert page.heading.text() == page.model.row_at(0).subject  # the next newest is shown
    with demo_db.session() as session:
        trashed = session.get(Interaction, first_id)
        assert trashed is not None and trashed.deleted_at is not None and trashed.subject == subject


def test_paged_query_and_search_on_every_database(db: Database) -> None:
    """The list's SQL (keyset pages, search by words and by participant) on SQLite and PostgreSQL."""
    from crm.services import people
    from crm.services.interactions import InteractionQuery, count_interactions, fetch_page

    with db.transaction() as session:
        sean = people.create_person(session, first_name="Seán", last_name="Ó Floinn").id
        other = people.create_person(session, first_name="Ann", last_name="Bell").id
        for day in range(1, 8):
            interactions.log_interaction(
                session,
                subject=f"Call {day} about 100% kindness_in_policy",
                kind="call" if day % 2 else "email",
                date=dt.date(2026, 3, day),
                person_ids=[sean if day == 3 else other],
                owner="Morven",
            )
    with db.session() as session:
        everything = InteractionQuery()
        first = fetch_page(session, everything, limit=3)
        assert [r.date.day for r in first] == [7, 6, 5]
        rest = fetch_page(session, everything, (first[-1].date, first[-1].id), limit=10)
        assert [r.date.day for r in rest] == [4, 3, 2, 1]
        assert count_interactions(session, everything) == 7
        assert [r.date.day for r in fetch_page(session, InteractionQuery(text="sean o floinn"))] == [3]
        assert rest[1].people == "Seán Ó Floinn"
        assert count_interactions(session, InteractionQuery(text="MORVEN", kind="email")) == 3
        # Wildcards typed by the user are taken literally.
        assert count_interactions(session, InteractionQuery(text="100%")) == 7
        assert count_interactions(session, InteractionQuery(text="s_in")) == 7
        assert count_interactions(session, InteractionQuery(text="0_%")) == 0
