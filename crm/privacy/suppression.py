"""The suppression list: addresses that must never be contacted, whatever a later import says.

Addresses added by hand or from a do-not-contact person are kept as they are, so the team can see
them. An erased person's addresses are kept only as a keyed hash (HMAC-SHA-256 with a key stored in
this database's settings): the importer hashes each incoming address with the same key and so still
recognises a re-imported erased person, while the list itself no longer says who they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from crm import audit
from crm.errors import NotFoundError, ValidationError
from crm.models import Person, Suppression
from crm.privacy.settings import existing_suppression_key, suppression_key
from crm.text import clean_text
from crm.util import chunked
from crm.validation import normalise_email

REASON_MAX = 300


@dataclass(frozen=True)
class SuppressionEntry:
    """One line of the suppression list."""

    id: int
    email: str | None  # None: kept only as a hash (an erased person)
    hashed: bool
    reason: str | None
    added: dt.datetime | None

    @property
    def shown_email(self) -> str:
        return self.email or "(erased person: address kept only as a keyed hash)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "hashed": self.hashed,
            "reason": self.reason,
            "added": self.added.isoformat() if self.added else None,
        }


def email_hash(key: bytes, email: str) -> str:
    """The keyed hash of an address (case and surrounding spaces ignored)."""
    return hmac.new(key, email.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()


def _clean_email(email: str | None) -> str:
    cleaned = normalise_email(email)
    if not cleaned:
        raise ValidationError("Give an email address.", "email")
    return cleaned


def _clean_reason(reason: str | None) -> str:
    text = clean_text(reason)
    if not text:
        raise ValidationError("Give a reason for suppressing the address (e.g. “asked not to be contacted”).")
    if len(text) > REASON_MAX:
        raise ValidationError(f"The reason is too long: keep it under {REASON_MAX} characters.", "reason")
    return text


def list_suppressions(session: Session, search: str | None = None) -> list[SuppressionEntry]:
    """The whole list, newest first; ``search`` narrows it to addresses containing the text."""
    stmt = select(Suppression).order_by(Suppression.created_at.desc(), Suppression.id.desc())
    if search and search.strip():
        stmt = stmt.where(Suppression.email.contains(search.strip().lower(), autoescape=True))
    return [
        SuppressionEntry(s.id, s.email, s.email is None, s.reason, s.created_at)
        for s in session.scalars(stmt)
    ]


def find(session: Session, email: str) -> Suppression | None:
    """The entry matching an address, plain or hashed."""
    cleaned = email.strip().lower()
    key = existing_suppression_key(session)
    if key is None:
        return session.scalar(select(Suppression).where(Suppression.email == cleaned))
    return session.scalar(
        select(Suppression).where(
            or_(Suppression.email == cleaned, Suppression.email_hash == email_hash(key, cleaned))
        )
    )


def suppress(session: Session, email: str, reason: str) -> tuple[SuppressionEntry, int]:
    """Add an address (with a reason); people with it become do-not-contact.

    Returns the entry and how many people were newly marked do not contact. An address already on
    the list keeps its entry.
    """
    cleaned = _clean_email(email)
    why = _clean_reason(reason)
    entry = find(session, cleaned)
    if entry is None:
        entry = Suppression(email=cleaned, reason=why)
        session.add(entry)
        session.flush()
        audit.record(session, "create", "suppression", entry.id, "email", None, cleaned, details=why)
    marked = _mark_people(session, cleaned)
    return SuppressionEntry(
        entry.id, entry.email, entry.email is None, entry.reason, entry.created_at
    ), marked


def _mark_people(session: Session, email: str) -> int:
    """People holding the address are marked do not contact, through the people service."""
    from crm.services.channels import people_by_email
    from crm.services.people import update_person

    holders = people_by_email(session, [email], include_trash=True).get(email.lower(), set())
    ids = sorted(
        session.scalars(select(Person.id).where(Person.id.in_(holders), Person.do_not_contact.is_(False)))
    )
    for pid in ids:
        update_person(session, pid, {"do_not_contact": True})
    return len(ids)


def unsuppress(session: Session, email: str) -> int:
    """Take an address off the list (plain and hashed entries). Returns how many entries went.

    People's own do-not-contact flags are left as they are: lifting those is a separate, deliberate
    change on each person. Raises NotFoundError when the address is not on the list.
    """
    cleaned = (clean_text(email) or "").lower()
    if not cleaned or "@" not in cleaned:
        raise ValidationError(f"{email!r} is not an email address.", "email")
    key = existing_suppression_key(session)
    match: ColumnElement[bool] = Suppression.email == cleaned
    if key is not None:
        match = or_(match, Suppression.email_hash == email_hash(key, cleaned))
    entries = list(session.scalars(select(Suppression).where(match)))
    if not entries:
        raise NotFoundError(f"{cleaned} is not on the suppression list.")
    for entry in entries:
        audit.record(
            session,
            "delete",
            "suppression",
            entry.id,
            "email",
            entry.email or "(keyed hash)",
            None,
            details=entry.reason,
        )
    session.execute(delete(Suppression).where(Suppression.id.in_([e.id for e in entries])))
    return len(entries)


def still_do_not_contact(session: Session, email: str) -> int:
    """How many people with this address are still marked do not contact."""
    return (
        session.scalar(
            select(func.count(Person.id)).where(
                func.lower(Person.email) == email.strip().lower(), Person.do_not_contact.is_(True)
            )
        )
        or 0
    )


def suppress_hashed(session: Session, emails: Iterable[str | None], reason: str) -> int:
    """Keep addresses on the list only as keyed hashes (erasure); plain entries for them go.

    Returns how many hashed entries were added.
    """
    wanted = sorted({e.strip().lower() for e in emails if e and e.strip()})
    if not wanted:
        return 0
    key = suppression_key(session)
    hashes = {email_hash(key, e) for e in wanted}
    session.execute(delete(Suppression).where(Suppression.email.in_(wanted)))
    have = set(session.scalars(select(Suppression.email_hash).where(Suppression.email_hash.in_(hashes))))
    added = 0
    for h in sorted(hashes - have):
        session.add(Suppression(email=None, email_hash=h, reason=reason))
        added += 1
    session.flush()
    return added


def hashed_matches(session: Session, emails: Iterable[str]) -> set[str]:
    """Which of these (lower-case) addresses match a hashed entry: what the importer asks."""
    if session.scalar(select(Suppression.id).where(Suppression.email_hash.is_not(None)).limit(1)) is None:
        return set()  # nobody erased yet: no need to hash a whole file's addresses
    key = existing_suppression_key(session)
    if key is None:
        return set()
    by_hash = {email_hash(key, e): e for e in emails}
    found: set[str] = set()
    for part in chunked(list(by_hash)):
        for h in session.scalars(select(Suppression.email_hash).where(Suppression.email_hash.in_(part))):
            if h is not None:
                found.add(by_hash[h])
    return found


def is_suppressed(session: Session, email: str | None) -> bool:
    """Whether an address is on the list, as itself or as a hash."""
    if not email or not email.strip():
        return False
    return find(session, email) is not None
