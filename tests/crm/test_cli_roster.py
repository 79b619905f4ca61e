"""``kindred-cli roster`` and ``roster-undo`` end to end, with JSON output and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crm.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures" / "rosters"
EP = FIXTURES / "everypolitician-scottish-parliament-term-6.csv"


@pytest.fixture(autouse=True)
def _database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every test's database is made on purpose, as a user would with ``init``."""
    assert main(["--db", str(tmp_path / "k.db"), "init"]) == 0
    capsys.readouterr()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(list(argv))
    out = capsys.readouterr().out.strip().splitlines()[-1]
    return code, json.loads(out)


def _count(db: str, capsys: pytest.CaptureFixture[str], *filters: str) -> int:
    code, out = _run(capsys, "--db", db, "count", *filters, "--json")
    assert code == 0
    return int(out["count"])


def test_dry_run_then_refresh_then_undo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "k.db")
    code, out = _run(capsys, "--db", db, "roster", str(EP), "--as-of", "2024-01-01", "--dry-run", "--json")
    assert code == 0
    for key in ("added", "continuing", "changed", "ended", "unmatched", "batch_id", "seconds"):
        assert key in out
    assert out["added"] == 10 and out["batch_id"] is None and out["dry_run"] is True
    assert _count(db, capsys, "--type", "msp") == 0

    code, out = _run(capsys, "--db", db, "roster", str(EP), "--as-of", "2024-01-01", "--json")
    assert code == 0 and out["added"] == 10 and isinstance(out["batch_id"], int)
    assert _count(db, capsys, "--type", "msp") == 10

    code, undone = _run(capsys, "--db", db, "roster-undo", str(out["batch_id"]), "--json")
    assert code == 0 and undone["people_removed"] == 10
    assert _count(db, capsys, "--type", "msp") == 0

    code, again = _run(capsys, "--db", db, "roster-undo", str(out["batch_id"]), "--json")
    assert code == 1 and "already undone" in again["error"]


def test_former_members_on_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "k.db")
    assert _run(capsys, "--db", db, "roster", str(EP), "--as-of", "2024-01-01", "--json")[0] == 0
    smaller = tmp_path / "after-resignations.csv"
    lines = EP.read_text(encoding="utf-8").splitlines()
    smaller.write_text("\n".join(lines[:-2]) + "\n", encoding="utf-8")  # two members left
    code, out = _run(capsys, "--db", db, "roster", str(smaller), "--as-of", "2024-06-30", "--json")
    assert code == 0 and out["ended"] == 2
    assert _count(db, capsys, "--type", "msp") == 8
    assert _count(db, capsys, "--type", "msp", "--former") == 10
    assert _count(db, capsys, "--chamber", "Scottish Parliament") == 8


def test_human_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--db", str(tmp_path / "k.db"), "roster", str(FIXTURES / "msp-list.csv")])
    text = capsys.readouterr().out
    assert code == 0
    assert "Refreshed Scottish Parliament from msp-list.csv" in text and "1 vacant seats" in text
    assert "Undo with: kindred-cli roster-undo" in text


@pytest.mark.parametrize(
    ("content", "name", "args", "message"),
    [
        (
            "Organisation,Town\nKindness Trust,Perth\n",
            "orgs.csv",
            [],
            "is not a roster: no column holds members' names",
        ),
        ("Name,Party\nAnn Smith,Labour\n", "people.csv", [], "does not say which chamber"),
        (
            "Name,Party\nAnn Smith,Labour\n",
            "people.csv",
            ["--chamber", "Parliament of Narnia"],
            "is not a chamber Kindred knows",
        ),
        ("Name,Party\nAnn Smith,Labour\n", "msps.csv", ["--as-of", "31/02/2024"], "is not a date"),
        ('{"hello": "world"}', "roster.json", [], "is not a roster"),
        ("{not json", "roster.json", [], "is not valid JSON"),
    ],
)
def test_bad_input_exits_1_with_an_error_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, name: str, args: list[str], message: str
) -> None:
    db = str(tmp_path / "k.db")
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out = _run(capsys, "--db", db, "roster", str(path), *args, "--json")
    assert code == 1
    assert message in out["error"]
    assert "Traceback" not in out["error"]
    assert _count(db, capsys) == 0


def test_missing_file_and_unknown_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "k.db")
    code, out = _run(capsys, "--db", db, "roster", str(tmp_path / "nowhere.csv"), "--json")
    assert code == 1 and "no such file" in out["error"]
    code, out = _run(capsys, "--db", db, "roster-undo", "99", "--json")
    assert code == 1 and "no roster refresh 99" in out["error"]


def test_import_undo_sends_a_roster_refresh_to_roster_undo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crm.db import open_database
    from crm.roster.reconcile import undo_batch

    db = str(tmp_path / "k.db")
    code, out = _run(capsys, "--db", db, "roster", str(EP), "--as-of", "2024-01-01", "--json")
    batch = str(out["batch_id"])
    code, refused = _run(capsys, "--db", db, "import-undo", batch, "--json")
    assert code == 1 and f"roster-undo {batch}" in refused["error"]
    assert _count(db, capsys, "--type", "msp") == 10
    database = open_database(db)
    try:
        undo_batch(database, int(batch))  # what Import history's Undo calls
    finally:
        database.dispose()
    assert _count(db, capsys, "--type", "msp") == 0


def test_the_wrong_chamber_for_a_file_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "k.db")
    assert _run(capsys, "--db", db, "roster", str(EP), "--as-of", "2024-01-01", "--json")[0] == 0
    code, out = _run(capsys, "--db", db, "roster", str(EP), "--chamber", "Senedd", "--json")
    assert code == 1 and "lists no members of the Senedd" in out["error"]
    vacant = tmp_path / "vacant.csv"
    vacant.write_text("Name,Party,Constituency\nVacant,,Falkirk East\n", encoding="utf-8")
    code, out = _run(capsys, "--db", db, "roster", str(vacant), "--chamber", "Scottish Parliament", "--json")
    assert code == 1 and "lists no members" in out["error"]
    assert _count(db, capsys, "--type", "msp") == 10
