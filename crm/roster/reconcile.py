"""Reconciling a roster with the database: plan (dry run), apply as one batch, undo.

The plan says, person by person, what a refresh would do:

- **added**: a new member, created (or an existing person, matched, gaining the role);
- **continuing**: still a member with the same party and seat (blanks may be filled in);
- **changed**: a party or seat change: the old role ends, a new one starts, both dated;
- **ended**: a member current in Kindred who has left (a row with an end date) or is absent
  from the roster: the role ends at the row's date or at ``as_of``; nothing is deleted;
- **former**: a past membership only, for someone with no current role here: nothing to do;
- **unmatched**: a row that cannot be placed (two people it could be, someone in the Trash).

Matching, in order: a stored identifier (EveryPolitician, Parliament, Wikidata), then email,
then the name (titles, honours, accents and "Surname, Forename" aside) among people who sit or
sat in the chamber or have its stakeholder type. A continuing member never becomes a second person.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import insert_rows
from crm.db import Database
from crm.errors import Cancelled, ConflictError, NotFoundError
from crm.models import (
    AuditEntry,
    ContactPoint,
    ElectedRole,
    ImportBatch,
    Person,
    PersonIdentifier,
    PersonType,
    table_of,
    utcnow,
)
from crm.roster import chambers
from crm.roster.names import name_key, person_key
from crm.roster.readers import Roster, RosterRow
from crm.services.people import bulk_insert_people, refresh_derived
from crm.text import fold
from crm.util import chunked

Progress = Callable[[int, int], None]
ShouldCancel = Callable[[], bool]

KINDS = ("added", "changed", "ended", "continuing", "former", "unmatched")
KIND_LABELS = {
    "added": "New",
    "changed": "Changed",
    "ended": "Leaving",
    "continuing": "Continuing",
    "former": "Past member",
    "unmatched": "Not matched",
}
ROSTER_KIND = "roster"
_NATION_OF_CHAMBER = {
    chambers.SCOTTISH_PARLIAMENT: "Scotland",
    chambers.SENEDD: "Wales",
    chambers.NI_ASSEMBLY: "Northern Ireland",
}
_PARTY_NOISE = frozenset({"the", "party", "and", "of", "uk", "scottish", "welsh"})
_PARTY_ALIASES = {
    "snp": "national",
    "scottish national": "national",
    "lab": "labour",
    # Labour and Co-operative members sit with Labour: the same group, not a party change.
    "labour co op": "labour",
    "labour co operative": "labour",
    "labour and co operative": "labour",
    "plaid cymru wales": "plaid cymru",
    "dup": "democratic unionist",
    "sf": "sinn fein",
    "alba": "alba",
    "reform": "reform",
    "con": "conservative",
    "conservative unionist": "conservative",
    "conservative and unionist": "conservative",
    "tory": "conservative",
    "ld": "liberal democrats",
    "lib dem": "liberal democrats",
    "lib dems": "liberal democrats",
    "liberal democrat": "liberal democrats",
    "green": "green",
    "greens": "green",
    "scottish green": "green",
    "plaid": "plaid cymru",
    "pc": "plaid cymru",
    "ind": "independent",
    "independent": "independent",
}


def _party_key(party: str | None) -> str:
    """Parties compared loosely: "Scottish National Party" and "SNP", "Scottish Labour" and "Labour"."""
    if not party:
        return ""
    words = "".join(ch if ch.isalnum() else " " for ch in fold(party)).split()
    joined = " ".join(words)
    if joined in _PARTY_ALIASES:
        return _PARTY_ALIASES[joined]
    kept = " ".join(w for w in words if w not in _PARTY_NOISE)
    return _PARTY_ALIASES.get(kept, kept)


def _seat_key(seat: str | None) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in fold(seat or "")).split())


@dataclass
class Change:
    """What the refresh does for one person (or one row that cannot be placed)."""

    kind: str
    name: str
    rows: list[int]
    person_id: int | None = None
    detail: str = ""
    party: str | None = None
    seat: str | None = None
    how: str | None = None  # how they were matched: identifier, email, name

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "rows": self.rows,
            "person_id": self.person_id,
            "detail": self.detail,
            "party": self.party,
            "seat": self.seat,
            "matched_by": self.how,
        }


@dataclass
class _Group:
    rows: list[RosterRow]
    current: RosterRow | None
    past: list[RosterRow]


@dataclass
class _RoleRow:
    id: int
    person_id: int
    party: str | None
    constituency: str | None
    region: str | None
    start_date: dt.date | None
    end_date: dt.date | None

    @property
    def seat(self) -> str:
        return self.constituency or self.region or ""


@dataclass
class _Actions:
    """The writes a plan implies, applied in bulk."""

    new_people: list[tuple[int, dict[str, Any], RosterRow, list[RosterRow]]] = field(default_factory=list)
    new_roles: list[dict[str, Any]] = field(default_factory=list)  # person_id set (or new-person index)
    end_roles: list[tuple[int, int, dt.date | None, dt.date]] = field(default_factory=list)
    role_fills: list[tuple[int, int, str, Any, Any]] = field(default_factory=list)
    person_fills: list[tuple[int, str, Any, Any]] = field(default_factory=list)
    identifiers: list[tuple[int, str, str]] = field(default_factory=list)
    types: list[int] = field(default_factory=list)


@dataclass
class RefreshPlan:
    roster: Roster
    as_of: dt.date
    changes: list[Change]
    duplicates: int = 0
    warnings: list[str] = field(default_factory=list)
    actions: _Actions = field(default_factory=_Actions, repr=False)

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    def of_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def has_changes(self) -> bool:
        a = self.actions
        return bool(
            a.new_people
            or a.new_roles
            or a.end_roles
            or a.role_fills
            or a.person_fills
            or a.identifiers
            or a.types
        )


@dataclass
class RefreshResult:
    plan: RefreshPlan
    batch_id: int | None
    seconds: float
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "file": plan.roster.file_name,
            "format": plan.roster.kind,
            "chamber": plan.roster.chamber,
            "as_of": plan.as_of.isoformat(),
            "dry_run": self.dry_run,
            **{kind: plan.count(kind) for kind in KINDS},
            "vacant": len(plan.roster.vacant),
            "duplicates": plan.duplicates,
            "problems": [f"row {r}: {p}" for r, p in plan.roster.problems],
            "warnings": [*plan.roster.warnings, *plan.warnings],
            "batch_id": self.batch_id,
            "seconds": round(self.seconds, 3),
            "changes": [c.as_dict() for c in plan.changes if c.kind != "continuing"],
        }


@dataclass
class RosterUndoResult:
    batch_id: int
    people_removed: int
    roles_removed: int
    roles_restored: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "people_removed": self.people_removed,
            "roles_removed": self.roles_removed,
            "roles_restored": self.roles_restored,
            "seconds": round(self.seconds, 3),
        }


# --- Grouping -----------------------------------------------------------------------------------


def _same_membership(a: RosterRow, b: RosterRow) -> bool:
    return (
        _party_key(a.party) == _party_key(b.party)
        and _seat_key(a.seat) == _seat_key(b.seat)
        and a.start_date == b.start_date
        and a.end_date == b.end_date
    )


def _group_rows(rows: Sequence[RosterRow], as_of: dt.date) -> tuple[list[_Group], int]:
    """Rows by person, duplicated memberships collapsed; the current membership picked out."""
    by_key: dict[str, list[RosterRow]] = {}
    for row in rows:
        by_key.setdefault(row.key, []).append(row)
    groups: list[_Group] = []
    duplicates = 0
    for members in by_key.values():
        unique: list[RosterRow] = []
        for row in members:
            twin = next((u for u in unique if _same_membership(u, row)), None)
            if twin is not None:
                duplicates += 1
                twin.email = twin.email or row.email
                for source, value in row.identifiers.items():
                    twin.identifiers.setdefault(source, value)
                continue
            unique.append(row)
        current_rows = [r for r in unique if not r.ended_by(as_of)]
        past = sorted((r for r in unique if r.ended_by(as_of)), key=lambda r: r.end_date or dt.date.min)
        current = (
            max(current_rows, key=lambda r: (r.start_date or dt.date.min, r.row)) if current_rows else None
        )
        # Two open memberships of one person (a stale row): the older one is history.
        for r in current_rows:
            if r is not current:
                duplicates += 1
        groups.append(_Group(rows=unique, current=current, past=past))
    return groups, duplicates


# --- Planning -----------------------------------------------------------------------------------


def _is_current(end: dt.date | None, as_of: dt.date) -> bool:
    return end is None or end > as_of


def plan_refresh(
    session: Session,
    roster: Roster,
    as_of: dt.date | None = None,
    *,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> RefreshPlan:
    """Work out what refreshing ``roster`` would change; changes nothing."""
    as_of = as_of or roster.as_of or dt.date.today()
    chamber = roster.chamber
    kind = chambers.chamber_kind(chamber)
    member_type = chambers.TYPE_OF_CHAMBER.get(kind)
    groups, duplicates = _group_rows(roster.rows, as_of)
    _tick(progress, should_cancel, 1, 4)

    # Who Kindred already knows, loaded in a few set queries.
    all_rows = [r for g in groups for r in g.rows]
    by_identifier: dict[tuple[str, str], tuple[int, bool]] = {}
    wanted: dict[str, set[str]] = defaultdict(set)
    for r in all_rows:
        for source, ident_value in r.identifiers.items():
            wanted[source].add(ident_value)
    for source, values in wanted.items():
        for part in chunked(sorted(values)):
            for holder, ident, deleted in session.execute(
                select(PersonIdentifier.person_id, PersonIdentifier.identifier, Person.deleted_at)
                .join(Person, Person.id == PersonIdentifier.person_id)
                .where(PersonIdentifier.source == source, PersonIdentifier.identifier.in_(part))
            ):
                by_identifier[(source, ident)] = (holder, deleted is not None)
    emails = sorted({r.email for r in all_rows if r.email})
    by_email: dict[str, set[int]] = defaultdict(set)
    for part in chunked(emails):
        for holder, email in session.execute(
            select(Person.id, func.lower(Person.email)).where(
                func.lower(Person.email).in_(part), Person.deleted_at.is_(None)
            )
        ):
            by_email[email].add(holder)
        for holder, email in session.execute(
            select(ContactPoint.person_id, func.lower(ContactPoint.value))
            .join(Person, Person.id == ContactPoint.person_id)
            .where(
                ContactPoint.kind == "email",
                func.lower(ContactPoint.value).in_(part),
                Person.deleted_at.is_(None),
            )
        ):
            by_email[email].add(holder)
    in_chamber = select(ElectedRole.person_id).where(ElectedRole.chamber == chamber)
    candidates_q = select(
        Person.id, Person.first_name, Person.preferred_name, Person.last_name, Person.title, Person.email
    ).where(Person.deleted_at.is_(None))
    if member_type:
        candidates_q = candidates_q.where(
            or_(
                Person.id.in_(in_chamber),
                Person.id.in_(select(PersonType.person_id).where(PersonType.type == member_type)),
            )
        )
    else:
        candidates_q = candidates_q.where(Person.id.in_(in_chamber))
    people: dict[int, Any] = {}
    by_name: dict[str, set[int]] = defaultdict(set)
    by_surname: dict[str, set[int]] = defaultdict(set)
    for p in session.execute(candidates_q):
        people[p.id] = p
        for key in {person_key(p.first_name, p.last_name), person_key(p.preferred_name, p.last_name)}:
            if key:
                by_name[key].add(p.id)
        if p.last_name and (surname := name_key(p.last_name)):
            by_surname[surname].add(p.id)
    roles: dict[int, list[_RoleRow]] = defaultdict(list)
    for role_row in session.execute(
        select(
            ElectedRole.id,
            ElectedRole.person_id,
            ElectedRole.party,
            ElectedRole.constituency,
            ElectedRole.region,
            ElectedRole.start_date,
            ElectedRole.end_date,
        )
        .join(Person, Person.id == ElectedRole.person_id)
        .where(ElectedRole.chamber == chamber, Person.deleted_at.is_(None))
    ):
        roles[role_row.person_id].append(_RoleRow(*role_row))
    stored_ids: dict[int, dict[str, str]] = defaultdict(dict)
    for id_part in chunked(sorted(people)):
        for holder, source, ident in session.execute(
            select(PersonIdentifier.person_id, PersonIdentifier.source, PersonIdentifier.identifier).where(
                PersonIdentifier.person_id.in_(id_part)
            )
        ):
            stored_ids[holder][source] = ident
    typed: set[int] = set()
    if member_type:
        typed = set(
            session.scalars(
                select(PersonType.person_id).where(
                    PersonType.type == member_type,
                    PersonType.person_id.in_(select(Person.id).where(Person.deleted_at.is_(None))),
                )
            )
        )
    _tick(progress, should_cancel, 2, 4)

    changes: list[Change] = []
    actions = _Actions()
    claimed: dict[int, str] = {}
    protected: set[int] = set()  # people a row may be: never ended as absent
    matched_people: set[int] = set()
    new_index = 0
    taken_identifiers = set(by_identifier)

    for group in groups:
        lead = group.current or group.past[-1]
        rows = [r.row for r in group.rows]
        pid, how, problem = _match(group, by_identifier, by_email, by_name, stored_ids, people)
        if pid is None and problem is None:
            pid, how = _match_by_surname_and_seat(group, by_surname, roles, people, as_of)
        if problem and pid is None:
            if how == "ambiguous":
                protected.update(int(x) for x in problem.split("|")[1].split(","))
                problem = problem.split("|")[0]
            changes.append(
                Change("unmatched", lead.name, rows, detail=problem, party=lead.party, seat=lead.seat)
            )
            continue
        if pid is not None and pid in claimed:
            changes.append(
                Change(
                    "unmatched",
                    lead.name,
                    rows,
                    detail=f"matches the same person in Kindred as {claimed[pid]}: check the roster for a repeated member",
                    party=lead.party,
                    seat=lead.seat,
                )
            )
            protected.add(pid)
            continue
        if pid is not None:
            claimed[pid] = lead.name
            matched_people.add(pid)
        current_roles = [r for r in roles.get(pid, []) if _is_current(r.end_date, as_of)] if pid else []
        current_roles.sort(key=lambda r: (r.start_date or dt.date.min, r.id))
        row = group.current
        if row is None:
            # Only past memberships: a member who left mid-term (or an earlier party).
            left = max(r.end_date for r in group.past if r.end_date)
            if current_roles:
                for role in current_roles:
                    end = max(left, role.start_date or left)
                    actions.end_roles.append((role.id, role.person_id, role.end_date, end))
                changes.append(
                    Change(
                        "ended", lead.name, rows, pid, f"left on {left:%d/%m/%Y}", lead.party, lead.seat, how
                    )
                )
            else:
                changes.append(
                    Change(
                        "former",
                        lead.name,
                        rows,
                        pid,
                        f"left on {left:%d/%m/%Y}; nothing to change",
                        lead.party,
                        lead.seat,
                        how,
                    )
                )
            continue
        start = row.start_date or as_of
        if pid is None:
            person = {
                "first_name": row.first_name,
                "last_name": row.last_name or row.name,
                "email": row.email,
                "title": row.title or ("Cllr" if kind == chambers.LOCAL_COUNCIL else None),
                "post_nominals": chambers.POST_NOMINALS.get(kind, (None,))[0],
                "nation": _NATION_OF_CHAMBER.get(chamber),
                "source": f"Roster: {roster.file_name}"[:300],
            }
            actions.new_people.append((new_index, person, row, group.past))
            for source, value in _all_identifiers(group).items():
                if (source, value) not in taken_identifiers:
                    taken_identifiers.add((source, value))
                    actions.identifiers.append((-1 - new_index, source, value))
            new_index += 1
            changes.append(Change("added", row.name, rows, None, "new person", row.party, row.seat))
            continue
        person_row = people.get(pid)
        for source, value in _all_identifiers(group).items():
            if source not in stored_ids.get(pid, {}) and (source, value) not in taken_identifiers:
                taken_identifiers.add((source, value))
                actions.identifiers.append((pid, source, value))
        if member_type and pid not in typed:
            actions.types.append(pid)
        if person_row is not None:
            if row.email and not person_row.email and row.email not in by_email:
                actions.person_fills.append((pid, "email", None, row.email))
            if row.title and not person_row.title:
                actions.person_fills.append((pid, "title", None, row.title))
        same = next((r for r in reversed(current_roles) if _same_seat(r, row)), None)
        if same is not None:
            fills = []
            fill_value: Any
            for fname, fill_value in (
                ("party", row.party),
                ("constituency", row.constituency),
                ("region", row.region),
                ("start_date", row.start_date),
            ):
                before = getattr(same, fname)
                if fill_value and not before:
                    actions.role_fills.append((same.id, pid, fname, before, fill_value))
                    fills.append(fname.replace("_", " "))
            for other in current_roles:
                if other is not same:  # a second current seat in the same chamber: a stale role
                    actions.end_roles.append(
                        (other.id, pid, other.end_date, max(as_of, other.start_date or as_of))
                    )
            detail = "filled in " + ", ".join(fills) if fills else ""
            if len(current_roles) > 1:
                detail = "; ".join(d for d in (detail, f"ended {len(current_roles) - 1} stale role(s)") if d)
            changes.append(Change("continuing", row.name, rows, pid, detail, row.party, row.seat, how))
            continue
        if current_roles:
            old = current_roles[-1]
            # When did the old role end? The past row that describes it says; else the new row's
            # start, if after the old start; else the refresh's date.
            described = next((p for p in reversed(group.past) if _same_seat(old, p)), None)
            if described is not None and described.end_date:
                change_on = described.end_date
            elif row.start_date and (old.start_date is None or row.start_date > old.start_date):
                change_on = row.start_date
            else:
                change_on = as_of
            for role in current_roles:
                actions.end_roles.append(
                    (role.id, pid, role.end_date, max(change_on, role.start_date or change_on))
                )
            new_start = row.start_date if row.start_date and row.start_date >= change_on else change_on
            actions.new_roles.append(_role(pid, chamber, row, new_start))
            what = []
            if _party_key(old.party) != _party_key(row.party):
                what.append(f"party {old.party or '?'} → {row.party or '?'}")
            if _seat_key(old.seat) != _seat_key(row.seat):
                what.append(f"seat {old.seat or '?'} → {row.seat or '?'}")
            changes.append(
                Change(
                    "changed",
                    row.name,
                    rows,
                    pid,
                    f"{', '.join(what)} from {new_start:%d/%m/%Y}",
                    row.party,
                    row.seat,
                    how,
                )
            )
            continue
        actions.new_roles.append(_role(pid, chamber, row, start))
        returning = " (returning)" if roles.get(pid) else ""
        changes.append(
            Change(
                "added",
                row.name,
                rows,
                pid,
                f"existing person gains the role{returning}",
                row.party,
                row.seat,
                how,
            )
        )
    _tick(progress, should_cancel, 3, 4)

    # Members current in Kindred whom the roster no longer lists.
    for pid, person_roles in roles.items() if roster.complete else ():
        if pid in matched_people or pid in protected:
            continue
        current = [r for r in person_roles if _is_current(r.end_date, as_of)]
        if not current:
            continue
        for role in current:
            actions.end_roles.append((role.id, pid, role.end_date, max(as_of, role.start_date or as_of)))
        known = people.get(pid)
        name = (
            " ".join(x for x in ((known.preferred_name or known.first_name), known.last_name) if x)
            if known
            else f"Person {pid}"
        )
        latest = current[-1]
        changes.append(
            Change(
                "ended",
                name,
                [],
                pid,
                f"not on the roster: role ends on {as_of:%d/%m/%Y}",
                latest.party,
                latest.seat,
            )
        )
    # People typed as members of this chamber with no role in it at all, whom the roster does not
    # list: recorded as former members (a role ended at ``as_of``), so "MSP" lists stop taking them.
    noun = chambers.MEMBER_NOUN.get(kind, "member")
    # Not for councils: a councillor with no role may sit on any of them.
    typed_only = roster.complete and kind != chambers.LOCAL_COUNCIL
    for pid in sorted(typed - set(roles) - matched_people - protected) if typed_only else ():
        known = people.get(pid)
        if known is None:
            continue
        actions.new_roles.append(
            {
                "person_id": pid,
                "chamber": chamber,
                "party": None,
                "constituency": None,
                "region": None,
                "role": None,
                "start_date": None,
                "end_date": as_of,
            }
        )
        name = " ".join(x for x in ((known.preferred_name or known.first_name), known.last_name) if x)
        changes.append(
            Change(
                "ended",
                name or f"Person {pid}",
                [],
                pid,
                f"typed as {noun} but not on the roster: recorded as a former {noun} from {as_of:%d/%m/%Y}",
            )
        )
    warnings: list[str] = []
    listed = sum(1 for g in groups if g.current is not None)
    current_before = sum(1 for rs in roles.values() if any(_is_current(r.end_date, as_of) for r in rs))
    ended_absent = sum(1 for c in changes if c.kind == "ended" and not c.rows)
    if current_before >= 10 and ended_absent > current_before / 2 and listed < current_before / 2:
        warnings.append(
            f"The roster lists {listed} current members but Kindred has {current_before}: "
            f"{ended_absent} would be recorded as having left. Check it is the whole chamber's list."
        )
    order = {k: i for i, k in enumerate(KINDS)}
    changes.sort(key=lambda c: (order[c.kind], fold(c.name)))
    _tick(progress, should_cancel, 4, 4)
    return RefreshPlan(roster, as_of, changes, duplicates, warnings, actions)


def _tick(progress: Progress | None, should_cancel: ShouldCancel | None, done: int, total: int) -> None:
    if should_cancel is not None and should_cancel():
        raise Cancelled()
    if progress is not None:
        progress(done, total)


def _all_identifiers(group: _Group) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in group.rows:
        for source, value in r.identifiers.items():
            out.setdefault(source, value)
    return out


def _same_seat(role: _RoleRow, row: RosterRow) -> bool:
    """Same party and seat (a blank on the Kindred side is a blank to fill, not a change)."""
    party_same = not role.party or not row.party or _party_key(role.party) == _party_key(row.party)
    seat_same = not role.seat or not row.seat or _seat_key(role.seat) == _seat_key(row.seat)
    return party_same and seat_same


def _role(pid: int, chamber: str, row: RosterRow, start: dt.date) -> dict[str, Any]:
    return {
        "person_id": pid,
        "chamber": chamber,
        "party": row.party[:100] if row.party else None,
        "constituency": row.constituency[:200] if row.constituency else None,
        "region": row.region[:200] if row.region else None,
        "role": None,
        "start_date": start,
        "end_date": None,
    }


def _match(
    group: _Group,
    by_identifier: dict[tuple[str, str], tuple[int, bool]],
    by_email: dict[str, set[int]],
    by_name: dict[str, set[int]],
    stored_ids: dict[int, dict[str, str]],
    people: dict[int, Any],
) -> tuple[int | None, str | None, str | None]:
    """(person id, how, problem): by identifier, then email, then name within the chamber."""
    ids = _all_identifiers(group)
    found = {by_identifier[(s, v)] for s, v in ids.items() if (s, v) in by_identifier}
    live = {pid for pid, deleted in found if not deleted}
    if len(live) == 1:
        return live.pop(), "identifier", None
    if len(live) > 1:
        return (
            None,
            "ambiguous",
            f"its identifiers belong to {len(live)} different people in Kindred|{','.join(map(str, live))}",
        )
    if found:
        return None, "trash", "matches someone in the Trash: restore them, then refresh again"
    emails = {r.email for r in group.rows if r.email}
    by_mail = set().union(*(by_email.get(e, set()) for e in emails)) if emails else set()
    if len(by_mail) == 1:
        return by_mail.pop(), "email", None
    lead = group.current or group.past[-1]
    keys = {name_key(r.name) for r in group.rows} | {person_key(lead.first_name, lead.last_name)}
    named = set().union(*(by_name.get(k, set()) for k in keys if k))
    # Someone holding another id of the same source is a different person with the same name.
    named = {pid for pid in named if not any(stored_ids.get(pid, {}).get(s, v) != v for s, v in ids.items())}
    if len(by_mail) > 1:
        both = by_mail & named
        if len(both) == 1:
            return both.pop(), "email", None
    if len(named) == 1:
        return named.pop(), "name", None
    if len(named) > 1:
        names = sorted(named)
        return (
            None,
            "ambiguous",
            f"{len(named)} people in Kindred could be this member (ids {', '.join(map(str, names[:5]))}): merge the duplicates, then refresh again|{','.join(map(str, names))}",
        )
    return None, None, None


def _match_by_surname_and_seat(
    group: _Group,
    by_surname: dict[str, set[int]],
    roles: dict[int, list[_RoleRow]],
    people: dict[int, Any],
    as_of: dt.date,
) -> tuple[int | None, str | None]:
    """The last resort before creating someone: the one current member of the chamber with the
    row's surname who holds its seat, or shares its first initial ("Jackie"/"Jacqueline Baillie",
    "Dr Sandesh Gulhane"/"Sandesh Gulhane"): a new spelling of a continuing member's name."""
    lead = group.current or group.past[-1]
    surname = name_key(lead.last_name)
    if not surname:
        return None, None
    seat = _seat_key(lead.seat)
    initial = fold(lead.first_name or "")[:1]
    found = set()
    for pid in by_surname.get(surname, set()):
        current = [r for r in roles.get(pid, []) if _is_current(r.end_date, as_of)]
        if not current:
            continue
        person = people[pid]
        first = fold(person.preferred_name or person.first_name or "")[:1]
        if (seat and any(_seat_key(r.seat) == seat for r in current)) or (initial and first == initial):
            found.add(pid)
    if len(found) == 1:
        return found.pop(), "surname and seat"
    return None, None


# --- Applying -----------------------------------------------------------------------------------


def _write(session: Session, plan: RefreshPlan, batch_id: int) -> None:
    a = plan.actions
    chamber = plan.roster.chamber
    member_type = chambers.TYPE_OF_CHAMBER.get(chambers.chamber_kind(chamber))
    new_ids = bulk_insert_people(session, [p for _, p, _, _ in a.new_people], batch_id=batch_id)
    real: dict[int, int] = {
        -1 - index: pid for (index, _, _, _), pid in zip(a.new_people, new_ids, strict=True)
    }

    def person(pid: int) -> int:
        return real.get(pid, pid)

    roles = list(a.new_roles)
    for (_index, _p, row, past), pid in zip(a.new_people, new_ids, strict=True):
        roles.append(_role(pid, chamber, row, row.start_date or plan.as_of))
        for old in past:  # history of a new member's earlier memberships this term
            history = _role(pid, chamber, old, old.start_date or plan.as_of)
            if old.end_date and old.end_date >= history["start_date"]:
                history["end_date"] = old.end_date
                roles.append(history)
    if member_type:
        type_rows = [
            {"person_id": pid, "type": member_type, "import_batch_id": batch_id}
            for pid in [*new_ids, *a.types]
        ]
        insert_rows(session, table_of(PersonType), type_rows)
    entries: list[dict[str, Any]] = []
    if roles:
        role_ids = list(
            session.scalars(
                insert(ElectedRole).returning(ElectedRole.id, sort_by_parameter_order=True), roles
            )
        )
        entries += [
            {
                "action": "create",
                "entity": "elected_role",
                "entity_id": rid,
                "new": f"{chamber}: {r['party'] or ''}, {r['constituency'] or r['region'] or ''}",
                "details": f"person {r['person_id']}",
            }
            for rid, r in zip(role_ids, roles, strict=True)
        ]
    if a.end_roles:
        by_date: dict[dt.date, list[int]] = defaultdict(list)
        for role_id, holder, was, new in a.end_roles:
            by_date[new].append(role_id)
            entries.append(
                {
                    "action": "update",
                    "entity": "elected_role",
                    "entity_id": role_id,
                    "field": "end_date",
                    "old": was,
                    "new": new,
                    "details": f"person {holder}",
                }
            )
        for when, ids in by_date.items():
            for part in chunked(ids):
                session.execute(update(ElectedRole).where(ElectedRole.id.in_(part)).values(end_date=when))
    for role_id, pid, fname, old, new in a.role_fills:
        session.execute(update(ElectedRole).where(ElectedRole.id == role_id).values({fname: new}))
        entries.append(
            {
                "action": "update",
                "entity": "elected_role",
                "entity_id": role_id,
                "field": fname,
                "old": old,
                "new": new,
                "details": f"person {pid}",
            }
        )
    if a.person_fills:
        for pid, fname, old, new in a.person_fills:
            session.execute(
                update(Person).where(Person.id == pid).values({fname: new, "updated_at": utcnow()})
            )
            entries.append(
                {
                    "action": "update",
                    "entity": "person",
                    "entity_id": pid,
                    "field": fname,
                    "old": old,
                    "new": new,
                }
            )
        refresh_derived(session, sorted({pid for pid, *_ in a.person_fills}))
    if a.identifiers:
        now = utcnow()
        ident_rows = [
            {
                "person_id": person(pid),
                "source": source,
                "identifier": value[:200],
                "created_at": now,
                "import_batch_id": batch_id,
            }
            for pid, source, value in a.identifiers
        ]
        insert_rows(session, table_of(PersonIdentifier), ident_rows)
        entries += [
            {
                "action": "create",
                "entity": "person_identifier",
                "entity_id": r["person_id"],
                "field": r["source"],
                "new": r["identifier"],
            }
            for r in ident_rows
        ]
    audit.record_many(session, entries, batch_id=batch_id)


def refresh_roster(
    db: Database,
    roster: Roster,
    as_of: dt.date | None = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> RefreshResult:
    """Plan and (unless ``dry_run``) apply a refresh in one transaction, recorded as a batch."""
    started = time.perf_counter()
    if dry_run:
        with db.session() as session:
            plan = plan_refresh(session, roster, as_of, progress=progress, should_cancel=should_cancel)
        return RefreshResult(plan, None, time.perf_counter() - started, True)
    from crm.backups import automatic_backup

    # A copy to go back to (File → Restore from backup…) whatever the refresh turns out to do.
    automatic_backup(db, f"before refreshing representatives from {roster.file_name}")
    with db.transaction(bulk=True) as session:
        plan = plan_refresh(session, roster, as_of, progress=progress, should_cancel=should_cancel)
        batch = ImportBatch(
            file_name=roster.file_name[:500],
            sha256=roster.sha256,
            user=audit.current_user(),
            created=len(plan.actions.new_people),
            updated=plan.count("changed")
            + plan.count("ended")
            + plan.count("added")
            - len(plan.actions.new_people),
            skipped=plan.count("continuing") + plan.count("former"),
            rejected=plan.count("unmatched") + len(roster.problems),
            flagged=0,
            options={
                "kind": ROSTER_KIND,
                "chamber": roster.chamber,
                "as_of": plan.as_of.isoformat(),
                "format": roster.kind,
                "summary": {k: plan.count(k) for k in KINDS},
            },
        )
        session.add(batch)
        session.flush()
        _write(session, plan, batch.id)
        batch.finished_at = utcnow()
        audit.record(
            session,
            "import",
            "roster",
            batch.id,
            details=f"{roster.chamber} from {roster.file_name}: "
            + ", ".join(f"{plan.count(k)} {k}" for k in ("added", "changed", "ended", "continuing")),
            batch_id=batch.id,
        )
        batch_id = batch.id
    return RefreshResult(plan, batch_id, time.perf_counter() - started, False)


# --- Undo ---------------------------------------------------------------------------------------


def _date_or_none(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


_ROLE_DATE_FIELDS = frozenset({"start_date", "end_date"})


def undo_refresh(db: Database, batch_id: int) -> RosterUndoResult:
    """Take a refresh back: people and roles it created removed, roles it ended or filled in
    restored, identifiers and types it added removed.

    Raises:
        NotFoundError: no such refresh.
        ConflictError: already undone, or later edits touch people it created (nothing changed).
    """
    started = time.perf_counter()
    with db.transaction(bulk=True) as session:
        batch = session.get(ImportBatch, batch_id)
        if batch is None or (batch.options or {}).get("kind") != ROSTER_KIND:
            raise NotFoundError(
                f"There is no roster refresh {batch_id}: see the import history for its number."
            )
        if batch.undone_at is not None:
            raise ConflictError(f"Roster refresh {batch_id} ({batch.file_name}) was already undone.")
        entries = session.execute(
            select(
                AuditEntry.id,
                AuditEntry.action,
                AuditEntry.entity,
                AuditEntry.entity_id,
                AuditEntry.field,
                AuditEntry.old_value,
            )
            .where(AuditEntry.import_batch_id == batch_id)
            .order_by(AuditEntry.id.desc())
        ).all()
        last_entry = max((e.id for e in entries), default=0)
        created_people = list(session.scalars(select(Person.id).where(Person.import_batch_id == batch_id)))
        created_roles = [e.entity_id for e in entries if e.entity == "elected_role" and e.action == "create"]
        touched_roles = {e.entity_id for e in entries if e.entity == "elected_role" and e.action == "update"}
        later: list[str] = []
        for part in chunked(created_people):
            later += [
                f"person {pid}"
                for pid in session.scalars(
                    select(AuditEntry.entity_id)
                    .where(
                        AuditEntry.id > last_entry,
                        AuditEntry.entity == "person",
                        AuditEntry.entity_id.in_(part),
                    )
                    .distinct()
                )
            ]
        for part in chunked(sorted(r for r in touched_roles | set(created_roles) if r is not None)):
            later += [
                f"elected role {rid}"
                for rid in session.scalars(
                    select(AuditEntry.entity_id)
                    .where(
                        AuditEntry.id > last_entry,
                        AuditEntry.entity == "elected_role",
                        AuditEntry.entity_id.in_(part),
                    )
                    .distinct()
                )
            ]
        if later:
            shown = ", ".join(later[:8]) + (f" and {len(later) - 8} more" if len(later) > 8 else "")
            raise ConflictError(
                f"Roster refresh {batch_id} ({batch.file_name}) cannot be undone: later edits touch what it did ({shown})."
            )
        undo_entries: list[dict[str, Any]] = []
        roles_restored = 0
        for e in entries:  # newest first, so the oldest value wins
            if e.action != "update" or e.entity_id is None or e.field is None:
                continue
            if e.entity == "elected_role" and e.entity_id not in created_roles:
                value: Any = _date_or_none(e.old_value) if e.field in _ROLE_DATE_FIELDS else e.old_value
                session.execute(
                    update(ElectedRole).where(ElectedRole.id == e.entity_id).values({e.field: value})
                )
                roles_restored += e.field == "end_date"
                undo_entries.append(
                    {
                        "action": "undo",
                        "entity": "elected_role",
                        "entity_id": e.entity_id,
                        "field": e.field,
                        "new": e.old_value,
                    }
                )
            elif e.entity == "person" and e.entity_id not in created_people:
                session.execute(
                    update(Person)
                    .where(Person.id == e.entity_id)
                    .values({e.field: e.old_value, "updated_at": utcnow()})
                )
                undo_entries.append(
                    {
                        "action": "undo",
                        "entity": "person",
                        "entity_id": e.entity_id,
                        "field": e.field,
                        "new": e.old_value,
                    }
                )
        filled = sorted(
            {
                e.entity_id
                for e in entries
                if e.entity == "person" and e.action == "update" and e.entity_id is not None
            }
            - set(created_people)
        )
        refresh_derived(session, filled)
        for model in (PersonIdentifier, PersonType):
            session.execute(delete(model).where(model.import_batch_id == batch_id))
        roles_removed = 0
        for part in chunked([r for r in created_roles if r is not None]):
            roles_removed += (
                cast(
                    CursorResult[Any], session.execute(delete(ElectedRole).where(ElectedRole.id.in_(part)))
                ).rowcount
                or 0
            )
        for part in chunked(created_people):
            session.execute(delete(Person).where(Person.id.in_(part)))
        undo_entries += [
            {
                "action": "undo",
                "entity": "person",
                "entity_id": pid,
                "details": "removed: created by the roster refresh",
            }
            for pid in created_people
        ]
        batch.undone_at = utcnow()
        undo_entries.append(
            {
                "action": "undo",
                "entity": "roster",
                "entity_id": batch_id,
                "details": f"roster refresh {batch_id} undone",
            }
        )
        audit.record_many(session, undo_entries)
    return RosterUndoResult(
        batch_id, len(created_people), roles_removed, roles_restored, time.perf_counter() - started
    )


def list_refreshes(session: Session, limit: int = 50) -> list[ImportBatch]:
    """Recent roster refreshes, newest first."""
    batches = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit * 4))
    return [b for b in batches if (b.options or {}).get("kind") == ROSTER_KIND][:limit]


def undo_batch(db: Database, batch_id: int) -> Any:
    """Undo an import or a roster refresh, whichever the batch was (for the import history)."""
    from crm.importing import undo_import

    with db.session() as session:
        batch = session.get(ImportBatch, batch_id)
        is_roster = batch is not None and (batch.options or {}).get("kind") == ROSTER_KIND
    return undo_refresh(db, batch_id) if is_roster else undo_import(db, batch_id)
