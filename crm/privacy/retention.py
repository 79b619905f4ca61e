"""Retention review: people Kindred has had no reason to keep for longer than the retention period.

Someone is due for review when, for longer than the period (a setting, 24 months by default), they
have had no interaction, no event, no current elected role, no current network membership, no
current consent, and nobody chose "Keep for another period" for them. A person added within the
period is not due. People with a current elected role (public office) or who are contacts at a
current partner organisation are kept under legitimate interests while that lasts; once it ends,
the period runs from its end.

Everything is worked out in SQL: first who had a reason to be kept recently (small, indexed
look-ups), then everyone else, newest activity last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import insert_rows
from crm.errors import ValidationError
from crm.models import (
    Attendance,
    Consent,
    ElectedRole,
    Event,
    Interaction,
    InteractionPerson,
    Membership,
    Organisation,
    Person,
    PersonType,
    RetentionReview,
    StakeholderType,
    table_of,
)
from crm.privacy.settings import check_months, retention_months
from crm.util import chunked

NOTE_MAX = 500


@dataclass(frozen=True)
class DuePerson:
    id: int
    name: str
    email: str | None
    organisation: str | None
    last_activity: dt.date | None
    added: dt.date | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "last_activity": self.last_activity.isoformat() if self.last_activity else None,
        }


@dataclass(frozen=True)
class RetentionReport:
    months: int
    cutoff: dt.date
    total: int
    people: list[DuePerson]

    def as_dict(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "cutoff": self.cutoff.isoformat(),
            "count": self.total,
            "people": [p.as_dict() for p in self.people],
        }


def cutoff_for(months: int, today: dt.date | None = None) -> dt.date:
    """The day ``months`` months before today (the end of the month when it is shorter)."""
    today = today or dt.date.today()
    month_index = today.year * 12 + today.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    import calendar

    day = min(today.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def _kept_recently(cutoff: dt.date) -> list[ColumnElement[bool]]:
    """Each reason to keep someone since ``cutoff`` (or a current one), as a test of one person.

    Correlated tests, asked only of the people not contacted or added since the cut-off: each is a
    look-up in that person's own rows. Gathering everyone kept into one list first read every
    interaction of the period (over a second for 100,000 people added years ago).
    """
    partner_orgs = select(Organisation.id).where(func.lower(Organisation.partner_status) == "partner")

    def any_of(stmt: Select[Any]) -> ColumnElement[bool]:
        return stmt.correlate(Person).exists()

    return [
        any_of(
            select(InteractionPerson.person_id)
            .join(Interaction, Interaction.id == InteractionPerson.interaction_id)
            .where(
                InteractionPerson.person_id == Person.id,
                Interaction.date >= cutoff,
                Interaction.deleted_at.is_(None),
            )
        ),
        any_of(
            select(Attendance.person_id)
            .join(Event, Event.id == Attendance.event_id)
            .where(Attendance.person_id == Person.id, Event.starts_on >= cutoff)
        ),
        any_of(
            select(ElectedRole.person_id).where(
                ElectedRole.person_id == Person.id,
                or_(ElectedRole.end_date.is_(None), ElectedRole.end_date >= cutoff),
            )
        ),
        any_of(
            select(Membership.person_id).where(
                Membership.person_id == Person.id,
                or_(
                    and_(Membership.left_on.is_(None), Membership.status != "left"),
                    Membership.left_on >= cutoff,
                ),
            )
        ),
        any_of(
            select(Consent.person_id).where(
                Consent.person_id == Person.id,
                or_(
                    and_(Consent.granted.is_(True), Consent.withdrawn_on.is_(None)),
                    Consent.recorded_on >= cutoff,
                    Consent.withdrawn_on >= cutoff,
                ),
            )
        ),
        any_of(
            select(RetentionReview.person_id).where(
                RetentionReview.person_id == Person.id, RetentionReview.kept_on >= cutoff
            )
        ),
        and_(
            Person.organisation_id.in_(partner_orgs),
            any_of(
                select(PersonType.person_id).where(
                    PersonType.person_id == Person.id,
                    PersonType.type == StakeholderType.PARTNER_CONTACT.value,
                )
            ),
        ),
    ]


def due_condition(cutoff: dt.date) -> ColumnElement[bool]:
    """Who is due for review with this cut-off, leaving aside the Trash: the one definition, used by
    the Due for review page, the People list's "Due for retention review" filter and the dashboard's
    tile, so all three count the same people."""
    since = dt.datetime.combine(cutoff, dt.time(), tzinfo=dt.UTC)
    # The cheap tests first: most people were contacted or added recently and stop there.
    return and_(
        Person.created_at < since,
        or_(Person.last_contacted.is_(None), Person.last_contacted < cutoff),
        *[~kept for kept in _kept_recently(cutoff)],
    )


def _due_conditions(cutoff: dt.date) -> list[ColumnElement[bool]]:
    return [Person.deleted_at.is_(None), due_condition(cutoff)]


def _due_select(cutoff: dt.date) -> Select[Any]:
    return select(Person.id).where(*_due_conditions(cutoff))


def _last_activity(session: Session, ids: Sequence[int]) -> dict[int, dt.date]:
    """The latest date anything kept each person (all before the cut-off, or they would not be due)."""
    out: dict[int, dt.date] = {}
    for part in chunked(list(ids)):
        sources = union_all(
            select(InteractionPerson.person_id.label("pid"), Interaction.date.label("d"))
            .join(Interaction, Interaction.id == InteractionPerson.interaction_id)
            .where(InteractionPerson.person_id.in_(part), Interaction.deleted_at.is_(None)),
            select(Attendance.person_id, Event.starts_on)
            .join(Event, Event.id == Attendance.event_id)
            .where(Attendance.person_id.in_(part)),
            select(ElectedRole.person_id, ElectedRole.end_date).where(ElectedRole.person_id.in_(part)),
            select(Membership.person_id, Membership.left_on).where(Membership.person_id.in_(part)),
            select(Consent.person_id, func.coalesce(Consent.withdrawn_on, Consent.recorded_on)).where(
                Consent.person_id.in_(part)
            ),
            select(RetentionReview.person_id, RetentionReview.kept_on).where(
                RetentionReview.person_id.in_(part)
            ),
            select(Person.id, Person.last_contacted).where(Person.id.in_(part)),
        ).subquery()
        for pid, latest in session.execute(
            select(sources.c.pid, func.max(sources.c.d))
            .where(sources.c.d.is_not(None))
            .group_by(sources.c.pid)
        ):
            if latest is not None:
                out[pid] = latest if isinstance(latest, dt.date) else dt.date.fromisoformat(str(latest))
    return out


def due_for_review(
    session: Session, months: int | None = None, *, limit: int | None = None, offset: int = 0
) -> RetentionReport:
    """Everyone due for review (``limit`` of them from ``offset``), oldest activity first."""
    if months is None:
        months = retention_months(session)
    check_months(months)
    cutoff = cutoff_for(months)
    due = _due_select(cutoff)
    total = session.scalar(select(func.count()).select_from(due.subquery())) or 0
    # In name order the list index is read in order and the query stops once the page is full.
    stmt = (
        select(
            Person.id,
            Person.first_name,
            Person.last_name,
            Person.preferred_name,
            Person.email,
            Organisation.name,
            Person.created_at,
        )
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .where(*_due_conditions(cutoff))
        .order_by(Person.sort_name, Person.id)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = session.execute(stmt).all()
    last = _last_activity(session, [r[0] for r in rows])
    people = []
    for pid, first, last_name, preferred, email, org, created in rows:
        name = " ".join(p for p in (preferred or first, last_name) if p) or email or f"Person {pid}"
        added = created.date() if isinstance(created, dt.datetime) else None
        people.append(DuePerson(pid, name, email, org, last.get(pid), added))
    # Within the page, longest without activity first (never-active people by when they were added).
    people.sort(key=lambda p: (p.last_activity or p.added or dt.date.min, p.name))
    return RetentionReport(months, cutoff, total, people)


def keep_for_another_period(session: Session, person_ids: Sequence[int], note: str | None = None) -> int:
    """Record "Keep for another period" for these people (audited). Returns how many."""
    text = " ".join((note or "").split()) or None
    if text and len(text) > NOTE_MAX:
        raise ValidationError(f"The note is too long: keep it under {NOTE_MAX} characters.", "note")
    ids = list(dict.fromkeys(person_ids))
    live: list[int] = []
    for part in chunked(ids):
        live.extend(session.scalars(select(Person.id).where(Person.id.in_(part))))
    if not live:
        return 0
    today = dt.date.today()
    user = audit.current_user()
    insert_rows(
        session,
        table_of(RetentionReview),
        [{"person_id": pid, "kept_on": today, "user": user, "note": text} for pid in live],
    )
    audit.record_many(
        session,
        (
            {
                "action": "review",
                "entity": "person",
                "entity_id": pid,
                "field": "retention",
                "new": "Kept for another period",
                "details": text,
            }
            for pid in live
        ),
    )
    return len(live)
