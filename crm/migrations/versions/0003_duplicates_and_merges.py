"""duplicates and merges

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-06 09:40:00

Merge history (``merge_record``), the records folded into others (``merged_record``), pairs
marked "not the same" (``not_duplicate``) and organisation aliases (``organisation_alias``).
New tables only: nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "merge_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("kept_id", sa.Integer(), nullable=False),
        sa.Column("merged_ids", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=True),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_record")),
    )
    with op.batch_alter_table("merge_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_merge_record_kept_id"), ["kept_id"], unique=False)

    op.create_table(
        "merged_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merge_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merge_id"],
            ["merge_record.id"],
            name=op.f("fk_merged_record_merge_id_merge_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merged_record")),
    )
    with op.batch_alter_table("merged_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_merged_record_merge_id"), ["merge_id"], unique=False)
        batch_op.create_index("ix_merged_record_entity_record", ["entity", "record_id"], unique=False)

    op.create_table(
        "not_duplicate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("a_id", sa.Integer(), nullable=False),
        sa.Column("b_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_not_duplicate")),
        sa.UniqueConstraint("entity", "a_id", "b_id", name="uq_not_duplicate_entity_a_id_b_id"),
    )

    op.create_table(
        "organisation_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("merge_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merge_id"],
            ["merge_record.id"],
            name=op.f("fk_organisation_alias_merge_id_merge_record"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_organisation_alias_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_alias")),
    )
    with op.batch_alter_table("organisation_alias", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_alias_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_organisation_alias_name_key"), ["name_key"], unique=False)


def downgrade() -> None:
    op.drop_table("organisation_alias")
    op.drop_table("not_duplicate")
    op.drop_table("merged_record")
    op.drop_table("merge_record")
