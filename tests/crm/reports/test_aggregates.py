"""Each aggregate against hand-counted data, on SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import update

from crm.db import Database
from crm.errors import ValidationError
from crm.filters import PersonFilter, count_people, months_before
from crm.models import Membership, Person
from crm.reports import aggregates
from crm.reports.period import Period
from crm.services import consent, people

from tests.crm.reports.conftest import (
    D,
    engagement_world,
    events_world,
    follow_up_world,
    networks_world,
    person,
    set_raw,
)

YEAR_2025 = Period(D(2025, 1, 1), D(2025, 12, 31))


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match="swap the dates"):
        Period(D(2025, 2, 1), D(2025, 1, 31))
    one_day = Period(D(2025, 2, 1), D(2025, 2, 1))
    assert [m.key for m in one_day.months()] == ["2025-02"]


def test_periods_and_months() -> None:
    assert Period.last_12_months(D(2026, 3, 15)) == Period(D(2025, 4, 1), D(2026, 3, 15))
    assert Period.from_options(None, D(2024, 2, 29)) == Period(D(2023, 3, 1), D(2024, 2, 29))
    assert Period.from_options(None, D(2025, 6, 30)) == Period(D(2024, 7, 1), D(2025, 6, 30))
    months = Period(D(2025, 1, 15), D(2025, 3, 2)).months()
    assert [(m.start, m.end) for m in months] == [
        (D(2025, 1, 15), D(2025, 1, 31)),
        (D(2025, 2, 1), D(2025, 2, 28)),
        (D(2025, 3, 1), D(2025, 3, 2)),
    ]
    assert months_before(D(2025, 8, 31), 6) == D(2025, 2, 28)


def test_engagement(db: Database) -> None:
    with db.transaction() as session:
        ids = engagement_world(session)
    with db.session() as session:
        data = aggregates.engagement(session, YEAR_2025, today=D(2026, 1, 10), detail=True)
        quick = aggregates.engagement(session, YEAR_2025, today=D(2026, 1, 10))
    # The dashboard's quicker form counts the same, without the per-person detail.
    assert quick.chambers == data.chambers and quick.by_party == data.by_party
    assert [m.interactions for m in quick.months] == [m.interactions for m in data.months]
    assert {m.with_representatives for m in quick.months} == {None}
    # Current MSPs on 31/12/2025: a b c d g (e left in June; f is in the Trash). Engaged in 2025:
    # a (1 January) and b (31 December); c only the day before and the day after; g's meeting is in
    # the Trash. Not contacted since 10/07/2025: a (1 January), d (never) and g (1 June: the binned
    # meeting still moved the date).
    msps, mss, mps = data.chambers
    assert (msps.group, msps.members, msps.engaged, msps.not_contacted) == ("MSPs", 5, 2, 3)
    assert (mss.members, mss.engaged, mss.not_contacted) == (1, 1, 1)  # h, last seen in March
    assert (mps.members, mps.engaged, mps.not_contacted) == (1, 0, 1)
    assert msps.percent == 40.0
    party = {(s.chamber, s.group): (s.members, s.engaged) for s in data.by_party}
    assert party == {
        ("Scottish Parliament", "Scottish National Party"): (2, 1),
        ("Scottish Parliament", "Scottish Labour"): (1, 1),
        ("Scottish Parliament", "Scottish Green Party"): (1, 0),
        ("Scottish Parliament", "Scottish Conservative and Unionist Party"): (1, 0),
        ("Senedd", "Plaid Cymru"): (1, 1),
        ("House of Commons", "Labour"): (1, 0),
    }
    region = {(s.chamber, s.group): (s.members, s.engaged) for s in data.by_region}
    assert region[("Scottish Parliament", "Lothian")] == (4, 1)
    assert region[("Scottish Parliament", "Glasgow")] == (1, 1)
    assert region[("House of Commons", "Ayr")] == (1, 0)
    # Monthly interactions: January a+j; March h and j; April e (then a member, so counted as an
    # interaction but no longer "with representatives"); May f (in the Trash now, but the meeting
    # is not); June's meeting is in the Trash; December b.
    by_month = {m.key: (m.interactions, m.with_representatives) for m in data.months}
    assert len(by_month) == 12
    assert by_month["2025-01"] == (1, 1)
    assert by_month["2025-03"] == (2, 1)
    assert by_month["2025-04"] == (1, 0)
    assert by_month["2025-05"] == (1, 0)
    assert by_month["2025-06"] == (0, 0)
    assert by_month["2025-12"] == (1, 1)
    assert sum(v[0] for v in by_month.values()) == 6
    reps = {r.person_id: r for r in data.representatives}
    assert set(reps) == {ids[k] for k in "abcdghi"}
    assert reps[ids["c"]].last_contacted == D(2026, 1, 1)
    assert reps[ids["c"]].interactions == 0
    assert reps[ids["a"]].interactions == 1
    assert data.representatives[0].last_contacted is None  # never contacted first
    # The click-through list: the same people the tile counts (as of today, so for a period
    # ending today; here the fixture's roles are all still current today, except e's).
    with db.session() as session:
        stale = count_people(
            session,
            PersonFilter(chamber="Scottish Parliament", last_contacted_before=data.not_contacted_since),
        )
    assert stale == 3


def test_engagement_as_at_period_end(db: Database) -> None:
    """For last year, last year's members: e (who left at the end of June 2025) was an MSP then."""
    with db.transaction() as session:
        engagement_world(session)
    with db.session() as session:
        first_half = aggregates.engagement(
            session, Period(D(2025, 1, 1), D(2025, 6, 30)), today=D(2026, 1, 10)
        )
    msps = first_half.chambers[0]
    # a b c d g, and e (the seat ends on 30 June, the period's last day): engaged a and e.
    assert (msps.members, msps.engaged) == (6, 2)


def test_networks(db: Database) -> None:
    with db.transaction() as session:
        ids = networks_world(session)
    with db.session() as session:
        data = aggregates.networks(session, Period(D(2025, 1, 1), D(2025, 3, 31)))
    assert data.month_labels == ["Jan 2025", "Feb 2025", "Mar 2025"]
    series = {s.name: s for s in data.series}
    assert set(series) == {
        "Kindness Leadership Network: cohort 1",
        "Kindness Champions",
    }  # not the binned one
    cohort = series["Kindness Leadership Network: cohort 1"]
    # p1 and p7 throughout; p2 from 31 January; p3 from 1 February until leaving on 31 March;
    # never p4 (invited), p5 (left, no date), p6 (Trash) or p8 (joins in April).
    assert cohort.members == [3, 4, 3]
    assert cohort.joined == [1, 1, 0]
    assert cohort.left == [0, 0, 1]
    champions = series["Kindness Champions"]
    assert (champions.members, champions.joined, champions.left) == ([0, 0, 1], [0, 0, 1], [0, 0, 0])
    nation = {(s.network, s.group): s.members for s in data.by_nation}
    assert nation == {
        ("Kindness Leadership Network: cohort 1", "Scotland"): 1,
        ("Kindness Leadership Network: cohort 1", "Wales"): 1,
        ("Kindness Leadership Network: cohort 1", aggregates.NOT_RECORDED): 1,
        ("Kindness Champions", "Scotland"): 1,
    }
    sector = {(s.network, s.group): s.members for s in data.by_sector}
    assert sector == {
        ("Kindness Leadership Network: cohort 1", "Third sector"): 1,
        ("Kindness Leadership Network: cohort 1", aggregates.NOT_RECORDED): 2,
        ("Kindness Champions", "Third sector"): 1,
    }
    assert ids["n3"] not in {s.network_id for s in data.series}


def test_networks_with_no_one_in_the_trash_still_leave_out_a_binned_network(db: Database) -> None:
    """With p6 back from the Trash (so no person is there, and the members are read without any
    Trash test) the binned network's members still count nowhere, and p6 counts everywhere: a
    member of cohort 1 since 2024, in England."""
    with db.transaction() as session:
        ids = networks_world(session)
        people.restore_people(session, [ids["p6"]])
    period = Period(D(2025, 1, 1), D(2025, 3, 31))
    with db.session() as session:
        data = aggregates.networks(session, period)
        halves = aggregates.network_series(session, period), aggregates.network_split(session, period)
    series = {s.name: s for s in data.series}
    assert set(series) == {"Kindness Leadership Network: cohort 1", "Kindness Champions"}
    assert series["Kindness Leadership Network: cohort 1"].members == [4, 5, 4]
    nation = {(s.network, s.group): s.members for s in data.by_nation}
    assert nation == {
        ("Kindness Leadership Network: cohort 1", "Scotland"): 1,
        ("Kindness Leadership Network: cohort 1", "Wales"): 1,
        ("Kindness Leadership Network: cohort 1", "England"): 1,
        ("Kindness Leadership Network: cohort 1", aggregates.NOT_RECORDED): 1,
        ("Kindness Champions", "Scotland"): 1,
    }
    assert sum(s.members for s in data.by_sector) == 5
    # The dashboard's two halves are the whole, each with the other half left empty.
    assert halves[0].series == data.series and not halves[0].by_nation
    assert (halves[1].by_nation, halves[1].by_sector, halves[1].by_cohort) == (
        data.by_nation,
        data.by_sector,
        data.by_cohort,
    )
    assert not halves[1].series


def test_events_funnel_and_stations(db: Database) -> None:
    with db.transaction() as session:
        ids = events_world(session)
    with db.session() as session:
        data = aggregates.events(session, YEAR_2025)
    # In the period: the reception (1 January) and year-end (31 December); not the day before or
    # after, nor the binned event.
    assert [e.event_id for e in data.events] == [ids["e1"], ids["e2"]]
    reception, year_end = data.events
    # a1-a7 invited (a8 is in the Trash); registered a2 a3 a4 a5 a6; attended a3 a4 a5; followed up
    # only a3 (a4's are the same day, the event's own record, or binned; a5's is 61 days on).
    assert (reception.invited, reception.registered, reception.attended, reception.followed_up) == (
        7,
        5,
        3,
        1,
    )
    assert (year_end.invited, year_end.registered, year_end.attended, year_end.followed_up) == (0, 0, 0, 0)
    assert data.totals == (7, 5, 3, 1)
    assert [(s.event_id, s.station, s.attended) for s in data.stations] == [
        (ids["e1"], "Station 1: Trust", 2),
        (ids["e1"], "Station 2: Leadership", 0),
    ]


def test_follow_up_within_the_window_counts(db: Database) -> None:
    """Sixty days after the event's last day still counts; the event's end date is its last day."""
    with db.transaction() as session:
        guest = person(session, "Late", "Guest")
        from crm.services import events as event_service
        from crm.services import interactions

        event = event_service.create_event(
            session, "Two days", starts_on=D(2025, 5, 1), ends_on=D(2025, 5, 2)
        )
        event_service.set_attendance(session, event.id, [guest], "attended")
        interactions.log_interaction(session, subject="Thanks", date=D(2025, 7, 1), person_ids=[guest])
    with db.session() as session:
        (funnel,) = aggregates.events(session, YEAR_2025).events
    assert funnel.followed_up == 1  # 2 May + 60 days = 1 July


def test_follow_ups(db: Database) -> None:
    with db.transaction() as session:
        follow_up_world(session)
    with db.session() as session:
        data = aggregates.follow_ups(session, YEAR_2025, today=D(2026, 1, 7))
    assert data.week_ends == D(2026, 1, 11)
    assert (data.overdue, data.due_this_week) == (2, 2)
    rows = [(o.owner, o.overdue, o.due_this_week, o.due_later, o.done) for o in data.by_owner]
    assert rows == [
        ("Morven", 1, 2, 1, 0),
        (aggregates.NO_OWNER, 1, 0, 0, 0),
        ("Gethin", 0, 0, 0, 1),
    ]


def test_data_quality_counts_match_the_people_list(db: Database) -> None:
    with db.transaction() as session:
        q1 = person(
            session,
            "Clean",
            "Record",
            email="clean@example.org",
            address_line1="1 High St",
            postcode="EH99 1SP",
            phone="0131 348 5000",
        )
        consent.record_consent(session, q1, "newsletter")
        q2 = person(session, "No", "Email")
        set_raw(session, q2, phone="12345")
        q3 = person(session, "Dup", "One", email="dup@example.org", address_line1="2 Low St")
        set_raw(session, q3, postcode="NOT A PC")
        consent.record_consent(session, q3, "events")
        q4 = person(session, "Dup", "Two", email="dup2@example.org", address_line1="1 Rue", country="France")
        set_raw(session, q4, email="dup@example.org", postcode="75001")
        person(session, "Ann", "Smith", email="a5@example.org", postcode="G1 1AA", mobile="07700 900123")
        person(session, "ANN", "smith", email="a6@example.org", postcode="g11aa", mobile="+44 7700 900123")
        q7 = person(session, "Solo", "Binned", email="solo@example.org")
        person(session, "Solo", "Kept", email="solo2@example.org")
        q9 = person(session, "Old", "Record")
        q10 = person(session, "Old", "Contacted", email="old@example.org")
        set_raw(session, q10, phone="0131 348 500O")
        people.trash_people(session, [q7])
        session.flush()
        session.execute(
            update(Person).where(Person.email == "solo2@example.org").values(email="solo@example.org")
        )
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3 * 365)
        set_raw(session, q9, created_at=long_ago, updated_at=long_ago)
        set_raw(
            session,
            q10,
            created_at=long_ago,
            updated_at=long_ago,
            last_contacted=dt.date.today() - dt.timedelta(days=30),
        )
    with db.session() as session:
        data = aggregates.data_quality(session)
        counts = {c.key: c.count for c in data.checks}
        listed = {c.key: count_people(session, c.filter) for c in data.checks}
        not_duplicates = count_people(session, PersonFilter(possible_duplicate=False))
        valid_phones = count_people(session, PersonFilter(invalid_phone=False))
    assert data.people == 9
    assert counts == {
        "no_email": 2,  # q2 and q9
        "no_address": 6,  # only q1, q3 and q4 have a first line and a postcode or town
        "invalid_postcode": 1,  # q3; q4's French postcode is not a UK one
        "invalid_phone": 2,  # q2's five digits, q10's letter O
        "possible_duplicate": 4,  # q3 and q4 by email, the two Ann Smiths (any case) by postcode
        "no_consent": 7,  # all but q1 and q3
        "retention_review": 1,  # q9; q10 was contacted last month
    }
    assert listed == counts
    assert not_duplicates == 5
    assert valid_phones == 7


def test_the_retention_tile_counts_who_the_retention_review_lists(db: Database) -> None:
    """One definition: the tile's count, the People list it opens and the Due for review page agree,
    over the retention period set on that page.

    Everyone below was added four years ago (r6 thirty months ago) and never contacted:
    r1 is due; r2 is a current network member, r3 has a current consent, r4 was kept for another
    period, r5 took part in an interaction a year ago (all four kept); r6 is due over 24 months but
    not over 36; r7 is in the Trash; r8 was added last month.
    """
    from crm.privacy import retention
    from crm.privacy.settings import set_retention_months
    from crm.services import interactions, networks

    with db.transaction() as session:
        ids = {f"r{n}": person(session, "Retained", f"Person {n}") for n in range(1, 9)}
        network = networks.create_network(session, "Kindness Innovation Network")
        networks.add_members(session, network.id, [ids["r2"]])
        consent.record_consent(session, ids["r3"], "newsletter")
        retention.keep_for_another_period(session, [ids["r4"]])
        interactions.log_interaction(
            session, subject="Catch-up", date=dt.date.today() - dt.timedelta(days=365), person_ids=[ids["r5"]]
        )
        people.trash_people(session, [ids["r7"]])
        now = dt.datetime.now(dt.UTC)
        added_days_ago = {f"r{n}": 4 * 365 for n in range(1, 8)} | {"r6": 30 * 30, "r8": 30}
        for key, days in added_days_ago.items():
            set_raw(
                session,
                ids[key],
                created_at=now - dt.timedelta(days=days),
                updated_at=now,
                last_contacted=None,
            )
    expected = {24: {ids["r1"], ids["r6"]}, 36: {ids["r1"]}}
    for months, due in expected.items():
        with db.transaction() as session:
            set_retention_months(session, months)
        with db.session() as session:
            review = retention.due_for_review(session)
            tile = {c.key: c for c in aggregates.data_quality(session).checks}["retention_review"]
            listed = count_people(session, tile.filter)
            not_due = count_people(session, PersonFilter(retention_review_due=False, retention_months=months))
        assert review.months == months
        assert {p.id for p in review.people} == due
        assert tile.count == review.total == len(review.people) == listed == len(due)
        assert tile.filter.retention_months == months
        assert not_due == 7 - len(due)  # everyone else not in the Trash


def test_members_by_cohort_leave_out_the_trash_and_former_members(db: Database) -> None:
    """Cohort 1 of the Kindness Leadership Network: c1 and c2 current, c3 left in June 2025, c4 in
    the Trash; cohort 2: c5 current, c6 joined after the period ended; the Champions' cohort is in
    a network in the Trash. At 31 December 2025: cohort 1 has 2, cohort 2 has 1."""
    from crm.services import cohorts, networks

    with db.transaction() as session:
        ids = {f"c{n}": person(session, "Cohort", f"Member {n}") for n in range(1, 8)}
        kln = networks.create_network(session, "Kindness Leadership Network").id
        champions = networks.create_network(session, "Kindness Champions").id
        first = cohorts.create_cohort(session, kln, "KLN 2024–25").id
        second = cohorts.create_cohort(session, kln, "KLN 2025–26").id
        gone = cohorts.create_cohort(session, champions, "Champions 2025").id
        networks.add_members(
            session,
            kln,
            [ids["c1"], ids["c2"], ids["c3"], ids["c4"]],
            cohort_id=first,
            joined_on=D(2024, 9, 1),
        )
        networks.add_members(session, kln, [ids["c5"]], cohort_id=second, joined_on=D(2025, 9, 1))
        networks.add_members(session, kln, [ids["c6"]], cohort_id=second, joined_on=D(2026, 1, 5))
        networks.add_members(session, champions, [ids["c7"]], cohort_id=gone, joined_on=D(2025, 1, 1))
        session.execute(
            update(Membership)
            .where(Membership.person_id == ids["c3"])
            .values(status="left", left_on=D(2025, 6, 30))
        )
        people.trash_people(session, [ids["c4"]])
        networks.trash_networks(session, [champions])
    with db.session() as session:
        data = aggregates.networks(session, YEAR_2025)
    assert {(c.network, c.group, c.members) for c in data.by_cohort} == {
        ("Kindness Leadership Network", "KLN 2024–25", 2),
        ("Kindness Leadership Network", "KLN 2025–26", 1),
    }
    assert sum(s.members for s in data.by_nation) == 3


def test_split_reads_members_in_person_order_and_the_trash_from_its_own_index(sqlite_db: Database) -> None:
    """On SQLite the split joins the current members to their people in person order straight from
    revision 0015's index (no copy, no sort before the join) and finds the Trash from its partial
    index, with and without the statistics an import gathers."""
    from sqlalchemy import event

    with sqlite_db.transaction() as session:
        networks_world(session)
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        statements.append((statement, parameters))

    event.listen(sqlite_db.engine, "before_cursor_execute", keep)
    try:
        with sqlite_db.session() as session:
            aggregates.network_split(session, Period(D(2025, 1, 1), D(2025, 3, 31)))
    finally:
        event.remove(sqlite_db.engine, "before_cursor_execute", keep)
    split = next((s, p) for s, p in statements if "person.nation" in s)
    trash = next((s, p) for s, p in statements if "person.deleted_at IS NOT NULL" in s)
    with sqlite_db.engine.connect() as conn:
        for gather in (False, True):
            if gather:
                conn.exec_driver_sql("ANALYZE")
            plan = " / ".join(
                str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {split[0]}", split[1])
            )
            assert "ix_membership_person_dates" in plan, plan
            assert "MATERIALIZE" not in plan and "ORDER BY" not in plan, plan
            assert "person USING INTEGER PRIMARY KEY" in plan, plan
            plan = " / ".join(
                str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {trash[0]}", trash[1])
            )
            assert "ix_person_in_trash" in plan, plan
