"""Writing a big import: the links and history go to SQLite as JSON on the bulk writer's helper
thread, and must come out exactly as the row-by-row path writes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from crm import audit
from crm.db import Database, open_database
from crm.importing import ImportOptions, apply_import, read_table, suggest_mapping, undo_import, writing
from crm.models import Person

from tests.crm.importing.conftest import write_csv

# The columns compared (timestamps aside: each import has its own time).
_TABLES = {
    "person": "id, first_name, last_name, email, import_batch_id",
    "membership": "id, person_id, network_id, role, status, joined_on, left_on, cohort_id, import_batch_id",
    "person_tag": "id, person_id, tag_id, import_batch_id",
    "person_type": "id, person_id, type, import_batch_id",
    "audit_log": "id, user, action, entity, entity_id, field, old_value, new_value, import_batch_id, details",
    "contact_point": "id, person_id, kind, value, town, preferred, import_batch_id",
}


def _awkward_list(tmp_path: Path, rows: int = 1_300) -> Path:
    """More rows than the bulk threshold, with what JSON must carry faithfully: quotes,
    backslashes, accents, emoji, several networks and tags a row, and rows without any."""
    data: list[list[Any]] = [
        ["First name", "Last name", "Email", "Town", "Network", "Tags", "Type", "Joined"]
    ]
    networks = ["Kindness Champions", "Kindness Champions; Kindness Leadership Network", "", 'KIN "north"']
    tag_cells = ['Policy "core"', "back\\slash; Siân", '🙂 kind, Policy "core"', "", "Events"]
    for i in range(rows):
        first = ["Seán", "", "Zoë", "Amir", "O'Neill"][i % 5]
        last = "" if i % 11 == 0 else f"Ó Floinn{i}"
        data.append(
            [
                first,
                last,
                f"person{i}@example.org",
                "Aberystwyth" if i % 3 else "",
                networks[i % len(networks)],
                tag_cells[i % len(tag_cells)],
                "MSP" if i % 7 == 0 else "",
                "1 May 2024" if i % 4 == 0 else "",
            ]
        )
    return write_csv(tmp_path / "awkward.csv", data)


def _tables(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.engine.connect() as conn:
        return {
            name: [tuple(r) for r in conn.exec_driver_sql(f"SELECT {cols} FROM {name} ORDER BY id")]
            for name, cols in _TABLES.items()
        }


def _import(db: Database, path: Path) -> int:
    table = read_table(path)
    mapping = suggest_mapping(table.headers, remembered=False)
    assert {"network", "tags", "type", "joined_on"} <= set(mapping.values())
    result = apply_import(
        db, table, mapping, ImportOptions(tags=["From the options"], network="Kindness Champions")
    )
    assert result.batch_id is not None
    return result.batch_id


def test_big_import_writes_the_same_links_and_history_as_the_row_by_row_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _awkward_list(tmp_path)
    monkeypatch.setattr(writing, "WRITE_CHUNK", 500)  # several chunks, each handed to the helper
    fast = open_database(tmp_path / "fast.db")
    plain = open_database(tmp_path / "plain.db")
    unpacked: set[str] = set()

    @event.listens_for(fast.engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "json_each" in statement:
            unpacked.add(statement.split()[2])

    try:
        _import(fast, path)
        assert unpacked == {"membership", "person_tag", "person_type", "audit_log"}
        # Where SQLite has no JSON functions, the links are written row by row after each chunk.
        monkeypatch.setattr(writing, "sqlite_has_json", lambda: False)
        _import(plain, path)
        written, expected = _tables(fast), _tables(plain)
    finally:
        fast.dispose()
        plain.dispose()
    assert len(written["person"]) == 1_300
    assert len(written["membership"]) > 1_300 and len(written["person_tag"]) > 1_300
    for name in _TABLES:
        assert written[name] == expected[name], name


def test_each_new_person_of_a_big_import_has_their_creation_in_their_history_until_undone(
    sqlite_db: Database, tmp_path: Path
) -> None:
    batch_id = _import(sqlite_db, _awkward_list(tmp_path, rows=600))
    with sqlite_db.session() as session:
        ids = session.scalars(select(Person.id).order_by(Person.id)).all()
        assert len(ids) == 600
        first = audit.history(session, "person", ids[0])
        assert [(e.action, e.new_value, e.details) for e in first] == [
            (
                "create",
                "Seán",
                "imported from awkward.csv, row 2; networks: Kindness Champions (member); "
                'tags: Policy "core", From the options; types: msp',
            )
        ]
        second = audit.history(session, "person", ids[1])
        assert [(e.action, e.new_value, e.details) for e in second] == [
            (
                "create",
                "Ó Floinn1",
                "imported from awkward.csv, row 3; networks: Kindness Champions (member), "
                "Kindness Leadership Network (member); tags: back\\slash, Siân, From the options",
            )
        ]
        assert all(audit.history(session, "person", pid) for pid in ids)
    undo_import(sqlite_db, batch_id)
    with sqlite_db.session() as session:
        assert session.scalars(select(Person.id)).all() == []


def test_people_updated_by_an_import_are_found_by_their_new_details_and_not_their_old(
    db: Database, tmp_path: Path
) -> None:
    """A second list that changes many people's towns and job titles: a search finds them by the
    new ones only, their versions rise (a form opened before refuses to save over the change),
    and undoing the import gives them back their old details, searchable again."""
    from crm.filters import PersonFilter, count_people

    header = ["First name", "Last name", "Email", "Town", "Job title"]
    first = [header] + [
        [f"Ffion{i}", "Roberts", f"ffion{i}@example.org", "Aberaeron", "Clerk"] for i in range(40)
    ]
    second = [header] + [
        [f"Ffion{i}", "Roberts", f"ffion{i}@example.org", "Llandeilo", "Convener"] for i in range(40)
    ]
    apply_import(db, read_table(write_csv(tmp_path / "first.csv", first)), _mapping(tmp_path / "first.csv"))
    with db.session() as session:
        before = dict([(r[0], r[1]) for r in session.execute(select(Person.id, Person.version))])
    table = read_table(write_csv(tmp_path / "second.csv", second))
    result = apply_import(
        db, table, suggest_mapping(table.headers, remembered=False), ImportOptions(on_duplicate="overwrite")
    )
    assert result.updated == 40

    def found(query: str) -> int:
        with db.session() as session:
            return count_people(session, PersonFilter(text=query))

    assert found("Llandeilo") == 40 and found("Convener") == 40
    assert found("Aberaeron") == 0 and found("Clerk") == 0
    assert found("Ffion7") == 1
    with db.session() as session:
        after = dict([(r[0], r[1]) for r in session.execute(select(Person.id, Person.version))])
    assert all(after[pid] > version for pid, version in before.items())

    assert result.batch_id is not None
    undo_import(db, result.batch_id)
    assert found("Aberaeron") == 40 and found("Llandeilo") == 0


def _mapping(path: Path) -> dict[int, str]:
    return suggest_mapping(read_table(path).headers, remembered=False)
