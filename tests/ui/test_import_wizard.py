"""The import wizard and import history, driven through real widgets on a real database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from PySide6.QtWidgets import QWizard

from crm.models import ImportBatch, Membership, Person, PersonTag
from crm.services import people

from ui import dialogs
from ui.import_wizard import ImportHistoryDialog, ImportWizard
from ui.tasks import TaskRunner

from tests.crm.importing.conftest import HEADINGS, PEOPLE, write_csv

# The offscreen platform cannot size native windows; that is not the wizard's doing.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def contacts(tmp_path: Path) -> Path:
    rows = [
        ["Guest list, reception March 2026"],
        [],
        HEADINGS,
        *PEOPLE,
        ["Jo", "Bloggs", "jo@", "", "", "12"],
    ]
    return write_csv(tmp_path / "guests.csv", rows)


@pytest.fixture
def wizard(qtbot: Any, runner: TaskRunner, contacts: Path) -> Iterator[ImportWizard]:
    w = ImportWizard(runner, None, path=contacts)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.file_page.isComplete(), timeout=10_000)
    yield w
    runner.wait_for_all()


def _count(runner: TaskRunner, model: Any = Person) -> int:
    with runner.db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _next(qtbot: Any, w: ImportWizard) -> None:
    """Press Next once the current page is ready, and wait for the next page to be ready."""
    qtbot.waitUntil(lambda: w.currentPage().isComplete(), timeout=10_000)
    w.next()
    qtbot.waitUntil(lambda: w.currentPage().isComplete() or w.currentId() == w.IMPORT, timeout=10_000)


def test_dropped_file_is_read_and_headings_found_under_the_title(wizard: ImportWizard, qtbot: Any) -> None:
    assert "guests.csv: 5 rows under the headings on row 3" in wizard.file_page.status.text()
    _next(qtbot, wizard)
    assert wizard.currentId() == wizard.SHEET
    assert wizard.sheet_page.header_spin.value() == 3
    assert not wizard.sheet_page.sheet_combo.isEnabled()  # a CSV has no sheets


def test_bad_file_shows_a_plain_reason_and_blocks_next(
    qtbot: Any, runner: TaskRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "locked.xlsx"
    bad.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100 + "EncryptionInfo".encode("utf-16-le")
    )
    w = ImportWizard(runner, None, path=bad)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: "password-protected" in w.file_page.status.text(), timeout=10_000)
    assert not w.file_page.isComplete()
    assert not w.button(QWizard.WizardButton.NextButton).isEnabled()


def test_choose_file_button_uses_the_file_dialog_seam(
    qtbot: Any, runner: TaskRunner, contacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = ImportWizard(runner, None)
    qtbot.addWidget(w)
    monkeypatch.setattr(w, "ask_open_path", lambda: str(contacts))
    w.show()
    w.file_page.browse.click()
    qtbot.waitUntil(lambda: w.file_page.isComplete(), timeout=10_000)
    assert w.table is not None and w.table.file_name == "guests.csv"


def test_mapping_page_previews_cleaned_values_live(wizard: ImportWizard, qtbot: Any) -> None:
    _next(qtbot, wizard)
    _next(qtbot, wizard)
    page = wizard.mapping_page
    assert [c.currentData() for c in page.combos] == [
        "first_name",
        "last_name",
        "email",
        "organisation",
        "postcode",
        "phone",
    ]
    headers = [page.preview.horizontalHeaderItem(c).text() for c in range(page.preview.columnCount())]
    postcode_col = headers.index("Postcode")
    email_col = headers.index("Email")
    assert page.preview.item(0, postcode_col).text() == "EH99 1SP"
    assert page.preview.item(0, email_col).text() == "sean.ofloinn@example.org"
    # Choosing "Do not import" for the email column updates the preview at once.
    page.combos[2].setCurrentIndex(0)
    headers = [page.preview.horizontalHeaderItem(c).text() for c in range(page.preview.columnCount())]
    assert "Email" not in headers
    # Two columns into one field is refused until fixed.
    page.combos[1].setCurrentIndex(page.combos[1].findData("first_name"))
    assert not page.isComplete() and "Two columns go into First name" in page.status.text()
    page.combos[1].setCurrentIndex(page.combos[1].findData("last_name"))
    assert page.isComplete()


def test_full_import_then_undo(
    wizard: ImportWizard,
    qtbot: Any,
    runner: TaskRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    qtmodeltester: Any,
) -> None:
    with runner.db.transaction() as session:
        existing = people.create_person(
            session, first_name="Zoë", last_name="Müller", email="ZOE@example.org", town="Leeds"
        ).id
    for _ in range(3):
        _next(qtbot, wizard)
    assert wizard.currentId() == wizard.DUPLICATES
    dups = wizard.duplicates_page
    assert list(dups.row_combos) == [5]
    assert dups.table.item(0, 2).text().startswith("Zoë Müller")
    dups.row_combos[5].setCurrentIndex(dups.row_combos[5].findData("skip"))
    _next(qtbot, wizard)
    options = wizard.options_page
    options.network.setCurrentText("Kindness Champions")
    options.role.setCurrentText("lead")
    options.tags.setText("reception 2026, newsletter")
    options.type.setCurrentIndex(options.type.findData("partner_contact"))
    _next(qtbot, wizard)
    summary = wizard.summary_page
    qtmodeltester.check(summary.model)
    assert "4 to create, 0 to update, 1 to skip" in summary.counts.text()
    assert summary.model.rowCount() == 5
    with qtbot.waitSignal(wizard.import_finished, timeout=20_000) as finished:
        wizard.next()
    batch_id = finished.args[0]
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.RESULT, timeout=10_000)
    assert "4 created" in wizard.result_page.summary.text()
    # What the summary showed is what was imported: its plan was written, not worked out again.
    result = wizard.import_result
    assert result is not None and result.plan is summary.model.plan
    assert _count(runner) == 5
    assert _count(runner, Membership) == 4 and _count(runner, PersonTag) == 8
    with runner.db.session() as session:
        assert session.get(Person, existing).town == "Leeds"  # type: ignore[union-attr]

    # Save the problems report (Jo Bloggs's email and phone were flagged).
    out = tmp_path / "problems.xlsx"
    monkeypatch.setattr(wizard, "ask_report_path", lambda: str(out))
    task = wizard.save_report()
    assert task is not None
    qtbot.waitUntil(lambda: task.done, timeout=10_000)
    assert out.exists() and "Saved 1 rows" in wizard.result_page.status.text()

    monkeypatch.setattr(dialogs, "confirm", lambda *_a, **_k: True)
    with qtbot.waitSignal(wizard.import_undone, timeout=10_000) as undone:
        wizard.result_page.undo_button.click()
    assert undone.args == [batch_id]
    assert _count(runner) == 1
    assert _count(runner, Membership) == 0 and _count(runner, PersonTag) == 0
    assert "was undone" in wizard.result_page.status.text()


def test_cancelled_import_leaves_the_database_unchanged(
    qtbot: Any, runner: TaskRunner, tmp_path: Path
) -> None:
    rows = [["First name", "Last name", "Email", "Town"]]
    rows += [[f"Name{i}", f"Surname{i}", f"p{i}@example.org", "Leeds"] for i in range(3000)]
    path = write_csv(tmp_path / "big.csv", rows)
    w = ImportWizard(runner, None, path=path)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.file_page.isComplete(), timeout=10_000)
    for _ in range(5):
        _next(qtbot, w)
    assert w.currentId() == w.SUMMARY
    w.next()
    w.import_page.cancel_button.click()  # at once: the worker notices before it commits
    task = w.import_page.task
    assert task is not None
    qtbot.waitUntil(lambda: task.done, timeout=20_000)
    assert w.import_page.cancelled
    assert "nothing was changed" in w.import_page.status.text()
    assert _count(runner) == 0 and _count(runner, ImportBatch) == 0
    assert w.currentId() == w.IMPORT


def test_history_lists_imports_and_undoes_one(
    qtbot: Any, runner: TaskRunner, contacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm.importing import ImportOptions, apply_import, read_table, suggest_mapping

    table = read_table(contacts)
    result = apply_import(runner.db, table, suggest_mapping(table.headers), ImportOptions())
    dialog = ImportHistoryDialog(runner, None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=10_000)
    assert dialog.table.rowCount() == 1
    assert [dialog.table.item(0, c).text() for c in (0, 2, 4, 7, 8, 9)] == [
        str(result.batch_id),
        "guests.csv",
        "5",
        "0",
        "1",
        "Imported",
    ]
    assert not dialog.undo_button.isEnabled()
    dialog.table.selectRow(0)
    assert dialog.undo_button.isEnabled()
    monkeypatch.setattr(dialogs, "confirm", lambda *_a, **_k: True)
    with qtbot.waitSignal(dialog.import_undone, timeout=10_000):
        dialog.undo_button.click()
    qtbot.waitUntil(
        lambda: dialog.table.item(0, 9) is not None and dialog.table.item(0, 9).text().startswith("Undone"),
        timeout=10_000,
    )
    assert _count(runner) == 0


def test_history_shows_a_conflicting_undo_plainly(
    qtbot: Any, runner: TaskRunner, contacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm.importing import ImportOptions, apply_import, read_table, suggest_mapping

    table = read_table(contacts)
    apply_import(runner.db, table, suggest_mapping(table.headers), ImportOptions())
    with runner.db.transaction() as session:
        pid = session.scalar(select(Person.id).where(Person.email == "zoe@example.org"))
        people.update_person(session, pid, {"town": "York"})  # type: ignore[arg-type]
    errors: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda *_a, **_k: True)
    monkeypatch.setattr(dialogs, "show_error", lambda _p, _t, message: errors.append(message))
    dialog = ImportHistoryDialog(runner, None)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=10_000)
    dialog.table.selectRow(0)
    task = dialog.undo_selected()
    assert task is not None
    qtbot.waitUntil(lambda: task.done, timeout=10_000)
    assert errors and "Zoë Müller: town changed" in errors[0]
    assert _count(runner) == 5


def test_other_sheet_and_header_row_can_be_chosen(qtbot: Any, runner: TaskRunner, tmp_path: Path) -> None:
    from tests.crm.importing.conftest import write_xlsx

    path = write_xlsx(
        tmp_path / "book.xlsx",
        {
            "Everyone": [HEADINGS, *PEOPLE],
            "Speakers": [
                ["Speakers"],
                ["Name", "Email"],
                ["Ann Jones", "ann@example.org"],
                ["Bob Roy", "bob@example.org"],
            ],
        },
    )
    w = ImportWizard(runner, None, path=str(path))  # the main window passes a dropped file's path as text
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.file_page.isComplete(), timeout=10_000)
    _next(qtbot, w)
    page = w.sheet_page
    assert [page.sheet_combo.itemData(i) for i in range(page.sheet_combo.count())] == ["Everyone", "Speakers"]
    page.sheet_combo.setCurrentIndex(1)
    page.sheet_combo.activated.emit(1)
    qtbot.waitUntil(
        lambda: w.table is not None and w.table.sheet == "Speakers" and page.isComplete(), timeout=10_000
    )
    assert page.header_spin.value() == 2
    page.header_spin.setValue(1)  # the user says the headings are on row 1 (they are not)
    assert w.table is not None and w.table.headers == ["Speakers", "Column B"]
    page.header_spin.setValue(2)
    _next(qtbot, w)
    assert [c.currentData() for c in w.mapping_page.combos] == ["full_name", "email"]
    assert w.mapping_page.preview.rowCount() == 2


def test_list_without_headings_is_imported_whole(qtbot: Any, runner: TaskRunner, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "emails.csv",
        [
            ["Jane Smith", "jane@example.org"],
            ["John Roe", "john@example.org"],
            ["Amy Poe", "amy@example.org"],
        ],
    )
    w = ImportWizard(runner, None, path=path)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.file_page.isComplete(), timeout=10_000)
    assert "3 rows and no heading row" in w.file_page.status.text()
    _next(qtbot, w)
    page = w.sheet_page
    assert page.header_spin.value() == 0
    assert page.header_spin.text() == "No heading row"
    _next(qtbot, w)
    assert [c.currentData() for c in w.mapping_page.combos] == ["full_name", "email"]
    assert not w.mapping_page.remember.isChecked()  # "Column A, Column B" would match any such file


def test_list_of_msps_gets_their_type_and_roles(qtbot: Any, runner: TaskRunner, tmp_path: Path) -> None:
    from crm.models import ElectedRole

    path = write_csv(
        tmp_path / "msps.csv",
        [
            ["MSP name (Surname, Firstname)", "Party", "Constituency/Region", "Email"],
            ["Beamish, Claudia", "Scottish Labour", "South Scotland", "claudia.beamish.msp@example.org"],
        ],
    )
    w = ImportWizard(runner, None, path=path)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.file_page.isComplete(), timeout=10_000)
    while w.currentId() != w.OPTIONS:
        _next(qtbot, w)
    assert w.options_page.type.currentData() == "msp"
    assert "Stakeholder type set to MSP" in w.options_page.status.text()
    while w.currentId() != w.IMPORT:
        _next(qtbot, w)
    qtbot.waitUntil(lambda: w.import_result is not None, timeout=10_000)
    assert _count(runner, ElectedRole) == 1


def test_a_pasted_path_enables_next_without_enter(qtbot: Any, runner: TaskRunner, contacts: Path) -> None:
    w = ImportWizard(runner, None)
    qtbot.addWidget(w)
    w.show()
    next_button = w.button(QWizard.WizardButton.NextButton)
    assert not next_button.isEnabled()
    w.file_page.path_edit.setFocus()
    w.file_page.path_edit.insert(str(contacts))  # a paste: no Enter, focus stays in the box
    qtbot.waitUntil(next_button.isEnabled, timeout=10_000)
    assert "rows under the headings" in w.file_page.status.text()
    # Changing it to something that is not a file disables Next again.
    w.file_page.path_edit.insert("-not-there")
    qtbot.waitUntil(lambda: not next_button.isEnabled(), timeout=10_000)
    runner.wait_for_all()
