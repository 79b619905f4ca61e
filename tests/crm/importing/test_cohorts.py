"""Per-row Cohort and Working group columns: created as needed, and undone exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from crm.db import Database
from crm.importing import ImportOptions, apply_import, read_table, suggest_mapping, undo_import
from crm.models import Membership, MembershipGroup, MembershipPeriod, NetworkCohort, NetworkGroup, Person
from crm.services import cohorts, membership_periods, networks, people

from tests.crm.importing.conftest import write_xlsx


def _import(db: Database, path: Path, **options: Any) -> Any:
    table = read_table(path)
    return apply_import(db, table, suggest_mapping(table.headers), ImportOptions(**options))


def _state(db: Database) -> dict[str, Any]:
    with db.session() as s:
        counts = {
            m.__tablename__: s.scalar(select(func.count()).select_from(m))
            for m in (Membership, MembershipPeriod, MembershipGroup, NetworkCohort, NetworkGroup)
        }
        cohort_of = dict(s.execute(select(Membership.id, Membership.cohort_id)).all())
        return {**counts, "cohorts": cohort_of}


def test_cohort_and_working_group_columns(db: Database, tmp_path: Path) -> None:
    with db.transaction() as s:
        kin = networks.create_network(s, "Kindness Innovation Network")
        cohorts.create_group(s, kin.id, "Housing")
        old = people.create_person(s, first_name="Old", last_name="Hand", email="old@example.org")
        networks.add_members(s, kin.id, [old.id])
    before = _state(db)
    path = write_xlsx(
        tmp_path / "kin.xlsx",
        {
            "Members": [
                ["Name", "Email", "Network", "Cohort", "Working group"],
                [
                    "Ann Jones",
                    "ann@example.org",
                    "Kindness Innovation Network",
                    "KIN 2025",
                    "Housing; Scotland hub",
                ],
                ["Bob Roy", "bob@example.org", "Kindness Leadership Network", "KLN 2025–26", ""],
                ["Old Hand", "old@example.org", "", "KIN 2025", "Health"],
                ["Cat Lee", "cat@example.org", "", "", "Health"],
            ]
        },
    )
    result = _import(db, path, network="Kindness Innovation Network")
    assert result.batch_id
    with db.session() as s:
        by_email = dict(s.execute(select(Person.email, Person.id)).all())
        kin_id = networks.network_by_name(s, "Kindness Innovation Network").id
        kln_id = networks.network_by_name(s, "Kindness Leadership Network").id
        assert [c.name for c in cohorts.list_cohorts(s, kin_id)] == ["KIN 2025"]
        assert [c.name for c in cohorts.list_cohorts(s, kln_id)] == ["KLN 2025–26"]
        groups = {g.name: g.members for g in cohorts.list_groups(s, kin_id)}
        assert groups == {"Health": 2, "Housing": 1, "Scotland hub": 1}

        def member(email: str, network_id: int) -> membership_periods.MembershipHistory:
            return next(
                h for h in membership_periods.person_history(s, by_email[email]) if h.network_id == network_id
            )

        ann = member("ann@example.org", kin_id)
        assert ann.cohort == "KIN 2025" and [g for _i, g, _r in ann.groups] == ["Housing", "Scotland hub"]
        assert len(ann.periods) == 1 and ann.periods[0].cohort == "KIN 2025"
        assert member("bob@example.org", kln_id).cohort == "KLN 2025–26"
        assert member("bob@example.org", kin_id).cohort is None  # the cohort is in the row's own network
        hand = member("old@example.org", kin_id)
        assert hand.cohort == "KIN 2025" and [g for _i, g, _r in hand.groups] == ["Health"]
        # Every membership has its period, new people's included.
        assert s.scalar(select(func.count()).select_from(MembershipPeriod)) == s.scalar(
            select(func.count()).select_from(Membership)
        )
    undo_import(db, result.batch_id)
    assert _state(db) == before


def test_a_cohort_without_a_network_is_flagged(db: Database, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "c.xlsx",
        {"List": [["Name", "Email", "Cohort"], ["Ann Jones", "ann@example.org", "KLN 2019–20"]]},
    )
    result = _import(db, path)
    (row,) = result.plan.rows
    assert any("needs a network" in f.reason for f in row.flags)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(NetworkCohort)) == 0
