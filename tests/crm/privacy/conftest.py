"""Helpers for the data protection tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crm.cli import main
from crm.db import Database


def url_of(db: Database) -> str:
    """What ``--db`` takes for this database (a file path, or a PostgreSQL URL with its password)."""
    return str(db.path) if db.path is not None else db.url.render_as_string(hide_password=False)


def cli(capsys: pytest.CaptureFixture[str], db: Database, *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["--db", url_of(db), *argv, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1]) if out else {}


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path
