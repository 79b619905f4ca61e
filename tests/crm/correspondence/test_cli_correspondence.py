"""``kindred-cli letters``, ``letters-undo``, ``log-email`` and ``calendar``; and the upgrade."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from crm.cli import main
from crm.db import Database, open_database
from crm.filters import PersonFilter
from crm.services import events, views

from ..exporting.conftest import Cast, build_cast
from .factories import docx_text, eml, letter_template, plain_document, template_with


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def db_arg(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def test_letters_for_a_saved_view_and_undo(
    db: Database, cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.transaction() as s:
        views.save_view(s, "Champions", PersonFilter(network="Kindness Champions"))
    template = letter_template(tmp_path / "Champions letter.docx")
    out = tmp_path / "letters.docx"
    code, result = run(
        capsys, "--db", db_arg(db), "letters", str(template), str(out), "--view", "Champions", "--json"
    )
    assert code == 0
    # Claudia (workplace) and James and Anna (one home, one letter without --joint) get letters;
    # Dora is do-not-contact.
    assert (result["letters"], result["excluded"]) == (2, 2)
    assert isinstance(result["batch_id"], int)
    assert "Dear Ms Beamish" in docx_text(out)
    code, undone = run(capsys, "--db", db_arg(db), "letters-undo", str(result["batch_id"]), "--json")
    assert code == 0 and undone["removed"] == 2
    code, again = run(capsys, "--db", db_arg(db), "letters-undo", str(result["batch_id"]), "--json")
    assert code == 1 and "already undone" in str(again["error"])


def test_letters_labels_and_no_log(
    db: Database, cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "labels.docx"
    code, result = run(capsys, "--db", db_arg(db), "letters", "-", str(out), "--labels", "L7163", "--json")
    assert code == 0 and result["batch_id"] is None and result["letters"] > 0
    template = template_with(tmp_path / "t.docx", ["Addressee"])
    code, result = run(
        capsys,
        "--db",
        db_arg(db),
        "letters",
        str(template),
        str(tmp_path / "o.docx"),
        "--type",
        "msp",
        "--no-log",
        "--json",
    )
    assert code == 1  # nobody is an MSP here: a clear error, not an empty document
    assert "Nobody matches" in str(result["error"])
    code, result = run(
        capsys, "--db", db_arg(db), "letters", str(template), str(tmp_path / "o.docx"), "--no-log", "--json"
    )
    assert code == 0 and result["batch_id"] is None


def test_letters_refusals_are_json_errors(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = plain_document(tmp_path / "plain.docx")
    code, result = run(capsys, "--db", db_arg(db), "letters", str(plain), str(tmp_path / "o.docx"), "--json")
    assert code == 1 and "holds no merge fields" in str(result["error"])
    unknown = template_with(tmp_path / "u.docx", ["Shoe_size"])
    code, result = run(
        capsys, "--db", db_arg(db), "letters", str(unknown), str(tmp_path / "o.docx"), "--json"
    )
    assert code == 1 and "Shoe_size" in str(result["error"]) and "Addressee" in str(result["error"])


def test_log_email_and_calendar(
    db: Database, cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = eml(tmp_path / "a.eml", sender="claudia.beamish@parliament.scot.example", to="x@unknown.example")
    second = eml(
        tmp_path / "b.eml", message_id="<other@x>", sender="james@example.org", to="y@unknown.example"
    )
    code, result = run(capsys, "--db", db_arg(db), "log-email", str(first), str(second), str(first), "--json")
    assert code == 0
    assert (result["logged"], result["already_logged"]) == (2, 1)
    assert result["unmatched"] == ["x@unknown.example", "y@unknown.example"]
    with db.transaction() as s:
        events.create_event(s, "Winter reception", starts_on=dt.date(2026, 12, 9))
    code, result = run(
        capsys, "--db", db_arg(db), "calendar", str(tmp_path / "feed.ics"), "--events", "--json"
    )
    assert code == 0 and result["entries"] == 1
    assert b"Winter reception" in (tmp_path / "feed.ics").read_bytes()


def test_release_database_upgrades_to_correspondence(release_db_path: Path, tmp_path: Path) -> None:
    before = sqlite3.connect(release_db_path)
    interactions = before.execute("SELECT count(*) FROM interaction").fetchone()[0]
    before.close()
    db = open_database(release_db_path)
    try:
        with db.session() as s:
            from sqlalchemy import func, select

            from crm.models import CorrespondenceBatch, Interaction

            assert s.scalar(select(func.count()).select_from(Interaction)) == interactions
            assert s.scalar(select(func.count()).where(Interaction.message_id.is_not(None))) == 0
            assert s.scalar(select(func.count()).select_from(CorrespondenceBatch)) == 0
        copy = tmp_path / "copy.db"
        shutil.copyfile(release_db_path, copy)
    finally:
        db.dispose()
    template = template_with(tmp_path / "t.docx", ["Addressee"])
    db = open_database(copy)
    try:
        from crm.correspondence.letters import make_letters

        result = make_letters(db, template, tmp_path / "o.docx", PersonFilter(types=["msp"]))
        assert result.letters > 0 and result.batch_id is not None
    finally:
        db.dispose()
