"""Stations, workshops and breakout rooms of events: placements, notes, filters, follow-ups."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from crm.cli import main
from crm.db import Database, _alembic_config, head_revision, open_database
from crm.errors import ValidationError
from crm.filters import PersonFilter, count_people, person_ids
from crm.models import AttendancePart, AuditEntry, Interaction
from crm.privacy.erasure import erase_person
from crm.privacy.subject_access import write_subject_access
from crm.services import event_parts, events, people
from crm.services.merge import merge_people, undo_merge

D = dt.date


def _world(session: Session) -> dict[str, int]:

    ids = {
        n: people.create_person(session, first_name=n, last_name="Guest").id
        for n in ("Ada", "Bea", "Cal", "Dee")
    }
    reception = events.create_event(session, "Parliament reception", starts_on=D(2026, 9, 1)).id
    other = events.create_event(session, "Autumn workshop", starts_on=D(2026, 10, 1)).id
    events.set_attendance(session, reception, list(ids.values()), "attended")
    food = event_parts.add_part(
        session, reception, "Food poverty", topic="Food insecurity", host="Morag Host"
    )
    lead = event_parts.add_part(session, reception, "Values-based leadership", host="Iain Host")
    elsewhere = event_parts.add_part(session, other, "Food poverty", kind="workshop")
    event_parts.place_people(session, food.id, [ids["Ada"], ids["Bea"]])
    event_parts.place_people(session, lead.id, [ids["Ada"], ids["Cal"]], notes="Sat in a circle on the floor")
    event_parts.place_people(session, elsewhere.id, [ids["Dee"]])
    return {
        **ids,
        "reception": reception,
        "other": other,
        "food": food.id,
        "lead": lead.id,
        "elsewhere": elsewhere.id,
    }


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return _world(session)


def test_people_are_placed_at_one_or_several_parts_with_notes(db: Database, world: dict[str, int]) -> None:
    with db.transaction() as session:
        assert event_parts.set_placement_notes(session, world["food"], world["Ada"], "Runs a food bank")
        assert event_parts.set_attendance_notes(
            session, world["reception"], world["Bea"], "Came with a colleague"
        )
        # Placing again keeps the notes; placing someone not on the list adds them as attended.
        assert event_parts.place_people(session, world["food"], [world["Ada"]], notes="other") == 0
        assert event_parts.place_people(session, world["elsewhere"], [world["Ada"]]) == 1
    with db.session() as session:
        parts = event_parts.list_parts(session, world["reception"])
        assert [(p.name, p.kind, p.host, p.placed) for p in parts] == [
            ("Food poverty", "station", "Morag Host", 2),
            ("Values-based leadership", "station", "Iain Host", 2),
        ]
        placed = {(p.part_id, p.name): p.notes for p in event_parts.placements(session, world["reception"])}
        assert placed == {
            (world["food"], "Ada Guest"): "Runs a food bank",
            (world["food"], "Bea Guest"): None,
            (world["lead"], "Ada Guest"): "Sat in a circle on the floor",
            (world["lead"], "Cal Guest"): "Sat in a circle on the floor",
        }
        assert event_parts.stations_by_person(session, world["reception"])[world["Ada"]] == [
            "Food poverty",
            "Values-based leadership",
        ]
        notes = {r[1]: (r[3], r[4]) for r in events.attendance(session, world["reception"])}
        assert notes[world["Bea"]] == ("attended", "Came with a colleague")
        statuses = {r[1]: r[3] for r in events.attendance(session, world["other"])}
        assert statuses == {world["Dee"]: "attended", world["Ada"]: "attended"}


def test_set_attendance_keeps_the_notes_of_people_already_on_the_list(db: Database) -> None:
    with db.transaction() as session:
        ev = events.create_event(session, "Reception").id
        a, b = (people.create_person(session, first_name=n).id for n in ("Ada", "Bea"))
        events.set_attendance(session, ev, [a], "invited", notes="Asked about access")
        events.set_attendance(session, ev, [a, b], "attended", notes="Station 1: Trust")
        events.set_attendance(session, ev, [a, b], "attended")  # no notes: nothing lost
        events.set_attendance(session, ev, [b], "attended", notes="Station 1: Trust")  # not twice
    with db.session() as session:
        notes = {r[1]: r[4] for r in events.attendance(session, ev)}
    assert notes == {a: "Asked about access\nStation 1: Trust", b: "Station 1: Trust"}


def test_parts_are_edited_removed_and_put_back(db: Database, world: dict[str, int]) -> None:
    with db.transaction() as session:
        assert event_parts.update_part(
            session, world["food"], {"topic": "Food", "notes": "Busy all evening"}
        ) == [
            "topic",
            "notes",
        ]
        with pytest.raises(ValidationError, match="already has a part called"):
            event_parts.update_part(session, world["food"], {"name": "values-based LEADERSHIP"})
        with pytest.raises(ValidationError, match="needs a name"):
            event_parts.add_part(session, world["reception"], "  ")
        with pytest.raises(ValidationError, match="not a kind of event part"):
            event_parts.add_part(session, world["reception"], "Room 3", kind="balcony")
        assert event_parts.remove_part(session, world["lead"])
    with db.session() as session:
        assert [p.name for p in event_parts.list_parts(session, world["reception"])] == ["Food poverty"]
        assert count_people(session, PersonFilter(station="Values-based leadership")) == 0
    with db.transaction() as session:
        assert event_parts.restore_part(session, world["lead"])
    with db.session() as session:
        assert [p.placed for p in event_parts.list_parts(session, world["reception"])] == [2, 2]
        assert (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "event_part")
            )
            >= 6
        )


def test_unplacing_returns_the_notes_and_replacing_restores_them(db: Database, world: dict[str, int]) -> None:
    with db.transaction() as session:
        removed = event_parts.unplace_people(session, world["lead"], [world["Ada"], world["Bea"]])
    assert removed == {world["Ada"]: "Sat in a circle on the floor"}
    with db.transaction() as session:
        event_parts.replace_people(session, world["lead"], removed)
    with db.session() as session:
        placed = {
            p.person_id: p.notes
            for p in event_parts.placements(session, world["reception"])
            if p.part_id == world["lead"]
        }
    assert placed == {
        world["Ada"]: "Sat in a circle on the floor",
        world["Cal"]: "Sat in a circle on the floor",
    }


def test_filters_select_who_was_on_an_event_and_at_a_station(db: Database, world: dict[str, int]) -> None:
    with db.session() as session:

        def who(f: PersonFilter) -> set[int]:
            return set(person_ids(session, f, ranked=False))

        assert who(PersonFilter(event="parliament RECEPTION")) == {
            world[n] for n in ("Ada", "Bea", "Cal", "Dee")
        }
        assert who(PersonFilter(station="food poverty")) == {world["Ada"], world["Bea"], world["Dee"]}
        assert who(PersonFilter(event="Parliament reception", station="Food poverty")) == {
            world["Ada"],
            world["Bea"],
        }
        assert who(PersonFilter(station_id=world["lead"])) == {world["Ada"], world["Cal"]}
        assert who(PersonFilter(event="No such event")) == set()
    # Saved views and export logs store the filter as JSON; older ones without these keys still load.
    f = PersonFilter(event="Parliament reception", station="Food poverty")
    assert PersonFilter.from_dict(json.loads(json.dumps(f.to_dict()))) == f
    assert PersonFilter.from_dict({"network": "KIN"}).station is None


def test_cli_count_and_export_take_event_and_station(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "k.db"
    database = open_database(path)
    with database.transaction() as session:
        _world(session)
    database.dispose()
    capsys.readouterr()
    assert (
        main(
            [
                "--db",
                str(path),
                "count",
                "--event",
                "Parliament reception",
                "--station",
                "Food poverty",
                "--json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["count"] == 2
    assert main(["--db", str(path), "count", "--station", "Food poverty", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["count"] == 3
    out = tmp_path / "food.csv"
    code = main(["--db", str(path), "export", str(out), "--station", "Values-based leadership", "--json"])
    assert code == 0
    # No one has a postal address, so both go to the excluded list, with the reason.
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["excluded"] == 2
    excluded = (tmp_path / "food-excluded.csv").read_text(encoding="utf-8-sig")
    assert "Ada" in excluded and "Cal" in excluded and "Bea" not in excluded


def test_follow_ups_come_from_notes_and_are_listed_on_the_event(db: Database, world: dict[str, int]) -> None:
    with db.transaction() as session:
        fu = event_parts.create_follow_up(
            session,
            world["reception"],
            person_ids=[world["Ada"], world["Cal"]],
            due=D(2026, 9, 15),
            text="Sat in a circle on the floor\nSend them the leadership paper",
            part_id=world["lead"],
        )
        with pytest.raises(ValidationError, match="another event"):
            event_parts.create_follow_up(
                session,
                world["other"],
                person_ids=[world["Ada"]],
                due=D(2026, 9, 15),
                text="x",
                part_id=world["lead"],
            )
        with pytest.raises(ValidationError, match="needs the note"):
            event_parts.create_follow_up(
                session, world["reception"], person_ids=[world["Ada"]], due=D(2026, 9, 15), text=" "
            )
    with db.session() as session:
        (row,) = event_parts.event_follow_ups(session, world["reception"])
        assert (row.id, row.due, row.done, row.people) == (
            fu.id,
            D(2026, 9, 15),
            False,
            "Ada Guest, Cal Guest",
        )
        assert row.subject == "Follow up: Sat in a circle on the floor"
        assert row.notes is not None and row.notes.startswith(
            "From Values-based leadership, Parliament reception:"
        )
        interaction = session.get(Interaction, fu.id)
        assert interaction is not None and interaction.event_id == world["reception"]


def test_merge_moves_placements_and_undo_puts_them_back_exactly(db: Database, world: dict[str, int]) -> None:
    def snapshot() -> list[tuple[object, ...]]:
        with db.session() as session:
            return [tuple(r) for r in session.execute(text("SELECT * FROM attendance_part ORDER BY id"))]

    with db.transaction() as session:
        event_parts.set_placement_notes(session, world["food"], world["Bea"], "Knows the Trussell Trust")
        event_parts.set_placement_notes(session, world["food"], world["Ada"], "Runs a food bank")
    before = snapshot()
    with db.transaction() as session:
        # Ada and Bea were both at Food poverty (their notes are kept together); Cal was at leadership.
        result = merge_people(session, world["Ada"], [world["Bea"], world["Cal"]])
    with db.session() as session:
        mine = session.execute(
            select(AttendancePart.part_id, AttendancePart.notes).where(
                AttendancePart.person_id == world["Ada"]
            )
        ).all()
        assert sorted(mine) == sorted(
            [
                (world["food"], "Runs a food bank\nKnows the Trussell Trust"),
                (world["lead"], "Sat in a circle on the floor"),
            ]
        )
        assert result.moved.get("stations") == 2
        assert event_parts.list_parts(session, world["reception"])[0].placed == 1
    with db.transaction() as session:
        undo_merge(session, result.merge_id)
    assert snapshot() == before


def test_erasure_removes_placements_and_subject_access_lists_them(
    db: Database, world: dict[str, int], tmp_path: Path
) -> None:
    with db.transaction() as session:
        event_parts.set_placement_notes(session, world["food"], world["Ada"], "Runs a food bank")
        result = write_subject_access(session, world["Ada"], tmp_path / "ada.xlsx")
    wb = openpyxl.load_workbook(result.path)
    rows = list(wb["Events"].iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=False))
    assert row["Stations, workshops and rooms"] == (
        "Food poverty: Runs a food bank\nValues-based leadership: Sat in a circle on the floor"
    )
    with db.transaction() as session:
        erase_person(session, world["Ada"], "Erasure request of 3 May")
    with db.session() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(AttendancePart)
                .where(AttendancePart.person_id == world["Ada"])
            )
            == 0
        )
        assert [p.placed for p in event_parts.list_parts(session, world["reception"])] == [1, 1]


def test_upgrade_from_the_release_adds_empty_tables_with_the_data_intact(release_db_path: Path) -> None:
    conn = sqlite3.connect(release_db_path)
    before = conn.execute(
        "SELECT id, event_id, person_id, status, notes FROM attendance ORDER BY id"
    ).fetchall()
    conn.close()
    database = open_database(release_db_path)
    try:
        with database.transaction() as session:
            event_id = session.scalar(text("SELECT min(id) FROM event"))
            part = event_parts.add_part(session, event_id, "Food poverty")
            person_id = session.scalar(
                text("SELECT min(person_id) FROM attendance WHERE event_id = :e"), {"e": event_id}
            )
            assert event_parts.place_people(session, part.id, [person_id]) == 1
    finally:
        database.dispose()
    conn = sqlite3.connect(release_db_path)
    after = conn.execute(
        "SELECT id, event_id, person_id, status, notes FROM attendance ORDER BY id"
    ).fetchall()
    conn.close()
    assert len(before) == 104 and after == before


def test_upgrade_from_0008_keeps_attendance_notes(db_url: str) -> None:
    """A database at the previous head with attendance notes upgrades on SQLite and PostgreSQL."""
    from alembic import command

    url = db_url if "://" in db_url else f"sqlite:///{db_url}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0008")
            # Written as that revision's tables stood (today's services also write later tables).
            now = "2026-01-01 10:00:00"
            pid = conn.execute(
                text(
                    "INSERT INTO person (first_name, last_name, do_not_contact, email_opt_out, post_opt_out,"
                    " search_text, sort_name, version, created_at, updated_at)"
                    " VALUES ('Ada', 'Guest', false, false, false, 'ada guest', 'guest ada', 1, :now, :now)"
                    " RETURNING id"
                ),
                {"now": now},
            ).scalar_one()
            ev = conn.execute(
                text(
                    "INSERT INTO event (name, created_at, updated_at) VALUES ('Reception', :now, :now) RETURNING id"
                ),
                {"now": now},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO attendance (event_id, person_id, status, notes)"
                    " VALUES (:ev, :pid, 'attended', 'Station 2: values-based leadership')"
                ),
                {"ev": ev, "pid": pid},
            )
    finally:
        engine.dispose()
    database = open_database(db_url)
    try:
        with database.session() as session:
            assert session.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()
            assert session.scalar(text("SELECT notes FROM attendance")) == (
                "Station 2: values-based leadership"
            )
            # The note named a station: the person is placed there (the station made once).
            assert session.execute(text("SELECT name, kind FROM event_part")).all() == [
                ("Values-based leadership", "station")
            ]
            assert session.scalar(text("SELECT person_id FROM attendance_part")) == pid
    finally:
        database.dispose()
