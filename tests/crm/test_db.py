"""Opening, migrating, refusing, backing up and checking databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crm.db import (
    check_database,
    current_revision,
    head_revision,
    network_location_warning,
    open_database,
    resolve_url,
)
from crm.errors import DatabaseError, NewerSchemaError
from crm.services import people


def test_new_database_is_created_and_migrated_to_head(db_url: str) -> None:
    db = open_database(db_url)
    try:
        assert current_revision(db.engine) == head_revision()
        report = check_database(db)
        assert report.ok, report.problems
        assert report.counts["person"] == 0
    finally:
        db.dispose()


def test_sqlite_file_uses_wal_foreign_keys_and_busy_timeout(sqlite_db) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_database_from_a_newer_kindred_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    open_database(path).dispose()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    before = path.read_bytes()

    with pytest.raises(NewerSchemaError, match="newer version of Kindred"):
        open_database(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_gets_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "contacts.db"
    path.write_text("Name,Email\nAda,ada@example.org\n", encoding="utf-8")
    with pytest.raises(DatabaseError, match="not a Kindred database"):
        open_database(path)
    assert path.read_text(encoding="utf-8").startswith("Name,Email")


def test_someone_elses_sqlite_database_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="other tables"):
        open_database(path)
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["recipes"]
    conn.close()


def test_upgrading_an_older_schema_takes_a_backup_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import crm.db

    path = tmp_path / "kindred.db"
    db = open_database(path)
    with db.transaction() as session:
        people.create_person(session, first_name="Ada", last_name="Lovelace")
    db.dispose()
    # A newer Kindred: the shipped migrations plus one more.
    newer = tmp_path / "migrations"
    shutil.copytree(crm.db.MIGRATIONS_DIR, newer, ignore=shutil.ignore_patterns("__pycache__"))
    (newer / "versions" / "9001_add_column.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n"
        f"revision = '9001'\ndown_revision = {head_revision()!r}\nbranch_labels = None\ndepends_on = None\n"
        "def upgrade():\n    op.add_column('tag', sa.Column('colour', sa.String(20)))\n"
        "def downgrade():\n    op.drop_column('tag', 'colour')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(crm.db, "MIGRATIONS_DIR", newer)
    upgraded = open_database(path)
    try:
        assert current_revision(upgraded.engine) == "9001"
        assert upgraded.backup_path is not None and upgraded.backup_path.exists()
        old = sqlite3.connect(upgraded.backup_path)
        assert old.execute("SELECT version_num FROM alembic_version").fetchone()[0] != "9001"
        assert old.execute("SELECT first_name FROM person").fetchone()[0] == "Ada"
        old.close()
    finally:
        upgraded.dispose()


def test_backup_is_a_consistent_checked_copy(sqlite_db, tmp_path: Path) -> None:
    with sqlite_db.transaction() as session:
        people.create_person(session, first_name="Seán", last_name="Ó Floinn")
    dest = sqlite_db.backup(tmp_path / "backups")
    assert dest.parent == tmp_path / "backups"
    copy = open_database(dest)
    try:
        assert check_database(copy).counts["person"] == 1
    finally:
        copy.dispose()


def test_backup_refuses_to_overwrite_its_source(sqlite_db) -> None:
    assert sqlite_db.path is not None
    with pytest.raises(DatabaseError, match="cannot overwrite"):
        sqlite_db.backup(sqlite_db.path)


def test_cloud_and_network_locations_are_warned_about() -> None:
    assert network_location_warning(Path("C:/Users/ann/OneDrive/kindred.db"))
    assert network_location_warning(Path("//server/share/kindred.db"))
    assert network_location_warning(Path("/home/ann/kindred.db")) is None


def test_url_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KINDRED_DB_URL", str(tmp_path / "from-env.db"))
    assert resolve_url(None).database.endswith("from-env.db")
    assert resolve_url("postgresql://u:p@host/db").drivername == "postgresql+psycopg"
    with pytest.raises(DatabaseError, match="SQLite files and PostgreSQL"):
        resolve_url("mysql://u:p@host/db")


def test_two_connections_on_one_file_do_not_block_each_other(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    first = open_database(path)
    second = open_database(path)
    try:
        with first.transaction() as session:
            people.create_person(session, first_name="One")
        with second.session() as reader, first.transaction() as writer:
            people.create_person(writer, first_name="Two")
            # A reader sees the last committed state while another window writes (WAL).
            from crm.filters import PersonFilter, count_people

            assert count_people(reader, PersonFilter()) == 1
        with second.session() as reader:
            from crm.filters import PersonFilter, count_people

            assert count_people(reader, PersonFilter()) == 2
    finally:
        first.dispose()
        second.dispose()


def test_models_and_migrations_agree(sqlite_db) -> None:
    """Like ``alembic check``: autogenerate finds nothing to add (expression indexes aside)."""
    import warnings

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from crm.models import Base

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # neither tool can reflect expression indexes on SQLite
        with sqlite_db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_name": lambda name, type_, _parents: not (name or "").startswith("person_fts")
                },
            )
            diff = compare_metadata(context, Base.metadata)
    assert diff == []
