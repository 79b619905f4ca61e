"""``kindred-cli duplicates``, ``merge``, ``merge-undo`` and ``not-duplicate`` with ``--json``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from crm.cli import main
from crm.db import open_database
from crm.services import people
from crm.services.merge import merge_people
from crm.services.organisations import create_organisation


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(list(argv))
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1]) if out else {}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "team.db"
    db = open_database(path)
    with db.transaction() as session:
        people.create_person(session, first_name="Robert", last_name="Thomson", mobile="07700 900123")  # 1
        people.create_person(
            session, first_name="Bob", last_name="Thomson", mobile="+44 7700 900123", postcode="KY1 1XX"
        )  # 2
        people.create_person(session, first_name="Thomson", last_name="Robert", mobile="07700900123")  # 3
        people.create_person(session, first_name="Zainab", last_name="Khan", email="zk@example.org")  # 4
        t = people.create_person(session, first_name="Ann", last_name="Lee")  # 5, in the Trash
        people.trash_people(session, [t.id])
        create_organisation(session, name="NHS Fife")
        create_organisation(session, name="N.H.S. Fife")
    db.dispose()
    return path


def _table(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_duplicates_lists_pairs_with_scores_and_reasons(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "--db", str(db_path), "duplicates", "--json")
    assert code == 0 and set(out) == {"pairs", "seconds"}
    assert {(p["a"], p["b"]) for p in out["pairs"]} == {(1, 2), (1, 3), (2, 3)}
    first = out["pairs"][0]
    assert 0 < first["score"] <= 1 and "same mobile number" in first["reasons"]
    code, out = run(
        capsys, "--db", str(db_path), "duplicates", "--limit", "1", "--min-score", "0.5", "--json"
    )
    assert len(out["pairs"]) == 1
    code, out = run(capsys, "--db", str(db_path), "duplicates", "--organisations", "--json")
    assert [(p["a"], p["b"]) for p in out["pairs"]] == [(1, 2)]


def test_merge_undo_and_not_duplicate(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--db", str(db_path), "merge", "1", "2", "3", "--json")
    assert code == 0
    assert out["kept"] == 1 and out["merged"] == [2, 3] and isinstance(out["merge_id"], int)
    assert isinstance(out["moved"], dict)
    code, out = run(capsys, "--db", str(db_path), "duplicates", "--json")
    assert out["pairs"] == []
    code, undone = run(capsys, "--db", str(db_path), "merge-undo", str(1), "--json")
    assert code == 0 and undone["restored"] == [2, 3]
    code, out = run(capsys, "--db", str(db_path), "not-duplicate", "3", "1", "--json")
    assert code == 0 and out == {"a": 1, "b": 3, "marked": True}
    code, out = run(capsys, "--db", str(db_path), "duplicates", "--json")
    assert {(p["a"], p["b"]) for p in out["pairs"]} == {(1, 2), (2, 3)}
    code, out = run(capsys, "--db", str(db_path), "merge", "1", "2", "--organisations", "--json")
    assert code == 0 and out["moved"] == {"aliases": 1}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["merge", "1", "1"], "cannot be merged with itself"),
        (["merge", "1", "99"], "no person with id 99"),
        (["merge", "1", "5"], "in the Trash"),
        (["merge-undo", "42"], "no merge with id 42"),
        (["not-duplicate", "1", "99"], "no person with id 99"),
        (["duplicates", "--min-score", "2"], "between 0 and 1"),
    ],
)
def test_bad_input_exits_1_with_a_plain_error_and_changes_nothing(
    db_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = _table(db_path, "SELECT id, deleted_at, first_name FROM person ORDER BY id")
    code, out = run(capsys, "--db", str(db_path), *argv, "--json")
    assert code == 1 and message in out["error"]
    assert _table(db_path, "SELECT id, deleted_at, first_name FROM person ORDER BY id") == before


def test_an_undo_that_conflicts_exits_1_and_names_the_conflict(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = open_database(db_path)
    with db.transaction() as session:
        merge_id = merge_people(session, 1, [2]).merge_id
    with db.transaction() as session:
        people.update_person(session, 1, {"postcode": "KY2 2YY"})
    db.dispose()
    code, out = run(capsys, "--db", str(db_path), "merge-undo", str(merge_id), "--json")
    assert code == 1 and "postcode was changed after the merge" in out["error"]
    assert _table(db_path, "SELECT deleted_at IS NOT NULL FROM person WHERE id = 2") == [(1,)]
