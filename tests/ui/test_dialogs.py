"""FormDialog: the one form with a problem line that refuses OK until the form is put right."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialog, QWidget

from ui.dialogs import FormDialog
from ui.pages.event_stations import FollowUpDialog, PartDialog
from ui.pages.events_page import EventDialog

# The dialogs are shown, as a user sees them; the offscreen platform warns it cannot size a window.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def _click_ok(qtbot: QtBot, dialog: FormDialog) -> None:
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def _one_sentence(text: str) -> bool:
    return bool(text) and text.count(". ") == 0 and text.rstrip().endswith(".") and "\n" not in text


def test_a_plain_form_accepts_at_once(qtbot: QtBot) -> None:
    dialog = FormDialog("Add to network", None, ok_text="Add")
    qtbot.addWidget(dialog)
    dialog.line("&Name")
    dialog.show()
    with qtbot.waitSignal(dialog.accepted):
        _click_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.ok_button.text() == "Add"
    assert not dialog.problem.isVisible()


class _NamedForm(FormDialog):
    def __init__(self) -> None:
        super().__init__("Name it", None)
        self.name = self.line("&Name")

    def problem_text(self) -> str | None:
        return None if self.name.text().strip() else "Give it a name."


def test_ok_is_refused_with_the_problem_shown_until_it_is_fixed(qtbot: QtBot) -> None:
    dialog = _NamedForm()
    qtbot.addWidget(dialog)
    dialog.show()
    rejected: list[int] = []
    dialog.finished.connect(rejected.append)
    _click_ok(qtbot, dialog)
    assert dialog.isVisible() and not rejected  # still open
    assert dialog.problem.isVisible()
    assert dialog.problem.text() == "Give it a name."
    qtbot.keyClicks(dialog.name, "Food poverty")
    with qtbot.waitSignal(dialog.accepted):
        _click_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not dialog.problem.isVisible()


def test_event_dialog_refuses_an_end_before_the_start_then_accepts(qtbot: QtBot) -> None:
    dialog = EventDialog([(1, "Kindness Leadership Network")])
    qtbot.addWidget(dialog)
    dialog.show()
    _click_ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.problem.text() == "An event needs a name."
    qtbot.keyClicks(dialog.name, "Kindness Champions gathering")
    dialog.starts_on.setDate(QDate(2026, 6, 10))
    dialog.several_days.setChecked(True)
    dialog.ends_on.setDate(QDate(2026, 6, 9))
    _click_ok(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.problem.text() == "An event cannot end before it starts."
    assert _one_sentence(dialog.problem.text())
    dialog.ends_on.setDate(QDate(2026, 6, 11))
    with qtbot.waitSignal(dialog.accepted):
        _click_ok(qtbot, dialog)
    assert dialog.values()["ends_on"].isoformat() == "2026-06-11"


@pytest.mark.parametrize("which", ["part", "follow-up"])
def test_part_and_follow_up_dialogs_say_what_is_missing(qtbot: QtBot, which: str) -> None:
    field: QWidget
    if which == "part":
        part = PartDialog()
        dialog: FormDialog = part
        field, typed = part.name, "Food poverty"
    else:
        follow = FollowUpDialog(["Ann Example"], "Food poverty", None)
        dialog = follow
        field, typed = follow.text, "Send the briefing on school meals"
    qtbot.addWidget(dialog)
    dialog.show()
    _click_ok(qtbot, dialog)
    assert dialog.isVisible() and _one_sentence(dialog.problem.text())
    qtbot.keyClicks(field, typed)
    with qtbot.waitSignal(dialog.accepted):
        _click_ok(qtbot, dialog)
