"""Elected roles (seats and offices): added, edited and ended, never deleted, so history stays."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import audit
from crm.errors import NotFoundError, ValidationError
from crm.models import ElectedRole
from crm.services.people import get_person
from crm.text import clean_text


def roles_of(session: Session, person_id: int) -> list[ElectedRole]:
    """A person's roles, current ones first, then by start date (newest first)."""
    roles = list(session.scalars(select(ElectedRole).where(ElectedRole.person_id == person_id)))
    return sorted(roles, key=lambda r: (not r.is_current, -(r.start_date or dt.date.min).toordinal()))


def add_role(
    session: Session,
    person_id: int,
    *,
    chamber: str,
    party: str | None = None,
    constituency: str | None = None,
    region: str | None = None,
    role: str | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> ElectedRole:
    get_person(session, person_id)
    chamber_clean = clean_text(chamber)
    if not chamber_clean:
        raise ValidationError("An elected role needs a chamber (for example Scottish Parliament).", "chamber")
    if start_date and end_date and end_date < start_date:
        raise ValidationError("A role cannot end before it starts.", "end_date")
    elected = ElectedRole(
        person_id=person_id,
        chamber=chamber_clean[:100],
        party=clean_text(party),
        constituency=clean_text(constituency),
        region=clean_text(region),
        role=clean_text(role),
        start_date=start_date,
        end_date=end_date,
    )
    session.add(elected)
    session.flush()
    audit.record(
        session,
        "create",
        "elected_role",
        elected.id,
        new=f"{chamber_clean}: {elected.constituency or elected.region or ''}".strip(": "),
        details=f"person {person_id}",
    )
    return elected


def end_role(session: Session, role_id: int, on: dt.date | None = None) -> None:
    """Record that a role ended (an election lost, a resignation): the role stays as history."""
    elected = session.get(ElectedRole, role_id)
    if elected is None:
        raise NotFoundError(f"There is no elected role {role_id}.")
    when = on or dt.date.today()
    if elected.start_date and when < elected.start_date:
        raise ValidationError("A role cannot end before it starts.", "end_date")
    if elected.end_date != when:
        audit.record(
            session,
            "update",
            "elected_role",
            role_id,
            "end_date",
            elected.end_date,
            when,
            details=f"person {elected.person_id}",
        )
        elected.end_date = when
        session.flush()
