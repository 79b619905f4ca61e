"""The person panel when someone else saved the same person first: refused, then Reload keeps
what was typed on top of their change."""

from __future__ import annotations

from typing import Any

import pytest

from crm.db import open_database
from crm.services import people

from ui import dialogs


def test_stale_save_offers_reload_keeping_typed_values(
    qtbot: Any, main_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    detail = main_window.people_page.detail
    pid = detail.person_id
    # Another window (its own connection to the same file) changes the region and saves.
    other = open_database(main_window.db.path, create=False)
    try:
        with other.transaction() as session:
            people.update_person(session, pid, {"region": "Highlands and Islands"})
    finally:
        other.dispose()

    detail.edits["job_title"].clear()
    qtbot.keyClicks(detail.edits["job_title"], "Typed here")
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "ask_reload_stale", lambda _p, text: asked.append(text) or True)
    assert detail.save()
    qtbot.waitUntil(lambda: bool(asked), timeout=10_000)
    assert "was changed by someone else" in asked[0] and "region to “Highlands and Islands”" in asked[0]
    with main_window.db.session() as session:
        assert people.get_person(session, pid).job_title != "Typed here"

    # Reloaded: their change shows, and what was typed is still there, ready to save.
    assert detail.edits["region"].text() == "Highlands and Islands"
    assert detail.edits["job_title"].text() == "Typed here"
    assert detail.is_dirty()
    with qtbot.waitSignal(detail.person_saved, timeout=10_000):
        assert detail.save()
    with main_window.db.session() as session:
        person = people.get_person(session, pid)
        assert (person.job_title, person.region) == ("Typed here", "Highlands and Islands")


def test_a_tag_given_by_a_bulk_action_meanwhile_is_kept_when_the_panel_saves(
    qtbot: Any, main_window: Any
) -> None:
    from crm.services import tags

    detail = main_window.people_page.detail
    pid = detail.person_id
    with main_window.db.transaction() as session:  # a bulk action from another window
        tags.tag_people(session, [pid], "Bulk tagged")
    detail.edits["job_title"].clear()
    qtbot.keyClicks(detail.edits["job_title"], "Edited meanwhile")
    with qtbot.waitSignal(detail.person_saved, timeout=10_000):
        assert detail.save()
    with main_window.db.session() as session:
        assert "Bulk tagged" in tags.tags_of(session, pid)
        assert people.get_person(session, pid).job_title == "Edited meanwhile"
