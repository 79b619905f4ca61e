"""Benchmark: import a 100,000-row, 16-column contact list into a database of 100,000 other people.

    python -m tests.benchmarks.bench_import [--rows 100000] [--keep DIR]

Generates the list as ``.xlsx`` (XlsxWriter) and ``.csv`` (UTF-8 with BOM, as Excel saves it) with
realistic names (accents, gaps in different columns), bulk-loads a database with 100,000 other
people, then in separate fresh processes (so each peak memory figure is its own): reads the
``.xlsx`` with bare python-calamine and with openpyxl read-only, and imports the ``.xlsx`` and the
``.csv`` into copies of the database (read, clean, validate, duplicate check, write, search index).
Prints one JSON object, with the time spent inside SQLite itself (statements and commit) beside
each import's total. Targets: xlsx import under 3× the bare calamine read, peak under 300 MB,
csv import under 2 s.
"""

from __future__ import annotations

import argparse
import csv
import json
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
    return {
        "seconds": round(seconds, 3),
        "read_seconds": round(read - opened, 3),
        "plan_and_write_seconds": round(done - read, 3),
        # Time spent inside SQLite (statements, then the commit): the floor no Python work can lower.
        "sqlite_statements_seconds": round(sql_seconds["statements"], 3),
        "sqlite_commit_seconds": round(done - sql_seconds["commit_started"], 3),
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


def _time_sql(engine: Any) -> dict[str, float]:
    """Add up the time the engine's statements spend in the driver, and note when the commit starts."""
    from sqlalchemy import event

    totals = {"statements": 0.0, "commit_started": 0.0}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, *_: Any) -> None:
        totals["statements"] += time.perf_counter() - conn.info.pop("bench_started")

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
    parser.add_argument("--keep", metavar="DIR", help="keep the generated files here")
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
        xlsx, text = make_files(folder, args.rows)
        generate_seconds = time.perf_counter() - started

        from crm.db import open_database

        from tests.benchmarks.generate import populate

        base = folder / "base.db"
        base.unlink(missing_ok=True)
        db = open_database(base)
        populated = populate(db, args.existing)
        db.dispose()

        calamine = run_child("calamine", xlsx)
        openpyxl_ro = run_child("openpyxl", xlsx)
        xlsx_import = run_child("import", xlsx, copy_db(base, folder / "xlsx.db"))
        csv_import = run_child("import", text, copy_db(base, folder / "csv.db"))
        ratio = xlsx_import["seconds"] / calamine["seconds"]
        result = {
            "rows": args.rows,
            "columns": len(HEADINGS),
            "existing_people": args.existing,
            "xlsx_bytes": xlsx.stat().st_size,
            "csv_bytes": text.stat().st_size,
            "generate_seconds": round(generate_seconds, 2),
            **populated,
            "calamine_read": calamine,
            "openpyxl_read_only_read": openpyxl_ro,
            "xlsx_import": xlsx_import,
            "csv_import": csv_import,
            "xlsx_import_vs_calamine_read": round(ratio, 2),
            # Reading the file plus SQLite's own work, with no cleaning or matching at all.
            "csv_read_and_sqlite_floor_seconds": round(
                csv_import["read_seconds"]
                + csv_import["sqlite_statements_seconds"]
                + csv_import["sqlite_commit_seconds"],
                2,
            ),
            "targets": {
                "xlsx_import_under_3x_calamine": ratio < 3,
                "peak_under_300_mb": max(xlsx_import["peak_mb"], csv_import["peak_mb"]) < 300,
                "csv_import_under_2_s": csv_import["seconds"] < 2,
            },
        }
        print(json.dumps(result, indent=1))
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
