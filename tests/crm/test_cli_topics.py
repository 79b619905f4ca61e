"""``kindred-cli topics`` lists managed topics with counts, as JSON and for people."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm.cli import main
from crm.db import open_database
from crm.services import interactions


def test_topics_lists_names_and_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "k.db"
    assert main(["--db", str(path), "init"]) == 0
    db = open_database(path)
    try:
        with db.transaction() as session:
            interactions.log_interaction(session, subject="A", topics="Food poverty, housing")
            interactions.log_interaction(session, subject="B", topics="food-poverty")
    finally:
        db.dispose()
    capsys.readouterr()
    assert main(["--db", str(path), "topics", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(t["name"], t["interactions"]) for t in out["topics"]] == [("Food poverty", 2), ("housing", 1)]
    assert main(["--db", str(path), "topics", "--search", "FOOD"]) == 0
    text = capsys.readouterr().out
    assert "Food poverty" in text and "housing" not in text


def test_a_missing_database_is_a_plain_json_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "nothing.db"), "topics", "--json"]) == 1
    assert "error" in json.loads(capsys.readouterr().out.strip().splitlines()[-1])
