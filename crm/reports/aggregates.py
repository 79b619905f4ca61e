"""The dashboard's and the reports' figures: SQL aggregates over a period, returned as plain values.

Every function takes the caller's :class:`~sqlalchemy.orm.Session` and a
:class:`~crm.reports.period.Period` (both days included) and returns frozen dataclasses of numbers
and names, safe to hand from a worker thread to the window. People in the Trash are never counted;
nor are interactions, events or networks in the Trash. While nothing is written to the database,
the same figures for the same period and day are handed back again (:mod:`crm.reports.reuse`):
read them, never change them.

Meanings, written once:

- A *representative* holds a seat in the Scottish Parliament (an MSP), the Senedd (an MS) or the
  House of Commons (an MP) **at the end of the period** (or today, if the period ends later): the
  role started on or before that day and had not ended before it. Former members are left out.
- *Engaged* means taking part in at least one interaction dated within the period.
- A network *member* on a day: not merely invited, joined on or before that day (or no join date),
  and not left by then (a "left" status without a date counts as left before the period).
- An event's funnel: *invited* is everyone on its list; *registered* those registered, attended or
  marked no-show; *attended*; *followed up* those who attended and took part in a later interaction
  (after the event's last day, within :data:`FOLLOW_UP_DAYS` days, not the event's own record).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select, text, true
from sqlalchemy.orm import Session

from crm.filters import PersonFilter, months_before, person_ids_select
from crm.models import (
    Attendance,
    AttendancePart,
    AttendanceStatus,
    Consent,
    ElectedRole,
    Event,
    EventPart,
    Interaction,
    InteractionPerson,
    Membership,
    MembershipPeriod,
    Network,
    NetworkCohort,
    Organisation,
    Person,
)
from crm.privacy.settings import retention_months
from crm.reports.period import Period
from crm.reports.reuse import reuse

REPRESENTATIVE_CHAMBERS: tuple[tuple[str, str], ...] = (
    ("Scottish Parliament", "MSPs"),
    ("Senedd", "MSs"),
    ("House of Commons", "MPs"),
)
NOT_CONTACTED_MONTHS = 6
FOLLOW_UP_DAYS = 60
NOT_RECORDED = "Not recorded"
NO_OWNER = "No owner"


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _month_key(column: Any, dialect: str) -> Any:
    # SQLite stores dates as ISO text, so the month is its first seven characters.
    if dialect == "sqlite":
        return func.substr(column, 1, 7)
    return func.to_char(column, "YYYY-MM")


def _plus_days(column: Any, days: int, dialect: str) -> Any:
    if dialect == "sqlite":
        return func.date(column, f"+{days} days")
    return column + literal(days)


def _name(first: str | None, preferred: str | None, last: str | None, person_id: int) -> str:
    return " ".join(p for p in (preferred or first, last) if p) or f"Person {person_id}"


# --- Engagement with representatives ------------------------------------------------------------


@dataclass(frozen=True)
class MonthCount:
    key: str  # "2026-03"
    label: str  # "Mar 2026"
    interactions: int
    with_representatives: int | None  # worked out for reports (``detail``), not for the dashboard


@dataclass(frozen=True)
class Share:
    """Representatives in one group (a chamber, a party in a chamber, an area) and how many engaged."""

    chamber: str
    group: str
    members: int
    engaged: int
    not_contacted: int = 0  # no contact since the six-month cut-off (or never)

    @property
    def percent(self) -> float:
        return round(100.0 * self.engaged / self.members, 1) if self.members else 0.0


@dataclass(frozen=True)
class RepresentativeContact:
    person_id: int
    name: str
    chamber: str
    party: str
    constituency: str
    region: str  # the seat's region, else the person's
    last_contacted: dt.date | None
    engaged: bool  # took part in an interaction within the period
    interactions: int | None  # how many, for reports (``detail``)


@dataclass(frozen=True)
class Engagement:
    period: Period
    as_at: dt.date
    not_contacted_since: dt.date
    months: list[MonthCount]
    chambers: list[Share]
    by_party: list[Share]
    by_region: list[Share]
    representatives: list[RepresentativeContact]

    def not_contacted_filter(self, chamber: str) -> PersonFilter:
        """The People list of this chamber's current members not contacted in six months."""
        return PersonFilter(chamber=chamber, last_contacted_before=self.not_contacted_since)


def _representative_roles(as_at: dt.date) -> Any:
    """Current seats as at a day: ``(person_id, chamber, party, constituency, region)``, one per person
    and chamber (the latest-starting seat wins when the data holds two)."""
    chambers = [c for c, _ in REPRESENTATIVE_CHAMBERS]
    return (
        select(
            ElectedRole.person_id,
            ElectedRole.chamber,
            ElectedRole.party,
            ElectedRole.constituency,
            ElectedRole.region,
            ElectedRole.start_date,
        )
        .join(Person, Person.id == ElectedRole.person_id)
        .where(
            Person.deleted_at.is_(None),
            ElectedRole.chamber.in_(chambers),
            or_(ElectedRole.start_date.is_(None), ElectedRole.start_date <= as_at),
            or_(ElectedRole.end_date.is_(None), ElectedRole.end_date >= as_at),
        )
    )


def _interactions_in(period: Period) -> ColumnElement[bool]:
    return and_(
        Interaction.deleted_at.is_(None), Interaction.date >= period.start, Interaction.date <= period.end
    )


def engagement(
    session: Session, period: Period, today: dt.date | None = None, *, detail: bool = False
) -> Engagement:
    """Interactions per month, and how many current representatives were engaged in the period.

    With ``detail`` (the report), also each representative's number of interactions and the
    interactions per month that included a representative.
    """
    day = today or dt.date.today()
    return reuse(
        session, ("engagement", period, day, detail), lambda: _engagement(session, period, day, detail)
    )


def _engagement(session: Session, period: Period, today: dt.date, detail: bool) -> Engagement:
    as_at = min(period.end, today)
    cutoff = months_before(today, NOT_CONTACTED_MONTHS)
    roles = _representative_roles(as_at).subquery()
    # EXISTS stops at a representative's first interaction in the period.
    engaged = (
        exists()
        .where(
            InteractionPerson.person_id == roles.c.person_id,
            Interaction.id == InteractionPerson.interaction_id,
            _interactions_in(period),
        )
        .correlate(roles)
    )
    rows = session.execute(
        select(
            roles.c.person_id,
            roles.c.chamber,
            roles.c.party,
            roles.c.constituency,
            roles.c.region,
            roles.c.start_date,
            Person.first_name,
            Person.preferred_name,
            Person.last_name,
            Person.last_contacted,
            Person.region.label("person_region"),
            engaged.label("engaged"),
        ).join(Person, Person.id == roles.c.person_id)
    ).all()
    chosen: dict[tuple[int, str], Any] = {}
    for row in rows:
        key = (row.person_id, row.chamber)
        held = chosen.get(key)
        if held is None or (row.start_date or dt.date.min) > (held.start_date or dt.date.min):
            chosen[key] = row

    counts: dict[int, int] = defaultdict(int)
    with_reps: dict[str, set[int]] = defaultdict(set)
    if detail:
        for person_id, interaction_id, day in session.execute(
            select(InteractionPerson.person_id, Interaction.id, Interaction.date)
            .join(Interaction, Interaction.id == InteractionPerson.interaction_id)
            .where(InteractionPerson.person_id.in_(select(roles.c.person_id)), _interactions_in(period))
        ):
            counts[person_id] += 1
            with_reps[f"{day:%Y-%m}"].add(interaction_id)

    reps = sorted(
        (
            RepresentativeContact(
                person_id=r.person_id,
                name=_name(r.first_name, r.preferred_name, r.last_name, r.person_id),
                chamber=r.chamber,
                party=r.party or NOT_RECORDED,
                constituency=r.constituency or "",
                region=r.region or r.person_region or "",
                last_contacted=r.last_contacted,
                engaged=bool(r.engaged),
                interactions=counts[r.person_id] if detail else None,
            )
            for r in chosen.values()
        ),
        key=lambda c: (c.last_contacted or dt.date.min, c.chamber, c.name),
    )

    def shares(group_of: Any) -> list[Share]:
        members: dict[tuple[str, str], int] = defaultdict(int)
        engaged: dict[tuple[str, str], int] = defaultdict(int)
        stale: dict[tuple[str, str], int] = defaultdict(int)
        for rep in reps:
            key = (rep.chamber, group_of(rep))
            members[key] += 1
            engaged[key] += rep.engaged
            stale[key] += rep.last_contacted is None or rep.last_contacted < cutoff
        order = {c: i for i, (c, _l) in enumerate(REPRESENTATIVE_CHAMBERS)}
        return [
            Share(
                chamber, group, members[(chamber, group)], engaged[(chamber, group)], stale[(chamber, group)]
            )
            for chamber, group in sorted(members, key=lambda k: (order[k[0]], -members[k], k[1]))
        ]

    labels = dict(REPRESENTATIVE_CHAMBERS)
    chamber_shares = {s.chamber: s for s in shares(lambda rep: labels[rep.chamber])}
    chambers = [chamber_shares.get(c) or Share(c, label, 0, 0, 0) for c, label in REPRESENTATIVE_CHAMBERS]

    # One count per month, each a range of the live-date index (no row is read, nothing computed
    # per row), in one statement.
    months = period.months()
    per_month = session.execute(
        select(
            *[
                select(func.count())
                .select_from(Interaction)
                .where(
                    Interaction.deleted_at.is_(None), Interaction.date >= m.start, Interaction.date <= m.end
                )
                .scalar_subquery()
                for m in months
            ]
        )
    ).one()
    return Engagement(
        period=period,
        as_at=as_at,
        not_contacted_since=cutoff,
        months=[
            MonthCount(m.key, m.label, int(n or 0), len(with_reps[m.key]) if detail else None)
            for m, n in zip(months, per_month, strict=True)
        ],
        chambers=chambers,
        by_party=shares(lambda rep: rep.party),
        by_region=shares(lambda rep: rep.region or rep.constituency or NOT_RECORDED),
        representatives=reps,
    )


# --- Networks -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkSeries:
    network_id: int
    name: str
    members: list[int]  # at the end of each month of the period
    joined: list[int]
    left: list[int]


@dataclass(frozen=True)
class NetworkSplit:
    network: str
    group: str  # a nation or a sector
    members: int


@dataclass(frozen=True)
class Networks:
    period: Period
    month_labels: list[str]
    series: list[NetworkSeries]
    by_nation: list[NetworkSplit]
    by_sector: list[NetworkSplit]
    by_cohort: list[NetworkSplit] = field(default_factory=list)  # networks with cohorts only


def _member_on(day: dt.date) -> ColumnElement[bool]:
    return and_(
        Membership.status != "invited",
        or_(Membership.joined_on.is_(None), Membership.joined_on <= day),
        or_(
            and_(Membership.left_on.is_(None), Membership.status != "left"),
            Membership.left_on > day,
        ),
    )


def _between(column: Any, start: dt.date, end: dt.date) -> ColumnElement[bool]:
    return and_(column >= start, column <= end)


def _live_memberships(stmt: Any, people_in_trash: bool) -> Any:
    """Memberships of people not in the Trash, when anyone is there: the Trash's ids are read from
    its own index (revision 0015) rather than each member's person. Networks in the Trash are left
    out by the caller, who knows the live ones by name (a test on every membership cost more)."""
    if not people_in_trash:
        return stmt
    return stmt.where(Membership.person_id.not_in(select(Person.id).where(Person.deleted_at.is_not(None))))


def _people_in_trash(session: Session) -> bool:
    # Read from the Trash's partial index (0015): a few entries, or none.
    return session.scalar(select(Person.id).where(Person.deleted_at.is_not(None)).limit(1)) is not None


def networks(session: Session, period: Period) -> Networks:
    """Members of each network at the end of every month, joins and leaves, and the split by nation
    and by sector (of the member's organisation) at the end of the period. A cohort or working group
    recorded as a network of its own is a series of its own."""
    return reuse(session, ("networks", period), lambda: _networks(session, period))


def network_series(session: Session, period: Period) -> Networks:
    """The members-over-time half of :func:`networks` (its splits left empty): the dashboard asks
    for each half as a task of its own, so its two reader threads share the work."""
    return reuse(session, ("network_series", period), lambda: _networks(session, period, split=False))


def network_split(session: Session, period: Period) -> Networks:
    """The split half of :func:`networks` (by nation, sector and cohort; its series left empty)."""
    return reuse(session, ("network_split", period), lambda: _networks(session, period, series=False))


def _networks(session: Session, period: Period, *, series: bool = True, split: bool = True) -> Networks:
    months = period.months()
    names = dict(session.execute(select(Network.id, Network.name).where(Network.deleted_at.is_(None))).all())
    trash = _people_in_trash(session)
    by_nation, by_sector, by_cohort = _network_split(session, period, names, trash) if split else ([], [], [])
    return Networks(
        period=period,
        month_labels=[m.label for m in months],
        series=_network_series(session, period, names, trash) if series else [],
        by_nation=by_nation,
        by_sector=by_sector,
        by_cohort=by_cohort,
    )


def _network_series(
    session: Session, period: Period, names: dict[int, str], people_in_trash: bool
) -> list[NetworkSeries]:
    months = period.months()
    n = len(months)
    # Members as changes: +count in the month a group arrives, -count in the month it goes, added
    # up at the end (a group is two additions, not one per month it stays).
    changes = {nid: [0] * (n + 1) for nid in names}
    joined = {nid: [0] * n for nid in names}
    left = {nid: [0] * n for nid in names}
    # Memberships grouped by what decides the counts (SQL does the heavy part: a few thousand rows
    # for tens of thousands of memberships); each group is then placed in the months in Python.
    ends = [m.end for m in months]
    groups = session.execute(
        _live_memberships(
            select(
                Membership.network_id,
                Membership.status,
                Membership.joined_on,
                Membership.left_on,
                func.count(),
            ).select_from(Membership),
            people_in_trash,
        )
        .where(
            Membership.status != "invited",
            or_(Membership.joined_on.is_(None), Membership.joined_on <= period.end),
            or_(Membership.left_on.is_(None), Membership.left_on >= period.start),
        )
        .group_by(Membership.network_id, Membership.status, Membership.joined_on, Membership.left_on)
    ).all()
    # Earlier periods of people who left and rejoined: each counts in the months it covered. Read
    # period by period, each looking its membership up: with statistics gathered, SQLite would
    # rather walk every membership and search its periods (twenty times slower at 60,000), so on
    # SQLite the period's side of the join is kept off its index ("+ 0").
    period_of: ColumnElement[int] = MembershipPeriod.membership_id.expression
    if _dialect(session) == "sqlite":
        period_of = period_of + 0
    earlier = session.execute(
        _live_memberships(
            select(Membership.network_id, MembershipPeriod.joined_on, MembershipPeriod.left_on, func.count())
            .select_from(MembershipPeriod)
            .join(Membership, Membership.id == period_of),
            people_in_trash,
        )
        .where(
            MembershipPeriod.left_on.is_not(None),
            Membership.joined_on.is_not(None),
            MembershipPeriod.left_on <= Membership.joined_on,
            or_(MembershipPeriod.joined_on.is_(None), MembershipPeriod.joined_on <= period.end),
            MembershipPeriod.left_on >= period.start,
        )
        .group_by(Membership.network_id, MembershipPeriod.joined_on, MembershipPeriod.left_on)
    ).all()
    placed: list[tuple[Any, ...]] = [tuple(g) for g in groups]
    placed += [(nid, "left", j, lo, c) for nid, j, lo, c in earlier]
    for network_id, status, joined_on, left_on, count in placed:
        if network_id not in names:  # in the Trash
            continue
        # Month i holds a member when they joined by its end and had not left by then.
        first = 0 if joined_on is None else bisect_left(ends, joined_on)
        stays = left_on is not None or status != "left"
        last = n if left_on is None else bisect_left(ends, left_on)  # left_on <= ends[last]
        if stays and first < last:
            changes[network_id][first] += count
            changes[network_id][last] -= count
        if joined_on is not None and joined_on >= period.start:
            joined[network_id][first] += count
        if left_on is not None and left_on <= period.end:
            left[network_id][last] += count
    return [
        NetworkSeries(nid, name, list(accumulate(changes[nid][:n])), joined[nid], left[nid])
        for nid, name in sorted(names.items(), key=lambda item: item[1].lower())
    ]


def _network_split(
    session: Session, period: Period, names: dict[int, str], people_in_trash: bool
) -> tuple[list[NetworkSplit], list[NetworkSplit], list[NetworkSplit]]:
    # Members on the last day, by nation and by their organisation's sector: one grouped join (the
    # few hundred organisations' sectors are looked up afterwards, and networks in the Trash are
    # dropped by name). A membership is unique per person and network, so count(*) counts people.
    current = [Person.deleted_at.is_(None), _member_on(period.end)]
    if _dialect(session) == "sqlite":
        # SQLite joins by looking each member's person up in turn. From the memberships in person
        # order (revision 0015's index holds them with the dates the test needs) those look-ups
        # read the person table front to back; network by network they jump about it. Without
        # statistics SQLite may pick either index, with them it may pick neither; a range on
        # person_id (every id is positive) makes the person-order index its one choice.
        current.append(Membership.person_id > 0)
    # Organisation first: SQLite sorts the joined rows to group them, and most comparisons are
    # then settled by one integer rather than by the network and the nation's text.
    rows = session.execute(
        select(Person.organisation_id, Membership.network_id, Person.nation, func.count())
        .select_from(Membership)
        .join(Person, Person.id == Membership.person_id)
        .where(*current)
        .group_by(Person.organisation_id, Membership.network_id, Person.nation)
    ).all()
    # Current members on the last day by cohort, for networks that have cohorts: from the cohort
    # index, people in the Trash left out by their (few) ids rather than by reading each person.
    cohort_rows = session.execute(
        _live_memberships(
            select(Membership.network_id, Membership.cohort_id, func.count()).where(
                Membership.cohort_id.is_not(None), _member_on(period.end)
            ),
            people_in_trash,
        ).group_by(Membership.cohort_id, Membership.network_id)  # cohort first: its index's order
    ).all()
    sectors = dict(session.execute(select(Organisation.id, Organisation.sector)).all())
    cohorts = dict(session.execute(select(NetworkCohort.id, NetworkCohort.name)).all())
    by_nation: dict[tuple[str, str], int] = defaultdict(int)
    by_sector: dict[tuple[str, str], int] = defaultdict(int)
    by_cohort: dict[tuple[str, str], int] = defaultdict(int)
    for org_id, nid, nation, count in rows:
        if nid not in names:  # in the Trash
            continue
        by_nation[(names[nid], nation or NOT_RECORDED)] += count
        by_sector[(names[nid], (sectors.get(org_id) if org_id else None) or NOT_RECORDED)] += count
    for nid, cohort_id, count in cohort_rows:
        if nid in names and cohort_id in cohorts:
            by_cohort[(names[nid], cohorts[cohort_id])] += count

    def split(counts: dict[tuple[str, str], int]) -> list[NetworkSplit]:
        return [NetworkSplit(n, g, counts[(n, g)]) for n, g in sorted(counts)]

    return split(by_nation), split(by_sector), split(by_cohort)


# --- Events -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFunnel:
    event_id: int
    name: str
    starts_on: dt.date | None
    invited: int
    registered: int
    attended: int
    followed_up: int


@dataclass(frozen=True)
class StationCount:
    event_id: int
    event: str
    station: str
    attended: int


@dataclass(frozen=True)
class Events:
    period: Period
    events: list[EventFunnel]
    stations: list[StationCount]

    @property
    def totals(self) -> tuple[int, int, int, int]:
        return (
            sum(e.invited for e in self.events),
            sum(e.registered for e in self.events),
            sum(e.attended for e in self.events),
            sum(e.followed_up for e in self.events),
        )


def events(session: Session, period: Period) -> Events:
    """Invited → registered → attended → followed up for each event starting in the period."""
    return reuse(session, ("events", period), lambda: _events(session, period))


def _events(session: Session, period: Period) -> Events:
    dialect = _dialect(session)
    attended = Attendance.status == AttendanceStatus.ATTENDED.value
    registered = Attendance.status.in_(
        [AttendanceStatus.REGISTERED.value, AttendanceStatus.ATTENDED.value, AttendanceStatus.NO_SHOW.value]
    )
    last_day = func.coalesce(Event.ends_on, Event.starts_on)
    later = (
        exists()
        .where(
            InteractionPerson.person_id == Attendance.person_id,
            Interaction.id == InteractionPerson.interaction_id,
            Interaction.deleted_at.is_(None),
            Interaction.date > last_day,
            Interaction.date <= _plus_days(last_day, FOLLOW_UP_DAYS, dialect),
            or_(Interaction.event_id.is_(None), Interaction.event_id != Event.id),
        )
        .correlate(Attendance, Event)
    )
    in_period = and_(
        Event.deleted_at.is_(None), Event.starts_on >= period.start, Event.starts_on <= period.end
    )
    live_attendance = and_(Attendance.event_id == Event.id, Person.deleted_at.is_(None))
    rows = session.execute(
        select(
            Event.id,
            Event.name,
            Event.starts_on,
            func.count(Attendance.id),
            func.sum(case((registered, 1), else_=0)),
            func.sum(case((attended, 1), else_=0)),
            func.sum(case((and_(attended, later), 1), else_=0)),
        )
        .select_from(Event)
        .outerjoin(Attendance, Attendance.event_id == Event.id)
        .outerjoin(Person, Person.id == Attendance.person_id)
        .where(in_period, or_(Attendance.id.is_(None), live_attendance))
        .group_by(Event.id, Event.name, Event.starts_on)
        .order_by(Event.starts_on, Event.name, Event.id)
    ).all()
    funnels = [
        EventFunnel(r[0], r[1], r[2], int(r[3] or 0), int(r[4] or 0), int(r[5] or 0), int(r[6] or 0))
        for r in rows
    ]
    # People who came, placed at each station, workshop or breakout room (revision 0009).
    came_there = and_(
        Attendance.event_id == Event.id,
        Attendance.person_id == AttendancePart.person_id,
        attended,
        Person.deleted_at.is_(None),
    )
    station_rows = session.execute(
        select(Event.id, Event.name, EventPart.name, func.count(Attendance.id))
        .join(EventPart, EventPart.event_id == Event.id)
        .outerjoin(AttendancePart, AttendancePart.part_id == EventPart.id)
        .outerjoin(Person, Person.id == AttendancePart.person_id)
        .outerjoin(Attendance, came_there)
        .where(in_period, EventPart.deleted_at.is_(None))
        .group_by(Event.id, Event.name, Event.starts_on, EventPart.id, EventPart.name, EventPart.position)
        .order_by(Event.starts_on, Event.id, EventPart.position, EventPart.id)
    ).all()
    stations = [StationCount(r[0], r[1], r[2], int(r[3])) for r in station_rows]
    return Events(period=period, events=funnels, stations=stations)


# --- Follow-ups ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerFollowUps:
    owner: str
    overdue: int
    due_this_week: int
    due_later: int
    done: int  # done, and due within the period


@dataclass(frozen=True)
class FollowUps:
    period: Period
    today: dt.date
    week_ends: dt.date
    overdue: int
    due_this_week: int
    by_owner: list[OwnerFollowUps] = field(default_factory=list)


def follow_ups(session: Session, period: Period, today: dt.date | None = None) -> FollowUps:
    """Open follow-ups as they stand today (overdue; due from today to Sunday; later) by owner, and
    those done that were due within the period."""
    day = today or dt.date.today()
    return reuse(session, ("follow_ups", period, day), lambda: _follow_ups(session, period, day))


def _follow_ups(session: Session, period: Period, today: dt.date) -> FollowUps:
    week_ends = today + dt.timedelta(days=6 - today.weekday())
    due = Interaction.follow_up_on
    is_open = Interaction.follow_up_done.is_not(true())
    # Grouped by the owner as stored, in the order of revision 0014's index (one pass, no sort);
    # spellings that tidy to the same name ("Morven ", "") are added together here.
    rows = session.execute(
        select(
            Interaction.owner,
            # FILTER: each follow-up is added to the one count it is in, not to all four.
            func.count().filter(and_(is_open, due < today)),
            func.count().filter(and_(is_open, due >= today, due <= week_ends)),
            func.count().filter(and_(is_open, due > week_ends)),
            func.count().filter(and_(~is_open, due >= period.start, due <= period.end)),
        )
        .where(due.is_not(None), Interaction.deleted_at.is_(None))
        .group_by(Interaction.owner)
    ).all()
    totals: dict[str, list[int]] = {}
    for stored, *counts in rows:
        # SQL's trim(): spaces only, as the list of follow-ups shows the owner.
        owner = (stored or "").strip(" ") or NO_OWNER
        held = totals.setdefault(owner, [0, 0, 0, 0])
        for i, n in enumerate(counts):
            held[i] += int(n or 0)
    by_owner = [OwnerFollowUps(owner, *counts) for owner, counts in totals.items() if any(counts)]
    by_owner.sort(key=lambda o: (-o.overdue, -o.due_this_week, o.owner == NO_OWNER, o.owner.lower()))
    return FollowUps(
        period=period,
        today=today,
        week_ends=week_ends,
        overdue=sum(o.overdue for o in by_owner),
        due_this_week=sum(o.due_this_week for o in by_owner),
        by_owner=by_owner,
    )


# --- Data quality -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityCheck:
    key: str
    label: str
    description: str
    filter: PersonFilter


QUALITY_CHECKS: tuple[QualityCheck, ...] = (
    QualityCheck("no_email", "No email", "No email address recorded.", PersonFilter(has_email=False)),
    QualityCheck(
        "no_address",
        "No postal address",
        "No first address line, or neither a postcode nor a town.",
        PersonFilter(has_address=False),
    ),
    QualityCheck(
        "invalid_postcode",
        "Invalid postcode",
        "A UK (or unstated) country with a postcode not shaped like a UK postcode.",
        PersonFilter(invalid_postcode=True),
    ),
    QualityCheck(
        "invalid_phone",
        "Invalid phone",
        "A phone or mobile that is not 10 to 15 digits once spaces and punctuation are removed.",
        PersonFilter(invalid_phone=True),
    ),
    QualityCheck(
        "possible_duplicate",
        "Share an email or name",
        "Shares an email address, or first name, last name and postcode, with someone else: "
        "a quick check, not the duplicate finder's fuzzy matching.",
        PersonFilter(possible_duplicate=True),
    ),
    QualityCheck(
        "no_consent",
        "No consent recorded",
        "No consent or lawful basis recorded for any purpose.",
        PersonFilter(has_consent=False),
    ),
    QualityCheck(
        "retention_review",
        "Due for retention review",
        "Who the Due for review page lists: not added, and no interaction, event, membership, "
        "consent, elected role or Keep for another period, within the retention period set there.",
        PersonFilter(retention_review_due=True),
    ),
)


@dataclass(frozen=True)
class QualityCount:
    key: str
    label: str
    description: str
    count: int
    filter: PersonFilter


@dataclass(frozen=True)
class DataQuality:
    as_at: dt.date
    people: int
    checks: list[QualityCount]


# Checks counted from revision 0008's partial indexes: their conditions are rendered with literal
# values, as the indexes were, so the database sees the same condition and counts index entries.
_INDEXED = ("no_address", "invalid_postcode", "invalid_phone")


def data_quality(session: Session, period: Period | None = None) -> DataQuality:
    """How many people (not in the Trash) fail each check.

    Each count is what the People list shows with the check's filter, using the list's own WHERE
    clauses. The address, postcode and phone checks count the entries of their partial indexes (a
    pass testing every person's postcode and numbers was most of the dashboard's time); "no email"
    and the retention review read narrow indexes; the people sharing an email or name are gathered
    from their groups (few, in practice) and counted once each. The checks describe the records as
    they are now; ``period`` is accepted for a uniform signature and not used.
    """
    return reuse(session, ("data_quality", dt.date.today()), lambda: _data_quality(session))


# The counts that take nothing from the user or the day, as SQL text, per dialect: rendered once
# (with literal values, for the partial indexes) rather than on every refresh.
_CONSTANT_COUNTS: dict[str, str] = {}


def _constant_counts_sql(session: Session) -> str:
    dialect = session.get_bind().dialect
    sql = _CONSTANT_COUNTS.get(dialect.name)
    if sql is None:
        checks = {c.key: c for c in QUALITY_CHECKS}
        live = Person.deleted_at.is_(None)

        def count_where(where: Any) -> Any:
            return select(func.count()).select_from(Person).where(where).scalar_subquery()

        indexed = []
        for key in _INDEXED:
            where = person_ids_select(checks[key].filter, dialect.name).whereclause
            assert where is not None  # the Trash test is always there
            indexed.append(count_where(where))
        # Everyone less those in the Trash: SQLite counts a whole index without reading its
        # entries, and the Trash from its own partial index (0015), where counting the people
        # not in the Trash read every entry of an index.
        people = select(func.count()).select_from(Person).scalar_subquery() - count_where(
            Person.deleted_at.is_not(None)
        )
        constant = select(
            people, count_where(and_(live, or_(Person.email.is_(None), Person.email == ""))), *indexed
        )
        # Only constants of this module and crm.filters are rendered into the text: no user's value.
        sql = str(constant.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        _CONSTANT_COUNTS[dialect.name] = sql
    return sql


def _data_quality(session: Session) -> DataQuality:
    dialect = session.get_bind().dialect.name
    live = Person.deleted_at.is_(None)
    row = session.execute(text(_constant_counts_sql(session))).one()
    people = int(row[0] or 0)
    counts: dict[str, int] = {"no_email": int(row[1] or 0)}
    counts.update({key: int(v or 0) for key, v in zip(_INDEXED, row[2:], strict=True)})
    # The review's own count, over the period set for it: the tile says what the page will list.
    filters = {c.key: c.filter for c in QUALITY_CHECKS}
    filters["retention_review"] = replace(
        filters["retention_review"], retention_months=retention_months(session)
    )
    retention = person_ids_select(filters["retention_review"], dialect).whereclause
    assert retention is not None
    counts["retention_review"] = int(
        session.scalar(select(func.count()).select_from(Person).where(retention)) or 0
    )
    with_consent = select(Consent.person_id).distinct().subquery()
    consenting = session.scalar(
        select(func.count())
        .select_from(with_consent)
        .join(Person, Person.id == with_consent.c.person_id)
        .where(live)
    )
    counts["no_consent"] = people - int(consenting or 0)
    counts["possible_duplicate"] = len(_sharing_people(session))
    return DataQuality(
        as_at=dt.date.today(),
        people=people,
        checks=[
            QualityCount(c.key, c.label, c.description, counts[c.key], filters[c.key]) for c in QUALITY_CHECKS
        ],
    )


def _sharing_people(session: Session) -> set[int]:
    """Ids of people not in the Trash who share an email, or a name and postcode, with another."""
    live = Person.deleted_at.is_(None)
    # "> ''" is "filled in" (neither NULL nor empty) as one range of the index rather than two
    # tests of every entry.
    emails = (
        select(Person.email)
        .where(live, Person.email > "")
        .group_by(Person.email)
        .having(func.count() > 1)
        .subquery()
    )
    names = (
        select(Person.sort_name, Person.postcode)
        .where(live, Person.sort_name > "", Person.postcode > "")
        .group_by(Person.sort_name, Person.postcode)
        .having(func.count() > 1)
        .subquery()
    )
    ids = set(session.scalars(select(Person.id).join(emails, emails.c.email == Person.email).where(live)))
    ids.update(
        session.scalars(
            select(Person.id)
            .join(names, and_(names.c.sort_name == Person.sort_name, names.c.postcode == Person.postcode))
            .where(live)
        )
    )
    return ids


# --- All of the dashboard -----------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    engagement: Engagement
    networks: Networks
    events: Events
    follow_ups: FollowUps
    data_quality: DataQuality


# The dashboard's sources, longest first: the page asks for them in this order, so on its two reader
# threads the networks' split runs alongside the data quality, and the rest share out after them
# (the two halves of the networks card are sources of their own for that reason).
DASHBOARD_SOURCES: tuple[tuple[str, Callable[[Session, Period], Any]], ...] = (
    ("network_split", network_split),
    ("data_quality", data_quality),
    ("network_series", network_series),
    ("engagement", engagement),
    ("follow_ups", follow_ups),
    ("events", events),
)


def dashboard(session: Session, period: Period) -> Dashboard:
    """Every figure the dashboard shows, for one period, one after another in one session."""
    return Dashboard(
        engagement=engagement(session, period),
        networks=networks(session, period),
        events=events(session, period),
        follow_ups=follow_ups(session, period),
        data_quality=data_quality(session, period),
    )
