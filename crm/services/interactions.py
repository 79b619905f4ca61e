"""Interactions (meetings, calls, emails, letters, events) and follow-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import insert_rows
from crm.errors import NotFoundError, ValidationError
from crm.filters import search_condition
from crm.models import (
    Interaction,
    InteractionKind,
    InteractionOrganisation,
    InteractionPerson,
    Person,
    table_of,
    utcnow,
)
from crm.services.people import touch_last_contacted
from crm.services.trashable import set_deleted
from crm.text import clean_multiline, clean_text


def log_interaction(
    session: Session,
    *,
    subject: str,
    date: dt.date | None = None,
    kind: str = InteractionKind.MEETING.value,
    person_ids: Sequence[int] = (),
    organisation_ids: Sequence[int] = (),
    notes: str | None = None,
    topics: str | None = None,
    owner: str | None = None,
    follow_up_on: dt.date | None = None,
    event_id: int | None = None,
) -> Interaction:
    """Record one interaction with any number of people and organisations (bulk-safe)."""
    subject_clean = clean_text(subject)
    if not subject_clean:
        raise ValidationError("An interaction needs a subject.", "subject")
    kinds = {k.value for k in InteractionKind}
    kind = (clean_text(kind) or "other").lower()
    if kind not in kinds:
        raise ValidationError(f"{kind!r} is not a kind of interaction ({', '.join(sorted(kinds))}).", "kind")
    when = date or dt.date.today()
    interaction = Interaction(
        date=when,
        kind=kind,
        subject=subject_clean[:300],
        notes=clean_multiline(notes),
        topics=clean_text(topics),
        owner=clean_text(owner),
        follow_up_on=follow_up_on,
        event_id=event_id,
    )
    session.add(interaction)
    session.flush()
    pids = list(dict.fromkeys(person_ids))
    if pids:
        insert_rows(
            session,
            table_of(InteractionPerson),
            [{"interaction_id": interaction.id, "person_id": p} for p in pids],
        )
        touch_last_contacted(session, pids, when)
    oids = list(dict.fromkeys(organisation_ids))
    if oids:
        insert_rows(
            session,
            table_of(InteractionOrganisation),
            [{"interaction_id": interaction.id, "organisation_id": o} for o in oids],
        )
    audit.record(
        session,
        "create",
        "interaction",
        interaction.id,
        new=subject_clean,
        details=f"{len(pids)} people, {len(oids)} organisations",
    )
    return interaction


def get_interaction(session: Session, interaction_id: int) -> Interaction:
    interaction = session.get(Interaction, interaction_id)
    if interaction is None:
        raise NotFoundError(f"There is no interaction with id {interaction_id}.")
    return interaction


def set_follow_up_done(session: Session, interaction_id: int, done: bool = True) -> None:
    interaction = get_interaction(session, interaction_id)
    if interaction.follow_up_done != done:
        audit.record(
            session,
            "update",
            "interaction",
            interaction_id,
            "follow_up_done",
            interaction.follow_up_done,
            done,
        )
        interaction.follow_up_done = done
        interaction.updated_at = utcnow()
        session.flush()


def trash_interactions(session: Session, ids: Sequence[int]) -> int:
    return set_deleted(session, Interaction, "interaction", ids, deleted=True)


def restore_interactions(session: Session, ids: Sequence[int]) -> int:
    return set_deleted(session, Interaction, "interaction", ids, deleted=False)


def timeline(session: Session, person_id: int, limit: int = 200) -> list[Interaction]:
    """A person's interactions, newest first."""
    return list(
        session.scalars(
            select(Interaction)
            .join(InteractionPerson, InteractionPerson.interaction_id == Interaction.id)
            .where(InteractionPerson.person_id == person_id, Interaction.deleted_at.is_(None))
            .order_by(Interaction.date.desc(), Interaction.id.desc())
            .limit(limit)
        )
    )


def list_interactions(session: Session, limit: int = 1000, text: str | None = None) -> list[Interaction]:
    stmt = (
        select(Interaction)
        .where(Interaction.deleted_at.is_(None))
        .order_by(Interaction.date.desc(), Interaction.id.desc())
    )
    if text:
        stmt = stmt.where(Interaction.subject.ilike(f"%{text}%"))
    return list(session.scalars(stmt.limit(limit)))


def follow_ups(
    session: Session, *, today: dt.date | None = None, include_future: bool = True
) -> list[Interaction]:
    """Open follow-ups, oldest due first (overdue ones are those due before today)."""
    stmt = select(Interaction).where(
        Interaction.deleted_at.is_(None),
        Interaction.follow_up_on.is_not(None),
        Interaction.follow_up_done.is_(False),
    )
    if not include_future:
        stmt = stmt.where(Interaction.follow_up_on <= (today or dt.date.today()))
    return list(session.scalars(stmt.order_by(Interaction.follow_up_on, Interaction.id)))


def count_overdue(session: Session, today: dt.date | None = None) -> int:
    from sqlalchemy import func

    return (
        session.scalar(
            select(func.count(Interaction.id)).where(
                Interaction.deleted_at.is_(None),
                Interaction.follow_up_done.is_(False),
                Interaction.follow_up_on < (today or dt.date.today()),
            )
        )
        or 0
    )


def participants(session: Session, interaction_id: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Person.id, Person.first_name, Person.last_name)
        .join(InteractionPerson, InteractionPerson.person_id == Person.id)
        .where(InteractionPerson.interaction_id == interaction_id)
        .order_by(Person.last_name, Person.first_name)
    ).all()
    return [(r[0], " ".join(p for p in (r[1], r[2]) if p)) for r in rows]


# --- The interactions list: filtered, paged and counted in SQL ----------------------------------

NAMES_SHOWN = 3


@dataclass(frozen=True)
class InteractionQuery:
    """Which interactions the list shows."""

    text: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class InteractionRow:
    id: int
    date: dt.date
    kind: str
    subject: str
    people: str
    owner: str | None
    follow_up_on: dt.date | None
    follow_up_done: bool


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(query: InteractionQuery, dialect: str) -> list[Any]:
    conditions: list[Any] = [Interaction.deleted_at.is_(None)]
    if query.kind:
        conditions.append(Interaction.kind == query.kind)
    if query.text:
        like = _like(query.text)
        # SQLite's LIKE already ignores case (ASCII), and twice as fast as ILIKE's lower() calls.
        columns = (Interaction.subject, Interaction.notes, Interaction.topics, Interaction.owner)
        matches: list[Any] = [
            c.like(like, escape="\\") if dialect == "sqlite" else c.ilike(like, escape="\\") for c in columns
        ]
        # Participants are found the way the People list finds them (the search index, accents
        # ignored), once for the whole query rather than once per interaction.
        if (people := search_condition(dialect, query.text)) is not None:
            matches.append(
                Interaction.id.in_(
                    select(InteractionPerson.interaction_id).where(
                        InteractionPerson.person_id.in_(select(Person.id).where(people))
                    )
                )
            )
        conditions.append(or_(*matches))
    return conditions


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def count_interactions(session: Session, query: InteractionQuery) -> int:
    return (
        session.scalar(select(func.count(Interaction.id)).where(*_conditions(query, _dialect(session)))) or 0
    )


def fetch_page(
    session: Session,
    query: InteractionQuery,
    after: tuple[dt.date, int] | None = None,
    limit: int = 200,
) -> list[InteractionRow]:
    """One page, newest first, starting after ``(date, id)`` of the last row already shown (keyset)."""
    stmt = select(
        Interaction.id,
        Interaction.date,
        Interaction.kind,
        Interaction.subject,
        Interaction.owner,
        Interaction.follow_up_on,
        Interaction.follow_up_done,
    ).where(*_conditions(query, _dialect(session)))
    if after is not None:
        date, last_id = after
        stmt = stmt.where(
            or_(Interaction.date < date, and_(Interaction.date == date, Interaction.id < last_id))
        )
    rows = session.execute(stmt.order_by(Interaction.date.desc(), Interaction.id.desc()).limit(limit)).all()
    names = participant_summaries(session, [r[0] for r in rows])
    return [InteractionRow(r[0], r[1], r[2], r[3], names.get(r[0], ""), r[4], r[5], bool(r[6])) for r in rows]


def participant_summaries(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """ "Ann Bell, Rhys Owen and 12 others" for each interaction."""
    if not ids:
        return {}
    names: dict[int, list[str]] = {}
    for interaction_id, first, last in session.execute(
        select(InteractionPerson.interaction_id, Person.first_name, Person.last_name)
        .join(Person, Person.id == InteractionPerson.person_id)
        .where(InteractionPerson.interaction_id.in_(list(ids)), Person.deleted_at.is_(None))
        .order_by(Person.last_name, Person.first_name)
    ):
        names.setdefault(interaction_id, []).append(" ".join(p for p in (first, last) if p))
    out: dict[int, str] = {}
    for interaction_id, people in names.items():
        shown = ", ".join(people[:NAMES_SHOWN])
        rest = len(people) - NAMES_SHOWN
        out[interaction_id] = f"{shown} and {rest} other{'s' if rest != 1 else ''}" if rest > 0 else shown
    return out
