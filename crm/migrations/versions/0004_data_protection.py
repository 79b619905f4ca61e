"""data protection: settings, export log, retention reviews, hashed suppression

Revision ID: 0004
Revises: 0001

- ``setting``: a small key/value store kept in the database (retention period, the suppression
  list's per-database key), so every computer sharing the database uses the same values.
- ``export_log`` and ``export_person``: every export (who, when, which filter, how many, the file)
  and who was on it or left out, so a subject access request can say which exports included someone.
- ``retention_review``: "Keep for another period" decisions on the retention review.
- ``suppression.email_hash``: an erased person's address is kept only as a keyed hash, so
  ``suppression.email`` may now be empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_setting")),
    )
    op.create_table(
        "export_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=True),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("preset", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("filter", sa.Text(), nullable=True),
        sa.Column("exported", sa.Integer(), nullable=False),
        sa.Column("excluded", sa.Integer(), nullable=False),
        sa.Column("rules_ignored_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_log")),
    )
    with op.batch_alter_table("export_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_export_log_at"), ["at"], unique=False)
    op.create_table(
        "export_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("export_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("included", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["export_id"],
            ["export_log.id"],
            name=op.f("fk_export_person_export_id_export_log"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_export_person_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_person")),
    )
    with op.batch_alter_table("export_person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_export_person_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_export_person_export_id"), ["export_id"], unique=False)
    op.create_table(
        "retention_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kept_on", sa.Date(), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_retention_review_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_review")),
    )
    with op.batch_alter_table("retention_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retention_review_person_id"), ["person_id"], unique=False)
    with op.batch_alter_table("suppression", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_hash", sa.String(length=64), nullable=True))
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=True)
        batch_op.create_unique_constraint(batch_op.f("uq_suppression_email_hash"), ["email_hash"])


def downgrade() -> None:
    with op.batch_alter_table("suppression", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_suppression_email_hash"), type_="unique")
    # Hashed entries have no address to go back to.
    op.execute("DELETE FROM suppression WHERE email IS NULL")
    with op.batch_alter_table("suppression", schema=None) as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=False)
        batch_op.drop_column("email_hash")
    with op.batch_alter_table("retention_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_review_person_id"))
    op.drop_table("retention_review")
    with op.batch_alter_table("export_person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_export_person_export_id"))
        batch_op.drop_index(batch_op.f("ix_export_person_person_id"))
    op.drop_table("export_person")
    with op.batch_alter_table("export_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_export_log_at"))
    op.drop_table("export_log")
    op.drop_table("setting")
