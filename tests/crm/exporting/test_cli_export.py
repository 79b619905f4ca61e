"""``kindred-cli export``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm.cli import main
from crm.db import Database
from crm.filters import PersonFilter
from crm.services import views

from .conftest import Cast, excluded_reasons, read_sheet


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def db_arg(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


def test_export_json(db: Database, cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "champions.xlsx"
    code, result = run(
        capsys,
        "--db",
        db_arg(db),
        "export",
        str(out),
        "--network",
        "Kindness Champions",
        "--purpose",
        "email",
        "--json",
    )
    assert code == 0
    assert result["exported"] == 3 and result["excluded"] == 1
    assert result["path"] == str(out)
    assert isinstance(result["seconds"], float)
    assert excluded_reasons(out) == {"Dora Noble": "Do not contact"}


def test_export_view_with_email_preset_to_csv(
    db: Database, cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.transaction() as s:
        views.save_view(s, "Chairs", PersonFilter(network="Kindness Champions", network_role="chair"))
    out = tmp_path / "chairs.csv"
    code, result = run(
        capsys, "--db", db_arg(db), "export", str(out), "--view", "chairs", "--preset", "email", "--json"
    )
    assert code == 0 and result["exported"] == 2
    text = out.read_text(encoding="utf-8-sig").splitlines()
    assert text[0] == "Full name,Email"
    assert (tmp_path / "chairs-excluded.csv").exists()


def test_consent_option_lists_people_without_consent_as_excluded(
    db: Database, cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "news.xlsx"
    code, result = run(capsys, "--db", db_arg(db), "export", str(out), "--consent", "newsletter", "--json")
    assert code == 0 and result["exported"] == 1
    assert [r["Full name"] for r in read_sheet(out)] == ["Claudia Beamish"]
    assert excluded_reasons(out)["Anna Smith"] == "No consent or lawful basis for 'newsletter'"


def test_bad_file_name_is_a_one_line_error(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result = run(capsys, "--db", db_arg(db), "export", str(tmp_path / "x.docx"), "--json")
    assert code == 1
    assert result == {"error": "Cannot export to x.docx: choose a file name ending in .xlsx or .csv."}
    code, result = run(
        capsys, "--db", db_arg(db), "export", str(tmp_path / "x.xlsx"), "--view", "Nope", "--json"
    )
    assert code == 1 and "no saved view" in str(result["error"])
