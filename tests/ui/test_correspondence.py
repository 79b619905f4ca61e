"""Letters and labels, dropped emails, email lists and calendars in the window (real widgets, real files)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QDialog

from crm.correspondence.letters import LettersResult
from crm.filters import PersonFilter
from crm.models import Interaction, InteractionPerson, Person
from crm.services import events, people, views

from ui import dialogs
from ui.correspondence import Desktop, EmailListDialog, EmailsLoggedDialog, LettersDialog
from ui.tasks import TaskRunner

from tests.crm.correspondence.factories import docx_text, eml, plain_document, template_with
from tests.crm.exporting.conftest import Cast, build_cast

TIMEOUT = 15_000
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def cast(runner: TaskRunner) -> Cast:
    return build_cast(runner.db)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    urls: list[str] = []
    monkeypatch.setattr(Desktop, "open_url", staticmethod(lambda url: urls.append(url.toString()) or True))
    return urls


@pytest.fixture
def copied(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    texts: list[str] = []
    monkeypatch.setattr(Desktop, "copy_text", staticmethod(texts.append))
    return texts


@pytest.fixture
def infos(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_info", lambda _p, _t, message: shown.append(message))
    monkeypatch.setattr(dialogs, "show_error", lambda _p, _t, message: shown.append(message))
    return shown


def wait_idle(qtbot: QtBot, runner: TaskRunner) -> None:
    qtbot.waitUntil(lambda: not runner.busy, timeout=TIMEOUT)


def letters_dialog(qtbot: QtBot, runner: TaskRunner, f: PersonFilter, **kwargs: Any) -> LettersDialog:
    dialog = LettersDialog(runner, f, None, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    wait_idle(qtbot, runner)
    return dialog


def test_letters_dialog_makes_logs_and_undoes(
    qtbot: QtBot, runner: TaskRunner, cast: Cast, tmp_path: Path, opened: list[str]
) -> None:
    template = template_with(tmp_path / "Winter letter.docx", ["Address_block", "Formal_salutation"])
    dialog = letters_dialog(qtbot, runner, PersonFilter(ids=[cast.claudia, cast.post_out, cast.dnc]))
    assert dialog.count_label.text().startswith("1 letter; 2 left out")
    reasons = {
        dialog.left_out_table.item(r, 0).text(): dialog.left_out_table.item(r, 1).text() for r in range(2)
    }
    assert reasons == {"Pia Olsen": "Opted out of post", "Dora Noble": "Do not contact"}
    assert not dialog.make_button.isEnabled()
    dialog.set_template(str(template))
    wait_idle(qtbot, runner)
    assert "Address_block" in dialog.fields_label.text() and dialog.make_button.isEnabled()
    assert dialog.log_check.isChecked()
    out = tmp_path / "out.docx"
    with qtbot.waitSignal(dialog.letters_made, timeout=TIMEOUT) as blocker:
        dialog.make_into(str(out))
    result: LettersResult = blocker.args[0]
    assert result.letters == 1 and result.batch_id is not None
    assert "Dear Ms Beamish" in docx_text(out)
    assert "Made 1 letter" in dialog.result_label.text()
    assert dialog.undo_button.isVisible()
    dialog.open_result()
    assert opened[-1].endswith("out.docx")
    with runner.db.session() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Interaction)
                .where(Interaction.subject == "Letter: Winter letter")
            )
            == 1
        )
    with qtbot.waitSignal(dialog.batch_undone, timeout=TIMEOUT):
        dialog.undo_logging()
    with runner.db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(Interaction).where(Interaction.deleted_at.is_(None)))
            == 0
        )
    assert "in the Trash" in dialog.result_label.text()


def test_letters_dialog_shows_why_a_template_is_refused(
    qtbot: QtBot, runner: TaskRunner, cast: Cast, tmp_path: Path
) -> None:
    dialog = letters_dialog(qtbot, runner, PersonFilter())
    dialog.set_template(str(plain_document(tmp_path / "plain.docx")))
    wait_idle(qtbot, runner)
    assert "holds no merge fields" in dialog.fields_label.text()
    assert not dialog.make_button.isEnabled()
    dialog.set_template(str(template_with(tmp_path / "odd.docx", ["Shoe_size"])))
    wait_idle(qtbot, runner)
    assert "Shoe_size" in dialog.fields_label.text() and "Informal_salutation" in dialog.fields_label.text()


def test_labels_for_a_saved_view(qtbot: QtBot, runner: TaskRunner, cast: Cast, tmp_path: Path) -> None:
    with runner.db.transaction() as s:
        views.save_view(s, "Champions", PersonFilter(network="Kindness Champions"))
    dialog = letters_dialog(qtbot, runner, PersonFilter(ids=[cast.post_out]), views=["Champions"])
    dialog.who_box.setCurrentIndex(1)
    wait_idle(qtbot, runner)
    assert "Do not contact: 1" in dialog.count_label.text()
    dialog.make_buttons["L7160"].setChecked(True)
    assert dialog.make_button.isEnabled() and not dialog.log_check.isEnabled()
    out = tmp_path / "labels.docx"
    with qtbot.waitSignal(dialog.letters_made, timeout=TIMEOUT) as blocker:
        dialog.make_into(str(out))
    assert blocker.args[0].batch_id is None
    assert "Ms Claudia Beamish MSP" in docx_text(out)


def drop(window: Any, paths: list[Path], where: QPointF | None = None) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        where or QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)


def test_emails_dropped_on_the_window_and_on_a_person(qtbot: QtBot, main_window: Any, tmp_path: Path) -> None:
    runner = main_window.runner
    with runner.db.transaction() as s:
        ann = people.create_person(
            s, first_name="Ann", last_name="Dropper", email="ann.dropper@example.org"
        ).id
    first = eml(
        tmp_path / "a.eml", sender="Ann <ann.dropper@example.org>", to="New Person <new@unknown.example>"
    )
    drop(main_window, [first])
    qtbot.waitUntil(lambda: isinstance(main_window.active_dialog, EmailsLoggedDialog), timeout=TIMEOUT)
    dialog: EmailsLoggedDialog = main_window.active_dialog
    assert dialog.summary.text().startswith("Logged 1 email.")
    assert dialog.unmatched_list.count() == 1
    assert dialog.unmatched_list.item(0).text() == "New Person <new@unknown.example>"
    dialog.unmatched_list.item(0).setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(dialog.people_added, timeout=TIMEOUT):
        dialog.add_people()
    with runner.db.session() as s:
        new = s.scalars(select(Person).where(Person.email == "new@unknown.example")).one()
        linked = set(s.scalars(select(InteractionPerson.person_id)))
    assert (new.first_name, new.last_name) == ("New", "Person") and {ann, new.id} <= linked
    dialog.close()
    # Dropped on the person shown, an email from strangers is logged on them.
    main_window.show_person(ann)  # the window opens on the dashboard: go to the People page
    qtbot.waitUntil(lambda: main_window.people_page.detail.person_id == ann, timeout=TIMEOUT)
    detail = main_window.people_page.detail
    centre = detail.mapTo(main_window, detail.rect().center())
    second = eml(tmp_path / "b.eml", sender="x@stranger.example", to="y@stranger.example", message_id="<b@x>")
    drop(main_window, [second], QPointF(centre))

    def logged(message_id: str) -> bool:
        with runner.db.session() as s:
            return s.scalar(select(Interaction.id).where(Interaction.message_id == message_id)) is not None

    qtbot.waitUntil(lambda: logged("b@x") and not runner.busy, timeout=TIMEOUT)
    with runner.db.session() as s:
        item = s.scalars(select(Interaction).where(Interaction.message_id == "b@x")).one()
        assert list(
            s.scalars(select(InteractionPerson.person_id).where(InteractionPerson.interaction_id == item.id))
        ) == [ann]
    # Dropped on a row of the people list, it is logged on that row's person.
    table = main_window.people_page.table
    row = table.rowAt(table.viewport().height() // 2)
    row_rect = table.visualRect(table.model().index(row, 0))
    target = main_window.people_page.model.person_id(row)
    on_row = table.viewport().mapTo(main_window, row_rect.center())
    third = eml(tmp_path / "c.eml", sender="z@stranger.example", to="w@stranger.example", message_id="<c@x>")
    previous = main_window.active_dialog
    drop(main_window, [third], QPointF(on_row))
    qtbot.waitUntil(lambda: main_window.active_dialog is not previous and not runner.busy, timeout=TIMEOUT)
    with runner.db.session() as s:
        item = s.scalars(select(Interaction).where(Interaction.message_id == "c@x")).one()
        linked_to = list(
            s.scalars(select(InteractionPerson.person_id).where(InteractionPerson.interaction_id == item.id))
        )
    assert linked_to == [target]


def test_email_these_people_in_bcc_batches(
    qtbot: QtBot, main_window: Any, opened: list[str], copied: list[str], infos: list[str]
) -> None:
    main_window.email_people()
    qtbot.waitUntil(lambda: isinstance(main_window.active_dialog, EmailListDialog), timeout=TIMEOUT)
    dialog: EmailListDialog = main_window.active_dialog
    assert len(dialog.batches) > 1 and all(len(b) <= 50 for b in dialog.batches)
    dialog.email_button.click()
    assert opened[-1].startswith("mailto:?bcc=") and dialog.list.currentRow() == 1
    dialog.copy_button.click()
    assert copied[-1].count("; ") == len(dialog.batches[1]) - 1
    everyone = [a for b in dialog.batches for a in b]
    with main_window.runner.db.session() as s:
        refused = set(
            s.scalars(
                select(func.lower(Person.email)).where(
                    (Person.email_opt_out.is_(True)) | (Person.do_not_contact.is_(True))
                )
            )
        )
    assert not refused & {a.lower() for a in everyone}
    dialog.close()
    main_window.email_people(copy_only=True)
    qtbot.waitUntil(lambda: main_window.active_dialog is not dialog, timeout=TIMEOUT)
    assert not main_window.active_dialog.email_button.isVisible()


def test_add_to_calendar_from_events_and_follow_ups(
    qtbot: QtBot, main_window: Any, opened: list[str]
) -> None:
    runner = main_window.runner
    with runner.db.transaction() as s:
        event = events.create_event(s, "Calendar reception", starts_on=dt.date(2026, 12, 9))
    main_window.show_page("events")
    page = main_window.pages["events"]
    page.refresh()
    wait_idle(qtbot, runner)
    page.select_event(event.id)
    qtbot.waitUntil(lambda: page.current_event_id is not None, timeout=TIMEOUT)
    page.add_to_calendar()
    qtbot.waitUntil(lambda: bool(opened), timeout=TIMEOUT)
    ics = Path(QUrl(opened[-1]).toLocalFile())
    assert ics.suffix == ".ics" and b"BEGIN:VEVENT" in ics.read_bytes()
    main_window.show_page("followups")
    followups = main_window.pages["followups"]
    wait_idle(qtbot, runner)
    if followups.model.rowCount() == 0:
        pytest.skip("the sample data has no open follow-ups")
    followups.table.selectRow(0)
    assert followups.calendar_button.isEnabled()
    followups.calendar_button.click()
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=TIMEOUT)
    assert b"Follow up:" in Path(QUrl(opened[-1]).toLocalFile()).read_bytes()


def test_letters_from_the_file_menu_uses_the_selection(qtbot: QtBot, main_window: Any) -> None:
    dialog = main_window.open_letters()
    assert isinstance(dialog, QDialog) and dialog.who_box.itemText(0).startswith("Everyone")
    wait_idle(qtbot, main_window.runner)
    assert "letters" in dialog.count_label.text()
    dialog.close()
