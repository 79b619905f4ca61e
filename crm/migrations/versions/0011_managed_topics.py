"""managed topics and editable interactions and roles

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-06 12:40:00

- ``topic``: one row a topic, with its folding key (case, spaces, punctuation, "&"/"and" and simple
  plurals ignored) so "Food Poverty" and "food-poverty" are one topic; a merged topic keeps its row
  and points at the one it went into (``merged_into_id``);
- ``interaction_topic``: an interaction's topics, in the order typed;
- a ``version`` counter on ``interaction`` and ``elected_role``, so an edit form refuses to save
  over someone else's later change (as for people and organisations since 0002).

The comma-separated topics of existing interactions become managed topics: spelling variants fold
together under the most used spelling, and ``interaction.topics`` is rewritten as the readable
mirror of the links (same topics, one spelling each, no repeats).
"""

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crm.services.topics import fold_topic, mirror, split_topics

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 500


def upgrade() -> None:
    for table in ("interaction", "elected_role"):
        op.add_column(table, sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.create_table(
        "topic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["topic.id"], name=op.f("fk_topic_merged_into_id_topic"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic")),
        sa.UniqueConstraint("key", name=op.f("uq_topic_key")),
    )
    with op.batch_alter_table("topic", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topic_merged_into_id"), ["merged_into_id"], unique=False)
    op.create_table(
        "interaction_topic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_interaction_topic_interaction_id_interaction"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topic.id"], name=op.f("fk_interaction_topic_topic_id_topic"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interaction_topic")),
        sa.UniqueConstraint(
            "interaction_id", "topic_id", name="uq_interaction_topic_interaction_id_topic_id"
        ),
    )
    with op.batch_alter_table("interaction_topic", schema=None) as batch_op:
        batch_op.create_index(
            "ix_interaction_topic_topic_interaction", ["topic_id", "interaction_id"], unique=False
        )
    _parse_existing_topics()


def _parse_existing_topics() -> None:
    """Typed topics become topic rows and links; variants fold under their most used spelling."""
    bind = op.get_bind()
    interaction = sa.table("interaction", sa.column("id", sa.Integer), sa.column("topics", sa.String))
    topic = sa.table(
        "topic",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("key", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    link = sa.table(
        "interaction_topic",
        sa.column("interaction_id", sa.Integer),
        sa.column("topic_id", sa.Integer),
        sa.column("position", sa.Integer),
    )
    typed = bind.execute(
        sa.select(interaction.c.id, interaction.c.topics)
        .where(interaction.c.topics.is_not(None), interaction.c.topics != "")
        .order_by(interaction.c.id)
    ).all()
    if not typed:
        return
    split: dict[str, list[str]] = {}  # the same typed text is split once
    parsed = [
        (row[0], row[1], split.get(row[1]) or split.setdefault(row[1], split_topics(row[1]))) for row in typed
    ]
    spellings: dict[str, Counter[str]] = {}
    for _id, _text, names in parsed:
        for name in names:
            spellings.setdefault(fold_topic(name), Counter())[name] += 1
    # most_common keeps first-seen order among equals, so ties go to the earliest spelling.
    chosen = {key: counts.most_common(1)[0][0] for key, counts in spellings.items()}
    now = sa.func.current_timestamp()
    for key, name in chosen.items():
        bind.execute(sa.insert(topic).values(name=name, key=key, created_at=now, updated_at=now))
    ids = dict(bind.execute(sa.select(topic.c.key, topic.c.id)).all())
    links = [
        {"interaction_id": iid, "topic_id": ids[fold_topic(name)], "position": i}
        for iid, _text, names in parsed
        for i, name in enumerate(names)
    ]
    for start in range(0, len(links), _CHUNK):
        bind.execute(sa.insert(link), links[start : start + _CHUNK])
    # One prepared UPDATE run for all of them (executemany), not a statement per interaction.
    rewrite = []
    for iid, text, names in parsed:
        readable = mirror(chosen[fold_topic(n)] for n in names)
        if readable != text:
            rewrite.append({"iid": iid, "readable": readable})
    for start in range(0, len(rewrite), _CHUNK):
        bind.execute(
            sa.update(interaction)
            .where(interaction.c.id == sa.bindparam("iid"))
            .values(topics=sa.bindparam("readable")),
            rewrite[start : start + _CHUNK],
        )


def downgrade() -> None:
    with op.batch_alter_table("interaction_topic", schema=None) as batch_op:
        batch_op.drop_index("ix_interaction_topic_topic_interaction")
    op.drop_table("interaction_topic")
    with op.batch_alter_table("topic", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topic_merged_into_id"))
    op.drop_table("topic")
    for table in ("elected_role", "interaction"):
        with op.batch_alter_table(table, schema=None) as batch:
            batch.drop_column("version")
