"""Start-up imports only what the first window needs: the spreadsheet, phone, email and text
repair libraries, and Alembic when the schema is current, load when first used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crm import db as crm_db
from crm.db import open_database

ROOT = Path(__file__).resolve().parents[2]
# Libraries the import engine and exports need, never the first window.
LATER = ("openpyxl", "xlsxwriter", "phonenumbers", "ftfy", "email_validator", "python_calamine", "alembic")

SCRIPT = """
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from crm.db import open_database
from ui.main_window import MainWindow
window = MainWindow(open_database(sys.argv[1]))
window.show()
app.processEvents()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in json.loads(sys.argv[2]))))
window.close()
"""


def test_the_first_window_leaves_the_import_libraries_unloaded(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    open_database(path).dispose()  # created and migrated here, so the window finds it current
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path), json.dumps(LATER)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


def test_the_head_revision_read_from_the_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    expected = ScriptDirectory.from_config(crm_db._alembic_config()).get_current_head()
    assert crm_db.head_revision() == expected
    assert crm_db._head_from_files() == expected


def test_the_window_paints_before_the_database_layer_loads_then_fills(tmp_path: Path) -> None:
    """``kindred`` shows its frame at once, loads SQLAlchemy and opens the database after that
    first paint, then paints the list: the start-up benchmark's two moments, in order."""
    path = tmp_path / "k.db"
    open_database(path).dispose()
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=str(ROOT),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        KINDRED_DATA_DIR=str(tmp_path / "data"),
        KINDRED_REPORT_FIRST_PAINT="1",
    )
    out = subprocess.run(
        [sys.executable, "-m", "ui.app", "--db", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    frame, content = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert frame["database_layer_loaded"] is False
    assert "first_paint_unix" in frame and "content_paint_unix" in content
    assert content["content_paint_unix"] >= frame["first_paint_unix"]


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_a_database_that_will_not_open_is_explained_in_the_frame_and_kindred_exits(
    tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui import app, dialogs
    from ui.main_window import MainWindow

    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _parent, _title, text: shown.append(text))
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"this is not a database" * 100)
    window = MainWindow(opening=str(damaged))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.frame_painted, timeout=10_000):
        pass
    assert not window.attached
    assert app._open_database(window, str(damaged)) is False
    assert shown and "damaged.db" in shown[0]
    assert not window.attached


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_the_frame_is_the_real_window_and_fills_when_the_database_is_attached(
    tmp_path: Path, qtbot: Any
) -> None:
    from PySide6.QtWidgets import QLabel

    from ui.main_window import MainWindow

    path = tmp_path / "team contacts.db"
    db = open_database(path)
    window = MainWindow(opening=str(path), owns_database=True)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.frame_painted, timeout=10_000):
        pass
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&View", "&Help"]
    assert "People" in [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert "Opening team contacts.db…" in window.stack.currentWidget().findChild(QLabel).text()
    with qtbot.waitSignal(window.first_painted, timeout=10_000):
        window.attach(db)
    assert window.attached and window.stack.currentWidget() is window.people_page
    assert window.windowTitle().endswith("team contacts.db")
    assert [a.text() for a in window.menuBar().actions()] == titles  # filled, not added again
    window.close()


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_a_section_picked_while_the_database_opens_is_the_one_shown(tmp_path: Path, qtbot: Any) -> None:
    from ui.main_window import MainWindow

    path = tmp_path / "k.db"
    db = open_database(path)
    window = MainWindow(opening=str(path), owns_database=True)
    qtbot.addWidget(window)
    window.show()
    window.sidebar.setCurrentItem(window.sidebar_items["trash"])  # a click before the database is open
    window.attach(db)
    assert window.stack.currentWidget() is window.pages["trash"]
    window.close()
