"""Figures reused while the database is unchanged.

The dashboard counts again whenever it is shown. When nothing has been written to the database since
a figure was worked out (by this program, another program or, on a team server, another user), the
same figure is handed back instead of reading 100,000 people again. Anything written anywhere makes
every figure be worked out afresh: the test is whether the database changed, not which table did.

How a change is seen, without any cost to writing:

- SQLite: ``PRAGMA data_version`` moves when another connection (in this process or another)
  commits, and the connection's own ``total_changes`` moves when it writes itself.
- PostgreSQL: the server's write-ahead log, as flushed to disk, grows with every write to any of its
  databases (a commit is flushed before anyone sees it; with synchronous commit turned off, soon
  after, and what was worked out in between is worked out again).

A figure worked out in a transaction that has itself written is never kept, as that transaction may
still be rolled back. Figures are kept per database connection (each has its own view of the
data), a few dozen at most; they are frozen dataclasses, to be read and never changed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session

T = TypeVar("T")

MAX_KEPT = 32  # figures kept per connection: the dashboard's sources for a few periods
_KEPT = "kindred.figures"  # keys in the connection's ``info``, which lives as long as it does
_CHANGES_AT_BEGIN = "kindred.changes_at_begin"


def reuse(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned for ``key`` when the database has not changed since."""
    conn = session.connection()
    state = _state(conn)
    if state is None:
        return compute()
    kept: OrderedDict[Hashable, tuple[Hashable, Any]] = conn.info.setdefault(_KEPT, OrderedDict())
    held = kept.get(key)
    if held is not None and held[0] == state:
        kept.move_to_end(key)
        value: T = held[1]
        return value
    value = compute()
    # Kept only if nothing changed while it was worked out: then it belongs to that state.
    if _state(conn) == state:
        kept[key] = (state, value)
        kept.move_to_end(key)
        while len(kept) > MAX_KEPT:
            kept.popitem(last=False)
    return value


def _state(conn: Connection) -> Hashable | None:
    """What identifies the data this connection sees now; None when it must not be reused."""
    name = conn.dialect.name
    if name == "sqlite":
        raw = conn.connection.driver_connection
        changes = getattr(raw, "total_changes", None)
        # This transaction has written (or began before this module was loaded: unknown).
        if changes is None or conn.info.get(_CHANGES_AT_BEGIN) != changes:
            return None
        version = conn.exec_driver_sql("PRAGMA data_version").scalar()
        return (version, changes)
    if name == "postgresql":
        row = conn.execute(
            text(
                "SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_flush_lsn()::text END,"
                " txid_current_if_assigned()"
            )
        ).one()
        lsn, own_write = row
        if lsn is None or own_write is not None:
            return None
        return str(lsn)
    return None


@event.listens_for(Engine, "begin")
def _note_begin(conn: Connection) -> None:
    """Note each transaction's starting count of changed rows (SQLite), to tell whether it wrote."""
    conn.info[_CHANGES_AT_BEGIN] = getattr(conn.connection.driver_connection, "total_changes", None)


def forget(session: Session) -> None:
    """Drop the figures kept on this session's connection (benchmarks measure counting afresh)."""
    session.connection().info.pop(_KEPT, None)
