"""Membership periods: joining, leaving and rejoining a network, every period kept.

A ``membership`` row (one per person per network) holds the latest period, so every query asking
"is this person a current member?" reads it as before; ``membership_period`` keeps each period
with its dates, reasons and cohort. Leaving closes the open period; rejoining opens a new one.
The latest period of a membership is the one that started last (the last added, on a tie):
merging two people's memberships can add earlier periods after later ones.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import insert_rows
from crm.errors import NotFoundError, ValidationError
from crm.models import (
    Membership,
    MembershipGroup,
    MembershipPeriod,
    Network,
    NetworkCohort,
    NetworkGroup,
    table_of,
    utcnow,
)
from crm.roster.current import membership_is_current
from crm.text import clean_text
from crm.util import chunked


@dataclass(frozen=True)
class Period:
    """One period of a membership, for the person panel and the network page."""

    id: int
    joined_on: dt.date | None
    left_on: dt.date | None
    join_reason: str | None
    leave_reason: str | None
    cohort: str | None

    @property
    def is_open(self) -> bool:
        return self.left_on is None or self.left_on > dt.date.today()

    def describe(self) -> str:
        """e.g. "3 Mar 2021 – 1 Sep 2022 (moved abroad)"."""
        start = _day(self.joined_on) if self.joined_on else "date not known"
        end = "now" if self.left_on is None else _day(self.left_on)
        text = f"{start} – {end}"
        extras = [self.cohort] if self.cohort else []
        if self.join_reason:
            extras.append(f"joined: {self.join_reason}")
        if self.leave_reason:
            extras.append(f"left: {self.leave_reason}")
        return f"{text} ({'; '.join(extras)})" if extras else text


@dataclass
class MembershipHistory:
    """A person's membership of one network: where they stand now and every period."""

    membership_id: int
    network_id: int
    network: str
    role: str
    status: str
    current: bool
    cohort_id: int | None
    cohort: str | None
    groups: list[tuple[int, str, str]] = field(default_factory=list)  # (group id, name, role)
    periods: list[Period] = field(default_factory=list)


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def open_first_periods(
    session: Session, network_id: int, person_ids: Sequence[int], *, batch_id: int | None = None
) -> None:
    """Open the first period of these people's new memberships, from the membership rows (bulk)."""
    now = utcnow()
    period = table_of(MembershipPeriod)
    for part in chunked(list(person_ids)):
        source = select(
            Membership.id,
            Membership.joined_on,
            Membership.left_on,
            Membership.cohort_id,
            literal(batch_id, type_=period.c.import_batch_id.type),
            literal(now, type_=period.c.created_at.type),
        ).where(Membership.network_id == network_id, Membership.person_id.in_(part))
        session.execute(
            insert(period).from_select(
                ["membership_id", "joined_on", "left_on", "cohort_id", "import_batch_id", "created_at"],
                source,
            )
        )


def sync_latest_periods(session: Session, membership_ids: Sequence[int]) -> None:
    """Make each membership's latest period say what the membership row says (its dates, cohort).

    A membership marked "left" without a date closes its period today. Memberships without any
    period (written by an older Kindred) get one.
    """
    session.flush()
    today = dt.date.today()
    for part in chunked(list(dict.fromkeys(membership_ids))):
        rows = session.execute(
            select(
                Membership.id,
                Membership.joined_on,
                Membership.left_on,
                Membership.status,
                Membership.cohort_id,
            ).where(Membership.id.in_(part))
        ).all()
        latest = latest_period_ids(session, part)
        changes: list[dict[str, object]] = []
        for mid, joined, left, status, cohort in rows:
            left = left if left is not None or (status or "").lower() != "left" else today
            values = {"joined_on": joined, "left_on": left, "cohort_id": cohort}
            if mid in latest:
                changes.append({"id": latest[mid], **values})
            else:
                session.add(MembershipPeriod(membership_id=mid, created_at=utcnow(), **values))
        if changes:
            # One statement for many periods (a bulk status change can touch thousands).
            session.execute(update(MembershipPeriod), changes)
    session.flush()


def reopen_periods(session: Session, membership_ids: Sequence[int], on: dt.date | None = None) -> None:
    """Rejoin (bulk): memberships just set back from "left" start a new period on ``on`` (today)."""
    on = on or dt.date.today()
    for part in chunked(list(membership_ids)):
        if not part:
            continue
        session.execute(
            update(Membership)
            .where(Membership.id.in_(part))
            .values(joined_on=on, left_on=None, cohort_id=None)
        )
        insert_rows(
            session,
            table_of(MembershipPeriod),
            [{"membership_id": mid, "joined_on": on, "created_at": utcnow()} for mid in part],
        )


def take_back_same_day_rejoins(session: Session, membership_ids: Sequence[int]) -> set[int]:
    """Memberships marked "left" again on the day a rejoin opened their new period: the rejoin is
    taken back rather than kept as a one-day period.

    A bulk status change back into a network opens a new period today (the earlier one kept as it
    was); undoing it, or removing them again the same day, means they never rejoined. The new period
    is removed (recorded in the audit log) and the membership row takes back the earlier period's
    dates and cohort, so the history is exactly as it was. Returns the memberships taken back.
    """
    session.flush()
    today = dt.date.today()
    taken: set[int] = set()
    for part in chunked(list(dict.fromkeys(membership_ids))):
        by_membership: dict[int, list[MembershipPeriod]] = defaultdict(list)
        for period in session.scalars(
            select(MembershipPeriod).where(MembershipPeriod.membership_id.in_(part))
        ):
            by_membership[period.membership_id].append(period)
        for mid, periods in by_membership.items():
            if len(periods) < 2:
                continue
            periods.sort(key=lambda p: _order_key(p.joined_on, p.id))
            previous, latest = periods[-2], periods[-1]
            opened_today = latest.created_at is not None and latest.created_at.date() >= today - dt.timedelta(
                days=1
            )
            if not (
                latest.joined_on == today
                and latest.left_on in (None, today)
                and latest.join_reason is None
                and latest.leave_reason is None
                and opened_today
                and previous.left_on is not None
            ):
                continue
            membership = _membership(session, mid)
            audit.record(
                session,
                "delete",
                "membership_period",
                latest.id,
                "joined_on",
                _day(today),
                None,
                details="A rejoin taken back on the day it was made",
            )
            session.delete(latest)
            for key, value in (
                ("joined_on", previous.joined_on),
                ("left_on", previous.left_on),
                ("cohort_id", previous.cohort_id),
            ):
                old = getattr(membership, key)
                if old != value:
                    setattr(membership, key, value)
                    audit.record(session, "update", "membership", mid, key, old, value)
            taken.add(mid)
    session.flush()
    return taken


def _order_key(joined: dt.date | None, period_id: int) -> tuple[dt.date, int]:
    return (joined or dt.date.min, period_id)


def latest_period_ids(session: Session, membership_ids: Sequence[int]) -> dict[int, int]:
    """membership id → its latest period's id (the one that started last)."""
    best: dict[int, tuple[tuple[dt.date, int], int]] = {}
    for part in chunked(list(membership_ids)):
        for mid, pid, joined in session.execute(
            select(MembershipPeriod.membership_id, MembershipPeriod.id, MembershipPeriod.joined_on).where(
                MembershipPeriod.membership_id.in_(part)
            )
        ):
            key = _order_key(joined, pid)
            if mid not in best or key > best[mid][0]:
                best[mid] = (key, pid)
    return {mid: pid for mid, (_, pid) in best.items()}


def _membership(session: Session, membership_id: int) -> Membership:
    membership = session.get(Membership, membership_id)
    if membership is None:
        raise NotFoundError(f"There is no membership with id {membership_id}.")
    return membership


def _latest_period(session: Session, membership_id: int) -> MembershipPeriod | None:
    latest = latest_period_ids(session, [membership_id]).get(membership_id)
    return None if latest is None else session.get(MembershipPeriod, latest)


def is_current(session: Session, membership_id: int) -> bool:
    return bool(
        session.scalar(select(func.count()).where(Membership.id == membership_id, membership_is_current()))
    )


def leave(
    session: Session, membership_id: int, *, on: dt.date | None = None, reason: str | None = None
) -> None:
    """End a current membership on ``on`` (today by default), closing its open period."""
    membership = _membership(session, membership_id)
    if not is_current(session, membership_id):
        raise ValidationError("This person has already left the network; rejoin them first.", "status")
    on = on or dt.date.today()
    if membership.joined_on is not None and on < membership.joined_on:
        raise ValidationError(
            f"The leaving date {_day(on)} is before they joined ({_day(membership.joined_on)}).", "left_on"
        )
    reason = clean_text(reason)
    old = (membership.status, membership.left_on)
    membership.status = "left"
    membership.left_on = on
    sync_latest_periods(session, [membership_id])
    period = _latest_period(session, membership_id)
    if period is not None:
        period.leave_reason = reason
    audit.record(session, "update", "membership", membership_id, "status", old[0], "left", details=reason)
    audit.record(session, "update", "membership", membership_id, "left_on", old[1], on)
    session.flush()


def rejoin(
    session: Session,
    membership_id: int,
    *,
    on: dt.date | None = None,
    reason: str | None = None,
    cohort_id: int | None = None,
    status: str = "active",
) -> int:
    """Open a new period for someone who has left: the earlier periods stay as they were.

    Returns the new period's id.
    """
    membership = _membership(session, membership_id)
    if is_current(session, membership_id):
        raise ValidationError("This person is a current member already; they can rejoin once they have left.")
    on = on or dt.date.today()
    previous = _latest_period(session, membership_id)
    if previous is not None and previous.left_on is not None and on < previous.left_on:
        raise ValidationError(
            f"The rejoining date {_day(on)} is before they last left ({_day(previous.left_on)}).", "joined_on"
        )
    if cohort_id is not None:
        _check_cohort(session, membership.network_id, cohort_id)
    old = (membership.status, membership.joined_on, membership.left_on, membership.cohort_id)
    membership.status = (clean_text(status) or "active").lower()
    membership.joined_on = on
    membership.left_on = None
    membership.cohort_id = cohort_id
    period = MembershipPeriod(
        membership_id=membership_id,
        joined_on=on,
        join_reason=clean_text(reason),
        cohort_id=cohort_id,
        created_at=utcnow(),
    )
    session.add(period)
    session.flush()
    audit.record(
        session,
        "update",
        "membership",
        membership_id,
        "status",
        old[0],
        membership.status,
        details=period.join_reason,
    )
    audit.record(session, "update", "membership", membership_id, "joined_on", old[1], on)
    if old[3] != cohort_id:
        audit.record(session, "update", "membership", membership_id, "cohort", old[3], cohort_id)
    return period.id


def edit_period(
    session: Session,
    period_id: int,
    *,
    joined_on: dt.date | None,
    left_on: dt.date | None,
    join_reason: str | None = None,
    leave_reason: str | None = None,
) -> None:
    """Correct a period's dates and reasons. Only the latest period may be open."""
    period = session.get(MembershipPeriod, period_id)
    if period is None:
        raise NotFoundError(f"There is no membership period with id {period_id}.")
    if joined_on is not None and left_on is not None and left_on < joined_on:
        raise ValidationError("A period cannot end before it starts.", "left_on")
    latest = _latest_period(session, period.membership_id)
    is_latest = latest is not None and latest.id == period.id
    if left_on is None and not is_latest:
        raise ValidationError("Only the latest period can be open: give this one a leaving date.", "left_on")
    changes = {
        "joined_on": joined_on,
        "left_on": left_on,
        "join_reason": clean_text(join_reason),
        "leave_reason": clean_text(leave_reason),
    }
    for key, new in changes.items():
        old = getattr(period, key)
        if old != new:
            setattr(period, key, new)
            audit.record(session, "update", "membership_period", period.id, key, old, new)
    if is_latest:
        membership = _membership(session, period.membership_id)
        membership.joined_on = joined_on
        membership.left_on = left_on
        if left_on is not None and membership.status != "left":
            membership.status = "left"
        elif left_on is None and membership.status == "left":
            membership.status = "active"
    session.flush()


def _check_cohort(session: Session, network_id: int, cohort_id: int) -> None:
    cohort = session.get(NetworkCohort, cohort_id)
    if cohort is None or cohort.network_id != network_id:
        raise ValidationError("That cohort belongs to another network.", "cohort")


# --- Reading ------------------------------------------------------------------------------------


def periods_of(session: Session, membership_ids: Sequence[int]) -> dict[int, list[Period]]:
    """Every period of these memberships, oldest first, keyed by membership id."""
    out: dict[int, list[Period]] = defaultdict(list)
    for part in chunked(list(membership_ids)):
        rows = session.execute(
            select(
                MembershipPeriod.membership_id,
                MembershipPeriod.id,
                MembershipPeriod.joined_on,
                MembershipPeriod.left_on,
                MembershipPeriod.join_reason,
                MembershipPeriod.leave_reason,
                NetworkCohort.name,
            )
            .outerjoin(NetworkCohort, NetworkCohort.id == MembershipPeriod.cohort_id)
            .where(MembershipPeriod.membership_id.in_(part))
        ).all()
        for r in sorted(rows, key=lambda r: (r[0], _order_key(r[2], r[1]))):
            out[r[0]].append(Period(r[1], r[2], r[3], r[4], r[5], r[6]))
    return dict(out)


def groups_of(session: Session, membership_ids: Sequence[int]) -> dict[int, list[tuple[int, str, str]]]:
    """(group id, name, role) of each membership's groups, by group name."""
    out: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for part in chunked(list(membership_ids)):
        rows = session.execute(
            select(MembershipGroup.membership_id, NetworkGroup.id, NetworkGroup.name, MembershipGroup.role)
            .join(NetworkGroup, NetworkGroup.id == MembershipGroup.group_id)
            .where(MembershipGroup.membership_id.in_(part))
            .order_by(NetworkGroup.name)
        ).all()
        for r in rows:
            out[r[0]].append((r[1], r[2], r[3]))
    return dict(out)


def person_history(session: Session, person_id: int, *, with_trash: bool = False) -> list[MembershipHistory]:
    """The person's memberships (of networks not in the Trash unless ``with_trash``), current ones
    first, with every period."""
    current = membership_is_current()
    rows = session.execute(
        select(
            Membership.id,
            Network.id,
            Network.name,
            Membership.role,
            Membership.status,
            current,
            Membership.cohort_id,
            NetworkCohort.name,
        )
        .join(Network, Network.id == Membership.network_id)
        .outerjoin(NetworkCohort, NetworkCohort.id == Membership.cohort_id)
        .where(Membership.person_id == person_id, Network.deleted_at.is_(None) | with_trash)
        .order_by(Network.name)
    ).all()
    ids = [r[0] for r in rows]
    periods = periods_of(session, ids)
    groups = groups_of(session, ids)
    out = [
        MembershipHistory(
            membership_id=r[0],
            network_id=r[1],
            network=r[2],
            role=r[3],
            status="left" if not r[5] else r[4],
            current=bool(r[5]),
            cohort_id=r[6],
            cohort=r[7],
            groups=groups.get(r[0], []),
            periods=periods.get(r[0], []),
        )
        for r in rows
    ]
    out.sort(key=lambda h: not h.current)
    return out


def rejoined_count(session: Session, network_id: int) -> int:
    """How many members of the network have more than one period."""
    per = (
        select(MembershipPeriod.membership_id)
        .join(Membership, Membership.id == MembershipPeriod.membership_id)
        .where(Membership.network_id == network_id)
        .group_by(MembershipPeriod.membership_id)
        .having(func.count() > 1)
        .subquery()
    )
    return int(session.scalar(select(func.count()).select_from(per)) or 0)


__all__ = [
    "MembershipHistory",
    "Period",
    "edit_period",
    "groups_of",
    "latest_period_ids",
    "leave",
    "open_first_periods",
    "periods_of",
    "person_history",
    "rejoin",
    "rejoined_count",
    "reopen_periods",
    "sync_latest_periods",
]
