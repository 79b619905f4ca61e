"""The bulk insert path stores exactly what the ORM would, defaults included."""

from __future__ import annotations

import datetime as dt

import pytest
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


@pytest.mark.parametrize("nul", [False, True])
def test_rows_sent_as_json_are_stored_exactly_as_executemany_stores_them(
    sqlite_db: Database, nul: bool
) -> None:
    """SQLite unpacks the JSON into the same values, types and order: quotes, backslashes, line
    breaks, accents and emoji, numbers kept as text, blanks, dates and the defaults."""
    from crm.bulk import driver_value, json_insert, sqlite_has_json
    from crm.models import AuditEntry

    assert sqlite_has_json()
    awkward = ['Policy "core"', "back\\slash", "two\nlines", "Siân Ó Floinn", "🙂 kind", "0131", "", None]
    if nul:  # SQLite's JSON would cut this short: the rows go through executemany instead
        awkward.append("a\x00b")
    table = table_of(AuditEntry)
    with sqlite_db.transaction() as session:
        conn = session.connection()
        at = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
        insert_rows(
            session,
            table,
            [
                {
                    "at": at,
                    "user": "ada",
                    "action": "create",
                    "entity": "person",
                    "entity_id": i,
                    "new_value": v,
                }
                for i, v in enumerate(awkward)
            ],
        )
        sql, params = json_insert(
            table,
            conn.dialect,
            ("entity_id", "new_value"),
            [(i, driver_value(table, conn.dialect, "new_value", v)) for i, v in enumerate(awkward)],
            {"at": at, "user": "ada", "action": "create", "entity": "person"},
        )
        conn.exec_driver_sql(sql, params)
        rows = conn.exec_driver_sql(
            "SELECT at, user, action, entity, entity_id, typeof(entity_id), new_value, typeof(new_value), "
            "field, import_batch_id FROM audit_log ORDER BY id"
        ).all()
    assert isinstance(params, list) is nul
    assert rows[: len(awkward)] == rows[len(awkward) :]
    assert [r[6] for r in rows[: len(awkward)]] == awkward
