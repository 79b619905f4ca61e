"""Errors a user can cause, kept apart from bugs.

Anything derived from :class:`UserError` is shown to the user as a plain one-line message
(the CLI prints it, the GUI shows it in a message box). Any other exception is a bug.
"""

from __future__ import annotations

import errno


class UserError(Exception):
    """Something the user can understand and fix: a bad file, value or database."""


class DatabaseError(UserError):
    """The database cannot be opened or used as asked."""


class NewerSchemaError(DatabaseError):
    """The database was written by a newer Kindred; it is left untouched."""


class ValidationError(UserError):
    """A value does not pass validation. ``field`` names the field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(UserError):
    """A record asked for by id or name does not exist."""


class ConflictError(UserError):
    """The change would clash with later changes or existing data."""


class FileProblem(UserError):
    """A file cannot be read or written; the message names the file and reason."""


class Cancelled(Exception):
    """Raised inside long work when the user pressed Cancel; the transaction is rolled back."""


class DatabaseLocked(DatabaseError):
    """Another window or program kept the database busy for longer than Kindred waits."""


class DatabaseDamaged(DatabaseError):
    """The database file is damaged; writes stop until a backup is restored."""


class ReadOnlyDatabase(DatabaseError):
    """The database, its folder or its medium cannot be written to."""


class ServerUnavailable(DatabaseError):
    """The team database server cannot be reached, refused the login or went away."""


class DiskFull(FileProblem):
    """The disk holding a file Kindred writes is full."""


class StaleEdit(ConflictError):
    """A save based on an out-of-date copy of a record: someone else changed it meanwhile.

    ``changes`` describes what they changed (from the audit log), newest first.
    """

    def __init__(self, message: str, *, changes: list[str] | None = None) -> None:
        super().__init__(message)
        self.changes = changes or []


# What to do about a damaged database, said the same way everywhere.
DAMAGED_WAY_OUT = (
    "restore a backup (File → Restore from backup…, or `kindred-cli restore`) "
    "or run `kindred-cli check` for details"
)


def _os_error_message(exc: OSError, where: str) -> UserError | None:
    code = exc.errno
    name = exc.filename if isinstance(exc.filename, str) and exc.filename else where
    if code == errno.ENOSPC or code == getattr(errno, "EDQUOT", -1):
        return DiskFull(f"The disk holding {name} is full: free some space and try again. Nothing was saved.")
    if code == errno.EROFS:
        return ReadOnlyDatabase(
            f"{name} is on a read-only disk or medium: choose a folder you can write to and try again."
        )
    if code in (errno.EACCES, errno.EPERM):
        return FileProblem(
            f"Kindred is not allowed to write {name}: check the file and folder permissions "
            "(or close the program holding it) and try again."
        )
    if code == errno.ENAMETOOLONG:
        return FileProblem(
            f"The path {name} is too long: choose a shorter file name or folder and try again."
        )
    if code == errno.ENOENT:
        return FileProblem(f"{name} or its folder does not exist: check the path and try again.")
    if code in _GONE_ERRNOS:
        return FileProblem(
            f"Reading or writing {name} failed ({exc.strerror}): the drive or network share may have "
            "gone; reconnect it and try again."
        )
    return None


_GONE_ERRNOS = {
    getattr(errno, n)
    for n in ("EIO", "ESTALE", "ENETDOWN", "ENETUNREACH", "EHOSTDOWN", "EHOSTUNREACH", "ENXIO", "ENODEV")
    if hasattr(errno, n)
}

_SQLITE_MESSAGES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("disk is full", "database or disk is full"), "full"),
    (("readonly database", "attempt to write a readonly", "read-only file system"), "readonly"),
    (("database is locked", "database table is locked", "database is busy"), "locked"),
    (("malformed", "not a database", "corrupt", "file is encrypted"), "damaged"),
    (("disk i/o error",), "io"),
    (("unable to open database file", "unable to open"), "open"),
)

_SERVER_MESSAGES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("password authentication failed", "no pg_hba.conf entry", "authentication failed"), "auth"),
    (("role", "does not exist"), "role"),
    (
        (
            "connection refused",
            "could not connect",
            "connection timed out",
            "no route to host",
            "name or service not known",
            "could not translate host name",
            "nodename nor servname",
        ),
        "refused",
    ),
    (
        (
            "server closed the connection",
            "terminating connection",
            "connection is closed",
            "consuming input failed",
            "connection already closed",
            "the connection is lost",
            "ssl syscall error",
            "connection reset",
            "broken pipe",
            "server conn crashed",
            "the database system is shutting down",
            "the database system is starting up",
            "cannot connect now",
            "admin shutdown",
        ),
        "lost",
    ),
    (("disk full", "no space left on device", "could not extend file"), "server_full"),
    (("read-only transaction", "read only transaction"), "server_readonly"),
)


def _kind(text: str, table: tuple[tuple[tuple[str, ...], str], ...]) -> str | None:
    lowered = text.lower()
    for needles, kind in table:
        if kind == "role":
            if all(n in lowered for n in needles):
                return kind
            continue
        if any(n in lowered for n in needles):
            return kind
    return None


def sqlite_problem(text: str, where: str) -> UserError | None:
    """The user error for a SQLite error message about the file ``where``, or None for a bug."""
    kind = _kind(text, _SQLITE_MESSAGES)
    if kind == "full":
        return DiskFull(
            f"The disk holding {where} is full: free some space and try again. Nothing was saved."
        )
    if kind == "readonly":
        return ReadOnlyDatabase(
            f"{where} cannot be written to (the file, its folder or the disk is read-only): "
            "check its permissions, or copy it to a folder you can write to, and try again. Nothing was saved."
        )
    if kind == "locked":
        return DatabaseLocked(
            f"{where} is busy: another Kindred window or program has been changing it for too long. "
            "Close the other window or wait for it to finish, then try again. Nothing was saved."
        )
    if kind == "damaged":
        return DatabaseDamaged(f"{where} is damaged: {DAMAGED_WAY_OUT}.")
    if kind == "io":
        return FileProblem(
            f"Reading or writing {where} failed (disk I/O error): the drive or network share may have "
            "gone; reconnect it and try again. Nothing was saved."
        )
    if kind == "open":
        return DatabaseError(
            f"Cannot open {where}: its folder may be missing, read-only or on a network share that has "
            "gone. Check it and try again."
        )
    return None


def server_problem(text: str, where: str) -> UserError | None:
    """The user error for a PostgreSQL connection error about the server ``where``, or None."""
    kind = _kind(text, _SERVER_MESSAGES)
    if kind in ("auth", "role"):
        return ServerUnavailable(
            f"The team database server {where} did not accept the user name or password: "
            "check the address with whoever looks after the server."
        )
    if kind == "refused":
        return ServerUnavailable(
            f"Cannot reach the team database server {where}: check your network connection and that "
            "the server is running, then try again."
        )
    if kind == "lost":
        return ServerUnavailable(
            f"The connection to the team database server {where} was lost: nothing was saved; "
            "check your network and that the server is running, then try again."
        )
    if kind == "server_full":
        return ServerUnavailable(
            f"The team database server {where} is out of disk space: ask whoever looks after it to free "
            "some. Nothing was saved."
        )
    if kind == "server_readonly":
        return ReadOnlyDatabase(
            f"The team database server {where} is read-only at the moment: try again later. Nothing was saved."
        )
    return None


def user_error_for(exc: BaseException, where: str = "the database") -> UserError | None:
    """The :class:`UserError` a database or file-system failure means, or None when it is a bug.

    ``where`` names the database (file or server) the work was using; an ``OSError`` names its own
    file. Walks the exception's causes, so a driver error wrapped by SQLAlchemy is found.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, UserError):
            return current
        found = _one(current, where)
        if found is not None:
            return found
        current = current.__cause__ or current.__context__
    return None


def _one(exc: BaseException, where: str) -> UserError | None:
    import sqlite3

    if isinstance(exc, MemoryError):
        return UserError("Kindred ran out of memory: close other programs, or split the file, and try again.")
    if isinstance(exc, sqlite3.Error):
        return sqlite_problem(str(exc), where)
    module = type(exc).__module__ or ""
    if module.startswith("psycopg"):
        return server_problem(str(exc), where)
    if module.startswith("sqlalchemy"):
        orig = getattr(exc, "orig", None)
        if isinstance(orig, BaseException):
            return _one(orig, where)
        if type(exc).__name__ in ("OperationalError", "InterfaceError", "DisconnectionError"):
            return server_problem(str(exc), where) or sqlite_problem(str(exc), where)
        return None
    if isinstance(exc, OSError):
        return _os_error_message(exc, where)
    return None
