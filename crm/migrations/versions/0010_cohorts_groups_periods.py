"""network cohorts, groups and membership periods

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-06 12:30:00

Adds ``network_cohort`` (a network's cohorts, with start and end dates), ``network_group`` (working
groups, regional hubs, …), ``membership_group`` (a membership's groups, with a role in each) and
``membership_period`` (every period of a membership: joined, left, the reasons and the cohort), and
a nullable ``membership.cohort_id`` (the latest period's cohort).

The ``membership`` row keeps holding the latest period, so everything that reads it is unchanged.
Each existing membership gets one period backfilled from its own dates; a membership marked "left"
with no leaving date gets the day it was last changed as its leaving day (the day it was marked).
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "network_cohort",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name="fk_network_cohort_network_id_network", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batch.id"],
            name="fk_network_cohort_import_batch_id_import_batch",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_network_cohort"),
        sa.UniqueConstraint("network_id", "name", name="uq_network_cohort_network_id_name"),
    )
    op.create_table(
        "network_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name="fk_network_group_network_id_network", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batch.id"],
            name="fk_network_group_import_batch_id_import_batch",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_network_group"),
        sa.UniqueConstraint("network_id", "name", name="uq_network_group_network_id_name"),
    )
    op.create_table(
        "membership_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=50), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["membership.id"],
            name="fk_membership_group_membership_id_membership",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["network_group.id"],
            name="fk_membership_group_group_id_network_group",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batch.id"],
            name="fk_membership_group_import_batch_id_import_batch",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_membership_group"),
        sa.UniqueConstraint("membership_id", "group_id", name="uq_membership_group_membership_id_group_id"),
    )
    op.create_index("ix_membership_group_group_membership", "membership_group", ["group_id", "membership_id"])
    op.create_table(
        "membership_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("join_reason", sa.Text(), nullable=True),
        sa.Column("leave_reason", sa.Text(), nullable=True),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["membership.id"],
            name="fk_membership_period_membership_id_membership",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["network_cohort.id"],
            name="fk_membership_period_cohort_id_network_cohort",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batch.id"],
            name="fk_membership_period_import_batch_id_import_batch",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_membership_period"),
    )
    op.create_index(
        "ix_membership_period_membership_joined", "membership_period", ["membership_id", "joined_on"]
    )
    op.create_index(
        "ix_membership_period_cohort_membership", "membership_period", ["cohort_id", "membership_id"]
    )
    # On SQLite the batch copy of ``membership`` reflects ``person`` too, whose expression indexes
    # SQLite cannot reflect (and need not: only ``membership`` is rebuilt); the warning says so.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table("membership", schema=None) as batch_op:
            batch_op.add_column(sa.Column("cohort_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                "fk_membership_cohort_id_network_cohort",
                "network_cohort",
                ["cohort_id"],
                ["id"],
                ondelete="SET NULL",
            )
            batch_op.create_index(
                "ix_membership_cohort_person", ["cohort_id", "status", "left_on", "person_id"], unique=False
            )

    # One period per existing membership, from its own dates; the import that added the
    # membership added the period too, so undoing that import still removes exactly what it added.
    membership = sa.table(
        "membership",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("joined_on", sa.Date()),
        sa.column("left_on", sa.Date()),
        sa.column("import_batch_id", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    rows = op.get_bind().execute(sa.select(membership)).all()
    period = sa.table(
        "membership_period",
        sa.column("membership_id", sa.Integer()),
        sa.column("joined_on", sa.Date()),
        sa.column("left_on", sa.Date()),
        sa.column("import_batch_id", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    values = []
    for r in rows:
        left_on = r.left_on
        if left_on is None and (r.status or "").lower() == "left":
            changed = r.updated_at
            left_on = changed.date() if changed is not None and hasattr(changed, "date") else None
        values.append(
            {
                "membership_id": r.id,
                "joined_on": r.joined_on,
                "left_on": left_on,
                "import_batch_id": r.import_batch_id,
                "created_at": r.created_at,
            }
        )
    if values:
        op.bulk_insert(period, values)


def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table("membership", schema=None) as batch_op:
            batch_op.drop_index("ix_membership_cohort_person")
            batch_op.drop_constraint("fk_membership_cohort_id_network_cohort", type_="foreignkey")
            batch_op.drop_column("cohort_id")
    op.drop_index("ix_membership_period_cohort_membership", table_name="membership_period")
    op.drop_index("ix_membership_period_membership_joined", table_name="membership_period")
    op.drop_table("membership_period")
    op.drop_index("ix_membership_group_group_membership", table_name="membership_group")
    op.drop_table("membership_group")
    op.drop_table("network_group")
    op.drop_table("network_cohort")
