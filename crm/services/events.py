"""Events and attendance (invited, registered, attended, apologies, no-show)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import insert_rows
from crm.errors import NotFoundError, ValidationError
from crm.models import Attendance, AttendanceStatus, Event, Person, table_of, utcnow
from crm.services.people import touch_last_contacted
from crm.services.trashable import set_deleted
from crm.text import clean_multiline, clean_text
from crm.util import chunked


def create_event(
    session: Session,
    name: str,
    *,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    location: str | None = None,
    description: str | None = None,
    network_id: int | None = None,
) -> Event:
    cleaned = clean_text(name)
    if not cleaned:
        raise ValidationError("An event needs a name.", "name")
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError("An event cannot end before it starts.", "ends_on")
    event = Event(
        name=cleaned,
        starts_on=starts_on,
        ends_on=ends_on,
        location=clean_text(location),
        description=clean_multiline(description),
        network_id=network_id,
    )
    session.add(event)
    session.flush()
    audit.record(session, "create", "event", event.id, new=cleaned)
    return event


_EVENT_FIELDS = frozenset({"name", "starts_on", "ends_on", "location", "description", "network_id"})


def update_event(session: Session, event_id: int, changes: Mapping[str, Any]) -> list[str]:
    """Change an event's details; returns the names of the fields that changed (each audited)."""
    event = get_event(session, event_id)
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in _EVENT_FIELDS:
            raise ValidationError(f"Unknown event field {key!r}.", key)
        if key == "name":
            value = clean_text(value)
            if not value:
                raise ValidationError("An event needs a name.", "name")
        elif key == "location":
            value = clean_text(value)
        elif key == "description":
            value = clean_multiline(value)
        values[key] = value
    starts = values.get("starts_on", event.starts_on)
    ends = values.get("ends_on", event.ends_on)
    if starts and ends and ends < starts:
        raise ValidationError("An event cannot end before it starts.", "ends_on")
    changed: list[str] = []
    for key, new in values.items():
        old = getattr(event, key)
        if old != new:
            setattr(event, key, new)
            audit.record(session, "update", "event", event.id, key, old, new)
            changed.append(key)
    if changed:
        event.updated_at = utcnow()
        session.flush()
    return changed


def get_event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise NotFoundError(f"There is no event with id {event_id}.")
    return event


def set_attendance(
    session: Session, event_id: int, person_ids: Sequence[int], status: str, notes: str | None = None
) -> int:
    """Set (or add) these people's attendance status. Attending counts as being contacted.

    ``notes`` go on the new rows, and are added to the notes of people already on the list.
    """
    event = get_event(session, event_id)
    valid = {s.value for s in AttendanceStatus}
    status = (clean_text(status) or "").lower().replace("-", "_").replace(" ", "_")
    if status not in valid:
        raise ValidationError(
            f"{status!r} is not an attendance status ({', '.join(sorted(valid))}).", "status"
        )
    ids = list(dict.fromkeys(person_ids))
    existing: dict[int, tuple[int, str]] = {}
    old_notes: dict[int, str | None] = {}
    for part in chunked(ids):
        for aid, pid, old, old_note in session.execute(
            select(Attendance.id, Attendance.person_id, Attendance.status, Attendance.notes).where(
                Attendance.event_id == event_id, Attendance.person_id.in_(part)
            )
        ):
            existing[pid] = (aid, old)
            old_notes[pid] = old_note
    new = [pid for pid in ids if pid not in existing]
    changed = [(aid, pid, old) for pid, (aid, old) in existing.items() if old != status]
    if new:
        insert_rows(
            session,
            table_of(Attendance),
            [
                {"event_id": event_id, "person_id": pid, "status": status, "notes": clean_multiline(notes)}
                for pid in new
            ],
        )
    for part in chunked([c[0] for c in changed]):
        session.execute(update(Attendance).where(Attendance.id.in_(part)).values(status=status))
    # Notes given for people already on the list are kept with theirs, never instead of them.
    note = clean_multiline(notes)
    noted: list[dict[str, Any]] = []
    if note:
        for pid, (aid, _old) in existing.items():
            before = old_notes.get(pid)
            if before and note in before:
                continue
            after = f"{before}\n{note}" if before else note
            session.execute(update(Attendance).where(Attendance.id == aid).values(notes=after))
            noted.append(
                {
                    "action": "update",
                    "entity": "person",
                    "entity_id": pid,
                    "field": f"event:{event_id}:notes",
                    "old": before,
                    "new": after,
                }
            )
    audit.record_many(
        session,
        [
            {
                "action": "link",
                "entity": "person",
                "entity_id": pid,
                "field": f"event:{event_id}",
                "new": status,
            }
            for pid in new
        ]
        + [
            {
                "action": "update",
                "entity": "person",
                "entity_id": pid,
                "field": f"event:{event_id}",
                "old": old,
                "new": status,
            }
            for _, pid, old in changed
        ]
        + noted,
    )
    if status == AttendanceStatus.ATTENDED.value and event.starts_on:
        touch_last_contacted(session, ids, event.starts_on)
    return len(new) + len(changed)


def remove_attendance(session: Session, event_id: int, person_ids: Sequence[int]) -> int:
    """Take people off an event's list, with their places at its stations (undoing an addition)."""
    from crm.models import AttendancePart, EventPart

    ids = list(dict.fromkeys(person_ids))
    removed: list[tuple[int, str]] = []
    for part in chunked(ids):
        removed.extend(
            (r[0], r[1])
            for r in session.execute(
                select(Attendance.person_id, Attendance.status).where(
                    Attendance.event_id == event_id, Attendance.person_id.in_(part)
                )
            )
        )
        parts = select(EventPart.id).where(EventPart.event_id == event_id)
        session.execute(
            delete(AttendancePart).where(
                AttendancePart.part_id.in_(parts), AttendancePart.person_id.in_(part)
            )
        )
        session.execute(
            delete(Attendance).where(Attendance.event_id == event_id, Attendance.person_id.in_(part))
        )
    audit.record_many(
        session,
        [
            {
                "action": "unlink",
                "entity": "person",
                "entity_id": pid,
                "field": f"event:{event_id}",
                "old": status,
            }
            for pid, status in removed
        ],
    )
    return len(removed)


def attendance(session: Session, event_id: int) -> list[tuple[int, int, str, str, str | None]]:
    """(attendance id, person id, name, status, notes), by name."""
    rows = session.execute(
        select(
            Attendance.id, Person.id, Person.first_name, Person.last_name, Attendance.status, Attendance.notes
        )
        .join(Person, Person.id == Attendance.person_id)
        .where(Attendance.event_id == event_id, Person.deleted_at.is_(None))
        .order_by(Person.last_name, Person.first_name)
    ).all()
    return [(r[0], r[1], " ".join(p for p in (r[2], r[3]) if p), r[4], r[5]) for r in rows]


def list_events(
    session: Session, *, in_trash: bool = False
) -> list[tuple[int, str, dt.date | None, str | None, int, int]]:
    """(id, name, starts on, location, invited-or-more, attended), newest first."""
    total = (
        select(func.count(Attendance.id))
        .where(Attendance.event_id == Event.id)
        .correlate(Event)
        .scalar_subquery()
    )
    came = (
        select(func.count(Attendance.id))
        .where(Attendance.event_id == Event.id, Attendance.status == "attended")
        .correlate(Event)
        .scalar_subquery()
    )
    stmt = select(Event.id, Event.name, Event.starts_on, Event.location, total, came).order_by(
        Event.starts_on.desc(), Event.id.desc()
    )
    stmt = stmt.where(Event.deleted_at.is_not(None) if in_trash else Event.deleted_at.is_(None))
    return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in session.execute(stmt).all()]


def _attendee_dates(session: Session, ids: Sequence[int], *, in_trash: bool) -> dict[int, set[dt.date]]:
    """person id → the dates of those of these events they attended (in or out of the Trash)."""
    out: dict[int, set[dt.date]] = {}
    state = Event.deleted_at.is_not(None) if in_trash else Event.deleted_at.is_(None)
    for part in chunked(list(dict.fromkeys(ids))):
        for pid, when in session.execute(
            select(Attendance.person_id, Event.starts_on)
            .join(Event, Event.id == Attendance.event_id)
            .where(
                Attendance.event_id.in_(part),
                Attendance.status == AttendanceStatus.ATTENDED.value,
                Event.starts_on.is_not(None),
                state,
            )
        ):
            if when is not None:
                out.setdefault(pid, set()).add(when)
    return out


def trash_events(session: Session, ids: Sequence[int]) -> int:
    """Move events to the Trash; their attendees' "last contacted" no longer counts them."""
    from crm.services.interactions import recompute_last_contacted

    dates = _attendee_dates(session, ids, in_trash=False)
    moved = set_deleted(session, Event, "event", ids, deleted=True)
    if moved:
        recompute_last_contacted(session, list(dates), forget=dates)
    return moved


def restore_events(session: Session, ids: Sequence[int]) -> int:
    """Bring events back from the Trash; their attendees' "last contacted" counts them again."""
    from crm.services.interactions import recompute_last_contacted

    dates = _attendee_dates(session, ids, in_trash=True)
    moved = set_deleted(session, Event, "event", ids, deleted=False)
    if moved:
        recompute_last_contacted(session, list(dates))
    return moved
