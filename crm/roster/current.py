"""Current versus former members, in one place: filters, lists, the person panel and exports.

A role is current while it has no end date or ends after today; the end date is the day the seat
was lost or given up. "Current MSP" means a current Scottish Parliament role; someone whose roles in
a chamber have all ended is a former member there, listed as "Former MSP" and never addressed as
"… MSP". People typed as MSPs with no role recorded at all are taken at their word (current), as
Kindred has nothing to say otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from crm.models import ElectedRole, Membership, Network, Person, PersonIdentifier, PersonType
from crm.roster import chambers
from crm.roster.readers import SOURCE_LABELS
from crm.text import fold

ELECTED_TYPES: dict[str, str] = dict(chambers.CHAMBER_OF_TYPE)  # type → chamber


def role_is_current(today: dt.date | None = None) -> ColumnElement[bool]:
    """SQL: the elected role has not ended."""
    today = today or dt.date.today()
    return or_(ElectedRole.end_date.is_(None), ElectedRole.end_date > today)


def membership_is_current(today: dt.date | None = None) -> ColumnElement[bool]:
    """SQL: the network membership has not ended (not "left", no leaving date passed)."""
    today = today or dt.date.today()
    # Statuses are stored lower-case (the services and the importer see to it).
    return and_(Membership.status != "left", or_(Membership.left_on.is_(None), Membership.left_on > today))


def type_condition(types: Sequence[str], *, current_only: bool = True) -> ColumnElement[bool]:
    """SQL on Person: has any of these stakeholder types; for the types of elected members, as a
    current member of the chamber (or a former one too, unless ``current_only``)."""
    lowered = [t.lower() for t in types]
    plain = [t for t in lowered if t not in ELECTED_TYPES]
    parts: list[ColumnElement[bool]] = []
    if plain:
        parts.append(Person.id.in_(select(PersonType.person_id).where(PersonType.type.in_(plain))))
    for t in lowered:
        chamber = ELECTED_TYPES.get(t)
        if chamber is None:
            continue
        typed = Person.id.in_(select(PersonType.person_id).where(PersonType.type == t))
        any_role = select(ElectedRole.person_id).where(_in_chamber_kind(chamber))
        if current_only:
            current = any_role.where(role_is_current())
            parts.append(or_(Person.id.in_(current), and_(typed, Person.id.not_in(any_role))))
        else:
            parts.append(or_(typed, Person.id.in_(any_role)))
    return or_(*parts) if len(parts) > 1 else parts[0]


def _in_chamber_kind(chamber: str) -> ColumnElement[bool]:
    """SQL: the role is in this chamber, or for councillors in any council."""
    if chamber == chambers.LOCAL_COUNCIL:
        return or_(ElectedRole.chamber == chamber, func.lower(ElectedRole.chamber).like("%council%"))
    return ElectedRole.chamber == chamber


def chamber_condition(name: str) -> ColumnElement[bool]:
    """SQL on ElectedRole for a chamber filter: its names understood ("Holyrood", "Welsh
    Parliament"), and "Local council" meaning any council."""
    chamber = chambers.normalise_chamber(name)
    if chamber is None:
        return func.lower(ElectedRole.chamber) == name.strip().lower()
    if chamber == chambers.LOCAL_COUNCIL:
        return _in_chamber_kind(chamber)
    return func.lower(ElectedRole.chamber) == chamber.lower()


def type_display_expression(today: dt.date | None = None) -> Any:
    """SQL on Person for the list's Type column: the first type, or "former_msp" (and so on) when
    that type is of a chamber whose roles have all ended (by ``today``, else the day it is)."""
    first = (
        select(func.min(PersonType.type))
        .where(PersonType.person_id == Person.id)
        .correlate(Person)
        .scalar_subquery()
    )
    whens = []
    for t, chamber in ELECTED_TYPES.items():
        had = exists().where(ElectedRole.person_id == Person.id, _in_chamber_kind(chamber))
        now = exists().where(
            ElectedRole.person_id == Person.id, _in_chamber_kind(chamber), role_is_current(today)
        )
        whens.append((and_(first == t, had, ~now), f"former_{t}"))
    return case(*whens, else_=first)


def type_label(value: str, labels: Mapping[str, str]) -> str:
    """ "Former MSP" for "former_msp", else the type's own label."""
    if value.startswith("former_"):
        base = value.removeprefix("former_")
        chamber = ELECTED_TYPES.get(base)
        return chambers.former_label(chamber) if chamber else f"Former {labels.get(base, base)}"
    return labels.get(value, value)


# --- Salutations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormerIn:
    """What a former member stops being called: letters after the name, and "Cllr"."""

    letters: frozenset[str]
    councillor: bool


def former_members(session: Session, today: dt.date | None = None) -> dict[int, FormerIn]:
    """People with roles in a chamber that have all ended, and what they are no longer called."""
    today = today or dt.date.today()
    is_current = case((role_is_current(today), 1), else_=0)
    rows = session.execute(
        select(ElectedRole.person_id, ElectedRole.chamber)
        .group_by(ElectedRole.person_id, ElectedRole.chamber)
        .having(func.max(is_current) == 0)
    ).all()
    current_chambers: dict[int, set[str]] = defaultdict(set)
    former: dict[int, set[str]] = defaultdict(set)
    for pid, chamber in rows:
        former[pid].add(chambers.chamber_kind(chamber))
    if not former:
        return {}
    # A former MS who now sits in the Commons is still an MP (and "MS" letters of another chamber
    # are not dropped when the person is a current member where they apply).
    for pid, chamber in session.execute(
        select(ElectedRole.person_id, ElectedRole.chamber).where(role_is_current(today)).distinct()
    ):
        current_chambers[pid].add(chambers.chamber_kind(chamber))
    out: dict[int, FormerIn] = {}
    for pid, chambers_left in former.items():
        keep = {
            letter for c in current_chambers.get(pid, set()) for letter in chambers.POST_NOMINALS.get(c, ())
        }
        letters = frozenset(
            letter
            for c in chambers_left
            for letter in chambers.POST_NOMINALS.get(c, ())
            if letter not in keep
        )
        councillor = (
            chambers.LOCAL_COUNCIL in chambers_left
            and chambers.LOCAL_COUNCIL not in current_chambers.get(pid, set())
        )
        if letters or councillor:
            out[pid] = FormerIn(letters, councillor)
    return out


def addressable(
    title: str | None, post_nominals: str | None, former: FormerIn
) -> tuple[str | None, str | None]:
    """Title and post-nominals without what a former member is no longer called."""
    if post_nominals and former.letters:
        words = post_nominals.replace(",", " ").split()
        kept = [w for w in words if w.strip(".").upper() not in former.letters]
        if len(kept) != len(words):
            post_nominals = " ".join(kept) or None
    if title and former.councillor:
        words = title.split()
        kept = [w for w in words if fold(w).strip(".") not in {"cllr", "councillor"}]
        if len(kept) != len(words):
            title = " ".join(kept) or None
    return title, post_nominals


# --- The person panel and the Representatives page -----------------------------------------------


def identifiers_of(session: Session, person_id: int) -> list[tuple[str, str, str]]:
    """(source, label, identifier) of a person's stored identifiers."""
    rows = session.execute(
        select(PersonIdentifier.source, PersonIdentifier.identifier)
        .where(PersonIdentifier.person_id == person_id)
        .order_by(PersonIdentifier.source)
    ).all()
    return [(s, SOURCE_LABELS.get(s, s), i) for s, i in rows]


def standing_of(session: Session, person_id: int, today: dt.date | None = None) -> list[str]:
    """What a person is as an elected member: "MSP for Glasgow Kelvin (SNP)", "Former MP"."""
    today = today or dt.date.today()
    roles = session.execute(
        select(
            ElectedRole.chamber,
            ElectedRole.party,
            ElectedRole.constituency,
            ElectedRole.region,
            ElectedRole.end_date,
        )
        .where(ElectedRole.person_id == person_id)
        .order_by(ElectedRole.start_date.desc().nulls_last(), ElectedRole.id.desc())
    ).all()
    current: list[str] = []
    former: list[str] = []
    seen: set[str] = set()
    for chamber, party, constituency, region, end in roles:
        name = chambers.chamber_kind(chamber)
        if end is None or end > today:
            noun = chambers.MEMBER_NOUN.get(name, f"Member of the {name}")
            if name == chambers.LOCAL_COUNCIL and chamber != name:
                noun = f"Councillor on {chamber}"
            seat = constituency or region
            text = noun + (f" for {seat}" if seat else "") + (f" ({party})" if party else "")
            current.append(text)
            seen.add(name)
    for chamber, *_rest in roles:
        name = chambers.chamber_kind(chamber)
        if name not in seen:
            seen.add(name)
            former.append(chambers.former_label(name))
    return current + former


@dataclass
class Representative:
    person_id: int
    name: str
    party: str
    seat: str
    kind: str  # constituency or region
    start_date: dt.date | None
    end_date: dt.date | None
    email: str | None
    current: bool


def representatives(
    session: Session, chamber: str, *, include_former: bool = False, today: dt.date | None = None
) -> list[Representative]:
    """A chamber's members (current, and former ones too when asked), by party then name.

    Each person appears once: their current role, or for a former member the latest role.
    """
    today = today or dt.date.today()
    stmt = (
        select(
            Person.id,
            Person.first_name,
            Person.preferred_name,
            Person.last_name,
            Person.email,
            ElectedRole.party,
            ElectedRole.constituency,
            ElectedRole.region,
            ElectedRole.start_date,
            ElectedRole.end_date,
        )
        .join(ElectedRole, ElectedRole.person_id == Person.id)
        .where(ElectedRole.chamber == chamber, Person.deleted_at.is_(None))
        .order_by(
            Person.id,
            ElectedRole.end_date.is_(None).desc(),
            ElectedRole.end_date.desc(),
            ElectedRole.id.desc(),
        )
    )
    if not include_former:
        stmt = stmt.where(role_is_current(today))
    best: dict[int, Representative] = {}
    for r in session.execute(stmt):
        current = r.end_date is None or r.end_date > today
        have = best.get(r.id)
        if have is not None and (have.current or not current):
            continue
        name = (
            " ".join(p for p in (r.preferred_name or r.first_name, r.last_name) if p)
            or r.email
            or f"Person {r.id}"
        )
        best[r.id] = Representative(
            r.id,
            name,
            r.party or "No party recorded",
            r.constituency or r.region or "",
            "constituency" if r.constituency else ("region" if r.region else ""),
            r.start_date,
            r.end_date,
            r.email,
            current,
        )
    return sorted(best.values(), key=lambda m: (not m.current, fold(m.party), fold(m.name)))


def party_counts(members: Iterable[Representative]) -> list[tuple[str, int]]:
    """Current members per party, largest first."""
    counts: dict[str, int] = defaultdict(int)
    for m in members:
        if m.current:
            counts[m.party] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], fold(kv[0])))


def chamber_counts(session: Session, today: dt.date | None = None) -> list[tuple[str, int]]:
    """Chambers with their number of current members (people, not roles)."""
    rows = session.execute(
        select(ElectedRole.chamber, func.count(func.distinct(ElectedRole.person_id)))
        .join(Person, Person.id == ElectedRole.person_id)
        .where(role_is_current(today), Person.deleted_at.is_(None))
        .group_by(ElectedRole.chamber)
    ).all()
    return sorted(((c, n) for c, n in rows), key=lambda cn: (-cn[1], cn[0]))


def network_member_counts(session: Session, network_id: int) -> tuple[int, int]:
    """(current members, people who have left) of a network, as its page and exports count them."""
    is_current = membership_is_current()
    base = (
        select(func.count())
        .select_from(Membership)
        .join(Person, Person.id == Membership.person_id)
        .join(Network, Network.id == Membership.network_id)
        .where(Membership.network_id == network_id, Person.deleted_at.is_(None))
    )
    current = session.execute(base.where(is_current)).scalar_one()
    left = session.execute(base.where(~is_current)).scalar_one()
    return current, left
