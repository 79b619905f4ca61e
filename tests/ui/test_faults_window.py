"""The window under faults: a plain message box, the work rolled back, the window still usable."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from crm.services import people

from ui import dialogs


def test_a_busy_database_says_it_is_waiting_then_explains_and_the_window_carries_on(
    qtbot: Any, main_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crm.db

    monkeypatch.setattr(crm.db, "WRITE_WAIT_SECONDS", 1)  # a short wait so the test does not take ten minutes
    errors: list[tuple[str, str]] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _p, title, text: errors.append((title, text)))
    detail = main_window.people_page.detail
    pid = detail.person_id
    with main_window.db.session() as session:
        before = people.get_person(session, pid).job_title

    other = sqlite3.connect(main_window.db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program is writing
    try:
        detail.edits["job_title"].clear()
        qtbot.keyClicks(detail.edits["job_title"], "Head of Patience")
        with qtbot.waitSignal(main_window.runner.waiting, timeout=10_000) as waiting:
            assert detail.save()
        assert waiting.args == [crm.db.WAITING_MESSAGE]
        qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
    finally:
        other.execute("ROLLBACK")
        other.close()
    _title, text = errors[0]
    assert str(main_window.db.path) in text and "is busy" in text and "Nothing was saved" in text
    assert "Traceback" not in text
    with main_window.db.session() as session:
        assert people.get_person(session, pid).job_title == before
    # The typed value is still there and saving again works.
    assert detail.is_dirty() and detail.edits["job_title"].text() == "Head of Patience"
    with qtbot.waitSignal(detail.person_saved, timeout=10_000):
        assert detail.save()
    with main_window.db.session() as session:
        assert people.get_person(session, pid).job_title == "Head of Patience"


def test_a_read_only_database_says_so_when_saving(
    qtbot: Any, main_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _p, _title, text: errors.append(text))
    main_window.db.read_only = True  # as opening a read-only file sets it
    detail = main_window.people_page.detail
    qtbot.keyClicks(detail.edits["job_title"], " (edited)")
    assert detail.save()
    qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
    assert "read-only" in errors[0] and str(main_window.db.path) in errors[0]
    assert detail.is_dirty()
    main_window.db.read_only = False
    detail.discard()


def test_opening_a_file_that_has_gone_is_refused_not_recreated(
    qtbot: Any, main_window: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _p, _title, text: errors.append(text))
    gone = tmp_path / "moved-away.db"
    assert main_window.switch_database(str(gone)) is None
    assert not gone.exists()
    assert errors == [f"No Kindred database at {gone}; use File → New database to make one."]
