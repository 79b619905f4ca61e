"""No lost update: every editable record carries a version, raised by one on every change.

A form remembers the version it showed; saving passes it back as ``expected_version`` and the
service *claims* the record with one compare-and-set statement (``UPDATE … SET version = version
+ 1 WHERE id = … AND version = …``). When someone else saved in between, no row matches and the
save is refused with :class:`~crm.errors.StaleEdit`, saying who changed what and when (from the
audit log); nothing is written. The statement also takes the row's write lock, so on PostgreSQL
two staff saving at the same moment cannot both pass the check.

Bulk actions and imports raise the versions of every record they touch with :func:`bump_many`, in
the same set-based statement style: a form opened before a bulk action then refuses to overwrite it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.errors import NotFoundError, StaleEdit
from crm.models import AuditEntry

_CHUNK = 900  # stays under every SQLite build's bound-parameter limit


def bump_values(model: Any) -> dict[str, Any]:
    """The ``.values(...)`` that raise the version within a set-based UPDATE of ``model``."""
    return {"version": model.version + 1}


def bump_many(session: Session, model: Any, ids: Sequence[int]) -> None:
    """Raise the version of these records by one (bulk actions, imports)."""
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), _CHUNK):
        part = unique[start : start + _CHUNK]
        session.execute(
            update(model).where(model.id.in_(part)).values(**bump_values(model)),
            execution_options={"synchronize_session": False},
        )


def claim(session: Session, model: Any, row_id: int, expected: int | None, *, entity: str, name: str) -> int:
    """Take the record for a change based on version ``expected``; returns the new version.

    ``expected`` None means "whatever is there now" (undo, scripts): the version is raised anyway.

    Raises:
        StaleEdit: the record has changed since the form showed version ``expected``.
        NotFoundError: there is no such record.
    """
    where = [model.id == row_id]
    if expected is not None:
        where.append(model.version == expected)
    result = session.execute(
        update(model).where(*where).values(**bump_values(model)).returning(model.version),
        execution_options={"synchronize_session": False},
    )
    new = result.scalar_one_or_none()
    if new is not None:
        obj = session.identity_map.get(session.identity_key(model, row_id)) if session.identity_map else None
        if obj is not None:
            from sqlalchemy.orm.attributes import set_committed_value

            set_committed_value(obj, "version", new)
        return int(new)
    current = session.execute(select(model.version).where(model.id == row_id)).scalar_one_or_none()
    if current is None:
        raise NotFoundError(f"There is no {entity} with id {row_id}.")
    raise stale_edit(session, entity, row_id, name)


def _when(at: dt.datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone()
    return f"{at:%H:%M} on {at.day} {at:%B %Y}"


def stale_edit(session: Session, entity: str, row_id: int, name: str, *, limit: int = 5) -> StaleEdit:
    """The refusal for a stale save of ``name``, with the latest change from the audit log."""
    entries = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == row_id)
            .order_by(AuditEntry.id.desc())
            .limit(50)
        )
    )
    changes: list[str] = []
    latest = entries[0] if entries else None
    if latest is not None:
        # The latest change: the entries written by the same user in the same moment.
        same = [e for e in entries if e.user == latest.user and abs((e.at - latest.at).total_seconds()) < 2]
        for e in same[:limit]:
            if e.field:
                changes.append(f"{e.field.replace('_', ' ')} to “{e.new_value or ''}”")
            else:
                changes.append(e.action)
    if latest is None:
        who = "Someone else changed it"
    else:
        what = ", ".join(dict.fromkeys(changes)) or latest.action
        who = f"{latest.user} changed it at {_when(latest.at)} ({what})"
    return StaleEdit(
        f"{name} was changed by someone else after you opened it: {who}. Nothing was saved; "
        "reload to see their change, and what you typed is kept so you can apply it again.",
        changes=changes,
    )
