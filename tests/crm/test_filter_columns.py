"""The People list's display columns: built once a day, not on every page, with the same values."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from crm.db import Database
from crm.filters import PersonFilter, _display_columns, _display_columns_on, list_rows, page
from crm.models import Person
from crm.services import people, roles


def test_the_display_columns_are_built_once_a_day() -> None:
    assert _display_columns() is _display_columns()
    today = dt.date.today()
    assert _display_columns_on(today) is _display_columns()
    assert _display_columns_on(today - dt.timedelta(days=1)) is not _display_columns_on(today)


def test_the_type_column_still_says_former_by_the_day_it_is(db: Database) -> None:
    today = dt.date.today()
    with db.transaction() as session:
        sitting = people.create_person(session, first_name="Ada", last_name="Sitting", types=["msp"]).id
        roles.add_role(session, sitting, chamber="Scottish Parliament", start_date=dt.date(2021, 5, 6))
        leaving = people.create_person(session, first_name="Bea", last_name="Leaving", types=["msp"]).id
        roles.add_role(session, leaving, chamber="Scottish Parliament", end_date=today)
    with db.session() as session:
        rows = list_rows(session, [sitting, leaving], ["name", "type"])
        assert rows == {sitting: ("Sitting, Ada", "msp"), leaving: ("Leaving, Bea", "former_msp")}
        assert page(session, PersonFilter(), ["type"]) == [(leaving, "former_msp"), (sitting, "msp")]
        # Yesterday her role had not yet ended: the columns as of then say so.
        yesterday = _display_columns_on(today - dt.timedelta(days=1))["type"][1]
        shown = dict(session.execute(select(Person.id, yesterday).where(Person.id == leaving)).all())
        assert shown == {leaving: "msp"}
