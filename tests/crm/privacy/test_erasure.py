"""Erasure end to end: gone everywhere, a minimal trace kept, and an old spreadsheet cannot bring
the person back as contactable."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.db import Database, open_database
from crm.errors import NotFoundError, ValidationError
from crm.exporting import export_people
from crm.filters import PersonFilter, count_people
from crm.importing import apply_import
from crm.importing.engine import ImportOptions
from crm.importing.mapping import suggest_mapping
from crm.importing.reader import read_table
from crm.models import (
    AuditEntry,
    Consent,
    ContactPoint,
    Interaction,
    InteractionPerson,
    Person,
    Suppression,
)
from crm.privacy.erasure import backups_holding, erase_person
from crm.privacy.suppression import is_suppressed, list_suppressions, unsuppress
from crm.services import channels, consent, interactions, people

from .conftest import cli, write_csv


def _ada(db: Database) -> tuple[int, int, int]:
    with db.transaction() as s:
        ada = people.create_person(
            s, first_name="Ada", last_name="Quill", email="ada.quill@example.org", town="Leeds"
        ).id
        people.set_other_emails(s, ada, [("ada@home.example", "home")])
        channels.add_channel(
            s,
            person_id=ada,
            kind="address",
            label="Home",
            address={"address_line1": "1 Kirk Lane", "town": "Leeds"},
        )
        bob = people.create_person(s, first_name="Bob", last_name="Stone", email="bob@example.org").id
        consent.record_consent(s, ada, "newsletter", source="Sign-up form")
        solo = interactions.log_interaction(s, subject="Call with Ada", kind="call", person_ids=[ada]).id
        shared = interactions.log_interaction(s, subject="Round table", person_ids=[ada, bob]).id
    return ada, solo, shared


def test_erasure_removes_everything_and_keeps_a_minimal_trace(db: Database) -> None:
    ada, solo, shared = _ada(db)
    with db.transaction() as s:
        result = erase_person(s, ada, "Erasure request of 3 May")
    assert (result.suppressed, result.interactions_removed, result.interactions_kept) == (2, 1, 1)
    with db.session() as s:
        assert s.get(Person, ada) is None
        assert (
            s.scalar(select(func.count()).select_from(ContactPoint).where(ContactPoint.person_id == ada)) == 0
        )
        assert s.scalar(select(func.count()).select_from(Consent)) == 0
        assert s.get(Interaction, solo) is None
        assert s.get(Interaction, shared) is not None
        assert (
            s.scalars(select(InteractionPerson.person_id)).all() != []
            and ada not in s.scalars(select(InteractionPerson.person_id)).all()
        )
        # Nobody finds them by search any more.
        assert count_people(s, PersonFilter(text="quill")) == 0
        # The trace: erased, when, by whom, why; no values of the old record.
        trace = s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "person", AuditEntry.entity_id == ada)
        ).all()
        erase = [e for e in trace if e.action == "erase"]
        assert len(erase) == 1 and erase[0].details == "Erasure request of 3 May" and erase[0].user
        assert all(e.old_value is None and e.new_value is None for e in trace)
        # Addresses kept only as keyed hashes, which still match.
        assert s.scalars(select(Suppression.email)).all() == [None, None]
        assert "ada.quill@example.org" not in str(s.scalars(select(Suppression.email_hash)).all())
        assert is_suppressed(s, "Ada.Quill@example.org") and is_suppressed(s, "ada@home.example")


def test_erased_words_leave_the_sqlite_file(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as s:
        pid = people.create_person(s, first_name="Zebedee", last_name="Quixotic", email="zq@example.org").id
        for i in range(50):
            people.create_person(s, first_name=f"Other{i}", last_name="Person")
    with sqlite_db.transaction() as s:
        erase_person(s, pid, "asked to be forgotten")
    sqlite_db.dispose()
    assert sqlite_db.path is not None
    conn = sqlite3.connect(sqlite_db.path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = sqlite_db.path.read_bytes()
    assert b"quixotic" not in data.lower() and b"zq@example.org" not in data


def test_bad_erasures_change_nothing(db: Database) -> None:
    ada, _, _ = _ada(db)
    with pytest.raises(ValidationError, match="reason"), db.transaction() as s:
        erase_person(s, ada, "   ")
    with pytest.raises(NotFoundError, match="no person with id 999"), db.transaction() as s:
        erase_person(s, 999, "x")
    with db.transaction() as s:
        erase_person(s, ada, "request")
    with pytest.raises(NotFoundError, match="was erased on"), db.transaction() as s:
        erase_person(s, ada, "again")


def test_reimported_erased_person_comes_back_do_not_contact_until_unsuppressed_on_purpose(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ada, _, _ = _ada(db)
    code, result = cli(capsys, db, "erase", str(ada), "--reason", "Erasure request of 3 May")
    assert code == 0 and result["suppressed_addresses"] == 2
    # An old sign-up sheet with her on it is imported again.
    sheet = write_csv(
        tmp_path / "old signups.csv",
        [
            ["First name", "Last name", "Email"],
            ["Ada", "Quill", "ADA.QUILL@example.org"],
            ["Cy", "Ng", "cy@example.org"],
        ],
    )
    table = read_table(sheet)
    outcome = apply_import(db, table, suggest_mapping(table.headers), ImportOptions())
    assert outcome.created == 2
    flags = [f.reason for r in outcome.plan.rows for f in r.flags]
    assert any("do-not-contact list" in f for f in flags)
    with db.session() as s:
        back = s.scalars(select(Person).where(Person.last_name == "Quill")).one()
        assert back.do_not_contact is True
    out = tmp_path / "letters.xlsx"
    result_export = export_people(db, PersonFilter(), out, preset="email")
    assert result_export.exported == 2  # Bob and Cy; Ada is on the Excluded sheet
    # Taking her off the list is deliberate: unsuppress, then lift do-not-contact on her record.
    code, result = cli(capsys, db, "unsuppress", "ada.quill@example.org")
    assert code == 0 and result["entries_removed"] >= 1 and result["people_still_do_not_contact"] == 1
    with db.session() as s:
        assert not is_suppressed(s, "ada.quill@example.org")
        assert is_suppressed(s, "ada@home.example")  # her other address stays suppressed
    with db.transaction() as s:
        people.update_person(s, back.id, {"do_not_contact": False})
    assert export_people(db, PersonFilter(), tmp_path / "again.xlsx", preset="email").exported == 3


def test_unsuppressing_an_address_not_on_the_list_is_an_error(db: Database) -> None:
    with pytest.raises(NotFoundError, match="not on the suppression list"), db.transaction() as s:
        unsuppress(s, "nobody@example.org")
    with db.session() as s:
        assert list_suppressions(s) == []


def test_backups_made_before_the_erasure_are_reported(tmp_path: Path) -> None:
    from crm.backups import automatic_backup, backup_folder

    database = open_database(tmp_path / "kindred.db")
    try:
        old = automatic_backup(database, "before importing old.csv")
        new = automatic_backup(database, "before importing new.csv")
        assert old is not None and new is not None
        # The first copy was made in January, before the person came: it cannot hold them.
        sidecar = old.with_name(old.name + ".json")
        info = json.loads(sidecar.read_text(encoding="utf-8"))
        info["created"] = dt.datetime(2026, 1, 1).isoformat()  # local time, as the backups write it
        sidecar.write_text(json.dumps(info), encoding="utf-8")
        (backup_folder(database) / "notes.txt").write_text("not a backup", encoding="utf-8")
        upgrade = tmp_path / "kindred.before-upgrade-20260301-101010.db"  # left by Kindred 0.1.0
        shutil.copyfile(new, upgrade)
        os.utime(upgrade, (dt.datetime(2026, 3, 1).timestamp(),) * 2)
        since = dt.datetime(2026, 2, 1).astimezone()
        found = [b.path.name for b in backups_holding(database, since)]
        assert found == [upgrade.name, new.name]  # oldest first; the January one predates the person
        assert backups_holding(None) == []
    finally:
        database.dispose()


def test_cli_erase_lists_the_backups_made_since_the_person_came(
    sqlite_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each import leaves an automatic backup first; the one before the import after Ada's holds
    her, and erasing her says so. This crashed comparing her stored time, which SQLite gives back
    without its zone, with the backups' times. (Backups are dated to the second, so one made in the
    same second as her arrival is listed too: listing one too many is the safe side.)"""
    first = write_csv(
        tmp_path / "sign-ups.csv", [["First name", "Last name", "Email"], ["Ada", "Quill", "ada@example.org"]]
    )
    second = write_csv(
        tmp_path / "more.csv", [["First name", "Last name", "Email"], ["Bob", "Stone", "bob@example.org"]]
    )
    assert cli(capsys, sqlite_db, "import", str(first))[0] == 0
    assert cli(capsys, sqlite_db, "import", str(second))[0] == 0
    with sqlite_db.session() as s:
        ada = s.scalars(select(Person.id).where(Person.email == "ada@example.org")).one()
    code, out = cli(capsys, sqlite_db, "erase", str(ada), "--reason", "Asked to be forgotten")
    assert code == 0, out
    held = out["backups_still_holding_data"]
    assert any("more-csv" in b["path"] for b in held), held
