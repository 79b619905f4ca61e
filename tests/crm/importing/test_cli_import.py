"""``kindred-cli import`` and ``import-undo`` end to end, with JSON output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crm.cli import main


@pytest.fixture(autouse=True)
def _initialised(tmp_path: Path) -> None:
    """Only ``init`` creates a database: these tests work on one made beforehand."""
    from crm.db import open_database

    open_database(tmp_path / "k.db").dispose()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(list(argv))
    out = capsys.readouterr().out.strip().splitlines()[-1]
    return code, json.loads(out)


def test_import_json_then_undo(
    tmp_path: Path, contacts_xlsx: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "k.db")
    code, out = _run(
        capsys,
        "--db",
        db,
        "import",
        str(contacts_xlsx),
        "--network",
        "Champions",
        "--role",
        "lead",
        "--tag",
        "reception",
        "--tag",
        "2026",
        "--type",
        "MSP",
        "--json",
    )
    assert code == 0
    assert {k: out[k] for k in ("created", "updated", "skipped", "rejected", "flagged")} == {
        "created": 4,
        "updated": 0,
        "skipped": 0,
        "rejected": 0,
        "flagged": 0,
    }
    assert isinstance(out["batch_id"], int) and out["seconds"] >= 0
    code, again = _run(capsys, "--db", db, "import", str(contacts_xlsx), "--on-duplicate", "skip", "--json")
    assert (code, again["skipped"], again["created"]) == (0, 4, 0)
    code, undone = _run(capsys, "--db", db, "import-undo", str(out["batch_id"]), "--json")
    assert (code, undone["removed"]) == (0, 4)
    code, count = _run(capsys, "--db", db, "count", "--json")
    assert count["count"] == 0


def test_dry_run_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.crm.importing.conftest import write_csv

    path = write_csv(
        tmp_path / "l.csv",
        [["Name", "Email"], ["Ada", "ada@"], ["", ""], ["", "x"], ["Bob", "bob@example.org"]],
    )
    db = str(tmp_path / "k.db")
    report = tmp_path / "problems.xlsx"
    code, out = _run(capsys, "--db", db, "import", str(path), "--dry-run", "--report", str(report), "--json")
    assert code == 0 and out["batch_id"] is None and out["dry_run"] is True
    assert (out["created"], out["rejected"], out["flagged"]) == (2, 1, 2)
    assert report.exists() and out["report_rows"] == 2
    code, count = _run(capsys, "--db", db, "count", "--json")
    assert count["count"] == 0


def test_refused_file_exits_non_zero_with_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "locked.xlsx"
    bad.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100 + "EncryptionInfo".encode("utf-16-le")
    )
    code, out = _run(capsys, "--db", str(tmp_path / "k.db"), "import", str(bad), "--json")
    assert code == 1
    assert out == {
        "error": "locked.xlsx is password-protected: open it in Excel, remove the password and save it again."
    }


def test_undo_of_unknown_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "--db", str(tmp_path / "k.db"), "import-undo", "42", "--json")
    assert code == 1 and out["error"] == "There is no import 42."


def test_human_output(tmp_path: Path, contacts_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "k.db"), "import", str(contacts_csv), "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "created: 4" in text and "row 2: create" in text


def test_exact_headings_import_whatever_the_first_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sign-up sheet headed exactly "First name, Last name, Email, Organisation, Phone" imports,
    however odd its first names look."""
    sheet = tmp_path / "signup.csv"
    sheet.write_text(
        "First name,Last name,Email,Organisation,Phone\n"
        "J.,Smith,j.smith@example.org,Acme Trust,0131 496 0000\n"
        "Dr,Brown,brown@example.org,Bell Trust,0131 496 0001\n"
        "0131 496 0002,Green,green@example.org,,0131 496 0002\n"
        "anonymous,White,white@example.org,Co,0131 496 0003\n",
        encoding="utf-8",
    )
    code, out = _run(capsys, "--db", str(tmp_path / "k.db"), "import", str(sheet), "--dry-run", "--json")
    assert code == 0, out
    assert "error" not in out
