"""The audit log: every change made through the services is written here, in the same transaction."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.bulk import insert_rows, json_insert
from crm.models import AuditEntry, table_of, utcnow

_acting_user: str | None = None


def set_acting_user(name: str | None) -> None:
    """Record changes under this person's name (the user's own, from Preferences) rather than
    the computer's login name; ``None`` or blank goes back to the login name."""
    global _acting_user
    _acting_user = name.strip() if name and name.strip() else None


def current_user() -> str:
    """Who is making changes: the name set with :func:`set_acting_user`, else the login name."""
    if _acting_user is not None:
        return _acting_user
    try:
        return getpass.getuser()
    except Exception:  # no login name (some services and containers)
        return "unknown"


def as_text(value: Any) -> str | None:
    """How a value is stored in the log: strings as they are, dates ISO, the rest JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(value, default=str)


def record(
    session: Session,
    action: str,
    entity: str,
    entity_id: int | None,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    *,
    batch_id: int | None = None,
    details: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=utcnow(),
            user=current_user(),
            action=action,
            entity=entity,
            entity_id=entity_id,
            field=field,
            old_value=as_text(old),
            new_value=as_text(new),
            import_batch_id=batch_id,
            details=details,
        )
    )


def record_many(session: Session, entries: Iterable[dict[str, Any]], *, batch_id: int | None = None) -> int:
    """Bulk-write entries (dicts with action, entity, entity_id and optionally field/old/new/details)."""
    now = utcnow()
    user = current_user()
    rows = [
        {
            "at": now,
            "user": user,
            "action": e["action"],
            "entity": e["entity"],
            "entity_id": e.get("entity_id"),
            "field": e.get("field"),
            "old_value": as_text(e.get("old")),
            "new_value": as_text(e.get("new")),
            "import_batch_id": e.get("batch_id", batch_id),
            "details": e.get("details"),
        }
        for e in entries
    ]
    if rows:
        insert_rows(session, table_of(AuditEntry), rows)
    return len(rows)


def created_step(
    dialect: Any, entity: str, rows: Sequence[tuple[int, str | None, str | None]], *, batch_id: int | None
) -> tuple[str, Any]:
    """The SQLite statement that records the creation of many records, one entry each exactly as
    :func:`record_many` would write them: ``rows`` are (id, name, details). For a bulk writer's
    helper thread (see :func:`crm.bulk.json_insert`)."""
    return json_insert(
        table_of(AuditEntry),
        dialect,
        ("entity_id", "new_value", "details"),
        rows,
        {
            "at": utcnow(),
            "user": current_user(),
            "action": "create",
            "entity": entity,
            "field": None,
            "old_value": None,
            "import_batch_id": batch_id,
        },
    )


def history(session: Session, entity: str, entity_id: int, limit: int = 500) -> list[AuditEntry]:
    """Newest first: what changed on one record, by whom and when."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
    )
