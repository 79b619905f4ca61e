"""The Representatives page: current members by chamber and party, former ones on request."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from crm.db import Database
from crm.filters import PersonFilter, count_people
from crm.roster.readers import read_roster
from crm.roster.reconcile import refresh_roster

from ui.pages.representatives_page import RepresentativesPage
from ui.tasks import TaskRunner

from tests.crm.roster.rosters import generate, write_everypolitician

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
TIMEOUT = 10_000


@pytest.fixture
def page(qtbot: Any, runner: TaskRunner, sqlite_db: Database, tmp_path: Path) -> RepresentativesPage:
    members = generate(10, seed=31)
    refresh_roster(
        sqlite_db, read_roster(write_everypolitician(tmp_path / "a.csv", members)), dt.date(2022, 1, 1)
    )
    refresh_roster(
        sqlite_db, read_roster(write_everypolitician(tmp_path / "b.csv", members[2:])), dt.date(2024, 1, 1)
    )
    widget = RepresentativesPage(runner)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    with qtbot.waitSignal(widget.refreshed, timeout=TIMEOUT):
        widget.refresh()
    return widget


def test_current_members_with_counts_per_party(page: RepresentativesPage, qtmodeltester: Any) -> None:
    qtmodeltester.check(page.model)
    assert page.chamber == "Scottish Parliament"
    assert page.chamber_box.currentText() == "Scottish Parliament (8)"
    assert page.model.rowCount() == 8
    assert sum(n for _party, n in page.party_model.rows) == 8
    assert page.count_label.text().startswith("8 current MSPs in")
    assert {page.model.row_at(r)[8] for r in range(8)} == {"MSP"}


def test_former_members_on_the_toggle(qtbot: Any, page: RepresentativesPage) -> None:
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.show_former.setChecked(True)
    assert page.model.rowCount() == 10
    former = [page.model.row_at(r) for r in range(10) if page.model.row_at(r)[8] == "Former MSP"]
    assert len(former) == 2 and all(r[6] == dt.date(2024, 1, 1) for r in former)
    assert "2 former shown" in page.count_label.text()


def test_export_takes_the_members_shown(qtbot: Any, page: RepresentativesPage, sqlite_db: Database) -> None:
    with qtbot.waitSignal(page.export_requested, timeout=TIMEOUT) as blocker:
        page.export_button.click()
    (chosen,) = blocker.args
    assert chosen == PersonFilter(chamber="Scottish Parliament")
    with sqlite_db.session() as s:
        assert count_people(s, chosen) == 8


def test_opening_a_member_opens_the_person(qtbot: Any, page: RepresentativesPage) -> None:
    with qtbot.waitSignal(page.person_activated, timeout=TIMEOUT) as blocker:
        page.table.activated.emit(page.model.index(0, 0))
    assert blocker.args == [page.model.id_at(0)]


def test_update_button_opens_the_dialog(page: RepresentativesPage) -> None:
    dialog = page.open_update()
    assert dialog.isVisible() and dialog.windowTitle() == "Update representatives"
    dialog.close()
