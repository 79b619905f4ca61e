"""Merging duplicate people and organisations, undoing a merge, and "not the same" marks.

A merge keeps one record and folds the others into it, in the caller's transaction:

- fields: the kept record's values win unless the caller picks another record's value for a
  field (``choices``); empty fields are filled from the others; do-not-contact and the opt-outs
  carry over from either side (the stricter wins); notes are joined; other email addresses
  become further emails of the kept person;
- links move: memberships (one network twice keeps the earlier joining date and the richer
  role and status), elected roles, interactions, attendance (one event twice keeps the stronger
  status), consents, tags, stakeholder types and further emails; for organisations, their
  people and interactions, and the other name is kept as an alias that later imports match;
- the others are "merged": out of every list and out of the Trash, never deleted, so that
  :func:`undo_merge` can restore every record exactly. ``MergeRecord.details`` holds what undo
  needs; the audit log records the merge with every changed field and moved link.

Undo refuses, naming each conflict, when later edits touched what the merge changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Table, delete, insert, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.errors import ConflictError, NotFoundError, ValidationError
from crm.models import (
    ORGANISATION_FIELDS,
    PERSON_FIELDS,
    Attendance,
    AttendancePart,
    Consent,
    ContactPoint,
    ElectedRole,
    InteractionOrganisation,
    InteractionPerson,
    Membership,
    MembershipGroup,
    MembershipPeriod,
    MergedRecord,
    MergeRecord,
    NotDuplicate,
    Organisation,
    OrganisationAlias,
    Person,
    PersonTag,
    PersonType,
    Suppression,
    table_of,
    utcnow,
)
from crm.services.people import refresh_derived
from crm.text import organisation_key
from crm.versions import bump_many

ENTITIES = ("person", "organisation")
# Fields a person merge decides, beside PERSON_FIELDS.
PERSON_MERGE_FIELDS: tuple[str, ...] = (*PERSON_FIELDS, "organisation_id", "last_contacted")
_STRICTER = frozenset({"do_not_contact", "email_opt_out", "post_opt_out"})
# Attendance at one event twice: the stronger status stays.
_ATTENDANCE_RANK = {"attended": 5, "no_show": 4, "apologies": 3, "registered": 2, "invited": 1}
_MEMBERSHIP_STATUS_RANK = {"active": 4, "paused": 3, "invited": 2, "left": 1}
_ROLE_RANK = {
    "chair": 7,
    "co-chair": 6,
    "lead": 5,
    "facilitator": 4,
    "champion": 3,
    "member": 2,
    "observer": 1,
}
_TABLES: dict[str, Table] = {
    t.name: t
    for t in map(
        table_of,
        (
            Person,
            Organisation,
            Membership,
            MembershipPeriod,
            MembershipGroup,
            ElectedRole,
            InteractionPerson,
            InteractionOrganisation,
            Attendance,
            AttendancePart,
            Consent,
            PersonTag,
            PersonType,
            ContactPoint,
            Suppression,
            OrganisationAlias,
        ),
    )
}
# Link tables and the word a person reads for them.
LINK_LABELS = {
    "membership": "memberships",
    "membership_period": "membership periods",
    "membership_group": "working groups",
    "elected_role": "roles",
    "interaction_person": "interactions",
    "attendance": "attendance",
    "attendance_part": "stations",
    "consent": "consents",
    "person_tag": "tags",
    "person_type": "types",
    "contact_point": "contact details",
    "person": "people",
    "interaction_organisation": "interactions",
    "organisation_alias": "aliases",
}


class MergeConflict(ConflictError):
    """An undo refused because later edits touch what the merge did; ``conflicts`` names them."""

    def __init__(self, message: str, conflicts: list[str]) -> None:
        super().__init__(message)
        self.conflicts = conflicts


@dataclass
class MergeResult:
    merge_id: int
    entity: str
    kept: int
    merged: list[int]
    moved: dict[str, int] = field(default_factory=dict)
    changed_fields: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"kept": self.kept, "merged": self.merged, "merge_id": self.merge_id, "moved": self.moved}


@dataclass(frozen=True)
class MergeInfo:
    id: int
    entity: str
    kept: int
    kept_name: str
    merged: list[int]
    merged_names: list[str]
    at: dt.datetime
    user: str | None
    moved: dict[str, int]
    undone_at: dt.datetime | None


# --- Values to and from JSON --------------------------------------------------------------------


def _to_json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _from_json(table: Table, column: str, value: Any) -> Any:
    if value is None:
        return None
    kind = table.c[column].type
    if isinstance(kind, DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return dt.date.fromisoformat(value)
    if isinstance(kind, Boolean):
        return bool(value)
    return value


def _row(session: Session, table: Table, row_id: int) -> dict[str, Any] | None:
    found = session.execute(select(table).where(table.c.id == row_id)).mappings().first()
    return dict(found) if found is not None else None


def _rows(session: Session, table: Table, column: str, owner: int) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in session.execute(
            select(table).where(table.c[column] == owner).order_by(table.c.id)
        ).mappings()
    ]


def _comparable(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        # SQLite gives back naive UTC, PostgreSQL aware: compare both as naive UTC.
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    return _to_json(value)


def _same(a: Any, b: Any) -> bool:
    """Equal as stored (JSON round trips turn dates into text; time zones differ by database)."""
    return _comparable(a) == _comparable(b)


def _blank(value: Any) -> bool:
    return value is None or value == ""


# --- Merging ------------------------------------------------------------------------------------


class _Journal:
    """What a merge did, for undo and the audit log."""

    def __init__(self) -> None:
        self.moved: list[list[Any]] = []  # [table, row id, column, from id, to id]
        self.removed: list[list[Any]] = []  # [table, row as JSON]
        self.changed: list[list[Any]] = []  # [table, row id, {column: old}, {column: new}]
        self.added: list[list[Any]] = []  # [table, row id]
        self.counts: dict[str, int] = {}

    def count(self, table: str, n: int = 1) -> None:
        label = LINK_LABELS.get(table, table)
        self.counts[label] = self.counts.get(label, 0) + n

    def move(self, session: Session, table: str, row_id: int, column: str, old: int, new: int) -> None:
        t = _TABLES[table]
        session.execute(update(t).where(t.c.id == row_id).values({column: new}))
        self.moved.append([table, row_id, column, old, new])
        self.count(table)

    def remove(self, session: Session, table: str, row: dict[str, Any]) -> None:
        t = _TABLES[table]
        session.execute(delete(t).where(t.c.id == row["id"]))
        self.removed.append([table, {k: _to_json(v) for k, v in row.items()}])
        self.count(table)

    def change(self, session: Session, table: str, row: dict[str, Any], new: dict[str, Any]) -> None:
        new = {k: v for k, v in new.items() if not _same(row[k], v)}
        if not new:
            return
        t = _TABLES[table]
        session.execute(update(t).where(t.c.id == row["id"]).values(new))
        self.changed.append(
            [table, row["id"], {k: _to_json(row[k]) for k in new}, {k: _to_json(v) for k, v in new.items()}]
        )

    def add(self, session: Session, table: str, values: dict[str, Any]) -> int:
        t = _TABLES[table]
        row_id = session.execute(insert(t).values(values).returning(t.c.id)).scalar_one()
        self.added.append([table, row_id])
        return int(row_id)


def _live(session: Session, model: Any, ids: Sequence[int], what: str) -> dict[int, Any]:
    found = {r.id: r for r in session.scalars(select(model).where(model.id.in_(list(ids))))}
    merged = set(
        session.scalars(
            select(MergedRecord.record_id).where(
                MergedRecord.entity == what, MergedRecord.record_id.in_(list(ids))
            )
        )
    )
    for i in ids:
        if i not in found:
            raise NotFoundError(f"There is no {what} with id {i}.")
        if i in merged:
            raise ValidationError(f"The {what} with id {i} has already been merged into another record.")
        if found[i].deleted_at is not None:
            raise ValidationError(
                f"The {what} with id {i} is in the Trash: restore it first if it should be merged."
            )
    return found


def _check_ids(keep: int, others: Sequence[int], what: str) -> list[int]:
    others = list(dict.fromkeys(int(o) for o in others))
    if not others:
        raise ValidationError(f"Choose at least one other {what} to merge into {what} {keep}.")
    if keep in others:
        raise ValidationError(f"A {what} cannot be merged with itself (id {keep}).")
    return others


def _name_of_person(p: Person) -> str:
    return (
        " ".join(x for x in (p.preferred_name or p.first_name, p.last_name) if x)
        or p.email
        or f"Person {p.id}"
    )


def merge_people(
    session: Session,
    keep_id: int,
    other_ids: Sequence[int],
    *,
    choices: Mapping[str, int] | None = None,
) -> MergeResult:
    """Fold ``other_ids`` into ``keep_id``; ``choices`` maps a field to the id whose value wins.

    Raises:
        NotFoundError: an id is not a person.
        ValidationError: a person is in the Trash or merged already, or merged with themself.
    """
    others = _check_ids(keep_id, other_ids, "person")
    people = _live(session, Person, [keep_id, *others], "person")
    choices = dict(choices or {})
    for fname, pid in choices.items():
        if fname not in PERSON_MERGE_FIELDS:
            raise ValidationError(f"{fname!r} is not a field a merge can choose.")
        if pid not in people:
            raise ValidationError(f"The value of {fname} must come from one of the people being merged.")
    kept = people[keep_id]
    journal = _Journal()
    before = {f: _to_json(getattr(kept, f)) for f in PERSON_MERGE_FIELDS}
    values = {f: getattr(kept, f) for f in PERSON_MERGE_FIELDS}
    for other in (people[o] for o in others):
        for f in PERSON_MERGE_FIELDS:
            theirs = getattr(other, f)
            if f in _STRICTER:
                # Do-not-contact and the opt-outs: the stricter side wins, whatever was chosen.
                values[f] = bool(values[f]) or bool(theirs)
            elif f == "last_contacted":
                values[f] = max((d for d in (values[f], theirs) if d is not None), default=None)
            elif f in choices:
                if choices[f] == other.id:
                    values[f] = theirs
            elif f == "notes" and theirs and values[f] and theirs not in values[f]:
                values[f] = f"{values[f]}\n\n{theirs}"
            elif _blank(values[f]) and not _blank(theirs):
                values[f] = theirs
    # Every email, phone and address of the others becomes the kept person's (one they share is
    # kept once); the preferred ones are those the merged fields hold.
    _merge_contact_points(session, journal, keep_id, others, values)
    changed = {f: v for f, v in values.items() if not _same(getattr(kept, f), v)}
    # Links first: the unique constraints see the kept person's rows as they were.
    for other in (people[o] for o in others):
        _move_person_links(session, journal, keep_id, other.id)
    kept_emails = {
        r["value"].lower()
        for r in _rows(session, _TABLES["contact_point"], "person_id", keep_id)
        if r["kind"] == "email" and r["value"]
    }
    now = utcnow()
    if changed:
        kept_row = _row(session, _TABLES["person"], keep_id)
        assert kept_row is not None
        journal.change(session, "person", kept_row, {**changed, "updated_at": now})
    if values["do_not_contact"]:
        # An objection covers every address the person has (the stricter side wins).
        held = set(
            session.scalars(select(Suppression.email).where(Suppression.email.in_(sorted(kept_emails))))
        )
        for email in sorted(kept_emails - held):
            journal.add(
                session,
                "suppression",
                {"email": email, "reason": "merged with a do-not-contact record", "created_at": now},
            )
    record = MergeRecord(
        entity="person",
        kept_id=keep_id,
        merged_ids=others,
        at=now,
        user=audit.current_user(),
        moved=journal.counts,
        details={},
    )
    session.add(record)
    session.flush()
    for o in others:
        other_row = _row(session, _TABLES["person"], o)
        assert other_row is not None
        journal.change(session, "person", other_row, {"deleted_at": now})
        session.add(MergedRecord(merge_id=record.id, entity="person", record_id=o))
    record.details = {
        "before": before,
        "moved": journal.moved,
        "removed": journal.removed,
        "changed": journal.changed,
        "added": journal.added,
    }
    session.flush()
    refresh_derived(session, [keep_id])
    _audit_merge(
        session,
        "person",
        record,
        kept_name=_name_of_person(kept),
        names={o: _name_of_person(people[o]) for o in others},
        fields={f: (before[f], changed[f]) for f in changed},
        journal=journal,
    )
    session.expire_all()
    return MergeResult(record.id, "person", keep_id, others, dict(journal.counts), sorted(changed))


def _fold_membership(session: Session, journal: _Journal, mine: dict[str, Any], row: dict[str, Any]) -> None:
    """Fold the other person's membership of a network into the kept one: its periods and groups
    are copied over (undo deletes the copies and brings the originals back with the membership).
    Both open at once make one open period, from the earlier joining date."""
    t = _TABLES
    periods = _rows(session, t["membership_period"], "membership_id", row["id"])
    links = _rows(session, t["membership_group"], "membership_id", row["id"])
    my_periods = _rows(session, t["membership_period"], "membership_id", mine["id"])
    my_open = [p for p in my_periods if p["left_on"] is None]
    held_groups = {g["group_id"] for g in _rows(session, t["membership_group"], "membership_id", mine["id"])}
    journal.remove(session, "membership", row)  # its periods and groups go with it (cascade) …
    for p in periods:  # … and come back with it on undo
        journal.removed.append(["membership_period", {k: _to_json(v) for k, v in p.items()}])
    for g in links:
        journal.removed.append(["membership_group", {k: _to_json(v) for k, v in g.items()}])
    for p in periods:
        if p["left_on"] is None and my_open:
            earlier = min((d for d in (my_open[0]["joined_on"], p["joined_on"]) if d), default=None)
            journal.change(session, "membership_period", my_open[0], {"joined_on": earlier})
            continue
        copy = {k: v for k, v in p.items() if k != "id"}
        journal.add(session, "membership_period", {**copy, "membership_id": mine["id"]})
        journal.count("membership_period")
    for g in links:
        if g["group_id"] not in held_groups:
            copy = {k: v for k, v in g.items() if k != "id"}
            journal.add(session, "membership_group", {**copy, "membership_id": mine["id"]})
            journal.count("membership_group")


def _merge_contact_points(
    session: Session,
    journal: _Journal,
    keep: int,
    others: Sequence[int],
    values: dict[str, Any],
    owner: str = "person",
) -> None:
    """Move the others' contact points to the kept person and mark the preferred ones, journalled
    so that undo restores them exactly. ``values`` (the merged fields) gains a promoted contact
    point's value where a field is empty but the kind has contact points."""
    from crm.services.channels import channel_key, mirror_columns, mirror_values, point_from_mirror

    t = _TABLES["contact_point"]
    fk = f"{owner}_id"
    held = {(r["kind"], channel_key(r["kind"], r)) for r in _rows(session, t, fk, keep)}
    for other in others:
        for row in _rows(session, t, fk, other):
            key = (row["kind"], channel_key(row["kind"], row))
            if key in held:
                journal.remove(session, "contact_point", row)
                continue
            held.add(key)
            # Whether it stays preferred is settled below, in one change per row (undo checks
            # each change against the row as it is now).
            journal.move(session, "contact_point", row["id"], fk, other, keep)
    rows = _rows(session, t, fk, keep)
    now = utcnow()
    is_org = owner == "organisation"
    for kind, cols in mirror_columns(owner).items():
        of_kind = sorted((r for r in rows if r["kind"] == kind), key=lambda r: (not r["preferred"], r["id"]))
        wanted = {c: values.get(c) or None for c in cols}
        target: dict[str, Any] | None = None
        if not any(wanted.values()):
            if of_kind:
                target = of_kind[0]
                values.update(mirror_values(kind, target, organisation=is_org))
        else:
            columns = point_from_mirror(kind, wanted)
            key = channel_key(kind, columns)
            target = next((r for r in of_kind if channel_key(kind, r) == key), None)
            if target is None:  # fields filled from different records: an address of its own
                journal.add(
                    session,
                    "contact_point",
                    {
                        fk: keep,
                        "kind": kind,
                        "preferred": True,
                        "created_at": now,
                        "updated_at": now,
                        **columns,
                    },
                )
        for r in of_kind:
            if bool(r["preferred"]) != (r is target):
                journal.change(session, "contact_point", r, {"preferred": r is target})


def _move_person_links(session: Session, journal: _Journal, keep: int, other: int) -> None:
    t = _TABLES
    # Memberships: one network twice keeps the earlier joining date, the richer role and status.
    kept_by_network = {r["network_id"]: r for r in _rows(session, t["membership"], "person_id", keep)}
    for row in _rows(session, t["membership"], "person_id", other):
        mine = kept_by_network.get(row["network_id"])
        if mine is None:
            journal.move(session, "membership", row["id"], "person_id", other, keep)
            continue
        joined = min((d for d in (mine["joined_on"], row["joined_on"]) if d is not None), default=None)
        status = max((mine["status"], row["status"]), key=lambda s: _MEMBERSHIP_STATUS_RANK.get(s, 0))
        role = max((mine["role"], row["role"]), key=lambda r: _ROLE_RANK.get(r, 0))
        left = (
            None
            if status != "left"
            else max((d for d in (mine["left_on"], row["left_on"]) if d), default=None)
        )
        journal.change(
            session,
            "membership",
            mine,
            {
                "joined_on": joined,
                "status": status,
                "role": role,
                "left_on": left,
                "cohort_id": mine["cohort_id"] or row["cohort_id"],
            },
        )
        _fold_membership(session, journal, mine, row)
    # Attendance: one event twice keeps the stronger status.
    kept_by_event = {r["event_id"]: r for r in _rows(session, t["attendance"], "person_id", keep)}
    for row in _rows(session, t["attendance"], "person_id", other):
        mine = kept_by_event.get(row["event_id"])
        if mine is None:
            journal.move(session, "attendance", row["id"], "person_id", other, keep)
            continue
        status = max((mine["status"], row["status"]), key=lambda s: _ATTENDANCE_RANK.get(s, 0))
        notes = mine["notes"] or row["notes"]
        journal.change(session, "attendance", mine, {"status": status, "notes": notes})
        journal.remove(session, "attendance", row)
    # Places at stations: one station twice keeps both people's notes there.
    kept_by_part = {r["part_id"]: r for r in _rows(session, t["attendance_part"], "person_id", keep)}
    for row in _rows(session, t["attendance_part"], "person_id", other):
        mine = kept_by_part.get(row["part_id"])
        if mine is None:
            journal.move(session, "attendance_part", row["id"], "person_id", other, keep)
            continue
        notes = "\n".join(dict.fromkeys(n for n in (mine["notes"], row["notes"]) if n)) or None
        journal.change(session, "attendance_part", mine, {"notes": notes})
        journal.remove(session, "attendance_part", row)
    # Plain links, unique per person: a second copy of one the kept person has is dropped.
    for table, key in (
        ("interaction_person", "interaction_id"),
        ("person_tag", "tag_id"),
        ("person_type", "type"),
    ):
        held = {r[key] for r in _rows(session, t[table], "person_id", keep)}
        for row in _rows(session, t[table], "person_id", other):
            if row[key] in held:
                journal.remove(session, table, row)
            else:
                held.add(row[key])
                journal.move(session, table, row["id"], "person_id", other, keep)
    # Elected roles: an identical seat twice is one.
    role_key = ("chamber", "party", "constituency", "region", "role", "start_date", "end_date")
    held_roles = {tuple(r[k] for k in role_key) for r in _rows(session, t["elected_role"], "person_id", keep)}
    for row in _rows(session, t["elected_role"], "person_id", other):
        if tuple(row[k] for k in role_key) in held_roles:
            journal.remove(session, "elected_role", row)
        else:
            journal.move(session, "elected_role", row["id"], "person_id", other, keep)
    for row in _rows(session, t["consent"], "person_id", other):
        journal.move(session, "consent", row["id"], "person_id", other, keep)


def _audit_merge(
    session: Session,
    entity: str,
    record: MergeRecord,
    *,
    kept_name: str,
    names: Mapping[int, str],
    fields: Mapping[str, tuple[Any, Any]],
    journal: _Journal,
) -> None:
    entries: list[dict[str, Any]] = [
        {
            "action": "merge",
            "entity": entity,
            "entity_id": record.kept_id,
            "details": f"merge {record.id}: {', '.join(f'{n} ({i})' for i, n in names.items())} merged into {kept_name}",
        }
    ]
    entries += [
        {"action": "merge", "entity": entity, "entity_id": record.kept_id, "field": f, "old": old, "new": new}
        for f, (old, new) in fields.items()
        if f != "updated_at"
    ]
    entries += [
        {
            "action": "merge",
            "entity": entity,
            "entity_id": i,
            "details": f"merge {record.id}: merged into {kept_name} ({record.kept_id})",
        }
        for i in names
    ]
    entries += [
        {
            "action": "link",
            "entity": entity,
            "entity_id": record.kept_id,
            "field": table,
            "details": f"merge {record.id}: {table} {row_id} moved from {entity} {old} to {new}",
        }
        for table, row_id, _col, old, new in journal.moved
    ]
    entries += [
        {
            "action": "unlink",
            "entity": entity,
            "entity_id": record.kept_id,
            "field": table,
            "details": f"merge {record.id}: {table} {row['id']} of {entity} {row.get('person_id') or row.get('organisation_id')} folded into the kept one",
        }
        for table, row in journal.removed
    ]
    audit.record_many(session, entries)


def merge_organisations(
    session: Session,
    keep_id: int,
    other_ids: Sequence[int],
    *,
    choices: Mapping[str, int] | None = None,
) -> MergeResult:
    """Fold organisations into one: their people and interactions move, their names become
    aliases of the kept one (later imports match them), empty fields are filled."""
    others = _check_ids(keep_id, other_ids, "organisation")
    orgs = _live(session, Organisation, [keep_id, *others], "organisation")
    choices = dict(choices or {})
    for fname, oid in choices.items():
        if fname not in ORGANISATION_FIELDS:
            raise ValidationError(f"{fname!r} is not a field a merge can choose.")
        if oid not in orgs:
            raise ValidationError(
                f"The value of {fname} must come from one of the organisations being merged."
            )
    kept = orgs[keep_id]
    journal = _Journal()
    before = {f: getattr(kept, f) for f in ORGANISATION_FIELDS}
    values = dict(before)
    for other in (orgs[o] for o in others):
        for f in ORGANISATION_FIELDS:
            theirs = getattr(other, f)
            if f == "notes" and f not in choices and theirs and values[f] and theirs not in values[f]:
                values[f] = f"{values[f]}\n\n{theirs}"
            elif choices.get(f) == other.id or (_blank(values[f]) and not _blank(theirs)):
                values[f] = theirs
    for f, oid in choices.items():
        if oid == keep_id:
            values[f] = before[f]
    _merge_contact_points(session, journal, keep_id, others, values, owner="organisation")
    changed = {f: v for f, v in values.items() if not _same(before[f], v)}
    t = _TABLES
    moved_people: list[int] = []
    alias_keys = {organisation_key(values["name"])} | {
        a.name_key
        for a in session.scalars(
            select(OrganisationAlias).where(OrganisationAlias.organisation_id == keep_id)
        )
    }
    record = MergeRecord(
        entity="organisation",
        kept_id=keep_id,
        merged_ids=others,
        at=utcnow(),
        user=audit.current_user(),
        moved={},
        details={},
    )
    session.add(record)
    session.flush()
    for other in (orgs[o] for o in others):
        for pid in session.scalars(
            select(Person.id).where(Person.organisation_id == other.id).order_by(Person.id)
        ):
            journal.move(session, "person", pid, "organisation_id", other.id, keep_id)
            moved_people.append(pid)
        held = {
            r["interaction_id"]
            for r in _rows(session, t["interaction_organisation"], "organisation_id", keep_id)
        }
        for row in _rows(session, t["interaction_organisation"], "organisation_id", other.id):
            if row["interaction_id"] in held:
                journal.remove(session, "interaction_organisation", row)
            else:
                held.add(row["interaction_id"])
                journal.move(
                    session, "interaction_organisation", row["id"], "organisation_id", other.id, keep_id
                )
        for row in _rows(session, t["organisation_alias"], "organisation_id", other.id):
            alias_keys.add(row["name_key"])
            journal.move(session, "organisation_alias", row["id"], "organisation_id", other.id, keep_id)
        for name in (other.name, before["name"]):
            key = organisation_key(name)
            if key and key not in alias_keys:
                alias_keys.add(key)
                journal.add(
                    session,
                    "organisation_alias",
                    {"organisation_id": keep_id, "name": name, "name_key": key, "merge_id": record.id},
                )
                journal.count("organisation_alias")
    now = utcnow()
    kept_row = _row(session, t["organisation"], keep_id)
    assert kept_row is not None
    if changed:
        extra = {"name_key": organisation_key(values["name"])} if "name" in changed else {}
        journal.change(session, "organisation", kept_row, {**changed, **extra, "updated_at": now})
    for o in others:
        other_row = _row(session, t["organisation"], o)
        assert other_row is not None
        journal.change(session, "organisation", other_row, {"deleted_at": now})
        session.add(MergedRecord(merge_id=record.id, entity="organisation", record_id=o))
    record.moved = journal.counts
    record.details = {
        "before": {f: _to_json(v) for f, v in before.items()},
        "moved": journal.moved,
        "removed": journal.removed,
        "changed": journal.changed,
        "added": journal.added,
    }
    session.flush()
    # Someone editing either organisation meanwhile must not save over the merge (crm.versions).
    bump_many(session, Organisation, [keep_id, *others])
    if moved_people or "name" in changed:
        # Organisation names are part of what people are found by.
        ids = moved_people + list(session.scalars(select(Person.id).where(Person.organisation_id == keep_id)))
        refresh_derived(session, sorted(set(ids)))
    _audit_merge(
        session,
        "organisation",
        record,
        kept_name=kept.name,
        names={o: orgs[o].name for o in others},
        fields={f: (before[f], changed[f]) for f in changed},
        journal=journal,
    )
    session.expire_all()
    return MergeResult(record.id, "organisation", keep_id, others, dict(journal.counts), sorted(changed))


def merge(
    session: Session,
    entity: str,
    keep_id: int,
    other_ids: Sequence[int],
    *,
    choices: Mapping[str, int] | None = None,
) -> MergeResult:
    """:func:`merge_people` or :func:`merge_organisations`."""
    if entity == "organisation":
        return merge_organisations(session, keep_id, other_ids, choices=choices)
    return merge_people(session, keep_id, other_ids, choices=choices)


# --- Undo ---------------------------------------------------------------------------------------


_WHAT = {
    "membership": "a network membership",
    "membership_period": "a period of network membership",
    "membership_group": "a working group place",
    "elected_role": "an elected role",
    "interaction_person": "an interaction",
    "attendance": "an event attendance",
    "attendance_part": "a place at an event's station",
    "consent": "a consent record",
    "person_tag": "a tag",
    "person_type": "a stakeholder type",
    "contact_point": "an email, phone or address",
    "person": "a person",
    "interaction_organisation": "an interaction",
    "organisation_alias": "an alias",
    "organisation": "an organisation",
}


def _conflicts(session: Session, record: MergeRecord) -> list[str]:
    details = record.details
    found: list[str] = []
    entity = record.entity
    kept: Person | Organisation | None = (
        session.get(Person, record.kept_id)
        if entity == "person"
        else session.get(Organisation, record.kept_id)
    )
    label = f"{entity} {record.kept_id}"
    if kept is None:
        return [f"the kept {label} no longer exists"]
    name = _name_of_person(kept) if isinstance(kept, Person) else kept.name
    gone = {entry[0] for part in ("changed", "moved", "removed", "added") for entry in details[part]} - set(
        _TABLES
    )
    if gone:
        # Merges made before contact details moved to their own table (revision 0012).
        return [f"it was made before this version of Kindred stored {name}'s emails differently"]
    if kept.deleted_at is not None:
        found.append(f"{name} ({label}) has been moved to the Trash or merged since")
    for table, row_id, _old, new in details["changed"]:
        t = _TABLES[table]
        row = _row(session, t, row_id)
        if row is None:
            found.append(f"{_WHAT[table]} changed by the merge (id {row_id}) has been deleted since")
            continue
        for col, value in new.items():
            if col in ("updated_at", "search_text", "sort_name"):
                continue
            if not _same(row[col], _from_json(t, col, value)):
                who = f"{name}'s" if row_id == record.kept_id else f"{_WHAT[table]} (id {row_id}):"
                found.append(f"{who} {col.replace('_', ' ')} was changed after the merge")
    for table, row_id, col, _old, new in details["moved"]:
        row = _row(session, _TABLES[table], row_id)
        if row is None or row[col] != new:
            found.append(f"{_WHAT[table]} moved by the merge (id {row_id}) was removed or moved again since")
    merged_now = set(
        session.scalars(select(MergedRecord.record_id).where(MergedRecord.merge_id == record.id))
    )
    for other in record.merged_ids:
        if other not in merged_now:
            found.append(f"{entity} {other} is no longer merged")
    return found


def undo_merge(session: Session, merge_id: int) -> MergeInfo:
    """Restore every record of a merge exactly as it was.

    Raises:
        NotFoundError: no such merge.
        ValidationError: it was undone already.
        MergeConflict: later edits touch what the merge did; nothing is changed.
    """
    record = session.get(MergeRecord, merge_id)
    if record is None:
        raise NotFoundError(f"There is no merge with id {merge_id}.")
    if record.undone_at is not None:
        raise ValidationError(f"Merge {merge_id} has already been undone.")
    conflicts = _conflicts(session, record)
    if conflicts:
        shown = "; ".join(conflicts[:3]) + (f"; and {len(conflicts) - 3} more" if len(conflicts) > 3 else "")
        raise MergeConflict(f"Merge {merge_id} cannot be undone: {shown}.", conflicts)
    details = record.details
    # In reverse order of the merge: added rows go, changed rows get their old values back,
    # moved rows go home, and rows folded away come back with their ids.
    for table, row_id in reversed(details["added"]):
        t = _TABLES[table]
        session.execute(delete(t).where(t.c.id == row_id))
    for table, row_id, old, _new in reversed(details["changed"]):
        t = _TABLES[table]
        session.execute(
            update(t).where(t.c.id == row_id).values({k: _from_json(t, k, v) for k, v in old.items()})
        )
    for table, row_id, col, old, _new in reversed(details["moved"]):
        t = _TABLES[table]
        session.execute(update(t).where(t.c.id == row_id).values({col: old}))
    for table, row in details["removed"]:
        t = _TABLES[table]
        session.execute(insert(t).values({k: _from_json(t, k, v) for k, v in row.items()}))
    session.execute(delete(MergedRecord).where(MergedRecord.merge_id == record.id))
    record.undone_at = utcnow()
    session.flush()
    if record.entity == "person":
        refresh_derived(session, [record.kept_id, *record.merged_ids])
        # Their interactions went home: "last contacted" follows them (one logged for the kept
        # person since the merge counts, whatever the merge had stored).
        from crm.services.interactions import recompute_last_contacted

        recompute_last_contacted(session, [record.kept_id, *record.merged_ids])
    else:
        org_ids = [record.kept_id, *record.merged_ids]
        bump_many(session, Organisation, org_ids)
        refresh_derived(
            session, list(session.scalars(select(Person.id).where(Person.organisation_id.in_(org_ids))))
        )
    audit.record_many(
        session,
        [
            {
                "action": "undo",
                "entity": record.entity,
                "entity_id": i,
                "details": f"merge {record.id} undone",
            }
            for i in (record.kept_id, *record.merged_ids)
        ],
    )
    session.expire_all()
    return _info(session, record)


# --- History and marks ---------------------------------------------------------------------------


def record_names(session: Session, entity: str, ids: Sequence[int]) -> dict[int, str]:
    """Display names of people or organisations by id."""
    if entity == "person":
        return {
            p.id: _name_of_person(p) for p in session.scalars(select(Person).where(Person.id.in_(list(ids))))
        }
    return {o.id: o.name for o in session.scalars(select(Organisation).where(Organisation.id.in_(list(ids))))}


def _info(session: Session, r: MergeRecord) -> MergeInfo:
    names = record_names(session, r.entity, [r.kept_id, *r.merged_ids])
    return MergeInfo(
        id=r.id,
        entity=r.entity,
        kept=r.kept_id,
        kept_name=names.get(r.kept_id, str(r.kept_id)),
        merged=list(r.merged_ids),
        merged_names=[names.get(i, str(i)) for i in r.merged_ids],
        at=r.at,
        user=r.user,
        moved=dict(r.moved),
        undone_at=r.undone_at,
    )


def list_merges(session: Session, limit: int = 200) -> list[MergeInfo]:
    """Past merges, newest first."""
    return [
        _info(session, r)
        for r in session.scalars(select(MergeRecord).order_by(MergeRecord.id.desc()).limit(limit))
    ]


def mark_not_duplicate(session: Session, entity: str, a: int, b: int) -> bool:
    """Record that two records are not the same, so the finder never pairs them again.

    Returns False when the pair was marked already.
    """
    if entity not in ENTITIES:
        raise ValidationError(f"Unknown kind of record {entity!r}.")
    if a == b:
        raise ValidationError(f"A {entity} is always the same as itself (id {a}).")
    _live(session, Person if entity == "person" else Organisation, [a, b], entity)
    lo, hi = min(a, b), max(a, b)
    exists = session.scalar(
        select(NotDuplicate.id).where(
            NotDuplicate.entity == entity, NotDuplicate.a_id == lo, NotDuplicate.b_id == hi
        )
    )
    if exists is not None:
        return False
    session.add(NotDuplicate(entity=entity, a_id=lo, b_id=hi, at=utcnow(), user=audit.current_user()))
    audit.record(
        session,
        "update",
        entity,
        lo,
        "not_duplicate",
        None,
        hi,
        details=f"{entity} {lo} and {hi} are not the same",
    )
    session.flush()
    return True


def merged_ids(session: Session, entity: str = "person") -> set[int]:
    """Records currently merged into others (hidden from the Trash)."""
    return set(session.scalars(select(MergedRecord.record_id).where(MergedRecord.entity == entity)))
