"""Automatic backups, rotation, the size budget, ``backup``/``backups``/``restore``."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from crm import backups
from crm.cli import main
from crm.db import open_database
from crm.services import people


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, json.loads(captured.out.strip().splitlines()[-1])


def _count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM person").fetchone()[0])
    finally:
        conn.close()


def test_an_import_is_preceded_by_a_listed_backup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "k.db")
    assert run(capsys, "--db", db, "init", "--json")[0] == 0
    csv_file = tmp_path / "list.csv"
    csv_file.write_text("Name,Email\nAda Lovelace,ada@example.org\n", encoding="utf-8")
    assert run(capsys, "--db", db, "import", str(csv_file), "--json")[0] == 0
    code, out = run(capsys, "--db", db, "import", str(csv_file), "--json")
    batch = out["batch_id"]
    assert run(capsys, "--db", db, "import-undo", str(batch), "--json")[0] == 0

    code, out = run(capsys, "--db", db, "backups", "--json")
    assert code == 0
    listed = out["backups"]
    assert [b["reason"] for b in listed] == [
        f"before undoing import {batch}",
        "before importing list.csv",
        "before importing list.csv",
    ]
    assert [b["people"] for b in listed] == [1, 1, 0]
    assert set(listed[0]) >= {"path", "created", "reason", "people"}
    assert all(Path(b["path"]).exists() for b in listed)
    dt.datetime.fromisoformat(listed[0]["created"])


def test_a_merge_and_a_roster_refresh_are_preceded_by_a_listed_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "k.db")
    assert run(capsys, "--db", db, "init", "--json")[0] == 0
    database = open_database(db)
    try:
        with database.transaction() as session:
            a = people.create_person(
                session, first_name="Jane", last_name="Smith", email="jane@example.org"
            ).id
            b = people.create_person(session, first_name="Jane", last_name="Smyth", email="js@example.org").id
    finally:
        database.dispose()
    assert run(capsys, "--db", db, "merge", str(a), str(b), "--json")[0] == 0
    roster = tmp_path / "msps.csv"
    roster.write_text("Name,Party,Constituency\nAnn Example,SNP,Glasgow Kelvin\n", encoding="utf-8")
    assert (
        run(capsys, "--db", db, "roster", str(roster), "--chamber", "Scottish Parliament", "--json")[0] == 0
    )
    code, out = run(capsys, "--db", db, "backups", "--json")
    assert code == 0
    assert [b["reason"] for b in out["backups"]] == [
        "before refreshing representatives from msps.csv",
        f"before merging {a}, {b}",
    ]
    assert [b["people"] for b in out["backups"]] == [1, 2]


def _fake_backup(folder: Path, source: Path, created: dt.datetime, reason: str = "import") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"k-{created:%Y-%m-%d-%H%M%S}-{reason}.db"
    shutil.copyfile(source, dest)
    (folder / (dest.name + ".json")).write_text(
        json.dumps({"created": created.isoformat(), "reason": reason, "people": 0}), encoding="utf-8"
    )
    return dest


def test_rotation_keeps_the_last_ten_and_one_a_week_for_eight_weeks(sqlite_db, tmp_path: Path) -> None:
    folder = backups.backup_folder(sqlite_db)
    assert sqlite_db.path is not None
    now = dt.datetime(2026, 12, 6, 9, 0)
    made = [_fake_backup(folder, sqlite_db.path, now - dt.timedelta(days=d)) for d in range(0, 84)]
    removed = backups.rotate(folder)
    kept = {b.path for b in backups.list_backups(sqlite_db)}
    # The ten newest, then the newest of each older week within eight weeks of the newest.
    assert set(made[:10]) <= kept
    weeks = {(now - dt.timedelta(days=d)).isocalendar()[:2] for d in range(0, 56)}
    assert len(kept) == 10 + len(weeks - {(now - dt.timedelta(days=d)).isocalendar()[:2] for d in range(10)})
    assert all(p not in kept for p in made[60:])
    assert len(removed) == len(made) - len(kept)
    assert not any(Path(str(p) + ".json").exists() for p in removed)


def test_size_budget_drops_the_oldest_but_never_the_newest(
    sqlite_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = backups.automatic_backup(sqlite_db, "step 0")
    assert first is not None
    size = first.stat().st_size
    monkeypatch.setenv(backups.ENV_BUDGET_MB, str(size * 2.5 / 1024 / 1024))
    paths = [first, *(backups.automatic_backup(sqlite_db, f"step {i}") for i in range(1, 5))]
    kept = [b.path for b in backups.list_backups(sqlite_db)]
    assert kept == [paths[4], paths[3]]
    monkeypatch.setenv(backups.ENV_BUDGET_MB, "0.001")
    newest = backups.automatic_backup(sqlite_db, "tiny budget")
    assert [b.path for b in backups.list_backups(sqlite_db)] == [newest]


def test_daily_backup_once_a_day(sqlite_db) -> None:
    assert backups.daily_backup(sqlite_db) is not None
    assert backups.daily_backup(sqlite_db) is None
    tomorrow = dt.datetime.now() + dt.timedelta(days=1)
    assert backups.daily_backup(sqlite_db, now=tomorrow) is not None


def test_backup_refuses_an_existing_destination_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "k.db")
    run(capsys, "--db", db, "init", "--json")
    other = tmp_path / "other.db"
    open_database(other).dispose()
    before = other.read_bytes()
    code, out = run(capsys, "--db", db, "backup", str(other), "--json")
    assert (
        code == 1
        and out["error"] == f"{other} already exists: choose another name, or use --force to replace it."
    )
    assert other.read_bytes() == before
    code, out = run(capsys, "--db", db, "backup", str(other), "--force", "--json")
    assert code == 0 and out["backup"] == str(other)
    assert not list(tmp_path.glob(".*partial*"))


def test_restore_puts_a_backup_back_after_backing_up_the_current_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "k.db"
    db = open_database(path)
    with db.transaction() as session:
        people.create_person(session, first_name="Kept", last_name="Person")
    copy = db.backup(tmp_path / "copy.db")
    with db.transaction() as session:
        people.create_person(session, first_name="Later", last_name="Person")
    db.dispose()

    code, out = run(capsys, "--db", str(path), "restore", str(copy), "--json")
    assert code == 0, out
    assert _count(path) == 1
    safety = Path(out["backup_of_previous"])
    assert _count(safety) == 2
    code, listed = run(capsys, "--db", str(path), "backups", "--json")
    assert listed["backups"][0]["reason"] == "before restoring copy.db"
    reopened = open_database(path, create=False)
    try:
        assert reopened.check().ok
    finally:
        reopened.dispose()


def test_restore_refuses_what_is_not_a_kindred_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "k.db"
    open_database(path).dispose()
    before = path.read_bytes()
    text = tmp_path / "notes.db"
    text.write_text("not a database", encoding="utf-8")
    code, out = run(capsys, "--db", str(path), "restore", str(text), "--json")
    assert code == 1 and "is not a Kindred backup" in out["error"]

    recipes = tmp_path / "recipes.db"
    conn = sqlite3.connect(recipes)
    conn.execute("CREATE TABLE recipe (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    code, out = run(capsys, "--db", str(path), "restore", str(recipes), "--json")
    assert code == 1 and "no Kindred tables" in out["error"]

    future = tmp_path / "future.db"
    shutil.copyfile(path, future)
    conn = sqlite3.connect(future)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    code, out = run(capsys, "--db", str(path), "restore", str(future), "--json")
    assert code == 1 and "newer version of Kindred" in out["error"]
    assert path.read_bytes() == before


def test_restore_over_a_damaged_database(demo_db, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = demo_db.path
    good = demo_db.backup(tmp_path / "good.db")
    demo_db.dispose()
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'person'").fetchone()[0]
    conn.close()
    with path.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xff" * page_size)
    assert run(capsys, "--db", str(path), "count", "--json")[0] == 1
    code, out = run(capsys, "--db", str(path), "restore", str(good), "--json")
    assert code == 0, out
    code, out = run(capsys, "--db", str(path), "count", "--json")
    assert code == 0 and out["count"] == 208


def test_backups_of_a_team_database_are_the_servers_job(db, monkeypatch: pytest.MonkeyPatch) -> None:
    if db.is_sqlite:
        pytest.skip("team databases only")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert backups.automatic_backup(db, "import") is None


def test_a_team_database_is_dumped_when_pg_dump_is_installed(db) -> None:
    if db.is_sqlite or shutil.which("pg_dump") is None:
        pytest.skip("a team database and pg_dump needed")
    with db.transaction() as session:
        people.create_person(session, first_name="Team", last_name="Member")
    dump = backups.automatic_backup(db, "before importing list.csv")
    assert dump is not None and dump.suffix == ".dump" and dump.stat().st_size > 0
    listed = backups.list_backups(db)
    assert [(b.reason, b.people) for b in listed] == [("before importing list.csv", 1)]
