"""Benchmark: where an import's memory goes, step by step.

    python -m tests.benchmarks.bench_import_memory [--rows 1000000] [--keep DIR]

Makes a ``.csv`` of ``--rows`` people (as ``bench_import --big-rows`` does) and runs
``kindred-cli import FILE --json`` on an empty database in a fresh process, with the importer's
steps (reading, cleaning, matching, deciding, writing) marked: prints in one JSON object the
process's resident memory after each step and the highest it reached during it (sampled every
50 ms), the process's peak (``ru_maxrss``), the rows per MB and the load average. The target is a
peak under 1 GB for 1,000,000 rows of 16 columns.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

STEPS = ("_clean_rows", "_match", "_decide", "_resolve_organisations_and_networks", "write_plan")


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: Path, db_path: Path) -> dict[str, Any]:
    """The command line's import in this process, with each step's memory noted."""
    from crm.importing import engine, reader

    highest = [0.0]
    steps: list[dict[str, Any]] = []
    started = time.perf_counter()

    def sample() -> None:
        while True:
            highest[0] = max(highest[0], _rss_mb())
            time.sleep(0.05)

    def mark(name: str) -> None:
        now = _rss_mb()
        steps.append(
            {
                "after": name,
                "seconds": round(time.perf_counter() - started, 1),
                "rss_mb": round(now, 1),
                "highest_during_mb": round(max(highest[0], now), 1),
            }
        )
        highest[0] = 0.0

    threading.Thread(target=sample, daemon=True).start()
    for name in STEPS:
        original = getattr(engine, name)

        def marked(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            result = _original(*args, **kwargs)
            mark(_name.strip("_"))
            return result

        setattr(engine, name, marked)
    original_read = reader.read_table

    def read_marked(*args: Any, **kwargs: Any) -> Any:
        result = original_read(*args, **kwargs)
        mark("read")
        return result

    reader.read_table = read_marked  # type: ignore[assignment]
    import crm.importing

    crm.importing.read_table = read_marked  # type: ignore[assignment]
    from crm.cli import main

    mark("start")
    argv = ["--db", str(db_path), "import", str(path), "--tag", "benchmark import", "--json"]
    with open(os.devnull, "w", encoding="utf-8") as quiet:
        saved, sys.stdout = sys.stdout, quiet
        try:
            code = main(argv)
        finally:
            sys.stdout = saved
    mark("done")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"exit_code": code, "peak_mb": round(peak, 1), "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", metavar="DIR", help="keep the generated files here (and reuse them)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), Path(args.child[1]))))
        return
    from crm.db import open_database

    from tests.benchmarks.bench_import import make_csv

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kindred-bench-memory-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        source = folder / f"big-{args.rows}.csv"
        if not source.exists():
            make_csv(source, args.rows)
        db_path = folder / "memory.db"
        db_path.unlink(missing_ok=True)
        open_database(db_path).dispose()
        cmd = [
            sys.executable,
            "-m",
            "tests.benchmarks.bench_import_memory",
            "--child",
            str(source),
            str(db_path),
        ]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result = {
            "rows": args.rows,
            **result,
            "kb_per_row": round(result["peak_mb"] * 1024 / max(args.rows, 1), 2),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "target_under_1_gb_for_1m": None if args.rows != 1_000_000 else result["peak_mb"] < 1024,
        }
        print(json.dumps(result, indent=1))
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
