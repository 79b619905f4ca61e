"""drop the person_id indexes that a unique constraint already provides

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 15:30:00

``person_tag``, ``person_type`` and ``membership`` each have a unique constraint that starts with
``person_id`` (``(person_id, tag_id)``, ``(person_id, type)``, ``(person_id, network_id)``). Its
index answers every lookup by person (a person's tags, types and memberships, and the cascade when a
person is erased) on SQLite and PostgreSQL alike, so the separate ``person_id`` index of each table
only cost every new row a second index entry: an import of 100,000 people writes 181,000 tags and
60,000 memberships.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("ix_person_tag_person_id", "person_tag"),
    ("ix_person_type_person_id", "person_type"),
    ("ix_membership_person_id", "membership"),
)


def upgrade() -> None:
    for name, table in _INDEXES:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table in _INDEXES:
        op.create_index(name, table, ["person_id"], unique=False)
