"""``kindred --self-test``: prove this copy of Kindred works, end to end, without a user.

It runs in a throwaway folder and never touches the user's own database or data folder:

1. creates a database and runs the migrations;
2. loads the sample data;
3. opens the main window (offscreen when there is no screen) and draws a dashboard chart;
4. imports a small spreadsheet it writes itself;
5. exports a mailing list;
6. reopens the database and checks it and its counts.

Each check prints ``ok <check>``; the first failure prints ``FAILED <check>: <reason>`` and the
self-test exits non-zero. The installed bundle runs the same code, which is how CI proves a build
has everything it needs (Qt plugins, migrations, resources) before anyone installs it.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

# The spreadsheet the import check writes: accented names and a row without an email, on purpose.
SAMPLE_SHEET_HEADER = ("First name", "Last name", "Email", "Organisation", "Town")
SAMPLE_SHEET_ROWS = (
    ("Seán", "Ó Floinn", "sean.ofloinn@selftest.example.org", "Kindred Self-Test Trust", "Inverness"),
    ("Zoë", "Müller", "zoe.muller@selftest.example.org", "Kindred Self-Test Trust", "Cardiff"),
    ("Alasdair", "MacLeod", "", "Kindred Self-Test Trust", "Glasgow"),
)
REPORT_FILE_NAME = "kindred-self-test.txt"


class CheckFailed(Exception):
    """A self-test check did not hold; the message says what was seen."""


@dataclass
class _State:
    """What one check hands to the next."""

    folder: Path
    db_path: Path
    db: Any = None
    people_before_import: int = 0
    imported: int = 0
    exported_rows: int = 0
    notes: list[str] = field(default_factory=list)


def _needs_offscreen() -> bool:
    """True on a Unix without a display server (a CI machine or an SSH session)."""
    if sys.platform in ("win32", "darwin"):
        return False  # a logged-in Windows or macOS session always has a screen
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@contextlib.contextmanager
def _isolated_environment(folder: Path) -> Iterator[None]:
    """Point Kindred's data folder and settings at ``folder``, hide any team database URL.

    The data folder and the database URL are restored afterwards. Qt offers no way to read the
    settings path back, so it stays pointed at ``folder``: the self-test is the last thing the
    process does.
    """
    from PySide6.QtCore import QSettings

    saved = {name: os.environ.get(name) for name in ("KINDRED_DATA_DIR", "KINDRED_DB_URL")}
    os.environ["KINDRED_DATA_DIR"] = str(folder / "data")
    os.environ.pop("KINDRED_DB_URL", None)
    # The main window saves its geometry on closing: keep that out of the user's own settings.
    for settings_format in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, str(folder / "settings"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_cli(args: list[str]) -> dict[str, Any]:
    """Run ``kindred-cli`` in this process and return its JSON answer."""
    from crm import cli

    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        code = cli.main(args)
    lines = [line for line in captured.getvalue().splitlines() if line.strip()]
    try:
        result = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError as exc:
        raise CheckFailed(f"kindred-cli {args[2]} printed something that is not JSON: {lines[-1]!r}") from exc
    if code != 0:
        raise CheckFailed(f"kindred-cli {args[2]} exited {code}: {result.get('error', result)}")
    if not isinstance(result, dict):
        raise CheckFailed(f"kindred-cli {args[2]} answered {result!r}, not a JSON object")
    return result


def _count(db: Any, table: str) -> int:
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _count_people(db: Any) -> int:
    """People not in the Trash, as the people list counts them."""
    from crm.filters import PersonFilter, count_people

    with db.session() as session:
        return count_people(session, PersonFilter())


# --- the checks, in order -------------------------------------------------------------------------


def check_database(state: _State) -> str:
    from crm.db import current_revision, head_revision, open_database

    state.db = open_database(state.db_path)
    revision = current_revision(state.db.engine)
    if revision != head_revision():
        raise CheckFailed(f"schema is at {revision}, expected {head_revision()}")
    return f"schema {revision}"


def check_sample_data(state: _State) -> str:
    from crm import demo

    with state.db.transaction() as session:
        summary = demo.load_sample_data(session)
    people = _count_people(state.db)
    if people == 0 or people != summary["people"]:
        raise CheckFailed(f"the sample data reported {summary['people']} people, the database holds {people}")
    state.people_before_import = people
    return f"{people} people, {summary['organisations']} organisations"


def check_icon(state: _State) -> str:
    from ui.resources import app_icon, resource_path

    resource_path("kindred.svg")
    icon = app_icon()
    if icon.isNull() or not icon.availableSizes():
        raise CheckFailed("the application icon has no images")
    return f"{len(icon.availableSizes())} sizes"


def check_main_window(state: _State) -> str:
    from PySide6.QtWidgets import QApplication

    from ui import main_window

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window = main_window.MainWindow(state.db)
    opened: list[str] = []
    unavailable: list[str] = []
    try:
        window.show()
        app.processEvents()
        if not window.isVisible():
            raise CheckFailed("the main window did not show")
        title = window.windowTitle()
        # Pages load by module name when first opened, out of sight of the bundler's analysis:
        # opening each one proves the bundle has it and everything it imports.
        for key, label, module_name, _class_name in main_window.PAGES:
            page = window.show_page(key)
            app.processEvents()
            (opened if type(page).__module__ == module_name else unavailable).append(label)
        # The dashboard draws with Qt Charts only once its figures arrive: draw a chart here, to
        # prove the bundle holds Qt Charts and everything it needs to paint (the installer leaves
        # out Python bindings Kindred does not import, such as QtOpenGL's).
        charted = _draw_chart(state.folder / "self-test chart.png")
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()
    detail = (
        f"titled {title!r} on the {app.platformName()} platform, {len(opened) + 1} pages opened, {charted}"
    )
    if unavailable:
        detail += f"; not available yet: {', '.join(unavailable)}"
    return detail


def _draw_chart(path: Path) -> str:
    """Draw a small bar chart offscreen and save it as a PNG; fail unless it shows its bars."""
    from PySide6.QtGui import QColor, QPalette

    charts = importlib.import_module("ui.charts")
    spec = charts.ChartSpec("bar", ["Jan", "Feb", "Mar"], [("Interactions", [3.0, 7.0, 5.0])])
    view = charts.make_chart_view(spec, QPalette(), lambda _text: None)
    view.resize(480, 320)
    image = view.grab().toImage()
    bar = QColor(spec.colours[0])
    painted = sum(
        1
        for x in range(0, image.width(), 4)
        for y in range(0, image.height(), 4)
        if image.pixelColor(x, y) == bar
    )
    if not painted:
        raise CheckFailed("the dashboard's chart drew no bars")
    if not charts.save_png(view, path):
        raise CheckFailed(f"could not save the chart as {path}")
    view.deleteLater()
    return "a chart drawn"


def check_import(state: _State) -> str:
    import xlsxwriter

    sheet_path = state.folder / "self-test contacts.xlsx"
    book = xlsxwriter.Workbook(str(sheet_path))
    sheet = book.add_worksheet("Contacts")
    sheet.write_row(0, 0, SAMPLE_SHEET_HEADER)
    for row, values in enumerate(SAMPLE_SHEET_ROWS, start=1):
        for col, value in enumerate(values):
            if value:
                sheet.write_string(row, col, value)
    book.close()

    result = _run_cli(["--db", str(state.db_path), "import", str(sheet_path), "--json"])
    state.imported = _count_people(state.db) - state.people_before_import
    if state.imported != len(SAMPLE_SHEET_ROWS):
        raise CheckFailed(
            f"{len(SAMPLE_SHEET_ROWS)} new people in the spreadsheet, {state.imported} added "
            f"(the import reported {result})"
        )
    return f"{state.imported} people added from {sheet_path.name}"


def check_export(state: _State) -> str:
    from openpyxl import load_workbook

    out = state.folder / "mailing list.xlsx"
    result = _run_cli(["--db", str(state.db_path), "export", str(out), "--json"])
    if not out.is_file():
        raise CheckFailed(f"the export reported success but wrote no file ({result})")
    book = load_workbook(out, read_only=True)
    try:
        rows = [row for row in book.worksheets[0].iter_rows(values_only=True) if any(row)]
    finally:
        book.close()
    data_rows = len(rows) - 1
    if data_rows <= 0:
        raise CheckFailed(f"the mailing list has no people in it ({result})")
    state.exported_rows = data_rows
    return f"{data_rows} people in {out.name}"


def check_reopen(state: _State) -> str:
    from crm.db import check_database as run_checks
    from crm.db import open_database

    state.db.dispose()
    state.db = open_database(state.db_path, create=False)
    report = run_checks(state.db)
    if not report.ok:
        raise CheckFailed("; ".join(report.problems[:3]))
    people = _count_people(state.db)
    expected = state.people_before_import + state.imported
    if people != expected:
        raise CheckFailed(f"{people} people after reopening, expected {expected}")
    audit_entries = _count(state.db, "audit_log")
    if audit_entries == 0:
        raise CheckFailed("the audit log is empty after an import and an export")
    return f"{people} people, {audit_entries} audit entries, integrity ok"


CHECKS: tuple[tuple[str, Callable[[_State], str]], ...] = (
    ("database created and migrated", check_database),
    ("sample data loaded", check_sample_data),
    ("application icon found", check_icon),
    ("main window opened", check_main_window),
    ("spreadsheet imported", check_import),
    ("mailing list exported", check_export),
    ("database reopened and checked", check_reopen),
)


def _report_stream() -> tuple[TextIO, TextIO | None]:
    """Where to print: stdout, or a file in the temp folder when there is none.

    A Windows build without a console window has ``sys.stdout`` set to None; the exit code still
    tells the result and the file keeps the lines.
    """
    if sys.stdout is not None:
        return sys.stdout, None
    handle = (Path(tempfile.gettempdir()) / REPORT_FILE_NAME).open("w", encoding="utf-8")
    return handle, handle


def _ensure_application() -> Any:
    """The running QApplication, or a new one (offscreen when there is no screen)."""
    if _needs_offscreen():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        from crm import APP_NAME

        from ui.resources import app_icon

        app = QApplication([sys.argv[0] if sys.argv else APP_NAME])
        app.setApplicationName(APP_NAME)
        app.setOrganizationName(APP_NAME)
        app.setWindowIcon(app_icon())
    from ui.app_filter import install_app_filter

    if isinstance(app, QApplication):
        install_app_filter(app)
    return app


def run_self_test(out: TextIO | None = None) -> int:
    """Run every check in a throwaway folder; 0 when all pass, 1 naming the first that failed."""
    from crm import APP_NAME, __version__

    stream, owned = (out, None) if out is not None else _report_stream()

    def say(line: str) -> None:
        print(line, file=stream, flush=True)

    started = time.perf_counter()
    failed = False
    say(f"{APP_NAME} {__version__} self-test (Python {sys.version.split()[0]}, {sys.platform})")
    try:
        app = _ensure_application()
        with tempfile.TemporaryDirectory(prefix="kindred-self-test-", ignore_cleanup_errors=True) as tmp:
            folder = Path(tmp)
            state = _State(folder=folder, db_path=folder / "self-test.db")
            with _isolated_environment(folder):
                try:
                    for name, check in CHECKS:
                        try:
                            detail = check(state)
                        except CheckFailed as exc:
                            say(f"FAILED {name}: {exc}")
                            failed = True
                            break
                        except Exception as exc:  # a bug: name it, and keep the traceback for a report
                            say(f"FAILED {name}: {type(exc).__name__}: {exc}")
                            say(traceback.format_exc().rstrip())
                            failed = True
                            break
                        say(f"ok {name}" + (f" ({detail})" if detail else ""))
                finally:
                    if state.db is not None:
                        state.db.dispose()
                    app.processEvents()
        seconds = time.perf_counter() - started
        if failed:
            say(f"{APP_NAME} self-test FAILED after {seconds:.1f} s")
            return 1
        say(f"{APP_NAME} self-test passed: {len(CHECKS)} checks in {seconds:.1f} s")
        return 0
    finally:
        if owned is not None:
            owned.close()
