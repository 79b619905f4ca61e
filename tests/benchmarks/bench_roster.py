"""Benchmark: refresh a 650-member House of Commons roster against a database of 100,000 people.

    python -m tests.benchmarks.bench_roster [--people 100000] [--members 650] [--keep DIR]

Bulk-loads 100,000 generated people, loads a 650-member Commons roster (UK Parliament Members API
JSON) as the state before an election, then refreshes from the roster after it: a third of the
seats change hands, twenty members change party, the rest continue. Times reading the file, the
dry run and the refresh itself (read, match, plan, write, audit, one transaction), then the undo.
Prints one JSON object. Target: the refresh under 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from crm.db import open_database
from crm.roster.readers import read_roster
from crm.roster.reconcile import refresh_roster, undo_refresh

from tests.benchmarks.generate import populate
from tests.crm.roster.rosters import generate, newcomer, write_members_api

TARGET_SECONDS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=650)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kindred-bench-roster-"))
    try:
        db = open_database(folder / "bench.db")
        out: dict[str, object] = {"people": args.people, "members": args.members}
        out.update(populate(db, args.people))
        before = generate(args.members, seed=2019, start=dt.date(2019, 12, 12), areas="Constituency")
        election = dt.date(2024, 7, 4)
        after = []
        for i, m in enumerate(before):
            if i % 3 == 0:
                after.append(newcomer(m, seed=10_000 + i, start=election))
            elif i % 3 == 1 and i < 60:
                after.append(replace(m, party="Independent"))
            else:
                after.append(m)
        first = write_members_api(folder / "commons-2019.json", before)
        second = write_members_api(folder / "commons-2024.json", after)
        started = time.perf_counter()
        refresh_roster(db, read_roster(first), dt.date(2020, 1, 1))
        out["first_load_seconds"] = round(time.perf_counter() - started, 3)

        started = time.perf_counter()
        roster = read_roster(second)
        out["read_seconds"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        dry = refresh_roster(db, read_roster(second), election, dry_run=True)
        out["dry_run_seconds"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        result = refresh_roster(db, roster, election)
        refresh_seconds = time.perf_counter() - started + out["read_seconds"]  # type: ignore[operator]
        out["refresh_seconds"] = round(refresh_seconds, 3)
        summary = result.as_dict()
        out.update({k: summary[k] for k in ("added", "changed", "ended", "continuing", "unmatched")})
        assert dry.plan.count("added") == summary["added"]
        assert result.batch_id is not None
        started = time.perf_counter()
        undo_refresh(db, result.batch_id)
        out["undo_seconds"] = round(time.perf_counter() - started, 3)
        out["target_seconds"] = TARGET_SECONDS
        out["within_target"] = refresh_seconds < TARGET_SECONDS
        db.dispose()
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(folder / "bench.db", args.keep / "bench.db")
        print(json.dumps(out))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
