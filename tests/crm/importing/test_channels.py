"""Importing labelled contact columns: "Work email", "Personal email", "Constituency office address"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from crm.db import Database
from crm.importing import ImportOptions, apply_import, read_table, suggest_mapping, undo_import
from crm.models import ContactPoint, Person
from crm.services import channels, people

from tests.crm.importing.conftest import write_csv

HEADINGS = [
    "First name",
    "Surname",
    "Work email",
    "Personal email",
    "Home phone",
    "Constituency office address",
    "Constituency office postcode",
    "Parliament office address",
    "Parliament office town",
]


def _import(db: Database, path: Path, **options: Any) -> Any:
    table = read_table(path)
    return apply_import(db, table, suggest_mapping(table.headers), ImportOptions(**options))


def _points(db: Database, email: str) -> tuple[Person, list[tuple[str, str | None, str, bool]]]:
    with db.session() as session:
        person = session.scalars(select(Person).where(Person.email == email)).one()
        found = [
            (c.kind, c.label, c.text, c.preferred)
            for c in channels.list_channels(session, person_id=person.id)
        ]
        session.expunge(person)
        return person, found


def test_labelled_headings_map_to_labelled_fields() -> None:
    mapping = suggest_mapping([*HEADINGS, "Work mobile", "Home address line 2", "Constituency"])
    assert [mapping[i] for i in range(12)] == [
        "first_name",
        "last_name",
        "email@work",
        "email@personal",
        "phone@home",
        "address_line1@constituency",
        "postcode@constituency",
        "address_line1@parliament",
        "town@parliament",
        "mobile@work",
        "address_line2@home",
        "constituency",
    ]


def test_a_new_person_gets_every_labelled_channel_the_first_email_preferred(
    db: Database, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "msps.csv",
        [
            HEADINGS,
            [
                "Ailsa",
                "Grant",
                "Ailsa.Grant@Parliament.Scot",
                "ailsa@home.example",
                "0131 496 0000",
                "12 High Street",
                "ky12 7dr",
                "The Scottish Parliament",
                "Edinburgh",
            ],
            ["Bo", "Reid", "", "bo@home.example", "", "", "", "", ""],
        ],
    )
    result = _import(db, path)
    assert result.created == 2
    person, found = _points(db, "ailsa.grant@parliament.scot")
    assert found == [
        ("email", "Work", "ailsa.grant@parliament.scot", True),
        ("email", "Personal", "ailsa@home.example", False),
        ("phone", "Home", "0131 496 0000", True),
        ("address", "Constituency office", "12 High Street, KY12 7DR", True),
        ("address", "Parliament office", "The Scottish Parliament, Edinburgh", False),
    ]
    assert (person.phone, person.address_line1, person.postcode) == (
        "0131 496 0000",
        "12 High Street",
        "KY12 7DR",
    )
    # A row whose only email is a personal one: that one is preferred.
    _, found = _points(db, "bo@home.example")
    assert found == [("email", "Personal", "bo@home.example", True)]
    # Search finds the labelled ones.
    from crm.filters import PersonFilter, person_ids

    with db.session() as session:
        assert list(person_ids(session, PersonFilter(text="ailsa@home.example"))) == [person.id]


def test_an_existing_person_matched_on_a_further_email_keeps_their_preferred_one_and_undo_takes_back_exactly(
    db: Database, tmp_path: Path
) -> None:
    with db.transaction() as session:
        pid = people.create_person(
            session, first_name="Ailsa", last_name="Grant", email="ailsa@msp.example"
        ).id
        channels.add_channel(
            session, person_id=pid, kind="email", value="ailsa@home.example", label="Personal"
        )
    with db.session() as session:
        before = [
            (c.kind, c.label, c.text, c.preferred) for c in channels.list_channels(session, person_id=pid)
        ]
    path = write_csv(
        tmp_path / "update.csv",
        [
            ["First name", "Surname", "Work email", "Personal email", "Parliament office address"],
            ["Ailsa", "Grant", "a.grant@work.example", "ailsa@home.example", "The Scottish Parliament"],
        ],
    )
    result = _import(db, path)
    # Matched on the further (personal) address: one person, not two.
    assert (result.created, result.updated) == (0, 1)
    person, found = _points(db, "ailsa@msp.example")
    assert person.id == pid
    assert ("email", "Work", "a.grant@work.example", False) in found
    assert ("email", "Personal", "ailsa@home.example", False) in found
    # The person had no address: the labelled one fills it, keeping its label.
    assert ("address", "Parliament office", "The Scottish Parliament", True) in found
    assert result.batch_id is not None
    undo_import(db, result.batch_id)
    with db.session() as session:
        after = [
            (c.kind, c.label, c.text, c.preferred) for c in channels.list_channels(session, person_id=pid)
        ]
        assert after == before
        person2 = session.get(Person, pid)
        assert person2 is not None and person2.address_line1 is None
        assert (
            session.scalar(
                select(func.count())
                .select_from(ContactPoint)
                .where(ContactPoint.import_batch_id.is_not(None))
            )
            == 0
        )


def test_a_plain_file_writes_one_preferred_point_per_value_and_undo_removes_them(
    db: Database, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "plain.csv",
        [["Name", "Email", "Phone", "Mobile", "Address", "Postcode"]]
        + [
            [f"Person {i}", f"p{i}@example.org", "0131 496 0000", "", "1 Main Street", "EH1 1AA"]
            for i in range(30)
        ],
    )
    result = _import(db, path)
    with db.session() as session:
        rows = session.execute(select(ContactPoint.kind, ContactPoint.preferred, ContactPoint.label)).all()
        assert sorted({r[0] for r in rows}) == ["address", "email", "phone"]
        assert len(rows) == 90 and all(r[1] and r[2] is None for r in rows)
    undo_import(db, result.batch_id)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ContactPoint)) == 0


def test_the_preview_shows_labelled_values_cleaned(tmp_path: Path) -> None:
    from crm.importing import preview_rows
    from crm.importing.channels import channel_value

    path = write_csv(
        tmp_path / "preview.csv",
        [
            HEADINGS,
            ["Ailsa", "Grant", "", "Ailsa@Home.Example", "01314960000", "12 High Street", "ky12 7dr", "", ""],
        ],
    )
    table = read_table(path)
    (plan,) = preview_rows(table, suggest_mapping(table.headers))
    assert channel_value(plan, "email@personal") == "ailsa@home.example"
    assert channel_value(plan, "phone@home") == "0131 496 0000"
    assert channel_value(plan, "postcode@constituency") == "KY12 7DR"
    assert channel_value(plan, "email@work") is None
    # With no plain email column, the personal one is the row's email too (and matches on it).
    assert plan.values["email"] == "ailsa@home.example"


def test_a_suppressed_labelled_email_makes_the_row_do_not_contact(db: Database, tmp_path: Path) -> None:
    from crm.privacy.suppression import suppress

    with db.transaction() as session:
        suppress(session, "bo@home.example", "Asked by phone")
    path = write_csv(
        tmp_path / "suppressed.csv",
        [["Name", "Email", "Personal email"], ["Bo Reid", "bo.reid@work.example", "bo@home.example"]],
    )
    result = _import(db, path)
    assert result.created == 1 and result.flagged == 1
    with db.session() as session:
        person = session.scalars(select(Person).where(Person.email == "bo.reid@work.example")).one()
        assert person.do_not_contact
