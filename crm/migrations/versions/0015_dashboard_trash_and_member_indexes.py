"""the dashboard's networks card in person order, and the Trash found from its own index

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 18:30:00

Adds two indexes and changes no table or column:

- ``ix_person_in_trash`` on ``person`` (deleted_at), holding only the people in the Trash. "Who is
  in the Trash?" was a walk over a whole index of 100,000 people (about 6 ms each time the
  dashboard left them out); now it reads the few entries there are. Queries for the people *not*
  in the Trash cannot use it (its condition is the opposite of theirs), so no plan of the People
  list changes, and adding or editing a person outside the Trash writes nothing to it.
- ``ix_membership_person_dates`` on ``membership`` (person_id, network_id, status, joined_on,
  left_on): a network's current members in person order from the index alone, so the networks'
  split by nation and sector looks each member's person up front to back without first copying
  and sorting the memberships (about a quarter of the split's work at 60,000 memberships).
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_TRASH = "deleted_at IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_person_in_trash",
        "person",
        ["deleted_at"],
        sqlite_where=text(IN_TRASH),
        postgresql_where=text(IN_TRASH),
    )
    op.create_index(
        "ix_membership_person_dates",
        "membership",
        ["person_id", "network_id", "status", "joined_on", "left_on"],
    )


def downgrade() -> None:
    op.drop_index("ix_membership_person_dates", table_name="membership")
    op.drop_index("ix_person_in_trash", table_name="person")
