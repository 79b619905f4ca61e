"""Roster refresh against a real database (SQLite and PostgreSQL): every shape of change a
chamber goes through, dry run and undo."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.db import Database
from crm.errors import ConflictError
from crm.filters import PersonFilter, count_people
from crm.models import ElectedRole, Person, PersonIdentifier, PersonType
from crm.roster.readers import read_roster
from crm.roster.reconcile import refresh_roster, undo_refresh
from crm.services import people as people_service
from crm.services import roles as roles_service

from tests.crm.roster.rosters import generate, newcomer, write_everypolitician, write_members_api

FIXTURES = Path(__file__).parents[2] / "fixtures" / "rosters"
SP = "Scottish Parliament"
TODAY = dt.date.today()


def _people(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Person)) or 0


def _current(db: Database, chamber: str = SP) -> dict[str, tuple[str | None, str | None, dt.date | None]]:
    """Current members by "First Last": (party, seat, start)."""
    with db.session() as s:
        rows = s.execute(
            select(
                Person.first_name,
                Person.last_name,
                ElectedRole.party,
                ElectedRole.constituency,
                ElectedRole.region,
                ElectedRole.start_date,
            )
            .join(ElectedRole, ElectedRole.person_id == Person.id)
            .where(
                ElectedRole.chamber == chamber,
                (ElectedRole.end_date.is_(None)) | (ElectedRole.end_date > TODAY),
            )
        ).all()
    out = {}
    for first, last, party, constituency, region, start in rows:
        name = f"{first} {last}"
        assert name not in out, f"{name} has two current roles"
        out[name] = (party, constituency or region, start)
    return out


def _refresh(db: Database, path: Path, as_of: dt.date | None = None, **kw: object):  # type: ignore[no-untyped-def]
    return refresh_roster(db, read_roster(path, **kw), as_of)  # type: ignore[arg-type]


def test_first_load_of_an_everypolitician_term(db: Database) -> None:
    result = _refresh(db, FIXTURES / "everypolitician-scottish-parliament-term-6.csv", dt.date(2024, 1, 1))
    out = result.as_dict()
    assert (out["added"], out["changed"], out["ended"], out["unmatched"]) == (10, 0, 0, 0)
    assert out["duplicates"] == 1  # Miles Briggs's repeated row
    assert out["batch_id"] is not None and out["seconds"] >= 0
    assert _people(db) == 10
    current = _current(db)
    assert current["Fergus Ewing"] == ("Independent", "Inverness and Nairn", dt.date(2023, 6, 15))
    assert current["Miles Briggs"][1] == "Lothian"
    assert current["Kaukab Stewart"] == ("Scottish National Party", "Glasgow Kelvin", dt.date(2021, 5, 13))
    with db.session() as s:
        ewing = s.scalars(select(Person).where(Person.last_name == "Ewing")).one()
        # His SNP membership earlier in the term is kept as history.
        assert sorted((r.party, r.end_date) for r in ewing.elected_roles) == [
            ("Independent", None),
            ("Scottish National Party", dt.date(2023, 6, 15)),
        ]
        assert {t.type for t in ewing.types} == {"msp"}
        assert ewing.post_nominals == "MSP" and ewing.nation == "Scotland"
        idents = dict(
            s.execute(
                select(PersonIdentifier.source, PersonIdentifier.identifier).where(
                    PersonIdentifier.person_id == ewing.id
                )
            ).all()
        )
        assert idents == {"everypolitician": "a3e1c2b4-9f8e-4d6c-b5a4-3c2d1e0f9a03", "wikidata": "Q1405680"}
        briggs = s.scalars(select(Person).where(Person.last_name == "Briggs")).one()
        assert [r.region for r in briggs.elected_roles] == ["Lothian"]
        assert count_people(s, PersonFilter(types=["msp"])) == 10


def test_the_same_roster_again_changes_nothing(db: Database) -> None:
    path = FIXTURES / "everypolitician-scottish-parliament-term-6.csv"
    _refresh(db, path, dt.date(2024, 1, 1))
    before = _current(db)
    again = _refresh(db, path, dt.date(2024, 2, 1)).as_dict()
    assert (again["added"], again["changed"], again["ended"], again["continuing"]) == (0, 0, 0, 10)
    assert _people(db) == 10
    assert _current(db) == before


def test_turnover_election_ends_the_departed_and_adds_the_new_without_duplicates(
    db: Database, tmp_path: Path
) -> None:
    term5 = generate(129, seed=5, start=dt.date(2016, 5, 5))
    _refresh(db, write_everypolitician(tmp_path / "term-5.csv", term5, term="5"), dt.date(2017, 1, 1))
    assert _people(db) == 129
    election = dt.date(2021, 5, 6)
    term6 = [newcomer(m, seed=i, start=election) if i % 129 < 51 else m for i, m in enumerate(term5)]
    result = _refresh(db, write_everypolitician(tmp_path / "term-6.csv", term6), election)
    out = result.as_dict()
    assert (out["added"], out["ended"], out["continuing"], out["changed"]) == (51, 51, 78, 0)
    assert _people(db) == 129 + 51  # nobody continuing was created again
    current = _current(db)
    assert len(current) == 129
    with db.session() as s:
        departed = s.scalars(select(ElectedRole).join(Person).where(Person.last_name == term5[0].last)).one()
        assert departed.end_date == election
        assert count_people(s, PersonFilter(types=["msp"])) == 129
        assert count_people(s, PersonFilter(types=["msp"], current_roles_only=False)) == 180
    # One seat, one current member.
    seats = [seat for _party, seat, _start in current.values()]
    assert len(seats) == len(set(seats))


def test_by_election_and_resignation_mid_term(db: Database, tmp_path: Path) -> None:
    members = generate(20, seed=2)
    _refresh(db, write_everypolitician(tmp_path / "a.csv", members), dt.date(2022, 1, 1))
    resigned = replace(members[3], end=dt.date(2023, 3, 31))
    successor = newcomer(members[3], seed=99, start=dt.date(2023, 6, 1))
    later = [*members[:3], resigned, successor, *members[4:]]
    out = _refresh(db, write_everypolitician(tmp_path / "b.csv", later), dt.date(2023, 7, 1)).as_dict()
    assert (out["added"], out["ended"], out["continuing"]) == (1, 1, 19)
    ended = next(c for c in out["changes"] if c["kind"] == "ended")
    assert ended["name"] == resigned.name and "31/03/2023" in ended["detail"]
    current = _current(db)
    assert resigned.name not in current
    assert current[successor.name][2] == dt.date(2023, 6, 1)
    with db.session() as s:
        role = s.scalars(select(ElectedRole).join(Person).where(Person.last_name == resigned.last)).one()
        assert role.end_date == dt.date(2023, 3, 31)


def test_defection_ends_the_old_role_and_starts_a_new_one(db: Database, tmp_path: Path) -> None:
    members = generate(10, seed=3)
    _refresh(db, write_everypolitician(tmp_path / "a.csv", members), dt.date(2022, 1, 1))
    m = members[0]
    defected = [
        replace(m, end=dt.date(2023, 10, 21)),
        replace(m, party="Alba Party", start=dt.date(2023, 10, 21)),
        *members[1:],
    ]
    out = _refresh(db, write_everypolitician(tmp_path / "b.csv", defected), dt.date(2023, 11, 1)).as_dict()
    assert (out["changed"], out["added"], out["ended"], out["continuing"]) == (1, 0, 0, 9)
    change = out["changes"][0]
    assert change["kind"] == "changed" and "→ Alba Party" in change["detail"]
    assert _people(db) == 10
    with db.session() as s:
        roles = s.scalars(
            select(ElectedRole)
            .join(Person)
            .where(Person.last_name == m.last)
            .order_by(ElectedRole.start_date)
        ).all()
        assert [(r.party, r.start_date, r.end_date) for r in roles] == [
            (m.party, m.start, dt.date(2023, 10, 21)),
            ("Alba Party", dt.date(2023, 10, 21), None),
        ]


def test_party_change_without_dates_is_dated_by_the_refresh(db: Database, tmp_path: Path) -> None:
    members = generate(5, seed=4)
    _refresh(db, write_everypolitician(tmp_path / "a.csv", members), dt.date(2022, 1, 1))
    moved = [replace(members[0], party="Independent", area="Seat 9999"), *members[1:]]
    out = _refresh(db, write_everypolitician(tmp_path / "b.csv", moved), dt.date(2024, 2, 2)).as_dict()
    assert out["changed"] == 1 and "seat Seat 0000 → Seat 9999" in out["changes"][0]["detail"]
    assert _current(db)[members[0].name] == ("Independent", "Seat 9999", dt.date(2024, 2, 2))


def test_absent_member_ends_at_as_of_and_nothing_is_deleted(db: Database, tmp_path: Path) -> None:
    members = generate(12, seed=6)
    _refresh(db, write_everypolitician(tmp_path / "a.csv", members), dt.date(2022, 1, 1))
    out = _refresh(db, write_everypolitician(tmp_path / "b.csv", members[1:]), dt.date(2024, 4, 30)).as_dict()
    assert out["ended"] == 1
    assert _people(db) == 12
    with db.session() as s:
        role = s.scalars(select(ElectedRole).join(Person).where(Person.last_name == members[0].last)).one()
        assert role.end_date == dt.date(2024, 4, 30)


def test_vacant_seats_are_not_people(db: Database) -> None:
    out = _refresh(db, FIXTURES / "msp-list.csv").as_dict()
    assert out["vacant"] == 1 and out["added"] == 3
    with db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(Person).where(Person.last_name.ilike("%vacant%"))) == 0
        )


def test_existing_people_are_matched_by_email_and_by_name(db: Database) -> None:
    with db.transaction() as s:
        # Imported long ago as "Ms Ruth Maguire", typed MSP, no role recorded, another email.
        maguire = people_service.create_person(
            s, title="Ms", first_name="Ruth", last_name="Maguire", types=["msp"], email="ruth@example.org"
        )
        stewart = people_service.create_person(
            s, first_name="K.", last_name="Stewart", email="kaukab.stewart.msp@parliament.scot"
        )
        briggs = people_service.create_person(s, first_name="Miles", last_name="Briggs")
        roles_service.add_role(
            s,
            briggs.id,
            chamber="Scottish Parliament",
            party="Conservative",
            region="Lothian",
            start_date=dt.date(2016, 5, 5),
        )
        ids = (maguire.id, stewart.id, briggs.id)
    out = _refresh(
        db, FIXTURES / "everypolitician-scottish-parliament-term-6.csv", dt.date(2024, 1, 1)
    ).as_dict()
    by_name = {c["name"]: c for c in out["changes"]}
    assert by_name["Ruth Maguire"]["person_id"] == ids[0] and by_name["Ruth Maguire"]["matched_by"] == "name"
    assert (
        by_name["Kaukab Stewart"]["person_id"] == ids[1]
        and by_name["Kaukab Stewart"]["matched_by"] == "email"
    )
    assert out["continuing"] == 1  # Briggs: same party (loosely) and region
    assert _people(db) == 10
    with db.session() as s:
        briggs_role = s.scalars(select(ElectedRole).where(ElectedRole.person_id == ids[2])).one()
        assert briggs_role.end_date is None and briggs_role.party == "Conservative"
        # The next refresh matches by the identifiers stored this time, whatever the names say.
        assert (
            s.scalar(
                select(func.count()).select_from(PersonIdentifier).where(PersonIdentifier.person_id == ids[0])
            )
            == 2
        )


def test_two_people_with_the_members_name_are_not_guessed_between(db: Database) -> None:
    with db.transaction() as s:
        for _ in range(2):
            p = people_service.create_person(s, first_name="Jackie", last_name="Baillie", types=["msp"])
            roles_service.add_role(
                s, p.id, chamber="Scottish Parliament", party="Scottish Labour", constituency="Dumbarton"
            )
    out = _refresh(
        db, FIXTURES / "everypolitician-scottish-parliament-term-6.csv", dt.date(2024, 1, 1)
    ).as_dict()
    unmatched = [c for c in out["changes"] if c["kind"] == "unmatched"]
    assert [c["name"] for c in unmatched] == ["Jackie Baillie"] and "merge the duplicates" in unmatched[0][
        "detail"
    ]
    assert out["ended"] == 0  # neither of them is ended as absent
    assert _people(db) == 2 + 9


def test_dry_run_changes_nothing(db: Database, tmp_path: Path) -> None:
    members = generate(8, seed=8)
    path = write_everypolitician(tmp_path / "a.csv", members)
    result = refresh_roster(db, read_roster(path), dt.date(2022, 1, 1), dry_run=True)
    assert result.batch_id is None and result.plan.count("added") == 8
    assert _people(db) == 0


def test_undo_puts_everything_back(db: Database, tmp_path: Path) -> None:
    members = generate(30, seed=9)
    _refresh(db, write_everypolitician(tmp_path / "a.csv", members), dt.date(2022, 1, 1))
    before = _current(db)
    changed = [
        newcomer(members[0], 1, dt.date(2024, 1, 1)),
        replace(members[1], party="Independent"),
        *members[2:],
    ]
    result = _refresh(db, write_everypolitician(tmp_path / "b.csv", changed), dt.date(2024, 1, 2))
    assert _current(db) != before
    assert result.batch_id is not None
    undone = undo_refresh(db, result.batch_id)
    assert (undone.people_removed, undone.roles_restored) == (1, 2)
    assert _current(db) == before
    assert _people(db) == 30
    with pytest.raises(ConflictError, match="already undone"):
        undo_refresh(db, result.batch_id)


def test_undo_refuses_when_a_created_person_was_edited_since(db: Database, tmp_path: Path) -> None:
    result = _refresh(
        db, write_everypolitician(tmp_path / "a.csv", generate(3, seed=10)), dt.date(2022, 1, 1)
    )
    with db.transaction() as s:
        pid = s.scalars(select(Person.id)).first()
        assert pid is not None
        people_service.update_person(s, pid, {"phone": "0131 348 5000"})
    assert result.batch_id is not None
    with pytest.raises(ConflictError, match="later edits"):
        undo_refresh(db, result.batch_id)
    assert _people(db) == 3


def test_members_api_json_of_the_commons(db: Database) -> None:
    out = _refresh(db, FIXTURES / "members-api-commons.json", dt.date(2024, 9, 1)).as_dict()
    assert out["chamber"] == "House of Commons" and out["format"] == "parliament-api"
    assert (out["added"], out["former"]) == (3, 1)  # Tony Lloyd's seat ended in January 2024: not created
    with db.session() as s:
        abbott = s.scalars(select(Person).where(Person.last_name == "Abbott")).one()
        assert (abbott.title, abbott.first_name, abbott.post_nominals) == ("Ms", "Diane", "MP")
        assert abbott.elected_roles[0].start_date == dt.date(1987, 6, 11)
        assert (
            s.scalar(select(PersonIdentifier.identifier).where(PersonIdentifier.person_id == abbott.id))
            == "172"
        )
        assert s.scalar(select(PersonType.type).where(PersonType.person_id == abbott.id)) == "mp"
        floinn = s.scalars(select(Person).where(Person.last_name == "Ó Floinn")).one()
        assert floinn.first_name == "Seán"


def test_generated_members_api_roster_matches_by_parliament_id_after_a_name_change(
    db: Database, tmp_path: Path
) -> None:
    members = generate(6, seed=11)
    _refresh(db, write_members_api(tmp_path / "a.json", members), dt.date(2024, 7, 5))
    renamed = [replace(members[0], last="Married-Name", email=None), *members[1:]]
    out = _refresh(db, write_members_api(tmp_path / "b.json", renamed), dt.date(2024, 9, 1)).as_dict()
    assert (out["added"], out["continuing"], out["ended"]) == (0, 6, 0)


def test_popolo_json_with_an_old_chamber_name(db: Database) -> None:
    out = _refresh(db, FIXTURES / "everypolitician-senedd-popolo.json").as_dict()
    assert out["chamber"] == "Senedd" and out["added"] == 3
    current = _current(db, "Senedd")
    assert current["Jane Dodds"] == ("Welsh Liberal Democrats", "Mid and West Wales", dt.date(2021, 5, 6))
    assert current["Rhun ap Iorwerth"][1] == "Ynys Môn"


def test_continuing_members_only_have_blanks_filled_in(db: Database) -> None:
    with db.transaction() as s:
        p = people_service.create_person(
            s, first_name="Jackie", last_name="Baillie", types=["msp"], email="jb@example.org"
        )
        role = roles_service.add_role(s, p.id, chamber="Holyrood", constituency="Dumbarton")
        role.chamber = "Scottish Parliament"
        pid = p.id
    out = _refresh(
        db, FIXTURES / "everypolitician-scottish-parliament-term-6.csv", dt.date(2024, 1, 1)
    ).as_dict()
    assert out["continuing"] == 1
    with db.session() as s:
        role = s.scalars(select(ElectedRole).where(ElectedRole.person_id == pid)).one()
        assert (role.party, role.constituency, role.start_date) == (
            "Scottish Labour",
            "Dumbarton",
            dt.date(2021, 5, 13),
        )
        person = s.get(Person, pid)
        assert person is not None and person.email == "jb@example.org"  # never overwritten


def test_one_page_of_search_results_ends_nobody(db: Database, tmp_path: Path) -> None:
    import json

    members = generate(30, seed=12)
    whole = write_members_api(tmp_path / "all.json", members)
    _refresh(db, whole, dt.date(2024, 7, 5))
    page = json.loads(whole.read_text(encoding="utf-8"))
    page["items"] = page["items"][:20]  # what the API gives at most per request
    one_page = tmp_path / "page-1.json"
    one_page.write_text(json.dumps(page), encoding="utf-8")
    result = _refresh(db, one_page, dt.date(2024, 9, 1))
    out = result.as_dict()
    assert (out["ended"], out["continuing"]) == (0, 20)
    assert any("20 of the 30 members" in w for w in out["warnings"])
    assert len(_current(db, "House of Commons")) == 30
    single = tmp_path / "member.json"
    single.write_text(json.dumps(page["items"][0]), encoding="utf-8")
    assert _refresh(db, single, dt.date(2024, 9, 2)).as_dict()["ended"] == 0


def test_a_new_spelling_of_a_continuing_members_name_is_matched(db: Database) -> None:
    with db.transaction() as s:
        p = people_service.create_person(s, first_name="Jacqueline", last_name="Baillie", types=["msp"])
        roles_service.add_role(
            s, p.id, chamber="Scottish Parliament", party="Scottish Labour", constituency="Dumbarton"
        )
        pid = p.id
    result = _refresh(db, FIXTURES / "everypolitician-scottish-parliament-term-6.csv", dt.date(2024, 1, 1))
    out = result.as_dict()
    baillie = next(c for c in result.plan.changes if c.name == "Jackie Baillie")
    assert (baillie.kind, baillie.person_id, baillie.how) == ("continuing", pid, "surname and seat")
    assert out["ended"] == 0 and _people(db) == 10


def test_people_typed_as_msps_but_not_on_the_roster_become_former(db: Database) -> None:
    with db.transaction() as s:
        gone = people_service.create_person(s, first_name="Sandra", last_name="White", types=["msp"]).id
        other = people_service.create_person(
            s, first_name="Pat", last_name="Partner", types=["partner_contact"]
        ).id
    result = _refresh(db, FIXTURES / "everypolitician-scottish-parliament-term-6.csv", dt.date(2024, 1, 1))
    out = result.as_dict()
    white = next(c for c in out["changes"] if c["person_id"] == gone)
    assert white["kind"] == "ended" and "typed as MSP but not on the roster" in white["detail"]
    with db.session() as s:
        assert s.get(Person, other) is not None
        assert count_people(s, PersonFilter(types=["msp"])) == 10
        assert count_people(s, PersonFilter(types=["msp"], current_roles_only=False)) == 11
        role = s.scalars(select(ElectedRole).where(ElectedRole.person_id == gone)).one()
        assert (role.chamber, role.start_date, role.end_date) == (
            "Scottish Parliament",
            None,
            dt.date(2024, 1, 1),
        )
    assert result.batch_id is not None
    undo_refresh(db, result.batch_id)
    with db.session() as s:
        assert s.scalars(select(ElectedRole).where(ElectedRole.person_id == gone)).all() == []
        assert count_people(s, PersonFilter(types=["msp"])) == 1


def test_representatives_and_party_counts(db: Database, tmp_path: Path) -> None:
    from crm.roster import current

    members = generate(9, seed=13)
    _refresh(db, write_everypolitician(tmp_path / "a.csv", members), dt.date(2022, 1, 1))
    _refresh(db, write_everypolitician(tmp_path / "b.csv", members[1:]), dt.date(2024, 1, 1))
    with db.session() as s:
        shown = current.representatives(s, SP)
        assert len(shown) == 8 and all(m.current for m in shown)
        everyone = current.representatives(s, SP, include_former=True)
        assert len(everyone) == 9
        former = [m for m in everyone if not m.current]
        assert [(m.name, m.end_date) for m in former] == [(members[0].name, dt.date(2024, 1, 1))]
        assert sum(n for _p, n in current.party_counts(everyone)) == 8
        assert current.chamber_counts(s) == [(SP, 8)]


def test_each_council_is_refreshed_on_its_own(db: Database, tmp_path: Path) -> None:
    fife = tmp_path / "fife.csv"
    fife.write_text(
        "Councillor,Party,Ward\nAnn Ward,Labour,Kirkcaldy Central\nBob Reid,SNP,Glenrothes West\n",
        encoding="utf-8",
    )
    glasgow = tmp_path / "glasgow.csv"
    glasgow.write_text("Councillor,Party,Ward\nCara Bell,Green,Anderston\n", encoding="utf-8")
    _refresh(db, fife, dt.date(2022, 5, 6), chamber="Fife Council")
    _refresh(db, glasgow, dt.date(2022, 5, 6), chamber="Glasgow City Council")
    with db.transaction() as s:
        typed = people_service.create_person(
            s, first_name="Typed", last_name="Councillor", types=["councillor"]
        ).id
    fife.write_text("Councillor,Party,Ward\nAnn Ward,Labour,Kirkcaldy Central\n", encoding="utf-8")
    out = _refresh(db, fife, dt.date(2024, 1, 1), chamber="Fife Council").as_dict()
    assert (out["ended"], out["continuing"]) == (1, 1)  # Bob Reid; Glasgow and the typed councillor untouched
    assert _current(db, "Glasgow City Council") == {"Cara Bell": ("Green", "Anderston", dt.date(2022, 5, 6))}
    with db.session() as s:
        assert count_people(s, PersonFilter(types=["councillor"])) == 3  # Ann, Cara, and the typed one
        assert count_people(s, PersonFilter(chamber="Local council")) == 2
        assert count_people(s, PersonFilter(chamber="Fife Council")) == 1
        ann = s.scalars(select(Person).where(Person.last_name == "Ward")).one()
        assert ann.title == "Cllr"
        from crm.roster import current

        assert current.standing_of(s, ann.id) == ["Councillor on Fife Council for Kirkcaldy Central (Labour)"]
        assert s.scalars(select(ElectedRole).where(ElectedRole.person_id == typed)).all() == []


def test_a_list_of_councillors_must_name_its_council(tmp_path: Path) -> None:
    from crm.roster.readers import RosterError

    path = tmp_path / "councillors.csv"
    path.write_text("Councillor,Party,Ward\nAnn Ward,Labour,Kirkcaldy Central\n", encoding="utf-8")
    with pytest.raises(RosterError, match="does not say which council"):
        read_roster(path)
    with pytest.raises(RosterError, match="does not say which council"):
        read_roster(path, "Local council")
    assert read_roster(path, "Fife Council").chamber == "Fife Council"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Scottish National Party", "SNP", True),
        ("Scottish Conservative and Unionist Party", "Conservative", True),
        ("Labour (Co-op)", "Labour", True),
        ("Plaid Cymru - The Party of Wales", "Plaid Cymru", True),
        ("Liberal Democrat", "Scottish Liberal Democrats", True),
        ("Scottish Greens", "Scottish Green Party", True),
        ("Independent", "Scottish National Party", False),
        ("Alba Party", "SNP", False),
    ],
)
def test_party_names_compared_loosely(a: str, b: str, same: bool) -> None:
    from crm.roster.reconcile import _party_key

    assert (_party_key(a) == _party_key(b)) is same
