"""correspondence: letters and emails batches, email direction and Message-ID on interactions

Revision ID: 0007
Revises: 0001
Create Date: 2026-12-06 09:45:00

Adds ``correspondence_batch`` (one row per "Letters and labels" run or emails dropped in, so either
can be undone together) and three nullable columns on ``interaction``: ``direction`` (in/out),
``message_id`` (an email's Message-ID, indexed: a message is logged once) and
``correspondence_batch_id``. Existing interactions keep NULL in all three.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "correspondence_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("previous_contacted", sa.JSON(), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correspondence_batch")),
    )
    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("direction", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=998), nullable=True))
        batch_op.add_column(sa.Column("correspondence_batch_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_interaction_message_id"), ["message_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_interaction_correspondence_batch_id"), ["correspondence_batch_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_interaction_correspondence_batch_id_correspondence_batch"),
            "correspondence_batch",
            ["correspondence_batch_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_interaction_correspondence_batch_id_correspondence_batch"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_interaction_correspondence_batch_id"))
        batch_op.drop_index(batch_op.f("ix_interaction_message_id"))
        batch_op.drop_column("correspondence_batch_id")
        batch_op.drop_column("message_id")
        batch_op.drop_column("direction")
    op.drop_table("correspondence_batch")
