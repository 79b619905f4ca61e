"""Elected roles: added, ended (kept as history), validated, and audited."""

from __future__ import annotations

import datetime as dt

import pytest

from crm import audit
from crm.db import Database
from crm.errors import ValidationError
from crm.filters import PersonFilter, count_people
from crm.services import people, roles


def test_add_and_end_a_role_keeps_history(db: Database) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Ailsa", last_name="Munro").id
        role = roles.add_role(
            session,
            pid,
            chamber="Scottish Parliament",
            party="Scottish Green Party",
            constituency="Edinburgh Central",
            start_date=dt.date(2021, 5, 6),
        )
        role_id = role.id
    with db.session() as session:
        assert count_people(session, PersonFilter(chamber="scottish parliament")) == 1
    with db.transaction() as session:
        roles.end_role(session, role_id, dt.date(2026, 5, 7))
    with db.session() as session:
        (kept,) = roles.roles_of(session, pid)
        assert kept.end_date == dt.date(2026, 5, 7) and not kept.is_current
        assert count_people(session, PersonFilter(chamber="Scottish Parliament")) == 0
        assert (
            count_people(session, PersonFilter(chamber="Scottish Parliament", current_roles_only=False)) == 1
        )
        actions = [(e.action, e.field) for e in audit.history(session, "elected_role", role_id)]
        assert actions == [("update", "end_date"), ("create", None)]


def test_a_role_needs_a_chamber_and_sensible_dates(db: Database) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Rhys").id
    with db.transaction() as session, pytest.raises(ValidationError, match="chamber"):
        roles.add_role(session, pid, chamber="  ")
    with db.transaction() as session, pytest.raises(ValidationError, match="end before it starts"):
        roles.add_role(
            session, pid, chamber="Senedd", start_date=dt.date(2026, 5, 1), end_date=dt.date(2021, 1, 1)
        )


def test_a_role_can_be_corrected_with_each_change_audited(db: Database) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Ailsa", last_name="Munro").id
        role_id = roles.add_role(
            session, pid, chamber="Scottish Parliament", party="Green", constituency="Edinburgh Centrel"
        ).id
    with db.transaction() as session:
        roles.update_role(
            session,
            role_id,
            {
                "party": " Scottish Green Party ",
                "constituency": "Edinburgh Central",
                "region": "Lothian",
                "role": "Spokesperson for Housing",
                "start_date": dt.date(2021, 5, 6),
            },
        )
    with db.session() as session:
        snap = roles.role_snapshot(session, role_id)
        assert snap["party"] == "Scottish Green Party" and snap["constituency"] == "Edinburgh Central"
        assert snap["start_date"] == dt.date(2021, 5, 6)
        changes = {
            (e.field, e.old_value, e.new_value) for e in audit.history(session, "elected_role", role_id)
        }
        assert ("party", "Green", "Scottish Green Party") in changes
        assert ("constituency", "Edinburgh Centrel", "Edinburgh Central") in changes
        assert ("start_date", None, "2021-05-06") in changes
        assert count_people(session, PersonFilter(party="Scottish Green Party")) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"chamber": "  "}, "chamber"),
        ({"start_date": dt.date(2026, 1, 2), "end_date": dt.date(2026, 1, 1)}, "end_date"),
        ({"end_date": "last May"}, "end_date"),
        ({"seat": "Fife"}, "seat"),
        ({"party": "x" * 101}, "party"),
    ],
)
def test_bad_role_edits_are_refused_plainly(db: Database, changes: dict, field: str) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Ailsa", last_name="Munro").id
        role_id = roles.add_role(session, pid, chamber="Scottish Parliament").id
    with db.transaction() as session, pytest.raises(ValidationError) as caught:
        roles.update_role(session, role_id, changes)
    assert caught.value.field == field and str(caught.value).endswith(".")


def test_a_stale_role_form_is_refused_and_undo_restores_the_snapshot(db: Database) -> None:
    from crm.errors import StaleEdit

    with db.transaction() as session:
        pid = people.create_person(session, first_name="Ailsa", last_name="Munro").id
        role = roles.add_role(session, pid, chamber="Scottish Parliament", party="Green")
        role_id, shown = role.id, role.version
        before = roles.role_snapshot(session, role_id)
    with db.transaction() as session:
        roles.end_role(session, role_id, dt.date(2026, 5, 7))
    with db.transaction() as session, pytest.raises(StaleEdit):
        roles.update_role(session, role_id, {"party": "SNP"}, expected_version=shown)
    with db.transaction() as session:
        roles.update_role(session, role_id, before)
    with db.session() as session:
        assert roles.role_snapshot(session, role_id) == before
