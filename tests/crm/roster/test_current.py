"""Current versus former, everywhere: filters, the people list, network members, salutations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from crm.db import Database
from crm.exporting import export_people
from crm.filters import PersonFilter, count_people, page, person_ids
from crm.roster import current
from crm.services import networks, roles
from crm.services import people as people_service

TODAY = dt.date.today()
LONG_AGO = dt.date(2016, 5, 5)

# These tests are about who is on a list, not how to reach them: channel rules are set aside.
WHO_NOT_HOW = "checking who is a current member, whatever their addresses"


def _rows(path: Path) -> list[dict[str, object]]:
    ws = openpyxl.load_workbook(path).worksheets[0]
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=True)) for r in values[1:]]


def _cast(db: Database) -> dict[str, int]:
    """A current MSP, a former MSP (seat ended 2021), a former MSP now an MP, a typed MSP with no
    role, a former councillor, and a partner contact."""
    ids: dict[str, int] = {}
    with db.transaction() as s:

        def person(key: str, **kw: object) -> int:
            ids[key] = people_service.create_person(s, **kw).id  # type: ignore[arg-type]
            return ids[key]

        p = person(
            "current",
            title="Ms",
            first_name="Kaukab",
            last_name="Stewart",
            post_nominals="MSP",
            types=["msp"],
            email="ks@example.org",
        )
        roles.add_role(
            s,
            p,
            chamber="Scottish Parliament",
            party="SNP",
            constituency="Glasgow Kelvin",
            start_date=dt.date(2021, 5, 13),
        )
        p = person(
            "former",
            title="Ms",
            first_name="Sandra",
            last_name="White",
            post_nominals="MSP",
            types=["msp"],
            email="sw@example.org",
        )
        roles.add_role(
            s,
            p,
            chamber="Scottish Parliament",
            party="SNP",
            constituency="Glasgow Kelvin",
            start_date=LONG_AGO,
            end_date=dt.date(2021, 5, 5),
        )
        p = person(
            "moved",
            title="Mr",
            first_name="Stephen",
            last_name="Kerr",
            post_nominals="MSP",
            types=["msp", "mp"],
            email="sk@example.org",
        )
        roles.add_role(
            s,
            p,
            chamber="Scottish Parliament",
            party="Conservative",
            region="Central Scotland",
            start_date=LONG_AGO,
            end_date=dt.date(2021, 5, 5),
        )
        roles.add_role(
            s,
            p,
            chamber="House of Commons",
            party="Conservative",
            constituency="Stirling",
            start_date=dt.date(2021, 5, 6),
        )
        person("typed", first_name="Typed", last_name="Only", types=["msp"], email="to@example.org")
        p = person(
            "cllr",
            title="Cllr",
            first_name="Ann",
            last_name="Ward",
            types=["councillor"],
            email="aw@example.org",
        )
        roles.add_role(
            s,
            p,
            chamber="Local council",
            party="Labour",
            constituency="Ward 1",
            start_date=LONG_AGO,
            end_date=dt.date(2022, 5, 5),
        )
        person(
            "partner",
            first_name="Pat",
            last_name="Partner",
            types=["partner_contact"],
            email="pp@example.org",
        )
    return ids


def test_type_and_chamber_filters_mean_current_members(db: Database) -> None:
    ids = _cast(db)
    with db.session() as s:
        assert set(person_ids(s, PersonFilter(types=["msp"]))) == {ids["current"], ids["typed"]}
        assert set(person_ids(s, PersonFilter(types=["msp"], current_roles_only=False))) == {
            ids["current"],
            ids["former"],
            ids["moved"],
            ids["typed"],
        }
        assert set(person_ids(s, PersonFilter(types=["mp"]))) == {ids["moved"]}
        assert set(person_ids(s, PersonFilter(types=["councillor"]))) == set()
        assert set(person_ids(s, PersonFilter(types=["councillor", "partner_contact"]))) == {ids["partner"]}
        assert set(person_ids(s, PersonFilter(chamber="Scottish Parliament"))) == {ids["current"]}
        assert count_people(s, PersonFilter(chamber="Scottish Parliament", current_roles_only=False)) == 3
        assert set(person_ids(s, PersonFilter(constituency="Glasgow Kelvin"))) == {ids["current"]}


def test_a_role_ending_today_is_no_longer_current(db: Database) -> None:
    with db.transaction() as s:
        p = people_service.create_person(s, first_name="Ends", last_name="Today", types=["msp"])
        role = roles.add_role(s, p.id, chamber="Scottish Parliament", start_date=LONG_AGO)
        roles.end_role(s, role.id)
        assert not role.is_current
    with db.session() as s:
        assert count_people(s, PersonFilter(types=["msp"])) == 0


def test_the_list_says_former_msp(db: Database) -> None:
    ids = _cast(db)
    with db.session() as s:
        rows = {r[0]: r[1] for r in page(s, PersonFilter(), ["type"], limit=50)}
        assert rows[ids["former"]] == "former_msp"
        assert rows[ids["current"]] == "msp"
        assert rows[ids["typed"]] == "msp"
        assert rows[ids["cllr"]] == "former_councillor"
        assert current.type_label("former_msp", {}) == "Former MSP"
        assert current.type_label("former_ms", {}) == "Former MS"
        assert current.standing_of(s, ids["former"]) == ["Former MSP"]
        assert current.standing_of(s, ids["moved"]) == ["MP for Stirling (Conservative)", "Former MSP"]
        assert current.standing_of(s, ids["current"]) == ["MSP for Glasgow Kelvin (SNP)"]


def test_former_members_are_not_addressed_as_members(db: Database, tmp_path: Path) -> None:
    ids = _cast(db)
    out = tmp_path / "letters.xlsx"
    export_people(
        db,
        PersonFilter(types=["msp", "councillor"], current_roles_only=False),
        out,
        columns=["id", "addressee", "salutation_formal", "title", "post_nominals"],
        ignore_channel_rules=WHO_NOT_HOW,
    )
    rows = {r["Kindred ID"]: r for r in _rows(out)}
    assert rows[ids["current"]]["Addressee"] == "Ms Kaukab Stewart MSP"
    assert rows[ids["former"]]["Addressee"] == "Ms Sandra White"
    assert rows[ids["former"]]["Post-nominals"] is None
    assert rows[ids["moved"]]["Addressee"] == "Mr Stephen Kerr"  # an MP now, no longer an MSP
    assert rows[ids["cllr"]]["Formal salutation"] == "Dear Ann Ward"
    assert rows[ids["cllr"]]["Title"] is None


def test_export_by_type_leaves_out_former_members(db: Database, tmp_path: Path) -> None:
    ids = _cast(db)
    out = tmp_path / "msps.xlsx"
    result = export_people(
        db, PersonFilter(types=["msp"]), out, columns=["id", "full_name"], ignore_channel_rules=WHO_NOT_HOW
    )
    assert {r["Kindred ID"] for r in _rows(out)} == {ids["current"], ids["typed"]}
    assert result.exported == 2


def test_network_members_are_current_members_unless_asked(db: Database, tmp_path: Path) -> None:
    with db.transaction() as s:
        network = networks.create_network(s, "Kindness Innovation Network")
        staying = [
            people_service.create_person(
                s, first_name=f"Stay{i}", last_name="Member", email=f"s{i}@example.org"
            ).id
            for i in range(5)
        ]
        leaving = [
            people_service.create_person(
                s, first_name=f"Gone{i}", last_name="Member", email=f"g{i}@example.org"
            ).id
            for i in range(2)
        ]
        dated = people_service.create_person(
            s, first_name="Dated", last_name="Leaver", email="d@example.org"
        ).id
        networks.add_members(s, network.id, [*staying, *leaving, dated])
        networks.set_status(s, network.id, leaving, "left")
        membership = next(m for m in networks.members(s, network.id) if m[1] == dated)
        networks.update_membership(s, membership[0], left_on=TODAY - dt.timedelta(days=1))
        network_id = network.id
    with db.session() as s:
        assert networks.list_networks(s)[0][2] == 5
        shown = [m for m in networks.members(s, network_id) if m[4] != "left"]
        assert len(shown) == 5
        assert current.network_member_counts(s, network_id) == (5, 3)
        assert count_people(s, PersonFilter(network="Kindness Innovation Network")) == 5
        assert (
            count_people(s, PersonFilter(network="Kindness Innovation Network", current_roles_only=False))
            == 8
        )
        assert (
            count_people(s, PersonFilter(network="Kindness Innovation Network", network_status="left")) == 2
        )
    out = tmp_path / "members.xlsx"
    result = export_people(
        db,
        PersonFilter(network="Kindness Innovation Network"),
        out,
        columns=["id"],
        ignore_channel_rules=WHO_NOT_HOW,
    )
    assert result.exported == 5
    result = export_people(
        db,
        PersonFilter(network="Kindness Innovation Network", current_roles_only=False),
        out,
        columns=["id"],
        ignore_channel_rules=WHO_NOT_HOW,
    )
    assert result.exported == 8
