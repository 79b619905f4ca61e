"""Export benchmark: 100,000 generated people, Mail merge preset, against a bare XlsxWriter write.

    python -m tests.benchmarks.bench_export [--people 100000] [--repeat 3] [--db PATH_OR_URL]

``--db`` may name an existing SQLite file, a new one, or an empty PostgreSQL database
(``postgresql://user:password@host/db``), which is filled first and then reused.

The measurement runs in a fresh process, so its peak memory (``ru_maxrss``) belongs to the export
and not to populating the database. There the whole export runs first (query, preferences, dedupe,
salutations, both sheets, file properties, atomic move) and the peak is read; then the same rows
are written by XlsxWriter in constant-memory mode with nothing else: ``write_row`` with default
options (what a script would do) and ``write_string`` cell by cell (what the export does), with
further exports interleaved. Wall and CPU seconds are both given: on a shared machine CPU time is
the steadier comparison. Prints one JSON object of medians. Targets: the export under 1.2 x the bare
``write_row`` write; peak memory under 250 MB.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crm.db import open_database
from crm.exporting import export_people
from crm.exporting.columns import COLUMNS, MAIL_MERGE
from crm.exporting.engine import ExportOptions, _Row, iter_export_rows
from crm.filters import PersonFilter

from tests.benchmarks.generate import populate


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _bare_write_row(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        ws.write_row(r, 0, row)
    wb.close()


def _bare_write_string(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    for c, label in enumerate(header):
        ws.write_string(0, c, label)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value:
                ws.write_string(r, c, value)
    wb.close()


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def measure(target: str, out_dir: Path, repeat: int) -> dict[str, Any]:
    """The fresh-process measurement (the parent runs this with ``--measure``)."""
    db = open_database(target)
    baseline_mb = peak_mb()
    out = out_dir / "mail-merge.xlsx"

    def export() -> Any:
        return export_people(db, PersonFilter(), out, preset="mail-merge")

    # First the export alone, so the process's peak memory is the export's.
    wall, cpu, result = _timed(export)
    export_peak = peak_mb()
    times: dict[str, list[tuple[float, float]]] = {
        "export": [(wall, cpu)],
        "write_row": [],
        "write_string": [],
    }

    # The same rows, materialised for the bare writes (not timed). Frozen, so the garbage collector
    # does not scan them during later runs and slow those down unfairly.
    with db.session() as s:
        rows = [
            item.values
            for item in iter_export_rows(s, PersonFilter(), MAIL_MERGE, ExportOptions())
            if isinstance(item, _Row)
        ]
    gc.collect()
    gc.freeze()
    header = [COLUMNS[k].label for k in MAIL_MERGE]
    # Interleaved, so a busy neighbour on a shared machine slows all three alike.
    for i in range(repeat):
        times["write_row"].append(
            _timed(lambda: _bare_write_row(out_dir / "bare-row.xlsx", header, rows))[:2]
        )
        times["write_string"].append(
            _timed(lambda: _bare_write_string(out_dir / "bare-string.xlsx", header, rows))[:2]
        )
        if i:
            times["export"].append(_timed(export)[:2])
    db.dispose()
    return {
        "times": times,
        "peak_memory_mb": export_peak,
        "baseline_memory_mb": baseline_mb,
        "rows": result.exported,
        "excluded": result.excluded,
        "columns": len(MAIL_MERGE),
        "file_mb": round(out.stat().st_size / 1e6, 1),
    }


def _populate(target: str, people: int) -> dict[str, Any]:
    """Fill an empty database; a database that already holds people is reused as it is."""
    from crm.filters import count_people

    db = open_database(target)
    try:
        with db.session() as s:
            if count_people(s, PersonFilter()):
                return {}
        return populate(db, people)
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", help="reuse or create this database file, or a PostgreSQL URL")
    parser.add_argument("--measure", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--populate", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, Path(args.out), args.repeat)))
        return
    if args.populate:
        print(json.dumps(_populate(args.populate, args.people)))
        return

    work = Path(tempfile.mkdtemp(prefix="kindred-bench-export-"))
    target = args.db or str(work / "bench.db")
    is_url = "://" in target
    figures: dict[str, Any] = {
        "people": args.people,
        "preset": "mail-merge",
        "database": target.split("://", 1)[0].split("+")[0] if is_url else "sqlite",
    }
    # Populating and measuring run in child processes: Linux carries a process's peak memory over
    # into the programs it starts, so the parent must stay small for the children's figures to hold.
    if is_url or not Path(target).exists():
        figures.update(_child("--populate", target, "--people", str(args.people)))
    run = _child("--measure", target, "--out", str(work), "--repeat", str(args.repeat))
    times = run["times"]

    def med(key: str, which: int) -> float:
        return statistics.median(t[which] for t in times[key])

    export_s, export_cpu = med("export", 0), med("export", 1)
    row_s, row_cpu = med("write_row", 0), med("write_row", 1)
    string_s, string_cpu = med("write_string", 0), med("write_string", 1)
    figures.update(
        {
            "runs": args.repeat,
            "rows": run["rows"],
            "excluded": run["excluded"],
            "columns": run["columns"],
            "seconds": round(export_s, 2),
            "cpu_seconds": round(export_cpu, 2),
            "rows_per_second": round(run["rows"] / export_s),
            "peak_memory_mb": run["peak_memory_mb"],
            "memory_after_open_mb": run["baseline_memory_mb"],
            "bare_xlsxwriter_write_row_seconds": round(row_s, 2),
            "bare_xlsxwriter_write_row_cpu_seconds": round(row_cpu, 2),
            "bare_xlsxwriter_write_string_seconds": round(string_s, 2),
            "bare_xlsxwriter_write_string_cpu_seconds": round(string_cpu, 2),
            "ratio_to_bare_write_row": round(export_s / row_s, 2),
            "ratio_to_bare_write_row_cpu": round(export_cpu / row_cpu, 2),
            "ratio_to_bare_write_string": round(export_s / string_s, 2),
            "ratio_to_bare_write_string_cpu": round(export_cpu / string_cpu, 2),
            "file_mb": run["file_mb"],
            "export_seconds_each": [round(t[0], 2) for t in times["export"]],
            "bare_write_row_seconds_each": [round(t[0], 2) for t in times["write_row"]],
            "bare_write_string_seconds_each": [round(t[0], 2) for t in times["write_string"]],
            "targets": {"ratio_to_bare_write_row": 1.2, "peak_memory_mb": 250},
        }
    )
    print(json.dumps(figures))


def _child(*argv: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_export", *argv],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    main()
