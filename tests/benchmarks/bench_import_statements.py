"""Benchmark: where an import's time goes inside SQLite, statement by statement.

    python -m tests.benchmarks.bench_import_statements [--rows 100000] [--existing 100000] [--xlsx] [--keep DIR]

Makes the same list and database as ``bench_import`` (a ``.csv`` of ``--rows`` people into a
database of ``--existing`` others), imports it in this process and prints in one JSON object the
phases (read, clean, match, write, commit), how long the main thread waited for the bulk writer's
helper thread (long waits mean SQLite, not Python, holds the import back), and the time spent in
each group of statements (the same statement text, values aside), largest first: what each table,
index and the search index cost the import. Statements run on the helper thread overlap the main
thread's Python work, so the groups add up to more than the write phase's share.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from tests.benchmarks.bench_import import _time_phases, copy_db, make_files


def _statement_groups(engine: Any) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Time each statement the engine runs (by its text, parameters aside) and note the commit."""
    from sqlalchemy import event

    groups: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    marks = {"commit_started": 0.0}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        spent = time.perf_counter() - conn.info.pop("bench_started")
        key = re.sub(r"\(\?(, \?)*\)", "(?…)", re.sub(r"\s+", " ", statement))[:100]
        groups[key][0] += spent
        groups[key][1] += 1

    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        marks["commit_started"] = time.perf_counter()

    return groups, marks


def _time_helper_waits() -> dict[str, float]:
    """Add up how long the main thread waits for the bulk writer's helper thread."""
    from crm import bulk

    totals = {"seconds": 0.0}
    original = bulk.BulkPeopleWriter.wait

    def wait(self: Any) -> None:
        started = time.perf_counter()
        try:
            original(self)
        finally:
            totals["seconds"] += time.perf_counter() - started

    bulk.BulkPeopleWriter.wait = wait  # type: ignore[method-assign]
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--xlsx", action="store_true", help="import the .xlsx rather than the .csv")
    parser.add_argument("--keep", metavar="DIR", help="keep the generated files here (and reuse them)")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kindred-bench-statements-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        from crm.db import open_database
        from crm.importing import ImportOptions, apply_import, read_table, suggest_mapping

        from tests.benchmarks.generate import populate

        xlsx, text, base = folder / "contacts.xlsx", folder / "contacts.csv", folder / "base.db"
        if not (args.keep and xlsx.exists() and text.exists()):
            xlsx, text = make_files(folder, args.rows)
        if not (args.keep and base.exists()):
            db = open_database(base)
            populate(db, args.existing)
            db.dispose()
        db = open_database(copy_db(base, folder / "statements.db"))
        groups, marks = _statement_groups(db.engine)
        phases = _time_phases()
        waits = _time_helper_waits()
        started = time.perf_counter()
        table = read_table(xlsx if args.xlsx else text)
        read = time.perf_counter()
        result = apply_import(
            db,
            table,
            suggest_mapping(table.headers, remembered=False),
            ImportOptions(tags=["benchmark import"]),
        )
        done = time.perf_counter()
        db.dispose()
        ranked = sorted(groups.items(), key=lambda item: -item[1][0])
        print(
            json.dumps(
                {
                    "rows": args.rows,
                    "existing_people": args.existing,
                    "file": "xlsx" if args.xlsx else "csv",
                    "created": result.created,
                    "updated": result.updated,
                    "seconds": round(done - started, 3),
                    "phases_seconds": {
                        "read": round(read - started, 3),
                        **{name: round(value, 3) for name, value in phases.items()},
                        "commit": round(done - marks["commit_started"], 3),
                    },
                    "main_thread_waiting_for_helper_seconds": round(waits["seconds"], 3),
                    "sqlite_statements_seconds": round(sum(g[0] for g in groups.values()), 3),
                    "statement_groups": [
                        {"seconds": round(spent, 3), "runs": runs, "statement": key}
                        for key, (spent, runs) in ranked[:25]
                    ],
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                },
                indent=1,
                ensure_ascii=False,
            )
        )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
