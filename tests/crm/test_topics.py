"""Managed topics: one topic however it is spelt, counted, renamed and merged, undoably."""

from __future__ import annotations

import pytest

from crm import audit
from crm.db import Database
from crm.errors import ValidationError
from crm.services import interactions, topics
from crm.services.interactions import InteractionQuery, count_interactions, fetch_page


@pytest.mark.parametrize(
    "spelling",
    ["food poverty", "Food Poverty", "food-poverty", " food  poverty. ", "FOOD POVERTIES", "Food_poverty"],
)
def test_spelling_variants_fold_to_one_key(spelling: str) -> None:
    assert topics.fold_topic(spelling) == "food poverty"


def test_ampersand_and_and_fold_together_and_non_plurals_keep_their_s() -> None:
    assert topics.fold_topic("Health & Social Care") == topics.fold_topic("health and social care")
    assert topics.fold_topic("wellness") == "wellness" and topics.fold_topic("census") == "census"
    assert topics.fold_topic("Food banks") == topics.fold_topic("food bank")
    assert topics.split_topics("housing; Housing, loneliness,,") == ["housing", "loneliness"]


def _log(session, subject: str, typed: str) -> int:
    return interactions.log_interaction(session, subject=subject, topics=typed).id


def test_typed_variants_become_one_topic_with_a_count(db: Database) -> None:
    with db.transaction() as session:
        _log(session, "A", "food poverty, housing")
        _log(session, "B", "Food Poverty")
        _log(session, "C", "food-poverty; Loneliness")
        trashed = _log(session, "D", "food poverty")
        interactions.trash_interactions(session, [trashed])
    with db.session() as session:
        rows = {r.name: r.count for r in topics.list_topics(session)}
        # The Trash is not counted; the first spelling names the topic.
        assert rows == {"food poverty": 3, "housing": 1, "Loneliness": 1}
        assert [r.name for r in topics.list_topics(session, "POVERT")] == ["food poverty"]


def test_the_interactions_list_filters_by_topic(db: Database) -> None:
    with db.transaction() as session:
        a = _log(session, "A", "food poverty, housing")
        _log(session, "B", "housing")
        food = topics.find_or_create(session, "Food Poverty").id
    with db.session() as session:
        query = InteractionQuery(topic_id=food)
        assert count_interactions(session, query) == 1
        assert [r.id for r in fetch_page(session, query)] == [a]


def test_rename_changes_every_interactions_readable_topics_and_is_audited(db: Database) -> None:
    with db.transaction() as session:
        a = _log(session, "A", "housing, food povrty")
        topic_id = topics.find_or_create(session, "food povrty").id
    with db.transaction() as session:
        topics.rename_topic(session, topic_id, "Food poverty")
    with db.session() as session:
        assert interactions.get_interaction(session, a).topics == "housing, Food poverty"
        assert topics.find_or_create(session, "food poverty").id == topic_id
        (entry,) = [e for e in audit.history(session, "topic", topic_id) if e.action == "update"]
        assert (entry.old_value, entry.new_value) == ("food povrty", "Food poverty")


def test_rename_onto_another_topic_is_refused_with_a_plain_sentence(db: Database) -> None:
    with db.transaction() as session:
        _log(session, "A", "housing, homes")
        homes = topics.find_or_create(session, "homes").id
    with db.transaction() as session, pytest.raises(ValidationError, match="merge"):
        topics.rename_topic(session, homes, "Housing")


def test_merge_folds_interactions_and_the_spelling_and_unmerge_puts_it_back(db: Database) -> None:
    with db.transaction() as session:
        a = _log(session, "A", "food bank")
        b = _log(session, "B", "food bank, food poverty")
        c = _log(session, "C", "food poverty")
        keep = topics.find_or_create(session, "food poverty").id
        other = topics.find_or_create(session, "food bank").id
    with db.transaction() as session:
        result = topics.merge_topics(session, keep, other)
    with db.session() as session:
        assert {r.name: r.count for r in topics.list_topics(session)} == {"food poverty": 3}
        assert interactions.get_interaction(session, a).topics == "food poverty"
        assert interactions.get_interaction(session, b).topics == "food poverty"
        # The merged spelling leads to the kept topic from now on.
        assert topics.find_or_create(session, "Food Banks").id == keep
        assert next(e.action for e in audit.history(session, "topic", other)) == "merge"
    with db.transaction() as session:
        topics.unmerge_topics(session, result)
    with db.session() as session:
        assert {r.name: r.count for r in topics.list_topics(session)} == {"food poverty": 2, "food bank": 2}
        assert interactions.get_interaction(session, a).topics == "food bank"
        assert set(topics.topic_names(session, b)) == {"food bank", "food poverty"}
        assert interactions.get_interaction(session, c).topics == "food poverty"


def test_a_topic_cannot_be_merged_into_itself(db: Database) -> None:
    with db.transaction() as session:
        t = topics.find_or_create(session, "housing").id
    with db.transaction() as session, pytest.raises(ValidationError):
        topics.merge_topics(session, t, t)


def test_the_migration_parses_typed_topics_on_every_database(db: Database) -> None:
    """Revision 0011's data step, run on SQLite and PostgreSQL against typed topics."""
    import importlib.util

    import sqlalchemy as sa
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from crm.db import MIGRATIONS_DIR

    path = next(MIGRATIONS_DIR.joinpath("versions").glob("0011_*.py"))
    spec = importlib.util.spec_from_file_location("revision_0011", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with db.engine.begin() as conn:
        for i, typed in enumerate(
            ["Food Poverty, housing", "food-poverty;Housing", "food poverty", "food poverty", None]
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO interaction (date, kind, subject, topics, follow_up_done, created_at, updated_at)"
                    " VALUES (:d, 'meeting', :s, :t, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"d": f"2026-01-0{i + 1}", "s": f"Visit {i}", "t": typed},
            )
        with Operations.context(MigrationContext.configure(conn)):
            module._parse_existing_topics()
    with db.session() as session:
        assert {r.name: r.count for r in topics.list_topics(session)} == {"food poverty": 4, "housing": 2}
        texts = [i.topics for i in interactions.list_interactions(session)]
        assert sorted(t or "" for t in texts) == [
            "",
            "food poverty",
            "food poverty",
            "food poverty, housing",
            "food poverty, housing",
        ]
