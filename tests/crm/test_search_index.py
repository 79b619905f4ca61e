"""The SQLite search index after a bulk load: complete, consistent and set back as it was.

A bulk load sets the index's insert trigger aside, fills the index a block at a time and, while
it does, stops FTS5 merging segments (``crm.search_index``). Afterwards the index must find
exactly what a rebuilt one finds, pass FTS5's own check, and merge and follow single edits as
before; a load that fails leaves nothing of this behind.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from crm.db import Database, check_database
from crm.filters import PersonFilter, count_people, person_ids
from crm.services import people

from tests.benchmarks.generate import generate_people

QUERIES = ("m", "mac", "sean", "o floinn", "edinburgh", "0131", "07", "example org", "2x12")


def _rows(n: int, seed: int) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in row.items() if k not in ("organisation", "network", "tag")}
        for row in generate_people(n, seed=seed)
    ]


def _automerge(db: Database) -> Any:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT v FROM person_fts_config WHERE k = 'automerge'").scalar()


def _found(db: Database) -> dict[str, list[int]]:
    with db.session() as session:
        return {q: person_ids(session, PersonFilter(text=q), sort="rank") for q in QUERIES}


def _index_checks_out(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO person_fts(person_fts, rank) VALUES('integrity-check', 1)")
        trigger = conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'person_fts_ai'"
        ).scalar()
    assert trigger == 1
    report = check_database(db)
    assert report.ok, report.problems


def test_bulk_loads_leave_the_index_as_a_rebuilt_one(sqlite_db: Database) -> None:
    # Two loads, each in its own transaction and each large enough for the bulk path, the second
    # into an index that already has segments of its own.
    for seed in (1, 2):
        with sqlite_db.transaction() as session:
            people.bulk_insert_people(session, _rows(1_500, seed))
    assert _automerge(sqlite_db) == 4  # merging as rows are written again (FTS5's default)
    _index_checks_out(sqlite_db)
    found = _found(sqlite_db)
    assert all(found.values()), found
    with sqlite_db.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO person_fts(person_fts) VALUES('rebuild')")
    assert _found(sqlite_db) == found  # the same people, ranked the same

    # Single edits after the load still reach the index through its triggers.
    with sqlite_db.transaction() as session:
        person = people.create_person(session, first_name="Úna", last_name="Zyw", email="una@example.org")
        new_id = person.id
    with sqlite_db.session() as session:
        assert person_ids(session, PersonFilter(text="una zyw")) == [new_id]
        assert count_people(session, PersonFilter(text="mac")) == len(found["mac"])


def test_a_merge_setting_of_the_users_own_is_kept(sqlite_db: Database) -> None:
    with sqlite_db.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO person_fts(person_fts, rank) VALUES('automerge', 8)")
    with sqlite_db.transaction() as session:
        people.bulk_insert_people(session, _rows(800, 3))
    assert _automerge(sqlite_db) == 8
    _index_checks_out(sqlite_db)


def test_a_failed_load_leaves_the_index_as_it_was(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as session:
        people.bulk_insert_people(session, _rows(600, 4))
    with sqlite_db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM person_fts_config WHERE k = 'automerge'")  # never set
    before = _found(sqlite_db)
    with pytest.raises(RuntimeError, match="stopped"), sqlite_db.transaction() as session:
        people.bulk_insert_people(session, _rows(900, 5))
        raise RuntimeError("stopped by the user")
    assert _automerge(sqlite_db) is None
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM person")).scalar() == 600
    assert _found(sqlite_db) == before
    _index_checks_out(sqlite_db)
