"""The import wizard asks, in plain words, which parliament or council a list's members sit in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crm.models import ElectedRole, PersonType

from ui.import_wizard import ImportWizard
from ui.tasks import TaskRunner

from tests.crm.importing.conftest import write_csv

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _next(qtbot: Any, w: ImportWizard) -> None:
    qtbot.waitUntil(lambda: w.currentPage().isComplete(), timeout=10_000)
    w.next()
    qtbot.waitUntil(lambda: w.currentPage().isComplete() or w.currentId() == w.IMPORT, timeout=10_000)


def _wizard(qtbot: Any, runner: TaskRunner, path: Path) -> ImportWizard:
    w = ImportWizard(runner, None, path=path)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.file_page.isComplete(), timeout=10_000)
    while w.currentId() != w.OPTIONS:
        _next(qtbot, w)
    return w


def test_a_list_without_a_chamber_is_asked_about(qtbot: Any, runner: TaskRunner, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "contacts.csv",
        [
            ["Name", "Party", "Constituency", "Email"],
            ["Jane Dodds", "Welsh Liberal Democrats", "Mid and West Wales", "jane@example.org"],
            ["Rhun ap Iorwerth", "Plaid Cymru", "Ynys Môn", "rhun@example.org"],
        ],
    )
    w = _wizard(qtbot, runner, path)
    page = w.options_page
    assert page.members_of.isVisibleTo(page) and page.members_of.currentData() == ""
    w.next()
    assert w.currentId() == w.OPTIONS  # not answered: the wizard waits
    assert "Which parliament or council are these people members of?" in page.status.text()
    assert "chamber" not in page.status.text()
    page.members_of.setCurrentIndex(page.members_of.findData("ms"))
    assert page.type.currentData() == "ms"
    while w.currentId() != w.IMPORT:
        _next(qtbot, w)
    qtbot.waitUntil(lambda: w.import_result is not None, timeout=10_000)
    with runner.db.session() as s:
        assert sorted(s.scalars(select(ElectedRole.chamber))) == ["Senedd", "Senedd"]
        assert set(s.scalars(select(PersonType.type))) == {"ms"}
    plan = w.import_result.plan  # type: ignore[union-attr]
    assert not any("chamber" in f.reason for r in plan.rows for f in r.flags)


def test_a_list_of_msps_answers_for_itself(qtbot: Any, runner: TaskRunner, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "msps.csv",
        [["Name", "Party", "Constituency"], ["Kaukab Stewart", "SNP", "Glasgow Kelvin"]],
    )
    w = _wizard(qtbot, runner, path)
    assert w.options_page.members_of.currentData() == "msp"


def test_not_elected_members_leave_party_and_constituency_out(
    qtbot: Any, runner: TaskRunner, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "contacts.csv",
        [["Name", "Party", "Constituency", "Email"], ["Pat Organiser", "Green", "Leith", "pat@example.org"]],
    )
    w = _wizard(qtbot, runner, path)
    page = w.options_page
    page.members_of.setCurrentIndex(page.members_of.count() - 1)
    while w.currentId() != w.IMPORT:
        _next(qtbot, w)
    qtbot.waitUntil(lambda: w.import_result is not None, timeout=10_000)
    assert w.import_result is not None and w.import_result.created == 1
    plan = w.import_result.plan
    assert not any(r.flags for r in plan.rows)
    with runner.db.session() as s:
        assert list(s.scalars(select(ElectedRole.id))) == []
