"""The Trash: everything deleted by an ordinary action, restorable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.errors import ValidationError
from crm.models import Event, Interaction, Network, Organisation, Person
from crm.services import events, interactions, networks, organisations, people


@dataclass(frozen=True)
class TrashItem:
    kind: str  # person, organisation, interaction, event, network
    id: int
    name: str
    deleted_at: dt.datetime | None


def list_trash(session: Session, limit: int = 5000) -> list[TrashItem]:
    """Deleted records, most recently deleted first."""
    items: list[TrashItem] = []
    for pid, first, last, email, when in session.execute(
        select(Person.id, Person.first_name, Person.last_name, Person.email, Person.deleted_at)
        .where(Person.deleted_at.is_not(None))
        .limit(limit)
    ):
        items.append(
            TrashItem(
                "person", pid, " ".join(p for p in (first, last) if p) or email or f"Person {pid}", when
            )
        )
    for oid, name, when in session.execute(
        select(Organisation.id, Organisation.name, Organisation.deleted_at)
        .where(Organisation.deleted_at.is_not(None))
        .limit(limit)
    ):
        items.append(TrashItem("organisation", oid, name, when))
    for iid, subject, when in session.execute(
        select(Interaction.id, Interaction.subject, Interaction.deleted_at)
        .where(Interaction.deleted_at.is_not(None))
        .limit(limit)
    ):
        items.append(TrashItem("interaction", iid, subject, when))
    for eid, name, when in session.execute(
        select(Event.id, Event.name, Event.deleted_at).where(Event.deleted_at.is_not(None)).limit(limit)
    ):
        items.append(TrashItem("event", eid, name, when))
    for nid, name, when in session.execute(
        select(Network.id, Network.name, Network.deleted_at)
        .where(Network.deleted_at.is_not(None))
        .limit(limit)
    ):
        items.append(TrashItem("network", nid, name, when))
    items.sort(key=lambda i: _aware(i.deleted_at), reverse=True)
    return items[:limit]


def _aware(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def restore(session: Session, kind: str, ids: Sequence[int]) -> int:
    if kind == "person":
        return people.restore_people(session, ids)
    if kind == "organisation":
        return organisations.restore_organisations(session, ids)
    if kind == "interaction":
        return interactions.restore_interactions(session, ids)
    if kind == "event":
        return events.restore_events(session, ids)
    if kind == "network":
        return networks.restore_networks(session, ids)
    raise ValidationError(f"Cannot restore a {kind}.")


def trash(session: Session, kind: str, ids: Sequence[int]) -> int:
    if kind == "person":
        return people.trash_people(session, ids)
    if kind == "organisation":
        return organisations.trash_organisations(session, ids)
    if kind == "interaction":
        return interactions.trash_interactions(session, ids)
    if kind == "event":
        return events.trash_events(session, ids)
    if kind == "network":
        return networks.trash_networks(session, ids)
    raise ValidationError(f"Cannot delete a {kind}.")
