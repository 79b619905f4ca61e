"""Shared GUI fixtures: a TaskRunner over a fresh database, and the main window on sample data.

Every fixture works on a real SQLite file in ``tmp_path`` (see ``tests/conftest.py``). Settings go to
the per-test ``XDG_CONFIG_HOME`` the root conftest sets, so window geometry from one test never
leaks into another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from crm.db import Database

from ui.tasks import Task, TaskRunner

# The offscreen platform warns about what it cannot do (size hints, raising a window, grabbing the
# keyboard for a completer popup); that is not a fault of the widgets under test.
OFFSCREEN_NOISE = "This plugin does not support"


_MINE = {
    "test_person_detail.py",
    "test_app_filter.py",
    "test_people_page.py",
    "test_main_window.py",
    "test_people_model.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "main_window" in getattr(item, "fixturenames", ()) or item.path.name in _MINE:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(scope="session")
def qapp(qapp: QApplication) -> QApplication:
    """pytest-qt's application, set up as Kindred sets up its own (the wheel guard)."""
    from ui.app import configure_application

    configure_application(qapp)
    return qapp


@pytest.fixture(autouse=True)
def _default_preferences() -> Iterator[None]:
    """Preferences are process-wide once applied: each test starts and ends with the defaults."""
    from ui import preferences

    preferences.apply(preferences.Preferences())
    yield
    preferences.apply(preferences.Preferences())


def _settle(runner: TaskRunner) -> None:
    """Let running work finish and deliver its queued callbacks before the database closes."""
    runner.wait_for_all()
    app = QApplication.instance()
    if app is not None:
        app.processEvents()


@pytest.fixture(autouse=True)
def _qsettings_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """QSettings caches its paths on first use: point them at a folder of this test's own."""
    folder = tmp_path_factory.mktemp("qsettings")
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.NativeFormat, scope, str(folder))
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    yield


@pytest.fixture
def runner(qapp: QApplication, sqlite_db: Database) -> Iterator[TaskRunner]:
    """A TaskRunner over a fresh, empty SQLite database."""
    task_runner = TaskRunner(sqlite_db)
    try:
        yield task_runner
    finally:
        _settle(task_runner)


@pytest.fixture
def demo_runner(qapp: QApplication, demo_db: Database) -> Iterator[TaskRunner]:
    """A TaskRunner over a database holding the sample data set."""
    task_runner = TaskRunner(demo_db)
    try:
        yield task_runner
    finally:
        _settle(task_runner)


@pytest.fixture
def run_task(qtbot: Any) -> Callable[..., Any]:
    """Wait for a task started by the UI: ``run_task(lambda: button.click(), runner)``.

    Calls ``action`` and blocks (processing events) until the runner is idle again.
    """

    def wait(action: Callable[[], Any], task_runner: TaskRunner, timeout: int = 10_000) -> Any:
        result = action()
        if isinstance(result, Task) and not result.done:
            with qtbot.waitSignal(result.finished, timeout=timeout):
                pass
        if task_runner.busy:
            with qtbot.waitSignal(task_runner.busy_changed, timeout=timeout):
                pass
        return result

    return wait


@pytest.fixture
def main_window(qtbot: Any, demo_runner: TaskRunner) -> Iterator[Any]:
    """The main window on the sample data, shown offscreen and loaded."""
    from ui.main_window import MainWindow

    window = MainWindow(demo_runner)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.people_page.model.loaded, timeout=10_000)
    # A database with people opens on the dashboard, which counts in the background once painted:
    # let it finish, so tests start with the runner idle.
    dashboard = window.pages.get("dashboard")
    if dashboard is not None:
        qtbot.waitUntil(lambda: not dashboard._refresh_pending and not window.runner.busy, timeout=30_000)
    yield window
