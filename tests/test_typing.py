"""The core and the window are type-checked strictly (pyproject's mypy settings) and pass."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STRICT = {"disallow_untyped_defs", "disallow_any_generics"}


def test_ui_is_held_to_the_cores_rules() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    overrides = {o["module"]: o for o in config["tool"]["mypy"]["overrides"]}
    for module in ("crm.*", "ui.*"):
        assert all(overrides[module].get(flag) is True for flag in STRICT), module


def test_mypy_passes() -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is a development dependency")
    out, err, status = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), str(ROOT / "crm"), str(ROOT / "ui")]
    )
    assert status == 0, out + err
