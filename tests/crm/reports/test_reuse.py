"""The dashboard's figures are reused while the database is unchanged, and only then: a write by this
program, by another connection or program, or one rolled back, is never hidden by a kept figure."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys

from sqlalchemy import update

from crm.db import Database, open_database
from crm.models import Person
from crm.reports import aggregates
from crm.reports.period import Period
from crm.services import networks, people

PERIOD = Period.last_12_months()


def _people(db: Database) -> int:
    with db.session() as session:
        return aggregates.data_quality(session).people


def _add(db: Database, first: str) -> int:
    with db.transaction() as session:
        return people.create_person(session, first_name=first, last_name="Reuse").id


def test_unchanged_database_hands_back_the_same_figures(sqlite_db: Database) -> None:
    # SQLite only: a PostgreSQL server shared with other databases (as in testing) moves on with
    # their writes, so whether its figures are reused there depends on what else it is doing.
    db = sqlite_db
    _add(db, "Ann")
    with db.session() as session:
        first = aggregates.dashboard(session, PERIOD)
    with db.session() as session:
        again = aggregates.dashboard(session, PERIOD)
        # Another period or another day is counted, not mistaken for this one.
        other = aggregates.networks(session, Period(dt.date(2020, 1, 1), dt.date(2020, 12, 31)))
        later = aggregates.follow_ups(session, PERIOD, today=dt.date.today() + dt.timedelta(days=8))
    assert again.data_quality is first.data_quality
    assert again.networks is first.networks
    assert again.engagement is first.engagement
    assert other is not first.networks and other.month_labels[0] == "Jan 2020"
    assert later is not first.follow_ups and later.today != first.follow_ups.today


def test_a_committed_write_is_counted(db: Database) -> None:
    _add(db, "Ann")
    assert _people(db) == 1
    _add(db, "Bob")
    assert _people(db) == 2
    with db.transaction() as session:
        network_id = networks.get_or_create_network(session, "Kindness Champions")[0].id
        ann = people.create_person(session, first_name="Cat", last_name="Reuse", nation="Wales").id
        networks.add_members(session, network_id, [ann])
    with db.session() as session:
        split = aggregates.networks(session, PERIOD).by_nation
    assert [(s.network, s.group, s.members) for s in split] == [("Kindness Champions", "Wales", 1)]
    with db.transaction() as session:
        session.execute(update(Person).where(Person.id == ann).values(nation="Scotland"))
    with db.session() as session:
        split = aggregates.networks(session, PERIOD).by_nation
    assert [(s.network, s.group, s.members) for s in split] == [("Kindness Champions", "Scotland", 1)]


def test_figures_seen_inside_a_transaction_that_rolls_back_are_not_kept(db: Database) -> None:
    _add(db, "Ann")
    assert _people(db) == 1
    with db.session() as session:
        people.create_person(session, first_name="Bob", last_name="Reuse")
        session.flush()
        assert aggregates.data_quality(session).people == 2  # its own write, not yet committed
        session.rollback()
        assert aggregates.data_quality(session).people == 1
    assert _people(db) == 1


def test_a_write_through_another_connection_is_counted(db: Database) -> None:
    _add(db, "Ann")
    assert _people(db) == 1
    other = open_database(db.url.render_as_string(hide_password=False))
    try:
        _add(other, "Bob")
    finally:
        other.dispose()
    assert _people(db) == 2


def test_a_write_by_another_program_is_counted(sqlite_db: Database) -> None:
    _add(sqlite_db, "Ann")
    assert _people(sqlite_db) == 1
    # Another program, with nothing of Kindred's: its own process and plain sqlite3.
    script = (
        "import sqlite3, sys\n"
        "con = sqlite3.connect(sys.argv[1])\n"
        "con.execute(\"UPDATE person SET deleted_at = '2026-01-01 00:00:00' WHERE first_name = 'Ann'\")\n"
        "con.commit()\n"
    )
    subprocess.run([sys.executable, "-c", script, str(sqlite_db.path)], check=True, timeout=60)
    assert _people(sqlite_db) == 0
    # And a write through a plain connection in this process.
    with sqlite3.connect(str(sqlite_db.path)) as con:
        con.execute("UPDATE person SET deleted_at = NULL")
    con.close()
    assert _people(sqlite_db) == 1
