"""The core never imports Qt or the UI: it must run headless, in the CLI and on servers."""

from __future__ import annotations

import ast
from pathlib import Path

import crm

FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "ui")


def test_core_has_no_qt_or_ui_imports() -> None:
    offenders = []
    for path in Path(crm.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
