"""Editing an event's details through the core service."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.db import Database
from crm.errors import ValidationError
from crm.models import AuditEntry
from crm.services import events


def test_update_event_changes_and_audits_only_what_changed(db: Database) -> None:
    with db.transaction() as session:
        event_id = events.create_event(
            session, "Roundtable", starts_on=dt.date(2026, 3, 4), location="Leeds"
        ).id
    with db.transaction() as session:
        changed = events.update_event(
            session,
            event_id,
            {"name": "  Policy  roundtable ", "location": "Leeds", "ends_on": dt.date(2026, 3, 5)},
        )
    assert changed == ["name", "ends_on"]
    with db.session() as session:
        event = events.get_event(session, event_id)
        assert (event.name, event.location, event.ends_on) == (
            "Policy roundtable",
            "Leeds",
            dt.date(2026, 3, 5),
        )
        audited = {e.field for e in session.query(AuditEntry).filter_by(entity="event", action="update")}
    assert audited == {"name", "ends_on"}


def test_update_event_refuses_bad_values(db: Database) -> None:
    with db.transaction() as session:
        event_id = events.create_event(session, "Roundtable", starts_on=dt.date(2026, 3, 4)).id
    with pytest.raises(ValidationError, match="cannot end before it starts"), db.transaction() as session:
        events.update_event(session, event_id, {"ends_on": dt.date(2026, 3, 1)})
    with pytest.raises(ValidationError, match="needs a name"), db.transaction() as session:
        events.update_event(session, event_id, {"name": "   "})
    with pytest.raises(ValidationError, match="Unknown event field"), db.transaction() as session:
        events.update_event(session, event_id, {"colour": "blue"})
