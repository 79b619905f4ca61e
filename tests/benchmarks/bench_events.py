"""The Events page for a big event with stations, offscreen.

    python -m tests.benchmarks.bench_events [--people 20000] [--attendees 2000] [--stations 20]

Builds a database of generated people, an event with ``--attendees`` of them on its list (four in
five attended), ``--stations`` stations with everyone who came placed at one and every third person
at a second, a note on one placement in ten, and twenty follow-ups. Prints one JSON object:

- ``event_open_ms``: median and worst of choosing the event in the list until its page (people,
  stations, follow-ups) is shown, over ``--runs`` runs; the target is under 200 ms.
- ``station_switch_ms``: median of choosing another station on the Stations tab (shown at once).
- ``station_filter_ms``: counting "was at station X" for an export (``PersonFilter.station``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def build(db: Any, attendees: int, stations: int) -> tuple[int, int]:
    """The big event and a small one (to switch between); returns their ids."""
    from sqlalchemy import select

    from crm.models import Person
    from crm.services import event_parts, events

    with db.transaction() as session:
        people = list(session.scalars(select(Person.id).order_by(Person.id).limit(attendees)))
        big = events.create_event(session, "Big reception", starts_on=dt.date(2026, 9, 1)).id
        small = events.create_event(session, "Small seminar", starts_on=dt.date(2026, 8, 1)).id
        events.set_attendance(session, small, people[:20], "attended")
        events.set_attendance(session, big, people, "invited")
        came = [p for i, p in enumerate(people) if i % 5]
        events.set_attendance(session, big, came, "attended")
        parts = [
            event_parts.add_part(
                session, big, f"Station {i + 1}", topic=f"Topic {i + 1}", host=f"Host {i + 1}"
            ).id
            for i in range(stations)
        ]
        for i, part in enumerate(parts):
            at = [p for j, p in enumerate(came) if j % stations == i]
            at += [p for j, p in enumerate(came) if j % 3 == 0 and (j + 1) % stations == i]
            event_parts.place_people(session, part, at)
            for pid in at[::10]:
                event_parts.set_placement_notes(session, part, pid, "Asked for the briefing.")
        for i in range(20):
            event_parts.create_follow_up(
                session, big, person_ids=came[i * 3 : i * 3 + 3], due=dt.date(2026, 9, 15), text=f"Note {i}"
            )
    return big, small


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--attendees", type=int, default=2_000)
    parser.add_argument("--stations", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from crm.db import open_database
    from crm.filters import PersonFilter, count_people

    from ui.pages.events_page import EventsPage
    from ui.tasks import TaskRunner

    from tests.benchmarks.bench_pages import _timed_refresh
    from tests.benchmarks.generate import populate

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "bench.db")
        populate(db, args.people)
        started = time.perf_counter()
        big, small = build(db, args.attendees, args.stations)
        results: dict[str, Any] = {
            "people": args.people,
            "attendees": args.attendees,
            "stations": args.stations,
            "build_event_s": round(time.perf_counter() - started, 2),
        }
        runner = TaskRunner(db)
        page = EventsPage(runner)
        page.resize(1280, 800)
        page.show()
        _timed_refresh(app, page)
        rows = {page.model.id_at(r): r for r in range(page.model.rowCount())}
        opens = []
        for _ in range(args.runs):
            _timed_refresh(app, page, lambda: page.table.selectRow(rows[small]))
            opens.append(_timed_refresh(app, page, lambda: page.table.selectRow(rows[big])))
        results["event_open_ms"] = {
            "median": round(statistics.median(opens), 1),
            "worst": round(max(opens), 1),
        }
        results["attendance_rows"] = page.attendance_model.rowCount()
        results["placements_shown_first_station"] = page.stations.people_model.rowCount()
        page.tabs.setCurrentWidget(page.stations)
        switches = []
        for row in range(page.stations.parts_model.rowCount()):
            t0 = time.perf_counter()
            page.stations.parts_table.selectRow(row)
            app.processEvents()
            switches.append((time.perf_counter() - t0) * 1000)
        results["station_switch_ms"] = round(statistics.median(switches), 1)
        with db.session() as session:
            t0 = time.perf_counter()
            n = count_people(session, PersonFilter(event="Big reception", station="Station 7"))
            results["station_filter_ms"] = round((time.perf_counter() - t0) * 1000, 1)
            results["station_filter_count"] = n
        page.close()
        runner.wait_for_all()
        db.dispose()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
