"""Import history and undo."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.db import Database
from crm.errors import ConflictError, NotFoundError
from crm.importing import consent as import_consent
from crm.importing.cohorts import undo_network_extras
from crm.importing.plan import (
    _BOOL_FIELDS,
    BatchInfo,
    ImportConflict,
    Progress,
    ShouldCancel,
    UndoResult,
    _tick,
)
from crm.importing.writing import WRITE_CHUNK
from crm.models import (
    Attendance,
    AuditEntry,
    Consent,
    ContactPoint,
    ElectedRole,
    ImportBatch,
    InteractionPerson,
    Membership,
    Organisation,
    Person,
    PersonTag,
    PersonType,
    utcnow,
)
from crm.services.people import (
    refresh_derived,
)
from crm.util import chunked, gc_paused

# --- History and undo ---------------------------------------------------------------------------


def list_batches(session: Session, limit: int = 200) -> list[BatchInfo]:
    """Past imports, newest first."""
    rows = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit))
    return [
        BatchInfo(
            id=b.id,
            file_name=b.file_name,
            sheet=b.sheet,
            started_at=b.started_at,
            user=b.user,
            created=b.created,
            updated=b.updated,
            skipped=b.skipped,
            rejected=b.rejected,
            flagged=b.flagged,
            undone_at=b.undone_at,
        )
        for b in rows
    ]


def _from_text(field_: str, value: str | None) -> Any:
    """An audit value back to the column's type."""
    if value is None:
        return None
    if field_ in _BOOL_FIELDS:
        return value in ("true", "True", "1")
    if field_ == "organisation_id":
        return int(value)
    if field_ == "last_contacted":
        return dt.date.fromisoformat(value)
    return value


@gc_paused()
def undo_import(
    db: Database,
    batch_id: int,
    *,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> UndoResult:
    """Take an import back: created people removed, changed fields restored, links removed.

    People the import created are removed outright (they did not exist before it); organisations it
    created go too unless someone else has joined them since.

    Raises:
        NotFoundError: no such import.
        ImportConflict: later edits touch what the import did (the message lists them); nothing changed.
    """
    started = time.perf_counter()
    from crm.backups import start_automatic_backup

    # The database as it is now, copied on a helper thread while the undo is worked out.
    backup = start_automatic_backup(db, f"before undoing import {batch_id}")
    try:
        with db.transaction(bulk=True) as session:
            batch = session.get(ImportBatch, batch_id)
            if batch is None:
                raise NotFoundError(f"There is no import {batch_id}.")
            if batch.undone_at is not None:
                raise ConflictError(f"Import {batch_id} ({batch.file_name}) was already undone.")
            if (batch.options or {}).get("kind") == "roster":  # roles it ended need crm.roster's undo
                raise ConflictError(
                    f"{batch_id} ({batch.file_name}) was a roster refresh: undo it with kindred-cli roster-undo {batch_id}."
                )
            last_entry = (
                session.scalar(select(func.max(AuditEntry.id)).where(AuditEntry.import_batch_id == batch_id))
                or 0
            )
            created_ids = list(session.scalars(select(Person.id).where(Person.import_batch_id == batch_id)))
            field_changes = session.execute(
                select(AuditEntry.entity_id, AuditEntry.field, AuditEntry.old_value, AuditEntry.new_value)
                .where(
                    AuditEntry.import_batch_id == batch_id,
                    AuditEntry.action == "update",
                    AuditEntry.entity == "person",
                )
                .order_by(AuditEntry.id)
            ).all()
            _tick(progress, should_cancel, 1, 4)
            conflicts = _undo_conflicts(session, batch_id, last_entry, created_ids, field_changes)
            if conflicts:
                shown = "; ".join(conflicts[:10])
                more = f" and {len(conflicts) - 10} more" if len(conflicts) > 10 else ""
                raise ImportConflict(
                    f"Import {batch_id} ({batch.file_name}) cannot be undone: later edits conflict — {shown}{more}.",
                    conflicts,
                )
            undo_entries: list[dict[str, Any]] = []
            links = 0
            # Consents a "no" in the file withdrew are given back.
            import_consent.undo_withdrawals(session, batch_id)
            for model in (Membership, PersonTag, PersonType, Consent):
                result = session.execute(delete(model).where(model.import_batch_id == batch_id))
                links += result.rowcount or 0  # type: ignore[attr-defined]
            links += undo_network_extras(session, batch_id)
            role_ids = list(
                session.scalars(
                    select(AuditEntry.entity_id).where(
                        AuditEntry.import_batch_id == batch_id,
                        AuditEntry.entity == "elected_role",
                        AuditEntry.action == "create",
                    )
                )
            )
            for part in chunked([i for i in role_ids if i is not None]):
                links += session.execute(delete(ElectedRole).where(ElectedRole.id.in_(part))).rowcount or 0  # type: ignore[attr-defined]
            _tick(progress, should_cancel, 2, 4)
            # Contact points the import added (its people's and labelled ones for people it updated);
            # restoring the fields below puts the preferred ones back in step.
            session.execute(delete(ContactPoint).where(ContactPoint.import_batch_id == batch_id))
            # Restore changed fields to the values they had before the import.
            restore: dict[int, dict[str, Any]] = defaultdict(dict)
            for pid, field_, old, new in field_changes:
                if pid is None or field_ is None or (pid in restore and field_ in restore[pid]):
                    continue
                restore[pid][field_] = _from_text(field_, old)
                undo_entries.append(
                    {
                        "action": "undo",
                        "entity": "person",
                        "entity_id": pid,
                        "field": field_,
                        "old": new,
                        "new": old,
                    }
                )
            created_set = set(created_ids)
            restore = defaultdict(dict, {pid: v for pid, v in restore.items() if pid not in created_set})
            now = utcnow()
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
            for pid, values in restore.items():
                item = {"id": pid, **values, "updated_at": now}
                groups[tuple(sorted(item))].append(item)
            for items in groups.values():
                for batch_part in chunked(items, WRITE_CHUNK):
                    session.execute(update(Person), list(batch_part))
            refresh_derived(session, list(restore))
            _tick(progress, should_cancel, 3, 4)
            for part in chunked(created_ids):
                session.execute(delete(Person).where(Person.id.in_(part)))
            undo_entries.extend(
                {"action": "undo", "entity": "person", "entity_id": pid, "field": "created"}
                for pid in created_ids
            )
            # Organisations the import created, unless someone else belongs to them now.
            for oid in list(
                session.scalars(select(Organisation.id).where(Organisation.import_batch_id == batch_id))
            ):
                in_use = session.scalar(select(func.count(Person.id)).where(Person.organisation_id == oid))
                if in_use:
                    session.execute(
                        update(Organisation).where(Organisation.id == oid).values(import_batch_id=None)
                    )
                else:
                    session.execute(delete(Organisation).where(Organisation.id == oid))
                    undo_entries.append(
                        {"action": "undo", "entity": "organisation", "entity_id": oid, "field": "created"}
                    )
            audit.record_many(session, undo_entries, batch_id=batch_id)
            batch.undone_at = utcnow()
            audit.record(
                session, "undo", "import_batch", batch_id, details=batch.file_name, batch_id=batch_id
            )
            _tick(progress, should_cancel, 4, 4)
            # Nothing is kept unless the copy was made.
            backup.result()
    finally:
        backup.wait()
    return UndoResult(
        batch_id=batch_id,
        removed=len(created_ids),
        restored=len(restore),
        links_removed=links,
        seconds=time.perf_counter() - started,
    )


def _undo_conflicts(
    session: Session,
    batch_id: int,
    last_entry: int,
    created_ids: list[int],
    field_changes: Iterable[Any],
) -> list[str]:
    """Later edits that an undo would overwrite or orphan, described for people."""
    changed_fields: dict[int, set[str]] = defaultdict(set)
    for pid, field_, _old, _new in field_changes:
        if pid is not None and field_:
            changed_fields[pid].add(field_)
    created = set(created_ids)
    watched = sorted(created | set(changed_fields))
    conflicts: list[str] = []
    names: dict[int, str] = {}
    later: list[tuple[int, str, str | None, dt.datetime, str | None]] = []
    for part in chunked(watched):
        later.extend(
            session.execute(
                select(
                    AuditEntry.entity_id, AuditEntry.action, AuditEntry.field, AuditEntry.at, AuditEntry.user
                )
                .where(
                    AuditEntry.entity == "person",
                    AuditEntry.entity_id.in_(part),
                    AuditEntry.id > last_entry,
                    (AuditEntry.import_batch_id.is_(None)) | (AuditEntry.import_batch_id != batch_id),
                    AuditEntry.action.notin_(("delete", "restore", "export")),
                )
                .order_by(AuditEntry.id)
            ).all()  # type: ignore[arg-type]
        )
    for pid, action, field_, at, user in later:
        if pid in created or (action == "update" and field_ in changed_fields.get(pid, set())):
            what = f"{(field_ or 'record').replace('_', ' ')} {'changed' if action == 'update' else action + 'ed'}"
            conflicts.append(
                f"{_name(session, pid, names)}: {what} on {at:%d/%m/%Y %H:%M} by {user or 'someone'}"
            )
    if created:
        for part in chunked(sorted(created)):
            for pid in session.scalars(
                select(InteractionPerson.person_id).where(InteractionPerson.person_id.in_(part)).distinct()
            ):
                conflicts.append(f"{_name(session, pid, names)}: has interactions recorded since the import")
            for pid in session.scalars(
                select(Attendance.person_id).where(Attendance.person_id.in_(part)).distinct()
            ):
                conflicts.append(
                    f"{_name(session, pid, names)}: has event attendance recorded since the import"
                )
    return conflicts


def _name(session: Session, pid: int, cache: dict[int, str]) -> str:
    if pid not in cache:
        row = session.execute(
            select(Person.first_name, Person.last_name, Person.email).where(Person.id == pid)
        ).first()
        cache[pid] = (
            (" ".join(p for p in (row[0], row[1]) if p) or row[2] or f"person {pid}")
            if row
            else f"person {pid}"
        )
    return cache[pid]
