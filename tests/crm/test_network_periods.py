"""Cohorts, working groups and membership periods: leaving and rejoining keep every period."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.cli import main
from crm.db import Database, open_database
from crm.errors import ValidationError
from crm.filters import PersonFilter, count_people
from crm.models import AuditEntry, Membership, MembershipGroup, MembershipPeriod, NetworkCohort
from crm.privacy.erasure import erase_person
from crm.reports.aggregates import networks as network_report
from crm.reports.period import Period as ReportPeriod
from crm.services import cohorts, membership_periods, networks, people
from crm.services.merge import merge_people, undo_merge

D = dt.date


def _setup(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        kln = networks.create_network(s, "Kindness Leadership Network")
        champs = networks.create_network(s, "Kindness Champions", is_open=True)
        ids = {
            name: people.create_person(
                s, first_name=name, last_name="Example", email=f"{name}@example.org"
            ).id
            for name in ("ann", "bob", "cat", "dan")
        }
        first = cohorts.create_cohort(s, kln.id, "KLN 2019–20", D(2019, 3, 1), D(2020, 2, 28))
        second = cohorts.create_cohort(s, kln.id, "KLN 2021–22", D(2021, 3, 1), D(2022, 2, 28))
        networks.add_members(s, kln.id, [ids["ann"], ids["bob"]], joined_on=D(2019, 3, 1), cohort_id=first.id)
        networks.add_members(s, kln.id, [ids["cat"]], joined_on=D(2021, 3, 1), cohort_id=second.id)
        networks.add_members(s, champs.id, list(ids.values()), role="champion", joined_on=D(2020, 1, 1))
        return {**ids, "kln": kln.id, "champs": champs.id, "first": first.id, "second": second.id}


def _membership(db: Database, network_id: int, person_id: int) -> int:
    with db.session() as s:
        return s.scalars(
            select(Membership.id).where(
                Membership.network_id == network_id, Membership.person_id == person_id
            )
        ).one()


def test_leaving_and_rejoining_keep_every_period(db: Database) -> None:
    ids = _setup(db)
    mid = _membership(db, ids["champs"], ids["ann"])
    with db.transaction() as s:
        membership_periods.leave(s, mid, on=D(2021, 6, 30), reason="Moved job")
    with db.transaction() as s, pytest.raises(ValidationError, match="before they last left"):
        membership_periods.rejoin(s, mid, on=D(2021, 1, 1))
    with db.transaction() as s:
        membership_periods.rejoin(s, mid, on=D(2023, 9, 1), reason="Back after a break")
    with db.transaction() as s:
        membership_periods.leave(s, mid, on=D(2024, 4, 1), reason="Too busy")
        membership_periods.rejoin(s, mid, on=D(2025, 1, 15))
    with db.session() as s:
        history = {h.network: h for h in membership_periods.person_history(s, ids["ann"])}
        champ = history["Kindness Champions"]
        assert champ.current
        assert [(p.joined_on, p.left_on, p.join_reason, p.leave_reason) for p in champ.periods] == [
            (D(2020, 1, 1), D(2021, 6, 30), None, "Moved job"),
            (D(2023, 9, 1), D(2024, 4, 1), "Back after a break", "Too busy"),
            (D(2025, 1, 15), None, None, None),
        ]
        assert [p.is_open for p in champ.periods] == [False, False, True]
        # The membership row is the latest period: everything that reads it sees a current member.
        assert count_people(s, PersonFilter(network="Kindness Champions")) == 4
        assert membership_periods.rejoined_count(s, ids["champs"]) == 1
        with pytest.raises(ValidationError, match="current member already"):
            membership_periods.rejoin(s, mid)


def test_bulk_status_changes_close_and_open_periods(db: Database) -> None:
    ids = _setup(db)
    with db.transaction() as s:
        networks.set_status(s, ids["champs"], [ids["bob"], ids["cat"]], "left")
    with db.transaction() as s:
        networks.set_status(s, ids["champs"], [ids["bob"]], "active")
    with db.session() as s:
        periods = membership_periods.periods_of(s, [_membership(db, ids["champs"], ids["bob"])])
        (bob,) = periods.values()
        assert [(p.joined_on, p.left_on) for p in bob] == [
            (D(2020, 1, 1), dt.date.today()),
            (dt.date.today(), None),
        ]
        assert count_people(s, PersonFilter(network="Kindness Champions", network_left=True)) == 1


def test_filters_on_cohort_group_and_left(db: Database) -> None:
    ids = _setup(db)
    with db.transaction() as s:
        hub = cohorts.create_group(s, ids["champs"], "Scotland hub", "regional hub")
        health = cohorts.create_group(s, ids["champs"], "Health and care")
        cohorts.add_to_group(s, hub.id, [_membership(db, ids["champs"], ids[n]) for n in ("ann", "bob")])
        cohorts.set_groups(
            s, _membership(db, ids["champs"], ids["cat"]), {health.id: "Convener", hub.id: "member"}
        )
        for name in ("ann", "bob"):
            membership_periods.leave(s, _membership(db, ids["kln"], ids[name]), on=D(2020, 2, 28))
    with db.session() as s:

        def n(**kw: object) -> int:
            return count_people(s, PersonFilter(**kw))  # type: ignore[arg-type]

        kln = "kindness leadership network"
        assert n(network=kln) == 1
        assert n(network=kln, network_cohort="KLN 2021-22") == 1  # a hyphen for the en dash
        assert n(network=kln, network_cohort="KLN 2019–20") == 0  # nobody current
        assert n(network=kln, network_cohort="KLN 2019–20", network_left=True) == 2
        assert n(network=kln, network_cohort="KLN 2019–20", current_roles_only=False) == 2
        assert n(network=kln, network_left=True) == 2
        assert n(network="Kindness Champions", network_group="scotland hub") == 3
        assert n(network="Kindness Champions", network_group="Health and care") == 1
        assert n(network="Kindness Champions", network_group="No such group") == 0
        # A saved view keeps the new fields, and an older one still loads.
        f = PersonFilter(network=kln, network_cohort="KLN 2021–22", network_left=True)
        assert PersonFilter.from_dict(json.loads(json.dumps(f.to_dict()))) == f
        assert PersonFilter.from_dict({"network": kln}) == PersonFilter(network=kln)
        groups = {g.name: (g.kind, g.members) for g in cohorts.list_groups(s, ids["champs"])}
        assert groups == {"Health and care": ("working group", 1), "Scotland hub": ("regional hub", 3)}
        rows = {c.name: (c.members, c.ever) for c in cohorts.list_cohorts(s, ids["kln"])}
        assert rows == {"KLN 2019–20": (0, 2), "KLN 2021–22": (1, 1)}
        history = membership_periods.person_history(s, ids["cat"])
        champ = next(h for h in history if h.network == "Kindness Champions")
        assert [(name, role) for _gid, name, role in champ.groups] == [
            ("Health and care", "convener"),
            ("Scotland hub", "member"),
        ]


def test_cohorts_and_groups_are_checked(db: Database) -> None:
    ids = _setup(db)
    with db.transaction() as s:
        with pytest.raises(ValidationError, match="already has a cohort"):
            cohorts.create_cohort(s, ids["kln"], "kln 2019–20")
        with pytest.raises(ValidationError, match="cannot end before"):
            cohorts.create_cohort(s, ids["kln"], "Backwards", D(2020, 1, 1), D(2019, 1, 1))
        with pytest.raises(ValidationError, match="own network"):
            cohorts.set_cohort(s, [_membership(db, ids["champs"], ids["ann"])], ids["first"])
        with pytest.raises(ValidationError, match="kept as history"):
            cohorts.delete_cohort(s, ids["first"])
        group = cohorts.create_group(s, ids["kln"], "Alumni")
        with pytest.raises(ValidationError, match="own network"):
            cohorts.add_to_group(s, group.id, [_membership(db, ids["champs"], ids["ann"])])
        cohorts.delete_group(s, group.id)
        spare = cohorts.create_cohort(s, ids["kln"], "KLN 2027–28")
        cohorts.delete_cohort(s, spare.id)


def test_cli_filter_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "kindred.db"
    db = open_database(path)
    try:
        ids = _setup(db)
        with db.transaction() as s:
            membership_periods.leave(s, _membership(db, ids["kln"], ids["ann"]), on=D(2020, 2, 28))
    finally:
        db.dispose()

    def count(*argv: str) -> dict[str, object]:
        code = main(["--db", str(path), "count", *argv, "--json"])
        out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert code == (1 if "error" in out else 0)
        return out

    kln = ("--network", "Kindness Leadership Network")
    assert count(*kln, "--cohort", "KLN 2019-20") == {"count": 1}
    assert count(*kln, "--left") == {"count": 1}
    assert count(*kln, "--cohort", "KLN 2019-20", "--left") == {"count": 1}
    # A group the network does not have is an error, not 0 people.
    assert count(*kln, "--group", "Nothing") == {
        "error": "No group called “Nothing” in “Kindness Leadership Network”. There are no groups yet."
    }
    assert "need --network" in str(count("--left")["error"])
    out = tmp_path / "left.csv"
    code = main(["--db", str(path), "export", str(out), *kln, "--left", "--preset", "email", "--json"])
    capsys.readouterr()
    assert code == 0 and "ann@example.org" in out.read_text(encoding="utf-8-sig")


def test_merge_moves_periods_and_groups_and_undo_restores_them(db: Database) -> None:
    ids = _setup(db)
    with db.transaction() as s:
        group = cohorts.create_group(s, ids["champs"], "Wales hub", "regional hub")
        dan = _membership(db, ids["champs"], ids["dan"])
        cohorts.add_to_group(s, group.id, [dan])
        membership_periods.leave(s, dan, on=D(2021, 1, 1), reason="Moved away")
        membership_periods.rejoin(s, dan, on=D(2022, 1, 1))
        membership_periods.leave(s, _membership(db, ids["champs"], ids["cat"]), on=D(2020, 6, 1))
    with db.session() as s:
        before = sorted(
            s.execute(
                select(MembershipPeriod.membership_id, MembershipPeriod.joined_on, MembershipPeriod.left_on)
            ).all()
        )
    with db.transaction() as s:
        result = merge_people(s, ids["cat"], [ids["dan"]])
    with db.session() as s:
        (cat,) = [
            h for h in membership_periods.person_history(s, ids["cat"]) if h.network == "Kindness Champions"
        ]
        assert [(p.joined_on, p.left_on) for p in cat.periods] == [
            (D(2020, 1, 1), D(2020, 6, 1)),
            (D(2020, 1, 1), D(2021, 1, 1)),
            (D(2022, 1, 1), None),
        ]
        assert [name for _g, name, _r in cat.groups] == ["Wales hub"]
    with db.transaction() as s:
        undo_merge(s, result.merge_id)
    with db.session() as s:
        after = sorted(
            s.execute(
                select(MembershipPeriod.membership_id, MembershipPeriod.joined_on, MembershipPeriod.left_on)
            ).all()
        )
        assert after == before
        assert s.scalar(select(func.count()).select_from(MembershipGroup)) == 1


def test_erasure_removes_periods_groups_and_reasons(db: Database) -> None:
    ids = _setup(db)
    mid = _membership(db, ids["champs"], ids["bob"])
    with db.transaction() as s:
        group = cohorts.create_group(s, ids["champs"], "Housing")
        cohorts.add_to_group(s, group.id, [mid])
        membership_periods.leave(s, mid, on=D(2021, 1, 1), reason="Caring for a relative")
    with db.transaction() as s:
        erase_person(s, ids["bob"], "Asked to be forgotten")
    with db.session() as s:
        assert s.scalar(select(func.count()).where(MembershipPeriod.membership_id == mid)) == 0
        assert s.scalar(select(func.count()).where(MembershipGroup.membership_id == mid)) == 0
        details = list(s.scalars(select(AuditEntry.details).where(AuditEntry.details.is_not(None))))
        assert not any("relative" in d for d in details)


def test_members_over_time_count_each_period(db: Database) -> None:
    ids = _setup(db)
    mid = _membership(db, ids["champs"], ids["ann"])
    with db.transaction() as s:
        membership_periods.leave(s, mid, on=D(2021, 3, 15))
        membership_periods.rejoin(s, mid, on=D(2021, 6, 10))
    with db.session() as s:
        report = network_report(s, ReportPeriod(D(2021, 1, 1), D(2021, 12, 31)))
        champs = next(x for x in report.series if x.name == "Kindness Champions")
        # Jan, Feb: 4; Mar to May: 3 (she left in March); June onwards: 4 again.
        assert champs.members[:7] == [4, 4, 3, 3, 3, 4, 4]
        assert sum(champs.left) == 1 and sum(champs.joined) == 1
        assert {(c.network, c.group, c.members) for c in report.by_cohort} == {
            ("Kindness Leadership Network", "KLN 2019–20", 2),
            ("Kindness Leadership Network", "KLN 2021–22", 1),
        }


def test_release_database_gets_one_period_per_membership(release_db_path: Path) -> None:
    conn = sqlite3.connect(release_db_path)
    memberships = conn.execute("SELECT id, joined_on, left_on, status FROM membership ORDER BY id").fetchall()
    conn.close()
    db = open_database(release_db_path)
    try:
        with db.session() as s:
            periods = s.execute(
                select(
                    MembershipPeriod.membership_id, MembershipPeriod.joined_on, MembershipPeriod.left_on
                ).order_by(MembershipPeriod.membership_id)
            ).all()
            assert s.scalar(select(func.count()).select_from(NetworkCohort)) == 0
        assert len(periods) == len(memberships) == 131
        for (mid, joined, left, status), period in zip(memberships, periods, strict=True):
            assert period[0] == mid
            assert (period[1].isoformat() if period[1] else None) == joined
            if left is not None:
                assert period[2].isoformat() == left
            else:
                assert (period[2] is None) == (status != "left")
    finally:
        db.dispose()


def test_migration_backfills_one_period_per_membership_on_both_databases(db: Database) -> None:
    """Down to the schema before 0010 and up again (SQLite and PostgreSQL): each membership gets one
    period from its own dates; one marked "left" without a date gets the day it was last changed."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import text, update

    from crm.db import _alembic_config

    ids = _setup(db)
    with db.transaction() as s:
        membership_periods.leave(s, _membership(db, ids["kln"], ids["ann"]), on=D(2020, 2, 28))
        s.execute(
            update(Membership)
            .where(Membership.id == _membership(db, ids["champs"], ids["bob"]))
            .values(status="left", left_on=None)
        )
    with db.session() as s:
        expected = {
            mid: (joined, left)
            for mid, joined, left in s.execute(
                select(Membership.id, Membership.joined_on, Membership.left_on)
            )
        }
        bob = _membership(db, ids["champs"], ids["bob"])
        bob_changed = s.scalar(select(Membership.updated_at).where(Membership.id == bob))
    before = ScriptDirectory.from_config(_alembic_config()).get_revision("0010").down_revision
    with db.engine.connect() as conn, conn.begin():
        command.downgrade(_alembic_config(conn), str(before))
    with db.engine.connect() as conn:
        assert "membership_period" not in {
            r[0]
            for r in conn.execute(
                text("SELECT name FROM sqlite_master WHERE type='table'")
                if db.is_sqlite
                else text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        }
    with db.engine.connect() as conn, conn.begin():
        command.upgrade(_alembic_config(conn), "head")
    with db.session() as s:
        rows = s.execute(
            select(MembershipPeriod.membership_id, MembershipPeriod.joined_on, MembershipPeriod.left_on)
        ).all()
    assert len(rows) == len(expected)
    for mid, joined, left in rows:
        want = expected[mid]
        assert joined == want[0]
        assert left == (bob_changed.date() if mid == bob else want[1])
