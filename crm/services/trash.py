"""The Trash: everything deleted by an ordinary action, restorable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from crm.errors import ValidationError
from crm.models import Event, Interaction, MergedRecord, Network, Organisation, Person
from crm.services.trashable import set_deleted


@dataclass(frozen=True)
class TrashItem:
    kind: str  # person, organisation, interaction, event, network
    id: int
    name: str
    deleted_at: dt.datetime | None


def _merged(entity: str) -> Select[Any]:
    # Records folded into others by a merge are not in the Trash: undoing the merge restores them.
    return select(MergedRecord.record_id).where(MergedRecord.entity == entity)


def list_trash(session: Session, limit: int = 5000) -> list[TrashItem]:
    """Deleted records, most recently deleted first."""
    items: list[TrashItem] = []
    for pid, first, last, email, when in session.execute(
        select(Person.id, Person.first_name, Person.last_name, Person.email, Person.deleted_at)
        .where(Person.deleted_at.is_not(None), Person.id.not_in(_merged("person")))
        .limit(limit)
    ):
        items.append(
            TrashItem(
                "person", pid, " ".join(p for p in (first, last) if p) or email or f"Person {pid}", when
            )
        )
    for oid, name, when in session.execute(
        select(Organisation.id, Organisation.name, Organisation.deleted_at)
        .where(Organisation.deleted_at.is_not(None), Organisation.id.not_in(_merged("organisation")))
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


# Every kind of record the Trash holds, by the name the audit log and the UI use.
KINDS: dict[str, Any] = {
    "person": Person,
    "organisation": Organisation,
    "interaction": Interaction,
    "event": Event,
    "network": Network,
}


def _model(kind: str, verb: str) -> Any:
    model = KINDS.get(kind)
    if model is None:
        raise ValidationError(f"Cannot {verb} a {kind}.")
    return model


def restore(session: Session, kind: str, ids: Sequence[int]) -> int:
    """Bring records of one kind back from the Trash; returns how many came back.

    Interactions and events go through their services, which work out the people's "last
    contacted" again.
    """
    from crm.services import events, interactions

    if kind == "interaction":
        return interactions.restore_interactions(session, ids)
    if kind == "event":
        return events.restore_events(session, ids)
    return set_deleted(session, _model(kind, "restore"), kind, ids, deleted=False)


def trash(session: Session, kind: str, ids: Sequence[int]) -> int:
    """Move records of one kind to the Trash; returns how many moved."""
    from crm.services import events, interactions

    if kind == "interaction":
        return interactions.trash_interactions(session, ids)
    if kind == "event":
        return events.trash_events(session, ids)
    return set_deleted(session, _model(kind, "delete"), kind, ids, deleted=True)
