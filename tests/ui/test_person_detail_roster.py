"""The person panel says what someone is now ("MSP for …", "Former MSP") and their identifiers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crm.models import Person
from crm.roster.readers import read_roster
from crm.roster.reconcile import refresh_roster

from ui.people.person_detail import PersonDetail
from ui.tasks import TaskRunner

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
FIXTURES = Path(__file__).parents[1] / "fixtures" / "rosters"


def test_office_and_identifiers_on_the_panel(qtbot: Any, runner: TaskRunner, tmp_path: Path) -> None:
    path = FIXTURES / "everypolitician-scottish-parliament-term-6.csv"
    refresh_roster(runner.db, read_roster(path), dt.date(2024, 1, 1))
    shorter = tmp_path / "after.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    shorter.write_text("\n".join(line for line in lines if "Sturgeon" not in line) + "\n", encoding="utf-8")
    refresh_roster(runner.db, read_roster(shorter), dt.date(2024, 6, 1))
    with runner.db.session() as s:
        ewing = s.scalar(select(Person.id).where(Person.last_name == "Ewing"))
        sturgeon = s.scalar(select(Person.id).where(Person.last_name == "Sturgeon"))
    detail = PersonDetail(runner)
    qtbot.addWidget(detail)
    detail.show()
    detail.load(ewing)
    assert detail.standing_label.text() == "MSP for Inverness and Nairn (Independent)"
    assert detail.identifiers_label.text() == (
        "Identifiers: EveryPolitician a3e1c2b4-9f8e-4d6c-b5a4-3c2d1e0f9a03; Wikidata Q1405680"
    )
    detail.load(sturgeon)
    assert detail.standing_label.text() == "Former MSP"
    detail.load(None)
    assert not detail.standing_label.isVisible() and detail.identifiers_label.text() == ""
