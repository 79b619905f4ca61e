"""A database made by the first release opens with today's code, upgraded, with its data intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from crm.db import check_database, head_revision, open_database

COUNTS_0_1_0 = {
    "person": 210,
    "organisation": 27,
    "membership": 131,
    "interaction": 92,
    "event": 2,
    "attendance": 104,
    "elected_role": 58,
    "consent": 110,
    "suppression": 5,
    "import_batch": 1,
}


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTS_0_1_0}
    finally:
        conn.close()


def test_release_database_upgrades_with_its_data(release_db_path: Path) -> None:
    assert _counts(release_db_path) == COUNTS_0_1_0
    db = open_database(release_db_path)
    try:
        report = check_database(db)
        assert report.ok, report.problems
        assert report.schema == head_revision()
    finally:
        db.dispose()
    assert _counts(release_db_path) == COUNTS_0_1_0


COUNTS_0008 = {
    "person": 209,
    "organisation": 26,
    "membership": 131,
    "interaction": 92,
    "event": 2,
    "attendance": 103,
    "elected_role": 57,
    "consent": 110,
    "suppression": 6,
    "import_batch": 1,
    "merge_record": 1,
    "not_duplicate": 1,
    "export_log": 1,
}


def test_database_at_0008_upgrades_with_its_data(schema_0008_db_path: Path) -> None:
    """The last schema before the programme-depth revisions: every row of it is still there."""

    def counts() -> dict[str, int]:
        conn = sqlite3.connect(schema_0008_db_path)
        try:
            return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTS_0008}
        finally:
            conn.close()

    assert counts() == COUNTS_0008
    db = open_database(schema_0008_db_path)
    try:
        report = check_database(db)
        assert report.ok, report.problems
        assert report.schema == head_revision()
    finally:
        db.dispose()
    assert counts() == COUNTS_0008
