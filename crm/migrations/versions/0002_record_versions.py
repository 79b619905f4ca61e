"""record versions for optimistic concurrency

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 10:10:00

A ``version`` counter on people and organisations: a save based on a copy older than the record in
the database is refused instead of silently undoing someone else's change. Existing records start
at version 1. A plain ``ADD COLUMN`` (with a default) on both SQLite and PostgreSQL: no table copy,
so the search-index triggers on ``person`` are left alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("person", "organisation")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
