"""Networks and their memberships (role, status, joined and left dates)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import insert_rows
from crm.errors import NotFoundError, ValidationError
from crm.models import Membership, Network, Person, table_of, utcnow
from crm.roster.current import membership_is_current
from crm.services.membership_periods import (
    open_first_periods,
    reopen_periods,
    sync_latest_periods,
    take_back_same_day_rejoins,
)
from crm.services.trashable import set_deleted
from crm.text import clean_text
from crm.util import chunked


def get_network(session: Session, network_id: int) -> Network:
    network = session.get(Network, network_id)
    if network is None:
        raise NotFoundError(f"There is no network with id {network_id}.")
    return network


def find_network(session: Session, name: str) -> Network | None:
    key = (clean_text(name) or "").lower()
    return session.scalars(select(Network).where(func.lower(Network.name) == key)).first()


def network_by_name(session: Session, name: str) -> Network:
    network = find_network(session, name)
    if network is None:
        raise NotFoundError(f"There is no network called {name!r}.")
    return network


def create_network(
    session: Session, name: str, description: str | None = None, *, is_open: bool = False
) -> Network:
    cleaned = clean_text(name)
    if not cleaned:
        raise ValidationError("A network needs a name.", "name")
    if find_network(session, cleaned) is not None:
        raise ValidationError(f"There is already a network called {cleaned!r}.", "name")
    network = Network(name=cleaned, description=description, is_open=is_open)
    session.add(network)
    session.flush()
    audit.record(session, "create", "network", network.id, new=cleaned)
    return network


def get_or_create_network(session: Session, name: str) -> tuple[Network, bool]:
    found = find_network(session, name)
    if found is not None:
        return found, False
    return create_network(session, name), True


def add_members(
    session: Session,
    network_id: int,
    person_ids: Sequence[int],
    *,
    role: str = "member",
    status: str = "active",
    joined_on: dt.date | None = None,
    batch_id: int | None = None,
    cohort_id: int | None = None,
) -> int:
    """Add people to a network (bulk). People already in it keep their membership. Returns how many joined.

    Each new membership opens its first period (see :mod:`crm.services.membership_periods`).
    """
    get_network(session, network_id)
    role = (clean_text(role) or "member").lower()
    status = (clean_text(status) or "active").lower()
    have: set[int] = set()
    ids = list(dict.fromkeys(person_ids))
    for part in chunked(ids):
        have.update(
            session.scalars(
                select(Membership.person_id).where(
                    Membership.network_id == network_id, Membership.person_id.in_(part)
                )
            )
        )
    new = [pid for pid in ids if pid not in have]
    if new:
        now = utcnow()
        insert_rows(
            session,
            table_of(Membership),
            [
                {
                    "person_id": pid,
                    "network_id": network_id,
                    "role": role,
                    "status": status,
                    "joined_on": joined_on or dt.date.today(),
                    "created_at": now,
                    "updated_at": now,
                    "import_batch_id": batch_id,
                    "cohort_id": cohort_id,
                }
                for pid in new
            ],
        )
        open_first_periods(session, network_id, new, batch_id=batch_id)
        audit.record_many(
            session,
            (
                {
                    "action": "link",
                    "entity": "person",
                    "entity_id": pid,
                    "field": "network",
                    "new": f"{network_id}:{role}",
                }
                for pid in new
            ),
            batch_id=batch_id,
        )
    return len(new)


def update_membership(
    session: Session,
    membership_id: int,
    *,
    role: str | None = None,
    status: str | None = None,
    left_on: dt.date | None = None,
) -> None:
    membership = session.get(Membership, membership_id)
    if membership is None:
        raise NotFoundError(f"There is no membership with id {membership_id}.")
    changes: dict[str, Any] = {}
    if role is not None:
        changes["role"] = (clean_text(role) or "member").lower()
    if status is not None:
        changes["status"] = (clean_text(status) or "active").lower()
        if changes["status"] == "left" and left_on is None and membership.left_on is None:
            left_on = dt.date.today()
    # Marked as having left on the day they were put back (an undo, or a same-day correction):
    # the new period is taken back rather than kept as a one-day membership.
    taking_back = (
        changes.get("status") == "left" and membership.status != "left" and left_on == dt.date.today()
    )
    if left_on is not None:
        changes["left_on"] = left_on
    elif changes.get("status", "left") != "left" and membership.left_on is not None:
        # Back in the network (or the removal undone): they have not left, whatever the old date said.
        changes["left_on"] = None
    for key, new in changes.items():
        old = getattr(membership, key)
        if old != new:
            setattr(membership, key, new)
            audit.record(session, "update", "membership", membership.id, key, old, new)
    session.flush()
    if taking_back:
        take_back_same_day_rejoins(session, [membership.id])
    if "status" in changes or "left_on" in changes:
        sync_latest_periods(session, [membership.id])


def set_status(session: Session, network_id: int, person_ids: Sequence[int], status: str) -> int:
    """Change the membership status of these people in one network (bulk)."""
    status = (clean_text(status) or "active").lower()
    n = 0
    for part in chunked(list(person_ids)):
        rows = session.execute(
            select(Membership.id, Membership.status).where(
                Membership.network_id == network_id,
                Membership.person_id.in_(part),
                Membership.status != status,
            )
        ).all()
        if rows:
            values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
            if status == "left":
                values["left_on"] = dt.date.today()
            else:
                values["left_on"] = None  # back in the network: no longer counted as having left
            session.execute(
                update(Membership).where(Membership.id.in_([r[0] for r in rows])).values(**values)
            )
            audit.record_many(
                session,
                (
                    {
                        "action": "update",
                        "entity": "membership",
                        "entity_id": r[0],
                        "field": "status",
                        "old": r[1],
                        "new": status,
                    }
                    for r in rows
                ),
            )
            if status == "left":
                take_back_same_day_rejoins(session, [r[0] for r in rows])
                sync_latest_periods(session, [r[0] for r in rows])
            else:
                # Back in the network after leaving: a new period, the old one kept as it was.
                reopen_periods(session, [r[0] for r in rows if r[1] == "left"])
            n += len(rows)
    return n


def remove_member(session: Session, network_id: int, person_id: int) -> None:
    """Mark a membership as left (kept as history rather than deleted)."""
    membership = session.scalars(
        select(Membership).where(Membership.network_id == network_id, Membership.person_id == person_id)
    ).first()
    if membership is None:
        raise NotFoundError("That person is not in the network.")
    update_membership(session, membership.id, status="left")


def trash_networks(session: Session, ids: Sequence[int]) -> int:
    """Move networks to the Trash; memberships are kept, so restoring brings everything back."""
    return set_deleted(session, Network, "network", ids, deleted=True)


def restore_networks(session: Session, ids: Sequence[int]) -> int:
    return set_deleted(session, Network, "network", ids, deleted=False)


def list_networks(session: Session) -> list[tuple[int, str, int]]:
    """(id, name, active members), by name."""
    members = (
        select(func.count(Membership.id))
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.network_id == Network.id, membership_is_current(), Person.deleted_at.is_(None))
        .correlate(Network)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Network.id, Network.name, members).where(Network.deleted_at.is_(None)).order_by(Network.name)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def members(session: Session, network_id: int) -> list[tuple[int, int, str, str, str, dt.date | None]]:
    """(membership id, person id, person name, role, status, joined), by name.

    A membership whose leaving date has passed reads "left", whatever its status says, so the
    page, its counts and "Export members…" agree on who is a current member.
    """
    today = dt.date.today()
    rows = session.execute(
        select(
            Membership.id,
            Person.id,
            Person.first_name,
            Person.last_name,
            Membership.role,
            Membership.status,
            Membership.joined_on,
            Membership.left_on,
        )
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.network_id == network_id, Person.deleted_at.is_(None))
        .order_by(Person.last_name, Person.first_name)
    ).all()
    return [
        (
            r[0],
            r[1],
            " ".join(p for p in (r[2], r[3]) if p),
            r[4],
            "left" if r[5].lower() == "left" or (r[7] is not None and r[7] <= today) else r[5],
            r[6],
        )
        for r in rows
    ]
