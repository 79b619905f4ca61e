"""No lost update: a save based on a stale copy is refused, saying who changed what and when."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from crm.db import Database, head_revision, open_database
from crm.errors import StaleEdit
from crm.models import Organisation, Person
from crm.services import organisations, people


def _version(db: Database, model: type, row_id: int) -> int:
    with db.session() as session:
        return int(session.get(model, row_id).version)  # type: ignore[attr-defined]


def test_a_stale_save_is_refused_with_who_changed_what(db: Database) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Ann", last_name="Lee").id
    shown = _version(db, Person, pid)  # what the first window shows
    with db.transaction() as session:  # the second window saves first
        people.update_person(session, pid, {"job_title": "Director"}, expected_version=shown)
    assert _version(db, Person, pid) > shown

    with pytest.raises(StaleEdit) as caught, db.transaction() as session:
        people.update_person(session, pid, {"job_title": "Chair"}, expected_version=shown)
    message = str(caught.value)
    assert message.startswith("Ann Lee was changed by someone else after you opened it: ")
    assert "job title to “Director”" in message and "Nothing was saved" in message
    with db.session() as session:
        assert people.get_person(session, pid).job_title == "Director"


def test_organisations_carry_a_version_too(db: Database) -> None:
    with db.transaction() as session:
        oid = organisations.create_organisation(session, name="Kindness Trust").id
    shown = _version(db, Organisation, oid)
    with db.transaction() as session:
        organisations.update_organisation(session, oid, {"sector": "Charity"}, expected_version=shown)
    with pytest.raises(StaleEdit, match="Kindness Trust was changed"), db.transaction() as session:
        organisations.update_organisation(session, oid, {"sector": "Public"}, expected_version=shown)


def test_bulk_actions_and_imports_raise_versions(db: Database) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Bulk", last_name="Target").id
    seen = [_version(db, Person, pid)]
    for action in (
        lambda s: people.trash_people(s, [pid]),
        lambda s: people.restore_people(s, [pid]),
        lambda s: people.refresh_derived(s, [pid]),  # what an import's updates and undo run
    ):
        with db.transaction() as session:
            action(session)
        seen.append(_version(db, Person, pid))
    assert seen == sorted(set(seen)), seen
    with pytest.raises(StaleEdit), db.transaction() as session:
        people.update_person(session, pid, {"region": "Lothian"}, expected_version=seen[0])


def test_two_windows_on_one_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    first = open_database(path)
    second = open_database(path, create=False)
    try:
        with first.transaction() as session:
            pid = people.create_person(session, first_name="Shared", last_name="Record").id
        shown_first = _version(first, Person, pid)
        shown_second = _version(second, Person, pid)
        with second.transaction() as session:
            people.update_person(
                session, pid, {"notes": "from the second window"}, expected_version=shown_second
            )
        with (
            pytest.raises(StaleEdit, match="notes to “from the second window”"),
            first.transaction() as session,
        ):
            people.update_person(session, pid, {"notes": "from the first"}, expected_version=shown_first)
    finally:
        first.dispose()
        second.dispose()


def test_two_staff_saving_at_the_same_moment_on_postgresql(db: Database) -> None:
    """Both read version 1; the first claims the row and holds it; the second waits for the row
    lock, then finds the version moved on and is refused (READ COMMITTED re-checks the WHERE)."""
    if db.is_sqlite:
        pytest.skip("SQLite has one writer at a time; this is the team database's case")
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Team", last_name="Record").id
    shown = _version(db, Person, pid)
    claimed = threading.Event()
    release = threading.Event()
    outcome: list[BaseException | None] = []

    def first_staff() -> None:
        with db.transaction() as session:
            people.update_person(session, pid, {"job_title": "First"}, expected_version=shown)
            claimed.set()
            release.wait(30)

    def second_staff() -> None:
        try:
            with db.transaction() as session:
                people.update_person(session, pid, {"job_title": "Second"}, expected_version=shown)
            outcome.append(None)
        except BaseException as exc:  # collected for the assertion below
            outcome.append(exc)

    one = threading.Thread(target=first_staff)
    one.start()
    assert claimed.wait(30)
    two = threading.Thread(target=second_staff)
    two.start()
    two.join(0.5)  # the second is blocked on the row lock while the first is open
    assert two.is_alive()
    release.set()
    one.join(30)
    two.join(30)
    assert isinstance(outcome[0], StaleEdit)
    with db.session() as session:
        assert people.get_person(session, pid).job_title == "First"


def test_release_database_upgrades_with_versions(release_db_path: Path) -> None:
    db = open_database(release_db_path)
    try:
        with db.session() as session:
            from sqlalchemy import func, select

            assert session.scalar(select(func.count()).where(Person.version != 1)) == 0
            assert session.scalar(select(func.count(Person.id))) > 0
    finally:
        db.dispose()
    conn = sqlite3.connect(release_db_path)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
    finally:
        conn.close()
