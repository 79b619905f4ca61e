"""Undoing a bulk status change on a network page puts the membership periods back exactly.

The page's undo sets each membership's previous status again (``update_membership``), as it did
before this fix; a rejoin taken back the same day must not leave a one-day period behind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.db import Database
from crm.models import AuditEntry, Membership, MembershipPeriod
from crm.services import cohorts, membership_periods, networks, people

D = dt.date


def _state(session: Session, membership_id: int) -> tuple[Any, ...]:
    m = session.get(Membership, membership_id)
    assert m is not None
    periods = session.execute(
        select(
            MembershipPeriod.id,
            MembershipPeriod.joined_on,
            MembershipPeriod.left_on,
            MembershipPeriod.cohort_id,
            MembershipPeriod.join_reason,
            MembershipPeriod.leave_reason,
        )
        .where(MembershipPeriod.membership_id == membership_id)
        .order_by(MembershipPeriod.id)
    ).all()
    return (m.status, m.joined_on, m.left_on, m.cohort_id, m.role, [tuple(p) for p in periods])


def _members(db: Database) -> tuple[int, list[int]]:
    with db.transaction() as session:
        ids = [people.create_person(session, first_name=n, last_name="Member").id for n in ("Ada", "Bea")]
        kln = networks.create_network(session, "Kindness Leadership Network")
        cohort = cohorts.create_cohort(session, kln.id, "KLN 2023–24")
        networks.add_members(session, kln.id, ids, joined_on=D(2023, 9, 1), cohort_id=cohort.id)
        mids = list(session.scalars(select(Membership.id).where(Membership.network_id == kln.id)))
        return kln.id, sorted(mids)


def test_undoing_set_active_for_leavers_restores_their_periods_exactly(db: Database) -> None:
    network_id, mids = _members(db)
    with db.transaction() as session:
        for mid in mids:
            membership_periods.leave(session, mid, on=D(2025, 3, 1), reason="Moved job")
        person_ids = list(session.scalars(select(Membership.person_id).where(Membership.id.in_(mids))))
    with db.session() as session:
        before = {mid: _state(session, mid) for mid in mids}
        old_statuses = {mid: session.get(Membership, mid).status for mid in mids}  # type: ignore[union-attr]
    with db.transaction() as session:
        assert networks.set_status(session, network_id, person_ids, "active") == 2
    with db.session() as session:
        assert all(len(_state(session, mid)[5]) == 2 for mid in mids)  # back in: a new period each
    # Edit ▸ Undo, as the network page does it: each membership's old status again.
    with db.transaction() as session:
        for mid, status in old_statuses.items():
            networks.update_membership(session, mid, status=status)
    with db.session() as session:
        assert {mid: _state(session, mid) for mid in mids} == before
        assert (
            session.scalars(
                select(AuditEntry.details).where(
                    AuditEntry.entity == "membership_period", AuditEntry.action == "delete"
                )
            ).all()
            == ["A rejoin taken back on the day it was made"] * 2
        )


def test_removing_again_in_bulk_the_same_day_takes_the_rejoin_back(db: Database) -> None:
    network_id, mids = _members(db)
    with db.transaction() as session:
        membership_periods.leave(session, mids[0], on=D(2025, 3, 1))
        person_ids = list(session.scalars(select(Membership.person_id).where(Membership.id.in_(mids))))
    with db.session() as session:
        before = _state(session, mids[0])
        still_in = _state(session, mids[1])
    with db.transaction() as session:
        networks.set_status(session, network_id, person_ids[:1], "paused")
        networks.set_status(session, network_id, person_ids, "left")
    with db.session() as session:
        assert _state(session, mids[0]) == before
        # A member who had not left closes their period today, as before.
        status, _joined, left_on, *_rest, periods = _state(session, mids[1])
        assert (status, left_on, len(periods)) == ("left", dt.date.today(), 1)
        assert periods[0][:2] == still_in[5][0][:2]


def test_undoing_a_removal_reopens_the_same_period(db: Database) -> None:
    network_id, mids = _members(db)
    with db.session() as session:
        before = {mid: _state(session, mid) for mid in mids}
        person_ids = list(session.scalars(select(Membership.person_id).where(Membership.id.in_(mids))))
    with db.transaction() as session:
        networks.set_status(session, network_id, person_ids, "left")
    with db.transaction() as session:
        for mid in mids:
            networks.update_membership(session, mid, status="active")
    with db.session() as session:
        assert {mid: _state(session, mid) for mid in mids} == before


def test_a_deliberate_rejoin_with_a_reason_is_kept_when_they_leave_the_same_day(db: Database) -> None:
    _network_id, mids = _members(db)
    with db.transaction() as session:
        membership_periods.leave(session, mids[0], on=D(2025, 3, 1))
        membership_periods.rejoin(session, mids[0], reason="Came back for the 2026 cohort")
        networks.update_membership(session, mids[0], status="left")
    with db.session() as session:
        periods = _state(session, mids[0])[5]
        assert [(p[1], p[2]) for p in periods] == [
            (D(2023, 9, 1), D(2025, 3, 1)),
            (dt.date.today(), dt.date.today()),
        ]
