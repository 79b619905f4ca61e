"""Membership history in the window: the person panel's periods with Leave and Rejoin, the network
page's cohorts, groups and a member's periods."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QCheckBox, QWidget

from crm.db import Database
from crm.filters import PersonFilter
from crm.services import cohorts, membership_periods, networks, people

from ui.pages.networks_page import NetworksPage
from ui.people.person_detail import PersonDetail
from ui.tasks import TaskRunner

TIMEOUT = 10_000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _field(dialog: Any, name: str) -> Any:
    return next(w for w in dialog.findChildren(QWidget) if w.accessibleName() == name)


def _cells(table: Any) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_person_panel_leave_and_rejoin_keep_every_period(qtbot: QtBot, runner: TaskRunner) -> None:
    with runner.db.transaction() as s:
        champs = networks.create_network(s, "Kindness Champions", is_open=True)
        kln = networks.create_network(s, "Kindness Leadership Network")
        cohort = cohorts.create_cohort(s, kln.id, "KLN 2027–28")
        housing = cohorts.create_group(s, kln.id, "Housing")
        pid = people.create_person(s, first_name="Morven", last_name="Achnacarry").id
        networks.add_members(s, champs.id, [pid], joined_on=dt.date(2020, 1, 6))
    detail = PersonDetail(runner)
    qtbot.addWidget(detail)
    detail.resize(900, 700)
    detail.show()
    detail.load(pid)
    detail.tabs.setCurrentIndex(1)
    assert _cells(detail.membership_table)[0][:3] == ["Kindness Champions", "Member", "Active"]
    detail.membership_table.selectRow(0)
    assert detail.leave_button.isEnabled() and not detail.rejoin_button.isEnabled()
    assert detail.periods_table.rowCount() == 1

    dialog = detail.open_leave()
    assert dialog is not None
    _field(dialog, "Left on").setDate(QDate(2022, 5, 31))
    _field(dialog, "Reason").setText("Moved job")
    with qtbot.waitSignal(detail.related_changed, timeout=TIMEOUT):
        dialog.accept()
    detail.membership_table.selectRow(0)
    assert _cells(detail.membership_table)[0][2] == "Left"
    assert detail.rejoin_button.isEnabled() and not detail.leave_button.isEnabled()

    dialog = detail.open_rejoin()
    assert dialog is not None
    _field(dialog, "Rejoined on").setDate(QDate(2024, 2, 1))
    _field(dialog, "Reason").setText("Back after a break")
    with qtbot.waitSignal(detail.related_changed, timeout=TIMEOUT):
        dialog.accept()
    detail.membership_table.selectRow(0)
    periods = _cells(detail.periods_table)
    assert len(periods) == 2  # newest first
    assert periods[0][1] == "now" and periods[0][3] == "Back after a break"
    assert periods[1][4] == "Moved job"
    assert detail.periods_heading.text() == "Periods in Kindness Champions"

    # Cohort and groups of another membership.
    with runner.db.transaction() as s:
        networks.add_members(s, kln.id, [pid])
    detail.reload_related()
    row = next(
        r for r, cells in enumerate(_cells(detail.membership_table)) if cells[0].startswith("Kindness Lead")
    )
    detail.membership_table.selectRow(row)
    dialog = detail.open_cohort_and_groups()
    assert dialog is not None
    _field(dialog, "Cohort").setCurrentText("KLN 2027–28")
    next(c for c in dialog.findChildren(QCheckBox) if c.text() == "Housing").setChecked(True)
    _field(dialog, "Role in Housing").setCurrentText("convener")
    with qtbot.waitSignal(detail.related_changed, timeout=TIMEOUT):
        dialog.accept()
    cells = next(c for c in _cells(detail.membership_table) if c[0].startswith("Kindness Lead"))
    assert cells[5:] == ["KLN 2027–28", "Housing (convener)"]
    with runner.db.session() as s:
        (h,) = [x for x in membership_periods.person_history(s, pid) if x.network_id == kln.id]
        assert h.cohort_id == cohort.id and [g[0] for g in h.groups] == [housing.id]


@pytest.fixture
def page(demo_runner: TaskRunner, qtbot: QtBot) -> NetworksPage:
    widget = NetworksPage(demo_runner)
    qtbot.addWidget(widget)
    widget.resize(1200, 760)
    widget.show()
    with qtbot.waitSignal(widget.refreshed, timeout=TIMEOUT):
        widget.refresh()
    return widget


def _open(qtbot: QtBot, page: NetworksPage, name: str) -> None:
    row = next(r for r in range(page.model.rowCount()) if page.model.row_at(r)[1] == name)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.table.selectRow(row)


def test_network_page_shows_cohorts_groups_and_history(
    qtbot: QtBot, page: NetworksPage, demo_db: Database
) -> None:
    _open(qtbot, page, "Kindness Leadership Network")
    scopes = [page.scope_box.itemText(i) for i in range(page.scope_box.count())]
    assert scopes[0] == "Everyone" and sum(s.startswith("Cohort: KLN ") for s in scopes) == 3
    assert page.members_model.rowCount() == 30
    cohort_column = [page.members_model.index(r, 4).data() for r in range(30)]
    assert len(set(cohort_column)) == 1 and cohort_column[0].startswith("KLN ")
    # The first cohort's leaders have all left: shown with "Show people who have left".
    first = next(i for i, s in enumerate(scopes) if s.startswith("Cohort: "))
    page.scope_box.setCurrentIndex(first)
    assert page.members_model.rowCount() == 0
    page.show_left.setChecked(True)
    assert page.members_model.rowCount() == 12
    with qtbot.waitSignal(page.export_requested, timeout=TIMEOUT) as blocker:
        page.export_button.click()
    chosen: PersonFilter = blocker.args[0]
    assert chosen.network_cohort == scopes[first].removeprefix("Cohort: ") and not chosen.current_roles_only
    page.members_table.selectRow(0)
    assert "Cohort year completed" in page.history_label.text()

    # Rejoined Champions show each period.
    page.show_left.setChecked(False)
    page.scope_box.setCurrentIndex(0)
    _open(qtbot, page, "Kindness Champions")
    rejoined = [r for r in range(page.members_model.rowCount()) if page.members_model.row_at(r)[8] == 2]
    assert len(rejoined) == 5
    page.members_table.selectRow(rejoined[0])
    assert "Back after a break" in page.history_label.text() and "– now" in page.history_label.text()


def test_network_page_sets_cohort_and_groups(qtbot: QtBot, page: NetworksPage, demo_db: Database) -> None:
    _open(qtbot, page, "Kindness Innovation Network")
    groups = [page.group_box.itemText(i) for i in range(page.group_box.count())]
    assert "Housing and homelessness" in groups and "Scotland hub" in groups
    page.members_table.selectRow(0)
    person_id = page.members_model.row_at(0)[1]
    page.group_box.setCurrentText("Wales hub")
    already = "Wales hub" in page.members_model.row_at(0)[7]
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        (page.leave_group_button if already else page.add_group_button).click()
    with demo_db.session() as s:
        (h,) = [
            x for x in membership_periods.person_history(s, person_id) if x.network.startswith("Kindness Inn")
        ]
        assert ("Wales hub" in [g[1] for g in h.groups]) is not already

    # The cohorts-and-groups dialog makes a cohort; the page offers it at once.
    dialog = page.open_cohorts()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.group_table.rowCount() == 5, timeout=TIMEOUT)
    form = dialog.edit_cohort(None)
    _field(form, "Name").setText("KIN 2026")
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        form.accept()
    qtbot.waitUntil(lambda: dialog.cohort_table.rowCount() == 1, timeout=TIMEOUT)
    assert [page.cohort_box.itemText(i) for i in range(page.cohort_box.count())] == [
        "(no cohort)",
        "KIN 2026",
    ]
    page.members_table.selectRow(0)
    page.cohort_box.setCurrentText("KIN 2026")
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.cohort_button.click()
    assert page.members_model.row_at(0)[6] == "KIN 2026"
    dialog.close()


def test_filter_panel_keeps_cohort_group_and_leavers(qtbot: QtBot, demo_runner: TaskRunner) -> None:
    from ui.people.filter_panel import FilterPanel

    panel = FilterPanel(demo_runner)
    qtbot.addWidget(panel)
    panel.refresh_choices()
    cohorts_offered = [panel.cohort_combo.itemText(i) for i in range(panel.cohort_combo.count())]
    assert sum(c.startswith("KLN ") for c in cohorts_offered) == 3
    assert panel.group_combo.findText("Scotland hub") > 0
    wanted = PersonFilter(
        network="Kindness Leadership Network", network_cohort=cohorts_offered[1], network_left=True
    )
    with qtbot.assertNotEmitted(panel.changed):
        panel.set_filter(wanted)
    assert panel.person_filter() == wanted
    with qtbot.waitSignal(panel.changed, timeout=TIMEOUT):
        panel.left_check.setChecked(False)
    assert panel.person_filter().network_left is False
