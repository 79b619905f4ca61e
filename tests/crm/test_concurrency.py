"""Writers wait their turn: two imports at once into one SQLite file both land (real processes)."""

from __future__ import annotations

import csv
import json
import os
import selectors
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from crm.db import WAITING_MESSAGE, open_database
from crm.services import people

ROOT = Path(__file__).resolve().parents[2]


def _people_csv(path: Path, prefix: str, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["First name", "Last name", "Email"])
        for i in range(rows):
            out.writerow([f"{prefix}{i}", "Tester", f"{prefix.lower()}{i}@example.org"])
    return path


def _cli(*argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "crm", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for_line(procs: list[subprocess.Popen[str]], text: str, timeout: float = 120) -> None:
    """Read each process's stderr until every one has printed ``text`` (or fail on timeout/exit)."""
    waiting = {p.pid: p for p in procs}
    sel = selectors.DefaultSelector()
    for p in procs:
        assert p.stderr is not None
        sel.register(p.stderr, selectors.EVENT_READ, p)
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            proc: subprocess.Popen[str] = key.data
            line = key.fileobj.readline()  # type: ignore[union-attr]
            if text in line:
                waiting.pop(proc.pid, None)
                sel.unregister(key.fileobj)
            elif not line:
                raise AssertionError(f"process {proc.pid} ended before waiting: {proc.wait()}")
    sel.close()
    assert not waiting, "a writer never said it was waiting"


def test_two_imports_at_once_both_land_the_second_waiting_its_turn(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    open_database(path).dispose()
    first = _people_csv(tmp_path / "first.csv", "Ann", 3_000)
    second = _people_csv(tmp_path / "second.csv", "Bob", 3_000)

    # Another program holds the write lock: both imports must wait for it, say so, then finish.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    procs = [_cli("--db", str(path), "import", str(f), "--json") for f in (first, second)]
    try:
        _wait_for_line(procs, WAITING_MESSAGE)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    assert sorted(r["created"] for r in results) == [3_000, 3_000]

    db = open_database(path, create=False)
    try:
        from crm.filters import PersonFilter, count_people

        with db.session() as session:
            assert count_people(session, PersonFilter()) == 6_000
    finally:
        db.dispose()


def test_a_write_transaction_takes_the_lock_at_its_start(tmp_path: Path) -> None:
    """A transaction that reads before it writes no longer fails at once when another writer
    committed meanwhile: it owns the write lock from its first statement."""
    path = tmp_path / "k.db"
    one = open_database(path)
    two = open_database(path, create=False)
    try:
        with one.transaction() as session:
            people.create_person(session, first_name="Reads", last_name="First")
            raw = sqlite3.connect(path, timeout=0.1)
            try:
                # The lock is already held: another writer is refused at once (timeout 0.1 s).
                try:
                    raw.execute("BEGIN IMMEDIATE")
                    raise AssertionError("the write lock was not held")
                except sqlite3.OperationalError as exc:
                    assert "locked" in str(exc)
            finally:
                raw.close()
        with two.transaction() as session:
            people.create_person(session, first_name="Second", last_name="Writer")
        with two.session() as session:
            from crm.filters import PersonFilter, count_people

            assert count_people(session, PersonFilter()) == 2
    finally:
        one.dispose()
        two.dispose()


def test_readers_are_not_blocked_by_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    db = open_database(path)
    try:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            # The reader's busy timeout is zero: a reader that had to wait would fail here.
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA busy_timeout = 0")
                assert conn.exec_driver_sql("SELECT count(*) FROM person").scalar() == 0
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    finally:
        db.dispose()
