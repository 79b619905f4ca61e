"""The Export dialog, driven end to end on real widgets and a real database file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QProgressDialog, QPushButton

from crm.exporting.columns import COLUMNS, MAIL_MERGE, presets_path
from crm.filters import PersonFilter
from crm.models import Interaction
from crm.services import events, people

from ui import dialogs
from ui.export_dialog import EMAIL_BATCH, ExportDialog
from ui.tasks import TaskRunner

from tests.crm.exporting.conftest import Cast, build_cast

TIMEOUT = 10_000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def cast(runner: TaskRunner) -> Cast:
    return build_cast(runner.db)


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _parent, _title, message: shown.append(message))
    return shown


def make_dialog(qtbot: QtBot, runner: TaskRunner, f: PersonFilter, **kwargs: Any) -> ExportDialog:
    dialog = ExportDialog(runner, f, None, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.preview_updated, timeout=TIMEOUT):
        pass
    return dialog


def save_to(dialog: ExportDialog, path: Path, opened: list[QUrl] | None = None) -> None:
    dialog.choose_path = lambda _suggested: str(path)  # type: ignore[method-assign]
    if opened is not None:
        dialog.open_url = lambda url: opened.append(url) or True  # type: ignore[method-assign]


def export(qtbot: QtBot, dialog: ExportDialog) -> str:
    with qtbot.waitSignal(dialog.export_finished, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    return str(blocker.args[0])


def refreshed(qtbot: QtBot, dialog: ExportDialog, action: Any) -> None:
    with qtbot.waitSignal(dialog.preview_updated, timeout=TIMEOUT):
        action()


def test_preview_shows_the_first_rows_of_the_mail_merge(
    qtbot: QtBot, runner: TaskRunner, cast: Cast, qtmodeltester: Any
) -> None:
    dialog = make_dialog(
        qtbot, runner, PersonFilter(network="Kindness Champions"), title="Export — Champions"
    )
    model = dialog.preview_model
    qtmodeltester.check(model)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == [COLUMNS[k].label for k in MAIL_MERGE]
    first = dict(zip(headers, model.row(0), strict=True))
    assert first["Informal salutation"] == "Dear Claudia"
    assert first["Formal salutation"] == "Dear Ms Beamish"
    assert first["Addressee"] == "Ms Claudia Beamish MSP"
    # Dora Noble is do-not-contact and James Smith shares Anna's home address (post rules, one
    # letter per household): the preview shows what the file will hold.
    assert [model.row(r)[headers.index("Full name")] for r in range(model.rowCount())] == [
        "Claudia Beamish",
        "Anna Smith",
    ]
    qtbot.waitUntil(
        lambda: "2 rows will be exported · 2 left out" in dialog.count_label.text(), timeout=TIMEOUT
    )
    assert dialog.windowTitle() == "Export — Champions"


def test_columns_can_be_added_removed_and_ordered(qtbot: QtBot, runner: TaskRunner, cast: Cast) -> None:
    dialog = make_dialog(qtbot, runner, PersonFilter(ids=[cast.claudia]))
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData("email"))
    assert dialog.chosen_columns() == ["full_name", "email"]
    phone = dialog.available_list.findItems("Phone", Qt.MatchFlag.MatchExactly)[0]
    phone.setSelected(True)
    refreshed(qtbot, dialog, dialog.add_button.click)
    assert dialog.chosen_columns() == ["full_name", "email", "phone"]
    assert dialog.preview_model.row(0) == [
        "Claudia Beamish",
        "claudia.beamish@parliament.scot.example",
        "0131 348 5000",
    ]
    dialog.chosen_list.item(2).setSelected(True)
    refreshed(qtbot, dialog, dialog.up_button.click)
    refreshed(qtbot, dialog, dialog.up_button.click)
    assert dialog.chosen_columns() == ["phone", "full_name", "email"]
    dialog.chosen_list.clearSelection()
    dialog.chosen_list.item(2).setSelected(True)
    refreshed(qtbot, dialog, dialog.remove_button.click)
    assert dialog.chosen_columns() == ["phone", "full_name"]
    assert dialog.preview_model.columnCount() == 2
    dialog.chosen_list.selectAll()
    refreshed(qtbot, dialog, dialog.remove_button.click)
    assert not dialog.export_button.isEnabled()


def test_save_a_preset_and_find_it_next_time(qtbot: QtBot, runner: TaskRunner, cast: Cast) -> None:
    dialog = make_dialog(qtbot, runner, PersonFilter())
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData("email"))
    dialog.ask_preset_name = lambda: "Bcc list"  # type: ignore[method-assign]
    dialog.save_preset_button.click()
    assert dialog.preset_combo.currentText() == "Bcc list"
    assert presets_path().is_file()
    again = make_dialog(qtbot, runner, PersonFilter())
    assert again.preset_combo.findText("Bcc list") >= 0
    again.preset_combo.setCurrentIndex(again.preset_combo.findText("Bcc list"))
    assert again.chosen_columns() == ["full_name", "email"]


def test_export_end_to_end_then_open_file_and_folder(
    qtbot: QtBot, runner: TaskRunner, cast: Cast, tmp_path: Path
) -> None:
    dialog = make_dialog(qtbot, runner, PersonFilter())
    refreshed(
        qtbot, dialog, lambda: dialog.channel_combo.setCurrentIndex(dialog.channel_combo.findData("email"))
    )
    opened: list[QUrl] = []
    out = tmp_path / "newsletter.xlsx"
    save_to(dialog, out, opened)
    assert export(qtbot, dialog) == str(out)
    assert dialog.path_edit.text() == str(out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["People", "Excluded"]
    reasons = {r[0]: r[3] for r in wb["Excluded"].iter_rows(min_row=2, values_only=True)}
    assert reasons["Eric Owen"] == "Opted out of email"
    text = dialog.result_label.text()
    assert "Exported" in text and "Left out" in text and "Opted out of email: 1" in text
    assert dialog.open_button.isVisible() and dialog.folder_button.isVisible()
    dialog.open_button.click()
    dialog.folder_button.click()
    assert [u.toLocalFile() for u in opened] == [str(out), str(tmp_path)]


def test_letters_with_joint_salutations_and_a_recorded_mailing(
    qtbot: QtBot, runner: TaskRunner, cast: Cast, tmp_path: Path, errors: list[str]
) -> None:
    dialog = make_dialog(qtbot, runner, PersonFilter())
    assert dialog.channel_combo.currentData() == "post"  # a mail merge is for letters by default
    refreshed(
        qtbot, dialog, lambda: dialog.channel_combo.setCurrentIndex(dialog.channel_combo.findData("email"))
    )
    assert not dialog.joint_check.isEnabled()  # joint salutations are for letters
    refreshed(
        qtbot, dialog, lambda: dialog.channel_combo.setCurrentIndex(dialog.channel_combo.findData("post"))
    )
    assert dialog.joint_check.isEnabled()
    refreshed(qtbot, dialog, lambda: dialog.joint_check.setChecked(True))
    dialog.record_check.setChecked(True)
    out = tmp_path / "letters.csv"
    save_to(dialog, out)
    dialog.export_button.click()
    assert errors == ["Give the mailing a name to record it, e.g. “Autumn newsletter”."]
    dialog.mailing_edit.setText("Reception invitation")
    export(qtbot, dialog)
    rows = out.read_text(encoding="utf-8-sig").splitlines()
    assert any("Dear Anna and James" in line for line in rows)
    assert (tmp_path / "letters-excluded.csv").is_file()
    with runner.db.session() as s:
        mailing = s.query(Interaction).one()
        assert (mailing.subject, mailing.kind) == ("Mailing: Reception invitation", "letter")
    assert "recorded" in dialog.result_label.text()


def test_cancel_leaves_no_file(qtbot: QtBot, runner: TaskRunner, tmp_path: Path) -> None:
    with runner.db.transaction() as s:
        people.bulk_insert_people(
            s,
            [{"first_name": f"P{i}", "last_name": "Many", "email": f"p{i}@example.org"} for i in range(5000)],
        )
    dialog = make_dialog(qtbot, runner, PersonFilter())
    out = tmp_path / "big.xlsx"
    save_to(dialog, out)
    task = dialog.start_export()
    assert task is not None
    progress = dialog.findChild(QProgressDialog)
    assert progress is not None
    with qtbot.waitSignal(task.finished, timeout=TIMEOUT):
        progress.findChild(QPushButton).click()
    assert dialog.result_label.text() == "Export cancelled; no file was written."
    assert not out.exists()
    assert dialog.export_button.isEnabled()


def test_a_file_problem_is_shown_plainly(
    qtbot: QtBot, runner: TaskRunner, cast: Cast, tmp_path: Path, errors: list[str]
) -> None:
    dialog = make_dialog(qtbot, runner, PersonFilter())
    save_to(dialog, tmp_path / "missing folder" / "list.xlsx")
    task = dialog.start_export()
    assert task is not None
    with qtbot.waitSignal(task.finished, timeout=TIMEOUT):
        pass
    assert len(errors) == 1 and "does not exist" in errors[0]
    assert dialog.result_label.text() == "The export did not finish; no file was written."
    assert dialog.export_button.isEnabled()


def test_copy_email_addresses_in_batches_for_bcc(qtbot: QtBot, runner: TaskRunner, tmp_path: Path) -> None:
    with runner.db.transaction() as s:
        people.bulk_insert_people(
            s,
            [
                {"first_name": f"P{i:03}", "last_name": "Bcc", "email": f"p{i:03}@example.org"}
                for i in range(120)
            ]
            + [{"first_name": "No", "last_name": "Mail", "email": "no@example.org", "email_opt_out": True}],
        )
    dialog = make_dialog(qtbot, runner, PersonFilter())
    clipboard = QGuiApplication.clipboard()
    with qtbot.waitSignal(dialog.emails_copied, timeout=TIMEOUT) as first:
        dialog.copy_emails_button.click()
    assert first.args == [EMAIL_BATCH]
    batch = clipboard.text().split("; ")
    assert batch[0] == "p000@example.org" and len(batch) == 50
    assert "batch 1 of 3" in dialog.result_label.text()
    assert dialog.copy_emails_button.text() == "Copy &next 50"
    with qtbot.waitSignal(dialog.emails_copied, timeout=TIMEOUT):
        dialog.copy_emails_button.click()
    assert clipboard.text().split("; ")[0] == "p050@example.org"
    with qtbot.waitSignal(dialog.emails_copied, timeout=TIMEOUT) as last:
        dialog.copy_emails_button.click()
    assert last.args == [20]
    assert "no@example.org" not in clipboard.text()
    assert "last batch" in dialog.result_label.text()


def test_event_attendance_list(qtbot: QtBot, runner: TaskRunner, cast: Cast, tmp_path: Path) -> None:
    with runner.db.transaction() as s:
        event = events.create_event(s, "Kindness reception", starts_on=dt.date(2026, 5, 1))
        events.set_attendance(s, event.id, [cast.claudia, cast.anna], "attended")
        events.set_attendance(s, event.id, [cast.james], "apologies")
        event_id = event.id
    dialog = make_dialog(qtbot, runner, PersonFilter(), event_id=event_id, attendance_statuses=["attended"])
    assert dialog.preview_model.rowCount() == 2
    out = tmp_path / "reception.xlsx"
    save_to(dialog, out)
    export(qtbot, dialog)
    names = [r[3] for r in openpyxl.load_workbook(out)["People"].iter_rows(min_row=2, values_only=True)]
    assert names == ["Claudia Beamish", "Anna Smith"]


def test_opened_from_the_main_window_for_a_network(qtbot: QtBot, main_window: Any, tmp_path: Path) -> None:
    dialog = main_window.open_export(
        PersonFilter(network="Kindness Champions"), title="Export — Kindness Champions"
    )
    assert isinstance(dialog, ExportDialog)
    with qtbot.waitSignal(dialog.preview_updated, timeout=TIMEOUT):
        pass
    assert dialog.preview_model.rowCount() > 0
    out = tmp_path / "champions.xlsx"
    save_to(dialog, out)
    export(qtbot, dialog)
    wb = openpyxl.load_workbook(out)
    assert wb.properties.title == "Export — Kindness Champions"
    assert wb["People"].max_row == dialog.export_result.exported + 1  # type: ignore[union-attr]


def test_the_next_export_is_suggested_in_the_last_folder(
    qtbot: QtBot, runner: TaskRunner, cast: Cast, tmp_path: Path
) -> None:
    dialog = make_dialog(qtbot, runner, PersonFilter(ids=[cast.claudia]))
    folder = tmp_path / "mailings"
    folder.mkdir()
    save_to(dialog, folder / "first.xlsx")
    export(qtbot, dialog)
    suggested: list[Path] = []
    again = make_dialog(qtbot, runner, PersonFilter(ids=[cast.claudia]))
    again.choose_path = lambda s: suggested.append(s) or ""  # type: ignore[method-assign]
    again.choose_button.click()
    assert suggested[0].parent == folder and suggested[0].suffix == ".xlsx"
    assert again.path_edit.text() == ""  # cancelled: nothing chosen
