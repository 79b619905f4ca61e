"""Logging many letters or emails as interactions in one go, and undoing such a batch.

A batch (``correspondence_batch``) groups the interactions one action logged. Undo moves them to
the Trash (restorable, audited, nothing hard-deleted) and puts back the ``last_contacted`` dates
the batch moved forward, unless a later, still-present interaction accounts for them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import insert_rows
from crm.errors import ConflictError, NotFoundError
from crm.models import (
    CorrespondenceBatch,
    Interaction,
    InteractionPerson,
    Person,
    table_of,
    utcnow,
)
from crm.services.interactions import trash_interactions
from crm.services.people import touch_last_contacted
from crm.util import chunked

SUBJECT_MAX = 300


@dataclass
class NewInteraction:
    """One interaction to log: what it is and with whom."""

    subject: str
    date: dt.date
    kind: str
    person_ids: list[int]
    notes: str | None = None
    owner: str | None = None
    direction: str | None = None
    message_id: str | None = None


@dataclass
class BatchResult:
    batch_id: int
    interaction_ids: list[int] = field(default_factory=list)


def log_batch(session: Session, kind: str, name: str, items: Sequence[NewInteraction]) -> BatchResult:
    """Log ``items`` as interactions of one new batch, in the caller's transaction."""
    batch = CorrespondenceBatch(
        kind=kind, name=name[:500], user=audit.current_user(), count=len(items), created_at=utcnow()
    )
    session.add(batch)
    session.flush()
    latest: dict[int, dt.date] = {}
    for item in items:
        for pid in item.person_ids:
            if pid not in latest or latest[pid] < item.date:
                latest[pid] = item.date
    previous: dict[str, str | None] = {}
    for part in chunked(list(latest)):
        for pid, was in session.execute(select(Person.id, Person.last_contacted).where(Person.id.in_(part))):
            if was is None or was < latest[pid]:
                previous[str(pid)] = was.isoformat() if was else None
    batch.previous_contacted = previous
    now = utcnow()
    rows = [
        {
            "date": item.date,
            "kind": item.kind,
            "subject": item.subject[:SUBJECT_MAX],
            "notes": item.notes,
            "topics": None,
            "owner": item.owner,
            "follow_up_on": None,
            "follow_up_done": False,
            "event_id": None,
            "direction": item.direction,
            "message_id": item.message_id,
            "correspondence_batch_id": batch.id,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
        }
        for item in items
    ]
    ids: list[int] = []
    if rows:
        stmt = insert(Interaction).returning(Interaction.id, sort_by_parameter_order=True)
        ids = list(session.scalars(stmt, rows))
    links = [
        {"interaction_id": iid, "person_id": pid}
        for iid, item in zip(ids, items, strict=True)
        for pid in dict.fromkeys(item.person_ids)
    ]
    insert_rows(session, table_of(InteractionPerson), links)
    by_date: dict[dt.date, list[int]] = defaultdict(list)
    for pid, day in latest.items():
        by_date[day].append(pid)
    for day, pids in by_date.items():
        touch_last_contacted(session, pids, day)
    audit.record_many(
        session,
        (
            {
                "action": "create",
                "entity": "interaction",
                "entity_id": iid,
                "new": item.subject[:SUBJECT_MAX],
                "details": f"{len(item.person_ids)} people; {kind} batch {batch.id}",
            }
            for iid, item in zip(ids, items, strict=True)
        ),
    )
    audit.record(
        session, "create", "correspondence_batch", batch.id, new=name, details=f"{len(ids)} {kind} logged"
    )
    return BatchResult(batch.id, ids)


@dataclass
class UndoResult:
    batch_id: int
    kind: str
    name: str
    removed: int

    def as_dict(self) -> dict[str, object]:
        return {"batch_id": self.batch_id, "kind": self.kind, "name": self.name, "removed": self.removed}


def undo_batch(session: Session, batch_id: int) -> UndoResult:
    """Move a batch's interactions to the Trash and restore the contact dates it changed."""
    batch = session.get(CorrespondenceBatch, batch_id)
    if batch is None:
        raise NotFoundError(f"There is no batch of letters or emails with id {batch_id}.")
    if batch.undone_at is not None:
        raise ConflictError(f"Batch {batch_id} ({batch.name}) was already undone.")
    ids = list(session.scalars(select(Interaction.id).where(Interaction.correspondence_batch_id == batch_id)))
    removed = trash_interactions(session, ids)
    previous = batch.previous_contacted or {}
    pids = [int(p) for p in previous]
    for part in chunked(pids):
        still = dict(
            session.execute(
                select(InteractionPerson.person_id, func.max(Interaction.date))
                .join(Interaction, Interaction.id == InteractionPerson.interaction_id)
                .where(InteractionPerson.person_id.in_(part), Interaction.deleted_at.is_(None))
                .group_by(InteractionPerson.person_id)
            ).all()
        )
        by_value: dict[dt.date | None, list[int]] = defaultdict(list)
        for pid in part:
            was_text = previous.get(str(pid))
            was = dt.date.fromisoformat(was_text) if was_text else None
            other = still.get(pid)
            by_value[max(d for d in (was, other) if d) if (was or other) else None].append(pid)
        for value, group in by_value.items():
            session.execute(update(Person).where(Person.id.in_(group)).values(last_contacted=value))
    batch.undone_at = utcnow()
    audit.record(
        session,
        "undo",
        "correspondence_batch",
        batch_id,
        old=batch.name,
        details=f"{removed} interactions to the Trash",
    )
    return UndoResult(batch_id, batch.kind, batch.name, removed)


def list_batches(session: Session, limit: int = 50) -> list[CorrespondenceBatch]:
    """The latest batches, newest first."""
    return list(
        session.scalars(select(CorrespondenceBatch).order_by(CorrespondenceBatch.id.desc()).limit(limit))
    )
