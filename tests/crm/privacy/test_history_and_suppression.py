"""History through the CLI and the suppression list's commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.db import Database
from crm.exporting import export_people
from crm.filters import PersonFilter
from crm.importing import apply_import
from crm.importing.engine import ImportOptions
from crm.importing.mapping import suggest_mapping
from crm.importing.reader import read_table
from crm.privacy.history import organisation_history
from crm.services import consent, organisations, people

from .conftest import cli, write_csv


def test_history_says_when_who_what_and_from_which_source(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = write_csv(
        tmp_path / "members.csv", [["Name", "Email", "Town"], ["Ann Lee", "ann@example.org", "Perth"]]
    )
    table = read_table(sheet)
    apply_import(db, table, suggest_mapping(table.headers), ImportOptions())
    with db.transaction() as s:
        pid = people.create_person(s, first_name="Zed", email="zed@example.org").id
        ann = next(p for p in people_ids(s) if p != pid)
        people.update_person(s, ann, {"town": "Dundee", "do_not_contact": True})
        consent.record_consent(s, ann, "events")
    export_people(db, PersonFilter(), tmp_path / "out.xlsx", preset="email")
    code, result = cli(capsys, db, "history", str(ann))
    assert code == 0
    entries = result["entries"]
    assert set(entries[0]) == {"at", "who", "action", "field", "old", "new", "source"}
    town = next(e for e in entries if e["field"] == "Town")
    assert (town["old"], town["new"], town["action"]) == ("Perth", "Dundee", "Changed")
    assert town["who"]
    dnc = next(e for e in entries if e["field"] == "Do not contact")
    assert (dnc["old"], dnc["new"]) == ("No", "Yes")
    created = next(e for e in entries if e["action"] == "Added" and not e["field"])
    assert created["source"].startswith("Import of members.csv")
    assert any(e["field"].startswith("Consent") for e in entries)
    exported = next(e for e in entries if e["action"] == "Exported")
    assert exported["source"].startswith("Export to out.xlsx") and exported["new"].startswith("Left out")
    code, result = cli(capsys, db, "history", "777")
    assert code == 1 and result == {"error": "There is no person with id 777."}


def people_ids(session) -> list[int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from crm.models import Person

    return list(session.scalars(select(Person.id)))


def test_organisation_history(db: Database) -> None:
    with db.transaction() as s:
        oid = organisations.create_organisation(s, name="Kind Trust").id
        organisations.update_organisation(s, oid, {"town": "Stirling"})
    with db.session() as s:
        entries = organisation_history(s, oid)
    assert entries[0].field == "Town" and entries[0].new == "Stirling"


def test_suppression_commands(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    with db.transaction() as s:
        people.create_person(s, first_name="Ann", email="ann@example.org")
    code, result = cli(
        capsys, db, "suppress", "Ann@Example.org", "--reason", "Asked by phone not to be contacted"
    )
    assert code == 0 and result["people_marked_do_not_contact"] == 1
    assert result["suppressed"]["email"] == "ann@example.org"
    code, result = cli(capsys, db, "suppress", "bad address", "--reason", "x")
    assert code == 1 and "not a valid email address" in result["error"]
    code, result = cli(capsys, db, "suppress", "b@example.org", "--reason", "  ")
    assert code == 1 and "reason" in result["error"]
    code, result = cli(capsys, db, "suppress", "b@example.org")
    assert code == 1 and "--reason" in result["error"]
    code, result = cli(capsys, db, "suppressions")
    assert [e["email"] for e in result["suppressions"]] == ["ann@example.org"]
    code, result = cli(capsys, db, "unsuppress", "ann@example.org")
    assert code == 0 and result["people_still_do_not_contact"] == 1
    code, result = cli(capsys, db, "unsuppress", "ann@example.org")
    assert code == 1 and result["error"] == "ann@example.org is not on the suppression list."
    code, result = cli(capsys, db, "suppressions")
    assert result == {"suppressions": []}
