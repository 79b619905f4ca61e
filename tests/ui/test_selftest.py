"""``kindred --self-test``: every check runs and prints, a failure is named, the user's data is untouched."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from PySide6.QtWidgets import QApplication

from ui import selftest
from ui.selftest import CHECKS, CheckFailed, run_self_test

ROOT = Path(__file__).resolve().parents[2]


# Showing a window on the offscreen platform makes Qt warn that it cannot resize to fit; harmless.
@pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
def test_self_test_passes_printing_every_check_and_leaves_the_users_data_alone(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A team database the user normally works in must not be touched (it is not even reachable).
    monkeypatch.setenv("KINDRED_DB_URL", "postgresql://nobody@unreachable.invalid/kindred")
    data_dir = Path(os.environ["KINDRED_DATA_DIR"])
    out = io.StringIO()

    code = run_self_test(out)

    lines = out.getvalue().splitlines()
    assert code == 0, out.getvalue()
    ok_lines = [line for line in lines if line.startswith("ok ")]
    assert [line.split(" (")[0] for line in ok_lines] == [f"ok {name}" for name, _check in CHECKS]
    assert "spreadsheet imported (3 people added" in out.getvalue()
    assert lines[-1].startswith("Kindred self-test passed: 7 checks")
    assert not any(line.startswith("FAILED") for line in lines)
    # The environment is as it was, and nothing was written to the user's data folder.
    assert os.environ["KINDRED_DB_URL"] == "postgresql://nobody@unreachable.invalid/kindred"
    assert os.environ["KINDRED_DATA_DIR"] == str(data_dir)
    assert not data_dir.exists() or not any(data_dir.iterdir())


def test_a_failing_check_is_named_and_stops_the_run(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_import(state: object) -> str:
        raise CheckFailed("3 new people in the spreadsheet, 0 added")

    never_reached: list[str] = []

    def later_check(state: object) -> str:
        never_reached.append("ran")
        return ""

    monkeypatch.setattr(
        selftest,
        "CHECKS",
        (CHECKS[0], ("spreadsheet imported", broken_import), ("database reopened and checked", later_check)),
    )
    out = io.StringIO()

    code = run_self_test(out)

    assert code == 1
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("ok database created and migrated")
    assert lines[2] == "FAILED spreadsheet imported: 3 new people in the spreadsheet, 0 added"
    assert lines[-1].startswith("Kindred self-test FAILED")
    assert never_reached == []


def test_an_unexpected_error_names_the_check_and_its_exception(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    def buggy(state: object) -> str:
        raise KeyError("people")

    monkeypatch.setattr(selftest, "CHECKS", (("mailing list exported", buggy),))
    out = io.StringIO()

    assert run_self_test(out) == 1
    assert "FAILED mailing list exported: KeyError: 'people'" in out.getvalue()
    assert "Traceback" in out.getvalue()  # the details for a bug report


def test_without_a_console_the_report_goes_to_a_file(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Windows build without a console window has no sys.stdout.
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.setattr(selftest, "CHECKS", CHECKS[:1])

    code = run_self_test()

    report = (tmp_path / selftest.REPORT_FILE_NAME).read_text(encoding="utf-8")
    assert code == 0
    assert "ok database created and migrated" in report
    assert "self-test passed: 1 checks" in report


def test_kindred_self_test_from_the_source_tree_runs_offscreen_without_a_screen(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "PYTEST_CURRENT_TEST")
    }
    env["PYTHONPATH"] = str(ROOT)

    result = subprocess.run(
        [sys.executable, "-m", "ui", "--self-test"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "on the offscreen platform" in result.stdout
    for name, _check in CHECKS:
        assert f"ok {name}" in result.stdout
