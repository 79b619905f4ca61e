"""Subject access: one workbook with everything held, in plain words, nothing as a formula."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from crm.db import Database
from crm.exporting import export_people
from crm.filters import PersonFilter
from crm.privacy.subject_access import write_subject_access
from crm.services import consent, events, interactions, networks, people, roles, tags

from .conftest import cli

SHEETS = [
    "About this file",
    "Details",
    "Contact details",
    "Elected roles",
    "Networks",
    "Events",
    "Interactions",
    "Consents",
    "Preferences",
    "History",
    "Imports and merges",
    "Exports",
]


def _rows(path: Path, sheet: str) -> list[dict[str, object]]:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=False)) for r in values[1:]]


def _claire(db: Database) -> int:
    with db.transaction() as s:
        pid = people.create_person(
            s,
            title="Ms",
            first_name="Claire",
            last_name="Baker",
            email="claire.baker@parliament.scot.example",
            phone="0131 348 5000",
            address_line1="The Scottish Parliament",
            town="Edinburgh",
            postcode="EH99 1SP",
            notes='=HYPERLINK("http://evil.example")',
            types=["msp"],
        ).id
        people.set_other_emails(s, pid, [("claire@home.example", "home")])
        other = people.create_person(s, first_name="Dan", last_name="Other", email="dan@example.org").id
        tags.tag_people(s, [pid], "reception 2026")
        roles.add_role(
            s,
            pid,
            chamber="Scottish Parliament",
            party="Green",
            constituency="Lothian",
            start_date=dt.date(2021, 5, 6),
        )
        net = networks.create_network(s, "Kindness Champions").id
        networks.add_members(s, net, [pid], role="champion")
        ev = events.create_event(s, "Kindness reception", starts_on=dt.date(2026, 5, 1)).id
        events.set_attendance(s, ev, [pid], "attended")
        consent.record_consent(s, pid, "newsletter", source="Sign-up form", wording="Can we send you news?")
        interactions.log_interaction(
            s, subject="Meeting on kindness", notes="Warm", person_ids=[pid, other], date=dt.date(2026, 3, 2)
        )
        people.update_person(s, pid, {"town": "Leith"})
    return pid


def test_workbook_holds_every_category_in_plain_words(db: Database, tmp_path: Path) -> None:
    pid = _claire(db)
    export_people(db, PersonFilter(), tmp_path / "list.xlsx", preset="email")
    out = tmp_path / "sar.xlsx"
    with db.session() as s:
        result = write_subject_access(s, pid, out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == SHEETS
    details = {r["What"]: r["Held"] for r in _rows(out, "Details")}
    assert details["First name"] == "Claire" and details["Stakeholder types"] == "MSP"
    assert details["Tags"] == "reception 2026"
    # Text that looks like a formula is text.
    assert details["Notes"] == '=HYPERLINK("http://evil.example")'
    assert wb["Details"]["B1"].data_type == "s"
    assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)
    contacts = {(r["Kind"], r["Held"]) for r in _rows(out, "Contact details")}
    assert ("Email", "claire@home.example") in contacts and ("Phone", "0131 348 5000") in contacts
    assert ("Postal address", "The Scottish Parliament, Leith, EH99 1SP") in contacts
    assert _rows(out, "Elected roles")[0]["Party"] == "Green"
    assert _rows(out, "Networks")[0]["Network"] == "Kindness Champions"
    event = _rows(out, "Events")[0]
    assert event["Attendance"] == "Attended" and event["Date"] == dt.datetime(2026, 5, 1)
    meeting = _rows(out, "Interactions")[0]
    # The other participant's name is reduced to a count.
    assert meeting["Others taking part"] == "1 other person"
    assert "Dan" not in str(_rows(out, "Interactions"))
    consents = _rows(out, "Consents")
    assert consents[0]["What they were told"] == "Can we send you news?"
    history = _rows(out, "History")
    assert any(h["Field"] == "Town" and h["From"] == "Edinburgh" and h["To"] == "Leith" for h in history)
    exports = _rows(out, "Exports")
    assert exports[0]["File"] == "list.xlsx" and exports[0]["On the list"] == "On the list"
    assert result.sheets["Interactions"] == 1


def test_found_by_email_and_bad_requests_are_plain_errors(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pid = _claire(db)
    code, result = cli(
        capsys, db, "subject-access", "--email", "CLAIRE@home.example", str(tmp_path / "a.xlsx")
    )
    assert code == 0 and result["person_id"] == pid and (tmp_path / "a.xlsx").is_file()
    code, result = cli(capsys, db, "subject-access", "4242", str(tmp_path / "b.xlsx"))
    assert code == 1 and result == {"error": "There is no person with id 4242."}
    code, result = cli(capsys, db, "subject-access", "--email", "not an email", str(tmp_path / "b.xlsx"))
    assert code == 1 and "not a valid email address" in result["error"]
    code, result = cli(capsys, db, "subject-access", str(tmp_path / "c.xlsx"))
    assert code == 1 and "PERSON_ID or --email" in result["error"]
    assert not (tmp_path / "b.xlsx").exists() and not (tmp_path / "c.xlsx").exists()
