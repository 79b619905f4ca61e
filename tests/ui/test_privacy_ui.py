"""Data protection on screen: the History tab, subject access and erasure on a person, the
Suppression list and Due for review pages, consent from an import column, and the export dialog's
channel rules. Real widgets, a real database file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select, update

from crm.filters import PersonFilter
from crm.models import Consent, Person
from crm.privacy import settings
from crm.privacy.suppression import is_suppressed
from crm.services import organisations, people

from ui import dialogs, privacy_actions
from ui.export_dialog import ExportDialog
from ui.import_wizard import ImportWizard
from ui.pages import retention_page, suppression_page
from ui.pages.organisations_page import OrganisationsPage
from ui.pages.retention_page import RetentionPage
from ui.pages.suppression_page import SuppressionPage
from ui.people.person_detail import PersonDetail
from ui.privacy_actions import CONFIRM_WORD, EraseDialog
from ui.tasks import TaskRunner

from tests.crm.exporting.conftest import build_cast
from tests.crm.importing.conftest import write_csv

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")
TIMEOUT = 10_000


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    messages: list[str] = []
    monkeypatch.setattr(dialogs, "show_info", lambda _p, _t, message: messages.append(message))
    monkeypatch.setattr(dialogs, "show_error", lambda _p, _t, message: messages.append(message))
    return messages


def _person(runner: TaskRunner) -> int:
    with runner.db.transaction() as s:
        pid = people.create_person(
            s, first_name="Ada", last_name="Quill", email="ada@example.org", town="Leeds"
        ).id
    with runner.db.transaction() as s:
        people.update_person(s, pid, {"town": "York", "job_title": "Director"})
    return pid


def _detail(qtbot: QtBot, runner: TaskRunner, pid: int) -> PersonDetail:
    detail = PersonDetail(runner)
    qtbot.addWidget(detail)
    detail.show()
    with qtbot.waitSignal(detail.history_view.loaded, timeout=TIMEOUT):
        detail.load(pid)
    return detail


def test_history_tab_shows_every_change_and_filters(
    qtbot: QtBot, runner: TaskRunner, qtmodeltester: Any
) -> None:
    pid = _person(runner)
    detail = _detail(qtbot, runner, pid)
    view = detail.history_view
    assert detail.tabs.tabText(detail.tabs.indexOf(view)) == "History"
    qtmodeltester.check(view.model)
    rows = [view.model.row_at(r) for r in range(view.model.rowCount())]
    town = next(r for r in rows if r[4] == "Town")
    assert (town[3], town[5], town[6]) == ("Changed", "Leeds", "York")
    assert town[2]  # who: the login (or the name set in Preferences)
    assert view.count_label.text() == "3 changes"
    view.search.setText("york")
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=TIMEOUT)
    assert view.count_label.text() == "1 of 3 changes"
    view.search.setText("")
    qtbot.waitUntil(lambda: view.model.rowCount() == 3, timeout=TIMEOUT)
    view.action_box.setCurrentIndex(view.action_box.findData("Added"))
    assert view.model.rowCount() == 1


def test_organisation_history_tab(qtbot: QtBot, runner: TaskRunner) -> None:
    with runner.db.transaction() as s:
        oid = organisations.create_organisation(s, name="Kind Trust").id
        organisations.update_organisation(s, oid, {"town": "Stirling"})
    page = OrganisationsPage(runner)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.refresh()
    with qtbot.waitSignal(page.history_view.loaded, timeout=TIMEOUT):
        page.table.selectRow(0)
    fields = [page.history_view.model.row_at(r)[4] for r in range(page.history_view.model.rowCount())]
    assert "Town" in fields


def test_subject_access_from_the_person(
    qtbot: QtBot, runner: TaskRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shown: list[str]
) -> None:
    pid = _person(runner)
    detail = _detail(qtbot, runner, pid)
    out = tmp_path / "sar.xlsx"
    monkeypatch.setattr(privacy_actions, "choose_subject_access_path", lambda _p, _n: str(out))
    task = detail.subject_access()
    assert task is not None
    qtbot.waitUntil(lambda: task.done, timeout=TIMEOUT)
    assert out.is_file() and "Details" in openpyxl.load_workbook(out).sheetnames
    assert "Everything held on Ada Quill is in sar.xlsx" in shown[-1]


def test_erase_needs_a_reason_and_the_typed_word(qtbot: QtBot) -> None:
    dialog = EraseDialog(["Ada Quill"])
    qtbot.addWidget(dialog)
    assert not dialog.erase_button.isEnabled()
    dialog.reason_edit.setText("Erasure request of 3 May")
    assert not dialog.erase_button.isEnabled()
    dialog.confirm_edit.setText("erase")
    assert not dialog.erase_button.isEnabled()
    dialog.confirm_edit.setText(CONFIRM_WORD)
    assert dialog.erase_button.isEnabled()
    assert dialog.reason() == "Erasure request of 3 May"


def test_erase_this_person(
    qtbot: QtBot, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch, shown: list[str]
) -> None:
    pid = _person(runner)
    detail = _detail(qtbot, runner, pid)
    monkeypatch.setattr(privacy_actions, "ask_erasure", lambda _p, _names: None)
    assert detail.erase_person() is None  # cancelled: nothing happens
    monkeypatch.setattr(privacy_actions, "ask_erasure", lambda _p, _names: "Erasure request of 3 May")
    with qtbot.waitSignal(detail.person_erased, timeout=TIMEOUT) as erased:
        detail.erase_person()
    assert erased.args == [pid]
    assert detail.person_id is None
    with runner.db.session() as s:
        assert s.get(Person, pid) is None
        assert is_suppressed(s, "ada@example.org")
    assert shown[-1].startswith("Erased 1 person.")


def test_suppression_page_add_and_remove(
    qtbot: QtBot, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch, shown: list[str], qtmodeltester: Any
) -> None:
    _person(runner)
    page = SuppressionPage(runner)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.refresh()
    assert page.model.rowCount() == 0 and not page.remove_button.isEnabled()
    monkeypatch.setattr(suppression_page, "ask_suppression", lambda _p: ("ADA@example.org", "Asked by phone"))
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.add_button.click()
    qtmodeltester.check(page.model)
    assert page.model.row_at(0)[1:3] == ("ada@example.org", "Asked by phone")
    assert "1 person with it is now marked do not contact" in shown[-1]
    page.table.selectRow(0)
    monkeypatch.setattr(dialogs, "confirm", lambda *_a, **_k: False)
    assert page.remove_selected() is None
    monkeypatch.setattr(dialogs, "confirm", lambda *_a, **_k: True)
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.remove_button.click()
    assert page.model.rowCount() == 0
    assert "still marked do not contact" in shown[-1]


def test_due_for_review_page_keeps_for_another_period_and_changes_the_period(
    qtbot: QtBot, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    with runner.db.transaction() as s:
        ids = [people.create_person(s, first_name=f"Old{i}", last_name="Contact").id for i in range(3)]
        s.execute(update(Person).values(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
    page = RetentionPage(runner)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.refresh()
    assert page.months_spin.value() == 24 and page.model.rowCount() == 3
    assert page.count_label.text() == "3 people due for review."
    page.table.selectRow(0)
    kept = page.model.id_at(0)
    monkeypatch.setattr(retention_page, "ask_keep_note", lambda _p, _n: "Still a likely speaker")
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.keep_button.click()
    assert page.model.rowCount() == 2 and kept not in [page.model.id_at(r) for r in range(2)]
    page.months_spin.setValue(120)
    assert page.save_period_button.isEnabled()
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.save_period_button.click()
    # Added in 2020: within ten years, so nobody is due; the period is saved for everyone.
    assert page.model.rowCount() == 0 and page.months_spin.value() == 120
    assert not page.save_period_button.isEnabled()
    with runner.db.session() as s:
        assert settings.retention_months(s) == 120
    assert len(ids) == 3


def test_import_wizard_maps_a_consent_column(qtbot: QtBot, runner: TaskRunner, tmp_path: Path) -> None:
    question = "Happy to be contacted about the Kindness Champions network?"
    path = write_csv(
        tmp_path / "signups.csv",
        [
            ["Timestamp", "First name", "Last name", "Email", question],
            ["03/02/2026 10:15", "Ann", "Lee", "ann@example.org", "Yes"],
            ["04/02/2026 11:00", "Bob", "Ray", "bob@example.org", "No"],
            ["05/02/2026 12:00", "Cat", "Orr", "cat@example.org", ""],
        ],
    )
    w = ImportWizard(runner, None, path=path)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.file_page.isComplete(), timeout=TIMEOUT)
    for _ in range(2):
        qtbot.waitUntil(lambda: w.currentPage().isComplete(), timeout=TIMEOUT)
        w.next()
    assert w.currentId() == w.MAPPING
    box = w.mapping_page.consent_box
    assert not box.isChecked()  # a guess never records consent by itself
    assert box.column_combo.currentText() == question and box.date_combo.currentText() == "Timestamp"
    box.setChecked(True)
    w.next()
    assert w.currentId() == w.MAPPING and "gives consent for" in w.mapping_page.status.text()
    box.purpose_combo.setCurrentText("Kindness Champions")
    assert w.import_options.consent_column == 4
    while w.currentId() != w.SUMMARY:
        qtbot.waitUntil(lambda: w.currentPage().isComplete(), timeout=TIMEOUT)
        w.next()
    qtbot.waitUntil(lambda: w.summary_page.isComplete(), timeout=TIMEOUT)
    assert "1 yes, 1 no, 1 blank" in w.summary_page.counts.text()
    with qtbot.waitSignal(w.import_finished, timeout=20_000):
        w.next()
    with runner.db.session() as s:
        held = {
            email: (granted, when, wording)
            for email, granted, when, wording in s.execute(
                select(Person.email, Consent.granted, Consent.recorded_on, Consent.wording).join(
                    Consent, Consent.person_id == Person.id
                )
            )
        }
    assert held == {
        "ann@example.org": (True, dt.date(2026, 2, 3), question),
        "bob@example.org": (False, dt.date(2026, 2, 4), question),
    }
    runner.wait_for_all()


def test_export_dialog_channel_rules_and_count(
    qtbot: QtBot, runner: TaskRunner, tmp_path: Path, shown: list[str]
) -> None:
    build_cast(runner.db)
    dialog = ExportDialog(runner, PersonFilter(), None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.export_count is not None, timeout=TIMEOUT)
    assert dialog.channel_combo.currentData() == "post"
    assert not dialog.ignore_reason_edit.isVisible()
    with qtbot.waitSignal(dialog.count_updated, timeout=TIMEOUT):
        dialog.channel_combo.setCurrentIndex(dialog.channel_combo.findData("ignore"))
    assert dialog.ignore_reason_edit.isVisible()
    dialog.choose_path = lambda _s: str(tmp_path / "badges.xlsx")  # type: ignore[method-assign]
    assert dialog.start_export() is None and "Say why" in shown[-1]
    dialog.ignore_reason_edit.setText("Name badges for the reception")
    counted = dialog.export_count
    assert counted is not None
    assert (
        f"{counted.rows:,} rows will be exported · {counted.excluded:,} left out" in dialog.count_label.text()
    )
    with qtbot.waitSignal(dialog.export_finished, timeout=TIMEOUT):
        dialog.start_export()
    result = dialog.export_result
    assert result is not None and (result.exported, result.excluded) == (counted.rows, counted.excluded)


def test_due_for_review_page_erases_the_chosen_people(
    qtbot: QtBot, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch, shown: list[str]
) -> None:
    with runner.db.transaction() as s:
        for i in range(3):
            people.create_person(s, first_name=f"Old{i}", last_name="Contact", email=f"old{i}@example.org")
        s.execute(update(Person).values(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
    page = RetentionPage(runner)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.refresh()
    page.table.selectAll()
    monkeypatch.setattr(
        privacy_actions, "ask_erasure", lambda _p, names: "Retention review" if len(names) == 3 else None
    )
    with qtbot.waitSignal(page.data_changed, timeout=TIMEOUT):
        page.erase_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=TIMEOUT)
    assert shown[-1].startswith("Erased 3 people.")
    with runner.db.session() as s:
        assert s.scalars(select(Person.id)).all() == []
        assert is_suppressed(s, "old2@example.org")


def test_no_channel_on_a_mail_merge_is_ignoring_its_rules(qtbot: QtBot, runner: TaskRunner) -> None:
    build_cast(runner.db)
    dialog = ExportDialog(runner, PersonFilter(), None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.channel_combo.setCurrentIndex(dialog.channel_combo.findData(None))
    assert dialog.ignoring_rules() and dialog.ignore_reason_edit.isVisible()
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData("full"))
    # A full record is not a mailing: no channel is its own default, and needs no reason.
    assert dialog.channel_combo.currentData() is None
    assert not dialog.ignoring_rules() and not dialog.ignore_reason_edit.isVisible()
    runner.wait_for_all()
