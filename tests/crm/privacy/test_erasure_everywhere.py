"""Erasure leaves nothing of the person anywhere in the database: every text column of every table
is read back after erasing someone who appears in all of them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import inspect, select, text

from crm.db import Database
from crm.exporting import export_people
from crm.filters import PersonFilter
from crm.importing import apply_import
from crm.importing.engine import ImportOptions
from crm.importing.mapping import suggest_mapping
from crm.importing.reader import read_table
from crm.models import AuditEntry, EventPart, ExportLog, Interaction, Membership, PersonIdentifier
from crm.privacy.erasure import erase_person
from crm.services import (
    channels,
    cohorts,
    consent,
    event_parts,
    events,
    interactions,
    membership_periods,
    networks,
    people,
    roles,
    tags,
)
from crm.services.merge import merge_people

from .conftest import write_csv

D = dt.date
NEEDLES = ("quiggleworth", "zebedee", "zebedee.q@example.org", "zq@home.example", "900123", "wp-98765")


def _everywhere(db: Database, tmp_path: Path) -> tuple[int, int, int]:
    """Zebedee Quiggleworth in every table that can hold a person, and Bob, who stays."""
    with db.transaction() as s:
        zeb = people.create_person(
            s,
            title="Dr",
            first_name="Zebedee",
            last_name="Quiggleworth",
            email="zebedee.q@example.org",
            phone="0131 900 1234",
            mobile="07700 900123",
            address_line1="12 Thistle Row",
            town="Perth",
            postcode="PH1 5AA",
            notes="Prefers calls after 4",
        ).id
        people.set_other_emails(s, zeb, [("zq@home.example", "home")])
        channels.add_channel(
            s,
            person_id=zeb,
            kind="address",
            label="Home",
            address={"address_line1": "3 Kirk Wynd", "town": "Perth"},
        )
        s.add(PersonIdentifier(person_id=zeb, source="wikidata", identifier="WP-98765"))
        bob = people.create_person(s, first_name="Bob", last_name="Stone", email="bob@example.org").id
        roles.add_role(s, zeb, chamber="Scottish Parliament", party="Green", constituency="Perthshire South")
        tags.tag_people(s, [zeb, bob], "Reception 2026")
        consent.record_consent(
            s, zeb, "newsletter", source="Sign-up form", wording="Zebedee Quiggleworth agrees"
        )
        kln = networks.create_network(s, "Kindness Leadership Network")
        networks.add_members(s, kln.id, [zeb, bob], joined_on=D(2024, 9, 1))
        group = cohorts.create_group(s, kln.id, "Procurement")
        mid = s.scalar(select(Membership.id).where(Membership.person_id == zeb))
        assert mid is not None
        cohorts.add_to_group(s, group.id, [mid], role="convener")
        membership_periods.leave(s, mid, on=D(2025, 3, 1), reason="Zebedee moved to Quiggleworth Consulting")
        reception = events.create_event(s, "Parliament reception", starts_on=D(2026, 9, 1)).id
        events.set_attendance(s, reception, [zeb, bob], "attended")
        event_parts.set_attendance_notes(s, reception, zeb, "Zebedee came with his carer")
        food = event_parts.add_part(s, reception, "Food poverty", host="Zebedee Quiggleworth")
        event_parts.update_part(s, food.id, {"host": "Dr Quiggleworth"})
        event_parts.place_people(s, food.id, [zeb], notes="Quiggleworth spoke about food banks")
        interactions.log_interaction(s, subject="Call with Zebedee", kind="call", person_ids=[zeb], notes="x")
        shared = interactions.log_interaction(
            s,
            subject="Round table with Dr Quiggleworth",
            person_ids=[zeb, bob],
            notes="Zebedee Quiggleworth (07700 900123) and Bob agreed to meet; Zebedee to write.",
        ).id
        people.update_person(s, zeb, {"job_title": "Convener", "email": "zebedee.q@example.org"})
        # A duplicate of him, merged into his record (kept for the merge's undo).
        twin = people.create_person(s, first_name="Zeb", last_name="Quiggleworth", email="zq@home.example").id
        merge_people(s, zeb, [twin])
    # An import updates his record (matched by email): its rows are in the history.
    sheet = write_csv(
        tmp_path / "signups.csv",
        [
            ["First name", "Last name", "Email", "Job title"],
            ["Zebedee", "Quiggleworth", "zebedee.q@example.org", "MSP"],
        ],
    )
    table = read_table(sheet)
    apply_import(db, table, suggest_mapping(table.headers), ImportOptions())
    export_people(db, PersonFilter(text="Quiggleworth"), tmp_path / "list.xlsx", preset="email")
    return zeb, bob, shared


def _found(db: Database) -> list[tuple[str, str, str]]:
    """(table, column, value) of every stored text holding one of the needles."""
    hits: list[tuple[str, str, str]] = []
    with db.session() as s:
        conn = s.connection()
        if conn.dialect.name == "sqlite":
            tables = [r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))]
        else:
            tables = inspect(conn).get_table_names()
        for table in tables:
            result = conn.execute(text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for row in result:
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    shown = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    if any(n in shown.lower() for n in NEEDLES):
                        hits.append((table, column, shown[:120]))
    return hits


def test_nothing_of_an_erased_person_is_left_in_any_table(db: Database, tmp_path: Path) -> None:
    zeb, bob, shared = _everywhere(db, tmp_path)
    before = {(t, c) for t, c, _v in _found(db)}
    # The world really holds him everywhere the fix is about.
    for place in (
        ("person", "email"),
        ("contact_point", "value"),
        ("person_identifier", "identifier"),
        ("membership_period", "leave_reason"),
        ("attendance", "notes"),
        ("attendance_part", "notes"),
        ("event_part", "host"),
        ("interaction", "notes"),
        ("audit_log", "old_value"),
        ("merge_record", "details"),
        ("consent", "wording"),
    ):
        assert place in before, place
    with db.transaction() as s:
        erase_person(s, zeb, "Erasure request of 3 May")
    assert _found(db) == []
    with db.session() as s:
        # What is not his stays: Bob, the shared interaction (its words about him gone), the part.
        assert people.get_person(s, bob).email == "bob@example.org"
        kept = s.get(Interaction, shared)
        assert kept is not None
        assert kept.subject == "Round table with [erased]"
        assert kept.notes == "[erased] ([erased]) and Bob agreed to meet; [erased] to write."
        assert s.scalars(select(EventPart.name)).all() == ["Food poverty"]
        assert s.scalars(select(EventPart.host)).all() == [None]


def test_erasure_leaves_other_exports_their_descriptions(db: Database, tmp_path: Path) -> None:
    """Only exports that searched for the person lose their description: a word that merely holds
    their name ("Ali" in "quality", "Lee" in "Leeds") is someone else's record."""
    with db.transaction() as s:
        ali = people.create_person(s, first_name="Ali", last_name="Lee", email="ali.lee@example.org").id
        morag = people.create_person(s, first_name="Morag", last_name="Leeds").id
        tags.tag_people(s, [morag], "Data quality")
    export_people(db, PersonFilter(text="Lee"), tmp_path / "lee.xlsx", preset="email")
    export_people(db, PersonFilter(text="Leeds"), tmp_path / "leeds.xlsx", preset="email")
    export_people(db, PersonFilter(tags=["Data quality"]), tmp_path / "quality.xlsx", preset="email")
    with db.session() as s:
        before = s.execute(select(ExportLog.file_name, ExportLog.filter).order_by(ExportLog.id)).all()
    assert all(f for _n, f in before)
    with db.transaction() as s:
        erase_person(s, ali, "Erasure request of 3 May")
    with db.session() as s:
        after = dict(s.execute(select(ExportLog.file_name, ExportLog.filter)).all())
    assert after["lee.xlsx"] is None
    assert after["leeds.xlsx"] == dict(before)["leeds.xlsx"]
    assert after["quality.xlsx"] == dict(before)["quality.xlsx"]


def test_erasure_leaves_a_namesakes_history(db: Database) -> None:
    """Two Anne Smiths: erasing one leaves the other's history as it was."""
    with db.transaction() as s:
        first = people.create_person(s, first_name="Anne", last_name="Smith", email="anne1@example.org").id
        other = people.create_person(s, first_name="Anne", last_name="Smith", email="anne2@example.org").id
    with db.transaction() as s:
        people.update_person(s, other, {"notes": "Met Anne Smith at the Dunfermline meeting"})
    with db.session() as s:
        before = s.execute(
            select(AuditEntry.field, AuditEntry.old_value, AuditEntry.new_value).where(
                AuditEntry.entity == "person", AuditEntry.entity_id == other
            )
        ).all()
    assert any(new and "Anne Smith" in new for _f, _o, new in before)
    with db.transaction() as s:
        erase_person(s, first, "Erasure request of 3 May")
    with db.session() as s:
        after = s.execute(
            select(AuditEntry.field, AuditEntry.old_value, AuditEntry.new_value).where(
                AuditEntry.entity == "person", AuditEntry.entity_id == other
            )
        ).all()
        assert people.get_person(s, other).notes == "Met Anne Smith at the Dunfermline meeting"
    assert after == before
