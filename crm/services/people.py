"""People: create, update, trash, restore, types, and the bulk path used by import and demo data.

Every function takes the caller's :class:`Session` and leaves committing to the caller, so one user
action is one transaction. Every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, update
from sqlalchemy.orm import Session

from crm import audit, versions
from crm.bulk import BulkPeopleWriter, insert_people_rows, insert_rows
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
    return insert_people_rows(session, payload, writer)  # an active writer waits for itself first


def touch_last_contacted(session: Session, person_ids: Sequence[int], when: dt.date) -> None:
    """Move ``last_contacted`` forward (never back) for these people."""
    from sqlalchemy import or_

    for part in chunked(list(person_ids)):
        session.execute(
            update(Person)
            .where(Person.id.in_(part), or_(Person.last_contacted.is_(None), Person.last_contacted < when))
            .values(last_contacted=when)
        )
