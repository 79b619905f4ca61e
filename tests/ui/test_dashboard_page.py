"""The dashboard, driven as a user would: tiles, periods, tables, hover values, exports."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from crm.filters import PersonFilter, count_people
from crm.reports import aggregates
from crm.reports.period import Period
from crm.services import people

from ui.main_window import MainWindow
from ui.pages.dashboard_page import DashboardPage
from ui.tasks import emit


def loaded_dashboard(qtbot: Any, window: MainWindow) -> DashboardPage:
    page = window.pages["dashboard"]
    assert isinstance(page, DashboardPage)
    qtbot.waitUntil(
        lambda: (
            all(t.count is not None for t in page.tiles.values())
            and all(c.data is not None for c in page.cards.values())
        ),
        timeout=20_000,
    )
    return page


def test_opens_first_with_every_card_filled(qtbot: Any, main_window: MainWindow) -> None:
    assert main_window.stack.currentWidget() is main_window.pages["dashboard"]
    page = loaded_dashboard(qtbot, main_window)
    with main_window.db.session() as session:
        quality = aggregates.data_quality(session)
        engagement = aggregates.engagement(session, Period.last_12_months())
    assert {k: page.tiles[k].count for k in (c.key for c in quality.checks)} == {
        c.key: c.count for c in quality.checks
    }
    interactions = page.cards["interactions"]
    assert interactions.chart_view is not None
    assert [
        interactions.table_model.item(r, 1).text() for r in range(interactions.table_model.rowCount())
    ] == [str(m.interactions) for m in engagement.months]
    assert page.reps_model.rowCount() == len(engagement.representatives)


def test_tile_opens_the_people_list_with_its_filter(qtbot: Any, main_window: MainWindow) -> None:
    page = loaded_dashboard(qtbot, main_window)
    # Every sample phone number is valid: two people get numbers typed short, as a sheet may have.
    with main_window.db.transaction() as session:
        session.connection().exec_driver_sql(
            "UPDATE person SET phone = '0131 496' WHERE id IN (SELECT id FROM person ORDER BY id LIMIT 2)"
        )
    page.refresh()
    page = loaded_dashboard(qtbot, main_window)
    qtbot.waitUntil(lambda: page.tiles["invalid_phone"].count == 2, timeout=20_000)
    people_page = main_window.people_page
    for key, combo in (("no_email", "has_email_combo"), ("invalid_phone", "invalid_phone_combo")):
        tile = page.tiles[key]
        assert tile.count
        with qtbot.waitSignal(people_page.model.ids_loaded, timeout=10_000):
            qtbot.mouseClick(tile, qtbot_button())
        assert main_window.stack.currentWidget() is people_page
        assert people_page.model.rowCount() == tile.count
        assert people_page.count_label.text() == f"{tile.count:,} people"
        # The filter is in the panel, so it can be seen, changed, saved or exported.
        assert getattr(people_page.filter_panel, combo).currentData() is (key == "invalid_phone")
        assert people_page.filters_button.isChecked()
        main_window.show_page("dashboard")


def test_not_contacted_link_opens_those_representatives(qtbot: Any, main_window: MainWindow) -> None:
    page = loaded_dashboard(qtbot, main_window)
    button = page.not_contacted_buttons["Scottish Parliament"]
    expected = int(button.text().split()[0])
    with qtbot.waitSignal(main_window.people_page.model.ids_loaded, timeout=10_000):
        button.click()
    assert main_window.people_page.model.rowCount() == expected > 0


def test_period_change_counts_again(qtbot: Any, main_window: MainWindow) -> None:
    page = loaded_dashboard(qtbot, main_window)
    card = page.cards["interactions"]
    card.period_box.setCurrentIndex(card.period_box.findData("last_90_days"))
    wanted = Period.preset("last_90_days")
    qtbot.waitUntil(lambda: card.data is not None and card.data.period == wanted, timeout=10_000)
    with main_window.db.session() as session:
        months = aggregates.engagement(session, wanted).months
    assert card.table_model.rowCount() == len(months) in (3, 4)
    # The page's period sets every card's.
    page.period_box.setCurrentIndex(page.period_box.findData("last_3_years"))
    longer = Period.preset("last_3_years")
    qtbot.waitUntil(
        lambda: all(c.data is not None and c.data.period == longer for c in page.cards.values()),
        timeout=20_000,
    )
    assert page.cards["members"].table_model.rowCount() == 36


def test_table_alternative_and_hover_values(qtbot: Any, main_window: MainWindow) -> None:
    page = loaded_dashboard(qtbot, main_window)
    card = page.cards["engaged"]
    card.table_button.click()
    assert card.shown_widget() is card.table
    assert card.table_button.text() == "Chart"
    headers = [card.table_model.horizontalHeaderItem(c).text() for c in range(card.table_model.columnCount())]
    assert headers == ["", "Current members", "Engaged in the period"]
    card.table_button.click()
    assert card.shown_widget() is card.chart_view
    bar_set = card.chart_view.chart().series()[0].barSets()[1]
    emit(bar_set.hovered, True, 0)
    assert card.hover_text.startswith("Engaged in the period, MSPs")
    assert card.hover_label.text() == card.hover_text
    emit(bar_set.hovered, False, 0)
    assert card.hover_text == ""
    line = page.cards["members"].chart_view.chart().series()[0]
    from PySide6.QtCore import QPointF

    emit(line.hovered, QPointF(11, 0), True)
    assert page.cards["members"].hover_text.startswith(f"{line.name()}, Dec")


def test_export_png_and_report(qtbot: Any, main_window: MainWindow, tmp_path: Path) -> None:
    page = loaded_dashboard(qtbot, main_window)
    target = tmp_path / "chart"
    page.ask_save_path = lambda *_a: str(target)  # type: ignore[method-assign]
    assert page.export_png(page.cards["interactions"])
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.ask_save_path = lambda *_a: str(tmp_path / "events.xlsx")  # type: ignore[method-assign]
    with qtbot.waitSignal(page.report_written, timeout=20_000):
        page.export_report("events")
    wb = openpyxl.load_workbook(tmp_path / "events.xlsx")
    assert wb.sheetnames[0] == "Cover"
    with zipfile.ZipFile(tmp_path / "events.xlsx") as zf:
        assert any(n.startswith("xl/charts/chart") for n in zf.namelist())


def test_follows_the_palette(qtbot: Any, main_window: MainWindow) -> None:
    page = loaded_dashboard(qtbot, main_window)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    dark = QPalette(before)
    dark.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#17181a"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e8eaed"))
    try:
        app.setPalette(dark)
        chart = page.cards["interactions"].chart_view.chart()
        qtbot.waitUntil(lambda: chart.backgroundBrush().color() == QColor("#17181a"), timeout=5_000)
        assert chart.axes()[0].labelsColor() == QColor("#e8eaed")
    finally:
        app.setPalette(before)


def test_refreshes_when_data_changed(qtbot: Any, main_window: MainWindow) -> None:
    page = loaded_dashboard(qtbot, main_window)
    before = page.tiles["no_email"].count
    assert before is not None
    with main_window.db.transaction() as session:
        people.create_person(session, first_name="Nomail", last_name="Person")
    main_window.show_page("people")
    main_window.show_page("dashboard")  # coming back counts again
    qtbot.waitUntil(lambda: page.tiles["no_email"].count == before + 1, timeout=10_000)
    with main_window.db.session() as session:
        assert count_people(session, PersonFilter(has_email=False)) == before + 1


def test_qt_charts_stay_off_the_start_up_path(tmp_path: Path) -> None:
    """An empty database opens on People and never loads Qt Charts; one with people shows the
    dashboard at once and loads Qt Charts only when figures arrive."""
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from crm.db import open_database\n"
        "from crm.services import people\n"
        "from ui.main_window import MainWindow\n"
        f"db = open_database({str(tmp_path / 'k.db')!r})\n"
        "w = MainWindow(db); w.show(); app.processEvents()\n"
        "print('empty', 'PySide6.QtCharts' in sys.modules)\n"
        "w.close()\n"
        "with db.transaction() as s: people.create_person(s, first_name='A', last_name='B')\n"
        "w = MainWindow(db); w.show()\n"
        "print('built', 'PySide6.QtCharts' in sys.modules, w.stack.currentWidget() is w.pages['dashboard'])\n"
    )
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["empty False", "built False True"]


def qtbot_button() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
