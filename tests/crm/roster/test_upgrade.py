"""A database of the first release gains person identifiers and refreshes its MSPs without duplicates."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sqlalchemy import func, inspect, select

from crm.db import open_database
from crm.models import ElectedRole, Person
from crm.roster.readers import read_roster
from crm.roster.reconcile import refresh_roster, undo_refresh

from tests.crm.roster.rosters import EP_HEADER


def test_release_database_refreshes_its_msps(release_db_path: Path, tmp_path: Path) -> None:
    db = open_database(release_db_path)
    try:
        with db.session() as s:
            assert "person_identifier" in inspect(s.get_bind()).get_table_names()
            people_before = s.scalar(select(func.count()).select_from(Person))
            current = s.execute(
                select(
                    Person.first_name,
                    Person.last_name,
                    ElectedRole.party,
                    ElectedRole.constituency,
                    ElectedRole.region,
                )
                .join(ElectedRole, ElectedRole.person_id == Person.id)
                .where(ElectedRole.chamber == "Scottish Parliament", ElectedRole.end_date.is_(None))
            ).all()
        assert current
        roster = tmp_path / "msps.csv"
        with roster.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(EP_HEADER)
            for i, (first, last, party, constituency, region) in enumerate(current[1:]):
                row = dict.fromkeys(EP_HEADER, "")
                row.update(
                    id=f"ep-{i}", name=f"{first} {last}", group=party or "", area=constituency or region or ""
                )
                row.update(chamber="Scottish Parliament", term="6")
                w.writerow([row[h] for h in EP_HEADER])
        result = refresh_roster(db, read_roster(roster), dt.date(2026, 1, 1))
        out = result.as_dict()
        assert (out["added"], out["ended"], out["unmatched"]) == (0, 1, 0)
        assert out["continuing"] == len(current) - 1
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(Person)) == people_before
        assert result.batch_id is not None
        undo_refresh(db, result.batch_id)
    finally:
        db.dispose()
