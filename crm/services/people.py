"""People: create, update, trash, restore, types, and the bulk path used by import and demo data.

Every function takes the caller's :class:`Session` and leaves committing to the caller, so one user
action is one transaction. Every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from queue import SimpleQueue
from typing import Any

from sqlalchemy import Column, Executable, Integer, MetaData, Table, Text, insert, select, update
from sqlalchemy.orm import Session

from crm import audit, search_index, versions
from crm.bulk import insert_rows
from crm.errors import NotFoundError, ValidationError
from crm.models import (
    NATIONS,
    PERSON_FIELDS,
    ContactPoint,
    Organisation,
    Person,
    PersonType,
    StakeholderType,
    Suppression,
    table_of,
    utcnow,
)
from crm.services.trashable import set_deleted
from crm.text import clean_multiline, clean_text, digest_pieces, sort_key
from crm.util import chunked
from crm.validation import check_length, normalise_email, normalise_phone, normalise_postcode

# From this many rows a bulk insert fills the search index in one statement instead of per row.
BULK_INDEX_THRESHOLD = 500
# A bulk write of new people builds the people table's indexes afresh, rather than keeping them up
# to date row by row, when the table holds at most this many times as many people as are being
# added. Measured per new person at 100,000 into 100,000: about 170 µs keeping eight indexes up to
# date, about 25 µs per stored person building them, so building wins below roughly 6×; 4 leaves
# room for bigger tables, whose B-trees keep better in the page cache.
REBUILD_INDEXES_RATIO = 4
_BOOL_FIELDS = frozenset({"do_not_contact", "email_opt_out", "post_opt_out"})
_MULTILINE = frozenset({"notes"})
_LENGTHS: dict[str, int] = {
    c.name: c.type.length  # type: ignore[attr-defined]
    for c in Person.__table__.columns
    if getattr(c.type, "length", None)
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


def clean_person_fields(values: Mapping[str, Any], *, strict_postcode: bool = False) -> dict[str, Any]:
    """Validate and normalise editable person fields. Raises ValidationError naming the field."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in PERSON_FIELDS:
            raise ValidationError(f"Unknown field {key!r}.", key)
        if key in _BOOL_FIELDS:
            out[key] = bool(value)
            continue
        cleaned = clean_multiline(value) if key in _MULTILINE else clean_text(value)
        if cleaned is not None:
            if key == "email":
                cleaned = normalise_email(cleaned)
            elif key in ("phone", "mobile"):
                try:
                    cleaned = normalise_phone(cleaned)
                except ValidationError as exc:
                    raise ValidationError(str(exc), key) from exc
            elif key == "postcode":
                cleaned = normalise_postcode(cleaned, strict=strict_postcode)
            elif key == "nation":
                matches = [n for n in NATIONS if n.lower() == cleaned.lower()]
                cleaned = matches[0] if matches else cleaned
        if key in _LENGTHS and cleaned is not None:
            check_length(key, cleaned, _LENGTHS[key])
        out[key] = cleaned
    return out


def person_search_text(
    person: Person | Mapping[str, Any], organisation_name: str | None = None, extra: Sequence[str] = ()
) -> str:
    """What a person is found by: names, email, organisation, job, town, postcode, phone numbers
    (also without spaces) and ``extra``, the values of their further contact points."""
    # Called once per row of a bulk insert: decide how to read fields once, not once per field,
    # and join the text once.
    get: Callable[[str], Any] = (
        person.get if isinstance(person, dict | Mapping) else functools.partial(getattr, person)
    )
    pieces = digest_pieces(
        (
            get("first_name"),
            get("preferred_name"),
            get("last_name"),
            get("email"),
            organisation_name,
            get("job_title"),
            get("town"),
            get("postcode"),
            *extra,
        )
    )
    # Numbers are stored normalised (digits, spaces, a leading +): already their own digest, so
    # they skip the folding, which costs an import of unique numbers a second per 20,000 rows.
    for number in (get("phone"), get("mobile")):
        if number:
            if not pieces:
                pieces.append("")  # the text of someone with only a number starts with a space
            digits = number.lstrip("+")
            pieces.append(digits)
            if " " in digits:
                pieces.append(digits.replace(" ", ""))
    return " ".join(pieces)


def normalise_types(types: Iterable[str]) -> list[str]:
    """Stakeholder types by value or label, case-insensitive ("MSP", "msp", "Partner contact")."""
    by_name = {t.value: t.value for t in StakeholderType}
    by_name.update({t.label.lower(): t.value for t in StakeholderType})
    by_name.update({t.value.replace("_", " "): t.value for t in StakeholderType})
    out: list[str] = []
    for raw in types:
        key = (clean_text(raw) or "").lower()
        if not key:
            continue
        value = by_name.get(key, key)
        if value not in out:
            out.append(value)
    return out


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFoundError(f"There is no person with id {person_id}.")
    return person


def _organisation_name(session: Session, organisation_id: int | None) -> str | None:
    if organisation_id is None:
        return None
    return session.scalar(select(Organisation.name).where(Organisation.id == organisation_id))


def refresh_search_text(session: Session, person: Person) -> None:
    """Recompute what a person is found and sorted by, after their fields changed."""
    from crm.services.channels import search_parts

    extra = search_parts(session, [person.id]).get(person.id, []) if person.id is not None else []
    person.search_text = person_search_text(
        person, _organisation_name(session, person.organisation_id), extra
    )
    person.sort_name = sort_key(person.last_name, person.first_name, person.email)


def refresh_derived(session: Session, person_ids: Sequence[int], *, batch_id: int | None = None) -> None:
    """Bulk form of :func:`refresh_search_text`, for people changed by set-based updates (imports
    and their undo). Also raises their versions, in the same statement, so a form opened before
    the bulk change refuses to save over it (:mod:`crm.versions`). Their contact points are first
    brought into step with their columns (:func:`crm.services.channels.sync_people`)."""
    from crm.services.channels import search_parts, sync_people

    sync_people(session, person_ids, batch_id=batch_id)
    cols = [
        Person.first_name,
        Person.preferred_name,
        Person.last_name,
        Person.email,
        Person.job_title,
        Person.town,
        Person.postcode,
        Person.phone,
        Person.mobile,
    ]
    names = [c.key for c in cols]
    for part in chunked(list(person_ids)):
        rows = session.execute(
            select(Person.id, Organisation.name, Person.version, *cols)
            .outerjoin(Organisation, Organisation.id == Person.organisation_id)
            .where(Person.id.in_(part))
        ).all()
        extras = search_parts(session, part)
        items = []
        for row in rows:
            values = dict(zip(names, row[3:], strict=True))
            items.append(
                {
                    "id": row[0],
                    "version": row[2] + 1,
                    "search_text": person_search_text(values, row[1], extras.get(row[0], ())),
                    "sort_name": sort_key(values["last_name"], values["first_name"], values["email"]),
                }
            )
        _write_search_texts(session, items)


# New search texts, staged so that the people table is updated in one statement (SQLite).
_DERIVED = Table(
    "kindred_derived",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("search_text", Text),
    Column("sort_name", Text),
    Column("version", Integer),
    prefixes=["TEMPORARY"],
)


def _write_search_texts(session: Session, items: list[dict[str, Any]]) -> None:
    """Give people (``id``, ``search_text``, ``sort_name``, ``version``) their new values.

    On SQLite each statement that changes a search text flushes the search index's pending
    entries into a segment of its own (FTS5 syncs at every statement's savepoint): one UPDATE per
    person cost about 0.6 ms each (0.36 s for 628 people changed by an import), where the same
    changes staged and made by one UPDATE … FROM cost 0.01 s."""
    if not items:
        return
    if len(items) < 8 or session.get_bind().dialect.name != "sqlite" or sqlite3.sqlite_version_info < (3, 33):
        session.execute(update(Person), items)
        return
    conn = session.connection()
    _DERIVED.create(conn, checkfirst=True)
    conn.execute(_DERIVED.delete())
    conn.execute(insert(_DERIVED), items)
    person = table_of(Person)
    conn.execute(
        update(person)
        .where(person.c.id == _DERIVED.c.id)
        .values(
            search_text=_DERIVED.c.search_text, sort_name=_DERIVED.c.sort_name, version=_DERIVED.c.version
        )
    )
    conn.execute(_DERIVED.delete())


def create_person(
    session: Session,
    *,
    types: Iterable[str] = (),
    organisation_id: int | None = None,
    batch_id: int | None = None,
    **fields: Any,
) -> Person:
    """Create one person after validating the fields. Returns the flushed Person (with id)."""
    values = clean_person_fields(fields)
    if not any(values.get(k) for k in ("first_name", "last_name", "email", "preferred_name")):
        raise ValidationError("A person needs at least a name or an email address.", "last_name")
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise NotFoundError(f"There is no organisation with id {organisation_id}.")
    person = Person(**values, organisation_id=organisation_id, import_batch_id=batch_id)
    person.types = [PersonType(type=t, import_batch_id=batch_id) for t in normalise_types(types)]
    session.add(person)
    refresh_search_text(session, person)
    session.flush()
    from crm.services.channels import insert_for_new_people

    insert_for_new_people(session, [person.id], batch_id=batch_id)
    _sync_suppression(session, person)
    audit.record(session, "create", "person", person.id, new=person.display_name, batch_id=batch_id)
    return person


def update_person(
    session: Session,
    person_id: int,
    changes: Mapping[str, Any],
    *,
    batch_id: int | None = None,
    expected_version: int | None = None,
) -> list[FieldChange]:
    """Apply field changes (and ``organisation_id``); records each real change in the audit log.

    ``expected_version`` is the version the form showed: when someone else has saved since, the
    change is refused with :class:`~crm.errors.StaleEdit` (who changed what and when) and nothing
    is written. Any real change raises the version.
    """
    person = get_person(session, person_id)
    if expected_version is not None:
        versions.claim(
            session, Person, person_id, expected_version, entity="person", name=person.display_name
        )
    changes = dict(changes)
    org_change = "organisation_id" in changes
    new_org = changes.pop("organisation_id", None)
    values = clean_person_fields(changes)
    done: list[FieldChange] = []
    for key, new in values.items():
        old = getattr(person, key)
        if old != new:
            setattr(person, key, new)
            done.append(FieldChange(key, old, new))
    if org_change and new_org != person.organisation_id:
        if new_org is not None and session.get(Organisation, new_org) is None:
            raise NotFoundError(f"There is no organisation with id {new_org}.")
        done.append(FieldChange("organisation_id", person.organisation_id, new_org))
        person.organisation_id = new_org
    if done:
        if not any(getattr(person, k) for k in ("first_name", "last_name", "email", "preferred_name")):
            raise ValidationError("A person needs at least a name or an email address.", "last_name")
        if expected_version is None:
            versions.claim(session, Person, person_id, None, entity="person", name=person.display_name)
        person.updated_at = utcnow()
        from crm.services.channels import PERSON_MIRROR_FIELDS, sync_people

        if any(c.field in PERSON_MIRROR_FIELDS for c in done):
            sync_people(session, [person.id], batch_id=batch_id)
        refresh_search_text(session, person)
        if any(c.field in ("email", "do_not_contact") for c in done):
            _sync_suppression(session, person)
        for change in done:
            audit.record(
                session,
                "update",
                "person",
                person.id,
                change.field,
                change.old,
                change.new,
                batch_id=batch_id,
            )
        session.flush()
    return done


def _sync_suppression(session: Session, person: Person) -> None:
    """Objections outlive the record: a do-not-contact email goes on the suppression list."""
    if person.do_not_contact:
        from crm.services.channels import emails_of

        every = [person.email, *emails_of(session, [person.id]).get(person.id, [])]
        suppress_emails(session, every, f"Do not contact (person {person.id})")
    elif person.email:
        # An erased person's address is kept only as a keyed hash; someone added again with it
        # goes back on the list as a plain address (the record holds it again anyway).
        from crm.privacy.suppression import hashed_matches

        if hashed_matches(session, [person.email.lower()]):
            suppress_emails(session, [person.email], "Erased earlier, added again")


def suppress_emails(session: Session, emails: Iterable[str | None], reason: str) -> int:
    """Put email addresses on the suppression list (case ignored); ones already there stay as they
    are. Returns how many were added."""
    wanted = sorted({e.strip().lower() for e in emails if e and e.strip()})
    have: set[str] = set()
    for part in chunked(wanted):
        have.update(session.scalars(select(Suppression.email).where(Suppression.email.in_(part))))
    new = [e for e in wanted if e not in have]
    if new:
        insert_rows(session, table_of(Suppression), [{"email": e, "reason": reason} for e in new])
    return len(new)


def is_suppressed(session: Session, email: str | None) -> bool:
    """Whether an address is on the suppression list, plainly or as an erased person's keyed hash."""
    from crm.privacy.suppression import is_suppressed as suppressed

    return suppressed(session, email)


def set_types(session: Session, person_id: int, types: Iterable[str]) -> None:
    person = get_person(session, person_id)
    wanted = normalise_types(types)
    current = [t.type for t in person.types]
    if wanted == current:
        return
    person.types = [t for t in person.types if t.type in wanted] + [
        PersonType(type=t) for t in wanted if t not in current
    ]
    audit.record(session, "update", "person", person_id, "types", current, wanted)
    session.flush()


def add_types(session: Session, person_ids: Sequence[int], type_: str, *, batch_id: int | None = None) -> int:
    """Give each person a stakeholder type (bulk). Returns how many gained it."""
    value = normalise_types([type_])[0]
    ids = list(dict.fromkeys(person_ids))
    have: set[int] = set()
    for part in chunked(ids):
        have.update(
            session.scalars(
                select(PersonType.person_id).where(PersonType.type == value, PersonType.person_id.in_(part))
            )
        )
    new = [pid for pid in ids if pid not in have]
    if new:
        insert_rows(
            session,
            table_of(PersonType),
            [{"person_id": pid, "type": value, "import_batch_id": batch_id} for pid in new],
        )
        audit.record_many(
            session,
            (
                {"action": "link", "entity": "person", "entity_id": pid, "field": "types", "new": value}
                for pid in new
            ),
            batch_id=batch_id,
        )
    return len(new)


def set_other_emails(session: Session, person_id: int, emails: Sequence[tuple[str, str | None]]) -> None:
    """Replace the further (not preferred) email addresses: pairs of (email, label). One already
    the preferred email is left as it is."""
    person = get_person(session, person_id)
    cleaned = [(normalise_email(e) or "", clean_text(label)) for e, label in emails if clean_text(e)]
    points = session.scalars(
        select(ContactPoint)
        .where(ContactPoint.person_id == person_id, ContactPoint.kind == "email")
        .order_by(ContactPoint.id)
    ).all()
    preferred = {cp.value.lower() for cp in points if cp.preferred and cp.value}
    old = [cp.value for cp in points if not cp.preferred]
    for cp in points:
        if not cp.preferred:
            session.delete(cp)
    session.flush()
    new: list[str] = []
    for email, label in cleaned:
        if email.lower() in preferred or email.lower() in {n.lower() for n in new}:
            continue
        session.add(
            ContactPoint(person_id=person_id, kind="email", value=email, label=label, preferred=False)
        )
        new.append(email)
    session.flush()
    if not person.email and new:
        from crm.services.channels import sync_people

        sync_people(session, [person_id])
    if old != new:
        audit.record(session, "update", "person", person_id, "other_emails", old, new)
    refresh_search_text(session, person)
    session.flush()


def trash_people(session: Session, person_ids: Sequence[int]) -> int:
    """Move people to the Trash. Returns how many moved."""
    return set_deleted(session, Person, "person", person_ids, deleted=True)


def restore_people(session: Session, person_ids: Sequence[int]) -> int:
    """Bring people back from the Trash. Returns how many came back."""
    return set_deleted(session, Person, "person", person_ids, deleted=False)


def erase_person(session: Session, person_id: int, reason: str) -> None:
    """Erasure under UK GDPR (a deliberate act, not an ordinary delete): see
    :func:`crm.privacy.erasure.erase_person`, which this calls."""
    from crm.privacy.erasure import erase_person as erase

    erase(session, person_id, reason)


def bulk_insert_people(
    session: Session,
    rows: Sequence[Mapping[str, Any]],
    *,
    batch_id: int | None = None,
    organisation_names: Mapping[int, str] | None = None,
    audit_log: bool = True,
) -> list[int]:
    """Insert many already-cleaned people in one statement batch; returns their ids in order.

    Rows hold Person columns (``organisation_id`` allowed). ``search_text`` is computed here. This is
    the path for imports and sample data: SQLAlchemy Core with ``insertmanyvalues``, many times
    faster than adding ORM objects one by one.
    """
    if not rows:
        return []
    ids = insert_prepared_people(
        session, prepare_people(rows, batch_id=batch_id, organisation_names=organisation_names)
    )
    from crm.services.channels import insert_for_new_people

    insert_for_new_people(session, ids, batch_id=batch_id)
    if audit_log:
        audit.record_many(
            session,
            ({"action": "create", "entity": "person", "entity_id": pid} for pid in ids),
            batch_id=batch_id,
        )
    return ids


def prepare_people(
    rows: Sequence[Mapping[str, Any]],
    *,
    batch_id: int | None = None,
    organisation_names: Mapping[int, str] | None = None,
) -> list[dict[str, Any]]:
    """Rows of new people completed for inserting (every column, search text, sort name, times).
    Pure Python: it can run while a ``BulkPeopleWriter`` has the connection."""
    names = organisation_names or {}
    now = utcnow()
    columns = [*PERSON_FIELDS, "organisation_id", "last_contacted"]
    known = frozenset(columns)
    blank = dict.fromkeys(columns)
    payload: list[dict[str, Any]] = []
    for row in rows:
        item = blank.copy()
        if row.keys() <= known:
            item.update(row)
        else:
            item.update((c, row.get(c)) for c in columns)
        for flag in _BOOL_FIELDS:
            item[flag] = bool(item[flag])
        item["search_text"] = person_search_text(item, names.get(item["organisation_id"] or -1))
        item["sort_name"] = sort_key(item["last_name"], item["first_name"], item["email"])
        item["created_at"] = now
        item["updated_at"] = now
        item["import_batch_id"] = batch_id
        payload.append(item)
    return payload


def insert_prepared_people(
    session: Session, payload: list[dict[str, Any]], writer: BulkPeopleWriter | None = None
) -> list[int]:
    """Insert rows from ``prepare_people``; returns their ids in order. With an active ``writer``
    the rows are written on its helper thread while the caller goes on (see ``BulkPeopleWriter``)."""
    if not payload:
        return []
    return _insert_returning_ids(session, payload, writer)  # an active writer waits for itself first


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


def _insert_returning_ids(
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
    """The ids the last ``count`` inserted people received (see ``_insert_returning_ids``)."""
    from sqlalchemy import func

    high = session.scalar(select(func.max(Person.id))) or 0
    low = high - count + 1
    found = session.scalar(select(func.count(Person.id)).where(Person.id.between(low, high)))
    if found != count:  # pragma: no cover - only if SQLite's rowid rule were broken
        raise RuntimeError("Inserted people did not receive consecutive ids")
    return low, high


def touch_last_contacted(session: Session, person_ids: Sequence[int], when: dt.date) -> None:
    """Move ``last_contacted`` forward (never back) for these people."""
    from sqlalchemy import or_

    for part in chunked(list(person_ids)):
        session.execute(
            update(Person)
            .where(Person.id.in_(part), or_(Person.last_contacted.is_(None), Person.last_contacted < when))
            .values(last_contacted=when)
        )
