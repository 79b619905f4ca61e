"""Mail merges with a chosen postal address: ``--address-label`` and ``ExportOptions.address_label``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm.cli import main
from crm.db import Database
from crm.exporting import export_people
from crm.filters import PersonFilter
from crm.services import channels, people

from .conftest import excluded_reasons, read_sheet


@pytest.fixture
def msps(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        ailsa = people.create_person(
            s,
            first_name="Ailsa",
            last_name="Grant",
            email="ailsa.grant@parliament.scot",
            address_line1="The Scottish Parliament",
            town="Edinburgh",
            postcode="EH99 1SP",
            types=["msp"],
        ).id
        channels.add_channel(
            s,
            person_id=ailsa,
            kind="address",
            label="Constituency office",
            address={"address_line1": "12 High Street", "town": "Dunfermline", "postcode": "KY12 7DR"},
        )
        # No constituency office: the preferred address is used.
        bruce = people.create_person(
            s,
            first_name="Bruce",
            last_name="Hay",
            address_line1="Room M3.10, The Scottish Parliament",
            town="Edinburgh",
            postcode="EH99 1SP",
            types=["msp"],
        ).id
        # Only a constituency office: it is her preferred address as well.
        cara = people.create_person(s, first_name="Cara", last_name="Moss", types=["msp"]).id
        channels.add_channel(
            s,
            person_id=cara,
            kind="address",
            label="constituency office",
            address={"address_line1": "3 Bridge Street", "postcode": "PH1 5AA"},
        )
        dan = people.create_person(s, first_name="Dan", last_name="Ure", types=["msp"]).id
    return {"ailsa": ailsa, "bruce": bruce, "cara": cara, "dan": dan}


def _lines(path: Path) -> dict[str, tuple[object, ...]]:
    return {str(r["Last name"]): (r["Address line 1"], r["Town"], r["Postcode"]) for r in read_sheet(path)}


def test_letters_use_the_preferred_address_by_default(
    db: Database, msps: dict[str, int], tmp_path: Path
) -> None:
    out = tmp_path / "letters.xlsx"
    export_people(db, PersonFilter(types=["msp"]), out)
    assert _lines(out) == {
        "Grant": ("The Scottish Parliament", "Edinburgh", "EH99 1SP"),
        "Hay": ("Room M3.10, The Scottish Parliament", "Edinburgh", "EH99 1SP"),
        "Moss": ("3 Bridge Street", None, "PH1 5AA"),
    }
    assert excluded_reasons(out) == {"Dan Ure": "No usable postal address"}


def test_the_label_chosen_for_the_list_wins_where_there_is_one(
    db: Database, msps: dict[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "constituency.xlsx"
    code = main(
        [
            "--db",
            db.url.render_as_string(hide_password=False),
            "export",
            str(out),
            "--type",
            "msp",
            "--address-label",
            "Constituency Office",
            "--json",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["exported"] == 3
    assert _lines(out) == {
        "Grant": ("12 High Street", "Dunfermline", "KY12 7DR"),
        "Hay": ("Room M3.10, The Scottish Parliament", "Edinburgh", "EH99 1SP"),
        "Moss": ("3 Bridge Street", None, "PH1 5AA"),
    }
    # The address block follows the chosen address too.
    block = {str(r["Last name"]): str(r["Address block"]) for r in read_sheet(out)}
    assert "12 High Street" in block["Grant"] and "Parliament" not in block["Grant"]
    assert excluded_reasons(out) == {"Dan Ure": "No usable postal address"}
