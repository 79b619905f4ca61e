"""Moving records to the Trash and back: one implementation for every kind of record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.models import MergedRecord, utcnow
from crm.util import chunked


def set_deleted(session: Session, model: Any, entity: str, ids: Sequence[int], *, deleted: bool) -> int:
    """Move records to the Trash (``deleted``) or restore them; returns how many changed.

    Records already where they are asked to go are left alone, and each real move is audited.
    """
    moved: list[int] = []
    now = utcnow()
    for part in chunked(list(dict.fromkeys(ids))):
        state = model.deleted_at.is_(None) if deleted else model.deleted_at.is_not(None)
        stmt = select(model.id).where(model.id.in_(part), state)
        if not deleted:
            # A record merged into another is not in the Trash: only undoing the merge brings it back.
            stmt = stmt.where(
                model.id.not_in(select(MergedRecord.record_id).where(MergedRecord.entity == entity))
            )
        found = list(session.scalars(stmt))
        if found:
            # Records with a version (people, organisations) have it raised, so an open form
            # cannot save over the move unnoticed.
            bump = {"version": model.version + 1} if hasattr(model, "version") else {}
            session.execute(
                update(model).where(model.id.in_(found)).values(deleted_at=now if deleted else None, **bump)
            )
            moved.extend(found)
    action = "delete" if deleted else "restore"
    audit.record_many(session, ({"action": action, "entity": entity, "entity_id": i} for i in moved))
    return len(moved)
