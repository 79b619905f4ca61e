"""``kindred-cli``: the commands scripts and checks depend on, with ``--json``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crm.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1]) if out else {}


def test_init_demo_count_check_backup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "team.db")
    code, result = run(capsys, "--db", db, "init", "--json")
    assert code == 0 and result["schema"]
    code, result = run(capsys, "--db", db, "demo", "--json")
    assert code == 0 and result["people"] > 150 and result["events"] == 2
    code, result = run(capsys, "--db", db, "count", "--json")
    assert result == {"count": 208}
    code, result = run(capsys, "--db", db, "count", "--network", "Kindness Leadership Network", "--json")
    assert result["count"] == 30
    code, result = run(capsys, "--db", db, "count", "--type", "msp", "--tag", "reception 2026", "--json")
    assert code == 0 and 0 < result["count"] < 32
    code, result = run(capsys, "--db", db, "count", "--search", "o floinn", "--json")
    assert code == 0
    code, result = run(capsys, "--db", db, "check", "--json")
    assert code == 0 and result["ok"] is True and result["counts"]["person"] == 208
    code, result = run(capsys, "--db", db, "backup", str(tmp_path / "copies"), "--json")
    assert code == 0 and Path(result["backup"]).exists()


def test_demo_refuses_a_database_that_already_has_people(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "team.db")
    assert run(capsys, "--db", db, "init", "--json")[0] == 0
    assert run(capsys, "--db", db, "demo", "--json")[0] == 0
    code, result = run(capsys, "--db", db, "demo", "--json")
    assert code == 1 and "empty database" in result["error"]


def test_plain_output_is_for_people(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "team.db")
    assert main(["--db", db, "init"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "count"]) == 0
    assert capsys.readouterr().out.strip() == "0"


@pytest.mark.parametrize(
    "argv",
    [
        ["count", "--bogus", "--json"],
        ["count", "--contacted-before", "yesterday-ish", "--json"],
        ["count", "--view", "No such view", "--json"],
        ["backup", "--json"],
    ],
)
def test_user_errors_are_one_json_line_and_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code = main(["--db", str(tmp_path / "x.db"), *argv])
    out = capsys.readouterr().out.strip()
    assert code != 0
    assert len(out.splitlines()) == 1
    assert set(json.loads(out)) == {"error"}


def test_a_broken_database_file_is_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    code = main(["--db", str(bad), "count"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("Error: ") and "Traceback" not in err


def test_console_entry_point_runs_as_a_module(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    assert main(["--db", str(tmp_path / "m.db"), "init"]) == 0
    proc = subprocess.run(
        [sys.executable, "-m", "crm", "--db", str(tmp_path / "m.db"), "count", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"count": 0}


@pytest.mark.parametrize("argv", [["--help"], ["import", "--help"], ["export", "--help"]])
def test_help_loads_no_database_or_spreadsheet_libraries(argv: list[str]) -> None:
    """``--help`` answers at once: SQLAlchemy, the models and the spreadsheet libraries load only
    for a command that needs them."""
    heavy = ["sqlalchemy", "crm.models", "crm.db", "openpyxl", "xlsxwriter", "python_calamine"]
    heavy += ["phonenumbers", "email_validator", "ftfy", "rapidfuzz"]
    code = (
        "import sys\nfrom crm.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    assert "usage:" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_import_command_loads_only_what_importing_needs() -> None:
    """Starting an import loads the importer and its services, not every service (the service
    modules load when first used) nor the spreadsheet and cleaning libraries (read or clean time)."""
    unwanted = ["crm.services.interactions", "crm.services.events", "crm.services.views"]
    unwanted += ["openpyxl", "xlsxwriter", "python_calamine", "phonenumbers", "email_validator", "ftfy"]
    unwanted += ["rapidfuzz", "docx", "mailmerge"]
    code = (
        "import sys\nimport crm.cli, crm.importing, crm.db\n"
        "from crm.services import people\n"
        f"print([m for m in {unwanted!r} if m in sys.modules])"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"
    # Reached through the package, a service module still loads on first use.
    code = "import crm.services as s\nprint(s.interactions.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "crm.services.interactions"
