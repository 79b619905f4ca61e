"""Opening, migrating, checking and backing up a Kindred database.

A database is either one SQLite file (the default, in the user's data folder) or a PostgreSQL
database given by URL (team mode). :func:`open_database` returns a :class:`Database` that owns the
engine and a session factory; callers own their sessions: one user action is one transaction::

    db = open_database(path_or_url)
    with db.transaction() as session:
        people.create_person(session, first_name="Ada")
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crm import APP_NAME
from crm.errors import DatabaseError, NewerSchemaError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
ENV_DB_URL = "KINDRED_DB_URL"
SQLITE_BUSY_TIMEOUT_MS = 10_000

# Folder names that mean a cloud-sync client manages the folder: SQLite's locking is not safe there.
_SYNC_FOLDER_HINTS = (
    "onedrive",
    "dropbox",
    "google drive",
    "googledrive",
    "icloud",
    "box sync",
    "mobile documents",
)


def default_data_dir() -> Path:
    """The per-user data folder: ``%LOCALAPPDATA%\\Kindred`` on Windows,
    ``~/Library/Application Support/Kindred`` on macOS, ``~/.local/share/Kindred`` on Linux.
    ``KINDRED_DATA_DIR`` overrides it (tests and portable installs)."""
    if override := os.environ.get("KINDRED_DATA_DIR"):
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_database_path() -> Path:
    return default_data_dir() / "kindred.db"


def resolve_url(db: str | os.PathLike[str] | None) -> URL:
    """Turn ``--db`` (a path or a URL), else ``KINDRED_DB_URL``, else the default file, into a URL."""
    value: str | os.PathLike[str] | None = db if db not in (None, "") else os.environ.get(ENV_DB_URL) or None
    if value is None:
        value = default_database_path()
    raw = os.fspath(value)
    if "://" in raw:
        try:
            url = make_url(raw)
        except ArgumentError as exc:
            raise DatabaseError(f"Not a database address Kindred understands: {raw!r}") from exc
        if url.drivername in ("postgres", "postgresql"):
            url = url.set(drivername="postgresql+psycopg")
        if not (url.drivername.startswith("sqlite") or url.drivername.startswith("postgresql")):
            raise DatabaseError(
                f"Kindred works with SQLite files and PostgreSQL databases, not {url.drivername!r}."
            )
        return url
    path = Path(raw).expanduser()
    return URL.create("sqlite", database=str(path.resolve()))


def describe_url(url: URL) -> str:
    """A short, password-free name for the database, for window titles and messages."""
    if url.drivername.startswith("sqlite"):
        return Path(url.database or ":memory:").name
    return f"{url.database} on {url.host or 'localhost'}"


def is_sqlite(url: URL) -> bool:
    return url.drivername.startswith("sqlite")


def network_location_warning(path: Path) -> str | None:
    """A warning when a SQLite file sits on a network share or in a cloud-sync folder."""
    raw = str(path)
    lowered = raw.lower()
    if raw.startswith("\\\\") or raw.startswith("//"):
        return (
            f"{path} is on a network share. SQLite files are not safe to share over a network; "
            "use a team database (PostgreSQL) instead."
        )
    for hint in _SYNC_FOLDER_HINTS:
        if hint in lowered:
            return (
                f"{path} is in a cloud-sync folder. Syncing can corrupt an open database; "
                "keep the file in a local folder and back it up with Kindred instead."
            )
    return None


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys, WAL, busy timeout, and real BEGIN so SAVEPOINT and DDL are transactional.

    This is SQLAlchemy's documented recipe for pysqlite, which otherwise delays BEGIN.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        with contextlib.suppress(sqlite3.OperationalError):  # read-only media: keep the default journal
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: URL) -> Engine:
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


# Page cache for bulk transactions, in KiB (SQLite's default is 2,000 KiB).
BULK_CACHE_KIB = 32_768


@dataclass
class Database:
    """An open, migrated Kindred database."""

    url: URL
    engine: Engine
    session_factory: sessionmaker[Session]
    warnings: list[str] = field(default_factory=list)
    backup_path: Path | None = None

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @property
    def path(self) -> Path | None:
        return Path(self.url.database) if self.is_sqlite and self.url.database else None

    @property
    def name(self) -> str:
        return describe_url(self.url)

    @property
    def location(self) -> str:
        """Where the data lives, for the About box (no password)."""
        if self.path is not None:
            return str(self.path)
        return self.url.render_as_string(hide_password=True)

    @contextlib.contextmanager
    def transaction(self, *, bulk: bool = False) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back everything on any exception.

        ``bulk`` is for imports and their undo, which write to every index of 100,000 people: on
        SQLite the connection's page cache is enlarged for the transaction (the default 2 MB makes
        the index pages churn; measured, 100,000 people insert about a third faster) and put back
        before the connection returns to the pool.
        """
        with self.session_factory.begin() as session:
            if not (bulk and self.is_sqlite):
                yield session
                return
            conn = session.connection()
            previous = conn.exec_driver_sql("PRAGMA cache_size").scalar()
            conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            try:
                yield session
            finally:
                # Never let this hide the error that ended the transaction.
                with contextlib.suppress(Exception):
                    conn.exec_driver_sql(f"PRAGMA cache_size = {int(previous or -2000)}")

    def session(self) -> Session:
        """A plain session for reading; the caller closes it."""
        return self.session_factory()

    def dispose(self) -> None:
        """Close the database. On SQLite, first let it refresh the statistics its query planner
        uses (``PRAGMA optimize``, as SQLite advises on closing), so plans stay good as data grows."""
        if self.is_sqlite:
            # Read-only or busy: the statistics can wait for another day.
            with contextlib.suppress(Exception), self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA optimize")
        self.engine.dispose()

    def backup(self, dest: str | os.PathLike[str]) -> Path:
        return backup_database(self, Path(dest))

    def check(self) -> CheckReport:
        return check_database(self)


def _alembic_config(connection: Any | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


_REVISION_LINE = re.compile(r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+)$""", re.MULTILINE)


def _head_from_files() -> str | None:
    """The head revision read straight from the revision files, without importing Alembic (a
    quarter of a second at start-up when the schema is already current); None when unsure."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in MIGRATIONS_DIR.joinpath("versions").glob("*.py"):
        found = dict(
            (m.group(1), m.group(2).strip()) for m in _REVISION_LINE.finditer(script.read_text("utf-8"))
        )
        if "revision" not in found:
            return None
        revisions.add(found["revision"].strip("'\""))
        parents.update(re.findall(r"""['"]([^'"]+)['"]""", found.get("down_revision", "")))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def head_revision() -> str:
    if (head := _head_from_files()) is not None:
        return head
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return row[0] if row else None


def _has_user_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(inspect(conn).get_table_names())


def _looks_like_sqlite_file(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def open_database(
    db: str | os.PathLike[str] | None = None, *, create: bool = True, migrate: bool = True
) -> Database:
    """Open (creating and migrating as needed) the database at a path or URL.

    Raises:
        DatabaseError: the file is not a Kindred database, cannot be created, or the server refuses.
        NewerSchemaError: a newer Kindred made this database; nothing is changed.
    """
    url = resolve_url(db)
    warnings: list[str] = []
    if is_sqlite(url) and url.database and url.database != ":memory:":
        path = Path(url.database)
        if path.exists():
            if path.is_dir():
                raise DatabaseError(f"{path} is a folder, not a database file.")
            if path.stat().st_size and not _looks_like_sqlite_file(path):
                raise DatabaseError(f"{path} is not a Kindred database (it is not an SQLite file).")
        elif not create:
            raise DatabaseError(f"There is no database at {path}.")
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"Cannot create the folder for {path}: {exc.strerror}.") from exc
        if warning := network_location_warning(path):
            warnings.append(warning)

    engine = make_engine(url)
    try:
        backup_path = _migrate(engine, url) if migrate else None
    except (DatabaseError, NewerSchemaError):
        engine.dispose()
        raise
    except OperationalError as exc:
        engine.dispose()
        raise DatabaseError(f"Cannot open the database {describe_url(url)}: {exc.orig}") from exc
    except sqlite3.DatabaseError as exc:
        engine.dispose()
        raise DatabaseError(f"{describe_url(url)} is damaged or not a database: {exc}") from exc
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseError(f"Cannot open the database {describe_url(url)}: {exc}") from exc
    factory = sessionmaker(engine, expire_on_commit=False)
    return Database(
        url=url, engine=engine, session_factory=factory, warnings=warnings, backup_path=backup_path
    )


def _migrate(engine: Engine, url: URL) -> Path | None:
    """Bring the schema to head. Backs a SQLite file up first when it holds data. Returns the backup."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return None
    from alembic import command

    if current is not None and current not in known_revisions():
        raise NewerSchemaError(
            f"{describe_url(url)} was made by a newer version of Kindred (schema {current}). "
            "Install the latest Kindred to open it; the database has not been changed."
        )
    if current is None and _has_user_tables(engine):
        raise DatabaseError(f"{describe_url(url)} is not a Kindred database (it has other tables in it).")
    backup_path: Path | None = None
    if current is not None and is_sqlite(url) and url.database:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        source = Path(url.database)
        backup_path = source.with_name(f"{source.stem}.before-upgrade-{stamp}{source.suffix}")
        _sqlite_backup(source, backup_path)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    return backup_path


def _sqlite_backup(source: Path, dest: Path) -> None:
    """A consistent snapshot through SQLite's online backup API (safe while in use)."""
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def backup_database(db: Database, dest: Path) -> Path:
    """Copy the SQLite database to ``dest`` (a file, or a folder to put a dated file in).

    Raises:
        DatabaseError: on PostgreSQL (use the server's own tools), or when ``dest`` cannot be written.
    """
    if db.path is None:
        raise DatabaseError(
            "Backups of a team (PostgreSQL) database are made on the server, for example with pg_dump."
        )
    dest = dest.expanduser()
    # An existing folder, or a new name without an extension, means "put a dated copy in there".
    if dest.is_dir() or (not dest.exists() and not dest.suffix):
        stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
        dest = dest / f"{db.path.stem}-backup-{stamp}.db"
    if dest.resolve() == db.path.resolve():
        raise DatabaseError("A backup cannot overwrite the database it is copying.")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".partial")
        _sqlite_backup(db.path, tmp)
        conn = sqlite3.connect(tmp)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            conn.execute("PRAGMA journal_mode = DELETE")
        finally:
            conn.close()
        if result != "ok":
            tmp.unlink(missing_ok=True)
            raise DatabaseError(f"The backup failed its integrity check: {result}")
        tmp.replace(dest)
    except OSError as exc:
        raise DatabaseError(f"Cannot write the backup to {dest}: {exc.strerror or exc}") from exc
    return dest


@dataclass
class CheckReport:
    ok: bool
    problems: list[str]
    warnings: list[str]
    schema: str | None
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": self.problems,
            "warnings": self.warnings,
            "schema": self.schema,
            "counts": self.counts,
        }


def check_database(db: Database) -> CheckReport:
    """Integrity, foreign keys, schema version and the search index, on SQLite and PostgreSQL."""
    problems: list[str] = []
    with db.engine.connect() as conn:
        if db.is_sqlite:
            integrity = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
            if integrity != ["ok"]:
                problems.extend(f"integrity: {line}" for line in integrity[:20])
            fks = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            problems.extend(
                f"foreign key: {row[0]} row {row[1]} points at a missing {row[2]}" for row in fks[:20]
            )
            try:
                conn.exec_driver_sql("INSERT INTO person_fts(person_fts, rank) VALUES('integrity-check', 1)")
            except Exception as exc:  # the FTS module reports corruption as a generic error
                problems.append(f"search index: {exc}")
        counts = {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in (
                "person",
                "organisation",
                "network",
                "membership",
                "interaction",
                "event",
                "audit_log",
            )
        }
    schema = current_revision(db.engine)
    if schema != head_revision():
        problems.append(f"schema is at {schema}, expected {head_revision()}")
    return CheckReport(
        ok=not problems, problems=problems, warnings=list(db.warnings), schema=schema, counts=counts
    )


def quick_check(db: Database) -> str | None:
    """SQLite's fast start-up check; returns a problem description or None."""
    if not db.is_sqlite:
        return None
    with db.engine.connect() as conn:
        result = conn.exec_driver_sql("PRAGMA quick_check").fetchone()
    return None if result and result[0] == "ok" else f"The database file is damaged: {result}"
