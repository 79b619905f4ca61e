"""Every channel: labelled emails, phones, mobiles and addresses, one preferred of each kind."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.db import Database
from crm.errors import StaleEdit, ValidationError
from crm.filters import PersonFilter, count_people, person_ids
from crm.models import AuditEntry, ContactPoint, Organisation, Person, Suppression
from crm.privacy.suppression import suppress
from crm.services import channels, people
from crm.services.merge import merge_people, undo_merge
from crm.services.organisations import create_organisation, update_organisation


def _points(session: object, pid: int) -> list[tuple[str, str | None, str, bool]]:
    return [(c.kind, c.label, c.text, c.preferred) for c in channels.list_channels(session, person_id=pid)]  # type: ignore[arg-type]


def _found(db: Database, text: str) -> list[int]:
    with db.session() as session:
        return list(person_ids(session, PersonFilter(text=text)))


@pytest.fixture
def msp(db: Database) -> int:
    with db.transaction() as session:
        pid = people.create_person(
            session,
            first_name="Ailsa",
            last_name="Grant",
            email="ailsa.grant@parliament.scot",
            phone="0131 348 5000",
            address_line1="The Scottish Parliament",
            town="Edinburgh",
            postcode="EH99 1SP",
        ).id
    return pid


def test_a_new_person_has_their_details_as_preferred_contact_points(db: Database, msp: int) -> None:
    with db.session() as session:
        assert _points(session, msp) == [
            ("email", None, "ailsa.grant@parliament.scot", True),
            ("phone", None, "0131 348 5000", True),
            ("address", None, "The Scottish Parliament, Edinburgh, EH99 1SP", True),
        ]


def test_labelled_channels_are_added_found_and_one_is_preferred_per_kind(db: Database, msp: int) -> None:
    with db.transaction() as session:
        channels.add_channel(
            session, person_id=msp, kind="email", value="ailsa@home.example", label="Personal"
        )
        office = channels.add_channel(
            session,
            person_id=msp,
            kind="address",
            label="Constituency office",
            address={"address_line1": "12 High Street", "town": "Dunfermline", "postcode": "ky12 7dr"},
        )
        channels.add_channel(session, person_id=msp, kind="mobile", value="07700 900456", label="Work")
    with db.session() as session:
        points = _points(session, msp)
        assert ("email", "Personal", "ailsa@home.example", False) in points
        assert ("address", "Constituency office", "12 High Street, Dunfermline, KY12 7DR", False) in points
        # The first mobile is the preferred one, and the person's column mirrors it.
        assert ("mobile", "Work", "07700 900456", True) in points
        person = session.get(Person, msp)
        assert person is not None and person.mobile == "07700 900456"
        assert person.email == "ailsa.grant@parliament.scot"
    # Search finds every channel: a further email, a second address's town, a number without spaces.
    assert _found(db, "ailsa@home.example") == [msp]
    assert _found(db, "Dunfermline") == [msp]
    assert _found(db, "07700900456") == [msp]
    assert _found(db, "01313485000") == [msp]
    # Making the office address preferred: the person's address (what lists and letters use) follows.
    with db.transaction() as session:
        channels.make_preferred(session, office)
    with db.session() as session:
        person = session.get(Person, msp)
        assert person is not None
        assert (person.address_line1, person.town, person.postcode) == (
            "12 High Street",
            "Dunfermline",
            "KY12 7DR",
        )
        assert [p[3] for p in _points(session, msp) if p[0] == "address"] == [True, False]
        assert session.scalar(
            select(AuditEntry.id).where(
                AuditEntry.entity == "person", AuditEntry.field == "preferred address"
            )
        )
    # The Scottish Parliament address is still found, though no longer preferred.
    assert _found(db, "EH99 1SP") == [msp]


def test_removing_the_preferred_one_promotes_the_next(db: Database, msp: int) -> None:
    with db.transaction() as session:
        channels.add_channel(
            session, person_id=msp, kind="email", value="ailsa@home.example", label="Personal"
        )
        first = next(
            c.id for c in channels.list_channels(session, person_id=msp) if c.preferred and c.kind == "email"
        )
        channels.remove_channel(session, first)
    with db.session() as session:
        person = session.get(Person, msp)
        assert person is not None and person.email == "ailsa@home.example"
        assert [(p[2], p[3]) for p in _points(session, msp) if p[0] == "email"] == [
            ("ailsa@home.example", True)
        ]
    assert _found(db, "ailsa.grant@parliament.scot") == []


def test_the_person_form_and_the_channels_stay_in_step(db: Database, msp: int) -> None:
    with db.transaction() as session:
        channels.add_channel(
            session, person_id=msp, kind="email", value="ailsa@home.example", label="Personal"
        )
        # Typing the personal address into the form's email makes that one preferred, not a copy.
        people.update_person(session, msp, {"email": "ailsa@home.example"})
    with db.session() as session:
        emails = [(p[2], p[3]) for p in _points(session, msp) if p[0] == "email"]
        assert emails == [("ailsa@home.example", True), ("ailsa.grant@parliament.scot", False)]
    with db.transaction() as session:
        people.update_person(session, msp, {"phone": "0131 348 6000", "postcode": "EH99 1SQ"})
        people.update_person(session, msp, {"email": None})
    with db.session() as session:
        points = _points(session, msp)
        assert ("phone", None, "0131 348 6000", True) in points
        assert ("address", None, "The Scottish Parliament, Edinburgh, EH99 1SQ", True) in points
        # Emptying the form's email removes that address; the other one takes its place.
        assert [(p[2], p[3]) for p in points if p[0] == "email"] == [("ailsa.grant@parliament.scot", True)]
        person = session.get(Person, msp)
        assert person is not None and person.email == "ailsa.grant@parliament.scot"


def test_bad_values_and_repeats_are_refused_in_plain_words(db: Database, msp: int) -> None:
    with db.transaction() as session:
        with pytest.raises(ValidationError, match="already has this email"):
            channels.add_channel(session, person_id=msp, kind="email", value="Ailsa.Grant@Parliament.Scot")
        with pytest.raises(ValidationError, match="at least one line"):
            channels.add_channel(session, person_id=msp, kind="address", address={})
        with pytest.raises(ValidationError):
            channels.add_channel(session, person_id=msp, kind="email", value="not an address")
        with pytest.raises(ValidationError, match="no mobile"):
            org = create_organisation(session, name="Fife Council")
            channels.add_channel(session, organisation_id=org.id, kind="mobile", value="07700 900111")


def test_a_stale_form_cannot_change_channels(db: Database, msp: int) -> None:
    with db.session() as session:
        person = session.get(Person, msp)
        assert person is not None
        seen = person.version
    with db.transaction() as session:
        people.update_person(session, msp, {"job_title": "MSP"})
    with db.transaction() as session, pytest.raises(StaleEdit):
        channels.add_channel(
            session, person_id=msp, kind="phone", value="01592 583000", expected_version=seen
        )


def test_suppression_and_do_not_contact_cover_every_email(db: Database, msp: int) -> None:
    with db.transaction() as session:
        channels.add_channel(
            session, person_id=msp, kind="email", value="ailsa@home.example", label="Personal"
        )
        other = people.create_person(session, first_name="Bea", email="bea@example.org").id
        channels.add_channel(session, person_id=other, kind="email", value="bea@home.example")
    # The suppression list names someone's further address: they become do not contact.
    with db.transaction() as session:
        _, marked = suppress(session, "bea@home.example", "Asked by letter")
        assert marked == 1
        # Do not contact puts every address of the person on the list.
        people.update_person(session, msp, {"do_not_contact": True})
    with db.session() as session:
        held = set(session.scalars(select(Suppression.email)))
        assert {"ailsa@home.example", "ailsa.grant@parliament.scot", "bea@home.example"} <= held
        bea = session.get(Person, other)
        assert bea is not None and bea.do_not_contact


def test_merge_moves_every_channel_and_undo_puts_them_back(db: Database, msp: int) -> None:
    with db.transaction() as session:
        dup = people.create_person(
            session, first_name="Ailsa", last_name="Grant", email="ailsa@home.example", mobile="07700 900456"
        ).id
        channels.add_channel(
            session,
            person_id=dup,
            kind="address",
            label="Constituency office",
            address={"address_line1": "12 High Street", "town": "Dunfermline"},
        )
        channels.add_channel(session, person_id=dup, kind="phone", value="0131 348 5000", label="Office")
    with db.session() as session:
        before = {pid: _points(session, pid) for pid in (msp, dup)}
    with db.transaction() as session:
        result = merge_people(session, msp, [dup], choices={"email": dup})
    with db.session() as session:
        points = _points(session, msp)
        assert ("email", None, "ailsa@home.example", True) in points
        assert ("email", None, "ailsa.grant@parliament.scot", False) in points
        assert ("mobile", None, "07700 900456", True) in points
        assert ("address", "Constituency office", "12 High Street, Dunfermline", False) in points
        # The same number twice is kept once.
        assert sum(p[0] == "phone" for p in points) == 1
        assert sum(p[3] for p in points) == 4  # one preferred of each kind
        assert session.scalars(select(ContactPoint.id).where(ContactPoint.person_id == dup)).all() == []
    with db.transaction() as session:
        undo_merge(session, result.merge_id)
    with db.session() as session:
        assert {pid: _points(session, pid) for pid in (msp, dup)} == before


def test_organisations_have_channels_mirrored_in_their_columns(db: Database) -> None:
    with db.transaction() as session:
        org = create_organisation(
            session, name="Carnegie UK", email="info@carnegie.example", town="Dunfermline"
        )
        oid = org.id
        channels.add_channel(
            session, organisation_id=oid, kind="phone", value="01383 721445", label="Reception"
        )
        channels.add_channel(
            session,
            organisation_id=oid,
            kind="address",
            label="Edinburgh office",
            address={"address_line1": "1 Rose Street", "town": "Edinburgh"},
            preferred=True,
        )
        update_organisation(session, oid, {"email": "hello@carnegie.example"})
    with db.session() as session:
        found = [
            (c.kind, c.label, c.text, c.preferred)
            for c in channels.list_channels(session, organisation_id=oid)
        ]
        assert found == [
            ("email", None, "hello@carnegie.example", True),
            ("phone", "Reception", "01383 721445", True),
            ("address", "Edinburgh office", "1 Rose Street, Edinburgh", True),
            ("address", None, "Dunfermline", False),
        ]
        org = session.get(Organisation, oid)
        assert org is not None and (org.phone, org.address_line1, org.town) == (
            "01383 721445",
            "1 Rose Street",
            "Edinburgh",
        )


def test_bulk_inserted_people_get_their_contact_points(db: Database) -> None:
    with db.transaction() as session:
        ids = people.bulk_insert_people(
            session,
            [
                {
                    "first_name": f"P{i}",
                    "email": f"p{i}@example.org",
                    "mobile": "07700 900123" if i % 2 else None,
                }
                for i in range(600)
            ],
        )
    with db.session() as session:
        kinds = session.execute(
            select(ContactPoint.kind, ContactPoint.preferred).where(ContactPoint.person_id.in_(ids))
        ).all()
        assert sum(k == "email" for k, _ in kinds) == 600
        assert sum(k == "mobile" for k, _ in kinds) == 300
        assert all(p for _, p in kinds)
        assert count_people(session, PersonFilter(text="p599@example.org")) == 1
