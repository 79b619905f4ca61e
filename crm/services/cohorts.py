"""A network's cohorts ("KLN 2019–20") and groups (working groups, regional hubs), and who is in them.

A membership belongs to at most one cohort (its latest period's, recorded on the period too) and
to any number of its network's groups, with a role in each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import insert_rows
from crm.errors import NotFoundError, ValidationError
from crm.models import (
    GROUP_KINDS,
    Membership,
    MembershipGroup,
    MembershipPeriod,
    NetworkCohort,
    NetworkGroup,
    Person,
    table_of,
    utcnow,
)
from crm.roster.current import membership_is_current
from crm.services.membership_periods import latest_period_ids
from crm.text import clean_text
from crm.util import chunked


@dataclass(frozen=True)
class CohortRow:
    id: int
    name: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    members: int  # current members
    ever: int  # everyone who has been in it

    def dates(self) -> str:
        if not self.starts_on and not self.ends_on:
            return ""
        start = self.starts_on.strftime("%b %Y") if self.starts_on else "?"
        end = self.ends_on.strftime("%b %Y") if self.ends_on else "…"
        return f"{start} – {end}"


@dataclass(frozen=True)
class GroupRow:
    id: int
    name: str
    kind: str
    members: int  # current members of the network in the group


def _name(name: str | None, what: str) -> str:
    cleaned = clean_text(name)
    if not cleaned:
        raise ValidationError(f"A {what} needs a name.", "name")
    if len(cleaned) > 200:
        raise ValidationError(f"A {what} name can be at most 200 characters.", "name")
    return cleaned


# --- Cohorts ------------------------------------------------------------------------------------


def find_cohort(session: Session, network_id: int, name: str) -> NetworkCohort | None:
    key = (clean_text(name) or "").lower()
    return session.scalars(
        select(NetworkCohort).where(
            NetworkCohort.network_id == network_id, func.lower(NetworkCohort.name) == key
        )
    ).first()


def create_cohort(
    session: Session,
    network_id: int,
    name: str,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    *,
    batch_id: int | None = None,
) -> NetworkCohort:
    cleaned = _name(name, "cohort")
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError("A cohort cannot end before it starts.", "ends_on")
    if find_cohort(session, network_id, cleaned) is not None:
        raise ValidationError(f"This network already has a cohort called {cleaned!r}.", "name")
    cohort = NetworkCohort(
        network_id=network_id, name=cleaned, starts_on=starts_on, ends_on=ends_on, import_batch_id=batch_id
    )
    session.add(cohort)
    session.flush()
    audit.record(session, "create", "network_cohort", cohort.id, new=cleaned, batch_id=batch_id)
    return cohort


def get_or_create_cohort(
    session: Session, network_id: int, name: str, *, batch_id: int | None = None
) -> tuple[NetworkCohort, bool]:
    found = find_cohort(session, network_id, name)
    if found is not None:
        return found, False
    return create_cohort(session, network_id, name, batch_id=batch_id), True


def update_cohort(
    session: Session, cohort_id: int, *, name: str, starts_on: dt.date | None, ends_on: dt.date | None
) -> None:
    cohort = session.get(NetworkCohort, cohort_id)
    if cohort is None:
        raise NotFoundError(f"There is no cohort with id {cohort_id}.")
    cleaned = _name(name, "cohort")
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError("A cohort cannot end before it starts.", "ends_on")
    other = find_cohort(session, cohort.network_id, cleaned)
    if other is not None and other.id != cohort.id:
        raise ValidationError(f"This network already has a cohort called {cleaned!r}.", "name")
    for key, new in (("name", cleaned), ("starts_on", starts_on), ("ends_on", ends_on)):
        old = getattr(cohort, key)
        if old != new:
            setattr(cohort, key, new)
            audit.record(session, "update", "network_cohort", cohort.id, key, old, new)
    session.flush()


def delete_cohort(session: Session, cohort_id: int) -> None:
    """Remove an empty cohort. A cohort anyone has been in is history and stays."""
    cohort = session.get(NetworkCohort, cohort_id)
    if cohort is None:
        raise NotFoundError(f"There is no cohort with id {cohort_id}.")
    used = session.scalar(
        select(func.count()).select_from(MembershipPeriod).where(MembershipPeriod.cohort_id == cohort_id)
    ) or session.scalar(select(func.count()).select_from(Membership).where(Membership.cohort_id == cohort_id))
    if used:
        raise ValidationError(
            f"The cohort {cohort.name!r} has had members, so it is kept as history; rename it instead."
        )
    audit.record(session, "delete", "network_cohort", cohort.id, old=cohort.name)
    session.delete(cohort)
    session.flush()


def list_cohorts(session: Session, network_id: int) -> list[CohortRow]:
    """The network's cohorts by start date, with current members and everyone ever in each."""
    live = Membership.person_id.in_(select(Person.id).where(Person.deleted_at.is_(None)))
    current = dict(
        session.execute(
            select(Membership.cohort_id, func.count())
            .where(
                Membership.network_id == network_id,
                Membership.cohort_id.is_not(None),
                membership_is_current(),
                live,
            )
            .group_by(Membership.cohort_id)
        ).all()
    )
    ever = dict(
        session.execute(
            select(MembershipPeriod.cohort_id, func.count(func.distinct(MembershipPeriod.membership_id)))
            .join(Membership, Membership.id == MembershipPeriod.membership_id)
            .where(Membership.network_id == network_id, MembershipPeriod.cohort_id.is_not(None), live)
            .group_by(MembershipPeriod.cohort_id)
        ).all()
    )
    rows = session.scalars(
        select(NetworkCohort)
        .where(NetworkCohort.network_id == network_id)
        .order_by(NetworkCohort.starts_on.is_(None), NetworkCohort.starts_on, NetworkCohort.name)
    ).all()
    return [
        CohortRow(c.id, c.name, c.starts_on, c.ends_on, int(current.get(c.id, 0)), int(ever.get(c.id, 0)))
        for c in rows
    ]


def set_cohort(
    session: Session, membership_ids: Sequence[int], cohort_id: int | None, *, batch_id: int | None = None
) -> int:
    """Put these memberships (and their latest periods) in a cohort, or in none. Returns how many changed."""
    ids = list(dict.fromkeys(membership_ids))
    if cohort_id is not None:
        cohort = session.get(NetworkCohort, cohort_id)
        if cohort is None:
            raise NotFoundError(f"There is no cohort with id {cohort_id}.")
        networks = set(session.scalars(select(Membership.network_id).where(Membership.id.in_(ids))))
        if networks - {cohort.network_id}:
            raise ValidationError("A cohort holds members of its own network only.", "cohort")
    n = 0
    for part in chunked(ids):
        rows = session.execute(
            select(Membership.id, Membership.cohort_id).where(
                Membership.id.in_(part), Membership.cohort_id.is_distinct_from(cohort_id)
            )
        ).all()
        if not rows:
            continue
        changed = [r[0] for r in rows]
        session.execute(
            update(Membership)
            .where(Membership.id.in_(changed))
            .values(cohort_id=cohort_id, updated_at=utcnow())
        )
        latest = list(latest_period_ids(session, changed).values())
        session.execute(
            update(MembershipPeriod).where(MembershipPeriod.id.in_(latest)).values(cohort_id=cohort_id)
        )
        audit.record_many(
            session,
            (
                {
                    "action": "update",
                    "entity": "membership",
                    "entity_id": r[0],
                    "field": "cohort",
                    "old": r[1],
                    "new": cohort_id,
                }
                for r in rows
            ),
            batch_id=batch_id,
        )
        n += len(rows)
    return n


# --- Groups -------------------------------------------------------------------------------------


def _kind(kind: str | None) -> str:
    return (clean_text(kind) or GROUP_KINDS[0]).lower()


def find_group(session: Session, network_id: int, name: str) -> NetworkGroup | None:
    key = (clean_text(name) or "").lower()
    return session.scalars(
        select(NetworkGroup).where(
            NetworkGroup.network_id == network_id, func.lower(NetworkGroup.name) == key
        )
    ).first()


def create_group(
    session: Session, network_id: int, name: str, kind: str | None = None, *, batch_id: int | None = None
) -> NetworkGroup:
    cleaned = _name(name, "group")
    if find_group(session, network_id, cleaned) is not None:
        raise ValidationError(f"This network already has a group called {cleaned!r}.", "name")
    group = NetworkGroup(network_id=network_id, name=cleaned, kind=_kind(kind), import_batch_id=batch_id)
    session.add(group)
    session.flush()
    audit.record(session, "create", "network_group", group.id, new=cleaned, batch_id=batch_id)
    return group


def get_or_create_group(
    session: Session, network_id: int, name: str, *, batch_id: int | None = None
) -> tuple[NetworkGroup, bool]:
    found = find_group(session, network_id, name)
    if found is not None:
        return found, False
    return create_group(session, network_id, name, batch_id=batch_id), True


def update_group(session: Session, group_id: int, *, name: str, kind: str | None) -> None:
    group = session.get(NetworkGroup, group_id)
    if group is None:
        raise NotFoundError(f"There is no group with id {group_id}.")
    cleaned = _name(name, "group")
    other = find_group(session, group.network_id, cleaned)
    if other is not None and other.id != group.id:
        raise ValidationError(f"This network already has a group called {cleaned!r}.", "name")
    for key, new in (("name", cleaned), ("kind", _kind(kind))):
        old = getattr(group, key)
        if old != new:
            setattr(group, key, new)
            audit.record(session, "update", "network_group", group.id, key, old, new)
    session.flush()


def delete_group(session: Session, group_id: int) -> None:
    """Remove a group nobody is in."""
    group = session.get(NetworkGroup, group_id)
    if group is None:
        raise NotFoundError(f"There is no group with id {group_id}.")
    if session.scalar(
        select(func.count()).select_from(MembershipGroup).where(MembershipGroup.group_id == group_id)
    ):
        raise ValidationError(f"The group {group.name!r} still has members; take them out of it first.")
    audit.record(session, "delete", "network_group", group.id, old=group.name)
    session.delete(group)
    session.flush()


def list_groups(session: Session, network_id: int) -> list[GroupRow]:
    """The network's groups by name, with how many current members are in each."""
    counts = dict(
        session.execute(
            select(MembershipGroup.group_id, func.count())
            .join(Membership, Membership.id == MembershipGroup.membership_id)
            .where(
                Membership.network_id == network_id,
                membership_is_current(),
                Membership.person_id.in_(select(Person.id).where(Person.deleted_at.is_(None))),
            )
            .group_by(MembershipGroup.group_id)
        ).all()
    )
    rows = session.scalars(
        select(NetworkGroup).where(NetworkGroup.network_id == network_id).order_by(NetworkGroup.name)
    ).all()
    return [GroupRow(g.id, g.name, g.kind, int(counts.get(g.id, 0))) for g in rows]


def add_to_group(
    session: Session,
    group_id: int,
    membership_ids: Sequence[int],
    *,
    role: str = "member",
    batch_id: int | None = None,
) -> int:
    """Put memberships in a group (bulk); those already in it keep their role. Returns how many were added."""
    group = session.get(NetworkGroup, group_id)
    if group is None:
        raise NotFoundError(f"There is no group with id {group_id}.")
    role = (clean_text(role) or "member").lower()
    ids = list(dict.fromkeys(membership_ids))
    have: set[int] = set()
    for part in chunked(ids):
        wrong = session.scalar(
            select(func.count()).where(Membership.id.in_(part), Membership.network_id != group.network_id)
        )
        if wrong:
            raise ValidationError("A group holds members of its own network only.", "group")
        have.update(
            session.scalars(
                select(MembershipGroup.membership_id).where(
                    MembershipGroup.group_id == group_id, MembershipGroup.membership_id.in_(part)
                )
            )
        )
    new = [mid for mid in ids if mid not in have]
    insert_rows(
        session,
        table_of(MembershipGroup),
        [
            {"membership_id": mid, "group_id": group_id, "role": role, "import_batch_id": batch_id}
            for mid in new
        ],
    )
    audit.record_many(
        session,
        (
            {
                "action": "link",
                "entity": "membership",
                "entity_id": mid,
                "field": "group",
                "new": f"{group_id}:{role}",
            }
            for mid in new
        ),
        batch_id=batch_id,
    )
    return len(new)


def set_groups(session: Session, membership_id: int, groups: dict[int, str]) -> None:
    """Make the membership's groups exactly ``groups`` (group id → role)."""
    membership = session.get(Membership, membership_id)
    if membership is None:
        raise NotFoundError(f"There is no membership with id {membership_id}.")
    wanted = {gid: (clean_text(role) or "member").lower() for gid, role in groups.items()}
    if wanted:
        networks = set(
            session.scalars(select(NetworkGroup.network_id).where(NetworkGroup.id.in_(list(wanted))))
        )
        if networks != {membership.network_id} or len(
            session.scalars(select(NetworkGroup.id).where(NetworkGroup.id.in_(list(wanted)))).all()
        ) != len(wanted):
            raise ValidationError("A member can only be in their own network's groups.", "group")
    have = {
        link.group_id: link
        for link in session.scalars(
            select(MembershipGroup).where(MembershipGroup.membership_id == membership_id)
        )
    }
    for gid, link in have.items():
        if gid not in wanted:
            audit.record(session, "unlink", "membership", membership_id, "group", f"{gid}:{link.role}", None)
            session.delete(link)
        elif link.role != wanted[gid]:
            audit.record(
                session,
                "update",
                "membership",
                membership_id,
                "group",
                f"{gid}:{link.role}",
                f"{gid}:{wanted[gid]}",
            )
            link.role = wanted[gid]
    for gid, role in wanted.items():
        if gid not in have:
            session.add(MembershipGroup(membership_id=membership_id, group_id=gid, role=role))
            audit.record(session, "link", "membership", membership_id, "group", None, f"{gid}:{role}")
    session.flush()


def remove_from_group(session: Session, group_id: int, membership_ids: Sequence[int]) -> int:
    n = 0
    for part in chunked(list(membership_ids)):
        gone = list(
            session.scalars(
                select(MembershipGroup.membership_id).where(
                    MembershipGroup.group_id == group_id, MembershipGroup.membership_id.in_(part)
                )
            )
        )
        if gone:
            session.execute(
                delete(MembershipGroup).where(
                    MembershipGroup.group_id == group_id, MembershipGroup.membership_id.in_(gone)
                )
            )
            audit.record_many(
                session,
                (
                    {
                        "action": "unlink",
                        "entity": "membership",
                        "entity_id": m,
                        "field": "group",
                        "old": group_id,
                    }
                    for m in gone
                ),
            )
            n += len(gone)
    return n


@dataclass(frozen=True)
class MemberExtras:
    """What the network page shows beside a member: cohort, groups and every period."""

    cohort_id: int | None
    cohort: str
    group_ids: frozenset[int]
    groups: str  # "Housing, Scotland hub (convener)"
    periods: int
    history: str  # "1 Jan 2020 – 30 Jun 2021 (Moved job); 1 Sep 2023 – now"


def member_extras(session: Session, network_id: int) -> dict[int, MemberExtras]:
    """membership id → cohort, groups and periods, for every membership of the network."""
    from crm.services.membership_periods import groups_of, periods_of

    rows = session.execute(
        select(Membership.id, Membership.cohort_id, NetworkCohort.name)
        .outerjoin(NetworkCohort, NetworkCohort.id == Membership.cohort_id)
        .where(Membership.network_id == network_id)
    ).all()
    ids = [r[0] for r in rows]
    periods = periods_of(session, ids)
    groups = groups_of(session, ids)
    out: dict[int, MemberExtras] = {}
    for mid, cohort_id, cohort in rows:
        mine = groups.get(mid, [])
        spans = periods.get(mid, [])
        out[mid] = MemberExtras(
            cohort_id=cohort_id,
            cohort=cohort or "",
            group_ids=frozenset(g for g, _n, _r in mine),
            groups=", ".join(name if role == "member" else f"{name} ({role})" for _g, name, role in mine),
            periods=len(spans),
            history="; ".join(p.describe() for p in spans),
        )
    return out
