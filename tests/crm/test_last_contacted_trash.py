""" "Last contacted" follows interactions and events into the Trash and back, and merges undone."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from crm.db import Database
from crm.filters import PersonFilter, count_people
from crm.models import Person
from crm.services import events, interactions, people, trash
from crm.services.merge import merge_people, undo_merge

D = dt.date


def _last(db: Database, *ids: int) -> list[dt.date | None]:
    with db.session() as session:
        return [session.get(Person, i).last_contacted for i in ids]  # type: ignore[union-attr]


def test_trashing_an_interaction_takes_its_date_away_and_restoring_gives_it_back(db: Database) -> None:
    with db.transaction() as session:
        ada = people.create_person(session, first_name="Ada", last_name="Contact").id
        bea = people.create_person(session, first_name="Bea", last_name="Contact").id
        interactions.log_interaction(session, subject="Coffee", date=D(2026, 3, 2), person_ids=[ada])
        latest = interactions.log_interaction(
            session, subject="Round table", date=D(2026, 6, 9), person_ids=[ada, bea]
        ).id
    assert _last(db, ada, bea) == [D(2026, 6, 9), D(2026, 6, 9)]
    with db.transaction() as session:
        assert interactions.trash_interactions(session, [latest]) == 1
    assert _last(db, ada, bea) == [D(2026, 3, 2), None]
    with db.session() as session:
        # Lists filtered by "not contacted since" see it at once.
        assert count_people(session, PersonFilter(last_contacted_before=D(2026, 4, 1))) == 2
    with db.transaction() as session:  # Edit ▸ Undo, or Restore in the Trash
        assert trash.restore(session, "interaction", [latest]) == 1
    assert _last(db, ada, bea) == [D(2026, 6, 9), D(2026, 6, 9)]
    with db.transaction() as session:  # Delete from the Trash page
        assert trash.trash(session, "interaction", [latest]) == 1
    assert _last(db, ada, bea) == [D(2026, 3, 2), None]
    with db.transaction() as session:
        assert interactions.restore_interactions(session, [latest]) == 1
    assert _last(db, ada, bea) == [D(2026, 6, 9), D(2026, 6, 9)]


def test_an_imported_last_contacted_stays_as_the_floor(db: Database) -> None:
    # A spreadsheet said they were contacted on 1 February, after the call that goes to the Trash.
    with db.transaction() as session:
        ada = people.create_person(session, first_name="Ada", last_name="Imported").id
        session.execute(update(Person).where(Person.id == ada).values(last_contacted=D(2026, 2, 1)))
        call = interactions.log_interaction(session, subject="Call", date=D(2026, 1, 5), person_ids=[ada]).id
        interactions.trash_interactions(session, [call])
    assert _last(db, ada) == [D(2026, 2, 1)]


def test_trashing_an_event_takes_its_attendees_date_away(db: Database) -> None:
    with db.transaction() as session:
        ada = people.create_person(session, first_name="Ada", last_name="Guest").id
        bea = people.create_person(session, first_name="Bea", last_name="Guest").id
        reception = events.create_event(session, "Parliament reception", starts_on=D(2026, 9, 1)).id
        events.set_attendance(session, reception, [ada], "attended")
        events.set_attendance(session, reception, [bea], "apologies")
    assert _last(db, ada, bea) == [D(2026, 9, 1), None]
    with db.transaction() as session:
        assert trash.trash(session, "event", [reception]) == 1
    assert _last(db, ada, bea) == [None, None]
    with db.transaction() as session:
        assert events.restore_events(session, [reception]) == 1
    assert _last(db, ada, bea) == [D(2026, 9, 1), None]


def test_undoing_a_merge_counts_what_was_logged_since(db: Database) -> None:
    with db.transaction() as session:
        ada = people.create_person(session, first_name="Ada", last_name="Twice", email="ada@example.org").id
        ada2 = people.create_person(session, first_name="Ada", last_name="Twice").id
        interactions.log_interaction(session, subject="Call", date=D(2026, 1, 5), person_ids=[ada])
        interactions.log_interaction(session, subject="Visit", date=D(2026, 5, 5), person_ids=[ada2])
        merge_id = merge_people(session, ada, [ada2]).merge_id
    assert _last(db, ada) == [D(2026, 5, 5)]
    with db.transaction() as session:
        interactions.log_interaction(session, subject="Lunch", date=D(2026, 3, 3), person_ids=[ada])
        undo_merge(session, merge_id)
    assert _last(db, ada, ada2) == [D(2026, 3, 3), D(2026, 5, 5)]
