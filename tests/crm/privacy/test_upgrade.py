"""A release 0.1.0 database upgraded to schema 0004 keeps its suppression list and gains the rest."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from crm.db import open_database
from crm.models import Person, Suppression
from crm.privacy import settings
from crm.privacy.erasure import erase_person
from crm.privacy.retention import due_for_review
from crm.privacy.suppression import is_suppressed, list_suppressions


def test_release_database_gains_data_protection(release_db_path: Path) -> None:
    db = open_database(release_db_path)
    try:
        with db.session() as s:
            before = list_suppressions(s)
            assert len(before) == 5 and all(e.email and not e.hashed for e in before)
            assert settings.retention_months(s) == 24
            due_for_review(s)
            pid, email = s.execute(
                select(Person.id, Person.email).where(
                    Person.email.is_not(None), Person.do_not_contact.is_(False)
                )
            ).first()  # type: ignore[misc]
        with db.transaction() as s:
            erase_person(s, pid, "Erasure request")
        with db.session() as s:
            assert s.scalar(select(func.count(Suppression.id))) == 6
            assert is_suppressed(s, email)
    finally:
        db.dispose()
