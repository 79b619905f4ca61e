"""The first screen of a search comes straight from the search index: a subset of the matches, in
name order, never a trashed person; the whole list follows in its own order."""

from __future__ import annotations

import pytest

from crm import filters
from crm.db import Database
from crm.filters import PersonFilter, first_screen_ids, person_ids
from crm.services import people


def _names(db: Database, n: int) -> list[int]:
    with db.transaction() as session:
        return [
            people.create_person(session, first_name=f"Morag{i:02d}", last_name=f"M{99 - i:02d}").id
            for i in range(n)
        ] + [people.create_person(session, first_name="Zoe", last_name="Other").id]


def test_first_screen_of_a_one_letter_search(db: Database) -> None:
    _names(db, 30)
    with db.session() as session:
        every = person_ids(session, PersonFilter(text="m"), sort="rank")
        first = first_screen_ids(session, PersonFilter(text="m"), sort="rank", limit=10)
        assert len(first) == 10 and set(first) <= set(every)
        names = [people.get_person(session, i).sort_name for i in first]
        assert names == sorted(names)
        # All of them when they fit; a user-chosen sort or another filter uses the full query.
        assert len(first_screen_ids(session, PersonFilter(text="m"), sort="rank", limit=500)) == 30
        by_town = first_screen_ids(session, PersonFilter(text="m"), sort="town", limit=5)
        assert by_town == person_ids(session, PersonFilter(text="m"), sort="town", limit=5)


def test_trashed_matches_never_reach_the_first_screen(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _names(db, 30)
    with db.transaction() as session:
        people.trash_people(session, ids[:25])
    monkeypatch.setattr(filters, "FIRST_SCREEN_SCAN", 10)  # most of what the index gives is trashed
    with db.session() as session:
        first = first_screen_ids(session, PersonFilter(text="m"), sort="rank", limit=8)
        assert sorted(first) == sorted(ids[25:30])  # fewer than 8: that is all of them
