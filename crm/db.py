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
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crm import APP_NAME
from crm.errors import (
    DAMAGED_WAY_OUT,
    DatabaseDamaged,
    DatabaseError,
    NewerSchemaError,
    ReadOnlyDatabase,
    UserError,
    user_error_for,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
ENV_DB_URL = "KINDRED_DB_URL"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# How long a write waits for another window or program to finish its own: many times what the
# largest import takes (bench_import), without hanging for ever on a window left mid-change.
WRITE_WAIT_SECONDS = 600
# How long a write tries for the lock before saying it is waiting.
_WAIT_NOTICE_AFTER_MS = 300
WAITING_MESSAGE = "Waiting for another Kindred window or program to finish…"
# Marks a connection that starts a write transaction (BEGIN IMMEDIATE on SQLite).
_WRITE_OPTION = "kindred_write"

_wait_notice = threading.local()
# Where the notice goes when the current thread has none of its own (the CLI prints to stderr).
default_wait_notice: Callable[[str], None] | None = None


@contextlib.contextmanager
def wait_notice(callback: Callable[[str], None]) -> Iterator[None]:
    """Within the block, a write that has to wait for another writer calls ``callback(message)``
    once before waiting (the window shows it in the progress dialog and status bar)."""
    previous = getattr(_wait_notice, "callback", None)
    _wait_notice.callback = callback
    try:
        yield
    finally:
        _wait_notice.callback = previous


def _notify_waiting() -> None:
    callback = getattr(_wait_notice, "callback", None) or default_wait_notice
    if callback is not None:
        callback(WAITING_MESSAGE)


def print_wait_notice(message: str) -> None:
    """The command line's notice: stderr, so ``--json`` output stays one JSON object."""
    print(message, file=sys.stderr, flush=True)


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
        if not conn.get_execution_options().get(_WRITE_OPTION):
            conn.exec_driver_sql("BEGIN")
            return
        # A write transaction takes the write lock at its start. A deferred one that reads first
        # cannot wait for the lock later: SQLite answers "database is locked" at once whatever the
        # busy timeout, which is how two imports at once used to fail.
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {_WAIT_NOTICE_AFTER_MS}")
        try:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                _notify_waiting()
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {WRITE_WAIT_SECONDS * 1000}")
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


def make_engine(url: URL, *, read_only: bool = False) -> Engine:
    if is_sqlite(url):
        timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
        if read_only and url.database:
            # Read-only: SQLite's read-only open, so nothing is written. Without a WAL index beside
            # it (read-only folder or medium) SQLite cannot open a WAL file read-only at all; then
            # the file is opened as immutable, which is what it is for everyone on such a medium.
            path = Path(url.database)
            wal_ready = Path(f"{path}-shm").exists() and os.access(path.parent, os.W_OK)
            uri = path.as_uri() + ("?mode=ro" if wal_ready else "?mode=ro&immutable=1")
            engine = create_engine(
                url, creator=lambda: sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
            )
        else:
            engine = create_engine(url, connect_args={"timeout": timeout})
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
    read_only: bool = False
    # The "damaged" message once damage has been found: writes stop until a backup is restored.
    damaged: str | None = None

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

        On SQLite the transaction takes the write lock at its start (``BEGIN IMMEDIATE``): a second
        writer waits its turn (up to :data:`WRITE_WAIT_SECONDS`, with :data:`WAITING_MESSAGE` sent
        to the :func:`wait_notice` callback) instead of failing half-way. A database or file-system
        failure (disk full, read-only, locked, damaged, server gone) becomes a
        :class:`~crm.errors.UserError` naming the database; a damaged database refuses later writes.

        ``bulk`` is for imports and their undo, which write to every index of 100,000 people: on
        SQLite the connection's page cache is enlarged for the transaction (the default 2 MB makes
        the index pages churn; measured, 100,000 people insert about a third faster) and put back
        before the connection returns to the pool.
        """
        self.refuse_writes()
        try:
            with self.session_factory.begin() as session:
                conn = session.connection(execution_options={_WRITE_OPTION: True})
                if not (bulk and self.is_sqlite):
                    yield session
                    return
                previous = conn.exec_driver_sql("PRAGMA cache_size").scalar()
                conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
                try:
                    yield session
                finally:
                    # Never let this hide the error that ended the transaction.
                    with contextlib.suppress(Exception):
                        conn.exec_driver_sql(f"PRAGMA cache_size = {int(previous or -2000)}")
        except UserError as exc:
            if isinstance(exc, DatabaseDamaged):
                self.damaged = str(exc)
            raise
        except (SQLAlchemyError, sqlite3.Error, OSError, MemoryError) as exc:
            mapped = self.user_error(exc)
            if mapped is None:
                raise
            if isinstance(mapped, DatabaseDamaged):
                self.damaged = str(mapped)
            raise mapped from exc

    def user_error(self, exc: BaseException) -> UserError | None:
        """What a failure while using this database means to the user (None: a bug)."""
        return user_error_for(exc, self.display_location)

    @property
    def display_location(self) -> str:
        """The file path, or "the database NAME on HOST", for messages."""
        if self.path is not None:
            return str(self.path)
        return f"{self.url.database} on {self.url.host or 'localhost'}"

    def refuse_writes(self) -> None:
        """Raise the user error that stops a write: a read-only or damaged database."""
        if self.damaged:
            raise DatabaseDamaged(self.damaged)
        self.refuse_writes_except_damage()

    def refuse_writes_except_damage(self) -> None:
        """Raise when the database is read-only (restoring a backup over damage is allowed)."""
        if self.read_only:
            raise ReadOnlyDatabase(
                f"{self.display_location} is read-only, so Kindred opened it for reading only: copy it "
                "to a folder you can write to (or ask for write access) to make changes."
            )

    def session(self) -> Session:
        """A plain session for reading; the caller closes it."""
        return self.session_factory()

    def dispose(self) -> None:
        """Close the database. On SQLite, first let it refresh the statistics its query planner
        uses (``PRAGMA optimize``, as SQLite advises on closing), so plans stay good as data grows.

        The statistics are taken from a sample (``analysis_limit``, as SQLite's documentation
        advises): measured after importing 100,000 people into 100,000, a full analysis took
        1.0 s at closing and the sample 0.03 s, and the planner needs the shape, not the count."""
        if self.is_sqlite:
            # Read-only or busy: the statistics can wait for another day.
            with contextlib.suppress(Exception), self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit = 400")
                conn.exec_driver_sql("PRAGMA optimize")
        self.engine.dispose()

    def backup(self, dest: str | os.PathLike[str], *, force: bool = False) -> Path:
        return backup_database(self, Path(dest), force=force)

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


NO_DATABASE_HINT = "create one with `kindred-cli init`"


def _writable(path: Path) -> bool:
    """Whether this process may write the file and its folder (SQLite writes its journal beside it).

    ``os.access`` honours read-only mounts and immutable files even for an administrator."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def open_database(
    db: str | os.PathLike[str] | None = None,
    *,
    create: bool = True,
    migrate: bool = True,
    quick_check: bool = False,
) -> Database:
    """Open the database at a path or URL, migrating it as needed.

    Args:
        create: make a new, empty database when there is none (``init``, File → New, the first
            start). Without it a missing or empty file is refused, so a mistyped path never
            silently becomes an empty database.
        migrate: bring the schema to this version (backing the file up first).
        quick_check: run SQLite's quick check first and refuse a damaged file with the way out.

    A SQLite file this process cannot write (read-only file, folder or medium) is opened read-only:
    ``Database.read_only`` is set, a warning says so, and writes are refused with a plain message.

    Raises:
        DatabaseError: the file is not a Kindred database, cannot be created, or the server refuses.
        DatabaseDamaged: ``quick_check`` found damage.
        NewerSchemaError: a newer Kindred made this database; nothing is changed.
    """
    url = resolve_url(db)
    warnings: list[str] = []
    read_only = False
    if is_sqlite(url) and url.database and url.database != ":memory:":
        path = Path(url.database)
        if path.exists():
            if path.is_dir():
                raise DatabaseError(f"{path} is a folder, not a database file.")
            empty = path.stat().st_size == 0
            if empty and not create:
                raise DatabaseError(f"No Kindred database at {path} (the file is empty); {NO_DATABASE_HINT}.")
            try:
                if not empty and not _looks_like_sqlite_file(path):
                    raise DatabaseError(f"{path} is not a Kindred database (it is not an SQLite file).")
            except OSError as exc:
                raise user_error_for(exc, str(path)) or DatabaseError(
                    f"Cannot read {path}: {exc.strerror or exc}."
                ) from exc
            if not _writable(path):
                if empty:
                    raise ReadOnlyDatabase(f"{path} is empty and read-only, so Kindred cannot set it up.")
                read_only = True
                warnings.append(
                    f"{path} is read-only, so Kindred opened it for reading only: you can look and "
                    "export, but not change anything."
                )
        elif not create:
            raise DatabaseError(f"No Kindred database at {path}; {NO_DATABASE_HINT}.")
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise user_error_for(exc, str(path.parent)) or DatabaseError(
                    f"Cannot create the folder for {path}: {exc.strerror}."
                ) from exc
        if warning := network_location_warning(path):
            warnings.append(warning)

    engine = make_engine(url, read_only=read_only)
    where = str(url.database) if is_sqlite(url) else f"{url.database} on {url.host or 'localhost'}"
    try:
        if quick_check and is_sqlite(url):
            problem = _quick_check_engine(engine)
            if problem is not None:
                raise DatabaseDamaged(f"{where} is damaged ({problem}): {DAMAGED_WAY_OUT}.")
        if read_only:
            backup_path = None
            if migrate and current_revision(engine) != head_revision():
                raise ReadOnlyDatabase(
                    f"{where} needs upgrading for this version of Kindred but is read-only: copy it to "
                    "a folder you can write to and open the copy."
                )
        else:
            backup_path = _migrate(engine, url) if migrate else None
    except (DatabaseError, NewerSchemaError):
        engine.dispose()
        raise
    except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
        engine.dispose()
        mapped = user_error_for(exc, where)
        if isinstance(mapped, DatabaseError):
            raise mapped from exc
        if mapped is not None:
            raise DatabaseError(str(mapped)) from exc
        if isinstance(exc, SQLAlchemyError | sqlite3.DatabaseError):
            raise DatabaseError(f"Cannot open the database {describe_url(url)}: {exc}") from exc
        raise
    factory = sessionmaker(engine, expire_on_commit=False)
    return Database(
        url=url,
        engine=engine,
        session_factory=factory,
        warnings=warnings,
        backup_path=backup_path,
        read_only=read_only,
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
    if current is not None:
        # Kept with the other automatic backups (File → Restore from backup… lists it).
        from crm.backups import automatic_backup

        before = Database(url=url, engine=engine, session_factory=sessionmaker(engine))
        backup_path = automatic_backup(before, f"before upgrading from schema {current}")
    with engine.connect().execution_options(**{_WRITE_OPTION: True}) as conn, conn.begin():
        command.upgrade(_alembic_config(conn), "head")
    return backup_path


def open_snapshot(source: Path) -> sqlite3.Connection | None:
    """A connection to the SQLite file ``source`` holding a read transaction: a copy taken from it
    (``snapshot_to(..., opened=...)``), on any thread, is the database as it was at this call,
    whatever is written and committed meanwhile. None when the file is not in WAL mode, where a
    held read would stop a writer from committing (copy it before writing, then)."""
    conn = sqlite3.connect(source, isolation_level=None, check_same_thread=False)
    try:
        if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
            conn.close()
            return None
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the read starts here
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def _sqlite_backup(source: Path, dest: Path, opened: sqlite3.Connection | None = None) -> None:
    """A consistent snapshot through SQLite's online backup API (safe while in use); from
    ``opened`` (see :func:`open_snapshot`, closed here) when given."""
    if opened is not None:
        src = opened
    elif _writable(source):
        src = sqlite3.connect(source)
    else:  # a read-only database is copied without writing a WAL index beside it
        wal_ready = Path(f"{source}-shm").exists() and os.access(source.parent, os.W_OK)
        src = sqlite3.connect(
            source.as_uri() + ("?mode=ro" if wal_ready else "?mode=ro&immutable=1"), uri=True
        )
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def backup_database(db: Database, dest: Path, *, force: bool = False) -> Path:
    """Copy the SQLite database to ``dest`` (a file, or a folder to put a dated file in).

    The copy is a consistent snapshot (safe while the database is in use), written to a temporary
    file beside ``dest``, checked, and only then renamed into place: a failed backup leaves nothing.

    Raises:
        DatabaseError: on PostgreSQL (use the server's own tools), when ``dest`` exists and ``force``
            is not given, or when ``dest`` cannot be written.
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
    if dest.exists() and dest.resolve() == db.path.resolve():
        raise DatabaseError("A backup cannot overwrite the database it is copying.")
    if dest.exists() and not force:
        raise DatabaseError(f"{dest} already exists: choose another name, or use --force to replace it.")
    snapshot_to(db.path, dest)
    return dest


def snapshot_to(
    source: Path, dest: Path, *, check: str = "integrity", opened: sqlite3.Connection | None = None
) -> None:
    """A checked, consistent copy of the SQLite file ``source`` at ``dest``, all or nothing.

    ``check`` is ``"integrity"`` (every page and index: backups a user asks for) or ``"quick"``
    (automatic copies before an import, where seconds matter on 100,000 people). ``opened``: copy
    the database as it was when this connection from :func:`open_snapshot` was opened (it is
    closed here, whatever happens)."""
    tmp = dest.with_name(f".{dest.name}.partial")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_backup(source, tmp, opened)
        opened = None
        conn = sqlite3.connect(tmp)
        try:
            pragma = "quick_check" if check == "quick" else "integrity_check"
            result = conn.execute(f"PRAGMA {pragma}").fetchone()[0]
            # A backup is one self-contained file: no WAL beside it.
            conn.execute("PRAGMA journal_mode = DELETE")
        finally:
            conn.close()
        if result != "ok":
            raise DatabaseDamaged(
                f"{source} is damaged, so the copy failed its check ({result}): {DAMAGED_WAY_OUT}."
            )
        os.replace(tmp, dest)
    except (OSError, sqlite3.Error) as exc:
        raise user_error_for(exc, str(dest)) or DatabaseError(
            f"Cannot write the backup to {dest}: {getattr(exc, 'strerror', None) or exc}"
        ) from exc
    finally:
        if opened is not None:  # the folder could not be made: the copy never started
            opened.close()
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)


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


_COUNTED_TABLES = ("person", "organisation", "network", "membership", "interaction", "event", "audit_log")


def check_database(db: Database) -> CheckReport:
    """Integrity, foreign keys, schema version and the search index, on SQLite and PostgreSQL.

    Never raises for what it finds: each part that fails (a damaged page, an unreadable table) is a
    problem in the report, and the rest are still checked.
    """
    problems: list[str] = []
    counts: dict[str, int] = {}
    schema: str | None = None

    def attempt(label: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
            detail = getattr(exc, "orig", None) or exc
            problems.append(f"{label}: {str(detail).splitlines()[0]}")

    with contextlib.ExitStack() as stack:
        try:
            conn = stack.enter_context(db.engine.connect())
        except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
            detail = getattr(exc, "orig", None) or exc
            problems.append(f"cannot read the database: {str(detail).splitlines()[0]}")
            return CheckReport(False, problems, list(db.warnings), None, counts)
        if db.is_sqlite:

            def integrity() -> None:
                lines = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
                if lines != ["ok"]:
                    problems.extend(f"integrity: {line}" for line in lines[:20])

            def foreign_keys() -> None:
                fks = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                problems.extend(
                    f"foreign key: {row[0]} row {row[1]} points at a missing {row[2]}" for row in fks[:20]
                )

            def search_index() -> None:
                # FTS5's own check is written as an INSERT; it changes nothing, but a read-only
                # connection refuses it, so there the index is read through instead.
                if db.read_only:
                    conn.exec_driver_sql("SELECT count(*) FROM person_fts").scalar()
                    return
                try:
                    conn.exec_driver_sql(
                        "INSERT INTO person_fts(person_fts, rank) VALUES('integrity-check', 1)"
                    )
                finally:
                    with contextlib.suppress(Exception):
                        conn.rollback()

            attempt("integrity", integrity)
            attempt("foreign keys", foreign_keys)
            attempt("search index", search_index)
        for table in _COUNTED_TABLES:

            def count(table: str = table) -> None:
                counts[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()

            attempt(f"table {table}", count)
            if problems and db.is_sqlite:
                with contextlib.suppress(Exception):
                    conn.rollback()

        def read_schema() -> None:
            nonlocal schema
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            schema = row[0] if row else None

        attempt("schema", read_schema)
    if schema is not None and schema != head_revision():
        problems.append(f"schema is at {schema}, expected {head_revision()}")
    return CheckReport(
        ok=not problems, problems=problems, warnings=list(db.warnings), schema=schema, counts=counts
    )


def _quick_check_engine(engine: Engine) -> str | None:
    """SQLite's quick check on a fresh connection: a problem description, or None when sound.

    Damage is returned; any other failure (cannot open, locked, disk I/O) is raised as it is."""
    try:
        with engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    except (SQLAlchemyError, sqlite3.Error) as exc:
        detail = getattr(exc, "orig", None) or exc
        if isinstance(user_error_for(exc), DatabaseDamaged):
            return str(detail).splitlines()[0]
        raise
    return None if rows == ["ok"] else "; ".join(rows[:3])


def quick_check(db: Database) -> str | None:
    """SQLite's fast start-up check. Damage found stops writes (``db.damaged``) and the returned
    message says so with the way out; None when the file is sound (or on PostgreSQL)."""
    if not db.is_sqlite:
        return None
    problem = _quick_check_engine(db.engine)
    if problem is None:
        return None
    db.damaged = f"{db.display_location} is damaged ({problem}): {DAMAGED_WAY_OUT}."
    return db.damaged
