"""Retention review: who is due, why the others are not, keeping for another period, the setting."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from crm.db import Database
from crm.errors import ValidationError
from crm.models import AuditEntry, Person
from crm.privacy import settings
from crm.privacy.retention import cutoff_for, due_for_review, keep_for_another_period
from crm.services import consent, events, interactions, networks, organisations, people, roles

from .conftest import cli

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def _cast(db: Database) -> dict[str, int]:
    today = dt.date.today()
    with db.transaction() as s:
        ids = {
            name: people.create_person(
                s, first_name=name, last_name="Test", email=f"{name.lower()}@example.org"
            ).id
            for name in (
                "Idle",
                "OldMeeting",
                "RecentMeeting",
                "Councillor",
                "FormerMP",
                "Member",
                "Consented",
                "Attended",
                "Partner",
                "New",
            )
        }
        interactions.log_interaction(
            s, subject="Old", person_ids=[ids["OldMeeting"]], date=dt.date(2021, 3, 1)
        )
        interactions.log_interaction(s, subject="Recent", person_ids=[ids["RecentMeeting"]], date=today)
        roles.add_role(s, ids["Councillor"], chamber="Local council", start_date=dt.date(2019, 5, 1))
        roles.add_role(
            s,
            ids["FormerMP"],
            chamber="House of Commons",
            start_date=dt.date(2015, 5, 7),
            end_date=dt.date(2019, 11, 6),
        )
        net = networks.create_network(s, "Kindness Champions").id
        networks.add_members(s, net, [ids["Member"]])
        consent.record_consent(s, ids["Consented"], "newsletter", recorded_on=dt.date(2019, 1, 1))
        ev = events.create_event(s, "Reception", starts_on=today - dt.timedelta(days=30)).id
        events.set_attendance(s, ev, [ids["Attended"]], "attended")
        org = organisations.create_organisation(s, name="Kind Trust", partner_status="Partner").id
        people.update_person(s, ids["Partner"], {"organisation_id": org})
        people.set_types(s, ids["Partner"], ["partner_contact"])
        old = [pid for name, pid in ids.items() if name != "New"]
        s.execute(update(Person).where(Person.id.in_(old)).values(created_at=LONG_AGO))
    return ids


def test_due_for_review_and_keeping_for_another_period(db: Database) -> None:
    ids = _cast(db)
    with db.session() as s:
        report = due_for_review(s)
    assert report.months == 24
    due = {p.name: p for p in report.people}
    assert set(due) == {"Idle Test", "OldMeeting Test", "FormerMP Test"}
    assert report.total == 3
    assert due["OldMeeting Test"].last_activity == dt.date(2021, 3, 1)
    assert due["FormerMP Test"].last_activity == dt.date(2019, 11, 6)
    assert due["Idle Test"].last_activity is None
    # Longest without activity first.
    assert report.people[0].name == "FormerMP Test"
    with db.transaction() as s:
        assert keep_for_another_period(s, [ids["Idle"]], note="Still a likely speaker") == 1
    with db.session() as s:
        assert {p.name for p in due_for_review(s).people} == {"OldMeeting Test", "FormerMP Test"}
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == ids["Idle"], AuditEntry.action == "review")
        ).one()
        assert entry.new_value == "Kept for another period" and entry.details == "Still a likely speaker"
        # A longer period: the meeting of March 2021 is recent enough for 120 months.
        assert {p.name for p in due_for_review(s, 120).people} == set()


def test_retention_period_is_a_setting_and_the_cli_can_override_it(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _cast(db)
    with db.transaction() as s:
        settings.set_retention_months(s, 72)
    with db.session() as s:
        assert settings.retention_months(s) == 72
        assert {p.name for p in due_for_review(s).people} == {"Idle Test", "FormerMP Test"}
    code, result = cli(capsys, db, "retention")
    assert code == 0 and {p["name"] for p in result["people"]} == {"Idle Test", "FormerMP Test"}
    assert set(result["people"][0]) == {"id", "name", "last_activity"}
    code, result = cli(capsys, db, "retention", "--months", "24")
    assert code == 0 and len(result["people"]) == 3
    assert {p["id"] for p in result["people"]} == {ids["Idle"], ids["OldMeeting"], ids["FormerMP"]}
    code, result = cli(capsys, db, "retention", "--months", "0")
    assert code == 1 and "not possible" in result["error"]
    with pytest.raises(ValidationError), db.transaction() as s:
        settings.set_retention_months(s, 0)


def test_cutoff_handles_short_months() -> None:
    assert cutoff_for(1, dt.date(2026, 3, 31)) == dt.date(2026, 2, 28)
    assert cutoff_for(24, dt.date(2026, 12, 6)) == dt.date(2024, 12, 6)
