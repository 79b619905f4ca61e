"""The Duplicates page, driven as a user would: scan, compare, choose, merge, undo, not the same,
skip; the person panel's Find duplicates; the import wizard's Review duplicates hand-off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from crm.models import ContactPoint, Person
from crm.services import people
from crm.services.merge import list_merges

from ui.import_wizard import ImportWizard
from ui.pages.duplicates_page import DuplicatesPage
from ui.tasks import TaskRunner

TIMEOUT = 20_000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def planted(runner: TaskRunner) -> dict[str, int]:
    """One person three times (a nickname, a typo), a second pair, and someone unrelated."""
    with runner.db.transaction() as session:
        ids = {
            "robert": people.create_person(session, first_name="Robert", last_name="Thomson", email="robert.thomson@fife.gov.uk", mobile="07700 900123", town="Kirkcaldy").id,
            "bob": people.create_person(session, first_name="Bob", last_name="Thomson", mobile="+44 7700 900123", postcode="KY1 1XX").id,
            "rob": people.create_person(session, first_name="Rob", last_name="Thomsen", email="ROBERT.THOMSON@fife.gov.uk").id,
            "ann": people.create_person(session, first_name="Ann", last_name="Lee", email="ann.lee@example.org", mobile="07800100200").id,
            "anne": people.create_person(session, first_name="Anne", last_name="Lee", mobile="07800 100200", postcode="EH1 1AA").id,
            "other": people.create_person(session, first_name="Zainab", last_name="Khan", email="zk@example.org").id,
        }  # fmt: skip
    return ids


@pytest.fixture
def page(runner: TaskRunner, qtbot: QtBot, planted: dict[str, int]) -> DuplicatesPage:
    widget = DuplicatesPage(runner)
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    with qtbot.waitSignal(widget.refreshed, timeout=TIMEOUT):
        widget.scan()
    return widget


def _radio(page: DuplicatesPage, field: str, record: int) -> Any:
    return page.comparison.field_buttons[field][record]


def test_queue_groups_the_same_person_and_sorts_by_score(
    page: DuplicatesPage, planted: dict[str, int], qtmodeltester: Any
) -> None:
    qtmodeltester.check(page.model)
    groups = [sorted(g.ids) for g in page.groups]
    assert sorted(planted[k] for k in ("robert", "bob", "rob")) in groups
    assert sorted((planted["ann"], planted["anne"])) in groups
    assert all(planted["other"] not in g for g in groups)
    assert [g.score for g in page.groups] == sorted((g.score for g in page.groups), reverse=True)
    assert page.status.text() == "2 possible duplicates to review"
    assert page.merge_button.isEnabled()


def test_merge_three_records_with_a_chosen_value_and_undo(
    page: DuplicatesPage, planted: dict[str, int], qtbot: QtBot, runner: TaskRunner
) -> None:
    from PySide6.QtGui import QUndoStack

    stack = QUndoStack(page)
    page.window().undo_stack = stack  # type: ignore[attr-defined]
    row = next(n for n, g in enumerate(page.groups) if planted["robert"] in g.ids)
    page.table.selectRow(row)
    comparison = page.comparison
    assert comparison.kept_id() == planted["robert"]
    # Differences are choices; the kept record's values are chosen to start with.
    assert _radio(page, "first_name", planted["robert"]).isChecked()
    _radio(page, "first_name", planted["bob"]).click()
    assert "postcode" in comparison.field_buttons  # one record has it, the others do not
    with qtbot.waitSignal(page.merged, timeout=TIMEOUT):
        page.merge_button.click()
    runner.wait_for_all()
    with runner.db.session() as session:
        kept = session.get(Person, planted["robert"])
        assert kept is not None and kept.first_name == "Bob" and kept.postcode == "KY1 1XX"
        for other in ("bob", "rob"):
            merged = session.get(Person, planted[other])
            assert merged is not None and merged.deleted_at is not None
        assert (
            list(
                session.scalars(
                    select(ContactPoint.value).where(
                        ContactPoint.person_id == planted["robert"],
                        ContactPoint.kind == "email",
                        ContactPoint.preferred.is_(False),
                    )
                )
            )
            == []
        )
    assert page.status.text() == "1 possible duplicate to review"
    # Edit ▸ Undo takes the merge back.
    stack.undo()
    runner.wait_for_all()
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT)
    with runner.db.session() as session:
        assert session.get(Person, planted["robert"]).first_name == "Robert"  # type: ignore[union-attr]
        assert session.get(Person, planted["bob"]).deleted_at is None  # type: ignore[union-attr]
        assert [m.undone_at is not None for m in list_merges(session)] == [True]


def test_excluded_records_stay_out_of_the_merge(
    page: DuplicatesPage, planted: dict[str, int], qtbot: QtBot, runner: TaskRunner
) -> None:
    row = next(n for n, g in enumerate(page.groups) if planted["robert"] in g.ids)
    page.table.selectRow(row)
    page.comparison.include[planted["rob"]].setChecked(False)
    assert not _radio(page, "email", planted["rob"]).isEnabled()
    with qtbot.waitSignal(page.merged, timeout=TIMEOUT):
        page.merge_button.click()
    runner.wait_for_all()
    with runner.db.session() as session:
        assert session.get(Person, planted["rob"]).deleted_at is None  # type: ignore[union-attr]
        assert session.get(Person, planted["bob"]).deleted_at is not None  # type: ignore[union-attr]


def test_not_the_same_person_never_comes_back_and_skip_moves_on(
    page: DuplicatesPage, planted: dict[str, int], qtbot: QtBot, runner: TaskRunner
) -> None:
    first = page.current_group()
    assert first is not None
    page.skip_button.click()
    assert page.current_group() is not first and page.groups[-1] is first
    row = next(n for n, g in enumerate(page.groups) if planted["ann"] in g.ids)
    page.table.selectRow(row)
    page.not_same_button.click()
    runner.wait_for_all()
    qtbot.waitUntil(lambda: len(page.groups) == 1, timeout=TIMEOUT)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.scan()
    assert all(planted["ann"] not in g.ids for g in page.groups)


def test_organisations_can_be_checked(runner: TaskRunner, qtbot: QtBot) -> None:
    from crm.services.organisations import create_organisation

    with runner.db.transaction() as session:
        create_organisation(session, name="NHS Fife")
        create_organisation(session, name="N.H.S. Fife")
    widget = DuplicatesPage(runner)
    qtbot.addWidget(widget)
    widget.show()
    with qtbot.waitSignal(widget.refreshed, timeout=TIMEOUT):
        widget.kind_box.setCurrentIndex(widget.kind_box.findData("organisation"))
    assert len(widget.groups) == 1
    assert widget.not_same_button.text() == "&Not the same organisation"
    with qtbot.waitSignal(widget.merged, timeout=TIMEOUT):
        widget.merge_button.click()


def test_person_panel_finds_duplicates_of_one_person_and_the_badge_counts(
    qtbot: QtBot, main_window: Any, demo_runner: TaskRunner
) -> None:
    with demo_runner.db.transaction() as session:
        someone = session.scalar(select(Person).where(Person.email.is_not(None)).order_by(Person.id))
        assert someone is not None
        copy = people.create_person(
            session, first_name=someone.first_name, last_name=someone.last_name, email=someone.email
        ).id
        original = someone.id
    main_window.show_person(original)
    detail = main_window.people_page.detail
    qtbot.waitUntil(lambda: detail.person_id == original, timeout=TIMEOUT)
    assert detail.duplicates_button.isEnabled()
    detail.duplicates_button.click()
    page = main_window.pages["duplicates"]
    qtbot.waitUntil(lambda: bool(page.groups) and page._only == [original], timeout=TIMEOUT)
    assert [sorted(g.ids) for g in page.groups] == [sorted((original, copy))]
    with qtbot.waitSignal(page.refreshed, timeout=60_000):
        page.scan()
    badge = main_window.sidebar_items["duplicates"].data(
        main_window.BADGE_ROLE if hasattr(main_window, "BADGE_ROLE") else 0x010A
    )
    assert badge == len(page.groups) >= 1


def test_import_result_offers_review_of_people_who_resemble_existing_ones(
    qtbot: QtBot, runner: TaskRunner, tmp_path: Path
) -> None:
    with runner.db.transaction() as session:
        existing = people.create_person(
            session, first_name="Robert", last_name="Thomson", mobile="07700 900123"
        ).id
    sheet = tmp_path / "signups.csv"
    sheet.write_text(
        "First name,Last name,Mobile\nBob,Thomson,+44 7700 900123\nNew,Person,07700 900999\n",
        encoding="utf-8",
    )
    w = ImportWizard(runner, None, path=str(sheet))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.file_page.isComplete(), timeout=TIMEOUT)
    while w.currentId() != w.SUMMARY:
        qtbot.waitUntil(lambda: w.currentPage().isComplete(), timeout=TIMEOUT)
        w.next()
    qtbot.waitUntil(lambda: w.currentPage().isComplete(), timeout=TIMEOUT)
    with qtbot.waitSignal(w.duplicates_checked, timeout=TIMEOUT) as checked:
        w.next()
    assert checked.args == [1]
    button = w.result_page.review_button
    assert button.isVisible() and button.text() == "Review 1 possible duplicate"
    with qtbot.waitSignal(w.review_duplicates_requested, timeout=TIMEOUT) as handed:
        button.click()
    pairs = handed.args[0]
    assert len(pairs) == 1 and existing in (pairs[0].a, pairs[0].b)
    runner.wait_for_all()


def test_merge_history_lists_merges_and_undoes_one_or_names_the_conflict(
    page: DuplicatesPage, planted: dict[str, int], qtbot: QtBot, runner: TaskRunner
) -> None:
    from crm.services.merge import merge_people

    with runner.db.transaction() as session:
        first = merge_people(session, planted["ann"], [planted["anne"]]).merge_id
        merge_people(session, planted["robert"], [planted["bob"]])
    with runner.db.transaction() as session:
        people.update_person(session, planted["robert"], {"postcode": "KY9 9ZZ"})  # filled by the merge
    dialog = page.open_history()
    qtbot.addWidget(dialog)
    assert dialog.model.rowCount() == 2
    dialog.table.selectRow(0)  # the newest: Robert, edited since
    dialog.undo_button.click()
    qtbot.waitUntil(lambda: "cannot be undone" in dialog.status.text(), timeout=TIMEOUT)
    assert "postcode was changed after the merge" in dialog.status.text()
    dialog.table.selectRow(1)
    with qtbot.waitSignal(dialog.undone, timeout=TIMEOUT) as undone:
        dialog.undo_button.click()
    assert undone.args == [first]
    assert dialog.model.row_at(1)[5] == "undone" and not dialog.undo_button.isEnabled()
    with runner.db.session() as session:
        assert session.get(Person, planted["anne"]).deleted_at is None  # type: ignore[union-attr]


def test_the_badge_counts_duplicates_from_the_start(
    qtbot: QtBot, runner: TaskRunner, planted: dict[str, int]
) -> None:
    """Opening Kindred counts possible duplicates in the background: the Duplicates badge has its
    number before anyone opens the page (two groups: Robert's three records, and Ann's two)."""
    from ui.main_window import BADGE_ROLE, MainWindow

    window = MainWindow(runner)
    qtbot.addWidget(window)
    window.show()
    item = window.sidebar_items["duplicates"]
    qtbot.waitUntil(lambda: item.data(BADGE_ROLE) is not None and not runner.busy, timeout=TIMEOUT)
    assert "duplicates" not in window.pages
    assert item.data(BADGE_ROLE) == 2
    assert item.toolTip() == "2 possible duplicates to review"
    window.close()
