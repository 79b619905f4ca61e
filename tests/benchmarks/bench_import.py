"""Benchmark: import a 100,000-row, 16-column contact list into a database of 100,000 other people.

    python -m tests.benchmarks.bench_import [--rows 100000] [--existing 100000] [--big-rows 1000000] [--keep DIR]

Generates the list as ``.xlsx`` (XlsxWriter) and ``.csv`` (UTF-8 with BOM, as Excel saves it) with
realistic names (accents, gaps in different columns), bulk-loads a database with 100,000 other
people, then, each in a fresh process (so each peak memory figure is its own), prints in one JSON
object:

- the bare reads: python-calamine and openpyxl read-only on the ``.xlsx``, the ``csv`` module on
  the ``.csv``;
- the whole process, as a user runs it: ``kindred-cli import FILE --json`` for the ``.xlsx`` and the
  ``.csv``, into a copy of the 100,000-people database and into an empty one, timed from starting
  the interpreter to its exit, with the command's start-up (interpreter, imports, opening and
  checking the database) measured separately;
- the same imports in-process with a breakdown: read, clean, match (duplicates, decisions,
  organisations), write, index (building the people indexes and the search index) and commit, with
  the time spent inside SQLite itself;
- with ``--big-rows N`` (say 1,000,000), the peak memory of importing an N-row ``.csv`` into an
  empty database.

Targets: xlsx import (whole process) under 3x the bare calamine read, csv import under 2 s, peak
under 300 MB, and 1,000,000 rows imported under 1 GB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HEADINGS = [
    "Title",
    "Forename",
    "Surname",
    "E-mail address",
    "Telephone",
    "Mobile",
    "Job title",
    "Organisation/Company",
    "Address 1",
    "Town",
    "Post code",
    "Nation",
    "Area",
    "Source",
    "Group",
    "Tags",
]
KEYS = [
    "title",
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile",
    "job_title",
    "organisation",
    "address_line1",
    "town",
    "postcode",
    "nation",
    "region",
    "source",
    "network",
    "tag",
]


def peak_mb() -> float:
    """This process's peak resident memory in MB (ru_maxrss is KB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def make_csv(path: Path, rows: int, seed: int = 3) -> Path:
    """A CSV of ``rows`` people written as they are generated (a million fit in little memory)."""
    from tests.benchmarks.generate import generate_people

    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADINGS)
        for p in generate_people(rows, seed=seed, email_domain="example.org"):
            writer.writerow(["" if p[k] is None else p[k] for k in KEYS])
    return path


def make_files(folder: Path, rows: int) -> tuple[Path, Path]:
    import xlsxwriter

    from tests.benchmarks.generate import generate_people

    people = [[p[k] for k in KEYS] for p in generate_people(rows, seed=2, email_domain="example.net")]
    xlsx = folder / "contacts.xlsx"
    workbook = xlsxwriter.Workbook(str(xlsx), {"constant_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet("Contacts")
    sheet.write_row(0, 0, HEADINGS)
    for i, row in enumerate(people, start=1):
        for j, value in enumerate(row):
            if value is not None:
                sheet.write_string(i, j, value)
    workbook.close()
    text = folder / "contacts.csv"
    with text.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADINGS)
        writer.writerows([["" if v is None else v for v in row] for row in people])
    return xlsx, text


def child(kind: str, path: Path, db_path: Path | None) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    started = time.perf_counter()
    if kind == "calamine":
        import python_calamine as pc

        n = sum(1 for _ in pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows())
        return {"seconds": round(time.perf_counter() - started, 3), "rows": n, "peak_mb": peak_mb()}
    if kind == "csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            n = sum(1 for _ in csv.reader(fh))
        return {"seconds": round(time.perf_counter() - started, 3), "rows": n, "peak_mb": peak_mb()}
    if kind == "openpyxl":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        return {"seconds": round(time.perf_counter() - started, 3), "rows": n, "peak_mb": peak_mb()}
    from crm.db import open_database
    from crm.importing import ImportOptions, apply_import, read_table, suggest_mapping

    assert db_path is not None
    db = open_database(db_path)
    sql_seconds = _time_sql(db.engine)
    phases = _time_phases()
    opened = time.perf_counter()
    table = read_table(path)
    read = time.perf_counter()
    mapping = suggest_mapping(table.headers, remembered=False)
    result = apply_import(db, table, mapping, ImportOptions(tags=["benchmark import"]))
    done = time.perf_counter()
    with db.engine.connect() as conn:
        people = conn.exec_driver_sql("SELECT count(*) FROM person").scalar_one()
        found = conn.exec_driver_sql(
            "SELECT count(*) FROM person_fts WHERE person_fts MATCH 'floinn'"
        ).scalar_one()
    db.dispose()
    seconds = done - opened
    commit = done - sql_seconds["commit_started"]
    return {
        "seconds": round(seconds, 3),
        "read_seconds": round(read - opened, 3),
        "plan_and_write_seconds": round(done - read, 3),
        "breakdown_seconds": {
            "read": round(read - opened, 3),
            "clean": round(phases["clean"], 3),
            "match": round(phases["match"], 3),
            # Writing rows (people, links, history), less the index work counted next. The search
            # index is filled on a helper thread while the next rows are built, so part of "index"
            # overlaps "write" and this figure is a lower bound.
            "write": round(phases["write"] - sql_seconds["index"], 3),
            # Building the people table's indexes and filling the search index (time in SQLite).
            "index": round(sql_seconds["index"], 3),
            "commit": round(commit, 3),
        },
        # Time spent inside SQLite (statements, then the commit): the floor no Python work can lower.
        "sqlite_statements_seconds": round(sql_seconds["statements"], 3),
        "sqlite_commit_seconds": round(commit, 3),
        "rows_per_second": round(len(table.data_rows) / seconds),
        "peak_mb": peak_mb(),
        "created": result.created,
        "updated": result.updated,
        "skipped": result.skipped,
        "rejected": result.rejected,
        "flagged": result.flagged,
        "people_after": people,
        "search_finds_o_floinn": found,
        "mapped_columns": len(mapping),
    }


def _time_phases() -> dict[str, float]:
    """Add up the time spent in the importer's steps (wrapping the functions the engine calls)."""
    from crm.importing import engine

    totals = {"clean": 0.0, "match": 0.0, "write": 0.0}
    steps = {
        "_clean_rows": "clean",
        "_match": "match",
        "_decide": "match",
        "_resolve_organisations_and_networks": "match",
        "write_plan": "write",
    }
    for name, phase in steps.items():
        original = getattr(engine, name)

        def timed(*args: Any, _original: Any = original, _phase: str = phase, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                totals[_phase] += time.perf_counter() - started

        setattr(engine, name, timed)
    return totals


def _time_sql(engine: Any) -> dict[str, float]:
    """Add up the time the engine's statements spend in the driver, and note when the commit starts."""
    from sqlalchemy import event

    totals = {"statements": 0.0, "index": 0.0, "commit_started": 0.0}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        spent = time.perf_counter() - conn.info.pop("bench_started")
        totals["statements"] += spent
        if statement.startswith(("CREATE INDEX", "INSERT INTO person_fts")):
            totals["index"] += spent

    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        totals["commit_started"] = time.perf_counter()

    return totals


def run_child(kind: str, path: Path, db_path: Path | None = None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "tests.benchmarks.bench_import", "--child", kind, str(path)]
    if db_path is not None:
        cmd.append(str(db_path))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cli_import(path: Path, db_path: Path) -> dict[str, Any]:
    """``kindred-cli --db DB import FILE --tag … --json`` in its own process."""
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "crm", "--db", str(db_path), "import", str(path)]
    cmd += ["--tag", "benchmark import", "--json"]
    # Output to files, not pipes: wait4 (which gives this child's own peak memory, where
    # getrusage of all children would mix them up) must not wait on a child blocked on a full pipe.
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(cmd, stdout=out_file, stderr=err_file)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        seconds = time.perf_counter() - started
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    if status:
        raise RuntimeError(f"kindred-cli import failed: {err.decode() or out.decode()}")
    printed = json.loads(out)
    return {
        "seconds": round(seconds, 3),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "command_own_seconds": printed["seconds"],
        "created": printed["created"],
        "updated": printed["updated"],
        "skipped": printed["skipped"],
    }


def cli_startup(db_path: Path) -> dict[str, Any]:
    """What starting the command costs before any import work, in separate processes: the bare
    interpreter, the interpreter with the CLI's imports (``--help``), and opening and checking the
    database (``imports --json``: imports, migration check, quick check, one small query)."""
    out: dict[str, Any] = {}
    for name, cmd in (
        ("python_bare", [sys.executable, "-c", "pass"]),
        ("cli_help", [sys.executable, "-m", "crm", "--help"]),
        ("cli_open_database", [sys.executable, "-m", "crm", "--db", str(db_path), "imports", "--json"]),
        ("cli_import_modules", [sys.executable, "-c", "import crm.cli, crm.importing, crm.db"]),
    ):
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            best = min(best, time.perf_counter() - started)
        out[name] = round(best, 3)
    return out


def copy_db(source: Path, dest: Path) -> Path:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(dest)
    src.backup(dst)
    dst.close()
    src.close()
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument(
        "--big-rows", type=int, default=0, metavar="N", help="also import an N-row CSV into an empty database"
    )
    parser.add_argument("--keep", metavar="DIR", help="keep the generated files here (and reuse them)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path, *rest = args.child
        print(json.dumps(child(kind, Path(path), Path(rest[0]) if rest else None)))
        return

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kindred-bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        xlsx, text, base = folder / "contacts.xlsx", folder / "contacts.csv", folder / "base.db"
        populated: dict[str, Any] = {}
        if not (args.keep and xlsx.exists() and text.exists() and base.exists()):
            xlsx, text = make_files(folder, args.rows)
        generate_seconds = time.perf_counter() - started

        from crm.db import open_database

        from tests.benchmarks.generate import populate

        if not (args.keep and base.exists()):
            db = open_database(base)
            populated = populate(db, args.existing)
            db.dispose()
        empty = folder / "empty.db"
        empty.unlink(missing_ok=True)
        open_database(empty).dispose()

        calamine = run_child("calamine", xlsx)
        csv_read = run_child("csv", text)
        openpyxl_ro = run_child("openpyxl", xlsx)
        startup = cli_startup(copy_db(base, folder / "startup.db"))
        whole = {
            "xlsx_into_existing": cli_import(xlsx, copy_db(base, folder / "cli-xlsx.db")),
            "csv_into_existing": cli_import(text, copy_db(base, folder / "cli-csv.db")),
            "xlsx_into_empty": cli_import(xlsx, copy_db(empty, folder / "cli-xlsx-empty.db")),
            "csv_into_empty": cli_import(text, copy_db(empty, folder / "cli-csv-empty.db")),
        }
        xlsx_import = run_child("import", xlsx, copy_db(base, folder / "xlsx.db"))
        csv_import = run_child("import", text, copy_db(base, folder / "csv.db"))
        xlsx_empty = run_child("import", xlsx, copy_db(empty, folder / "xlsx-empty.db"))
        csv_empty = run_child("import", text, copy_db(empty, folder / "csv-empty.db"))
        big: dict[str, Any] | None = None
        if args.big_rows:
            big_csv = folder / f"big-{args.big_rows}.csv"
            if not big_csv.exists():
                make_csv(big_csv, args.big_rows)
            big = cli_import(big_csv, copy_db(empty, folder / "big.db"))
            big["rows"] = args.big_rows
        ratio = whole["xlsx_into_existing"]["seconds"] / calamine["seconds"]
        peaks = [v["peak_mb"] for v in (*whole.values(), xlsx_import, csv_import, xlsx_empty, csv_empty)]
        result = {
            "rows": args.rows,
            "columns": len(HEADINGS),
            "existing_people": args.existing,
            "xlsx_bytes": xlsx.stat().st_size,
            "csv_bytes": text.stat().st_size,
            "generate_seconds": round(generate_seconds, 2),
            **populated,
            "calamine_read": calamine,
            "csv_read": csv_read,
            "openpyxl_read_only_read": openpyxl_ro,
            "cli_startup_seconds": startup,
            "whole_process_import": whole,
            "xlsx_import": xlsx_import,
            "csv_import": csv_import,
            "xlsx_import_into_empty": xlsx_empty,
            "csv_import_into_empty": csv_empty,
            "big_csv_import_into_empty": big,
            "xlsx_whole_process_vs_calamine_read": round(ratio, 2),
            "xlsx_in_process_vs_calamine_read": round(xlsx_import["seconds"] / calamine["seconds"], 2),
            "peak_mb": max(peaks),
            # Reading the file plus SQLite's own work, with no cleaning or matching at all.
            "csv_read_and_sqlite_floor_seconds": round(
                csv_import["read_seconds"]
                + csv_import["sqlite_statements_seconds"]
                + csv_import["sqlite_commit_seconds"],
                2,
            ),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "targets": {
                "xlsx_import_under_3x_calamine": ratio < 3,
                "peak_under_300_mb": max(peaks) < 300,
                "csv_import_under_2_s": whole["csv_into_existing"]["seconds"] < 2,
                "big_import_under_1_gb": None if big is None else big["peak_mb"] < 1024,
            },
        }
        print(json.dumps(result, indent=1))
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
