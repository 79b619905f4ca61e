"""Writing a plan: new people in bulk, updates, links, elected roles, consents, audit."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import (
    BULK_INDEX_THRESHOLD,
    BulkPeopleWriter,
    Step,
    driver_value,
    insert_rows,
    json_insert,
    sqlite_has_json,
)
from crm.errors import ValidationError
from crm.importing import channels
from crm.importing.cohorts import write_network_extras
from crm.importing.mapping import describe_mapping
from crm.importing.plan import ImportOptions, ImportPlan, Progress, RowPlan, ShouldCancel, _tick
from crm.matching.keys import org_key as _org_key
from crm.models import (
    Consent,
    ElectedRole,
    ImportBatch,
    Membership,
    Person,
    PersonTag,
    PersonType,
    table_of,
    utcnow,
)
from crm.services import networks, tags
from crm.services.channels import insert_for_id_range, insert_for_import
from crm.services.organisations import create_organisation, organisations_by_key
from crm.services.people import (
    add_types,
    insert_prepared_people,
    prepare_people,
    refresh_derived,
    suppress_emails,
)
from crm.text import organisation_key
from crm.util import chunked

WRITE_CHUNK = 5_000
_BULK_KEY = "kindred_bulk_writer"


def begin_bulk(session: Session, expected_rows: int) -> None:
    """Make the caller's transaction ready to write about ``expected_rows`` new people, in one or
    more calls of :func:`write_plan`; :func:`finish_bulk` must follow in the same transaction.

    On SQLite, from 500 new people, the search index's per-row trigger is set aside (the index is
    filled in bulk as people are written) and, when they are many beside the people already
    stored, the people table's non-unique indexes are dropped, to be built once by
    :func:`finish_bulk` (see :class:`~crm.bulk.BulkPeopleWriter`). Until then, find
    people by id or with queries that read the whole table once. :func:`write_plan` calls these
    two itself when they were not called; a second ``begin_bulk`` does nothing.
    """
    if _BULK_KEY in session.info:
        return
    writer = BulkPeopleWriter(session, active=expected_rows >= BULK_INDEX_THRESHOLD, expected=expected_rows)
    writer.__enter__()
    session.info[_BULK_KEY] = writer


def finish_bulk(session: Session) -> None:
    """End what :func:`begin_bulk` began: the search trigger is put back and the dropped indexes
    are built again (with the query planner's statistics), in the caller's transaction."""
    writer = session.info.pop(_BULK_KEY, None)
    if writer is not None:
        writer.__exit__(None, None, None)


def write_plan(
    session: Session,
    plan: ImportPlan,
    *,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
    base: int = 0,
) -> int:
    """Carry out a plan in the caller's transaction. Returns the import batch id."""
    options = plan.options
    plan.snapshot = None  # writing changes the rows' plans: never write this plan again
    total = base + len(plan.rows) + 1
    counts = plan.counts
    batch = ImportBatch(
        file_name=plan.file_name[:500],
        sha256=plan.sha256,
        sheet=plan.sheet,
        started_at=utcnow(),
        user=audit.current_user(),
        options={**options.as_json(), "mapping": describe_mapping(plan.headers, plan.mapping)},
        **counts,
    )
    session.add(batch)
    session.flush()
    batch_id = batch.id
    default_source = f"Import: {plan.file_name}"[:300]
    now = utcnow()

    # Organisations: each new one created once.
    org_ids: dict[str, int] = {}
    org_names: dict[int, str] = {}
    keys = {
        _org_key(r.organisation) for r in plan.rows if r.organisation and r.action in ("create", "update")
    }
    for key, (oid, name) in organisations_by_key(session, keys).items():
        org_ids[key] = oid
        org_names[oid] = name
    for name in plan.new_organisations:
        key = organisation_key(name)
        if key not in org_ids:
            org = create_organisation(session, name=name, source=default_source, batch_id=batch_id)
            org_ids[key] = org.id
            org_names[org.id] = org.name

    # Networks and tags named anywhere in the file: found or created once each.
    live_rows = [r for r in plan.rows if r.action in ("create", "update")]
    net_ids: dict[str, int] = {}
    for r in live_rows:
        for name, _, _ in r.networks:
            if name.lower() not in net_ids:
                network, created = networks.get_or_create_network(session, name)
                net_ids[name.lower()] = network.id
                if created:
                    audit.record(
                        session, "create", "network", network.id, new=network.name, batch_id=batch_id
                    )
    tag_ids: dict[str, tuple[int, str]] = {}
    for r in live_rows:
        for t in r.tags:
            if t.lower() not in tag_ids:
                tag = tags.get_or_create_tag(session, t)
                tag_ids[t.lower()] = (tag.id, tag.name)

    # New people, in chunks so Cancel is noticed and progress moves. Their memberships, tags and
    # types are written with them and described in their one "create" audit entry.
    creates = [r for r in plan.rows if r.action == "create"]
    done = base
    today = dt.date.today()
    writer = session.info.get(_BULK_KEY)
    own = writer is None
    if own:
        begin_bulk(session, len(creates))
        writer = session.info[_BULK_KEY]
    assert isinstance(writer, BulkPeopleWriter)

    def tick(rows: int) -> None:
        nonlocal done
        _tick(progress, should_cancel, done, total)
        done += rows

    # People already in Kindred first: while a bulk write has the search index's merging paused,
    # their new search text costs a few entries; with it resumed, it would set the index merging
    # the segments the new people were just written in (measured at 628 updated beside 99,000 new
    # people, one UPDATE each: 0.84 s after the new people, 0.36 s before them).
    updates = [r for r in plan.rows if r.action == "update"]
    try:
        _write_updates(session, updates, org_ids, batch_id, now, tick)
        chunks = list(chunked(creates, WRITE_CHUNK))
        ready = _prepare_created(chunks[0], batch_id, default_source, org_ids, org_names) if chunks else []
        # With SQLite's JSON functions the links and history go to the helper too, as JSON (see
        # crm.bulk.json_insert); otherwise they are written here once the helper is done.
        links_on_helper = writer.active and sqlite_has_json()
        dialect = session.get_bind().dialect
        for k, chunk in enumerate(chunks):
            _tick(progress, should_cancel, done, total)
            if writer.active:
                # The helper stores the people, their search index entries and their contact
                # points (from their columns) while this thread builds their links and history,
                # which it then hands to the helper too, and the next chunk.
                ids = writer.insert_people(ready, functools.partial(_contact_points, batch_id=batch_id))
            else:
                ids = insert_prepared_people(session, ready)
            links = _created_links(plan, chunk, ids, net_ids, tag_ids, today)
            if links_on_helper:
                writer.also(_link_steps(dialect, links, batch_id, now))
            if k + 1 < len(chunks):
                ready = _prepare_created(chunks[k + 1], batch_id, default_source, org_ids, org_names)
            if not links_on_helper:
                writer.wait()
                _write_links(session, links, batch_id, now)
            done += len(chunk)
        writer.wait()
    except BaseException:
        # Leave the connection idle for the rollback; the transaction is being abandoned.
        abandoned = session.info.pop(_BULK_KEY, None)
        if abandoned is not None:
            abandoned.__exit__(*sys.exc_info())
        raise
    contact_points_written = writer.active
    if own:
        finish_bulk(session)

    # Contact points: new people's from their columns (unless the bulk writer stored them with
    # the people), then every row's labelled ones.
    if not contact_points_written:
        insert_for_import(session, batch_id)
    if any(r.channels for r in live_rows):
        refresh_derived(session, channels.write_channels(session, live_rows, batch_id))
    _suppress_do_not_contact(session, [r.person_id for r in live_rows if r.values.get("do_not_contact")])
    imported = [r for r in live_rows if r.person_id is not None]
    _tick(progress, should_cancel, done, total)

    # People already in Kindred join networks, gain tags and types through the services.
    groups_net: dict[tuple[int, str, dt.date | None], list[int]] = defaultdict(list)
    by_tag: dict[str, list[int]] = defaultdict(list)
    by_type: dict[str, list[int]] = defaultdict(list)
    for r in updates:
        assert r.person_id is not None
        for name, role, joined in r.networks:
            groups_net[(net_ids[name.lower()], role, joined)].append(r.person_id)
        for t in r.tags:
            by_tag[tag_ids[t.lower()][1]].append(r.person_id)
        for t in r.types:
            by_type[t].append(r.person_id)
    for (nid, role, joined), ids in groups_net.items():
        networks.add_members(session, nid, ids, role=role, joined_on=joined, batch_id=batch_id)
    for name, ids in by_tag.items():
        tags.tag_people(session, ids, name, batch_id=batch_id)
    for type_, ids in by_type.items():
        add_types(session, ids, type_, batch_id=batch_id)

    # Their periods, cohorts and working groups.
    write_network_extras(session, plan, batch_id)

    # Elected roles (party and constituency with a known chamber).
    _add_elected_roles(session, [r for r in imported if r.elected], batch_id)

    # Consent, for everyone imported who is not on the do-not-contact list.
    if options.consent_purpose:
        consenting = [r.person_id for r in imported if not r.values.get("do_not_contact")]
        _add_consents(session, consenting, options, batch_id)  # type: ignore[arg-type]

    batch.finished_at = utcnow()
    audit.record(
        session,
        "import",
        "import_batch",
        batch_id,
        new=f"{counts['created']} created, {counts['updated']} updated",
        batch_id=batch_id,
        details=plan.file_name,
    )
    _tick(progress, should_cancel, total, total)
    return batch_id


def _write_updates(
    session: Session,
    updates: Sequence[RowPlan],
    org_ids: Mapping[str, int],
    batch_id: int,
    now: dt.datetime,
    tick: Callable[[int], None],
) -> None:
    """People already in Kindred: their changed fields, each recorded with its old value so undo
    can restore it, then what they are found and sorted by."""
    changed: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for r in updates:
        if "organisation_id" in r.changes:
            # A new dict, swapped in whole: a dry run's plan may be on show in the window meanwhile.
            changes = dict(r.changes)
            old, name = changes["organisation_id"]
            new_id = org_ids.get(_org_key(name))
            if new_id is None or new_id == old:
                del changes["organisation_id"]
            else:
                changes["organisation_id"] = (old, new_id)
            r.changes = changes
        if not r.changes:
            continue
        assert r.person_id is not None
        changed.append(
            {"id": r.person_id, **{k: new for k, (_, new) in r.changes.items()}, "updated_at": now}
        )
        entries.extend(
            {
                "action": "update",
                "entity": "person",
                "entity_id": r.person_id,
                "field": k,
                "old": old,
                "new": new,
            }
            for k, (old, new) in r.changes.items()
        )
    for items_part in chunked(changed, WRITE_CHUNK):
        tick(len(items_part))
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for item in items_part:
            groups[tuple(sorted(item))].append(item)
        for items in groups.values():
            session.execute(update(Person), items)
    audit.record_many(session, entries, batch_id=batch_id)
    refresh_derived(session, [c["id"] for c in changed], batch_id=batch_id)


def _prepare_created(
    chunk: Sequence[RowPlan],
    batch_id: int,
    default_source: str,
    org_ids: Mapping[str, int],
    org_names: Mapping[int, str],
) -> list[dict[str, Any]]:
    """One chunk of new people as rows to insert (pure Python)."""
    payload = []
    for r in chunk:
        # Row values hold person fields only (the row's role and joining date were taken out).
        item = {"source": default_source, **r.values}
        item["organisation_id"] = org_ids.get(_org_key(r.organisation)) if r.organisation else None
        payload.append(item)
    return prepare_people(payload, batch_id=batch_id, organisation_names=org_names)


@dataclass(slots=True)
class _Links:
    """New people's memberships (person, network, role, joined), tags (person, tag), types
    (person, type) and their one "create" history entry each (person, name, details)."""

    members: list[tuple[int, int, str, dt.date]] = field(default_factory=list)
    tags: list[tuple[int, int]] = field(default_factory=list)
    types: list[tuple[int, str]] = field(default_factory=list)
    history: list[tuple[int, str, str]] = field(default_factory=list)


def _created_links(
    plan: ImportPlan,
    chunk: Sequence[RowPlan],
    ids: Sequence[int],
    net_ids: Mapping[str, int],
    tag_ids: Mapping[str, tuple[int, str]],
    today: dt.date,
) -> _Links:
    """New people's memberships, tags and types, and their one "create" audit entry each (which
    carries the file, row, networks and tags into their history). Pure Python: rows of a list
    mostly share their networks, tags and types (often the very same tuples), so what follows
    from each combination is worked out once."""
    links = _Links()
    members, person_tags, person_types, history = links.members, links.tags, links.types, links.history
    head = f"imported from {plan.file_name}, row "
    # (networks, tags, types) → (memberships as (network, role, joined), tag ids, types, details' tail)
    shapes: dict[tuple[Any, Any, Any], tuple[list[tuple[int, str, dt.date]], list[int], list[str], str]] = {}
    for r, pid in zip(chunk, ids, strict=True):
        r.person_id = pid
        key = (r.networks, r.tags, r.types)
        shape = shapes.get(key)
        if shape is None:
            shape = shapes[key] = _shape(r, net_ids, tag_ids, today)
        nets, tag_list, type_list, tail = shape
        for nid, role, joined in nets:
            members.append((pid, nid, role, joined))
        for tid in tag_list:
            person_tags.append((pid, tid))
        for t in type_list:
            person_types.append((pid, t))
        history.append((pid, _display_name(r.values), f"{head}{r.row}{tail}"))
    return links


def _shape(
    r: RowPlan, net_ids: Mapping[str, int], tag_ids: Mapping[str, tuple[int, str]], today: dt.date
) -> tuple[list[tuple[int, str, dt.date]], list[int], list[str], str]:
    """What a new person's networks, tags and types give: memberships (each network once), tag
    ids (each once), types (each once) and the end of their history entry's details."""
    nets: list[tuple[int, str, dt.date]] = []
    seen_nets: set[int] = set()
    for name, role, joined in r.networks:
        nid = net_ids[name.lower()]
        if nid not in seen_nets:
            seen_nets.add(nid)
            nets.append((nid, role, joined or today))
    tag_list = list(dict.fromkeys(tag_ids[t.lower()][0] for t in r.tags))
    return nets, tag_list, list(dict.fromkeys(r.types)), _link_details(r)


def _link_steps(dialect: Any, links: _Links, batch_id: int, now: dt.datetime) -> list[Step]:
    """The statements that write new people's links and history, for the bulk writer's helper."""
    steps: list[Step] = []
    if links.members:
        table = table_of(Membership)
        joined = {d: driver_value(table, dialect, "joined_on", d) for d in {m[3] for m in links.members}}
        steps.append(
            json_insert(
                table,
                dialect,
                ("person_id", "network_id", "role", "joined_on"),
                [(pid, nid, role, joined[when]) for pid, nid, role, when in links.members],
                {"status": "active", "created_at": now, "updated_at": now, "import_batch_id": batch_id},
            )
        )
    if links.tags:
        steps.append(
            json_insert(
                table_of(PersonTag),
                dialect,
                ("person_id", "tag_id"),
                links.tags,
                {"import_batch_id": batch_id},
            )
        )
    if links.types:
        steps.append(
            json_insert(
                table_of(PersonType),
                dialect,
                ("person_id", "type"),
                links.types,
                {"import_batch_id": batch_id},
            )
        )
    if links.history:
        steps.append(audit.created_step(dialect, "person", links.history, batch_id=batch_id))
    return steps


def _write_links(session: Session, links: _Links, batch_id: int, now: dt.datetime) -> None:
    """Write new people's links and history in the caller's thread (PostgreSQL, small imports)."""
    members = [
        {
            "person_id": pid,
            "network_id": nid,
            "role": role,
            "status": "active",
            "joined_on": joined,
            "created_at": now,
            "updated_at": now,
            "import_batch_id": batch_id,
        }
        for pid, nid, role, joined in links.members
    ]
    person_tags = [{"person_id": pid, "tag_id": tid, "import_batch_id": batch_id} for pid, tid in links.tags]
    person_types = [{"person_id": pid, "type": t, "import_batch_id": batch_id} for pid, t in links.types]
    for model, rows in ((Membership, members), (PersonTag, person_tags), (PersonType, person_types)):
        if rows:
            insert_rows(session, table_of(model), rows)
    audit.record_many(
        session,
        (
            {"action": "create", "entity": "person", "entity_id": pid, "new": name, "details": details}
            for pid, name, details in links.history
        ),
        batch_id=batch_id,
    )


def _contact_points(low: int, high: int, *, batch_id: int) -> list[Step]:
    """New people ``low``…``high``'s contact points from their columns, for the bulk writer's helper."""
    return list(insert_for_id_range(low, high, batch_id))


def _display_name(values: Mapping[str, Any]) -> str:
    first, last = values.get("first_name"), values.get("last_name")
    name = f"{first} {last}" if first and last else first or last
    return name or values.get("preferred_name") or values.get("email") or ""


def _link_details(r: RowPlan) -> str:
    """What came with a new person, for their history, after the file and row: networks, tags, types."""
    parts = [""]
    if r.networks:
        parts.append("networks: " + ", ".join(f"{n} ({role})" for n, role, _ in r.networks))
    if r.tags:
        parts.append("tags: " + ", ".join(r.tags))
    if r.types:
        parts.append("types: " + ", ".join(r.types))
    return "; ".join(parts) if len(parts) > 1 else ""


def _suppress_do_not_contact(session: Session, person_ids: Sequence[Any]) -> None:
    """A do-not-contact email goes on the suppression list, through the people service."""
    ids = [i for i in person_ids if i is not None]
    emails: list[str | None] = []
    for part in chunked(ids):
        emails.extend(
            session.scalars(select(Person.email).where(Person.id.in_(part), Person.email.is_not(None)))
        )
    suppress_emails(session, emails, "Do not contact (import)")


def _add_elected_roles(session: Session, rows: list[RowPlan], batch_id: int) -> None:
    if not rows:
        return
    have: set[tuple[int, str]] = set()
    for part in chunked([r.person_id for r in rows if r.action == "update"]):
        have.update(
            (pid, chamber)
            for pid, chamber in session.execute(
                select(ElectedRole.person_id, ElectedRole.chamber).where(
                    ElectedRole.person_id.in_(part), ElectedRole.end_date.is_(None)
                )
            )
        )
    payload = []
    for r in rows:
        assert r.elected is not None and r.person_id is not None
        if (r.person_id, r.elected["chamber"]) in have:
            continue
        payload.append(
            {
                "person_id": r.person_id,
                "chamber": r.elected["chamber"][:100],
                "party": r.elected.get("party"),
                "constituency": r.elected.get("constituency"),
            }
        )
    if payload:
        ids = list(
            session.scalars(
                insert(ElectedRole).returning(ElectedRole.id, sort_by_parameter_order=True), payload
            )
        )
        audit.record_many(
            session,
            (
                {
                    "action": "create",
                    "entity": "elected_role",
                    "entity_id": rid,
                    "details": f"person {p['person_id']}",
                }
                for rid, p in zip(ids, payload, strict=True)
            ),
            batch_id=batch_id,
        )


def _add_consents(session: Session, person_ids: list[int], options: ImportOptions, batch_id: int) -> None:
    from crm.models import LAWFUL_BASES

    purpose = (options.consent_purpose or "").strip().lower()
    basis = (options.consent_basis or "consent").strip().lower()
    if basis not in LAWFUL_BASES:
        raise ValidationError(
            f"{options.consent_basis!r} is not a lawful basis ({', '.join(LAWFUL_BASES)}).", "basis"
        )
    have: set[int] = set()
    for part in chunked(person_ids):
        have.update(
            session.scalars(
                select(Consent.person_id).where(
                    Consent.purpose == purpose, Consent.person_id.in_(part), Consent.withdrawn_on.is_(None)
                )
            )
        )
    new = [pid for pid in dict.fromkeys(person_ids) if pid not in have]
    if not new:
        return
    when = options.consent_date or dt.date.today()
    ids = list(
        session.scalars(
            insert(Consent).returning(Consent.id, sort_by_parameter_order=True),
            [
                {
                    "person_id": pid,
                    "purpose": purpose,
                    "basis": basis,
                    "granted": True,
                    "recorded_on": when,
                    "source": options.consent_source,
                    "wording": options.consent_wording,
                    "import_batch_id": batch_id,
                }
                for pid in new
            ],
        )
    )
    audit.record_many(
        session,
        (
            {
                "action": "create",
                "entity": "consent",
                "entity_id": cid,
                "field": "purpose",
                "new": f"{purpose} ({basis})",
                "details": f"person {pid}",
            }
            for cid, pid in zip(ids, new, strict=True)
        ),
        batch_id=batch_id,
    )
