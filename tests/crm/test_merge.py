"""Merging people and organisations: every link moves, fields choose, undo restores exactly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, text

from crm.db import Database
from crm.errors import NotFoundError, ValidationError
from crm.filters import PersonFilter, count_people
from crm.importing import ImportOptions, apply_import, read_table, suggest_mapping
from crm.models import (
    Attendance,
    AuditEntry,
    Consent,
    ContactPoint,
    ElectedRole,
    InteractionPerson,
    Membership,
    Organisation,
    Person,
    PersonTag,
    PersonType,
    Suppression,
)
from crm.services import consent, events, interactions, networks, people, roles, tags, trash
from crm.services.merge import (
    MergeConflict,
    list_merges,
    mark_not_duplicate,
    merge_organisations,
    merge_people,
    undo_merge,
)
from crm.services.organisations import create_organisation, find_organisation

TABLES = (
    "person",
    "contact_point",
    "person_type",
    "person_tag",
    "membership",
    "elected_role",
    "interaction_person",
    "attendance",
    "consent",
    "suppression",
    "organisation",
    "interaction_organisation",
    "organisation_alias",
)
# version: the concurrency token rises with every write, an undo included (crm.versions).
IGNORED = {"updated_at", "search_text", "sort_name", "version"}


def _snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a merge touches, as plain values (what undo must restore)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.session() as session:
        for table in TABLES:
            result = session.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            keys = list(result.keys())
            out[table] = [
                tuple(str(v) for k, v in zip(keys, row, strict=True) if k not in IGNORED) for row in result
            ]
    return out


@pytest.fixture
def two(db: Database) -> dict[str, int]:
    """Jane Smith twice, each with links of every kind, some overlapping."""
    with db.transaction() as session:
        org = create_organisation(session, name="Fife Council")
        kin = networks.create_network(session, "Kindness Innovation Network")
        klc = networks.create_network(session, "Kindness Leadership Network")
        a = people.create_person(
            session, first_name="Jane", last_name="Smith", email="jane.smith@fife.gov.uk", phone="01592 583000",
            organisation_id=org.id, types=["official"],
        )  # fmt: skip
        b = people.create_person(
            session, first_name="Jane", last_name="Smyth", email="jane@example.org", mobile="07700 900123",
            town="Kirkcaldy", postcode="KY1 1XX", notes="Met at the summit", types=["official", "partner_contact"],
            do_not_contact=True,
        )  # fmt: skip
        people.set_other_emails(session, b.id, [("jsmyth@home.example", "home")])
        networks.add_members(session, kin.id, [a.id], joined_on=dt.date(2024, 5, 1))
        networks.add_members(session, kin.id, [b.id], role="champion", joined_on=dt.date(2023, 1, 10))
        networks.add_members(session, klc.id, [b.id], joined_on=dt.date(2025, 2, 1))
        ev = events.create_event(session, "Kindness summit", starts_on=dt.date(2025, 3, 3))
        events.set_attendance(session, ev.id, [a.id], "registered")
        events.set_attendance(session, ev.id, [b.id], "attended")
        ev2 = events.create_event(session, "Round table", starts_on=dt.date(2025, 6, 3))
        events.set_attendance(session, ev2.id, [b.id], "invited")
        both = interactions.log_interaction(
            session, subject="Call", date=dt.date(2025, 1, 2), person_ids=[a.id, b.id]
        )
        only_b = interactions.log_interaction(
            session, subject="Visit", date=dt.date(2025, 2, 2), person_ids=[b.id]
        )
        tags.tag_people(session, [a.id, b.id], "summit 2025")
        tags.tag_people(session, [b.id], "newsletter")
        consent.record_consent(session, b.id, "newsletter", recorded_on=dt.date(2024, 1, 1))
        roles.add_role(
            session, b.id, chamber="Local council", party="Independent", constituency="Kirkcaldy East"
        )
        ids = {"a": a.id, "b": b.id, "org": org.id, "kin": kin.id, "klc": klc.id, "event": ev.id,
               "event2": ev2.id, "both": both.id, "only_b": only_b.id}  # fmt: skip
    return ids


def test_merge_moves_every_kind_of_link_and_fills_empty_fields(db: Database, two: dict[str, int]) -> None:
    a, b = two["a"], two["b"]
    with db.transaction() as session:
        result = merge_people(session, a, [b])
    assert result.kept == a and result.merged == [b]
    assert result.moved["memberships"] == 2  # one moved, one folded into the same network
    assert result.moved["interactions"] == 2
    assert result.moved["attendance"] == 2
    assert result.moved["tags"] == 2 and result.moved["types"] == 2
    assert result.moved["consents"] == 1 and result.moved["roles"] == 1
    with db.session() as session:
        kept = session.get(Person, a)
        assert kept is not None and kept.deleted_at is None
        # The kept record's values win; empty ones are filled from the other.
        assert (kept.last_name, kept.email, kept.phone) == ("Smith", "jane.smith@fife.gov.uk", "01592 583000")
        assert (kept.mobile, kept.town, kept.postcode, kept.notes) == (
            "07700 900123",
            "Kirkcaldy",
            "KY1 1XX",
            "Met at the summit",
        )
        # Do-not-contact from either side carries over: the stricter wins.
        assert kept.do_not_contact is True
        assert set(session.scalars(select(Suppression.email))) >= {"jane.smith@fife.gov.uk"}
        # The other's addresses become further emails.
        assert sorted(
            session.scalars(
                select(ContactPoint.value).where(
                    ContactPoint.person_id == a,
                    ContactPoint.kind == "email",
                    ContactPoint.preferred.is_(False),
                )
            )
        ) == [
            "jane@example.org",
            "jsmyth@home.example",
        ]
        ms = {m.network_id: m for m in session.scalars(select(Membership).where(Membership.person_id == a))}
        assert set(ms) == {two["kin"], two["klc"]}
        # The same network twice keeps the earlier joining date and the richer role.
        assert ms[two["kin"]].joined_on == dt.date(2023, 1, 10) and ms[two["kin"]].role == "champion"
        att = {
            x.event_id: x.status for x in session.scalars(select(Attendance).where(Attendance.person_id == a))
        }
        assert att == {two["event"]: "attended", two["event2"]: "invited"}  # the stronger status stays
        assert sorted(
            session.scalars(select(InteractionPerson.interaction_id).where(InteractionPerson.person_id == a))
        ) == sorted([two["both"], two["only_b"]])
        assert sorted(tags.tags_of(session, a)) == ["newsletter", "summit 2025"]
        assert sorted(session.scalars(select(PersonType.type).where(PersonType.person_id == a))) == [
            "official",
            "partner_contact",
        ]
        assert session.scalar(select(Consent.person_id).where(Consent.purpose == "newsletter")) == a
        assert session.scalar(select(ElectedRole.person_id)) == a
        # Nothing still points at the merged person, who is kept (never deleted) but hidden.
        for model in (
            Membership,
            Attendance,
            InteractionPerson,
            PersonTag,
            PersonType,
            Consent,
            ElectedRole,
            ContactPoint,
        ):
            assert session.scalar(select(model.id).where(model.person_id == b)) is None
        other = session.get(Person, b)
        assert other is not None and other.deleted_at is not None
        assert [i.id for i in trash.list_trash(session) if i.kind == "person"] == []
        assert count_people(session, PersonFilter(in_trash=True)) == 0
        assert trash.restore(session, "person", [b]) == 0  # only undoing the merge brings it back
        # The audit log records the merge, each changed field and each moved link.
        entries = list(
            session.scalars(select(AuditEntry).where(AuditEntry.action.in_(["merge", "link", "unlink"])))
        )
        assert {e.field for e in entries if e.action == "merge" and e.entity_id == a} >= {
            "mobile",
            "town",
            "do_not_contact",
        }
        assert sum(e.action == "link" for e in entries) >= 8
        assert any(e.entity_id == b and "merged into Jane Smith" in (e.details or "") for e in entries)


def test_field_choices_pick_the_other_value_and_the_kept_email_becomes_a_further_one(
    db: Database, two: dict[str, int]
) -> None:
    a, b = two["a"], two["b"]
    with db.transaction() as session:
        merge_people(session, a, [b], choices={"last_name": b, "email": b, "notes": a})
    with db.session() as session:
        kept = session.get(Person, a)
        assert kept is not None
        assert (kept.last_name, kept.email, kept.notes) == ("Smyth", "jane@example.org", None)
        assert "smyth" in kept.search_text
        assert sorted(
            session.scalars(
                select(ContactPoint.value).where(
                    ContactPoint.person_id == a,
                    ContactPoint.kind == "email",
                    ContactPoint.preferred.is_(False),
                )
            )
        ) == [
            "jane.smith@fife.gov.uk",
            "jsmyth@home.example",
        ]


def test_undo_restores_both_people_and_every_link_exactly(db: Database, two: dict[str, int]) -> None:
    before = _snapshot(db)
    with db.transaction() as session:
        result = merge_people(session, two["a"], [two["b"]], choices={"email": two["b"]})
    assert _snapshot(db) != before
    with db.transaction() as session:
        info = undo_merge(session, result.merge_id)
    assert info.undone_at is not None
    assert _snapshot(db) == before
    with db.session() as session:
        assert session.scalar(
            select(AuditEntry.id).where(AuditEntry.action == "undo", AuditEntry.entity_id == two["b"])
        )
        assert [m.undone_at is not None for m in list_merges(session)] == [True]
        with pytest.raises(ValidationError, match="already been undone"):
            undo_merge(session, result.merge_id)


def test_undo_refuses_and_names_later_edits_that_conflict(db: Database, two: dict[str, int]) -> None:
    a, b = two["a"], two["b"]
    with db.transaction() as session:
        result = merge_people(session, a, [b])
    with db.transaction() as session:
        people.update_person(session, a, {"mobile": "07700 900999"})  # a field the merge filled
        tags.untag_people(session, [a], "newsletter")  # a tag the merge moved
    before = _snapshot(db)
    with db.transaction() as session, pytest.raises(MergeConflict) as caught:
        undo_merge(session, result.merge_id)
    assert any("mobile was changed after the merge" in c for c in caught.value.conflicts)
    assert any("a tag moved by the merge" in c for c in caught.value.conflicts)
    assert _snapshot(db) == before  # nothing changed


def test_three_records_of_one_person_merge_in_one_step_and_undo_together(db: Database) -> None:
    with db.transaction() as session:
        ids = [
            people.create_person(
                session, first_name="Bob", last_name="MacLeod", email=f"bob{i}@example.org"
            ).id
            for i in range(3)
        ]
        tags.tag_people(session, ids, "kin")
    before = _snapshot(db)
    with db.transaction() as session:
        result = merge_people(session, ids[0], ids[1:])
    with db.session() as session:
        assert sorted(
            session.scalars(
                select(ContactPoint.value).where(
                    ContactPoint.person_id == ids[0],
                    ContactPoint.kind == "email",
                    ContactPoint.preferred.is_(False),
                )
            )
        ) == [
            "bob1@example.org",
            "bob2@example.org",
        ]
        assert (
            session.scalar(select(Person.id).where(Person.deleted_at.is_(None), Person.id.in_(ids[1:])))
            is None
        )
    with db.transaction() as session:
        undo_merge(session, result.merge_id)
    assert _snapshot(db) == before


@pytest.mark.parametrize(
    ("keep", "others", "error", "message"),
    [
        (1, [1], ValidationError, "cannot be merged with itself"),
        (1, [999], NotFoundError, "no person with id 999"),
        (1, [2], ValidationError, "in the Trash"),
    ],
)
def test_bad_merges_change_nothing(
    db: Database, keep: int, others: list[int], error: type[Exception], message: str
) -> None:
    with db.transaction() as session:
        first = people.create_person(session, first_name="Ann", last_name="Lee")
        second = people.create_person(session, first_name="Ann", last_name="Lee")
        people.trash_people(session, [second.id])
    ids = {1: first.id, 2: second.id, 999: 999_999}
    before = _snapshot(db)
    with db.transaction() as session, pytest.raises(error, match=message.replace("999", "999999")):
        merge_people(session, ids[keep], [ids[o] for o in others])
    assert _snapshot(db) == before


def test_a_merged_person_cannot_be_merged_again_or_marked(db: Database, two: dict[str, int]) -> None:
    with db.transaction() as session:
        merge_people(session, two["a"], [two["b"]])
    with db.transaction() as session, pytest.raises(ValidationError, match="already been merged"):
        merge_people(session, two["a"], [two["b"]])
    with db.transaction() as session, pytest.raises(ValidationError, match="already been merged"):
        mark_not_duplicate(session, "person", two["a"], two["b"])


def test_organisations_merge_moves_people_and_interactions_and_keeps_the_name_as_an_alias(
    db: Database, tmp_path: Any
) -> None:
    with db.transaction() as session:
        nhs = create_organisation(session, name="NHS Fife", town="Kirkcaldy")
        dotted = create_organisation(session, name="N.H.S. Fife", website="https://nhsfife.org")
        p = people.create_person(session, first_name="Ravi", last_name="Patel", organisation_id=dotted.id)
        interactions.log_interaction(
            session, subject="Board", date=dt.date(2025, 1, 1), organisation_ids=[nhs.id, dotted.id]
        )
        interactions.log_interaction(
            session, subject="Visit", date=dt.date(2025, 2, 1), organisation_ids=[dotted.id]
        )
        ids = (nhs.id, dotted.id, p.id)
    before = _snapshot(db)
    with db.transaction() as session:
        result = merge_organisations(session, ids[0], [ids[1]])
    assert result.moved == {"people": 1, "interactions": 2, "aliases": 1}
    with db.session() as session:
        person = session.get(Person, ids[2])
        assert person is not None and person.organisation_id == ids[0]
        assert "nhs fife" in person.search_text
        kept = session.get(Organisation, ids[0])
        assert kept is not None and kept.website == "https://nhsfife.org"
        found = find_organisation(session, "N.H.S. Fife")
        assert found is not None and found.id == ids[0]
    # A later import naming the old name matches the kept organisation, not a new one.
    sheet = tmp_path / "list.csv"
    sheet.write_text("First name,Last name,Organisation\nMoira,Brown,N.H.S. Fife\n", encoding="utf-8")
    table = read_table(sheet)
    imported = apply_import(db, table, suggest_mapping(table.headers), ImportOptions())
    assert imported.created == 1 and imported.plan.new_organisations == []
    with db.session() as session:
        moira = session.scalar(select(Person).where(Person.first_name == "Moira"))
        assert moira is not None and moira.organisation_id == ids[0]
        assert (
            session.scalar(
                select(Organisation.id).where(Organisation.deleted_at.is_(None), Organisation.id != ids[0])
            )
            is None
        )
    with db.transaction() as session:
        people.trash_people(session, [moira.id])
    with db.transaction() as session:
        undo_merge(session, result.merge_id)
    after = _snapshot(db)
    assert after["organisation"] == before["organisation"]
    assert after["interaction_organisation"] == before["interaction_organisation"]
    assert after["organisation_alias"] == []


def test_not_the_same_marks_are_kept_once(db: Database) -> None:
    with db.transaction() as session:
        a = people.create_person(session, first_name="Sam", last_name="Reid").id
        b = people.create_person(session, first_name="Sam", last_name="Reid").id
    with db.transaction() as session:
        assert mark_not_duplicate(session, "person", b, a) is True
        assert mark_not_duplicate(session, "person", a, b) is False
        with pytest.raises(ValidationError):
            mark_not_duplicate(session, "person", a, a)
