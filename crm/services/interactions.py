"""Interactions (meetings, calls, emails, letters, events) and follow-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import insert_rows
from crm.errors import NotFoundError, ValidationError
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
