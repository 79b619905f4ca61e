"""Databases are created only on purpose; options and sizes are checked before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm.cli import main
from crm.db import open_database


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, json.loads(captured.out.strip().splitlines()[-1])


@pytest.mark.parametrize("command", [["count"], ["check"], ["demo"], ["backups"], ["export", "x.csv"]])
def test_a_mistyped_path_is_refused_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    typo = tmp_path / "kindrd.db"
    code, out = run(capsys, "--db", str(typo), *command, "--json")
    assert code == 1
    assert out["error"] == f"No Kindred database at {typo}; create one with `kindred-cli init`."
    assert not typo.exists()


def test_an_empty_file_is_refused_and_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    code, out = run(capsys, "--db", str(empty), "count", "--json")
    assert code == 1 and out["error"].startswith(f"No Kindred database at {empty}")
    assert empty.stat().st_size == 0
    # init is the way to make one, even over an empty file.
    code, out = run(capsys, "--db", str(empty), "init", "--json")
    assert code == 0 and empty.stat().st_size > 0


def test_report_into_a_missing_folder_is_refused_before_importing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "k.db"
    open_database(path).dispose()
    csv_file = tmp_path / "list.csv"
    csv_file.write_text("Name,Email\nAda Lovelace,ada@example.org\n", encoding="utf-8")
    report = tmp_path / "no such folder" / "problems.xlsx"
    code, out = run(capsys, "--db", str(path), "import", str(csv_file), "--report", str(report), "--json")
    assert code == 1 and "does not exist" in out["error"] and "nothing was imported" in out["error"]
    code, out = run(capsys, "--db", str(path), "count", "--json")
    assert out == {"count": 0}


def test_a_file_over_the_row_limit_is_refused_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crm.importing.reader import MAX_IMPORT_ROWS

    path = tmp_path / "k.db"
    open_database(path).dispose()
    big = tmp_path / "everyone.csv"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("Name,Email\n")
        fh.writelines(f"P{i},p{i}@x.org\n" for i in range(MAX_IMPORT_ROWS + 1))
    code, out = run(capsys, "--db", str(path), "import", str(big), "--json")
    assert code == 1
    assert out["error"] == (
        "everyone.csv has more than 1,048,575 rows, the most Kindred imports at once: "
        "split it into smaller files and import them one after another."
    )
