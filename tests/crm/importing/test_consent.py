"""Consent from a yes/no column: yes grants, no refuses (and withdraws), blank records nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.db import Database
from crm.errors import ValidationError
from crm.filters import PersonFilter, count_people
from crm.importing import apply_import, undo_import
from crm.importing.consent import consent_answer, read_answers
from crm.importing.engine import ImportOptions
from crm.importing.mapping import suggest_mapping
from crm.importing.reader import read_table
from crm.models import Consent, Person
from crm.services import consent, people

from .conftest import write_csv

QUESTION = "Happy to be contacted about the Kindness Champions network?"
ROWS = [
    ["Timestamp", "Name", "Email", QUESTION],
    ["03/02/2026 10:15:00", "Ann Lee", "ann@example.org", "Yes"],
    ["04/02/2026 11:00:00", "Bob Ray", "bob@example.org", "No"],
    ["05/02/2026 09:30:00", "Cat Orr", "cat@example.org", ""],
    ["06/02/2026 09:30:00", "Dan Fox", "dan@example.org", "maybe"],
    ["", "Eve Yu", "eve@example.org", "yes please"],
]


def _import(db: Database, path: Path, **options: object) -> object:
    table = read_table(path)
    mapping = {i: f for i, f in suggest_mapping(table.headers).items() if i not in (0, 3)}
    opts = ImportOptions(consent_column=3, consent_column_purpose="Kindness Champions", **options)  # type: ignore[arg-type]
    return apply_import(db, table, mapping, opts)


def _consents(db: Database) -> dict[str, list[Consent]]:
    with db.session() as s:
        out: dict[str, list[Consent]] = {}
        for c, email in s.execute(select(Consent, Person.email).join(Person, Person.id == Consent.person_id)):
            out.setdefault(email, []).append(c)
        return out


def test_yes_no_blank_from_a_sign_up_sheet(db: Database, tmp_path: Path) -> None:
    sheet = write_csv(tmp_path / "signups.csv", ROWS)
    _import(db, sheet, consent_date_column=0)
    held = _consents(db)
    ann = held["ann@example.org"][0]
    assert (ann.purpose, ann.granted, ann.recorded_on, ann.basis) == (
        "kindness champions",
        True,
        dt.date(2026, 2, 3),
        "consent",
    )
    assert ann.wording == QUESTION and ann.source == "Import of signups.csv"
    bob = held["bob@example.org"][0]
    assert bob.granted is False and bob.recorded_on == dt.date(2026, 2, 4)
    assert "cat@example.org" not in held and "dan@example.org" not in held
    # No timestamp on the row: the import's date.
    assert held["eve@example.org"][0].recorded_on == dt.date.today()
    with db.session() as s:
        assert count_people(s, PersonFilter(consent_purpose="kindness champions")) == 2


def test_no_on_a_newer_sheet_withdraws_and_undo_removes_what_the_import_recorded(
    db: Database, tmp_path: Path
) -> None:
    with db.transaction() as s:
        bob = people.create_person(s, first_name="Bob", last_name="Ray", email="bob@example.org").id
        consent.record_consent(s, bob, "kindness champions", recorded_on=dt.date(2025, 1, 1))
    sheet = write_csv(tmp_path / "signups.csv", ROWS)
    result = _import(db, sheet, consent_date_column=0)
    old = next(c for c in _consents(db)["bob@example.org"] if c.granted)
    assert old.withdrawn_on == dt.date(2026, 2, 4)
    undo_import(db, result.batch_id)  # type: ignore[attr-defined]
    held = _consents(db)
    # The refusal went with the import, and the consent it withdrew is back.
    assert [(c.granted, c.withdrawn_on) for c in held["bob@example.org"]] == [(True, None)]
    assert "ann@example.org" not in held


def test_do_not_contact_people_get_no_consent_from_a_file(db: Database, tmp_path: Path) -> None:
    with db.transaction() as s:
        people.create_person(
            s, first_name="Ann", last_name="Lee", email="ann@example.org", do_not_contact=True
        )
    _import(db, write_csv(tmp_path / "signups.csv", ROWS))
    assert "ann@example.org" not in _consents(db)


def test_answers_are_summarised_and_a_purpose_is_needed(tmp_path: Path) -> None:
    table = read_table(write_csv(tmp_path / "signups.csv", ROWS))
    answers = read_answers(table, ImportOptions(consent_column=3, consent_column_purpose="events"))
    assert answers is not None
    assert (len(answers.yes), len(answers.no), answers.blank, answers.unclear) == (2, 1, 1, [(5, "maybe")])
    assert "2 yes, 1 no, 1 blank" in answers.summary()
    with pytest.raises(ValidationError, match="gives consent for"):
        read_answers(table, ImportOptions(consent_column=3))
    assert consent_answer("Subscribed") is True and consent_answer("Unsubscribed") is False
