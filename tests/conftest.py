"""Shared fixtures: a fresh real database per test (SQLite file, and PostgreSQL when configured).

Set ``KINDRED_TEST_PG_URL`` to a PostgreSQL URL whose role may create databases (``.ci/run`` does)
and every test using the ``db`` fixture also runs against a fresh PostgreSQL database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep tests away from the user's real settings and data folder.
os.environ.setdefault("KINDRED_TESTING", "1")

from crm.db import Database, open_database

PG_URL = os.environ.get("KINDRED_TEST_PG_URL")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "qtbot" in fixtures or "qapp" in fixtures or "main_window" in fixtures:
            item.add_marker(pytest.mark.gui)
        if "db" in fixtures and "[postgres]" in item.nodeid:
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-test data and config folders so nothing touches the developer's own Kindred."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("KINDRED_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.delenv("KINDRED_DB_URL", raising=False)


def _pg_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    assert PG_URL
    admin_url = make_url(PG_URL)
    name = f"kindred_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            for attempt in range(3):
                try:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    break
                except DBAPIError:
                    # A server process we may not end (autovacuum) can hold the database briefly.
                    if attempt == 2:
                        raise
        finally:
            admin.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.skipif(not PG_URL, reason="KINDRED_TEST_PG_URL not set")),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL (or path) of a fresh, empty database: SQLite file, and PostgreSQL when configured."""
    if request.param == "sqlite":
        yield str(tmp_path / "kindred.db")
    else:
        yield from _pg_database()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A freshly created and migrated database."""
    database = open_database(db_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A fresh SQLite database only (for file-specific behaviour)."""
    database = open_database(tmp_path / "kindred.db")
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def demo_db(tmp_path: Path) -> Iterator[Database]:
    """A SQLite database holding the sample data set."""
    from crm import demo

    database = open_database(tmp_path / "demo.db")
    with database.transaction() as session:
        demo.load_sample_data(session)
    try:
        yield database
    finally:
        database.dispose()


RELEASE_0_1_0_DB = Path(__file__).parent / "fixtures" / "release-0.1.0.db"


@pytest.fixture
def release_db_path(tmp_path: Path) -> Path:
    """A copy of a database made by the first release (schema 0001, sample data and one import)."""
    import shutil

    dest = tmp_path / "from-0.1.0.db"
    shutil.copyfile(RELEASE_0_1_0_DB, dest)
    return dest


SCHEMA_0008_DB = Path(__file__).parent / "fixtures" / "schema-0008.db"


@pytest.fixture
def schema_0008_db_path(tmp_path: Path) -> Path:
    """A copy of a database made at schema 0008 (see tests/fixtures/README.md: sample data, an
    import, a merge, an erasure, station notes on attendance, topics typed several ways)."""
    import shutil

    dest = tmp_path / "from-0008.db"
    shutil.copyfile(SCHEMA_0008_DB, dest)
    return dest
