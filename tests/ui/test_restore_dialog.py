"""File → Restore from backup…: lists the automatic backups, restores one and reopens the window."""

from __future__ import annotations

from typing import Any

import pytest

from crm import backups
from crm.filters import PersonFilter, count_people
from crm.services import people

from ui import dialogs


def test_restore_lists_backups_restores_and_reopens(
    qtbot: Any, main_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = main_window.db
    path = db.path
    before = backups.automatic_backup(db, "before importing members.xlsx")
    assert before is not None
    with db.transaction() as session:
        people.create_person(session, first_name="Added", last_name="Later")

    dialog = main_window.open_restore()
    assert dialog is not None
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 1).text() == "Before importing members.xlsx"
    assert dialog.table.item(0, 2).text() == "208"

    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, _t, q, **_k: asked.append(q) or True)
    opened: list[Any] = []
    original = type(main_window).switch_database

    def switch(self: Any, target: str, **kwargs: Any) -> Any:
        window = original(self, target, **kwargs)
        opened.append(window)
        return window

    monkeypatch.setattr(type(main_window), "switch_database", switch)
    with qtbot.waitSignal(dialog.restored, timeout=20_000):
        dialog.restore_button.click()
    assert asked and "208 people" in asked[0]
    qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
    new = opened[0]
    assert new is not None and new.db.path == path
    qtbot.addWidget(new)
    with new.db.session() as session:
        assert count_people(session, PersonFilter()) == 208
    reasons = [b.reason for b in backups.list_backups(new.db)]
    assert reasons[0].startswith("before restoring")
    new.runner.wait_for_all()
    new.close()


def test_a_file_that_is_not_a_backup_is_refused_plainly(
    qtbot: Any, main_window: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _p, _t, text: errors.append(text))
    dialog = main_window.open_restore()
    assert dialog is not None and dialog.table.rowCount() == 0
    wrong = tmp_path / "list.csv"
    wrong.write_text("Name\nAda\n", encoding="utf-8")
    monkeypatch.setattr(dialog, "_ask_file", lambda: str(wrong))
    dialog.file_button.click()
    assert errors and "is not a Kindred backup" in errors[0]
    dialog.reject()
