"""Communication preferences and consent (UK GDPR and PECR)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import audit
from crm.errors import NotFoundError, ValidationError
from crm.models import LAWFUL_BASES, Consent
from crm.services.people import get_person, update_person
from crm.text import clean_text


def record_consent(
    session: Session,
    person_id: int,
    purpose: str,
    *,
    basis: str = "consent",
    recorded_on: dt.date | None = None,
    source: str | None = None,
    wording: str | None = None,
    batch_id: int | None = None,
) -> Consent:
    """Record consent (or another lawful basis) for one purpose: who, when, how and what they were told."""
    get_person(session, person_id)
    purpose_clean = (clean_text(purpose) or "").lower()
    if not purpose_clean:
        raise ValidationError("Consent needs a purpose.", "purpose")
    basis_clean = (clean_text(basis) or "consent").lower()
    if basis_clean not in LAWFUL_BASES:
        raise ValidationError(f"{basis!r} is not a lawful basis ({', '.join(LAWFUL_BASES)}).", "basis")
    consent = Consent(
        person_id=person_id,
        purpose=purpose_clean,
        basis=basis_clean,
        granted=True,
        recorded_on=recorded_on or dt.date.today(),
        source=clean_text(source),
        wording=clean_text(wording),
        import_batch_id=batch_id,
    )
    session.add(consent)
    session.flush()
    audit.record(
        session,
        "create",
        "consent",
        consent.id,
        "purpose",
        None,
        f"{purpose_clean} ({basis_clean})",
        batch_id=batch_id,
        details=f"person {person_id}",
    )
    return consent


def withdraw_consent(session: Session, consent_id: int, on: dt.date | None = None) -> None:
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise NotFoundError(f"There is no consent record {consent_id}.")
    if consent.withdrawn_on is None:
        consent.withdrawn_on = on or dt.date.today()
        audit.record(
            session,
            "update",
            "consent",
            consent_id,
            "withdrawn_on",
            None,
            consent.withdrawn_on,
            details=f"person {consent.person_id}",
        )
        session.flush()


def consents_of(session: Session, person_id: int) -> list[Consent]:
    return list(
        session.scalars(
            select(Consent)
            .where(Consent.person_id == person_id)
            .order_by(Consent.recorded_on.desc(), Consent.id.desc())
        )
    )


def set_preferences(
    session: Session,
    person_id: int,
    *,
    do_not_contact: bool | None = None,
    email_opt_out: bool | None = None,
    post_opt_out: bool | None = None,
) -> None:
    changes = {
        k: v
        for k, v in (
            ("do_not_contact", do_not_contact),
            ("email_opt_out", email_opt_out),
            ("post_opt_out", post_opt_out),
        )
        if v is not None
    }
    update_person(session, person_id, changes)
