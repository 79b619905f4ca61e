"""``kindred-cli imports`` lists past imports with the ids ``import-undo`` takes; every option of
import, export and count explains itself in ``--help``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm.cli import build_parser, main


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_imports_lists_past_imports_with_ids_for_undo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "k.db")
    assert main(["--db", db, "init"]) == 0
    capsys.readouterr()
    sheet = tmp_path / "guests.csv"
    sheet.write_text("First name,Last name,Email\nAnn,Lee,ann@example.org\nBob,Ray,bob@example.org\n")
    code, out = _json(capsys, "--db", db, "imports", "--json")
    assert code == 0 and out == {"imports": []}
    assert main(["--db", db, "imports"]) == 0
    assert "No imports yet." in capsys.readouterr().out
    code, first = _json(capsys, "--db", db, "import", str(sheet), "--json")
    code, second = _json(capsys, "--db", db, "import", str(sheet), "--on-duplicate", "skip", "--json")
    code, out = _json(capsys, "--db", db, "imports", "--json")
    assert code == 0
    listed = out["imports"]
    assert isinstance(listed, list)
    assert [i["id"] for i in listed] == [second["batch_id"], first["batch_id"]]  # newest first
    assert listed[1]["file"] == "guests.csv" and listed[1]["created"] == 2
    assert listed[1]["undone_at"] is None
    # The id undoes it, and the list then says so.
    assert main(["--db", db, "import-undo", str(second["batch_id"]), "--json"]) == 0
    capsys.readouterr()
    code, out = _json(capsys, "--db", db, "imports", "--json", "--limit", "1")
    assert len(out["imports"]) == 1 and out["imports"][0]["undone_at"] is not None  # type: ignore[index]
    assert main(["--db", db, "imports"]) == 0
    text = capsys.readouterr().out
    assert f"kindred-cli import-undo {first['batch_id']}" in text and "undone" in text


def _help(command: str) -> str:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices[command].format_help()  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("command", ["import", "export", "count", "imports", "import-undo"])
def test_every_option_is_described(command: str) -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    parser = sub.choices[command]  # type: ignore[attr-defined]
    for action in parser._actions:
        if action.dest in ("help",):
            continue
        assert action.help, f"{command} {action.option_strings or action.dest} has no description"


def test_help_states_defaults_types_and_date_format() -> None:
    imp = " ".join(_help("import").split())
    assert "(default: fill)" in imp and "only their blank fields" in imp
    assert "(default: the visible sheet that looks most like a list of people)" in imp
    assert "msp (MSP)" in imp and "councillor (Councillor)" in imp
    exp = " ".join(_help("export").split())
    assert "(default: mail-merge)" in exp and "the channel" in exp
    assert "YYYY-MM-DD" in exp and "DD/MM/YYYY" in exp
    count = " ".join(_help("count").split())
    assert "partner_contact (Partner contact)" in count and "YYYY-MM-DD" in count
