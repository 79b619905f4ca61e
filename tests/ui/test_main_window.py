"""The main window: title, sidebar, empty-database welcome, menus, shortcuts, remembered layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QLineEdit

from crm.db import open_database

from ui import app, databases, dialogs
from ui.main_window import MainWindow
from ui.tasks import TaskRunner


def test_title_and_sidebar(main_window: MainWindow) -> None:
    assert main_window.windowTitle() == "Kindred — demo.db"
    labels = [main_window.sidebar.item(i).text() for i in range(12)]
    assert labels == [
        "Dashboard",
        "People",
        "Organisations",
        "Networks",
        "Representatives",
        "Interactions",
        "Events",
        "Follow-ups",
        "Duplicates",
        "Suppression list",
        "Due for review",
        "Trash",
    ]
    assert main_window.people_page.stack.currentIndex() == 0  # the list, not the welcome
    # A database with people opens on the dashboard.
    assert main_window.stack.currentWidget() is main_window.pages["dashboard"]
    assert main_window.sidebar.currentItem() is main_window.sidebar_items["dashboard"]


def test_overdue_follow_ups_badge(main_window: MainWindow) -> None:
    from crm.services import interactions

    with main_window.db.session() as session:
        overdue = interactions.count_overdue(session)
    item = main_window.sidebar_items["followups"]
    assert overdue > 0
    assert item.data(Qt.ItemDataRole.UserRole + 10) == overdue
    assert f"{overdue} overdue" in item.toolTip()


def test_every_sidebar_page_opens(qtbot: Any, main_window: MainWindow) -> None:
    for key in (
        "organisations",
        "networks",
        "representatives",
        "interactions",
        "events",
        "followups",
        "trash",
    ):
        page = main_window.show_page(key)
        assert main_window.stack.currentWidget() is page
        assert page.accessibleName()
    main_window.show_page("people")
    assert main_window.stack.currentWidget() is main_window.people_page


def test_empty_database_greets_with_import_and_sample_data(qtbot: Any, runner: TaskRunner) -> None:
    window = MainWindow(runner)
    qtbot.addWidget(window)
    window.show()
    page = window.people_page
    assert page.stack.currentWidget() is page.welcome
    assert page.welcome.import_button.text().startswith("Import a spreadsheet")
    assert page.welcome.sample_button.text() == "Load sample data"
    with qtbot.waitSignal(page.model.ids_loaded, timeout=30_000):
        page.welcome.sample_button.click()
    assert page.stack.currentIndex() == 0
    assert page.model.rowCount() > 100
    assert page.count_label.text() == f"{page.model.rowCount():,} people"


def test_shortcuts_find_and_new(qtbot: Any, main_window: MainWindow) -> None:
    assert main_window.find_action.shortcut().toString() == "Ctrl+F"
    assert main_window.new_person_action.shortcut().toString() == "Ctrl+N"
    assert main_window.save_action.shortcut().toString() == "Ctrl+S"
    assert main_window.undo_action.shortcut().toString() == "Ctrl+Z"
    main_window.show_page("networks")
    main_window.find_action.trigger()
    assert main_window.stack.currentWidget() is main_window.people_page
    assert (
        QApplication.focusWidget() is main_window.people_page.search_edit or not main_window.isActiveWindow()
    )
    main_window.new_person_action.trigger()
    assert main_window.people_page.detail.person_id is None


def test_delete_key_in_a_text_field_does_not_delete_people(qtbot: Any, main_window: MainWindow) -> None:
    main_window.show_page("people")  # a database with people opens on the dashboard
    qtbot.waitUntil(lambda: not main_window.runner.busy, timeout=20_000)  # its counting done
    page = main_window.people_page
    before = page.model.rowCount()
    page.search_edit.setFocus()
    main_window.trash_selected()
    assert not main_window.runner.busy
    assert page.model.rowCount() == before


def test_controls_have_accessible_names(main_window: MainWindow) -> None:
    page = main_window.people_page
    for widget in (
        page.search_edit,
        page.table,
        page.count_label,
        main_window.sidebar,
        page.detail.save_button,
    ):
        assert widget.accessibleName()
    assert all(edit.accessibleName() for edit in page.detail.edits.values())


def test_layout_and_columns_are_remembered(qtbot: Any, demo_runner: TaskRunner) -> None:
    first = MainWindow(demo_runner)
    qtbot.addWidget(first)
    first.show()
    screen = first.screen().availableGeometry()
    first.resize(min(1000, screen.width() - 40), min(640, screen.height() - 40))
    first.people_page.set_columns(["name", "email", "postcode"])
    first.people_page.splitter.setSizes([0, 300, 500])
    size, inner = first.size(), first.people_page.splitter.sizes()
    first.close()

    second = MainWindow(demo_runner)
    qtbot.addWidget(second)
    second.show()
    assert second.people_page.model.columns == ["name", "email", "postcode"]
    assert second.size() == size
    assert second.people_page.splitter.sizes() == inner
    second.close()


def test_about_says_which_database_and_where(
    monkeypatch: pytest.MonkeyPatch, main_window: MainWindow
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_info", lambda _p, _t, text: shown.append(text))
    main_window.about()
    assert "demo.db" in shown[0]
    assert str(main_window.db.path) in shown[0]
    assert "Kindred 0." in shown[0]


def test_dropping_a_spreadsheet_opens_the_import(
    qtbot: Any, main_window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    opened: list[str | None] = []
    monkeypatch.setattr(main_window, "open_import", lambda path=None: opened.append(path))
    sheet = tmp_path / "contacts.xlsx"
    sheet.write_bytes(b"PK")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(sheet))])
    event = QDropEvent(
        QPoint(10, 10).toPointF(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    main_window.dropEvent(event)
    assert opened == [str(sheet)]


def test_open_another_database_replaces_the_window(
    qtbot: Any, main_window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "team.db"
    monkeypatch.setattr(main_window, "_ask_new_path", lambda: str(target))
    new = main_window.new_database()
    assert new is not None
    qtbot.addWidget(new)
    assert new.windowTitle() == "Kindred — team.db"
    assert target.exists()
    assert not main_window.isVisible()
    assert databases.recent_databases()[0] == str(target)
    new.close()


def test_a_database_that_cannot_open_is_explained(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.db"
    bad.write_text("these are my notes, not a database")
    errors: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _p, _t, text: errors.append(text))
    assert databases.open_or_report(str(bad), None) is None
    assert "not a Kindred database" in errors[0]


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert app.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("Kindred ")


def test_back_up_writes_a_checked_copy(
    qtbot: Any, main_window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dest = tmp_path / "backup.db"
    monkeypatch.setattr(main_window, "_ask_backup_path", lambda: str(dest))
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_info", lambda _p, _t, text: shown.append(text))
    with qtbot.waitSignal(main_window.runner.busy_changed, timeout=10_000):
        main_window.back_up()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert dest.exists() and str(dest) in shown[0]
    copy = open_database(dest, create=False)
    try:
        with copy.session() as session:
            from crm.models import Person

            assert session.query(Person).count() > 100
    finally:
        copy.dispose()


def test_team_database_address_that_fails_is_explained(
    qtbot: Any, main_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _p, _t, text: errors.append(text))
    dialog = main_window.connect_team_database()
    address = next(w for w in dialog.findChildren(QLineEdit) if w.accessibleName() == "Address")
    address.setText("mysql://someone@server/kindred")
    dialog.accept()
    assert errors and "PostgreSQL" in errors[0]
    assert main_window.isVisible()  # still on the database it had


def test_recent_databases_menu_lists_what_was_opened(main_window: MainWindow, tmp_path: Path) -> None:
    databases.remember_recent(str(tmp_path / "a.db"))
    databases.remember_recent("postgresql://kindred:secret@db.example.org/kindred")
    entries = databases.recent_databases()
    assert entries[:2] == ["postgresql://kindred@db.example.org/kindred", str(tmp_path / "a.db")]
    main_window._fill_recent_menu()
    texts = [a.text() for a in main_window.recent_menu.actions()]
    assert str(tmp_path / "a.db") in texts


def test_kindred_starts_creates_its_database_and_paints(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    target = tmp_path / "first start" / "kindred.db"
    env = dict(os.environ, KINDRED_REPORT_FIRST_PAINT="1", QT_QPA_PLATFORM="offscreen")
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = str(root)
    done = subprocess.run(
        [sys.executable, "-m", "ui.app", "--db", str(target)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("{")))
    assert report["in_process_s"] > 0
    assert target.exists()
    assert databases.recent_databases() == []  # the child kept its settings in its own config folder


def test_opening_a_person_from_another_page_clears_a_filter_that_hides_them(
    qtbot: Any, main_window: MainWindow
) -> None:
    page = main_window.people_page
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        page.search_edit.setText("floinn")
        page.apply_filter()
    hidden = next(pid for pid in range(1, 500) if page.model.row_of(pid) is None)
    main_window.show_page("networks")
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        main_window.show_person(hidden)
    assert main_window.stack.currentWidget() is page
    assert page.detail.person_id == hidden
    assert page.search_edit.text() == ""
    assert page.model.row_of(hidden) == page.table.currentIndex().row()


def test_tab_goes_along_the_top_bar_then_the_list_then_the_panel(main_window: MainWindow) -> None:
    from PySide6.QtWidgets import QWidget

    def next_stop(widget: QWidget) -> QWidget:
        widget = widget.nextInFocusChain()
        while not widget.focusPolicy() & Qt.FocusPolicy.TabFocus or not widget.isVisibleTo(main_window):
            widget = widget.nextInFocusChain()
        return widget

    main_window.show_page("people")  # a database with people opens on the dashboard
    page = main_window.people_page
    stops = [page.search_edit]
    for _ in range(20):
        stops.append(next_stop(stops[-1]))
    assert stops[:7] == [
        page.search_edit,
        page.filters_button,
        page.save_view_button,
        page.columns_button,
        page.actions_button,
        page.new_button,
        page.table,
    ]
    detail = page.detail
    assert stops.index(detail.title_combo) < stops.index(detail.edits["first_name"])
