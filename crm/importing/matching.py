"""The import's duplicate check: within the file, then against the database, with set-based
queries (emails lower-cased in bulk, then names), never one query per row.

Same email (case-insensitive); else same name and organisation; else same name and postcode.
Matching by name is skipped when both records have different email addresses (they are then two
people who share a name). The keys are the shared ones in :mod:`crm.matching.keys`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.importing.channels import further_email_matches, row_emails
from crm.importing.plan import Flag, ImportPlan, RowPlan
from crm.matching.keys import compact_postcode as _compact_postcode
from crm.matching.keys import fold_name as _fold
from crm.matching.keys import name_key as _name_key
from crm.matching.keys import org_key as _org_key
from crm.models import (
    Organisation,
    Person,
    Suppression,
)
from crm.privacy import suppression as privacy_suppression
from crm.util import chunked


def _match(session: Session, plan: ImportPlan) -> None:
    """Find duplicates within the file and against the database (the engine then decides each row's action)."""
    live = [r for r in plan.rows if r.action != "reject"]

    # Within the file: the first row with an email / name+organisation / name+postcode wins.
    by_email: dict[str, RowPlan] = {}
    by_name_org = _FirstRows(_name_org_key)
    by_name_pc = _FirstRows(_name_pc_key)
    for r in live:
        email = r.values.get("email")
        name = _name_key(r.values)
        org = _org_key(r.organisation) if r.organisation else None
        pc = _compact_postcode(r.values.get("postcode"))
        first: RowPlan | None = None
        why = ""
        if email and email in by_email:
            first, why = by_email[email], "the same email address"
        elif name:
            for key, table, label in (
                ((*name, org), by_name_org, "the same name and organisation"),
                ((*name, pc), by_name_pc, "the same name and postcode"),
            ):
                if key[2] and (other := table.get(key)) is not None:
                    other_email = other.values.get("email")
                    if not (email and other_email and email != other_email):
                        first, why = other, label
                        break
        if first is not None:
            r.duplicate_of_row = first.row
            r.match = f"{why} as row {first.row}"
            continue
        if email:
            by_email[email] = r
        if name:
            if org:
                by_name_org.setdefault((*name, org), r)
            if pc:
                by_name_pc.setdefault((*name, pc), r)

    del by_email, by_name_org, by_name_pc  # a long list's keys: let them go before the queries

    # Against the database, with set-based queries.
    originals = [r for r in live if r.duplicate_of_row is None]
    emails = sorted({r.values["email"] for r in originals if r.values.get("email")})
    # Any email counts: the row's labelled ones, and people's further ones (crm.importing.channels).
    labelled_emails = sorted({e for r in originals if r.channels for e in row_emails(r)})
    further = further_email_matches(session, sorted({*emails, *labelled_emails}))
    found_email: dict[str, int] = {}
    suppressed: set[str] = set()
    people_count = session.scalar(select(func.count(Person.id))) or 0
    if len(emails) * 5 > people_count:
        # A list that is large beside the database: one pass over the index beats many IN lists.
        wanted = set(emails)
        stmt = (
            select(Person.id, func.lower(Person.email))
            .where(Person.email.is_not(None), Person.deleted_at.is_(None))
            .order_by(Person.id)
        )
        for pid, email in _stream(session, stmt):
            if email in wanted:
                found_email.setdefault(email, pid)
        del wanted
    else:
        for part in chunked(emails):
            for pid, email in session.execute(
                select(Person.id, func.lower(Person.email))
                .where(func.lower(Person.email).in_(part), Person.deleted_at.is_(None))
                .order_by(Person.id)
            ):
                found_email.setdefault(email, pid)
    if emails:
        if (session.scalar(select(func.count(Suppression.id))) or 0) < 50_000:
            suppressed = set(emails).intersection(session.scalars(select(Suppression.email)))
        else:
            for part in chunked(emails):
                suppressed.update(
                    session.scalars(select(Suppression.email).where(Suppression.email.in_(part)))
                )
        # An erased person's addresses are kept only as keyed hashes.
        suppressed |= privacy_suppression.hashed_matches(session, emails)

    if labelled_emails:
        # A labelled address on the suppression list makes the row do not contact too.
        for part in chunked(labelled_emails):
            suppressed.update(session.scalars(select(Suppression.email).where(Suppression.email.in_(part))))
        suppressed |= privacy_suppression.hashed_matches(session, labelled_emails)
        for part in chunked(labelled_emails):
            for pid, email in session.execute(
                select(Person.id, func.lower(Person.email))
                .where(func.lower(Person.email).in_(part), Person.deleted_at.is_(None))
                .order_by(Person.id)
            ):
                found_email.setdefault(email, pid)
    for email, pid in further.items():
        found_email.setdefault(email, pid)
    _match_by_kindred_id(session, plan, originals)
    for r in originals:
        email = r.values.get("email")
        if r.person_id is None and (
            (email and email in found_email)
            or (r.channels and (email := next((e for e in row_emails(r) if e in found_email), None)))
        ):
            r.person_id = found_email[email]
            r.match = "the same email address is already in Kindred"
    _match_by_name(session, [r for r in originals if r.person_id is None and _name_key(r.values)])

    # Suppressed emails: imported, but flagged and never contactable.
    for r in live:
        email = r.values.get("email")
        if r.channels and not (email and email in suppressed):
            email = next((e for e in row_emails(r) if e in suppressed), email)
        if email and email in suppressed:
            r.values["do_not_contact"] = True
            col = next((plan.headers[i] for i, f in plan.mapping.items() if f == "email"), "Email")
            r.flags += (
                Flag(
                    r.row,
                    col,
                    email,
                    "this address is on the do-not-contact list: imported as do not contact",
                ),
            )


class _FirstRows:
    """The first row with each key, found by the key's hash: a long list's maps would otherwise
    keep a million key tuples alive. Look-ups stay exact: a row found by hash is checked against
    the key, and a key whose hash an earlier, different key holds (vanishingly rare) is kept
    whole beside."""

    __slots__ = ("_by_hash", "_clashes", "_key_of")

    def __init__(self, key_of: Callable[[RowPlan], tuple[Any, ...]]) -> None:
        self._by_hash: dict[int, RowPlan] = {}
        self._clashes: dict[tuple[Any, ...], RowPlan] = {}
        self._key_of = key_of

    def get(self, key: tuple[Any, ...]) -> RowPlan | None:
        row = self._by_hash.get(hash(key))
        if row is not None and self._key_of(row) == key:
            return row
        return self._clashes.get(key) if self._clashes else None

    def setdefault(self, key: tuple[Any, ...], row: RowPlan) -> None:
        held = self._by_hash.setdefault(hash(key), row)
        if held is not row and self._key_of(held) != key:
            self._clashes.setdefault(key, row)


def _name_org_key(r: RowPlan) -> tuple[Any, ...]:
    name = _name_key(r.values)
    return (*name, _org_key(r.organisation)) if name and r.organisation else ()


def _name_pc_key(r: RowPlan) -> tuple[Any, ...]:
    name = _name_key(r.values)
    return (*name, _compact_postcode(r.values.get("postcode"))) if name else ()


def _match_by_kindred_id(session: Session, plan: ImportPlan, rows: list[RowPlan]) -> None:
    """Rows carrying a Kindred ID (an export edited and brought back) are that person, whatever
    else changed; an ID not in this database is flagged and the row matched the usual way."""
    wanted = sorted({r.kindred_id for r in rows if r.kindred_id is not None})
    if not wanted:
        return
    known: set[int] = set()
    for part in chunked(wanted):
        known.update(
            session.scalars(select(Person.id).where(Person.id.in_(part), Person.deleted_at.is_(None)))
        )
    col = next((plan.headers[i] for i, f in plan.mapping.items() if f == "kindred_id"), "Kindred ID")
    for r in rows:
        if r.kindred_id is None:
            continue
        if r.kindred_id in known:
            r.person_id = r.kindred_id
            r.match = "the same Kindred ID"
        else:
            r.flags += (
                Flag(
                    r.row,
                    col,
                    str(r.kindred_id),
                    "no one in this database has this Kindred ID: matched by email and name",
                ),
            )


def _stream(session: Session, stmt: Any, size: int = 5_000) -> Iterator[Any]:
    """Rows of a big query through the connection, fetched ``size`` at a time: no ORM row objects,
    and the whole result is never in memory at once."""
    result = session.connection().execute(stmt.execution_options(yield_per=size))
    for part in result.partitions():
        yield from part


_BY_ORG = "the same name and organisation is already in Kindred"
_BY_POSTCODE = "the same name and postcode is already in Kindred"


def _match_by_name(session: Session, rows: list[RowPlan]) -> None:
    """Same name and organisation, else same name and postcode, the lowest id first.

    Two records with different email addresses are two people, so a row with an email can only
    match someone without one, and someone with an email only a row without one. Both small sets
    are indexed; everyone else streams past once, so a big list against a big database stays small.
    """
    if not rows:
        return
    without_email = [r for r in rows if not r.values.get("email")]
    # Rows without an email, by (first, last, organisation) and (first, last, postcode).
    by_org: dict[tuple[str, str, str], list[RowPlan]] = defaultdict(list)
    by_pc: dict[tuple[str, str, str], list[RowPlan]] = defaultdict(list)
    for r in without_email:
        name = _name_key(r.values)
        assert name is not None
        if r.organisation and (org := _org_key(r.organisation)):
            by_org[(*name, org)].append(r)
        if pc := _compact_postcode(r.values.get("postcode")):
            by_pc[(*name, pc)].append(r)
    found_org: dict[int, int] = {}  # id(row) → person id
    found_pc: dict[int, int] = {}
    # People without an email, for the rows that have one.
    db_org: dict[tuple[str, str, str], int] = {}
    db_pc: dict[tuple[str, str, str], int] = {}
    # The rows' names, worked out when the first namesake in the database turns up (a long list
    # into a database with none of its surnames never holds a million of them).
    wanted: set[tuple[str, str] | None] | None = None
    lasts = sorted({r.values["last_name"].lower() for r in rows})
    for part in chunked(lasts):
        stmt = (
            select(
                Person.id,
                Person.first_name,
                Person.preferred_name,
                Person.last_name,
                Person.email,
                Person.postcode,
                Organisation.name_key,
            )
            .outerjoin(Organisation, Organisation.id == Person.organisation_id)
            .where(func.lower(Person.last_name).in_(part), Person.deleted_at.is_(None))
            .order_by(Person.id)
        )
        # Through the connection, a chunk at a time: plain tuples, no ORM row objects.
        for pid, first, preferred, last, email, pc, org_key in _stream(session, stmt):
            if wanted is None:
                wanted = {_name_key(r.values) for r in rows}
            compact = _compact_postcode(pc)
            for given in (first, preferred) if preferred and preferred != first else (first,):
                if not given:
                    continue
                name = (_fold(given), _fold(last))
                if name not in wanted:
                    continue
                if org_key:
                    key = (*name, org_key)
                    for r in by_org.get(key, ()):
                        found_org.setdefault(id(r), pid)
                    if not email:
                        db_org.setdefault(key, pid)
                if compact:
                    key = (*name, compact)
                    for r in by_pc.get(key, ()):
                        found_pc.setdefault(id(r), pid)
                    if not email:
                        db_pc.setdefault(key, pid)
    for r in rows:
        if r.values.get("email"):
            name = _name_key(r.values)
            assert name is not None
            row_org = _org_key(r.organisation) if r.organisation else None
            pc = _compact_postcode(r.values.get("postcode"))
            if row_org and (*name, row_org) in db_org:
                r.person_id, r.match = db_org[(*name, row_org)], _BY_ORG
            elif pc and (*name, pc) in db_pc:
                r.person_id, r.match = db_pc[(*name, pc)], _BY_POSTCODE
        elif id(r) in found_org:
            r.person_id, r.match = found_org[id(r)], _BY_ORG
        elif id(r) in found_pc:
            r.person_id, r.match = found_pc[id(r)], _BY_POSTCODE
