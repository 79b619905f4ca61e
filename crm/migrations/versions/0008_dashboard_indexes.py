"""dashboard indexes

Revision ID: 0008
Revises: 0001
Create Date: 2026-12-06 09:40:00

Indexes for the dashboard's aggregates (no table or column changes):

- ``ix_interaction_date_deleted``: interactions by date with their Trash mark, so counting a
  month's interactions reads index entries only;
- ``ix_interaction_person_person_interaction``: a person's interactions without reading link rows;
- ``ix_interaction_follow_ups``: open follow-ups by due date and owner;
- ``ix_membership_network_dates``: memberships by network, status and dates (members over time);
- ``ix_person_email_deleted`` and ``ix_person_name_postcode``: people by email, and by name and
  postcode, for the "share an email or name" data-quality check.

None is a partial index on "not in the Trash": SQLite would then walk one for every query that
skips the Trash and fetch each row from the table, which is slower than scanning it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_interaction_date_deleted", "interaction", ["date", "deleted_at"])
    op.create_index(
        "ix_interaction_person_person_interaction", "interaction_person", ["person_id", "interaction_id"]
    )
    op.create_index("ix_person_email_deleted", "person", ["email", "deleted_at"])
    op.create_index("ix_person_name_postcode", "person", ["sort_name", "postcode", "deleted_at"])
    op.create_index(
        "ix_interaction_follow_ups", "interaction", ["follow_up_on", "follow_up_done", "deleted_at", "owner"]
    )
    op.create_index(
        "ix_membership_network_dates",
        "membership",
        ["network_id", "status", "joined_on", "left_on", "person_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_membership_network_dates", table_name="membership")
    op.drop_index("ix_interaction_follow_ups", table_name="interaction")
    op.drop_index("ix_person_name_postcode", table_name="person")
    op.drop_index("ix_person_email_deleted", table_name="person")
    op.drop_index("ix_interaction_person_person_interaction", table_name="interaction_person")
    op.drop_index("ix_interaction_date_deleted", table_name="interaction")
