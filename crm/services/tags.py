"""Tags on people."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import insert_rows
from crm.errors import ValidationError
from crm.models import Person, PersonTag, Tag, table_of
from crm.text import clean_text
from crm.util import chunked


def get_or_create_tag(session: Session, name: str) -> Tag:
    cleaned = clean_text(name)
    if not cleaned:
        raise ValidationError("A tag needs a name.", "tag")
    if len(cleaned) > 100:
        raise ValidationError("A tag is at most 100 characters.", "tag")
    tag = session.scalars(select(Tag).where(func.lower(Tag.name) == cleaned.lower())).first()
    if tag is None:
        tag = Tag(name=cleaned)
        session.add(tag)
        session.flush()
        audit.record(session, "create", "tag", tag.id, new=cleaned)
    return tag


def tag_people(session: Session, person_ids: Sequence[int], name: str, *, batch_id: int | None = None) -> int:
    """Add a tag to people (bulk); returns how many gained it."""
    tag = get_or_create_tag(session, name)
    ids = list(dict.fromkeys(person_ids))
    have: set[int] = set()
    for part in chunked(ids):
        have.update(
            session.scalars(
                select(PersonTag.person_id).where(PersonTag.tag_id == tag.id, PersonTag.person_id.in_(part))
            )
        )
    new = [pid for pid in ids if pid not in have]
    if new:
        insert_rows(
            session,
            table_of(PersonTag),
            [{"person_id": pid, "tag_id": tag.id, "import_batch_id": batch_id} for pid in new],
        )
        audit.record_many(
            session,
            (
                {"action": "link", "entity": "person", "entity_id": pid, "field": "tag", "new": tag.name}
                for pid in new
            ),
            batch_id=batch_id,
        )
    return len(new)


def untag_people(session: Session, person_ids: Sequence[int], name: str) -> int:
    tag = session.scalars(select(Tag).where(func.lower(Tag.name) == (clean_text(name) or "").lower())).first()
    if tag is None:
        return 0
    removed: list[int] = []
    for part in chunked(list(person_ids)):
        found = list(
            session.scalars(
                select(PersonTag.person_id).where(PersonTag.tag_id == tag.id, PersonTag.person_id.in_(part))
            )
        )
        if found:
            session.execute(
                delete(PersonTag).where(PersonTag.tag_id == tag.id, PersonTag.person_id.in_(found))
            )
            removed.extend(found)
    audit.record_many(
        session,
        (
            {"action": "unlink", "entity": "person", "entity_id": pid, "field": "tag", "old": tag.name}
            for pid in removed
        ),
    )
    return len(removed)


def tags_of(session: Session, person_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Tag.name)
            .join(PersonTag, PersonTag.tag_id == Tag.id)
            .where(PersonTag.person_id == person_id)
            .order_by(Tag.name)
        )
    )


def all_tags(session: Session) -> list[tuple[str, int]]:
    """(tag, people) by name, counting people not in the Trash."""
    rows = session.execute(
        select(Tag.name, func.count(Person.id))
        .select_from(Tag)
        .outerjoin(PersonTag, PersonTag.tag_id == Tag.id)
        .outerjoin(Person, (Person.id == PersonTag.person_id) & Person.deleted_at.is_(None))
        .group_by(Tag.id, Tag.name)
        .order_by(Tag.name)
    ).all()
    return [(r[0], r[1]) for r in rows]
