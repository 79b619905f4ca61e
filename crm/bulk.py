"""The one fast path for inserting many rows: what imports, sample data and bulk actions use.

SQLAlchemy Core spends as long preparing each row's parameters as SQLite spends storing them
(about 2.2x raw ``executemany`` for 100,000 people). On SQLite the rows are therefore converted
once, with each column type's own bind processor so stored values are exactly what SQLAlchemy
would write, and handed to the driver's ``executemany``. Other databases use Core.

An import's big tables go one step further on SQLite (:func:`json_insert`): the rows travel as
one JSON text and a single ``INSERT … SELECT … FROM json_each(?)`` unpacks them inside SQLite.
``executemany`` binds every row in Python, holding the interpreter's lock; one statement binds
once and then runs entirely in SQLite, without the lock, so a helper thread can store one chunk
while the caller builds the next (measured, 100,000 history rows: 1.2 s through ``executemany``,
0.12 s to write the JSON and 0.43 s in SQLite).

New people in bulk (:class:`BulkPeopleWriter`, :func:`insert_people_rows`) are written here too:
the people table, its indexes and the search index, on a helper thread inside the caller's
transaction. The rules for cleaning and describing a person stay in ``crm.services.people``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from queue import SimpleQueue
from typing import Any

from sqlalchemy import Executable, Table, insert, select
from sqlalchemy.orm import Session

from crm import search_index
from crm.models import Person, table_of
from crm.util import chunked


def insert_rows(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, into: str | None = None
) -> list[str]:
    """Insert ``rows`` (dicts keyed by column name; all rows with the same keys) into ``table``.

    ``into`` (SQLite only) names another table with the same columns, such as a temporary staging
    table; the values are still converted by ``table``'s column types. Returns the columns written.
    """
    if not rows:
        return []
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name != "sqlite":
        if into is not None:
            raise ValueError("insert_rows(into=...) is for SQLite")
        conn.execute(insert(table), list(rows))
        return list(rows[0].keys())
    keys = list(rows[0].keys())
    defaults = _column_defaults(table, keys)
    written, params = _driver_params(table, dialect, keys, defaults, rows)
    names = ", ".join(dialect.identifier_preparer.quote(k) for k in written)
    marks = ", ".join(["?"] * len(written))
    target = into or dialect.identifier_preparer.format_table(table)
    sql = f"INSERT INTO {target} ({names}) VALUES ({marks})"
    conn.exec_driver_sql(sql, params)
    return written


def _driver_params(
    table: Table, dialect: Any, keys: list[str], defaults: dict[str, Any], rows: Sequence[Mapping[str, Any]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The columns to write and the rows as the driver's parameter tuples, column by column (the
    work stays in C where it can): values picked with one itemgetter, each distinct value converted
    once by its column type's bind processor (timestamps, dates and flags repeat down a batch).

    A column empty in every row, whose stored default is empty too, is left out of the statement:
    binding costs the driver about as much per value whether or not it is empty (measured, 100,000
    rows: 1.0 s for 36 columns of which 18 empty, 0.3 s for the 18 others alone)."""
    get = itemgetter(*keys)
    try:
        picked = [get(row) for row in rows] if len(keys) > 1 else [(get(row),) for row in rows]
    except KeyError:
        # A row without some of the first row's keys: those columns are NULL for it.
        picked = [tuple(row.get(k) for k in keys) for row in rows]
    columns: list[Sequence[Any]] = list(zip(*picked, strict=True)) if picked else [() for _ in keys]
    del picked
    columns += [[value] * len(rows) for value in defaults.values()]
    for i, key in enumerate([*keys, *defaults]):
        processor: Callable[[Any], Any] | None = (
            table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        )
        if processor is None:
            continue
        try:
            converted = {v: processor(v) for v in set(columns[i]) if v is not None}
        except TypeError:  # unhashable values (JSON): one by one
            columns[i] = [None if v is None else processor(v) for v in columns[i]]
        else:
            columns[i] = list(map(converted.get, columns[i]))
    names = [*keys, *defaults]
    kept = [
        i
        for i, name in enumerate(names)
        if not (_empty_by_default(table.c[name]) and columns[i].count(None) == len(rows))
    ]
    if kept and len(kept) < len(names):
        names = [names[i] for i in kept]
        columns = [columns[i] for i in kept]
    return names, list(zip(*columns, strict=True))


def _empty_by_default(column: Any) -> bool:
    """Whether leaving ``column`` out of an INSERT stores NULL, as an explicit None does."""
    return column.server_default is None and not column.primary_key and column.nullable


def _column_defaults(table: Table, keys: Iterable[str]) -> dict[str, Any]:
    """Column defaults SQLAlchemy would have filled in (timestamps, flags) for the columns not in
    ``keys``, computed once per call."""
    given = set(keys)
    defaults: dict[str, Any] = {}
    for column in table.columns:
        if column.key in given or column.primary_key or column.default is None:
            continue
        default: Any = column.default
        if default.is_scalar:
            defaults[column.key] = default.arg
        elif default.is_callable:
            defaults[column.key] = default.arg(None)
    return defaults


@functools.cache
def sqlite_has_json() -> bool:
    """Whether this Python's SQLite library has the JSON functions (built in since SQLite 3.38,
    and in nearly every earlier build; one library serves every connection of the process)."""
    try:
        with sqlite3.connect(":memory:") as conn:
            return bool(conn.execute("SELECT json_extract('[1]', '$[0]')").fetchone()[0] == 1)
    except sqlite3.Error:
        return False


def json_insert(
    table: Table,
    dialect: Any,
    keys: Sequence[str],
    rows: Sequence[Sequence[Any]],
    constants: Mapping[str, Any] | None = None,
) -> tuple[str, Any]:
    """One SQLite statement, with its parameters, that inserts ``rows`` into ``table``.

    ``rows`` are tuples of driver values (text, whole numbers or ``None``, in ``keys`` order: see
    :func:`driver_value`); ``constants`` are the same for every row (Python values, converted by
    their column types), as are the column defaults SQLAlchemy would fill in for the rest. The
    rows are written as one JSON array that SQLite unpacks with ``json_each``, in order; run the
    statement with ``exec_driver_sql`` (see the module's docstring for why). Check
    :func:`sqlite_has_json` first.

    SQLite's JSON functions end a text at a NUL character, which no cleaned value holds; should
    one turn up, the rows are given for ``executemany`` instead (a list of tuples), so that what
    is stored is still exactly the value.
    """
    fixed = dict(constants or {})
    fixed.update(_column_defaults(table, [*keys, *fixed]))
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(k) for k in [*keys, *fixed])
    picks = [f"json_extract(value, '$[{i}]')" for i in range(len(keys))]
    values = [driver_value(table, dialect, k, v) for k, v in fixed.items()]
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) "
        f"SELECT {', '.join([*picks, *['?'] * len(fixed)])} FROM json_each(?)"
    )
    # Not ASCII-escaped: SQLite reads UTF-8 as it is, and the text is smaller.
    text = json.dumps(rows, ensure_ascii=False, check_circular=False)
    if "\\u0000" in text:
        marks = ", ".join(["?"] * (len(keys) + len(fixed)))
        target = dialect.identifier_preparer.format_table(table)
        return f"INSERT INTO {target} ({names}) VALUES ({marks})", [(*row, *values) for row in rows]
    return sql, (*values, text)


def driver_value(table: Table, dialect: Any, key: str, value: Any) -> Any:
    """``value`` as SQLAlchemy would hand it to the driver for column ``key`` of ``table``."""
    if value is None:
        return None
    processor = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
    return value if processor is None else processor(value)


# --- Writing many new people ---------------------------------------------------------------------

# From this many rows a bulk insert fills the search index in one statement instead of per row.
BULK_INDEX_THRESHOLD = 500
# A bulk write of new people builds the people table's indexes afresh, rather than keeping them up
# to date row by row, when the table holds at most this many times as many people as are being
# added. Measured per new person at 100,000 into 100,000: about 170 µs keeping eight indexes up to
# date, about 25 µs per stored person building them, so building wins below roughly 6×; 4 leaves
# room for bigger tables, whose B-trees keep better in the page cache.
REBUILD_INDEXES_RATIO = 4

_STAGE = "kindred_new_people"
# A statement for a bulk writer's helper: driver SQL with its parameters (a tuple, or a list of
# tuples for ``executemany``), or a Core statement.
Step = tuple[str, Any] | Executable
_FILL_SEARCH_INDEX = (
    "INSERT INTO person_fts(rowid, search_text) SELECT id, search_text FROM person WHERE id BETWEEN ? AND ?"
)


class BulkPeopleWriter:
    """Writes blocks of new people on a helper thread, inside the caller's transaction, while the
    caller builds its next rows in Python: their rows go into the people table (with its indexes)
    and into the search index.

    SQLite runs each ``INSERT … SELECT`` without holding Python's lock, so the work overlaps.
    The connection is used by one thread at a time: ``wait()`` (called before each statement of
    the caller's, and on leaving) hands it back, re-raising any error from the helper. On
    SQLite the per-row search trigger is dropped for the duration (DDL is transactional, so a
    rollback restores it) and put back on leaving; elsewhere it does nothing (PostgreSQL has no
    such index, and new people are inserted there with ``RETURNING``).

    ``expected`` is how many people are about to be written. When that is large beside the people
    already stored (see ``REBUILD_INDEXES_RATIO``), the people table's secondary indexes that new
    people scatter over (see ``_drop_secondary_indexes``) are also dropped for the duration and built again on leaving, in the same transaction: building an
    index sorts its rows once, where keeping it up to date costs a random B-tree insert per new
    person per index (measured at 100,000 into 100,000: building took about a third of the upkeep).
    Unique indexes are never dropped, so a clash is still refused as the row is written.
    """

    def __init__(self, session: Session, *, active: bool = True, expected: int = 0) -> None:
        self._session = session
        self._active = active and session.get_bind().dialect.name == "sqlite"
        self._expected = expected
        self._index_sql: list[str] = []
        self._index_stats: list[tuple[str, str, str]] = []
        self._trigger_sql: str | None = None
        self._automerge: int | None = None  # the search index's merge setting, while paused
        self._thread: threading.Thread | None = None
        self._queue: SimpleQueue[Step | None] | None = None
        self._error: BaseException | None = None
        self._staging = False
        self._unchecked: tuple[int, int] | None = None  # the id block the helper is writing

    @property
    def active(self) -> bool:
        return self._active

    def __enter__(self) -> BulkPeopleWriter:
        if self._active:
            conn = self._session.connection()
            self._trigger_sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'person_fts_ai'"
            ).scalar()
            if self._trigger_sql:
                conn.exec_driver_sql("DROP TRIGGER person_fts_ai")
                self._automerge = search_index.pause_merging(conn)
            if self._expected and self._expected * REBUILD_INDEXES_RATIO >= (
                conn.exec_driver_sql("SELECT count(*) FROM person").scalar() or 0
            ):
                stats = _index_statistics(conn, "person")
                dropped = _drop_secondary_indexes(conn, "person")
                self._index_sql = [sql for _, sql in dropped]
                self._index_stats = [row for row in stats if row[1] in {name for name, _ in dropped}]
        return self

    def fill(self, low: int, high: int) -> None:
        """Start filling the index for people ``low``…``high`` (ids)."""
        self._start([(_FILL_SEARCH_INDEX, (low, high))])

    def insert_people(
        self, payload: list[dict[str, Any]], follow: Callable[[int, int], list[Step]] | None = None
    ) -> list[int]:
        """Insert prepared people: their rows are handed to SQLite here (the part that needs
        Python), then the helper moves them into the people table, with its indexes, and fills
        their search index; when the table's indexes were set aside for the import, the rows go
        straight into it here. Returns their ids: SQLite gives the next ids in turn, as this
        transaction is the only writer; the helper's result is checked by the next ``wait()``.

        ``follow(low, high)``, called here with the new people's first and last id, gives further
        statements for the helper to run after them (their contact points), so the indexes of
        those tables are also kept up to date off the caller's thread; :meth:`also` adds more
        while the helper runs (their links and history: see :func:`crm.bulk.json_insert`).

        The people themselves go through ``executemany`` rather than as JSON: unpacking
        a JSON row costs SQLite time that grows with the square of its width (measured, 20,000
        rows of 35 columns: 1.2 s against 0.12 s for ``executemany``), where the narrow link and
        history rows unpack in less time than binding them."""
        self.wait()
        conn = self._session.connection()
        steps: list[Step] = []
        if self._index_sql:
            # The people table's indexes are set aside: storing the rows costs what staging them
            # would, so they go straight in (measured at 100,000 into 100,000, the staging
            # table's extra copy and clearing took about 1.4 s of SQLite's time).
            low = (conn.exec_driver_sql("SELECT max(id) FROM person").scalar() or 0) + 1
            insert_rows(self._session, table_of(Person), payload)
        else:
            if not self._staging:
                conn.exec_driver_sql(f"CREATE TEMP TABLE {_STAGE} AS SELECT * FROM person WHERE 0")
                self._staging = True
            columns = insert_rows(self._session, table_of(Person), payload, into=f"temp.{_STAGE}")
            low = (conn.exec_driver_sql("SELECT max(id) FROM person").scalar() or 0) + 1
            names = ", ".join(f'"{c}"' for c in columns)
            steps += [
                (f"INSERT INTO person ({names}) SELECT {names} FROM temp.{_STAGE} ORDER BY rowid", ()),
                (f"DELETE FROM temp.{_STAGE}", ()),
            ]
        high = low + len(payload) - 1
        steps.append((_FILL_SEARCH_INDEX, (low, high)))
        if follow is not None:
            steps += follow(low, high)
        self._start(steps)
        self._unchecked = (low, high)
        return list(range(low, high + 1))

    def _start(self, statements: list[Step]) -> None:
        self.wait()
        conn = self._session.connection()
        queue: SimpleQueue[Step | None] = SimpleQueue()
        for statement in statements:
            queue.put(statement)
        statements.clear()

        def run() -> None:
            try:
                # Each statement (and its parameters) is let go as soon as it has run: a chunk's
                # links and history would otherwise be held beside the next chunk's.
                while (step := queue.get()) is not None:
                    if isinstance(step, tuple):
                        conn.exec_driver_sql(*step)
                    else:
                        conn.execute(step)
                    del step
            except BaseException as exc:  # handed to the caller's thread by wait()
                self._error = exc

        self._queue = queue
        self._thread = threading.Thread(target=run, name="kindred-bulk-people", daemon=True)
        self._thread.start()

    def also(self, statements: list[Step]) -> None:
        """Give the running helper further statements, to run after those it has: the caller
        works them out while the helper is already busy (the next ``wait()`` waits for them too)."""
        if self._queue is None:
            raise RuntimeError("The bulk writer's helper is not running")
        for statement in statements:
            self._queue.put(statement)

    def wait(self) -> None:
        """Block until the helper is done; re-raise its error."""
        if self._thread is not None:
            assert self._queue is not None
            self._queue.put(None)  # nothing more: the helper ends after what it has
            self._thread.join()
            self._thread = None
            self._queue = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        if self._unchecked is not None:
            low, high = self._unchecked
            self._unchecked = None
            conn = self._session.connection()
            found = conn.exec_driver_sql("SELECT count(*), max(id) FROM person WHERE id >= ?", (low,)).one()
            if tuple(found) != (high - low + 1, high):  # pragma: no cover - SQLite's rowid rule
                raise RuntimeError("Inserted people did not receive the expected ids")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc_type is not None:
            # The transaction is being abandoned: let the helper finish so the connection is idle
            # for the rollback, and keep the error that got us here.
            with contextlib.suppress(BaseException):
                self.wait()
            return
        self.wait()
        conn = self._session.connection()
        if self._staging:
            conn.exec_driver_sql(f"DROP TABLE temp.{_STAGE}")
        if self._trigger_sql:
            conn.exec_driver_sql(self._trigger_sql)
            search_index.resume_merging(conn, self._automerge)
        for sql in self._index_sql:
            conn.exec_driver_sql(sql)
        if self._index_stats:
            # Dropping an index drops the query planner's statistics for it: give them back.
            conn.exec_driver_sql(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", self._index_stats
            )


def _index_statistics(conn: Any, table: str) -> list[tuple[str, str, str]]:
    """The query planner's statistics (``ANALYZE``) for ``table``'s indexes, if it has any."""
    if not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").scalar():
        return []
    rows = conn.exec_driver_sql(
        "SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl = ? AND idx IS NOT NULL", (table,)
    ).fetchall()
    return [tuple(row) for row in rows]


# People's columns whose values scatter new people all over an index led by them (names, emails,
# numbers, organisations: a list's people work for organisations old and new, in any order). An
# index led by anything else (dates, the import's id, a nation, a flag) takes a block of new people
# at one end or in a few places, which costs less than building it again. Measured in SQLite alone,
# 1,000,000 people into an empty table: 14.5 s inserting and building every index afresh, 13.5 s
# keeping all but the four email and name indexes, 12.7 s also building the organisation index.
_SCATTERED_COLUMNS = frozenset(
    {
        "email",
        "sort_name",
        "first_name",
        "last_name",
        "preferred_name",
        "postcode",
        "phone",
        "mobile",
        "organisation_id",
    }
)


def _drop_secondary_indexes(conn: Any, table: str) -> list[tuple[str, str]]:
    """Drop ``table``'s non-unique, explicitly created indexes that new rows would scatter over
    (led by an expression or by one of ``_SCATTERED_COLUMNS``), inside the caller's transaction, so
    a rollback brings them back; returns their names and the statements that build them again.

    The others are kept up to date as the rows go in: at 100,000 people into 100,000, keeping
    seven such indexes cost 0.3–0.4 s more while inserting and saved about 1 s of building.
    Unique indexes and those behind constraints stay: they refuse bad rows as they are written."""
    unique = {row[1] for row in conn.exec_driver_sql(f"PRAGMA index_list({table})").fetchall() if row[2]}
    found = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL "
        "ORDER BY name",
        (table,),
    ).fetchall()
    statements: list[tuple[str, str]] = []
    for name, sql in found:
        if name in unique:
            continue
        # The first key: its column's name, or None for an expression such as lower(email).
        leading = conn.exec_driver_sql(f'PRAGMA index_xinfo("{name}")').fetchone()[2]
        if leading is not None and leading not in _SCATTERED_COLUMNS:
            continue
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
        statements.append((name, sql))
    return statements


def insert_people_rows(
    session: Session, payload: list[dict[str, Any]], writer: BulkPeopleWriter | None = None
) -> list[int]:
    """Insert person rows through Core and return their ids in input order.

    On SQLite a plain ``executemany`` (the fast path) is used: once the first row is written this
    transaction holds the only write lock, so the new rowids are the consecutive block ending at
    ``max(id)``; this is checked, not assumed. Elsewhere ``INSERT … RETURNING`` in batches.
    """
    table = table_of(Person)
    if session.get_bind().dialect.name != "sqlite":
        ids: list[int] = []
        for part in chunked(payload, 5_000):
            result = session.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), list(part)
            )
            ids.extend(r[0] for r in result)
        return ids
    if writer is not None and writer.active:
        return writer.insert_people(payload)
    # Feeding the search index row by row through its trigger costs about six times more than one
    # bulk fill, so big batches drop and restore the trigger around one fill.
    with BulkPeopleWriter(session, active=len(payload) >= BULK_INDEX_THRESHOLD) as filler:
        insert_rows(session, table, payload)
        low, high = _new_id_block(session, len(payload))
        if filler.active:
            filler.fill(low, high)
    return list(range(low, high + 1))


def _new_id_block(session: Session, count: int) -> tuple[int, int]:
    """The ids the last ``count`` inserted people received (see ``insert_people_rows``)."""
    from sqlalchemy import func

    high = session.scalar(select(func.max(Person.id))) or 0
    low = high - count + 1
    found = session.scalar(select(func.count(Person.id)).where(Person.id.between(low, high)))
    if found != count:  # pragma: no cover - only if SQLite's rowid rule were broken
        raise RuntimeError("Inserted people did not receive consecutive ids")
    return low, high
