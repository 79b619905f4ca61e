"""follow-ups by owner: a partial index for the dashboard's follow-ups card

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 15:20:00

Adds one index and changes no table or column: ``ix_interaction_follow_ups_owner`` on
``interaction`` (owner, follow_up_on, follow_up_done, deleted_at), holding only the interactions
with a follow-up that are not in the Trash (a tenth of them, in practice). The dashboard counts
follow-ups by owner from it in owner order: one pass over those entries, no sort (41 → 17 ms of
CPU at 500,000 interactions). Interactions without a follow-up are never in it, so logging or
importing them costs nothing more. (An index of memberships in person order was measured too: a
tenth off the networks card, not worth an index written on every membership an import adds.)
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = "follow_up_on IS NOT NULL AND deleted_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_interaction_follow_ups_owner",
        "interaction",
        ["owner", "follow_up_on", "follow_up_done", "deleted_at"],
        sqlite_where=text(WHERE),
        postgresql_where=text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_interaction_follow_ups_owner", table_name="interaction")
