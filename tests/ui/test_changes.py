"""One application-level "data changed" signal: every page's writes reach the main window there."""

from __future__ import annotations

from typing import Any

import pytest

from ui.changes import Change, ChangeHub, changes_for


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("organisations", Change(people=True, organisations=True)),
        ("networks", Change(people=True, networks=True)),
        ("interactions", Change(people=True, interactions=True)),
        ("events", Change(people=True, events=True)),
        ("followups", Change(interactions=True)),
    ],
)
def test_a_pages_write_is_announced_once_on_the_windows_hub(
    qtbot: Any, main_window: Any, key: str, expected: Change
) -> None:
    page = main_window.show_page(key)
    assert isinstance(main_window.changes, ChangeHub) and changes_for(page) is main_window.changes
    heard: list[Change] = []
    main_window.changes.data_changed.connect(heard.append)
    page.data_changed.emit()  # what the page emits after each of its writes
    assert heard == [expected]
    assert main_window._people_stale  # the People list reloads when shown again


def test_people_page_writes_go_through_the_hub_too(qtbot: Any, main_window: Any) -> None:
    heard: list[Change] = []
    main_window.changes.data_changed.connect(heard.append)
    main_window.people_page.data_changed.emit()
    assert heard == [Change(people=True)]
