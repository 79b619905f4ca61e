"""Render Kindred's main screens with the sample data to PNG files, offscreen.

    python -m ui.screenshots OUTDIR [--size 1280x800]

Everything happens in a throwaway folder (database, settings), never in the user's own. The import
wizard and export dialog are included when this copy of Kindred has them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

SAMPLE_SHEET = (
    ("First name", "Last name", "Email", "Organisation", "Town", "Postcode"),
    ("Morven", "Achnacarry", "morven@example.org", "Highland Kindness Trust", "Inverness", "IV2 3AB"),
    ("Dafydd", "Pritchard", "dafydd@example.org", "Cymru Befriending Trust", "Bangor", "LL57 1AA"),
    ("Morven", "Achnacarry", "Morven@Example.org", "", "Inverness", ""),
    ("Iona", "MacLeod", "iona.macleod@example", "Highland Kindness Trust", "Portree", "IV51 9X"),
)
WIZARD_PAGES = ("sheet", "mapping", "duplicates", "options", "summary")


def _settle(app: object, rounds: int = 8) -> None:
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    for _ in range(rounds):
        app.processEvents()


def _wait_idle(app: object, runner: object) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    from ui.tasks import TaskRunner

    assert isinstance(runner, TaskRunner)
    while runner.busy:
        loop = QEventLoop()
        runner.busy_changed.connect(loop.quit)
        QTimer.singleShot(5_000, loop.quit)
        loop.exec()
        runner.busy_changed.disconnect(loop.quit)
    _settle(app)


def _wait_for(signal: object, timeout_ms: int = 10_000) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    signal.connect(loop.quit)  # type: ignore[attr-defined]
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def _dark_palette(app: object) -> None:
    """A dark Fusion palette, to check nothing in Kindred assumes a light background."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    app.setStyle("Fusion")
    palette = QPalette()
    role = QPalette.ColorRole
    for name, colour in (
        (role.Window, "#2b2b2b"),
        (role.WindowText, "#e6e6e6"),
        (role.Base, "#1f1f1f"),
        (role.AlternateBase, "#2a2a2a"),
        (role.Text, "#e6e6e6"),
        (role.Button, "#353535"),
        (role.ButtonText, "#e6e6e6"),
        (role.Highlight, "#2f65ca"),
        (role.HighlightedText, "#ffffff"),
        (role.ToolTipBase, "#353535"),
        (role.ToolTipText, "#e6e6e6"),
        (role.PlaceholderText, "#8a8a8a"),
    ):
        palette.setColor(name, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for name in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, name, QColor("#7a7a7a"))
    app.setPalette(palette)


def render(outdir: Path, width: int = 1280, height: int = 800, *, dark: bool = False) -> list[Path]:
    """Write the screenshots; returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="kindred-shots-"))
    os.environ["KINDRED_DATA_DIR"] = str(work / "data")
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["kindred-screenshots"])
    if dark:
        _dark_palette(app)
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(work / "config"))

    from crm import demo
    from crm.db import open_database

    from ui.main_window import MainWindow
    from ui.tasks import TaskRunner

    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def shot(widget: QWidget, name: str) -> None:
        _settle(app)
        path = outdir / f"{name}.png"
        widget.grab().save(str(path))
        written.append(path)

    # An empty database first: the welcome screen.
    empty = open_database(work / "empty.db")
    window = MainWindow(TaskRunner(empty))
    window.resize(width, height)
    window.show()
    shot(window, "welcome")
    window.close()
    empty.dispose()

    db = open_database(work / "sample.db")
    with db.transaction() as session:
        demo.load_sample_data(session)
    runner = TaskRunner(db)
    window = MainWindow(runner)
    window.resize(width, height)
    window.show()
    _wait_idle(app, runner)
    page = window.people_page
    page.splitter.setSizes([0, int(width * 0.45), int(width * 0.4)])

    # Show someone with a full record: memberships, roles, interactions.
    from sqlalchemy import func, select

    from crm.models import ElectedRole, InteractionPerson, Membership

    with db.session() as s:
        busiest = s.execute(
            select(InteractionPerson.person_id)
            .join(ElectedRole, ElectedRole.person_id == InteractionPerson.person_id)
            .join(Membership, Membership.person_id == InteractionPerson.person_id)
            .group_by(InteractionPerson.person_id)
            .order_by(func.count(func.distinct(InteractionPerson.interaction_id)).desc())
            .limit(1)
        ).scalar()
    if busiest is not None:
        page.show_person(busiest)
        _wait_idle(app, runner)
    page.table.setFocus()
    shot(window, "people")

    page.detail.tabs.setCurrentIndex(4)
    shot(window, "person-timeline")
    page.detail.tabs.setCurrentIndex(1)
    shot(window, "person-networks")
    page.detail.tabs.setCurrentIndex(2)
    shot(window, "person-roles")
    page.detail.tabs.setCurrentIndex(0)

    page.filters_button.setChecked(True)
    page.filter_panel.nation_combo.setCurrentText("Scotland")
    page.filter_panel.type_combo.setCurrentText("MSP")
    _wait_idle(app, runner)
    page.save_view("MSPs in Scotland")
    _wait_idle(app, runner)
    shot(window, "people-filters")
    page.filter_panel.clear()
    page.filters_button.setChecked(False)
    page.search_edit.setText("floinn")
    page.apply_filter()
    _wait_idle(app, runner)
    shot(window, "people-search")
    page.search_edit.setText("")
    page.apply_filter()
    _wait_idle(app, runner)

    dialog: QWidget | None = page.detail.open_log_interaction()
    if dialog is not None:
        shot(dialog, "log-interaction")
        dialog.close()
    page.table.selectAll()
    bulk = page.open_bulk_add_to_network()
    if bulk is not None:
        shot(bulk, "bulk-add-to-network")
        bulk.close()
    page.table.clearSelection()

    for key in ("organisations", "networks", "interactions", "events", "followups", "trash"):
        window.show_page(key)
        _wait_idle(app, runner)
        shot(window, key)
    window.show_page("people")
    _wait_idle(app, runner)

    def restore_dialog() -> QWidget | None:
        from crm.backups import automatic_backup

        automatic_backup(db, "daily")
        automatic_backup(db, "before importing reception-signups.xlsx")
        return window.open_restore()

    extras: list[tuple[str, Callable[[], QWidget | None]]] = [
        ("import-wizard", lambda: _import_wizard(window, work)),
        ("export-dialog", lambda: window.open_export()),
        ("restore-from-backup", restore_dialog),
    ]
    for name, make in extras:
        try:
            widget = make()
        except ModuleNotFoundError:
            continue
        if widget is not None:
            # The export preview starts after a short pause for typing; wait for it to arrive.
            preview = getattr(widget, "preview_updated", None)
            if preview is not None:
                _wait_for(preview)
            _wait_idle(app, runner)
            shot(widget, name)
            if name == "import-wizard":
                _wizard_pages(app, runner, widget, shot)
            widget.close()

    window.close()
    db.dispose()
    return written


def _wizard_pages(app: object, runner: object, wizard: object, shot: Callable[[QWidget, str], None]) -> None:
    """The import wizard's pages up to the dry-run summary (nothing is imported)."""
    from PySide6.QtWidgets import QWizard

    assert isinstance(wizard, QWizard)
    for page in WIZARD_PAGES:
        if not wizard.currentPage().isComplete():
            _wait_idle(app, runner)
        wizard.next()
        _wait_idle(app, runner)
        shot(wizard, f"import-wizard-{page}")


def _import_wizard(window: object, work: Path) -> QWidget | None:
    import importlib.util

    if importlib.util.find_spec("ui.import_wizard") is None:
        raise ModuleNotFoundError("ui.import_wizard")
    import csv

    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    sheet = work / "contacts.csv"
    with sheet.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(SAMPLE_SHEET)
    return window.open_import(str(sheet))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render Kindred's main screens to PNG files.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--size", default="1280x800", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--dark", action="store_true", help="render with a dark palette")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    for path in render(args.outdir, width, height, dark=args.dark):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
