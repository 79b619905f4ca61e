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
  postcode, for the "share an email or name" data-quality check;
- ``ix_person_no_address``, ``ix_person_invalid_postcode`` and ``ix_person_invalid_phone``: partial
  indexes holding only the people who fail each data-quality check, so each tile counts index
  entries instead of testing every person's postcode and numbers. Their WHERE clauses are the
  People list's own conditions (``crm.filters``) written out for this database, so a query with the
  same condition is answered from them;
- ``ix_person_retention``: the dates the retention-review check reads, so it reads no person row.

None is a partial index on "not in the Trash": SQLite would then walk one for every query that
skips the Trash and fetch each row from the table, which is slower than scanning it.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import ColumnElement, text
from sqlalchemy.engine import Dialect

from crm.filters import has_address_condition, invalid_phone_condition, invalid_postcode_condition

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sql(condition: ColumnElement[bool], dialect: Dialect) -> str:
    # Literal values, exactly as the dashboard's counts render them: a partial index serves a query
    # only when the query's condition matches the index's own.
    return str(condition.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


QUALITY_INDEXES = {
    "ix_person_no_address": lambda d: ~has_address_condition(),
    "ix_person_invalid_postcode": invalid_postcode_condition,
    "ix_person_invalid_phone": invalid_phone_condition,
}


def upgrade() -> None:
    dialect = op.get_bind().dialect
    for name, condition in QUALITY_INDEXES.items():
        where = text(_sql(condition(dialect.name), dialect))
        op.create_index(name, "person", ["deleted_at"], sqlite_where=where, postgresql_where=where)
    op.create_index(
        "ix_person_retention", "person", ["created_at", "updated_at", "last_contacted", "deleted_at"]
    )
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
    op.drop_index("ix_person_retention", table_name="person")
    for name in reversed(QUALITY_INDEXES):
        op.drop_index(name, table_name="person")
    op.drop_index("ix_membership_network_dates", table_name="membership")
    op.drop_index("ix_interaction_follow_ups", table_name="interaction")
    op.drop_index("ix_person_name_postcode", table_name="person")
    op.drop_index("ix_person_email_deleted", table_name="person")
    op.drop_index("ix_interaction_person_person_interaction", table_name="interaction_person")
    op.drop_index("ix_interaction_date_deleted", table_name="interaction")
