"""Organisations: matched by name key so one organisation is never created twice."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm import audit, versions
from crm.errors import NotFoundError, ValidationError
from crm.models import ORGANISATION_FIELDS, MergedRecord, Organisation, OrganisationAlias, Person, utcnow
from crm.services.channels import ORGANISATION_MIRROR_FIELDS, sync_organisations
from crm.services.people import FieldChange, refresh_search_text
from crm.services.trashable import set_deleted
from crm.text import clean_multiline, clean_text, organisation_key
from crm.util import chunked
from crm.validation import normalise_email, normalise_postcode


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in ORGANISATION_FIELDS:
            raise ValidationError(f"Unknown organisation field {key!r}.", key)
        cleaned = clean_multiline(value) if key == "notes" else clean_text(value)
        if cleaned is not None and key == "email":
            cleaned = normalise_email(cleaned)
        if cleaned is not None and key == "postcode":
            cleaned = normalise_postcode(cleaned, strict=False)
        out[key] = cleaned
    return out


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFoundError(f"There is no organisation with id {organisation_id}.")
    return org


def find_organisation(session: Session, name: str, *, include_trash: bool = False) -> Organisation | None:
    """The organisation whose name matches ignoring case, punctuation, "The" and "Ltd"."""
    key = organisation_key(name)
    if not key:
        return None
    stmt = (
        select(Organisation)
        .where(Organisation.name_key == key)
        .order_by(Organisation.deleted_at.is_not(None), Organisation.id)
    )
    if not include_trash:
        stmt = stmt.where(Organisation.deleted_at.is_(None))
    found = session.scalars(stmt.limit(1)).first()
    if found is None:
        # A former name of an organisation merged into another.
        found = session.scalars(
            select(Organisation)
            .join(OrganisationAlias, OrganisationAlias.organisation_id == Organisation.id)
            .where(OrganisationAlias.name_key == key, Organisation.deleted_at.is_(None))
            .order_by(Organisation.id)
            .limit(1)
        ).first()
    return found


def organisations_by_key(session: Session, keys: Iterable[str]) -> dict[str, tuple[int, str]]:
    """(id, name) of the live organisation each name key means: its own name first (the lowest
    id), else a former name kept as an alias when organisations were merged."""
    found: dict[str, tuple[int, str]] = {}
    wanted = sorted(set(keys))
    for part in chunked(wanted):
        for oid, key, name in session.execute(
            select(Organisation.id, Organisation.name_key, Organisation.name)
            .where(Organisation.name_key.in_(part), Organisation.deleted_at.is_(None))
            .order_by(Organisation.id)
        ):
            found.setdefault(key, (oid, name))
    missing = [k for k in wanted if k not in found]
    for part in chunked(missing):
        for oid, key, name in session.execute(
            select(Organisation.id, OrganisationAlias.name_key, Organisation.name)
            .join(Organisation, Organisation.id == OrganisationAlias.organisation_id)
            .where(OrganisationAlias.name_key.in_(part), Organisation.deleted_at.is_(None))
            .order_by(Organisation.id)
        ):
            found.setdefault(key, (oid, name))
    return found


def create_organisation(session: Session, *, batch_id: int | None = None, **fields: Any) -> Organisation:
    values = _clean(fields)
    if not values.get("name"):
        raise ValidationError("An organisation needs a name.", "name")
    org = Organisation(**values, name_key=organisation_key(values["name"]), import_batch_id=batch_id)
    session.add(org)
    session.flush()
    sync_organisations(session, [org.id])
    audit.record(session, "create", "organisation", org.id, new=org.name, batch_id=batch_id)
    return org


def get_or_create_organisation(
    session: Session, name: str, *, batch_id: int | None = None, **fields: Any
) -> tuple[Organisation, bool]:
    """Returns (organisation, created)."""
    found = find_organisation(session, name)
    if found is not None:
        return found, False
    return create_organisation(session, name=name, batch_id=batch_id, **fields), True


def update_organisation(
    session: Session,
    organisation_id: int,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> list[FieldChange]:
    """Apply field changes; ``expected_version`` refuses a save based on an older copy
    (:class:`~crm.errors.StaleEdit`, see :mod:`crm.versions`). Any real change raises the version."""
    org = get_organisation(session, organisation_id)
    if expected_version is not None:
        versions.claim(
            session, Organisation, organisation_id, expected_version, entity="organisation", name=org.name
        )
    values = _clean(changes)
    done: list[FieldChange] = []
    for key, new in values.items():
        old = getattr(org, key)
        if old != new:
            if key == "name" and not new:
                raise ValidationError("An organisation needs a name.", "name")
            setattr(org, key, new)
            done.append(FieldChange(key, old, new))
            audit.record(session, "update", "organisation", org.id, key, old, new)
    if any(c.field == "name" for c in done):
        org.name_key = organisation_key(org.name)
        for person in org.people:
            refresh_search_text(session, person)
    if done:
        if expected_version is None:
            versions.claim(session, Organisation, organisation_id, None, entity="organisation", name=org.name)
        org.updated_at = utcnow()
        session.flush()
        if any(c.field in ORGANISATION_MIRROR_FIELDS for c in done):
            sync_organisations(session, [organisation_id])
    return done


def trash_organisations(session: Session, ids: Sequence[int]) -> int:
    """Move organisations to the Trash; their people keep the link and stay in the list."""
    return set_deleted(session, Organisation, "organisation", ids, deleted=True)


def restore_organisations(session: Session, ids: Sequence[int]) -> int:
    return set_deleted(session, Organisation, "organisation", ids, deleted=False)


def list_organisations(
    session: Session, text: str | None = None, *, in_trash: bool = False, limit: int | None = None
) -> list[tuple[int, str, str | None, str | None, int]]:
    """Rows of (id, name, sector, partner status, number of people), by name."""
    people = (
        select(func.count(Person.id))
        .where(Person.organisation_id == Organisation.id, Person.deleted_at.is_(None))
        .correlate(Organisation)
        .scalar_subquery()
    )
    stmt = select(
        Organisation.id, Organisation.name, Organisation.sector, Organisation.partner_status, people
    ).order_by(Organisation.name_key)
    stmt = stmt.where(Organisation.deleted_at.is_not(None) if in_trash else Organisation.deleted_at.is_(None))
    if in_trash:
        merged = select(MergedRecord.record_id).where(MergedRecord.entity == "organisation")
        stmt = stmt.where(Organisation.id.not_in(merged))
    if text and (key := organisation_key(text)):
        stmt = stmt.where(Organisation.name_key.like(f"%{key}%"))
    if limit:
        stmt = stmt.limit(limit)
    return [(r[0], r[1], r[2], r[3], r[4]) for r in session.execute(stmt).all()]
