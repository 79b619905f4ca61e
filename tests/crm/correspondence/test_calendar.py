"""Events and follow-ups as .ics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from icalendar import Calendar

from crm.correspondence.calendar import write_calendar
from crm.correspondence.mailto import bcc_batches, clipboard_text, mailto_link
from crm.db import Database
from crm.errors import ValidationError
from crm.services import events, interactions, people


def test_events_and_follow_ups_as_ics(db: Database, tmp_path: Path) -> None:
    with db.transaction() as s:
        ann = people.create_person(s, first_name="Ann", last_name="Example").id
        reception = events.create_event(
            s,
            name='Reception, Holyrood; "kindness"',
            starts_on=dt.date(2026, 12, 9),
            ends_on=dt.date(2026, 12, 10),
            location="Scottish Parliament\nEdinburgh",
        ).id
        events.create_event(s, name="Undated", starts_on=None)
        follow = interactions.log_interaction(
            s,
            subject="Send the report",
            person_ids=[ann],
            follow_up_on=dt.date(2026, 12, 15),
            notes="BEGIN:VEVENT",
        ).id
        done = interactions.log_interaction(s, subject="Done one", follow_up_on=dt.date(2026, 12, 1)).id
        interactions.set_follow_up_done(s, done)
    with db.session() as s:
        path, count = write_calendar(s, tmp_path / "kindred")
    assert path.suffix == ".ics" and count == 2
    cal = Calendar.from_ical(path.read_bytes())
    entries = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    event = entries[f"kindred-event-{reception}@kindred.invalid"]
    assert str(event["summary"]) == 'Reception, Holyrood; "kindness"'
    assert event.decoded("dtstart") == dt.date(2026, 12, 9) and event.decoded("dtend") == dt.date(
        2026, 12, 11
    )
    assert str(event["location"]) == "Scottish Parliament Edinburgh"
    task = entries[f"kindred-followup-{follow}@kindred.invalid"]
    assert str(task["summary"]) == "Follow up: Send the report"
    assert "With: Ann Example" in str(task["description"])
    assert len(list(cal.walk("VEVENT"))) == 2  # the notes' "BEGIN:VEVENT" stayed text
    with db.session() as s:
        _path, n = write_calendar(s, tmp_path / "one.ics", followups=False, event_ids=[reception])
    assert n == 1
    with db.session() as s, pytest.raises(ValidationError):
        write_calendar(s, tmp_path / "none.ics", events=False, followups=False)


def test_bcc_batches_stay_under_client_limits() -> None:
    addresses = [f"person{i:04d}@example.org" for i in range(230)]
    batches = bcc_batches(addresses)
    assert [a for b in batches for a in b] == addresses
    assert all(len(b) <= 50 and len(mailto_link(b)) <= 2000 for b in batches)
    long = [f"{'x' * 60}{i}@example.org" for i in range(40)]
    assert all(len(mailto_link(b)) <= 2000 for b in bcc_batches(long))
    assert mailto_link(["a+b@example.org", "o'neil@example.org"]).startswith(
        "mailto:?bcc=a+b@example.org,o%27neil"
    )
    assert clipboard_text(["a@x.org", "b@x.org"]) == "a@x.org; b@x.org"
