"""A small, deliberately awkward set of people for export tests."""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from crm.db import Database
from crm.services import consent, networks, people

HOSTILE_NAMES = (
    '=HYPERLINK("http://x","click")',
    "@SUM(1+1)",
    "=cmd|' /C calc'!A0",
)
HOSTILE_PHONE = "+44 20 7946 0000"


@dataclass
class Cast:
    """Ids of the people in the test database, by role."""

    claudia: int
    james: int
    anna: int
    dnc: int
    email_out: int
    post_out: int
    no_email: int
    no_address: int
    trashed: int
    alex: int
    beth: int
    suppressed: int
    hostile: list[int]


def _create(session: Any, **fields: Any) -> int:
    return people.create_person(session, **fields).id


def build_cast(db: Database) -> Cast:
    with db.transaction() as s:
        claudia = _create(
            s,
            title="Ms",
            first_name="Claudia",
            last_name="Beamish",
            post_nominals="MSP",
            email="claudia.beamish@parliament.scot.example",
            phone="0131 348 5000",
            address_line1="The Scottish Parliament",
            town="Edinburgh",
            postcode="EH99 1SP",
            country="United Kingdom",
            job_title="Member for South Scotland",
        )
        people.touch_last_contacted(s, [claudia], dt.date(2026, 3, 1))
        consent.record_consent(s, claudia, "newsletter", basis="consent", source="Reception sign-up")
        home = {"address_line1": "1 High Street", "town": "Leeds", "postcode": "LS1 1AA"}
        james = _create(
            s, title="Mr", first_name="James", last_name="Smith", email="james@example.org", **home
        )
        anna = _create(s, title="Ms", first_name="Anna", last_name="Smith", email="anna@example.org", **home)
        addr = {"address_line1": "2 Mill Lane", "town": "Bristol", "postcode": "BS1 4DJ"}
        dnc = _create(
            s, first_name="Dora", last_name="Noble", email="dora@example.org", do_not_contact=True, **addr
        )
        email_out = _create(
            s,
            first_name="Eric",
            last_name="Owen",
            email="eric@example.org",
            email_opt_out=True,
            address_line1="3 Mill Lane",
            town="Bristol",
            postcode="BS1 4DK",
        )
        post_out = _create(
            s,
            first_name="Pia",
            last_name="Olsen",
            email="pia@example.org",
            post_opt_out=True,
            address_line1="4 Mill Lane",
            town="Bristol",
            postcode="BS1 4DL",
        )
        no_email = _create(
            s, first_name="Nell", last_name="Evans", address_line1="5 Mill Lane", postcode="BS1 4DN"
        )
        no_address = _create(s, first_name="Ned", last_name="Adams", email="ned@example.org", town="Cardiff")
        trashed = _create(s, first_name="Tess", last_name="Trask", email="tess@example.org", **addr)
        people.trash_people(s, [trashed])
        alex = _create(
            s,
            first_name="Alex",
            last_name="Reid",
            email="office@example.org",
            address_line1="6 Mill Lane",
            postcode="BS1 4DP",
        )
        beth = _create(
            s,
            first_name="Beth",
            last_name="Reid",
            email="Office@example.org",
            address_line1="7 Mill Lane",
            postcode="BS1 4DQ",
        )
        # Someone erased on request, then put back by an old spreadsheet: the suppression list wins.
        gone = _create(s, first_name="Sam", last_name="Gone", email="sam@example.org")
        people.erase_person(s, gone, "asked to be forgotten")
        suppressed = _create(s, first_name="Sam", last_name="Back", email="sam@example.org", **addr)
        # Hostile values arrive through imports as they were typed: the bulk path stores them as given.
        hostile = people.bulk_insert_people(
            s,
            [
                {
                    "first_name": name,
                    "last_name": f"Hostile{i}",
                    "email": f"hostile{i}@example.org",
                    "phone": HOSTILE_PHONE,
                    "job_title": "-2+3",
                    "address_line1": "@home",
                    "town": "Leeds",
                    "postcode": f"LS2 {i}AB",
                }
                for i, name in enumerate(HOSTILE_NAMES, start=1)
            ],
        )
        net = networks.create_network(s, "Kindness Champions")
        networks.add_members(s, net.id, [claudia, james], role="chair")
        networks.add_members(s, net.id, [anna, dnc], role="member")
    return Cast(
        claudia,
        james,
        anna,
        dnc,
        email_out,
        post_out,
        no_email,
        no_address,
        trashed,
        alex,
        beth,
        suppressed,
        hostile,
    )


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def read_sheet(path: Path, name: str | None = None) -> list[dict[str, Any]]:
    """Rows of a sheet as dicts by header (values as openpyxl reads them)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[name] if name else wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def excluded_reasons(path: Path) -> dict[str, str]:
    return {row["Name"]: row["Reason"] for row in read_sheet(path, "Excluded")}


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return "".join(
            zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("xl/worksheets/sheet")
        )
