"""Interactions (meetings, calls, emails, letters, events) and follow-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from crm import audit, versions
from crm.bulk import insert_rows
from crm.errors import NotFoundError, ValidationError
from crm.filters import search_condition
from crm.models import (
    Attendance,
    AttendanceStatus,
    Event,
    Interaction,
    InteractionKind,
    InteractionOrganisation,
    InteractionPerson,
    InteractionTopic,
    Organisation,
    Person,
    table_of,
    utcnow,
)
from crm.services import topics as topic_service
from crm.services.people import touch_last_contacted
from crm.services.trashable import set_deleted
from crm.text import clean_multiline, clean_text
from crm.util import chunked


def log_interaction(
    session: Session,
    *,
    subject: str,
    date: dt.date | None = None,
    kind: str = InteractionKind.MEETING.value,
    person_ids: Sequence[int] = (),
    organisation_ids: Sequence[int] = (),
    notes: str | None = None,
    topics: str | None = None,
    owner: str | None = None,
    follow_up_on: dt.date | None = None,
    event_id: int | None = None,
) -> Interaction:
    """Record one interaction with any number of people and organisations (bulk-safe)."""
    subject_clean = clean_text(subject)
    if not subject_clean:
        raise ValidationError("An interaction needs a subject.", "subject")
    kinds = {k.value for k in InteractionKind}
    kind = (clean_text(kind) or "other").lower()
    if kind not in kinds:
        raise ValidationError(f"{kind!r} is not a kind of interaction ({', '.join(sorted(kinds))}).", "kind")
    when = date or dt.date.today()
    interaction = Interaction(
        date=when,
        kind=kind,
        subject=subject_clean[:300],
        notes=clean_multiline(notes),
        topics=clean_text(topics),
        owner=clean_text(owner),
        follow_up_on=follow_up_on,
        event_id=event_id,
    )
    session.add(interaction)
    session.flush()
    if interaction.topics:
        topic_service.set_topics(session, interaction, interaction.topics)
    pids = list(dict.fromkeys(person_ids))
    if pids:
        insert_rows(
            session,
            table_of(InteractionPerson),
            [{"interaction_id": interaction.id, "person_id": p} for p in pids],
        )
        touch_last_contacted(session, pids, when)
    oids = list(dict.fromkeys(organisation_ids))
    if oids:
        insert_rows(
            session,
            table_of(InteractionOrganisation),
            [{"interaction_id": interaction.id, "organisation_id": o} for o in oids],
        )
    audit.record(
        session,
        "create",
        "interaction",
        interaction.id,
        new=subject_clean,
        details=f"{len(pids)} people, {len(oids)} organisations",
    )
    return interaction


def get_interaction(session: Session, interaction_id: int) -> Interaction:
    interaction = session.get(Interaction, interaction_id)
    if interaction is None:
        raise NotFoundError(f"There is no interaction with id {interaction_id}.")
    return interaction


# --- Editing ---------------------------------------------------------------------------------

#: The plain fields :func:`update_interaction` changes, with the words a message uses for each.
EDITABLE_FIELDS = {
    "subject": "subject",
    "kind": "kind",
    "date": "date",
    "notes": "notes",
    "owner": "owner",
    "topics": "topics",
    "follow_up_on": "follow-up date",
    "follow_up_done": "follow-up done",
}
#: What :func:`update_interaction` accepts besides the plain fields.
LINK_FIELDS = ("person_ids", "add_person_ids", "remove_person_ids", "organisation_ids")


def interaction_snapshot(session: Session, interaction_id: int) -> dict[str, Any]:
    """Everything the edit form changes, as :func:`update_interaction` takes it (for undo)."""
    it = get_interaction(session, interaction_id)
    return {
        "subject": it.subject,
        "kind": it.kind,
        "date": it.date,
        "notes": it.notes,
        "owner": it.owner,
        "topics": ", ".join(topic_service.topic_names(session, interaction_id)) or None,
        "follow_up_on": it.follow_up_on,
        "follow_up_done": bool(it.follow_up_done),
        "person_ids": sorted(
            session.scalars(
                select(InteractionPerson.person_id).where(InteractionPerson.interaction_id == interaction_id)
            )
        ),
        "organisation_ids": sorted(
            session.scalars(
                select(InteractionOrganisation.organisation_id).where(
                    InteractionOrganisation.interaction_id == interaction_id
                )
            )
        ),
    }


def _clean_changes(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(EDITABLE_FIELDS) - set(LINK_FIELDS)
    if unknown:
        raise ValidationError(
            f"An interaction has no {', '.join(sorted(unknown))} to change.", sorted(unknown)[0]
        )
    out = dict(changes)
    if "subject" in out:
        subject = clean_text(out["subject"])
        if not subject:
            raise ValidationError("An interaction needs a subject.", "subject")
        out["subject"] = subject[:300]
    if "kind" in out:
        kinds = {k.value for k in InteractionKind}
        kind = (clean_text(out["kind"]) or "").lower()
        if kind not in kinds:
            raise ValidationError(
                f"“{out['kind']}” is not a kind of interaction ({', '.join(sorted(kinds))}).", "kind"
            )
        out["kind"] = kind
    for field in ("date", "follow_up_on"):
        value = out.get(field)
        if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
            raise ValidationError(f"The {EDITABLE_FIELDS[field]} must be a date.", field)
    if "date" in out and out["date"] is None:
        raise ValidationError("An interaction needs a date.", "date")
    if "notes" in out:
        out["notes"] = clean_multiline(out["notes"])
    if "owner" in out:
        out["owner"] = clean_text(out["owner"])
        if out["owner"] and len(out["owner"]) > 100:
            raise ValidationError("The owner's name is longer than 100 characters.", "owner")
    if "follow_up_done" in out:
        out["follow_up_done"] = bool(out["follow_up_done"])
    return out


def update_interaction(
    session: Session,
    interaction_id: int,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
) -> Interaction:
    """Edit or correct an interaction; one call is one audited change.

    ``changes`` holds any of the plain fields (subject, kind, date, notes, owner, topics as typed,
    follow_up_on, follow_up_done) and the links: ``person_ids`` (the whole set) or
    ``add_person_ids``/``remove_person_ids``, and ``organisation_ids`` (the whole set). Every field
    that really changes is written to the audit log with its old and new value. When the date or the
    participants change, ``last_contacted`` of every person concerned is worked out again.

    ``expected_version`` is the version the form showed: a save over someone else's later change is
    refused with :class:`~crm.errors.StaleEdit` and nothing is written.

    Raises:
        ValidationError: a value is not acceptable (the message says which and why).
        NotFoundError: no such interaction, person or organisation.
        StaleEdit: the interaction changed since the form showed it.
    """
    interaction = get_interaction(session, interaction_id)
    if interaction.deleted_at is not None:
        raise ValidationError(
            f"“{interaction.subject}” is in the Trash: restore it before editing it.", "interaction"
        )
    values = _clean_changes(changes)
    before = interaction_snapshot(session, interaction_id)
    old_people = set(before["person_ids"])
    new_people = set(old_people)
    if "person_ids" in values:
        new_people = set(values["person_ids"])
    new_people |= set(values.get("add_person_ids") or ())
    new_people -= set(values.get("remove_person_ids") or ())
    added, removed = sorted(new_people - old_people), sorted(old_people - new_people)
    old_orgs = set(before["organisation_ids"])
    new_orgs = set(values["organisation_ids"]) if "organisation_ids" in values else old_orgs
    _check_exist(session, Person, added, "person")
    _check_exist(session, Organisation, sorted(new_orgs - old_orgs), "organisation")

    after = dict(before)
    for field in EDITABLE_FIELDS:
        if field in values and field != "topics":
            after[field] = values[field]
    if "topics" in values:
        wanted = topic_service.split_topics(values["topics"])
        after["topics"] = ", ".join(wanted) or None
    dates_edited = "date" in values or "follow_up_on" in values
    if dates_edited and after["follow_up_on"] is not None and after["follow_up_on"] < after["date"]:
        raise ValidationError(
            "The follow-up cannot be due before the interaction took place.", "follow_up_on"
        )
    if after["follow_up_on"] is None:
        after["follow_up_done"] = False  # nothing to be done
    topics_changed = "topics" in values and [
        topic_service.fold_topic(t) for t in topic_service.split_topics(after["topics"])
    ] != [topic_service.fold_topic(t) for t in topic_service.split_topics(before["topics"])]
    fields = [f for f in EDITABLE_FIELDS if f != "topics" and after[f] != before[f]]
    if not (fields or topics_changed or added or removed or new_orgs != old_orgs):
        return interaction

    versions.claim(
        session,
        Interaction,
        interaction_id,
        expected_version,
        entity="interaction",
        name=f"“{interaction.subject}”",
    )
    for field in fields:
        audit.record(session, "update", "interaction", interaction_id, field, before[field], after[field])
        setattr(interaction, field, after[field])
    if topics_changed:
        names = topic_service.set_topics(session, interaction, after["topics"])
        audit.record(
            session,
            "update",
            "interaction",
            interaction_id,
            "topics",
            before["topics"],
            ", ".join(names) or None,
        )
    interaction.updated_at = utcnow()
    _relink_people(session, interaction_id, added, removed)
    if new_orgs != old_orgs:
        _relink_organisations(
            session, interaction_id, sorted(new_orgs - old_orgs), sorted(old_orgs - new_orgs)
        )
    session.flush()
    if before["date"] != after["date"]:
        concerned = sorted(old_people | new_people)
    else:
        concerned = sorted(set(added) | set(removed))
    if concerned:
        recompute_last_contacted(session, concerned, forget=before["date"])
    return interaction


def _check_exist(session: Session, model: Any, ids: Sequence[int], what: str) -> None:
    for start in range(0, len(ids), 900):
        part = list(ids[start : start + 900])
        found = set(session.scalars(select(model.id).where(model.id.in_(part))))
        missing = [i for i in part if i not in found]
        if missing:
            raise NotFoundError(f"There is no {what} with id {missing[0]}.")


def _names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for start in range(0, len(ids), 900):
        for pid, first, last in session.execute(
            select(Person.id, Person.first_name, Person.last_name).where(
                Person.id.in_(list(ids[start : start + 900]))
            )
        ):
            names[pid] = " ".join(p for p in (first, last) if p) or f"Person {pid}"
    return names


def _relink_people(session: Session, interaction_id: int, added: list[int], removed: list[int]) -> None:
    if not (added or removed):
        return
    names = _names(session, [*added, *removed])
    if added:
        insert_rows(
            session,
            table_of(InteractionPerson),
            [{"interaction_id": interaction_id, "person_id": p} for p in added],
        )
    for start in range(0, len(removed), 900):
        session.execute(
            delete(InteractionPerson).where(
                InteractionPerson.interaction_id == interaction_id,
                InteractionPerson.person_id.in_(removed[start : start + 900]),
            )
        )
    # One entry a person; ``details`` carries the id so an erasure can blank the name (crm.privacy).
    audit.record_many(
        session,
        [
            {
                "action": "update",
                "entity": "interaction",
                "entity_id": interaction_id,
                "field": "participants",
                "old": None if pid in added else names.get(pid),
                "new": names.get(pid) if pid in added else None,
                "details": f"person {pid}",
            }
            for pid in [*added, *removed]
        ],
    )
    session.expire_all()


def _relink_organisations(
    session: Session, interaction_id: int, added: list[int], removed: list[int]
) -> None:
    names: dict[int, str] = {
        oid: name
        for oid, name in session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_([*added, *removed]))
        )
    }
    if added:
        insert_rows(
            session,
            table_of(InteractionOrganisation),
            [{"interaction_id": interaction_id, "organisation_id": o} for o in added],
        )
    if removed:
        session.execute(
            delete(InteractionOrganisation).where(
                InteractionOrganisation.interaction_id == interaction_id,
                InteractionOrganisation.organisation_id.in_(removed),
            )
        )
    for oid in [*added, *removed]:
        audit.record(
            session,
            "update",
            "interaction",
            interaction_id,
            "organisations",
            None if oid in added else names.get(oid),
            names.get(oid) if oid in added else None,
            details=f"organisation {oid}",
        )
    session.expire_all()


def recompute_last_contacted(
    session: Session,
    person_ids: Sequence[int],
    *,
    forget: dt.date | Mapping[int, Collection[dt.date]] | None = None,
) -> None:
    """Work out ``last_contacted`` again for these people after an interaction's date or people
    changed, or interactions or events went to the Trash or came back.

    It becomes the latest of their interactions and attended events (neither in the Trash). A date
    that came from elsewhere (an imported spreadsheet's "last contacted") is kept as the floor,
    unless it is one to ``forget``: the date this change may have taken away (an interaction's old
    date), or per person the dates of what went to the Trash.
    """

    def forgotten(pid: int) -> Collection[dt.date]:
        if forget is None:
            return ()
        if isinstance(forget, dt.date):
            return (forget,)
        return forget.get(pid, ())

    ids = list(dict.fromkeys(person_ids))
    for start in range(0, len(ids), 900):
        part = ids[start : start + 900]
        latest: dict[int, dt.date] = {
            pid: when
            for pid, when in session.execute(
                select(InteractionPerson.person_id, func.max(Interaction.date))
                .join(Interaction, Interaction.id == InteractionPerson.interaction_id)
                .where(InteractionPerson.person_id.in_(part), Interaction.deleted_at.is_(None))
                .group_by(InteractionPerson.person_id)
            )
            if when is not None
        }
        for pid, when in session.execute(
            select(Attendance.person_id, func.max(Event.starts_on))
            .join(Event, Event.id == Attendance.event_id)
            .where(
                Attendance.person_id.in_(part),
                Attendance.status == AttendanceStatus.ATTENDED.value,
                Event.starts_on.is_not(None),
                Event.deleted_at.is_(None),
            )
            .group_by(Attendance.person_id)
        ):
            if when is not None and (pid not in latest or when > latest[pid]):
                latest[pid] = when
        for pid, stored in session.execute(
            select(Person.id, Person.last_contacted).where(Person.id.in_(part))
        ):
            floor = None if stored in forgotten(pid) else stored
            candidates = [d for d in (latest.get(pid), floor) if d is not None]
            value = max(candidates) if candidates else None
            if value != stored:
                session.execute(update(Person).where(Person.id == pid).values(last_contacted=value))


def set_follow_up_done(session: Session, interaction_id: int, done: bool = True) -> None:
    interaction = get_interaction(session, interaction_id)
    if interaction.follow_up_done != done:
        audit.record(
            session,
            "update",
            "interaction",
            interaction_id,
            "follow_up_done",
            interaction.follow_up_done,
            done,
        )
        interaction.follow_up_done = done
        interaction.updated_at = utcnow()
        session.flush()


def _participant_dates(session: Session, ids: Sequence[int], *, in_trash: bool) -> dict[int, set[dt.date]]:
    """person id → the dates of those of these interactions they took part in (in or out of the Trash)."""
    out: dict[int, set[dt.date]] = {}
    state = Interaction.deleted_at.is_not(None) if in_trash else Interaction.deleted_at.is_(None)
    for part in chunked(list(dict.fromkeys(ids))):
        for pid, when in session.execute(
            select(InteractionPerson.person_id, Interaction.date)
            .join(Interaction, Interaction.id == InteractionPerson.interaction_id)
            .where(InteractionPerson.interaction_id.in_(part), state)
        ):
            out.setdefault(pid, set()).add(when)
    return out


def trash_interactions(session: Session, ids: Sequence[int]) -> int:
    """Move interactions to the Trash; their people's "last contacted" no longer counts them."""
    dates = _participant_dates(session, ids, in_trash=False)
    moved = set_deleted(session, Interaction, "interaction", ids, deleted=True)
    if moved:
        recompute_last_contacted(session, list(dates), forget=dates)
    return moved


def restore_interactions(session: Session, ids: Sequence[int]) -> int:
    """Bring interactions back from the Trash; their people's "last contacted" counts them again."""
    dates = _participant_dates(session, ids, in_trash=True)
    moved = set_deleted(session, Interaction, "interaction", ids, deleted=False)
    if moved:
        recompute_last_contacted(session, list(dates))
    return moved


def timeline(session: Session, person_id: int, limit: int = 200) -> list[Interaction]:
    """A person's interactions, newest first."""
    return list(
        session.scalars(
            select(Interaction)
            .join(InteractionPerson, InteractionPerson.interaction_id == Interaction.id)
            .where(InteractionPerson.person_id == person_id, Interaction.deleted_at.is_(None))
            .order_by(Interaction.date.desc(), Interaction.id.desc())
            .limit(limit)
        )
    )


def list_interactions(session: Session, limit: int = 1000, text: str | None = None) -> list[Interaction]:
    stmt = (
        select(Interaction)
        .where(Interaction.deleted_at.is_(None))
        .order_by(Interaction.date.desc(), Interaction.id.desc())
    )
    if text:
        stmt = stmt.where(Interaction.subject.ilike(f"%{text}%"))
    return list(session.scalars(stmt.limit(limit)))


def follow_ups(
    session: Session, *, today: dt.date | None = None, include_future: bool = True
) -> list[Interaction]:
    """Open follow-ups, oldest due first (overdue ones are those due before today)."""
    stmt = select(Interaction).where(
        Interaction.deleted_at.is_(None),
        Interaction.follow_up_on.is_not(None),
        Interaction.follow_up_done.is_(False),
    )
    if not include_future:
        stmt = stmt.where(Interaction.follow_up_on <= (today or dt.date.today()))
    return list(session.scalars(stmt.order_by(Interaction.follow_up_on, Interaction.id)))


def count_overdue(session: Session, today: dt.date | None = None) -> int:
    from sqlalchemy import func

    return (
        session.scalar(
            select(func.count(Interaction.id)).where(
                Interaction.deleted_at.is_(None),
                Interaction.follow_up_done.is_(False),
                Interaction.follow_up_on < (today or dt.date.today()),
            )
        )
        or 0
    )


def participants(session: Session, interaction_id: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Person.id, Person.first_name, Person.last_name)
        .join(InteractionPerson, InteractionPerson.person_id == Person.id)
        .where(InteractionPerson.interaction_id == interaction_id)
        .order_by(Person.last_name, Person.first_name)
    ).all()
    return [(r[0], " ".join(p for p in (r[1], r[2]) if p)) for r in rows]


# --- The interactions list: filtered, paged and counted in SQL ----------------------------------

NAMES_SHOWN = 3


@dataclass(frozen=True)
class InteractionQuery:
    """Which interactions the list shows."""

    text: str | None = None
    kind: str | None = None
    topic_id: int | None = None


@dataclass(frozen=True)
class InteractionRow:
    id: int
    date: dt.date
    kind: str
    subject: str
    people: str
    owner: str | None
    follow_up_on: dt.date | None
    follow_up_done: bool


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(query: InteractionQuery, dialect: str) -> list[Any]:
    conditions: list[Any] = [Interaction.deleted_at.is_(None)]
    if query.kind:
        conditions.append(Interaction.kind == query.kind)
    if query.topic_id is not None:
        conditions.append(
            Interaction.id.in_(
                select(InteractionTopic.interaction_id).where(InteractionTopic.topic_id == query.topic_id)
            )
        )
    if query.text:
        like = _like(query.text)
        # SQLite's LIKE already ignores case (ASCII), and twice as fast as ILIKE's lower() calls.
        columns = (Interaction.subject, Interaction.notes, Interaction.topics, Interaction.owner)
        matches: list[Any] = [
            c.like(like, escape="\\") if dialect == "sqlite" else c.ilike(like, escape="\\") for c in columns
        ]
        # Participants are found the way the People list finds them (the search index, accents
        # ignored), once for the whole query rather than once per interaction.
        if (people := search_condition(dialect, query.text)) is not None:
            matches.append(
                Interaction.id.in_(
                    select(InteractionPerson.interaction_id).where(
                        InteractionPerson.person_id.in_(select(Person.id).where(people))
                    )
                )
            )
        conditions.append(or_(*matches))
    return conditions


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def count_interactions(session: Session, query: InteractionQuery) -> int:
    return (
        session.scalar(select(func.count(Interaction.id)).where(*_conditions(query, _dialect(session)))) or 0
    )


def fetch_page(
    session: Session,
    query: InteractionQuery,
    after: tuple[dt.date, int] | None = None,
    limit: int = 200,
) -> list[InteractionRow]:
    """One page, newest first, starting after ``(date, id)`` of the last row already shown (keyset)."""
    stmt = select(
        Interaction.id,
        Interaction.date,
        Interaction.kind,
        Interaction.subject,
        Interaction.owner,
        Interaction.follow_up_on,
        Interaction.follow_up_done,
    ).where(*_conditions(query, _dialect(session)))
    if after is not None:
        date, last_id = after
        stmt = stmt.where(
            or_(Interaction.date < date, and_(Interaction.date == date, Interaction.id < last_id))
        )
    rows = session.execute(stmt.order_by(Interaction.date.desc(), Interaction.id.desc()).limit(limit)).all()
    names = participant_summaries(session, [r[0] for r in rows])
    return [InteractionRow(r[0], r[1], r[2], r[3], names.get(r[0], ""), r[4], r[5], bool(r[6])) for r in rows]


def participant_summaries(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """ "Ann Bell, Rhys Owen and 12 others" for each interaction."""
    if not ids:
        return {}
    names: dict[int, list[str]] = {}
    for interaction_id, first, last in session.execute(
        select(InteractionPerson.interaction_id, Person.first_name, Person.last_name)
        .join(Person, Person.id == InteractionPerson.person_id)
        .where(InteractionPerson.interaction_id.in_(list(ids)), Person.deleted_at.is_(None))
        .order_by(Person.last_name, Person.first_name)
    ):
        names.setdefault(interaction_id, []).append(" ".join(p for p in (first, last) if p))
    out: dict[int, str] = {}
    for interaction_id, people in names.items():
        shown = ", ".join(people[:NAMES_SHOWN])
        rest = len(people) - NAMES_SHOWN
        out[interaction_id] = f"{shown} and {rest} other{'s' if rest != 1 else ''}" if rest > 0 else shown
    return out
