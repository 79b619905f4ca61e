"""Erasure ("forget me"): the person and their personal data removed everywhere.

What goes: the person's record with every email, phone and address, types, tags, roles,
external identifiers, memberships with their periods and groups, consents, attendances and
placements with their notes, retention decisions and export lines; interactions they were the only
participant in (their notes are about them); their entry in the search index; the old and new
values of every change recorded on them, their consents, roles and identifiers in the audit log,
and any audit value or detail, export description or event part's host naming them or holding
one of their addresses or numbers; their names, addresses and numbers in the subjects and notes of
the interactions they shared (replaced by "[erased]"); records merged into them (the same person,
kept for the merge's undo) and those merges' undo data; plain suppression entries for their
addresses.

What stays: one audit entry "erased" with when, by whom and the reason, and a suppression entry for
each address kept only as a keyed hash (see :mod:`crm.privacy.suppression`), so an old spreadsheet
cannot bring them back as contactable. Interactions shared with other people stay, without them.

Copies made before the erasure (automatic backups, upgrade backups) still hold the old data until
they expire: :func:`backups_holding` lists them so the user can say so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select, true, update
from sqlalchemy.orm import Session

from crm import audit
from crm.db import Database
from crm.errors import NotFoundError, ValidationError
from crm.models import (
    AuditEntry,
    Consent,
    ContactPoint,
    ElectedRole,
    EventPart,
    ExportLog,
    Interaction,
    InteractionPerson,
    Membership,
    MembershipPeriod,
    MergedRecord,
    MergeRecord,
    Person,
    PersonIdentifier,
)
from crm.privacy.suppression import suppress_hashed
from crm.text import clean_text

REASON_MAX = 500
# What an erased person's name, address or number becomes in text that stays (shared notes).
ERASED = "[erased]"


@dataclass(frozen=True)
class BackupFile:
    """A copy of the database that still holds an erased person's data."""

    path: Path
    modified: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "modified": self.modified.isoformat(timespec="seconds")}


@dataclass
class ErasureResult:
    person_id: int
    erased_at: dt.datetime
    by: str
    reason: str
    suppressed: int  # addresses kept as keyed hashes
    interactions_removed: int
    interactions_kept: int
    created_at: dt.datetime | None = None
    backups: list[BackupFile] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "erased": self.person_id,
            "erased_at": self.erased_at.isoformat(timespec="seconds"),
            "by": self.by,
            "reason": self.reason,
            "suppressed_addresses": self.suppressed,
            "interactions_removed": self.interactions_removed,
            "interactions_kept_without_them": self.interactions_kept,
            "backups_still_holding_data": [b.as_dict() for b in self.backups],
            "backups_note": BACKUP_NOTE if self.backups else None,
        }


BACKUP_NOTE = (
    "These backups were made before the erasure and still hold the person's data. Automatic backups "
    "are replaced in rotation, so each goes when newer ones replace it; delete them sooner if you can, "
    "and never restore one without erasing the person again."
)


def _forget_membership_history(session: Session, person_id: int) -> None:
    """Their memberships' changes, periods included, keep no values or reasons (a reason for
    leaving can say much about someone); the periods themselves go with the person."""
    memberships = select(Membership.id).where(Membership.person_id == person_id)
    periods = select(MembershipPeriod.id).where(MembershipPeriod.membership_id.in_(memberships))
    for entity, ids in (("membership", memberships), ("membership_period", periods)):
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id.in_(ids))
            .values(old_value=None, new_value=None, details=None)
        )


def _identifiers(session: Session, person: Person) -> tuple[list[str], list[str]]:
    """(names, exact values) that identify the person in free text: their full names as written,
    and every email, phone and external identifier they have, in every spelling stored."""
    first = [n for n in {person.first_name, person.preferred_name} if n]
    names = [f"{f} {person.last_name}" for f in first if person.last_name]
    if person.title and person.last_name:
        names.append(f"{person.title} {person.last_name}")
    values = [v for v in (person.email, person.phone, person.mobile) if v]
    values += [
        v
        for v in session.scalars(
            select(ContactPoint.value).where(
                ContactPoint.person_id == person.id, ContactPoint.kind.in_(("email", "phone"))
            )
        )
        if v
    ]
    values += list(
        session.scalars(select(PersonIdentifier.identifier).where(PersonIdentifier.person_id == person.id))
    )
    # Too short a value would match unrelated text.
    return (
        sorted({n for n in names if len(n) >= 5}, key=len, reverse=True),
        sorted({v for v in values if len(v) >= 5}, key=len, reverse=True),
    )


def _like_any(column: Any, needles: Sequence[str]) -> Any:
    """SQL: the column contains any of the texts (case ignored; LIKE's wildcards taken literally)."""

    def pattern(text: str) -> str:
        escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"%{escaped}%"

    return or_(*(func.lower(column).like(pattern(n), escape="\\") for n in needles))


def _scrub_text(text: str | None, patterns: Sequence[re.Pattern[str]]) -> str | None:
    if not text:
        return text
    for p in patterns:
        text = p.sub(ERASED, text)
    return text


def _forget_mentions(session: Session, person: Person, shared: Sequence[int]) -> None:
    """Their name, addresses and numbers out of everything else that can hold them as text.

    The audit log's values and details (a change to an event part's host, an interaction's notes,
    an import's rows), the hosts of event parts they ran, the subjects and notes of the interactions
    they shared with others (where the record links them, so a mention is of them), and the filters
    recorded with exports.
    """
    names, values = _identifiers(session, person)
    needles = [*names, *values]
    # Another person's own history can hold the same name (a namesake): only their emails,
    # numbers and identifiers are looked for there, never the name.
    not_someone_else = or_(AuditEntry.entity != "person", AuditEntry.entity_id == person.id)
    for column in (AuditEntry.old_value, AuditEntry.new_value, AuditEntry.details):
        if values:
            session.execute(update(AuditEntry).where(_like_any(column, values)).values({column.key: None}))
        if names:
            session.execute(
                update(AuditEntry)
                .where(not_someone_else, _like_any(column, names))
                .values({column.key: None})
            )
    # An export's description of who it took can name them by a search for their surname alone.
    searched = [*needles, *(n for n in (person.last_name, person.first_name, person.preferred_name) if n)]
    searched = [n for n in searched if len(n) >= 3]
    if searched:
        # LIKE finds the candidates; a whole-word match decides, so erasing an "Ali" leaves an
        # export of "data quality" its description.
        whole_word = re.compile("|".join(rf"\b{re.escape(n)}\b" for n in searched), re.IGNORECASE)
        for model, column, where in (
            (ExportLog, ExportLog.filter, true()),
            (AuditEntry, AuditEntry.details, AuditEntry.entity == "export_log"),
        ):
            ids = [
                i
                for i, text in session.execute(
                    select(model.id, column).where(where, _like_any(column, searched))
                )
                if whole_word.search(text or "")
            ]
            if ids:
                session.execute(update(model).where(model.id.in_(ids)).values({column.key: None}))
    if names:
        for part in session.scalars(select(EventPart).where(_like_any(EventPart.host, names))):
            part.host = None
            audit.record(
                session, "update", "event_part", part.id, "host", details="host erased with the person"
            )
    if not shared or not (names or values):
        return
    exact = [re.compile(re.escape(v), re.IGNORECASE) for v in [*names, *values]]
    for interaction in session.scalars(select(Interaction).where(Interaction.id.in_(list(shared)))):
        # Their surname and first names alone too, unless another participant has the same one.
        others = session.scalars(
            select(Person)
            .join(InteractionPerson, InteractionPerson.person_id == Person.id)
            .where(InteractionPerson.interaction_id == interaction.id, Person.id != person.id)
        ).all()
        taken = {(n or "").casefold() for o in others for n in (o.first_name, o.preferred_name, o.last_name)}
        parts = {n for n in (person.last_name, person.first_name, person.preferred_name) if n and len(n) >= 2}
        words = [
            re.compile(rf"\b{re.escape(n)}\b", re.IGNORECASE)
            for n in sorted(parts, key=len, reverse=True)
            if n.casefold() not in taken
        ]
        subject = _scrub_text(interaction.subject, [*exact, *words])
        notes = _scrub_text(interaction.notes, [*exact, *words])
        if subject != interaction.subject or notes != interaction.notes:
            interaction.subject = subject or ERASED
            interaction.notes = notes
            audit.record(
                session, "update", "interaction", interaction.id, "notes", details="a participant's erasure"
            )


def _merged_away(session: Session, person_id: int) -> tuple[list[int], list[int]]:
    """(merges, people): the merges this person took part in, and the records folded into them
    (or into which they were folded), kept for undo and holding the same person's data."""
    merges: list[int] = []
    others: set[int] = set()
    for merge in session.scalars(select(MergeRecord).where(MergeRecord.entity == "person")):
        involved = {merge.kept_id, *(int(i) for i in merge.merged_ids or [])}
        if person_id in involved:
            merges.append(merge.id)
            others |= involved - {person_id}
    # Only records kept for the merge's undo: a kept person still in use is someone else's record now.
    folded = set(
        session.scalars(
            select(MergedRecord.record_id).where(
                MergedRecord.entity == "person", MergedRecord.merge_id.in_(merges)
            )
        )
    )
    return merges, sorted((others | {person_id}) & folded - {person_id})


def _forget_related_history(session: Session, person_id: int) -> None:
    """Changes recorded on what hangs off them (consents, elected roles, external identifiers)
    keep that they happened, not their values: a consent's wording or a role can identify them."""
    consents = list(session.scalars(select(Consent.id).where(Consent.person_id == person_id)))
    roles = list(session.scalars(select(ElectedRole.id).where(ElectedRole.person_id == person_id)))
    for entity, ids in (("consent", consents), ("elected_role", roles), ("person_identifier", [person_id])):
        if ids:
            session.execute(
                update(AuditEntry)
                .where(AuditEntry.entity == entity, AuditEntry.entity_id.in_(ids))
                .values(old_value=None, new_value=None, details=None)
            )


def erased_on(session: Session, person_id: int) -> AuditEntry | None:
    """The erasure entry of a person who was erased, else None."""
    return session.scalar(
        select(AuditEntry)
        .where(AuditEntry.entity == "person", AuditEntry.entity_id == person_id, AuditEntry.action == "erase")
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )


def get_live_person(session: Session, person_id: int) -> Person:
    """The person (in the Trash or not); an erased or unknown id is a NotFoundError saying which."""
    person = session.get(Person, person_id)
    if person is not None:
        return person
    entry = erased_on(session, person_id)
    if entry is not None:
        when = entry.at.astimezone().strftime("%-d %B %Y") if entry.at else "an earlier date"
        raise NotFoundError(f"Person {person_id} was erased on {when}; nothing is held on them any more.")
    raise NotFoundError(f"There is no person with id {person_id}.")


def erase_people(session: Session, person_ids: Sequence[int], reason: str) -> list[ErasureResult]:
    """Erase several people with one reason (the retention review's bulk "Erase…"); the search index
    is purged once at the end."""
    results = [erase_person(session, pid, reason, purge_index=False) for pid in dict.fromkeys(person_ids)]
    _purge_search_index(session)
    return results


def erase_person(session: Session, person_id: int, reason: str, *, purge_index: bool = True) -> ErasureResult:
    """Erase one person (see the module's docstring). Raises NotFoundError or ValidationError."""
    why = clean_text(reason)
    if not why:
        raise ValidationError("Give the reason for the erasure (e.g. “erasure request of 3 May”).", "reason")
    if len(why) > REASON_MAX:
        raise ValidationError(f"The reason is too long: keep it under {REASON_MAX} characters.", "reason")
    person = get_live_person(session, person_id)
    created_at = person.created_at
    # Records merged into them (kept for the merge's undo) are the same person: they go too, and
    # the merges' undo data, which holds their old values, goes with them.
    merges, folded = _merged_away(session, person_id)
    for other in folded:
        if session.get(Person, other) is not None:
            _erase_one(session, other, why)
    if merges:
        session.execute(delete(MergeRecord).where(MergeRecord.id.in_(merges)))
    return _erase_one(session, person_id, why, purge_index=purge_index, created_at=created_at)


def _erase_one(
    session: Session,
    person_id: int,
    why: str,
    *,
    purge_index: bool = False,
    created_at: dt.datetime | None = None,
) -> ErasureResult:
    person = get_live_person(session, person_id)
    emails = [
        person.email,
        *session.scalars(
            select(ContactPoint.value).where(
                ContactPoint.person_id == person_id, ContactPoint.kind == "email"
            )
        ),
    ]
    suppressed = suppress_hashed(session, emails, "Erased on request (address kept only as a keyed hash)")

    # Interactions: the ones only about them go; shared ones stay, without them.
    mine = select(InteractionPerson.interaction_id).where(InteractionPerson.person_id == person_id)
    counts = (
        select(InteractionPerson.interaction_id, func.count().label("n"))
        .where(InteractionPerson.interaction_id.in_(mine))
        .group_by(InteractionPerson.interaction_id)
        .subquery()
    )
    solo = list(session.scalars(select(counts.c.interaction_id).where(counts.c.n == 1)))
    shared = session.scalar(select(func.count()).select_from(counts).where(counts.c.n > 1)) or 0
    if solo:
        session.execute(delete(Interaction).where(Interaction.id.in_(solo)))
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.entity == "interaction", AuditEntry.entity_id.in_(solo))
            .values(old_value=None, new_value=None)
        )

    # Shared interactions keep that they were in them, not their name (participant edits, 0011).
    session.execute(
        update(AuditEntry)
        .where(
            AuditEntry.entity == "interaction",
            AuditEntry.field == "participants",
            AuditEntry.details == f"person {person_id}",
        )
        .values(old_value=None, new_value=None)
    )

    # The history keeps that changes happened, not what they were (nor the details, which can name
    # them: a subject access workbook's file name, say).
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.entity == "person", AuditEntry.entity_id == person_id)
        .values(old_value=None, new_value=None, details=None)
    )
    _forget_membership_history(session, person_id)
    _forget_related_history(session, person_id)
    shared_ids = list(
        session.scalars(
            select(InteractionPerson.interaction_id).where(
                InteractionPerson.person_id == person_id,
                InteractionPerson.interaction_id.not_in(solo) if solo else true(),
            )
        )
    )
    _forget_mentions(session, person, shared_ids)
    session.flush()
    session.expunge(person)
    # Every contact point goes (the foreign key cascades too; said here so it never depends on it).
    session.execute(delete(ContactPoint).where(ContactPoint.person_id == person_id))
    # Foreign keys cascade to everything hanging off the person; the search index follows by trigger.
    session.execute(delete(Person).where(Person.id == person_id))
    if purge_index:
        _purge_search_index(session)
    audit.record(session, "erase", "person", person_id, details=why)
    return ErasureResult(
        person_id=person_id,
        erased_at=dt.datetime.now(dt.UTC),
        by=audit.current_user(),
        reason=why,
        suppressed=suppressed,
        interactions_removed=len(solo),
        interactions_kept=shared,
        created_at=created_at,
    )


def _purge_search_index(session: Session) -> None:
    """SQLite's full-text index marks deleted rows and keeps the old words until its segments are
    merged: merge them now so the words leave the file (secure_delete then overwrites the pages)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("INSERT INTO person_fts(person_fts) VALUES('optimize')")


def backups_holding(db: Database | None, since: dt.datetime | None = None) -> list[BackupFile]:
    """Copies of a SQLite database that may still hold data erased from it.

    The automatic backups (``crm.backups``: before imports, merges, refreshes, upgrades, and daily),
    dated by when each was made, and the upgrade copies Kindred 0.1.0 left beside the database
    (``NAME.before-upgrade-*.db``). A copy older than ``since`` (when the person was added) cannot
    hold them and is left out.
    """
    if db is None or db.path is None:
        return []
    from crm.backups import list_backups

    database_path = db.path
    found: list[tuple[Path, dt.datetime]] = [(b.path, b.created) for b in list_backups(db)]
    for path in database_path.parent.glob(f"{database_path.stem}.before-upgrade-*{database_path.suffix}"):
        try:
            found.append((path, dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()))
        except OSError:
            continue
    if since is not None:
        if since.tzinfo is None:
            # SQLite gives back the stored UTC time without its zone.
            since = since.replace(tzinfo=dt.UTC)
        # Backups are dated to the second: one made in the same second may hold the person.
        since = since.replace(microsecond=0)
    out = [
        BackupFile(path, made.astimezone() if made.tzinfo is None else made)
        for path, made in found
        if since is None or (made.astimezone() if made.tzinfo is None else made) >= since
    ]
    out.sort(key=lambda b: b.modified)
    return out
