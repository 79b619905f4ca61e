"""Automatic backups, their rotation, and restoring one.

Kindred copies a SQLite database before anything that changes many records at once (an import, an
import undo, a merge, a roster refresh, a schema upgrade) and once a day when it is first opened.
The copies live in the user's data folder, one folder per database::

    <data folder>/backups/<database name>-<8 hex digits of its path>/
        kindred-2026-12-06-093012-import.db        a consistent, checked SQLite copy
        kindred-2026-12-06-093012-import.db.json   when, why, how many people, which schema

Rotation keeps the last :data:`KEEP_LATEST` copies plus the newest copy of each of the last
:data:`KEEP_WEEKS` weeks, then drops the oldest until the folder fits :func:`size_budget`.

A team (PostgreSQL) database is the server's to back up: :func:`automatic_backup` runs ``pg_dump``
when it is on the PATH and otherwise returns None.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm.db import (
    Database,
    default_data_dir,
    head_revision,
    known_revisions,
    open_snapshot,
    snapshot_to,
)
from crm.errors import DatabaseDamaged, DatabaseError, NewerSchemaError

KEEP_LATEST = 10
KEEP_WEEKS = 8
# Never let automatic copies take more than this much disk, unless one copy alone is bigger.
DEFAULT_BUDGET_BYTES = 2 * 1024**3
ENV_BUDGET_MB = "KINDRED_BACKUP_BUDGET_MB"
SIDECAR_SUFFIX = ".json"


@dataclass(frozen=True)
class BackupInfo:
    """One automatic backup, as listed by ``kindred-cli backups`` and File → Restore from backup."""

    path: Path
    created: dt.datetime
    reason: str
    people: int | None
    schema: str | None
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "created": self.created.isoformat(timespec="seconds"),
            "reason": self.reason,
            "people": self.people,
            "schema": self.schema,
            "bytes": self.size,
        }


def size_budget() -> int:
    """Bytes the automatic backups of one database may take (``KINDRED_BACKUP_BUDGET_MB``)."""
    raw = os.environ.get(ENV_BUDGET_MB)
    if raw:
        with contextlib.suppress(ValueError):
            return max(1, int(float(raw) * 1024 * 1024))
    return DEFAULT_BUDGET_BYTES


def backup_folder(db: Database) -> Path:
    """Where this database's automatic backups go (one folder per database file or server)."""
    if db.path is not None:
        key = str(db.path.resolve())
        stem = db.path.stem
    else:
        key = db.url.render_as_string(hide_password=True)
        stem = f"{db.url.database or 'team'}-{db.url.host or 'localhost'}"
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-") or "kindred"
    return default_data_dir() / "backups" / f"{safe}-{digest}"


def _slug(reason: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", reason.lower()).strip("-")[:40] or "backup"


def _people_in(path: Path) -> tuple[int | None, str | None]:
    """People (not in the Trash) and schema revision of a SQLite Kindred file, read-only."""
    try:
        conn = sqlite3.connect(path.as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return None, None
    try:
        people: int | None
        try:
            people = conn.execute("SELECT count(*) FROM person WHERE deleted_at IS NULL").fetchone()[0]
        except sqlite3.Error:
            try:
                people = conn.execute("SELECT count(*) FROM person").fetchone()[0]
            except sqlite3.Error:
                people = None
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            schema = row[0] if row else None
        except sqlite3.Error:
            schema = None
        return people, schema
    finally:
        conn.close()


def _write_sidecar(path: Path, info: dict[str, Any]) -> None:
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    tmp = sidecar.with_name(f".{sidecar.name}.partial")
    tmp.write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, sidecar)


def automatic_backup(db: Database, reason: str) -> Path | None:
    """Copy the database into its backup folder before risky work, then rotate the folder.

    ``reason`` says why, in a few plain words ("import of members.xlsx", "undo import 12",
    "upgrade", "daily"); it is listed with the copy. Returns the copy, or None when there is
    nothing to copy with (a read-only file, or a team database without ``pg_dump`` on the PATH).

    Raises:
        UserError: the copy could not be written (disk full, folder read-only, damaged database):
            the risky work should not go ahead either.
    """
    if db.path is None:
        return _pg_dump(db, reason)
    if db.read_only or not db.path.exists():
        return None
    return _copy_into_folder(db, db.path, reason, None)


def _copy_into_folder(db: Database, source: Path, reason: str, opened: sqlite3.Connection | None) -> Path:
    folder = backup_folder(db)
    now = dt.datetime.now()
    dest = folder / f"{source.stem}-{now:%Y-%m-%d-%H%M%S}-{now:%f}-{_slug(reason)}.db"
    snapshot_to(source, dest, check="quick", opened=opened)
    people, schema = _people_in(dest)
    try:
        _write_sidecar(
            dest,
            {
                "created": now.isoformat(timespec="seconds"),
                "reason": reason,
                "people": people,
                "schema": schema,
                "source": str(source),
            },
        )
    except OSError as exc:
        dest.unlink(missing_ok=True)
        from crm.errors import user_error_for

        raise user_error_for(exc, str(folder)) or DatabaseError(
            f"Cannot write the backup in {folder}: {exc.strerror or exc}"
        ) from exc
    rotate(folder, keep=dest)
    return dest


class PendingBackup:
    """An automatic backup being written on a helper thread (see :func:`start_automatic_backup`)."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._path: Path | None = None
        self._error: BaseException | None = None

    def _run(self, work: Callable[[], Path | None]) -> None:
        try:
            self._path = work()
        except BaseException as exc:  # handed to the caller's thread by result()
            self._error = exc

    def result(self) -> Path | None:
        """Wait for the copy; return it (None: nothing to copy with) or raise what stopped it."""
        self.wait()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._path

    def wait(self) -> None:
        """Wait for the copy, keeping any error for :meth:`result` (for a caller leaving on an
        error of its own)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def start_automatic_backup(db: Database, reason: str) -> PendingBackup:
    """:func:`automatic_backup`, copying the database as it is now while the caller goes on.

    On a SQLite file in WAL mode the copy is read from a snapshot taken before this returns, on a
    helper thread, so the risky work can start at once (its writes are not in the copy); call
    ``result()`` before committing that work, so that a copy that failed stops it as before.
    Anywhere else the copy is made here, before returning, and ``result()`` gives it.
    """
    pending = PendingBackup()
    path = db.path
    opened = None
    if path is not None and not db.read_only and path.exists():
        # On an error, copied below instead, which reports the problem in plain words.
        with contextlib.suppress(sqlite3.Error):
            opened = open_snapshot(path)
    if path is None or opened is None:
        pending._run(functools.partial(automatic_backup, db, reason))
        return pending
    pending._thread = threading.Thread(
        target=pending._run,
        args=(functools.partial(_copy_into_folder, db, path, reason, opened),),
        name="kindred-backup",
        daemon=True,
    )
    pending._thread.start()
    return pending


def _pg_dump(db: Database, reason: str) -> Path | None:
    """A custom-format ``pg_dump`` of a team database, when the tool is installed."""
    tool = shutil.which("pg_dump")
    if tool is None:
        return None
    folder = backup_folder(db)
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now()
    dest = folder / f"{db.url.database}-{now:%Y-%m-%d-%H%M%S}-{now:%f}-{_slug(reason)}.dump"
    tmp = dest.with_name(f".{dest.name}.partial")
    url = db.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = [tool, "--format=custom", "--no-owner", f"--file={tmp}", f"--dbname={url.database}"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600, check=False)
        if done.returncode != 0:
            raise DatabaseError(
                f"pg_dump could not back up {db.display_location}: "
                f"{(done.stderr.strip().splitlines() or ['unknown error'])[-1]}"
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    with db.session() as session:
        from sqlalchemy import text

        people = session.execute(text("SELECT count(*) FROM person WHERE deleted_at IS NULL")).scalar()
        schema = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    _write_sidecar(
        dest,
        {
            "created": now.isoformat(timespec="seconds"),
            "reason": reason,
            "people": people,
            "schema": schema,
            "source": db.display_location,
        },
    )
    rotate(folder, keep=dest)
    return dest


def daily_backup(db: Database, *, now: dt.datetime | None = None) -> Path | None:
    """The once-a-day copy on first open: made when the newest backup is from an earlier day."""
    now = now or dt.datetime.now()
    if db.path is None:
        return None  # a team database's daily copies are the server's
    latest = list_backups(db)
    if latest and latest[0].created.date() >= now.date():
        return None
    return automatic_backup(db, "daily")


def _read_info(path: Path) -> BackupInfo:
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    data: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(sidecar.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            data = loaded
    stat = path.stat()
    created: dt.datetime
    try:
        created = dt.datetime.fromisoformat(str(data["created"]))
    except (KeyError, ValueError):
        created = dt.datetime.fromtimestamp(stat.st_mtime)
    people = data.get("people")
    schema = data.get("schema")
    if "people" not in data and path.suffix == ".db":
        people, schema = _people_in(path)
    return BackupInfo(
        path=path,
        created=created,
        reason=str(data.get("reason") or "backup"),
        people=people if isinstance(people, int) else None,
        schema=schema if isinstance(schema, str) else None,
        size=stat.st_size,
    )


def _backups_in(folder: Path) -> list[BackupInfo]:
    if not folder.is_dir():
        return []
    found: list[BackupInfo] = []
    for path in folder.iterdir():
        if path.name.startswith(".") or path.suffix not in (".db", ".dump"):
            continue
        with contextlib.suppress(OSError):
            found.append(_read_info(path))
    found.sort(key=lambda b: (b.created, b.path.name), reverse=True)
    return found


def list_backups(db: Database) -> list[BackupInfo]:
    """This database's automatic backups, newest first."""
    return _backups_in(backup_folder(db))


def rotate(folder: Path, *, keep: Path | None = None) -> list[Path]:
    """Apply the rotation and size budget to a backup folder; returns the copies removed.

    Kept: the newest :data:`KEEP_LATEST`, the newest of each of the last :data:`KEEP_WEEKS` weeks,
    and ``keep`` (the copy just made). Then the oldest kept copies go until the folder fits the
    budget; the newest copy always stays.
    """
    backups = _backups_in(folder)
    if not backups:
        return []
    newest = backups[0].created
    kept: set[Path] = {b.path for b in backups[:KEEP_LATEST]}
    weeks_seen: set[tuple[int, int]] = set()
    for b in backups:
        week = b.created.isocalendar()[:2]
        if (newest - b.created).days < KEEP_WEEKS * 7 and week not in weeks_seen:
            weeks_seen.add((week[0], week[1]))
            kept.add(b.path)
    if keep is not None:
        kept.add(keep)
    survivors = [b for b in backups if b.path in kept]
    budget = size_budget()
    total = sum(b.size for b in survivors)
    for b in reversed(survivors[1:]):  # oldest first, never the newest
        if total <= budget:
            break
        if b.path == keep:
            continue
        kept.discard(b.path)
        total -= b.size
    removed: list[Path] = []
    for b in backups:
        if b.path in kept:
            continue
        for leftover in (b.path, b.path.with_name(b.path.name + SIDECAR_SUFFIX)):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)
        removed.append(b.path)
    return removed


def inspect_backup(path: Path) -> BackupInfo:
    """Check ``path`` is a sound Kindred database this version can open; refuse it otherwise.

    Raises:
        DatabaseError: not a file, not an SQLite file, not a Kindred database, or damaged.
        NewerSchemaError: made by a newer Kindred.
    """
    path = path.expanduser()
    if not path.is_file():
        raise DatabaseError(f"There is no backup at {path}.")
    with path.open("rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise DatabaseError(f"{path} is not a Kindred backup (it is not an SQLite database file).")
    try:
        conn = sqlite3.connect(path.as_uri() + "?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"alembic_version", "person"} <= tables:
                raise DatabaseError(f"{path} is not a Kindred backup (it has no Kindred tables).")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            schema = row[0] if row else None
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise DatabaseError(f"{path} cannot be read as a Kindred backup: {exc}.") from exc
    if schema is None or schema not in known_revisions():
        raise NewerSchemaError(
            f"{path} was made by a newer version of Kindred (schema {schema}): install the latest "
            "Kindred to restore it."
        )
    if result != "ok":
        raise DatabaseError(f"{path} is damaged ({result}): choose another backup.")
    info = _read_info(path)
    return info


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    database: Path
    safety_copy: Path | None
    people: int | None
    upgraded: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "restored": str(self.restored_from),
            "database": str(self.database),
            "backup_of_previous": str(self.safety_copy) if self.safety_copy else None,
            "people": self.people,
            "upgraded": self.upgraded,
        }


def restore_backup(db: Database, backup: Path) -> RestoreResult:
    """Replace the contents of ``db``'s file with ``backup``, after backing the current file up.

    The copy goes through SQLite's backup API, so it takes the database's locks like any writer
    and is all or nothing. The caller should reopen the database afterwards (``open_database``
    upgrades a backup from an older Kindred). ``db`` itself stays usable but holds stale caches.

    Raises:
        DatabaseError: a team database (restore with the server's tools), a read-only database,
            or a backup that is not a sound Kindred database.
        NewerSchemaError: the backup comes from a newer Kindred.
    """
    if db.path is None:
        raise DatabaseError(
            "A team (PostgreSQL) database is restored on its server, for example with pg_restore."
        )
    info = inspect_backup(backup)
    if backup.expanduser().resolve() == db.path.resolve():
        raise DatabaseError("That is the database itself, not a backup of it.")
    db.refuse_writes_except_damage()
    # The current state is worth keeping even when it is damaged: a plain file copy then.
    try:
        safety = automatic_backup(db, f"before restoring {backup.name}")
    except DatabaseDamaged:
        safety = _raw_copy(db)
    db.engine.dispose()
    try:
        src = sqlite3.connect(backup.expanduser().as_uri() + "?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(db.path, timeout=60)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except (sqlite3.Error, OSError) as exc:
        raise db.user_error(exc) or DatabaseError(f"Cannot restore into {db.path}: {exc}") from exc
    db.damaged = None
    return RestoreResult(
        restored_from=backup,
        database=db.path,
        safety_copy=safety,
        people=info.people,
        upgraded=info.schema != head_revision(),
    )


def _raw_copy(db: Database) -> Path | None:
    """A byte copy of a damaged file (the backup API refuses damaged pages), for the record."""
    assert db.path is not None
    folder = backup_folder(db)
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now()
    dest = folder / f"{db.path.stem}-{now:%Y-%m-%d-%H%M%S}-damaged.db"
    shutil.copyfile(db.path, dest)
    _write_sidecar(dest, {"created": now.isoformat(timespec="seconds"), "reason": "damaged, before restore"})
    return dest
