"""Editing an interaction: every field and the participants, validated, audited, version-checked,
and people's "last contacted" worked out again."""

from __future__ import annotations

import datetime as dt

import pytest

from crm import audit
from crm.db import Database
from crm.errors import NotFoundError, StaleEdit, ValidationError
from crm.models import Person
from crm.privacy import erasure
from crm.services import interactions, organisations, people, topics

D = dt.date


def _person(session, first: str, last: str = "Test") -> int:
    return people.create_person(session, first_name=first, last_name=last).id


def _contacted(db: Database, pid: int) -> dt.date | None:
    with db.session() as session:
        return session.get(Person, pid).last_contacted


def test_every_field_can_be_corrected_and_each_change_is_audited(db: Database) -> None:
    with db.transaction() as session:
        ann = _person(session, "Ann")
        org = organisations.get_or_create_organisation(session, "Food Aid Fife")[0].id
        iid = interactions.log_interaction(
            session, subject="Meting", date=D(2026, 3, 1), person_ids=[ann], topics="housing"
        ).id
    with db.transaction() as session:
        interactions.update_interaction(
            session,
            iid,
            {
                "subject": "  Meeting  about food  ",
                "kind": "Call",
                "date": D(2026, 3, 2),
                "notes": "Agreed to visit.",
                "owner": "Morag",
                "topics": "Food Poverty, housing",
                "follow_up_on": D(2026, 3, 20),
                "organisation_ids": [org],
            },
        )
    with db.session() as session:
        snap = interactions.interaction_snapshot(session, iid)
        assert snap["subject"] == "Meeting about food"
        assert snap["kind"] == "call" and snap["date"] == D(2026, 3, 2) and snap["owner"] == "Morag"
        assert snap["topics"] == "Food Poverty, housing"
        assert snap["organisation_ids"] == [org]
        assert interactions.get_interaction(session, iid).topics == "Food Poverty, housing"
        changes = {(e.field, e.old_value, e.new_value) for e in audit.history(session, "interaction", iid)}
        assert ("subject", "Meting", "Meeting about food") in changes
        assert ("date", "2026-03-01", "2026-03-02") in changes
        assert ("kind", "meeting", "call") in changes
        assert ("topics", "housing", "Food Poverty, housing") in changes
        assert ("organisations", None, "Food Aid Fife") in changes
        assert ("follow_up_on", None, "2026-03-20") in changes


def test_an_edit_that_changes_nothing_writes_nothing(db: Database) -> None:
    with db.transaction() as session:
        iid = interactions.log_interaction(session, subject="Call", topics="Housing").id
    with db.transaction() as session:
        version = interactions.get_interaction(session, iid).version
        interactions.update_interaction(session, iid, {"subject": "Call ", "topics": "housing"})
    with db.session() as session:
        assert interactions.get_interaction(session, iid).version == version
        assert [e.action for e in audit.history(session, "interaction", iid)] == ["create"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": "   "}, "subject"),
        ({"kind": "telepathy"}, "kind"),
        ({"date": None}, "date"),
        ({"date": "yesterday"}, "date"),
        ({"follow_up_on": D(2025, 1, 1)}, "follow_up_on"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_with_a_plain_sentence(db: Database, changes: dict, field: str) -> None:
    with db.transaction() as session:
        iid = interactions.log_interaction(session, subject="Visit", date=D(2026, 1, 1)).id
    with db.transaction() as session, pytest.raises(ValidationError) as caught:
        interactions.update_interaction(session, iid, changes)
    assert caught.value.field == field
    message = str(caught.value)
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message


def test_unknown_people_and_interactions_are_not_found(db: Database) -> None:
    with db.transaction() as session:
        iid = interactions.log_interaction(session, subject="Visit").id
    with db.transaction() as session, pytest.raises(NotFoundError):
        interactions.update_interaction(session, iid, {"add_person_ids": [999_999]})
    with db.transaction() as session, pytest.raises(NotFoundError):
        interactions.update_interaction(session, 999_999, {"subject": "x"})


def test_participants_added_and_removed_recompute_last_contacted(db: Database) -> None:
    with db.transaction() as session:
        ann, bob, cat = _person(session, "Ann"), _person(session, "Bob"), _person(session, "Cat")
        interactions.log_interaction(session, subject="Older", date=D(2026, 1, 5), person_ids=[bob])
        iid = interactions.log_interaction(
            session, subject="Visit", date=D(2026, 2, 1), person_ids=[ann, bob]
        ).id
    assert _contacted(db, bob) == D(2026, 2, 1)
    with db.transaction() as session:
        interactions.update_interaction(session, iid, {"remove_person_ids": [bob], "add_person_ids": [cat]})
    # Bob's last contact goes back to his other interaction; Cat gains this one.
    assert _contacted(db, bob) == D(2026, 1, 5)
    assert _contacted(db, cat) == D(2026, 2, 1)
    with db.transaction() as session:
        interactions.update_interaction(session, iid, {"date": D(2026, 1, 20)})
    # A date corrected backwards moves everyone in it back too.
    assert _contacted(db, ann) == D(2026, 1, 20)
    assert _contacted(db, cat) == D(2026, 1, 20)
    with db.session() as session:
        entries = [
            (e.field, e.old_value, e.new_value)
            for e in audit.history(session, "interaction", iid)
            if e.field == "participants"
        ]
        assert ("participants", "Bob Test", None) in entries and ("participants", None, "Cat Test") in entries
        assert interactions.participants(session, iid) == [(ann, "Ann Test"), (cat, "Cat Test")]


def test_a_date_from_an_import_is_kept_unless_this_interaction_set_it(db: Database) -> None:
    with db.transaction() as session:
        ann = _person(session, "Ann")
        session.get(Person, ann).last_contacted = D(2026, 6, 1)  # as an imported spreadsheet says
        iid = interactions.log_interaction(session, subject="Visit", date=D(2026, 2, 1), person_ids=[ann]).id
    with db.transaction() as session:
        interactions.update_interaction(session, iid, {"remove_person_ids": [ann]})
    assert _contacted(db, ann) == D(2026, 6, 1)


def test_a_stale_form_cannot_overwrite_a_later_edit(db: Database) -> None:
    with db.transaction() as session:
        iid = interactions.log_interaction(session, subject="Visit").id
        shown = interactions.get_interaction(session, iid).version
    with db.transaction() as session:
        interactions.update_interaction(session, iid, {"notes": "First"}, expected_version=shown)
    with db.transaction() as session, pytest.raises(StaleEdit) as caught:
        interactions.update_interaction(session, iid, {"notes": "Second"}, expected_version=shown)
    assert "notes" in str(caught.value)
    with db.session() as session:
        assert interactions.get_interaction(session, iid).notes == "First"


def test_an_interaction_in_the_trash_cannot_be_edited(db: Database) -> None:
    with db.transaction() as session:
        iid = interactions.log_interaction(session, subject="Visit").id
        interactions.trash_interactions(session, [iid])
    with db.transaction() as session, pytest.raises(ValidationError, match="restore it"):
        interactions.update_interaction(session, iid, {"notes": "x"})


def test_undo_is_an_edit_back_to_the_snapshot(db: Database) -> None:
    with db.transaction() as session:
        ann, bob = _person(session, "Ann"), _person(session, "Bob")
        iid = interactions.log_interaction(
            session, subject="Visit", date=D(2026, 2, 1), person_ids=[ann], topics="housing"
        ).id
        before = interactions.interaction_snapshot(session, iid)
    with db.transaction() as session:
        interactions.update_interaction(
            session, iid, {"person_ids": [bob], "topics": "loneliness", "date": D(2026, 2, 3)}
        )
    with db.transaction() as session:
        interactions.update_interaction(session, iid, before)
    with db.session() as session:
        assert interactions.interaction_snapshot(session, iid) == before
    assert _contacted(db, ann) == D(2026, 2, 1)
    assert _contacted(db, bob) is None


def test_erasure_blanks_the_erased_persons_name_in_participant_changes(db: Database) -> None:
    with db.transaction() as session:
        ann, bob = _person(session, "Ann", "Erased"), _person(session, "Bob")
        iid = interactions.log_interaction(session, subject="Visit", person_ids=[bob]).id
        interactions.update_interaction(session, iid, {"add_person_ids": [ann]})
        topics.find_or_create(session, "housing")
    with db.transaction() as session:
        erasure.erase_person(session, ann, "Asked to be forgotten")
    with db.session() as session:
        values = [(e.old_value, e.new_value) for e in audit.history(session, "interaction", iid)]
        assert all("Erased" not in str(v) for v in values)
        assert interactions.participants(session, iid) == [(bob, "Bob Test")]
