"""Stations, workshops and breakout rooms of an event; who was placed at each; follow-ups.

An event's parts have a name, a topic, a host and notes. People on the event's list can be placed
at one or several parts, with notes of what they said there. A follow-up made from an attendee's
or a part's note is an interaction linked to the event, with the people, a due date and the note.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import insert_rows
from crm.errors import NotFoundError, ValidationError
from crm.models import (
    Attendance,
    AttendancePart,
    AttendanceStatus,
    EventPart,
    EventPartKind,
    Interaction,
    InteractionKind,
    InteractionPerson,
    Person,
    table_of,
    utcnow,
)
from crm.services.events import get_event, set_attendance
from crm.services.interactions import log_interaction
from crm.text import clean_multiline, clean_text
from crm.util import chunked

KIND_LABELS: dict[str, str] = {
    EventPartKind.STATION.value: "Station",
    EventPartKind.WORKSHOP.value: "Workshop",
    EventPartKind.BREAKOUT.value: "Breakout room",
}


@dataclass(frozen=True)
class PartRow:
    """One part of an event as its page shows it."""

    id: int
    kind: str
    name: str
    topic: str | None
    host: str | None
    notes: str | None
    position: int
    placed: int  # people placed there


@dataclass(frozen=True)
class Placement:
    """A person placed at a part, with their notes from it."""

    part_id: int
    person_id: int
    name: str
    notes: str | None


@dataclass(frozen=True)
class FollowUpRow:
    """A follow-up of an event (an interaction linked to it with a due date)."""

    id: int
    due: dt.date | None
    done: bool
    subject: str
    notes: str | None
    people: str


def _kind(value: str | None) -> str:
    kind = (clean_text(value) or EventPartKind.STATION.value).lower().replace("_", " ")
    if kind in ("breakout", "breakout room", "break-out room"):
        kind = EventPartKind.BREAKOUT.value
    valid = {k.value for k in EventPartKind}
    if kind not in valid:
        raise ValidationError(f"{value!r} is not a kind of event part ({', '.join(sorted(valid))}).", "kind")
    return kind


def get_part(session: Session, part_id: int) -> EventPart:
    part = session.get(EventPart, part_id)
    if part is None:
        raise NotFoundError(f"There is no station, workshop or breakout room with id {part_id}.")
    return part


def _live_part(session: Session, part_id: int) -> EventPart:
    part = get_part(session, part_id)
    if part.deleted_at is not None:
        raise ValidationError(f"“{part.name}” has been removed from its event: put it back first.", "part")
    return part


def add_part(
    session: Session,
    event_id: int,
    name: str,
    *,
    kind: str = EventPartKind.STATION.value,
    topic: str | None = None,
    host: str | None = None,
    notes: str | None = None,
) -> EventPart:
    """Add a station (or workshop, or breakout room) at the end of the event's parts."""
    get_event(session, event_id)
    cleaned = clean_text(name)
    if not cleaned:
        raise ValidationError("A station, workshop or breakout room needs a name.", "name")
    live = EventPart.deleted_at.is_(None)
    clash = session.scalar(
        select(EventPart.id).where(
            EventPart.event_id == event_id, live, func.lower(EventPart.name) == cleaned.lower()
        )
    )
    if clash is not None:
        raise ValidationError(f"This event already has a part called “{cleaned}”.", "name")
    last = session.scalar(select(func.max(EventPart.position)).where(EventPart.event_id == event_id))
    part = EventPart(
        event_id=event_id,
        kind=_kind(kind),
        name=cleaned[:200],
        topic=clean_text(topic),
        host=clean_text(host),
        notes=clean_multiline(notes),
        position=(last or 0) + 1,
    )
    session.add(part)
    session.flush()
    audit.record(session, "create", "event_part", part.id, new=cleaned, details=f"event {event_id}")
    return part


_PART_FIELDS = frozenset({"kind", "name", "topic", "host", "notes", "position"})


def update_part(session: Session, part_id: int, changes: Mapping[str, Any]) -> list[str]:
    """Change a part's details; returns the fields that changed (each audited)."""
    part = _live_part(session, part_id)
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in _PART_FIELDS:
            raise ValidationError(f"Unknown field {key!r} of a station.", key)
        if key == "name":
            value = clean_text(value)
            if not value:
                raise ValidationError("A station, workshop or breakout room needs a name.", "name")
            clash = session.scalar(
                select(EventPart.id).where(
                    EventPart.event_id == part.event_id,
                    EventPart.deleted_at.is_(None),
                    EventPart.id != part.id,
                    func.lower(EventPart.name) == value.lower(),
                )
            )
            if clash is not None:
                raise ValidationError(f"This event already has a part called “{value}”.", "name")
        elif key == "kind":
            value = _kind(value)
        elif key in ("topic", "host"):
            value = clean_text(value)
        elif key == "notes":
            value = clean_multiline(value)
        elif key == "position":
            value = int(value)
        values[key] = value
    changed: list[str] = []
    for key, new in values.items():
        old = getattr(part, key)
        if old != new:
            setattr(part, key, new)
            audit.record(session, "update", "event_part", part.id, key, old, new)
            changed.append(key)
    if changed:
        part.updated_at = utcnow()
        session.flush()
    return changed


def remove_part(session: Session, part_id: int) -> bool:
    """Take a part off its event's page; its placements are kept so :func:`restore_part` can undo it."""
    part = get_part(session, part_id)
    if part.deleted_at is not None:
        return False
    part.deleted_at = utcnow()
    session.flush()
    audit.record(session, "delete", "event_part", part.id, old=part.name, details=f"event {part.event_id}")
    return True


def restore_part(session: Session, part_id: int) -> bool:
    part = get_part(session, part_id)
    if part.deleted_at is None:
        return False
    part.deleted_at = None
    session.flush()
    audit.record(session, "restore", "event_part", part.id, new=part.name, details=f"event {part.event_id}")
    return True


def list_parts(session: Session, event_id: int) -> list[PartRow]:
    """The event's parts in their order, each with how many people were placed there."""
    placed = (
        select(func.count(AttendancePart.id))
        .join(Person, Person.id == AttendancePart.person_id)
        .where(AttendancePart.part_id == EventPart.id, Person.deleted_at.is_(None))
        .correlate(EventPart)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            EventPart.id,
            EventPart.kind,
            EventPart.name,
            EventPart.topic,
            EventPart.host,
            EventPart.notes,
            EventPart.position,
            placed,
        )
        .where(EventPart.event_id == event_id, EventPart.deleted_at.is_(None))
        .order_by(EventPart.position, EventPart.id)
    ).all()
    return [PartRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], int(r[7])) for r in rows]


def placements(session: Session, event_id: int) -> list[Placement]:
    """Everyone placed at the event's parts (not in the Trash), by part and then name."""
    rows = session.execute(
        select(
            AttendancePart.part_id,
            Person.id,
            Person.first_name,
            Person.last_name,
            AttendancePart.notes,
        )
        .join(EventPart, EventPart.id == AttendancePart.part_id)
        .join(Person, Person.id == AttendancePart.person_id)
        .where(EventPart.event_id == event_id, EventPart.deleted_at.is_(None), Person.deleted_at.is_(None))
        .order_by(EventPart.position, EventPart.id, Person.last_name, Person.first_name)
    ).all()
    return [Placement(r[0], r[1], " ".join(p for p in (r[2], r[3]) if p), r[4]) for r in rows]


def place_people(
    session: Session, part_id: int, person_ids: Sequence[int], *, notes: str | None = None
) -> int:
    """Place these people at a part; anyone not yet on the event's list is added as attended.

    People already there keep their notes (``notes`` fills in only where there are none). Returns
    how many were newly placed.
    """
    part = _live_part(session, part_id)
    ids = list(dict.fromkeys(int(p) for p in person_ids))
    if not ids:
        return 0
    on_list: set[int] = set()
    already: dict[int, str | None] = {}
    for chunk in chunked(ids):
        on_list.update(
            session.scalars(
                select(Attendance.person_id).where(
                    Attendance.event_id == part.event_id, Attendance.person_id.in_(chunk)
                )
            )
        )
        for pid, old in session.execute(
            select(AttendancePart.person_id, AttendancePart.notes).where(
                AttendancePart.part_id == part_id, AttendancePart.person_id.in_(chunk)
            )
        ):
            already[pid] = old
    missing = [pid for pid in ids if pid not in on_list]
    if missing:
        set_attendance(session, part.event_id, missing, AttendanceStatus.ATTENDED.value)
    cleaned = clean_multiline(notes)
    new = [pid for pid in ids if pid not in already]
    if new:
        insert_rows(
            session,
            table_of(AttendancePart),
            [{"part_id": part_id, "person_id": pid, "notes": cleaned} for pid in new],
        )
    if cleaned:
        blank = [pid for pid, old in already.items() if not old]
        for chunk in chunked(blank):
            session.execute(
                update(AttendancePart)
                .where(AttendancePart.part_id == part_id, AttendancePart.person_id.in_(chunk))
                .values(notes=cleaned)
            )
    audit.record_many(
        session,
        [
            {
                "action": "link",
                "entity": "person",
                "entity_id": pid,
                "field": f"event_part:{part_id}",
                "new": part.name,
                "details": f"event {part.event_id}",
            }
            for pid in new
        ],
    )
    return len(new)


def unplace_people(session: Session, part_id: int, person_ids: Sequence[int]) -> dict[int, str | None]:
    """Take these people off a part; returns their notes there (person id → notes), for undo."""
    part = get_part(session, part_id)
    ids = list(dict.fromkeys(int(p) for p in person_ids))
    removed: dict[int, str | None] = {}
    for chunk in chunked(ids):
        for pid, old in session.execute(
            select(AttendancePart.person_id, AttendancePart.notes).where(
                AttendancePart.part_id == part_id, AttendancePart.person_id.in_(chunk)
            )
        ):
            removed[pid] = old
        session.execute(
            delete(AttendancePart).where(
                AttendancePart.part_id == part_id, AttendancePart.person_id.in_(chunk)
            )
        )
    audit.record_many(
        session,
        [
            {
                "action": "unlink",
                "entity": "person",
                "entity_id": pid,
                "field": f"event_part:{part_id}",
                "old": f"{part.name}: {old}" if old else part.name,
                "details": f"event {part.event_id}",
            }
            for pid, old in removed.items()
        ],
    )
    return removed


def replace_people(session: Session, part_id: int, notes_by_person: Mapping[int, str | None]) -> int:
    """Put placements back exactly, notes and all (undoing :func:`unplace_people`)."""
    n = place_people(session, part_id, list(notes_by_person))
    for pid, notes in notes_by_person.items():
        set_placement_notes(session, part_id, pid, notes)
    return n


def _set_notes(
    session: Session, model: Any, where: Any, person_id: int, field: str, missing: str, notes: str | None
) -> bool:
    """Set the notes of the one ``model`` row ``where`` selects, audited as ``field`` of the person;
    returns whether they changed. No such row is a NotFoundError saying ``missing``."""
    row = session.execute(select(model.id, model.notes).where(where)).first()
    if row is None:
        raise NotFoundError(missing)
    cleaned = clean_multiline(notes)
    if row[1] == cleaned:
        return False
    session.execute(update(model).where(model.id == row[0]).values(notes=cleaned))
    audit.record(session, "update", "person", person_id, field, row[1], cleaned)
    return True


def set_placement_notes(session: Session, part_id: int, person_id: int, notes: str | None) -> bool:
    """Set what a person said at a part; returns whether it changed."""
    where = and_(AttendancePart.part_id == part_id, AttendancePart.person_id == person_id)
    missing = f"Person {person_id} is not placed at part {part_id}."
    return _set_notes(
        session, AttendancePart, where, person_id, f"event_part:{part_id}:notes", missing, notes
    )


def set_attendance_notes(session: Session, event_id: int, person_id: int, notes: str | None) -> bool:
    """Set an attendee's notes for the event; returns whether they changed."""
    where = and_(Attendance.event_id == event_id, Attendance.person_id == person_id)
    missing = f"Person {person_id} is not on the list of event {event_id}."
    return _set_notes(session, Attendance, where, person_id, f"event:{event_id}:notes", missing, notes)


def stations_by_person(session: Session, event_id: int) -> dict[int, list[str]]:
    """Person id → the names of the parts they were placed at, in the parts' order."""
    out: dict[int, list[str]] = {}
    rows = session.execute(
        select(AttendancePart.person_id, EventPart.name)
        .join(EventPart, EventPart.id == AttendancePart.part_id)
        .where(EventPart.event_id == event_id, EventPart.deleted_at.is_(None))
        .order_by(EventPart.position, EventPart.id)
    )
    for pid, name in rows:
        out.setdefault(pid, []).append(name)
    return out


def create_follow_up(
    session: Session,
    event_id: int,
    *,
    person_ids: Sequence[int],
    due: dt.date,
    text: str,
    part_id: int | None = None,
    subject: str | None = None,
    owner: str | None = None,
) -> Interaction:
    """A follow-up from a note: an interaction linked to the event, with the people and a due date."""
    event = get_event(session, event_id)
    body = clean_multiline(text)
    if not body:
        raise ValidationError("A follow-up needs the note it follows up.", "text")
    where = event.name
    if part_id is not None:
        part = get_part(session, part_id)
        if part.event_id != event_id:
            raise ValidationError("That station belongs to another event.", "part")
        where = f"{part.name}, {event.name}"
    if not subject:
        first_line = body.splitlines()[0]
        subject = f"Follow up: {first_line[:120]}" + ("…" if len(first_line) > 120 else "")
    return log_interaction(
        session,
        subject=subject,
        date=event.starts_on or dt.date.today(),
        kind=InteractionKind.EVENT.value,
        person_ids=person_ids,
        notes=f"From {where}:\n{body}",
        owner=owner,
        follow_up_on=due,
        event_id=event_id,
    )


def event_follow_ups(session: Session, event_id: int) -> list[FollowUpRow]:
    """The event's follow-ups (its interactions with a due date), soonest first."""
    rows = session.execute(
        select(
            Interaction.id,
            Interaction.follow_up_on,
            Interaction.follow_up_done,
            Interaction.subject,
            Interaction.notes,
        )
        .where(
            Interaction.event_id == event_id,
            Interaction.deleted_at.is_(None),
            Interaction.follow_up_on.is_not(None),
        )
        .order_by(Interaction.follow_up_done, Interaction.follow_up_on, Interaction.id)
    ).all()
    names: dict[int, list[str]] = {}
    ids = [r[0] for r in rows]
    for chunk in chunked(ids):
        for iid, first, last in session.execute(
            select(InteractionPerson.interaction_id, Person.first_name, Person.last_name)
            .join(Person, Person.id == InteractionPerson.person_id)
            .where(InteractionPerson.interaction_id.in_(chunk), Person.deleted_at.is_(None))
            .order_by(Person.last_name, Person.first_name)
        ):
            names.setdefault(iid, []).append(" ".join(p for p in (first, last) if p))
    out = []
    for r in rows:
        people = names.get(r[0], [])
        shown = ", ".join(people[:3]) + (f" and {len(people) - 3} more" if len(people) > 3 else "")
        out.append(FollowUpRow(r[0], r[1], bool(r[2]), r[3], r[4], shown))
    return out
