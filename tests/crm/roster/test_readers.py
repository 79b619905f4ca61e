"""Reading rosters in each shape, and the names and chambers they use."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from crm.roster.chambers import normalise_chamber
from crm.roster.names import is_vacant, name_key, split_name
from crm.roster.readers import RosterError, parse_roster_date, read_roster

FIXTURES = Path(__file__).parents[2] / "fixtures" / "rosters"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("National Assembly for Wales", "Senedd"),
        ("Welsh Parliament", "Senedd"),
        ("Senedd Cymru", "Senedd"),
        ("House of Commons", "House of Commons"),
        ("Commons", "House of Commons"),
        ("Holyrood", "Scottish Parliament"),
        ("scottish parliament", "Scottish Parliament"),
        ("Glasgow City Council", "Glasgow City Council"),
        ("councillors", "Local council"),
        ("House of Lords", "House of Lords"),
        ("Parliament of Narnia", None),
    ],
)
def test_chamber_names(given: str, expected: str | None) -> None:
    assert normalise_chamber(given) == expected


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Ms Diane Abbott", "diane abbott"),
        ("Abbott, Ms Diane", "diane abbott"),
        ("Rt Hon Sir Keir Starmer KCB KC MP", "keir starmer"),
        ("The Rt Hon. Dame Jane Smith MSP", "jane smith"),
        ("Ó Floinn, Seán", "sean o floinn"),
        ("Kaukab Stewart MSP", "kaukab stewart"),
        ("Jane Smith, MSP", "jane smith"),
        ("Màiri McAllan", "mairi mcallan"),
    ],
)
def test_name_keys(name: str, key: str) -> None:
    assert name_key(name) == key


def test_split_names() -> None:
    assert split_name("Abbott, Ms Diane") == ("Ms", "Diane", "Abbott")
    assert split_name("Rt Hon Sir Keir Starmer KCB KC MP") == ("Sir", "Keir", "Starmer")
    assert split_name("Rhun ap Iorwerth", sort_name="ap Iorwerth, Rhun") == (None, "Rhun", "ap Iorwerth")
    assert split_name("Seán Ó Floinn") == (None, "Seán", "Ó Floinn")


@pytest.mark.parametrize("name", ["Vacant", "(vacant)", "Vacancy", "", "—", "Seat vacant", "TBC"])
def test_vacant_seats(name: str) -> None:
    assert is_vacant(name)


def test_dates() -> None:
    assert parse_roster_date("2024-07-04T00:00:00") == dt.date(2024, 7, 4)
    assert parse_roster_date("2016-05") == dt.date(2016, 5, 1)
    assert parse_roster_date("13/05/2021") == dt.date(2021, 5, 13)
    with pytest.raises(ValueError, match="not a date"):
        parse_roster_date("soon")


def test_everypolitician_csv() -> None:
    roster = read_roster(FIXTURES / "everypolitician-scottish-parliament-term-6.csv")
    assert (roster.kind, roster.chamber, len(roster.rows)) == (
        "everypolitician-csv",
        "Scottish Parliament",
        12,
    )
    ewing = [r for r in roster.rows if r.last_name == "Ewing"]
    assert [(r.party, r.start_date, r.end_date) for r in ewing] == [
        ("Scottish National Party", dt.date(2021, 5, 13), dt.date(2023, 6, 15)),
        ("Independent", dt.date(2023, 6, 15), None),
    ]
    glancy = next(r for r in roster.rows if r.last_name == "Duncan-Glancy")
    assert (glancy.region, glancy.constituency) == ("Glasgow", None)
    assert glancy.identifiers == {
        "everypolitician": "e6f7a8b9-2c3d-4e4f-8a5b-6c7d8e9f0a06",
        "wikidata": "Q106435885",
    }


def test_members_api_json() -> None:
    roster = read_roster(FIXTURES / "members-api-commons.json")
    assert (roster.kind, roster.chamber) == ("parliament-api", "House of Commons")
    abbott = roster.rows[0]
    assert (abbott.title, abbott.first_name, abbott.last_name, abbott.party) == (
        "Ms",
        "Diane",
        "Abbott",
        "Independent",
    )
    assert abbott.constituency == "Hackney North and Stoke Newington" and abbott.identifiers == {
        "parliament": "172"
    }
    lloyd = roster.rows[-1]
    assert lloyd.end_date == dt.date(2024, 1, 17)


def test_members_api_single_member_and_list_of_pages(tmp_path: Path) -> None:
    import json

    data = json.loads((FIXTURES / "members-api-commons.json").read_text(encoding="utf-8"))
    one = tmp_path / "member.json"
    one.write_text(json.dumps(data["items"][1]), encoding="utf-8")
    assert [r.name for r in read_roster(one).rows] == ["Keir Starmer"]
    pages = tmp_path / "pages.json"
    pages.write_text(
        json.dumps([{"items": data["items"][:2]}, {"items": data["items"][2:]}]), encoding="utf-8"
    )
    assert len(read_roster(pages).rows) == 4


def test_popolo_json_uses_the_latest_term() -> None:
    roster = read_roster(FIXTURES / "everypolitician-senedd-popolo.json")
    assert roster.chamber == "Senedd" and len(roster.rows) == 3
    assert any("several terms" in w for w in roster.warnings)
    dodds = roster.rows[0]
    assert (dodds.region, dodds.email) == ("Mid and West Wales", "jane.dodds@senedd.wales")


def test_spreadsheet_of_members_through_the_importer(tmp_path: Path) -> None:
    path = tmp_path / "Holyrood contacts.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["MSP", "Political party", "Constituency / Region", "E-mail", "Elected"])
    ws.append(["Kaukab Stewart", "SNP", "Glasgow Kelvin", "k@example.org", dt.datetime(2021, 5, 13)])
    ws.append(["Miles Briggs", "Conservative", "Lothian", None, None])
    ws.append(["Vacant", None, "Falkirk East", None, None])
    wb.save(path)
    roster = read_roster(path)
    assert roster.chamber == "Scottish Parliament"
    assert [(r.name, r.constituency, r.region) for r in roster.rows] == [
        ("Kaukab Stewart", "Glasgow Kelvin", None),
        ("Miles Briggs", None, "Lothian"),
    ]
    assert roster.rows[0].start_date == dt.date(2021, 5, 13) and roster.vacant == [4]


def test_a_chamber_column_picks_the_chamber(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text(
        "Name,Party,Constituency,Chamber\nJane Dodds,Lib Dem,Mid and West Wales,Welsh Parliament\n",
        encoding="utf-8",
    )
    roster = read_roster(path)
    assert roster.chamber == "Senedd" and roster.rows[0].region == "Mid and West Wales"


def test_not_a_roster(tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text("Organisation,Town\nKindness Trust,Perth\n", encoding="utf-8")
    with pytest.raises(RosterError, match="no column holds members' names"):
        read_roster(path, "Scottish Parliament")


def test_theyworkforyou_json(tmp_path: Path) -> None:
    import json

    path = tmp_path / "getMSPs.json"
    path.write_text(
        json.dumps(
            [
                {
                    "member_id": "80123",
                    "person_id": "25100",
                    "name": "Kaukab Stewart",
                    "party": "Scottish National Party",
                    "constituency": "Glasgow Kelvin",
                    "office": [{"dept": "", "position": ""}],
                },
                {
                    "member_id": "80124",
                    "person_id": "13985",
                    "name": "Miles Briggs",
                    "party": "Scottish Conservative and Unionist Party",
                    "constituency": "Lothian",
                },
            ]
        ),
        encoding="utf-8",
    )
    roster = read_roster(path)
    assert roster.chamber == "Scottish Parliament"  # from the file name
    assert [(r.name, r.constituency, r.region, r.identifiers) for r in roster.rows] == [
        ("Kaukab Stewart", "Glasgow Kelvin", None, {"theyworkforyou": "25100"}),
        ("Miles Briggs", None, "Lothian", {"theyworkforyou": "13985"}),
    ]


def test_rows_marked_as_former_are_left_out(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text(
        'Parliamentary name,Party,Constituency,IsCurrent\n"Baillie, Jackie",Labour,Dumbarton,True\n"White, Sandra",SNP,Glasgow Kelvin,False\n',
        encoding="utf-8",
    )
    roster = read_roster(path, "Scottish Parliament")
    assert [r.name for r in roster.rows] == ["Baillie, Jackie"]
    assert roster.rows[0].first_name == "Jackie" and roster.warnings == [
        "1 rows marked as former members left out."
    ]
