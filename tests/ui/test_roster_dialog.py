"""Update representatives…: choose a roster, review the dry run grouped by change, apply, undo."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.filters import PersonFilter, count_people
from crm.models import Person

from ui.roster_dialog import RosterDialog
from ui.tasks import TaskRunner

from tests.crm.roster.rosters import generate, newcomer, write_everypolitician

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
TIMEOUT = 10_000


def _people(runner: TaskRunner) -> int:
    with runner.db.session() as s:
        return s.scalar(select(func.count()).select_from(Person)) or 0


@pytest.fixture
def dialog(qtbot: Any, runner: TaskRunner) -> RosterDialog:
    widget = RosterDialog(runner)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def _check(qtbot: Any, dialog: RosterDialog, path: Path) -> None:
    dialog.path_edit.setText(str(path))
    task = dialog.check()
    assert task is not None
    with qtbot.waitSignal(task.finished, timeout=TIMEOUT):
        pass


def _apply(qtbot: Any, dialog: RosterDialog) -> None:
    with qtbot.waitSignal(dialog.data_changed, timeout=TIMEOUT):
        dialog.apply_button.click()


def test_review_apply_and_undo(qtbot: Any, dialog: RosterDialog, runner: TaskRunner, tmp_path: Path) -> None:
    members = generate(12, seed=21)
    first = write_everypolitician(tmp_path / "before.csv", members)
    _check(qtbot, dialog, first)
    assert dialog.stack.currentIndex() == 1
    assert len(dialog.group_names("added")) == 12
    assert _people(runner) == 0  # the review changed nothing
    _apply(qtbot, dialog)
    assert dialog.stack.currentIndex() == 2
    assert "12 new members" in dialog.result_text.text()
    assert _people(runner) == 12

    # A second list: one member gone, one new in their seat, one who changed party.
    after = [
        newcomer(members[0], 5, dt.date(2024, 5, 2)),
        replace(members[1], party="Independent"),
        *members[2:],
    ]
    second = write_everypolitician(tmp_path / "after.csv", after)
    again = RosterDialog(runner)
    qtbot.addWidget(again)
    again.show()
    _check(qtbot, again, second)
    assert again.group_names("added") == [after[0].name]
    assert again.group_names("changed") == [members[1].name]
    assert again.group_names("ended") == [members[0].name]
    assert "1 new member, 1 change, 1 leaving, 10 continuing" in again.review_summary.text()
    assert again.apply_button.text().replace("&", "") == "Update 3 representatives"
    _apply(qtbot, again)
    with runner.db.session() as s:
        assert count_people(s, PersonFilter(types=["msp"])) == 12
        assert count_people(s, PersonFilter(types=["msp"], current_roles_only=False)) == 13

    with qtbot.waitSignal(again.data_changed, timeout=TIMEOUT):
        again.undo_button.click()
    assert "undone" in again.result_text.text()
    with runner.db.session() as s:
        assert count_people(s, PersonFilter(types=["msp"], current_roles_only=False)) == 12
        assert (
            s.scalar(select(func.count()).select_from(Person).where(Person.last_name == members[0].last)) == 1
        )


def test_a_file_that_does_not_say_its_chamber_is_asked_about(
    qtbot: Any, dialog: RosterDialog, tmp_path: Path
) -> None:
    path = tmp_path / "members.csv"
    path.write_text("Name,Party,Constituency\nJane Dodds,Lib Dem,Brecon\n", encoding="utf-8")
    _check(qtbot, dialog, path)
    assert dialog.stack.currentIndex() == 0
    text = dialog.choose_status.text()
    assert "which parliament or council" in text and "--chamber" not in text
    dialog.chamber_box.setCurrentIndex(dialog.chamber_box.findData("Senedd"))
    _check(qtbot, dialog, path)
    assert dialog.stack.currentIndex() == 1 and dialog.group_names("added") == ["Jane Dodds"]
    assert dialog.review_heading.text().startswith("Senedd:")


def test_not_a_roster_is_explained(qtbot: Any, dialog: RosterDialog, tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text("Organisation,Town\nKindness Trust,Perth\n", encoding="utf-8")
    dialog.chamber_box.setCurrentIndex(dialog.chamber_box.findData("Scottish Parliament"))
    _check(qtbot, dialog, path)
    assert "no column holds members' names" in dialog.choose_status.text()


def test_vacant_seats_and_repeated_rows_are_reported(qtbot: Any, dialog: RosterDialog) -> None:
    fixtures = Path(__file__).parents[1] / "fixtures" / "rosters"
    _check(qtbot, dialog, fixtures / "msp-list.csv")
    assert "1 vacant seat skipped" in dialog.review_summary.text()
    _check_again = RosterDialog(dialog.runner)
    qtbot.addWidget(_check_again)
    _check(qtbot, _check_again, fixtures / "everypolitician-scottish-parliament-term-6.csv")
    assert "1 repeated row counted once" in _check_again.review_summary.text()
