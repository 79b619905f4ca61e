"""Events and follow-ups as iCalendar (.ics) for Outlook, Apple Calendar and Google Calendar.

Events become all-day events over their dates; an open follow-up becomes an all-day event on its
due date ("Follow up: <subject>") naming the people involved. UIDs are stable
(``kindred-event-<id>@…``), so importing a newer feed updates entries instead of doubling them.
Text is escaped by icalendar; nothing in an entry is a link or an alarm.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import __version__
from crm.correspondence.labels import write_bytes
from crm.errors import ValidationError
from crm.models import Event, Interaction, InteractionPerson, Person, utcnow
from crm.util import chunked

UID_DOMAIN = "kindred.invalid"


def _event_entries(
    session: Session, ids: Sequence[int] | None
) -> list[tuple[str, dt.date, dt.date, str, str, str]]:
    stmt = select(Event).where(Event.deleted_at.is_(None), Event.starts_on.is_not(None))
    if ids is not None:
        stmt = stmt.where(Event.id.in_(list(ids)))
    out = []
    for event in session.scalars(stmt.order_by(Event.starts_on, Event.id)):
        assert event.starts_on is not None
        end = event.ends_on if event.ends_on and event.ends_on >= event.starts_on else event.starts_on
        out.append(
            (
                f"kindred-event-{event.id}@{UID_DOMAIN}",
                event.starts_on,
                end + dt.timedelta(days=1),  # DTEND of an all-day event is exclusive
                event.name,
                event.location or "",
                event.description or "",
            )
        )
    return out


def _followup_entries(
    session: Session, ids: Sequence[int] | None
) -> list[tuple[str, dt.date, dt.date, str, str, str]]:
    stmt = select(Interaction).where(
        Interaction.deleted_at.is_(None),
        Interaction.follow_up_on.is_not(None),
        Interaction.follow_up_done.is_(False),
    )
    if ids is not None:
        stmt = stmt.where(Interaction.id.in_(list(ids)))
    items = list(session.scalars(stmt.order_by(Interaction.follow_up_on, Interaction.id)))
    names: dict[int, list[str]] = {}
    for part in chunked([i.id for i in items]):
        for iid, first, last in session.execute(
            select(InteractionPerson.interaction_id, Person.first_name, Person.last_name)
            .join(Person, Person.id == InteractionPerson.person_id)
            .where(InteractionPerson.interaction_id.in_(part))
            .order_by(Person.last_name, Person.first_name)
        ):
            names.setdefault(iid, []).append(" ".join(p for p in (first, last) if p))
    out = []
    for item in items:
        assert item.follow_up_on is not None
        people = ", ".join(n for n in names.get(item.id, []) if n)
        description = "\n".join(
            line
            for line in (
                f"With: {people}" if people else "",
                f"Logged {item.date:%d %B %Y} ({item.kind})",
                f"Owner: {item.owner}" if item.owner else "",
                item.notes or "",
            )
            if line
        )
        out.append(
            (
                f"kindred-followup-{item.id}@{UID_DOMAIN}",
                item.follow_up_on,
                item.follow_up_on + dt.timedelta(days=1),
                f"Follow up: {item.subject}",
                "",
                description,
            )
        )
    return out


def build_calendar(
    session: Session,
    *,
    events: bool = True,
    followups: bool = True,
    event_ids: Sequence[int] | None = None,
    interaction_ids: Sequence[int] | None = None,
) -> tuple[bytes, int]:
    """The .ics bytes and how many entries it holds."""
    from icalendar import Calendar
    from icalendar import Event as VEvent

    cal = Calendar()
    cal.add("prodid", f"-//Kindred {__version__}//Kindred CRM//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Kindred")
    entries = []
    if events:
        entries += _event_entries(session, event_ids)
    if followups:
        entries += _followup_entries(session, interaction_ids)
    stamp = utcnow()
    for uid, start, end, summary, location, description in entries:
        entry = VEvent()
        entry.add("uid", uid)
        entry.add("dtstamp", stamp)
        entry.add("dtstart", start)
        entry.add("dtend", end)
        entry.add("summary", summary)
        if location:
            entry.add("location", location)
        if description:
            entry.add("description", description[:10_000])
        entry.add("transp", "TRANSPARENT")  # an all-day reminder, not busy time
        cal.add_component(entry)
    return cal.to_ical(), len(entries)


def write_calendar(
    session: Session,
    out: str | Path,
    *,
    events: bool = True,
    followups: bool = True,
    event_ids: Sequence[int] | None = None,
    interaction_ids: Sequence[int] | None = None,
) -> tuple[Path, int]:
    """Write the .ics file. Returns its path and the number of entries."""
    if not events and not followups:
        raise ValidationError("Choose events, follow-ups or both for the calendar.", "calendar")
    target = Path(out).expanduser()
    if target.suffix.lower() != ".ics":
        target = target.with_suffix(".ics")
    data, count = build_calendar(
        session, events=events, followups=followups, event_ids=event_ids, interaction_ids=interaction_ids
    )
    write_bytes(target, data)
    return target, count
