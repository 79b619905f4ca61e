"""Start-up imports only what the first window needs: the spreadsheet, phone, email and text
repair libraries, and Alembic when the schema is current, load when first used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
