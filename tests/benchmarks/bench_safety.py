"""Safety benchmark: how long a second writer waits, and what the version check costs.

    python -m tests.benchmarks.bench_safety [--people 100000] [--runs 3]

Prints one JSON object:

- ``second_writer``: a first writer holds a write transaction doing a bulk change of all people;
  a second writer asks for the lock meanwhile. ``waited_s`` is how long the second waited in all;
  ``after_release_ms`` how long it still waited once the first had committed (SQLite's busy
  handler polls; this is the cost of "waiting your turn" beyond the other's own work).
- ``version_check``: a bulk action over every person (moving 100,000 people to the Trash and
  back; a set-based update of one field) with and without raising their versions in the same
  statement; ``slower_pct`` is the extra time. Target: under 5% slower. (Tags and types are
  links, not person rows: they need no version, because the person panel saves them as changes
  on top of what is stored.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from crm import versions
from crm.db import Database, open_database, wait_notice
from crm.models import Person
from crm.services import people

from tests.benchmarks.generate import populate


def _all_ids(db: Database) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(Person.id)))


def second_writer(db: Database, ids: list[int]) -> dict[str, float]:
    """The first writer updates every person; the second writes one person once it may."""
    started_first = threading.Event()
    first_done: list[float] = []
    waiting_from: list[float] = []

    def first() -> None:
        with db.transaction() as session:
            started_first.set()
            session.execute(
                update(Person)
                .where(Person.id.in_(select(Person.id)))
                .values(notes="first writer", **versions.bump_values(Person))
            )
        first_done.append(time.perf_counter())

    thread = threading.Thread(target=first)
    thread.start()
    started_first.wait()
    asked = time.perf_counter()
    with wait_notice(lambda _m: waiting_from.append(time.perf_counter())), db.transaction() as session:
        got = time.perf_counter()
        people.update_person(session, ids[0], {"job_title": "Second writer"})
    thread.join()
    return {
        "waited_s": round(got - asked, 3),
        "first_writer_s": round(first_done[0] - asked, 3),
        "after_release_ms": round(max(0.0, got - first_done[0]) * 1000, 1),
        "said_it_was_waiting": bool(waiting_from),
    }


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def version_check(db: Database, ids: list[int], runs: int) -> dict[str, Any]:
    """Bulk actions over every person with and without raising their versions: moving everyone
    to the Trash and back (the statements :func:`crm.services.trashable.set_deleted` runs), and a
    set-based update of one field (what an import's changes come down to)."""
    from crm.models import utcnow
    from crm.util import chunked

    def trash_round(bump: bool) -> float:
        extra = versions.bump_values(Person) if bump else {}
        now = utcnow()
        with db.transaction(bulk=True) as session:

            def work() -> None:
                for value in (now, None):
                    for part in chunked(ids):
                        session.execute(
                            update(Person).where(Person.id.in_(part)).values(deleted_at=value, **extra),
                            execution_options={"synchronize_session": False},
                        )

            return _timed(work)

    def field_round(bump: bool) -> float:
        extra = versions.bump_values(Person) if bump else {}
        with db.transaction(bulk=True) as session:
            return _timed(
                lambda: session.execute(
                    update(Person).where(Person.deleted_at.is_(None)).values(region="Benchmark", **extra),
                    execution_options={"synchronize_session": False},
                )
            )

    out: dict[str, Any] = {}
    for name, fn in (("trash_and_restore_all", trash_round), ("update_one_field_of_all", field_round)):
        fn(True)  # warm-up
        without, with_ = [], []
        for _ in range(runs):  # interleaved, so drift on a busy machine hits both alike
            without.append(fn(False))
            with_.append(fn(True))
        a, b = statistics.median(without), statistics.median(with_)
        out[name] = {
            "without_versions_s": round(a, 3),
            "with_versions_s": round(b, 3),
            "slower_pct": round((b - a) / a * 100, 1),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kindred-bench-safety-") as folder:
        db = open_database(Path(folder) / "bench.db")
        try:
            populate(db, args.people)
            ids = _all_ids(db)
            result = {
                "people": len(ids),
                "second_writer": second_writer(db, ids),
                "version_check": version_check(db, ids, args.runs),
            }
        finally:
            db.dispose()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
