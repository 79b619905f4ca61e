"""Managed topics: one topic however it is spelt, counted, renamed and merged (revision 0011).

An interaction's topics are links to ``topic`` rows (``interaction_topic``), in the order typed;
``Interaction.topics`` stays as their readable mirror ("housing, food poverty") because search,
exports and the subject access workbook read it. Typing a topic finds it by its *folding key*
(case, spaces, punctuation, "&" for "and" and simple plurals ignored), so "Food Poverty",
"food-poverty" and "food poverties" are the one topic. A topic merged into another keeps its row
and points at the other: typing its spelling then leads there, and the merge can be undone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.errors import NotFoundError, ValidationError
from crm.models import Interaction, InteractionTopic, Topic, table_of, utcnow
from crm.text import clean_text

NAME_LENGTH = 100
MIRROR_LENGTH = 500
_CHUNK = 900  # under every SQLite build's bound-parameter limit
_SEPARATORS = re.compile(r"[,;\n]+")
_NOT_WORD = re.compile(r"[^\w]+")
# Words whose final "s" is not a plural ("bus", "analysis", "census", "wellness").
_KEEP_S = ("ss", "us", "is", "ys")


def _singular(word: str) -> str:
    """A simple English singular: "policies" → "policy", "banks" → "bank", "boxes" → "box"."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_KEEP_S):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    return word[:-1]


@lru_cache(maxsize=8192)  # the same few spellings again and again (upgrades, merges)
def fold_topic(name: str) -> str:
    """The key two spellings of one topic share (case, accents, spaces, punctuation, "&", plurals)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    text = text.replace("&", " and ").replace("+", " and ")
    words = [w for w in _NOT_WORD.split(text.replace("_", " ")) if w]
    return " ".join(_singular(w) for w in words)[:NAME_LENGTH]


def split_topics(text: str | None) -> list[str]:
    """Typed topics ("housing, Food poverty; housing") as clean names, each key once, in order."""
    out: list[str] = []
    seen: set[str] = set()
    for part in _SEPARATORS.split(text or ""):
        name = clean_text(part.strip(" .-–—'\"")) or ""
        key = fold_topic(name)
        if key and key not in seen:
            seen.add(key)
            out.append(name[:NAME_LENGTH])
    return out


@dataclass(frozen=True)
class TopicRow:
    """A topic as the Topics list shows it."""

    id: int
    name: str
    count: int


def _resolve(session: Session, topic: Topic) -> Topic:
    """Follow merges to the topic that stands now."""
    seen = {topic.id}
    while topic.merged_into_id is not None and topic.merged_into_id not in seen:
        target = session.get(Topic, topic.merged_into_id)
        if target is None:
            break
        seen.add(target.id)
        topic = target
    return topic


def get_topic(session: Session, topic_id: int) -> Topic:
    topic = session.get(Topic, topic_id)
    if topic is None:
        raise NotFoundError(f"There is no topic with id {topic_id}.")
    return topic


def find_or_create(session: Session, name: str) -> Topic:
    """The topic this spelling means (following merges), created when new."""
    clean = (clean_text(name) or "")[:NAME_LENGTH]
    key = fold_topic(clean)
    if not key:
        raise ValidationError(f"“{name}” is not a topic: give it a name with letters or numbers.", "topics")
    topic = session.scalar(select(Topic).where(Topic.key == key))
    if topic is not None:
        return _resolve(session, topic)
    topic = Topic(name=clean, key=key)
    session.add(topic)
    session.flush()
    audit.record(session, "create", "topic", topic.id, new=clean)
    return topic


def topic_names(session: Session, interaction_id: int) -> list[str]:
    """An interaction's topics in the order typed."""
    return list(
        session.scalars(
            select(Topic.name)
            .join(InteractionTopic, InteractionTopic.topic_id == Topic.id)
            .where(InteractionTopic.interaction_id == interaction_id)
            .order_by(InteractionTopic.position, InteractionTopic.id)
        )
    )


def mirror(names: Iterable[str]) -> str | None:
    """The readable ``Interaction.topics`` for these names (None when there are none)."""
    text = ", ".join(names)
    if len(text) > MIRROR_LENGTH:
        text = text[: MIRROR_LENGTH - 1].rsplit(",", 1)[0]
    return text or None


def set_topics(session: Session, interaction: Interaction, typed: str | Sequence[str] | None) -> list[str]:
    """Link the interaction to exactly these topics (typed text or names); returns their names.

    Writes no audit entry: the caller records the change of the interaction's topics.
    """
    names = split_topics(typed if isinstance(typed, str) or typed is None else ", ".join(typed))
    topics: list[Topic] = []
    for name in names:
        topic = find_or_create(session, name)
        if topic.id not in {t.id for t in topics}:
            topics.append(topic)
    session.execute(delete(InteractionTopic).where(InteractionTopic.interaction_id == interaction.id))
    if topics:
        session.execute(
            insert(InteractionTopic),
            [
                {"interaction_id": interaction.id, "topic_id": t.id, "position": i}
                for i, t in enumerate(topics)
            ],
        )
    interaction.topics = mirror(t.name for t in topics)
    session.flush()
    return [t.name for t in topics]


def list_topics(session: Session, text: str | None = None) -> list[TopicRow]:
    """Topics that stand (not merged away), by name, with how many interactions (not in the Trash)."""
    count = (
        select(func.count(InteractionTopic.id))
        .join(Interaction, Interaction.id == InteractionTopic.interaction_id)
        .where(InteractionTopic.topic_id == Topic.id, Interaction.deleted_at.is_(None))
        .correlate(Topic)
        .scalar_subquery()
    )
    stmt = select(Topic.id, Topic.name, count).where(Topic.merged_into_id.is_(None))
    if text and (key := fold_topic(text)):
        stmt = stmt.where(Topic.key.contains(key, autoescape=True))
    rows = session.execute(stmt.order_by(func.lower(Topic.name), Topic.id)).all()
    return [TopicRow(r[0], r[1], int(r[2] or 0)) for r in rows]


def _refresh_mirrors(session: Session, interaction_ids: Sequence[int]) -> None:
    """Rewrite the readable topics of these interactions from their links (after a rename or merge)."""
    ids = list(dict.fromkeys(interaction_ids))
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        names: dict[int, list[str]] = {i: [] for i in part}
        for interaction_id, name in session.execute(
            select(InteractionTopic.interaction_id, Topic.name)
            .join(Topic, Topic.id == InteractionTopic.topic_id)
            .where(InteractionTopic.interaction_id.in_(part))
            .order_by(InteractionTopic.interaction_id, InteractionTopic.position, InteractionTopic.id)
        ):
            names[interaction_id].append(name)
        # One prepared UPDATE run for every interaction (executemany): a rename of a topic on
        # 20,000 interactions stays a couple of round trips per chunk.
        table = table_of(Interaction)
        now = utcnow()
        session.execute(
            update(table)
            .where(table.c.id == bindparam("iid"))
            .values(topics=bindparam("text"), updated_at=now, version=table.c.version + 1),
            [{"iid": i, "text": mirror(its)} for i, its in names.items()],
        )
    session.expire_all()


def _interactions_of(session: Session, topic_id: int) -> list[int]:
    return list(
        session.scalars(select(InteractionTopic.interaction_id).where(InteractionTopic.topic_id == topic_id))
    )


def rename_topic(session: Session, topic_id: int, new_name: str) -> Topic:
    """Rename a topic everywhere it is used. A name that means another topic is refused (merge instead)."""
    topic = get_topic(session, topic_id)
    clean = (clean_text(new_name) or "")[:NAME_LENGTH]
    key = fold_topic(clean)
    if not key:
        raise ValidationError("Give the topic a name with letters or numbers.", "name")
    other = session.scalar(select(Topic).where(Topic.key == key, Topic.id != topic_id))
    if other is not None:
        standing = _resolve(session, other)
        if standing.id != topic_id:
            raise ValidationError(
                f"There is already a topic “{standing.name}”: merge “{topic.name}” into it instead.", "name"
            )
        # The new name is the spelling of a topic merged into this one: that spelling now names it.
        other.key = f"{other.key}#{other.id}"[:NAME_LENGTH]
        session.flush()
    if clean == topic.name and key == topic.key:
        return topic
    audit.record(session, "update", "topic", topic_id, "name", topic.name, clean)
    topic.name = clean
    topic.key = key
    session.flush()
    _refresh_mirrors(session, _interactions_of(session, topic_id))
    return get_topic(session, topic_id)


@dataclass(frozen=True)
class MergeResult:
    """What a merge did, so it can be undone: ``moved`` interactions had only the merged topic's link
    (now the kept one's); ``shared`` had both (their link to the merged topic was dropped)."""

    kept_id: int
    merged_id: int
    moved: list[int]
    shared: list[int]


def merge_topics(session: Session, keep_id: int, merge_id: int) -> MergeResult:
    """Fold topic ``merge_id`` into ``keep_id``: its interactions get the kept topic, its spelling
    leads there from now on. Nothing is deleted, so :func:`unmerge_topics` puts it back."""
    if keep_id == merge_id:
        raise ValidationError("Choose two different topics to merge.", "topics")
    keep = get_topic(session, keep_id)
    other = get_topic(session, merge_id)
    if keep.merged_into_id is not None or other.merged_into_id is not None:
        raise ValidationError("That topic has already been merged into another; refresh the list.", "topics")
    theirs = set(_interactions_of(session, merge_id))
    mine = set(_interactions_of(session, keep_id))
    shared = sorted(theirs & mine)
    moved = sorted(theirs - mine)
    for start in range(0, len(shared), _CHUNK):
        session.execute(
            delete(InteractionTopic).where(
                InteractionTopic.topic_id == merge_id,
                InteractionTopic.interaction_id.in_(shared[start : start + _CHUNK]),
            )
        )
    session.execute(
        update(InteractionTopic).where(InteractionTopic.topic_id == merge_id).values(topic_id=keep_id),
        execution_options={"synchronize_session": False},
    )
    other.merged_into_id = keep_id
    audit.record(
        session,
        "merge",
        "topic",
        merge_id,
        "merged_into",
        other.name,
        keep.name,
        details=f"{len(theirs)} interactions now have the topic “{keep.name}”",
    )
    session.flush()
    _refresh_mirrors(session, sorted(theirs))
    return MergeResult(keep_id, merge_id, moved, shared)


def unmerge_topics(session: Session, result: MergeResult) -> None:
    """Undo :func:`merge_topics`: the merged topic stands again with the interactions it had."""
    other = get_topic(session, result.merged_id)
    keep = get_topic(session, result.kept_id)
    for start in range(0, len(result.moved), _CHUNK):
        session.execute(
            update(InteractionTopic)
            .where(
                InteractionTopic.topic_id == result.kept_id,
                InteractionTopic.interaction_id.in_(result.moved[start : start + _CHUNK]),
            )
            .values(topic_id=result.merged_id),
            execution_options={"synchronize_session": False},
        )
    if result.shared:
        session.execute(
            insert(InteractionTopic),
            [{"interaction_id": i, "topic_id": result.merged_id, "position": 99} for i in result.shared],
        )
    other.merged_into_id = None
    audit.record(session, "unmerge", "topic", result.merged_id, "merged_into", keep.name, None)
    session.flush()
    _refresh_mirrors(session, [*result.moved, *result.shared])
