"""The import engine: plan (a dry run that changes nothing), apply (one transaction), undo.

    table = read_table(path)
    mapping = suggest_mapping(table.headers, rows=[r for _, r in table.data_rows[:200]])
    with db.session() as session:
        plan = plan_import(session, table, mapping, ImportOptions())      # what would happen, row by row
    result = apply_import(db, table, mapping, ImportOptions(), progress=..., should_cancel=...)
    undo_import(db, result.batch_id)

Duplicates are found with a few set-based queries (emails lower-cased in bulk, then names), never
one query per row: same email (case-insensitive); else same name and organisation; else same name
and postcode. Matching by name is skipped when both records have different email addresses (they
are then two people who share a name). A blank cell never erases a stored value.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.db import Database
from crm.errors import UserError
from crm.importing import consent as import_consent
from crm.importing.matching import _match
from crm.importing.plan import (
    _BOOL_FIELDS,
    _UPDATABLE,
    ImportOptions,
    ImportPlan,
    ImportResult,
    Progress,
    RowPlan,
    ShouldCancel,
    _tick,
)
from crm.importing.reader import Table
from crm.importing.rows import _check_mapping, _clean_rows
from crm.importing.writing import write_plan
from crm.matching.keys import org_key as _org_key
from crm.models import (
    AuditEntry,
    Membership,
    Network,
    Organisation,
    Person,
    PersonTag,
    PersonType,
    Suppression,
    Tag,
)
from crm.services.organisations import organisations_by_key
from crm.text import organisation_key
from crm.util import chunked, gc_paused

# --- Planning -----------------------------------------------------------------------------------


@gc_paused()
def plan_import(
    session: Session,
    table: Table,
    mapping: Mapping[int, str],
    options: ImportOptions | None = None,
    *,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
    release_rows: bool = False,
) -> ImportPlan:
    """Work out, row by row, what importing would do. Reads the database, changes nothing.

    With ``release_rows`` the caller will not read the table's data rows again (the command line
    without a problems report): their cells are let go as soon as they are cleaned, so a long
    list's sheet and its plans are never all in memory together. The table keeps its headings and
    its number of rows; its data rows then read as blank. Ignored when a consent column is chosen
    (its answers are read from the table after the import).
    """
    started = time.perf_counter()
    options = options or ImportOptions()
    mapping = {int(i): f for i, f in mapping.items() if f}
    if not table.data_rows:
        raise UserError(
            f"{table.file_name}: there are no rows under the headings on row {table.header_row_number}."
        )
    _check_mapping(table, mapping)
    import_consent.check_options(table, options)  # data protection
    headers = table.headers
    data = table.data_rows
    total = len(data)
    release = release_rows and options.consent_column is None and options.consent_date_column is None
    rows = _clean_rows(table, headers, data, mapping, options, progress, should_cancel, release=release)
    del data
    plan = ImportPlan(
        file_name=table.file_name,
        sha256=table.sha256,
        sheet=table.sheet,
        headers=headers,
        mapping=dict(mapping),
        options=options,
        rows=rows,
    )
    _tick(progress, should_cancel, total, total)
    plan.snapshot = database_snapshot(session)
    _match(session, plan)
    _decide(session, plan)
    _resolve_organisations_and_networks(session, plan)
    plan.seconds = time.perf_counter() - started
    return plan


def database_snapshot(session: Session) -> tuple[Any, ...]:
    """A cheap fingerprint of what a plan depends on. Every change Kindred makes writes an audit
    entry; the counts and latest edit time also catch changes made some other way."""
    return (
        session.scalar(select(func.max(AuditEntry.id))),
        session.scalar(select(func.count(Person.id))),
        session.scalar(select(func.max(Person.updated_at))),
        session.scalar(select(func.count(Organisation.id))),
        session.scalar(select(func.count(Network.id))),
        session.scalar(select(func.count(Suppression.id))),
    )


def _plan_still_holds(
    session: Session, plan: ImportPlan, table: Table, mapping: Mapping[int, str], options: ImportOptions
) -> bool:
    """Whether a dry run's plan is exactly what planning again now would give."""
    return (
        plan.snapshot is not None
        and plan.sha256 == table.sha256
        and plan.sheet == table.sheet
        and plan.headers == table.headers
        and len(plan.rows) == len(table.data_rows)
        and plan.mapping == {int(i): f for i, f in mapping.items() if f}
        and plan.options == options
        and plan.snapshot == database_snapshot(session)
    )


def _plan_for(
    session: Session,
    plan: ImportPlan | None,
    table: Table,
    mapping: Mapping[int, str],
    options: ImportOptions,
    progress: Progress | None,
    should_cancel: ShouldCancel | None,
    release_rows: bool,
) -> ImportPlan:
    """A dry run's ``plan`` when it still holds (see :func:`_plan_still_holds`), else a new one."""
    if plan is not None and _plan_still_holds(session, plan, table, mapping, options):
        return plan
    return plan_import(
        session,
        table,
        mapping,
        options,
        progress=progress,
        should_cancel=should_cancel,
        release_rows=release_rows,
    )


def _decide(session: Session, plan: ImportPlan) -> None:
    options = plan.options
    # Only the rows later rows are duplicates of (a long list's every row would be a big map).
    firsts = {r.duplicate_of_row for r in plan.rows if r.duplicate_of_row is not None}
    by_row = {r.row: r for r in plan.rows if r.row in firsts}
    matched_ids = sorted({r.person_id for r in plan.rows if r.person_id is not None})
    current: dict[int, dict[str, Any]] = {}
    cols = [getattr(Person, f) for f in _UPDATABLE]
    for part in chunked(matched_ids):
        for row in session.execute(
            select(Person.id, Person.first_name, Person.last_name, *cols).where(Person.id.in_(part))
        ):
            current[row[0]] = dict(zip(_UPDATABLE, row[3:], strict=True)) | {
                "_name": " ".join(p for p in (row[1], row[2]) if p) or f"person {row[0]}"
            }
    have = _links_held(session, matched_ids)
    for r in plan.rows:
        if r.action == "reject" or not r.is_duplicate:
            continue
        action = options.row_actions.get(r.row, options.on_duplicate)
        if r.duplicate_of_row is not None:
            first = by_row[r.duplicate_of_row]
            if action == "create":
                r.action = "create"
            elif action == "skip":
                r.action = "skip"
                r.reasons += (f"the same person as row {first.row}",)
            else:
                _merge_into(first, r, overwrite=action == "overwrite")
                r.action = "skip"
                r.reasons += (
                    f"merged into row {first.row} ({r.match.split(' as row')[0]})" if r.match else "merged",
                )
            continue
        assert r.person_id is not None
        existing = current.get(r.person_id, {})
        r.person_name = existing.get("_name")
        if action == "create":
            r.action = "create"
        elif action == "skip":
            r.action = "skip"
            r.reasons += (f"already in Kindred as {r.person_name} ({r.match})",)
        else:
            r.action = "update"
            r.changes = _changes(existing, r, overwrite=action == "overwrite")
            # Networks, tags and types the person already has are nothing new.
            pid = r.person_id
            r.networks = tuple(n for n in r.networks if (pid, "network", n[0].lower()) not in have)
            r.tags = tuple(t for t in r.tags if (pid, "tag", t.lower()) not in have)
            r.types = tuple(t for t in r.types if (pid, "type", t) not in have)
            if not r.changes and not (
                r.networks
                or r.tags
                or r.types
                or r.elected
                or plan.options.consent_purpose
                or r.network_extras
            ):
                r.action = "skip"
                r.reasons += (f"already in Kindred as {r.person_name}, nothing new",)


def _links_held(session: Session, person_ids: Sequence[int]) -> set[tuple[int, str, str]]:
    """(person, "network"/"tag"/"type", lower-cased name) for what these people already have:
    active memberships, tags and stakeholder types."""
    held: set[tuple[int, str, str]] = set()
    for part in chunked(list(person_ids)):
        for pid, name in session.execute(
            select(Membership.person_id, Network.name)
            .join(Network, Network.id == Membership.network_id)
            .where(Membership.person_id.in_(part), Membership.status == "active")
        ):
            held.add((pid, "network", name.lower()))
        for pid, name in session.execute(
            select(PersonTag.person_id, Tag.name)
            .join(Tag, Tag.id == PersonTag.tag_id)
            .where(PersonTag.person_id.in_(part))
        ):
            held.add((pid, "tag", name.lower()))
        for pid, type_ in session.execute(
            select(PersonType.person_id, PersonType.type).where(PersonType.person_id.in_(part))
        ):
            held.add((pid, "type", type_))
    return held


def _merge_into(first: RowPlan, later: RowPlan, *, overwrite: bool) -> None:
    for key, value in later.values.items():
        if value is None or value == "":
            continue
        if overwrite or first.values.get(key) in (None, ""):
            first.values[key] = value
    if later.organisation and (overwrite or not first.organisation):
        first.organisation = later.organisation
    for item in later.networks:
        if item[0].lower() not in {n.lower() for n, _, _ in first.networks}:
            first.networks += (item,)
    for t in later.tags:
        if t.lower() not in {x.lower() for x in first.tags}:
            first.tags += (t,)
    for t in later.types:
        if t not in first.types:
            first.types += (t,)
    if later.network_extras and (overwrite or not first.network_extras):
        first.network_extras = later.network_extras
    if later.elected and (overwrite or not first.elected):
        first.elected = later.elected


def _changes(existing: Mapping[str, Any], r: RowPlan, *, overwrite: bool) -> dict[str, tuple[Any, Any]]:
    """The fields an update would change. Blank cells never erase; "fill" only fills empty fields."""
    out: dict[str, tuple[Any, Any]] = {}
    for key, new in r.values.items():
        if key.startswith("_") or new is None or new == "" or key not in existing:
            continue
        old = existing[key]
        if key in _BOOL_FIELDS:
            # Yes/no preferences only ever tighten: an import never clears a do-not-contact.
            if new and not old:
                out[key] = (old, True)
            continue
        if old == new:
            continue
        if old in (None, "") or overwrite:
            out[key] = (old, new)
    if r.organisation:
        out["organisation_id"] = (existing.get("organisation_id"), r.organisation)  # resolved later
    return out


def _resolve_organisations_and_networks(session: Session, plan: ImportPlan) -> None:
    """Organisations are matched by name key and created once; networks by name."""
    keys: dict[str, str] = {}
    for r in plan.rows:
        if r.organisation and r.action in ("create", "update"):
            keys.setdefault(_org_key(r.organisation), r.organisation)
    # Former names of merged organisations (aliases) match too.
    existing = {key: oid for key, (oid, _name) in organisations_by_key(session, keys).items()}
    plan.new_organisations = sorted(name for key, name in keys.items() if key not in existing)
    for r in plan.rows:
        if r.action != "update" or "organisation_id" not in r.changes:
            continue
        old, name = r.changes["organisation_id"]
        key = organisation_key(name)
        new_id = existing.get(key)
        if (new_id is not None and new_id == old) or (
            old is not None and plan.options.row_actions.get(r.row, plan.options.on_duplicate) != "overwrite"
        ):
            del r.changes["organisation_id"]
        else:
            r.changes["organisation_id"] = (old, name)
        if not r.changes and not (
            r.networks or r.tags or r.types or r.elected or plan.options.consent_purpose or r.network_extras
        ):
            r.action = "skip"
            r.reasons += (f"already in Kindred as {r.person_name}, nothing new",)
    names = {n.lower(): n for r in plan.rows if r.action in ("create", "update") for n, _, _ in r.networks}
    found = {
        n.lower()
        for part in chunked(sorted(names))
        for n in session.scalars(select(Network.name).where(func.lower(Network.name).in_(part)))
    }
    plan.new_networks = sorted(v for k, v in names.items() if k not in found)


# --- Applying -----------------------------------------------------------------------------------


@gc_paused()
def apply_import(
    db: Database,
    table: Table,
    mapping: Mapping[int, str],
    options: ImportOptions | None = None,
    *,
    plan: ImportPlan | None = None,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
    release_rows: bool = False,
) -> ImportResult:
    """Import in one transaction: everything is written, or (on any error or Cancel) nothing.

    The plan is worked out inside the transaction, so it matches the database exactly. A dry run's
    ``plan`` is used instead when the file, mapping and options are the same and the database has
    not changed since (the wizard's summary page is then not worked out twice); a plan is written
    at most once. ``release_rows``: see :func:`plan_import`.

    Raises:
        Cancelled: ``should_cancel`` returned true; the database is unchanged.
    """
    started = time.perf_counter()
    options = options or ImportOptions()
    from crm.backups import start_automatic_backup

    # A copy to go back to (File → Restore from backup…) whatever the import turns out to do: the
    # database as it is now, copied on the other core while the import is worked out and written.
    backup = start_automatic_backup(db, f"before importing {table.file_name}")
    try:
        with db.transaction(bulk=True) as session:
            total_rows = max(len(table.data_rows), 1)

            def plan_progress(done: int, total: int) -> None:
                if progress is not None:
                    progress(done * 3 // 10, total_rows)

            plan = _plan_for(
                session, plan, table, mapping, options, plan_progress, should_cancel, release_rows
            )
            batch_id = write_plan(
                session, plan, progress=progress, should_cancel=should_cancel, base=total_rows * 3 // 10
            )
            # Consent from a yes/no column of the file.
            import_consent.record_column_consents(session, table, plan, batch_id)
            # Nothing is kept unless the copy was made: a failed copy stops the import as before.
            backup.result()
    finally:
        backup.wait()
    counts = plan.counts
    return ImportResult(
        batch_id=batch_id,
        created=counts["created"],
        updated=counts["updated"],
        skipped=counts["skipped"],
        rejected=counts["rejected"],
        flagged=counts["flagged"],
        seconds=time.perf_counter() - started,
        plan=plan,
    )


@gc_paused()
def dry_run(
    db: Database,
    table: Table,
    mapping: Mapping[int, str],
    options: ImportOptions | None = None,
    *,
    plan: ImportPlan | None = None,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
    release_rows: bool = False,
) -> ImportResult:
    """The plan as a result with no batch: nothing is written. An earlier dry run's ``plan`` is
    given back as it is when nothing it depends on has changed (going back and forth in the wizard).
    ``release_rows``: see :func:`plan_import`."""
    started = time.perf_counter()
    options = options or ImportOptions()
    with db.session() as session:
        plan = _plan_for(session, plan, table, mapping, options, progress, should_cancel, release_rows)
    return ImportResult(
        batch_id=None, seconds=time.perf_counter() - started, plan=plan, dry_run=True, **plan.counts
    )
