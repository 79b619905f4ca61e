"""Data protection benchmarks: subject access for a busy person, the retention review at scale.

    python -m tests.benchmarks.bench_privacy [--people 100000] [--interactions 10000] [--repeat 3]

- Subject access: one person with ``--interactions`` interactions (a third shared with another
  person, a quarter with an organisation), their history and exports; the whole workbook written.
  Target: under 2 s.
- Retention view: ``--people`` generated people added long ago, a fifth with a recent interaction,
  the generator's network members current; what the "Due for review" page loads (the count and the
  first 2,000, with their last activity). Target: under 300 ms. The full list the command line prints
  is timed too.

Prints one JSON object of medians (wall and CPU seconds; on a busy shared machine the CPU time is
the steadier figure).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from crm.bulk import insert_rows
from crm.db import open_database
from crm.models import (
    Interaction,
    InteractionOrganisation,
    InteractionPerson,
    Organisation,
    Person,
    table_of,
)
from crm.privacy.retention import due_for_review
from crm.privacy.subject_access import write_subject_access
from crm.services import organisations, people

from tests.benchmarks.generate import populate

PAGE = 2_000
LONG_AGO = dt.datetime(2019, 6, 1, tzinfo=dt.UTC)


def _median(fn: Any, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds: on a shared machine CPU time is the steadier comparison."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return round(statistics.median(wall), 3), round(statistics.median(cpu), 3)


def _interactions(session: Any, rows: list[dict[str, Any]]) -> list[int]:
    first = (session.scalar(select(func.max(Interaction.id))) or 0) + 1
    now = dt.datetime.now(dt.UTC)
    for i, row in enumerate(rows):
        row.update(id=first + i, created_at=now, updated_at=now, follow_up_done=False)
    insert_rows(session, table_of(Interaction), rows)
    return [first + i for i in range(len(rows))]


def bench_subject_access(folder: Path, n: int, repeat: int) -> dict[str, Any]:
    db = open_database(folder / "sar.db")
    try:
        with db.transaction() as s:
            pid = people.create_person(
                s, first_name="Busy", last_name="Person", email="busy@example.org", town="Perth"
            ).id
            other = people.create_person(s, first_name="Other", last_name="Person").id
            org = organisations.create_organisation(s, name="Kindness Trust").id
            for i in range(200):
                people.update_person(s, pid, {"job_title": f"Role {i}"})
            start = dt.date(2015, 1, 1)
            ids = _interactions(
                s,
                [
                    {
                        "date": start + dt.timedelta(days=i % 4000),
                        "kind": "meeting",
                        "subject": f"Meeting {i} on kindness in public policy",
                        "notes": "Talked about the programme, next steps and a follow-up letter. " * 3,
                        "topics": "kindness, policy",
                        "owner": "Staff member",
                    }
                    for i in range(n)
                ],
            )
            insert_rows(
                s, table_of(InteractionPerson), [{"interaction_id": i, "person_id": pid} for i in ids]
            )
            insert_rows(
                s, table_of(InteractionPerson), [{"interaction_id": i, "person_id": other} for i in ids[::3]]
            )
            insert_rows(
                s,
                table_of(InteractionOrganisation),
                [{"interaction_id": i, "organisation_id": org} for i in ids[::4]],
            )
        out = folder / "sar.xlsx"

        def run() -> None:
            with db.session() as s:
                write_subject_access(s, pid, out)

        seconds, cpu = _median(run, repeat)
        return {
            "subject_access_seconds": seconds,
            "subject_access_cpu_seconds": cpu,
            "interactions": n,
            "file_kb": out.stat().st_size // 1024,
        }
    finally:
        db.dispose()


def bench_retention(folder: Path, n: int, repeat: int) -> dict[str, Any]:
    db = open_database(folder / "retention.db")
    try:
        populate(db, n)
        with db.transaction() as s:
            s.execute(update(Person).values(created_at=LONG_AGO))
            ids = list(s.scalars(select(Person.id).order_by(Person.id)))
            recent = ids[::5]
            today = dt.date.today()
            made = _interactions(
                s,
                [
                    {"date": today - dt.timedelta(days=i % 300), "kind": "email", "subject": "Newsletter"}
                    for i in range(len(recent))
                ],
            )
            insert_rows(
                s,
                table_of(InteractionPerson),
                [{"interaction_id": i, "person_id": p} for i, p in zip(made, recent, strict=True)],
            )
            old = ids[1::5]
            made = _interactions(
                s, [{"date": dt.date(2021, 1, 1), "kind": "meeting", "subject": "Old meeting"} for _ in old]
            )
            insert_rows(
                s,
                table_of(InteractionPerson),
                [{"interaction_id": i, "person_id": p} for i, p in zip(made, old, strict=True)],
            )
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
        report: dict[str, Any] = {}

        def page() -> None:
            with db.session() as s:
                report["page"] = due_for_review(s, limit=PAGE)

        def everyone() -> None:
            with db.session() as s:
                report["all"] = due_for_review(s)

        page_seconds, page_cpu = _median(page, repeat)
        all_seconds, all_cpu = _median(everyone, repeat)
        with db.session() as s:
            people_count = s.scalar(select(func.count(Person.id)))
            orgs = s.scalar(select(func.count(Organisation.id)))
        return {
            "retention_page_seconds": page_seconds,
            "retention_page_cpu_seconds": page_cpu,
            "retention_all_seconds": all_seconds,
            "retention_all_cpu_seconds": all_cpu,
            "people": people_count,
            "organisations": orgs,
            "due": report["page"].total,
            "shown": len(report["page"].people),
        }
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        result = {
            **bench_subject_access(folder, args.interactions, args.repeat),
            **bench_retention(folder, args.people, args.repeat),
            "targets": {"subject_access_seconds": 2.0, "retention_page_seconds": 0.3},
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
