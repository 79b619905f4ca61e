"""Every screen is rendered at 1280×800 and 1920×1080, and at 125 % and 150 % display scaling, and
its layout checked: nothing scrolls sideways that should not, every tab of the person panel is in
sight, the filters do not squeeze the list, elected roles are not cut short, the window fits the
screen (``python -m ui.screenshots --check``, in a process of its own for each scaling)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("sizes", "scale"),
    [
        (["1280x800", "1920x1080"], None),
        (["1920x1080"], "1.25"),
        (["1920x1080"], "1.5"),
    ],
)
def test_every_screen_fits(tmp_path: Path, sizes: list[str], scale: str | None) -> None:
    command = [sys.executable, "-m", "ui.screenshots", str(tmp_path), "--check"]
    for size in sizes:
        command += ["--size", size]
    if scale:
        command += ["--scale", scale]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    shots = sorted(tmp_path.rglob("*.png"))
    names = {p.stem for p in shots}
    assert {
        "opening",
        "people",
        "people-filters",
        "person-roles",
        "events",
        "organisations",
        "networks",
    } <= names
    assert len(shots) >= 20 * len(sizes)
