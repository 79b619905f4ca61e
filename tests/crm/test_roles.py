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
