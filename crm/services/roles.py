"""Elected roles (seats and offices): added, edited and ended, never deleted, so history stays."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import audit, versions
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
    elected = get_role(session, role_id)
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
        # A form opened before the role ended then refuses to save over it.
        versions.bump_many(session, ElectedRole, [role_id])
        session.expire(elected, ["version"])


#: What :func:`update_role` changes, with the words a message uses for each.
ROLE_FIELDS = {
    "chamber": "chamber",
    "party": "party",
    "constituency": "constituency",
    "region": "region",
    "role": "role",
    "start_date": "start date",
    "end_date": "end date",
}


def get_role(session: Session, role_id: int) -> ElectedRole:
    elected = session.get(ElectedRole, role_id)
    if elected is None:
        raise NotFoundError(f"There is no elected role {role_id}.")
    return elected


def role_snapshot(session: Session, role_id: int) -> dict[str, Any]:
    """Everything :func:`update_role` changes, as it takes it (for undo)."""
    elected = get_role(session, role_id)
    return {f: getattr(elected, f) for f in ROLE_FIELDS}


def update_role(
    session: Session,
    role_id: int,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
) -> ElectedRole:
    """Edit or correct an elected role (chamber, party, seat, role, dates); one audited change.

    Every field that really changes goes to the audit log with its old and new value.
    ``expected_version`` is the version the form showed: a save over someone else's later change is
    refused with :class:`~crm.errors.StaleEdit` and nothing is written.

    Raises:
        ValidationError: a value is not acceptable (the message says which and why).
        NotFoundError: there is no such role.
        StaleEdit: the role changed since the form showed it.
    """
    elected = get_role(session, role_id)
    unknown = set(changes) - set(ROLE_FIELDS)
    if unknown:
        raise ValidationError(
            f"An elected role has no {', '.join(sorted(unknown))} to change.", sorted(unknown)[0]
        )
    after = role_snapshot(session, role_id)
    before = dict(after)
    for field, value in changes.items():
        if field in ("start_date", "end_date"):
            if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
                raise ValidationError(f"The {ROLE_FIELDS[field]} must be a date.", field)
            after[field] = value
            continue
        text = clean_text(value)
        limit = 100 if field in ("chamber", "party") else 200
        if text and len(text) > limit:
            raise ValidationError(f"The {ROLE_FIELDS[field]} is longer than {limit} characters.", field)
        after[field] = text
    if not after["chamber"]:
        raise ValidationError("An elected role needs a chamber (for example Scottish Parliament).", "chamber")
    if after["start_date"] and after["end_date"] and after["end_date"] < after["start_date"]:
        raise ValidationError("A role cannot end before it starts.", "end_date")
    fields = [f for f in ROLE_FIELDS if after[f] != before[f]]
    if not fields:
        return elected
    person = get_person(session, elected.person_id)
    versions.claim(
        session,
        ElectedRole,
        role_id,
        expected_version,
        entity="elected_role",
        name=f"{person.display_name}’s role in the {before['chamber']}",
    )
    for field in fields:
        audit.record(
            session,
            "update",
            "elected_role",
            role_id,
            field,
            before[field],
            after[field],
            details=f"person {elected.person_id}",
        )
        setattr(elected, field, after[field])
    session.flush()
    return elected
