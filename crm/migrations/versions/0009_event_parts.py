"""event parts: stations, workshops and breakout rooms, and who was placed at each

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 12:30:00

Adds two tables, changing no existing row:

- ``event_part``: a station, workshop or breakout room of an event, with its name, topic, host
  (as typed), notes, its position on the event's page and ``deleted_at`` (a removed part can be
  put back with its placements);
- ``attendance_part``: a person placed at a part, with that person's notes from it (one row per
  part and person; a person can be at several parts of one event).

Attendance notes (``attendance.notes``) stay as they are: they are the per-attendee notes. Before
this revision a station could only be written in them ("Station: food poverty; wants the report"),
and the dashboard counted those notes; so each note starting with "Station" also places the person
at that station of the event (made once per event and name), with what follows the first ";" as
their note there. The notes themselves are kept.
"""

import datetime as dt
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=True),
        sa.Column("host", sa.String(length=300), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_part_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_part")),
    )
    op.create_index(op.f("ix_event_part_event_id"), "event_part", ["event_id"], unique=False)
    op.create_table(
        "attendance_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["event_part.id"],
            name=op.f("fk_attendance_part_part_id_event_part"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_attendance_part_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_part")),
        sa.UniqueConstraint("part_id", "person_id", name="uq_attendance_part_part_id_person_id"),
    )
    op.create_index(
        "ix_attendance_part_person_part", "attendance_part", ["person_id", "part_id"], unique=False
    )
    _stations_from_notes()


_STATION_NOTE = re.compile(
    r"^\s*station\b\s*(?:\d+\b|[a-z]\b)?\s*[:\-–—]?\s*(?P<name>[^;]*)(?:;(?P<rest>.*))?$", re.I | re.S
)


def _stations_from_notes() -> None:
    """Place people at the stations their attendance notes name (see the module's docstring)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT event_id, person_id, notes FROM attendance "
            "WHERE notes IS NOT NULL AND lower(trim(notes)) LIKE 'station%' ORDER BY event_id, id"
        )
    ).all()
    if not rows:
        return
    now = dt.datetime.now(dt.UTC)
    parts: dict[tuple[int, str], int] = {}
    positions: dict[int, int] = {}
    for event_id, person_id, notes in rows:
        match = _STATION_NOTE.match(notes)
        if match is None:
            continue
        name = " ".join(match["name"].split())[:200] or " ".join(notes.split())[:200]
        rest = " ".join((match["rest"] or "").split()) or None
        key = (event_id, name.casefold())
        if key not in parts:
            positions[event_id] = positions.get(event_id, 0) + 1
            parts[key] = bind.execute(
                sa.text(
                    "INSERT INTO event_part (event_id, kind, name, position, created_at, updated_at) "
                    "VALUES (:event, 'station', :name, :position, :now, :now) RETURNING id"
                ),
                {
                    "event": event_id,
                    "name": name[:1].upper() + name[1:],
                    "position": positions[event_id],
                    "now": now,
                },
            ).scalar_one()
        bind.execute(
            sa.text(
                "INSERT INTO attendance_part (part_id, person_id, notes) VALUES (:part, :person, :notes) "
                "ON CONFLICT DO NOTHING"
            ),
            {"part": parts[key], "person": person_id, "notes": rest},
        )


def downgrade() -> None:
    op.drop_index("ix_attendance_part_person_part", table_name="attendance_part")
    op.drop_table("attendance_part")
    op.drop_index(op.f("ix_event_part_event_id"), table_name="event_part")
    op.drop_table("event_part")
