"""The bulk insert path stores exactly what the ORM would, defaults included."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from crm.bulk import insert_rows
from crm.db import Database
from crm.models import Membership, Network, Person, table_of
from crm.services import people


def test_bulk_rows_read_back_like_orm_rows(db: Database) -> None:
    with db.transaction() as session:
        net = Network(name="Kindness Champions")
        session.add(net)
        pid = people.create_person(session, first_name="Ada").id
        session.flush()
        insert_rows(
            session,
            table_of(Membership),
            [{"person_id": pid, "network_id": net.id, "joined_on": dt.date(2026, 3, 1)}],
        )
    with db.session() as session:
        m = session.scalars(select(Membership)).one()
        # Defaults the ORM would have applied: role, status and both timestamps.
        assert (m.role, m.status, m.joined_on) == ("member", "active", dt.date(2026, 3, 1))
        assert isinstance(m.created_at, dt.datetime) and m.created_at.year >= 2026
        person = session.get(Person, pid)
        assert person is not None and person.do_not_contact is False
