"""``kindred``: start the desktop application.

    kindred                      the default database (created on first start)
    kindred --db PATH_OR_URL     another SQLite file, or a team database URL (PostgreSQL)
    kindred --self-test          check this copy of Kindred works, then exit
    kindred --version

``KINDRED_DB_URL`` names the database when ``--db`` is not given. Start-up imports only what the
first window needs; spreadsheet libraries and the import and export code load when first used.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

_STARTED = time.perf_counter()

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from ui.tasks import TaskContext


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kindred", description="Kindred: contacts, networks and events.")
    parser.add_argument("--db", metavar="PATH_OR_URL", help="database file or team database URL")
    parser.add_argument(
        "--self-test", action="store_true", help="check this copy of Kindred works, then exit"
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser


def _quick_check(window: object) -> None:
    """SQLite's quick check, off the GUI thread once the window is up; then the day's backup.

    Damage found stops writes (the database refuses them) and says how to get out of it."""
    from crm.backups import daily_backup
    from crm.db import quick_check

    from ui import dialogs
    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)

    def check(ctx: TaskContext) -> str | None:
        problem = quick_check(ctx.db)
        if problem is None and not ctx.db.read_only:
            daily_backup(ctx.db)
        return problem

    def report(problem: str | None) -> None:
        if problem:
            dialogs.show_error(window, "Kindred — damaged database", problem)

    window.runner.run(check, on_done=report, owner=window)


def _open_database(window: object, target: str | None) -> bool:
    """After the frame's first paint: open the database (created on first start) and fill the
    window. False: it could not be opened, and a message has said why."""
    from PySide6.QtWidgets import QApplication

    from ui.databases import open_or_report, remember_recent
    from ui.main_window import MainWindow
    from ui.tasks import TaskRunner

    assert isinstance(window, MainWindow)
    # Before any input reaches the window: input waits in the queue while the database opens.
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    configure_application(app)
    db = open_or_report(target, window, create=True)
    if db is None:
        return False
    remember_recent(target)
    window.first_painted.connect(window.show_startup_notes)
    window.first_painted.connect(lambda: _quick_check(window))
    window.attach(TaskRunner(db))
    return True


def _follow_dark_mode(app: object) -> None:
    """Qt follows the system's light or dark scheme by itself, except with the classic Windows
    style, which has no dark variant: there, Fusion draws the dark palette properly."""
    if sys.platform != "win32":
        return
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    style = app.style()
    if (
        style is not None
        and style.name().lower() == "windowsvista"
        and app.styleHints().colorScheme() == Qt.ColorScheme.Dark
    ):
        app.setStyle("Fusion")


def configure_application(app: QApplication) -> None:
    """What every Kindred QApplication needs, the real one and the tests' alike."""
    from ui.app_filter import install_app_filter

    install_app_filter(app)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.version:
        from crm import __version__

        print(f"Kindred {__version__}")
        return 0
    if args.self_test:
        from ui.selftest import run_self_test

        sys.exit(run_self_test())

    from PySide6.QtWidgets import QApplication

    from crm import APP_NAME, __version__

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "kindred"])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("kindred")
    _follow_dark_mode(app)
    try:
        from ui.resources import app_icon

        app.setWindowIcon(app_icon())
    except ImportError:  # an icon is not worth refusing to start over
        pass

    from ui.main_window import MainWindow, environment_wants_report, first_paint_report

    # The window's frame first, from Qt alone; the database layer loads once it is on the screen.
    window = MainWindow(opening=args.db, owns_database=True)
    if environment_wants_report():
        first_paint_report(window, _STARTED)
    failed: list[bool] = []

    def open_database() -> None:
        if not _open_database(window, args.db):
            failed.append(True)
            window.close()  # the last window: Kindred exits

    window.frame_painted.connect(open_database)
    window.show()
    code = app.exec()
    return 1 if failed else code


if __name__ == "__main__":
    raise SystemExit(main())
