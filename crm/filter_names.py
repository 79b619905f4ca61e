"""Checking that the names a filter gives are names Kindred holds.

A filter matches names exactly (case and dashes aside), so a mistyped event, station, network or
tag would select nobody and say nothing: a count of 0, an empty export, no letters. Every command
that selects people, and every saved view when it is opened, calls :func:`check_names` first, and a
name that matches nothing is a :class:`UnknownNameError` naming the closest names that do exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from crm.errors import NotFoundError
from crm.filters import PersonFilter, _ci_equal, _dash_equal
from crm.models import (
    NATIONS,
    ElectedRole,
    Event,
    EventPart,
    Membership,
    Network,
    NetworkCohort,
    NetworkGroup,
    Organisation,
    Person,
    StakeholderType,
    Tag,
)
from crm.roster import chambers, current

NETWORK_STATUSES = ("active", "invited", "paused", "left")
# How many names a message lists, and how many stored names are read to choose them from.
SUGGESTIONS = 5
CANDIDATES = 20_000


class UnknownNameError(NotFoundError):
    """A filter names an event, network, tag (…) that does not exist."""

    def __init__(self, message: str, kind: str, name: str, suggestions: Sequence[str]) -> None:
        super().__init__(message)
        self.kind = kind
        self.name = name
        self.suggestions = list(suggestions)


def closest(name: str, known: Sequence[str], limit: int = SUGGESTIONS) -> list[str]:
    """The known names nearest ``name``: those containing it or spelt by its initials ("KLN") first,
    then by likeness."""
    wanted = name.strip().casefold()
    containing = [k for k in known if wanted and (wanted in k.casefold() or wanted == _initials(k))]
    scored = process.extract(
        wanted, list(known), scorer=fuzz.WRatio, processor=str.casefold, limit=limit * 2, score_cutoff=60
    )
    out: list[str] = []
    for candidate in [*containing, *(match for match, _score, _index in scored)]:
        if candidate not in out:
            out.append(candidate)
    return out[:limit]


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.casefold().split() if word[0].isalnum())


def unknown(kind: str, plural: str, name: str, known: Sequence[str], where: str = "") -> UnknownNameError:
    """The error for a name that matches nothing, listing close names (else the first few)."""
    shown = name.strip()
    names = sorted({k for k in known if k}, key=str.casefold)
    near = closest(shown, names)
    head = f"No {kind} called “{shown}”{where}."
    if not names:
        return UnknownNameError(f"{head} There are no {plural} yet.", kind, shown, [])
    listed = near or names[:SUGGESTIONS]
    quoted = [f"“{n}”" for n in listed]
    if near:
        choice = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
        message = f"{head} Did you mean {choice}?"
    else:
        more = len(names) - len(listed)
        message = f"{head} Known {plural}: {', '.join(quoted)}" + (f" and {more} more." if more > 0 else ".")
    return UnknownNameError(message, kind, shown, listed)


def _names(session: Session, column: Any, *conditions: ColumnElement[bool]) -> list[str]:
    stmt = select(column).where(column.is_not(None), column != "", *conditions).distinct().limit(CANDIDATES)
    return [str(v) for v in session.scalars(stmt)]


def _exists(session: Session, *conditions: ColumnElement[bool]) -> bool:
    return bool(session.scalar(select(exists().where(*conditions))))


def check_names(session: Session, f: PersonFilter) -> None:
    """Raise :class:`UnknownNameError` for the first name in ``f`` that matches nothing stored.

    Names are compared as the filter compares them, so whatever passes here is a name the filter
    finds; a name that exists but has nobody under it (an empty cohort) passes and counts 0.
    """
    for t in f.types:
        if t.strip().lower() not in {s.value for s in StakeholderType}:
            raise unknown("stakeholder type", "types", t, [s.value for s in StakeholderType])
    network_ids = None
    where_network = ""
    if f.network:
        if not _exists(session, _ci_equal(Network.name, f.network)):
            raise unknown("network", "networks", f.network, _names(session, Network.name))
        network_ids = select(Network.id).where(_ci_equal(Network.name, f.network))
        where_network = f" in “{f.network.strip()}”"
    in_network: list[ColumnElement[bool]] = []
    if f.network_status and f.network_status.strip().lower() not in NETWORK_STATUSES:
        raise unknown("membership status", "statuses", f.network_status, NETWORK_STATUSES)
    if f.network_role:
        role_where = [Membership.network_id.in_(network_ids)] if network_ids is not None else []
        if not _exists(session, _ci_equal(Membership.role, f.network_role), *role_where):
            raise unknown(
                "network role", "roles", f.network_role, _names(session, Membership.role, *role_where)
            )
    if f.network_cohort:
        in_network = [NetworkCohort.network_id.in_(network_ids)] if network_ids is not None else []
        if not _exists(session, _dash_equal(NetworkCohort.name, f.network_cohort), *in_network):
            names = _names(session, NetworkCohort.name, *in_network)
            raise unknown("cohort", "cohorts", f.network_cohort, names, where_network)
    if f.network_group:
        in_network = [NetworkGroup.network_id.in_(network_ids)] if network_ids is not None else []
        if not _exists(session, _dash_equal(NetworkGroup.name, f.network_group), *in_network):
            names = _names(session, NetworkGroup.name, *in_network)
            raise unknown("group", "groups", f.network_group, names, where_network)
    for tag in f.tags:
        if not _exists(session, _ci_equal(Tag.name, tag)):
            raise unknown("tag", "tags", tag, _names(session, Tag.name))
    if f.organisation and not _exists(session, _ci_equal(Organisation.name, f.organisation)):
        names = _names(session, Organisation.name, Organisation.deleted_at.is_(None))
        raise unknown("organisation", "organisations", f.organisation, names)
    if f.sector and not _exists(session, _ci_equal(Organisation.sector, f.sector)):
        raise unknown("sector", "sectors", f.sector, _names(session, Organisation.sector))
    if f.nation:
        canonical = f.nation.strip().lower() in {n.lower() for n in NATIONS}
        if not canonical and not _exists(session, _ci_equal(Person.nation, f.nation)):
            raise unknown("nation", "nations", f.nation, NATIONS)
    if f.region and not _exists(session, _ci_equal(Person.region, f.region)):
        raise unknown("region", "regions", f.region, _names(session, Person.region))
    if f.chamber:
        understood = chambers.normalise_chamber(f.chamber) is not None
        if not understood and not _exists(session, current.chamber_condition(f.chamber)):
            raise unknown("chamber", "chambers", f.chamber, _names(session, ElectedRole.chamber))
    if f.party and not _exists(session, _ci_equal(ElectedRole.party, f.party)):
        raise unknown("party", "parties", f.party, _names(session, ElectedRole.party))
    if f.constituency and not _exists(
        session,
        or_(
            _ci_equal(ElectedRole.constituency, f.constituency), _ci_equal(ElectedRole.region, f.constituency)
        ),
    ):
        names = _names(session, ElectedRole.constituency) + _names(session, ElectedRole.region)
        raise unknown("constituency or region", "constituencies", f.constituency, names)
    _check_event_names(session, f)


def _check_event_names(session: Session, f: PersonFilter) -> None:
    live_events = Event.deleted_at.is_(None)
    if f.event and not _exists(session, live_events, _ci_equal(Event.name, f.event)):
        raise unknown("event", "events", f.event, _names(session, Event.name, live_events))
    if f.station:
        live_parts: list[ColumnElement[bool]] = [
            EventPart.deleted_at.is_(None),
            EventPart.event_id.in_(select(Event.id).where(live_events)),
        ]
        where = ""
        if f.event:
            live_parts.append(
                EventPart.event_id.in_(select(Event.id).where(live_events, _ci_equal(Event.name, f.event)))
            )
            where = f" at “{f.event.strip()}”"
        if not _exists(session, _ci_equal(EventPart.name, f.station), *live_parts):
            names = _names(session, EventPart.name, *live_parts)
            raise unknown("station, workshop or breakout room", "stations", f.station, names, where)
