"""Faults caused for real: a full disk, a read-only medium or file, damaged bytes, kill -9.

Each test asserts the message a user sees (one plain sentence, ``{"error": …}`` and exit 1 with
``--json``), that the database is as it was, and that nothing is left behind. Mounting a small
filesystem needs root (CI runs as root); elsewhere those tests are skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm.cli import main
from crm.db import open_database
from crm.services import people

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1, captured.out
    return code, json.loads(lines[0])


def _people_csv(path: Path, rows: int, *, notes: int = 0) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["First name", "Last name", "Email", "Notes"])
        for i in range(rows):
            out.writerow([f"Person{i}", "Tester", f"p{i}@example.org", "n" * notes])
    return path


def _count(path: Path) -> int:
    db = open_database(path, create=False)
    try:
        from crm.filters import PersonFilter, count_people

        with db.session() as session:
            return count_people(session, PersonFilter())
    finally:
        db.dispose()


@contextlib.contextmanager
def _mounted(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip("mounting a small filesystem is not permitted here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with _mounted(tmp_path / "small", "1600k") as folder:
        yield folder


@pytest.fixture
def read_only_medium(tmp_path: Path) -> Iterator[Path]:
    """A folder on its own filesystem holding a Kindred database with one person, then remounted
    read-only (as a write-protected USB stick or a read-only share)."""
    with _mounted(tmp_path / "ro", "8m") as folder:
        db = open_database(folder / "k.db")
        with db.transaction() as session:
            people.create_person(session, first_name="Ada", last_name="Lovelace")
        db.dispose()
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder / "k.db"


def test_disk_full_during_import_is_a_message_and_nothing_changes(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = small_disk / "k.db"
    assert run(capsys, "--db", str(path), "init", "--json")[0] == 0
    big = _people_csv(tmp_path / "big.csv", 6_000, notes=300)

    code, out = run(capsys, "--db", str(path), "import", str(big), "--json")

    assert code == 1
    assert out["error"].startswith(f"The disk holding {path} is full")
    assert "free some space" in out["error"]
    assert _count(path) == 0
    stray = {p.name for p in small_disk.iterdir()} - {"k.db", "k.db-wal", "k.db-shm"}
    assert stray == set()


def test_backup_disk_full_stops_the_import_it_was_copied_for(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy before an import is made while the import is worked out: when it cannot be
    written, the import is not kept either, and the message names the backup folder's disk."""
    path = tmp_path / "k.db"
    assert run(capsys, "--db", str(path), "init", "--json")[0] == 0
    seed = _people_csv(tmp_path / "seed.csv", 3_000, notes=400)
    assert run(capsys, "--db", str(path), "import", str(seed), "--json")[0] == 0
    # From now on the backups go to a small disk, filled but for a few pages.
    monkeypatch.setenv("KINDRED_DATA_DIR", str(small_disk))
    (small_disk / "filler").write_bytes(b"\0" * (1600 * 1024 - 64 * 1024))
    more = _people_csv(tmp_path / "more.csv", 2_000)
    more.write_text(
        more.read_text(encoding="utf-8").replace("@example.org", "@example.net"), encoding="utf-8"
    )

    code, out = run(capsys, "--db", str(path), "import", str(more), "--json")

    assert code == 1
    assert out["error"].startswith("The disk holding"), out
    assert str(small_disk) in out["error"]
    assert "free some space" in out["error"]
    assert _count(path) == 3_000
    backups = small_disk / "backups"
    leftovers = [p.name for p in backups.rglob("*") if p.is_file()] if backups.exists() else []
    assert leftovers == []


def test_disk_full_during_export_leaves_no_partial_files(
    demo_db, small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    temp = tmp_path / "system-temp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    # Fill the small disk so that not even a small export fits.
    (small_disk / "filler").write_bytes(b"\0" * (1600 * 1024 - 8192))
    for suffix in ("xlsx", "csv"):
        dest = small_disk / f"list.{suffix}"
        code, out = run(capsys, "--db", str(demo_db.path), "export", str(dest), "--preset", "full", "--json")
        assert code == 1
        assert "is full" in out["error"] and str(dest) in out["error"], out
        assert {p.name for p in small_disk.iterdir()} == {"filler"}
    assert list(temp.iterdir()) == []
    # Nothing is left open to be cleaned up (with a warning) only when collected.
    import gc

    gc.collect()


def test_read_only_medium_opens_read_only_and_refuses_writes_plainly(
    read_only_medium: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = read_only_medium
    before = path.read_bytes()
    code, out = run(capsys, "--db", str(path), "count", "--json")
    assert (code, out) == (0, {"count": 1})

    code, out = run(capsys, "--db", str(path), "check", "--json")
    assert code == 0 and out["ok"] is True and out["read_only"] is True, out

    csv_file = _people_csv(tmp_path / "few.csv", 3)
    code, out = run(capsys, "--db", str(path), "import", str(csv_file), "--json")
    assert code == 1
    assert "read-only" in out["error"] and str(path) in out["error"]
    assert path.read_bytes() == before

    # A copy can still be made, to somewhere writable.
    code, out = run(capsys, "--db", str(path), "backup", str(tmp_path / "copy.db"), "--json")
    assert code == 0 and _count(Path(out["backup"])) == 1


def test_immutable_file_is_opened_read_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file the operating system will not let anyone write (``chattr +i``: even root)."""
    path = tmp_path / "locked-down.db"
    db = open_database(path)
    with db.transaction() as session:
        people.create_person(session, first_name="Grace", last_name="Hopper")
    db.dispose()
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode != 0:
        pytest.skip("this filesystem has no immutable files")
    try:
        db = open_database(path, create=False)
        try:
            assert db.read_only and "read-only" in db.warnings[0]
            from crm.errors import ReadOnlyDatabase

            with pytest.raises(ReadOnlyDatabase, match="read-only"), db.transaction() as session:
                people.create_person(session, first_name="Never")
        finally:
            db.dispose()
        code, out = run(capsys, "--db", str(path), "check", "--json")
        assert code == 0 and out["ok"] is True
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def _damage(path: Path) -> None:
    """Overwrite 4 KB in the middle of the file with garbage, as a bad sector or sync tool might."""
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.seek(size // 2 - (size // 2) % 4096)
        fh.write(os.urandom(4096))


def test_damaged_database_is_caught_with_the_way_out(
    demo_db, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = demo_db.path
    demo_db.dispose()  # checkpoints the WAL into the file
    _damage(path)
    before = path.read_bytes()

    code, out = run(capsys, "--db", str(path), "count", "--json")
    assert code == 1
    assert "is damaged" in out["error"] and "kindred-cli restore" in out["error"]
    assert "kindred-cli check" in out["error"]

    csv_file = _people_csv(tmp_path / "few.csv", 3)
    code, out = run(capsys, "--db", str(path), "import", str(csv_file), "--json")
    assert code == 1 and "is damaged" in out["error"]

    code, out = run(capsys, "--db", str(path), "check", "--json")
    assert code != 0
    assert out["ok"] is False and out["problems"]
    assert "restore a backup" in out["error"]
    assert path.read_bytes() == before


def test_damage_found_by_a_statement_stops_later_writes(sqlite_db) -> None:
    import sqlite3

    from crm.errors import DatabaseDamaged

    with sqlite_db.transaction() as session:
        for i in range(300):
            people.create_person(session, first_name=f"P{i}", last_name="X", notes="n" * 500)
    path = sqlite_db.path
    sqlite_db.engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = raw.execute("PRAGMA page_size").fetchone()[0]
    root = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = 'person'").fetchone()[0]
    raw.close()
    with path.open("r+b") as fh:  # garbage over the person table's first page
        fh.seek((root - 1) * page_size)
        fh.write(b"\xff" * page_size)
    with pytest.raises(DatabaseDamaged, match="is damaged"), sqlite_db.transaction() as session:
        session.connection().exec_driver_sql("UPDATE person SET notes = 'x'")
    assert sqlite_db.damaged
    with pytest.raises(DatabaseDamaged), sqlite_db.transaction() as session:
        people.create_person(session, first_name="Later")


def _cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "crm", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def _kill_when(proc: subprocess.Popen[str], ready: object, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the process ended before it could be killed: {proc.communicate()}")
        if ready():  # type: ignore[operator]
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            assert proc.returncode == -signal.SIGKILL
            return
        time.sleep(0.005)  # polling a file a subprocess writes: there is no signal to wait on
    pytest.fail("the process never reached the point to kill it")


def test_kill_9_during_import_leaves_the_database_as_before(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "k.db"
    db = open_database(path)
    with db.transaction() as session:
        people.create_person(session, first_name="Before", last_name="Import")
    db.dispose()
    big = _people_csv(tmp_path / "big.csv", 60_000)
    wal = folder / "k.db-wal"
    proc = _cli("--db", str(path), "import", str(big), "--json")
    # Killed once the import's transaction has written a good part of its pages.
    _kill_when(proc, lambda: wal.exists() and wal.stat().st_size > 4_000_000)

    assert _count(path) == 1
    db = open_database(path, create=False)
    try:
        assert db.check().ok
    finally:
        db.dispose()
    assert {p.name for p in folder.iterdir()} <= {"k.db", "k.db-wal", "k.db-shm"}


def test_kill_9_during_export_leaves_nothing_once_export_runs_again(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    db = open_database(path)
    with db.transaction() as session:
        people.bulk_insert_people(
            session,
            [
                {"first_name": f"P{i}", "last_name": "Tester", "email": f"p{i}@example.org"}
                for i in range(40_000)
            ],
        )
    db.dispose()
    out = tmp_path / "out"
    out.mkdir()
    temp = tmp_path / "temp"
    temp.mkdir()
    dest = out / "list.xlsx"
    env = {"TMPDIR": str(temp)}
    proc = _cli("--db", str(path), "export", str(dest), "--preset", "full", "--json", env=env)
    _kill_when(proc, lambda: any(p.name.endswith(".parts") for p in out.iterdir()))

    assert not dest.exists()
    assert list(temp.iterdir()) == []  # XlsxWriter's files were never in the system temp folder
    assert _count(path) == 40_000
    # The next export to the same file clears what the killed one left.
    again = _cli("--db", str(path), "export", str(dest), "--json", env=env)
    _stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert {p.name for p in out.iterdir()} == {"list.xlsx"}
    assert list(temp.iterdir()) == []


def test_kill_9_during_merge_leaves_the_database_as_before(tmp_path: Path) -> None:
    import datetime as dt

    from sqlalchemy import func, select

    from crm.bulk import insert_rows
    from crm.models import Interaction, InteractionPerson, MergeRecord

    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "k.db"
    n = 30_000
    db = open_database(path)
    with db.transaction() as session:
        keep = people.create_person(session, first_name="Jane", last_name="Smith").id
        other = people.create_person(session, first_name="Jane", last_name="Smyth").id
        now = dt.datetime.now(dt.UTC)
        insert_rows(
            session,
            Interaction.__table__,
            [
                {"id": i + 1, "date": dt.date(2026, 1, 1), "kind": "email", "subject": f"Note {i}",
                 "follow_up_done": False, "created_at": now, "updated_at": now}
                for i in range(n)
            ],
        )  # fmt: skip
        insert_rows(
            session,
            InteractionPerson.__table__,
            [{"interaction_id": i + 1, "person_id": other} for i in range(n)],
        )
    db.dispose()
    wal = folder / "k.db-wal"
    start = wal.stat().st_size if wal.exists() else 0
    proc = _cli("--db", str(path), "merge", str(keep), str(other), "--json")
    # Killed once the merge's transaction has written a good part of its pages.
    _kill_when(proc, lambda: wal.exists() and wal.stat().st_size > start + 2_000_000)

    db = open_database(path, create=False)
    try:
        assert db.check().ok
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(MergeRecord)) == 0
            moved = session.scalar(
                select(func.count())
                .select_from(InteractionPerson)
                .where(InteractionPerson.person_id == other)
            )
            assert moved == n
    finally:
        db.dispose()
    assert {p.name for p in folder.iterdir()} <= {"k.db", "k.db-wal", "k.db-shm"}
