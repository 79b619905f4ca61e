"""A saved view naming a tag, event or network that has since gone says so when it is opened."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from crm.filters import PersonFilter
from crm.models import Tag
from crm.services import views

from ui import dialogs
from ui.main_window import MainWindow


def test_opening_a_view_whose_tag_was_renamed_explains_it(
    qtbot: Any, main_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    with main_window.db.transaction() as session:
        views.save_view(session, "Reception guests", PersonFilter(tags=["reception 2026"]))
        tag = session.scalars(select(Tag).where(Tag.name == "reception 2026")).one()
        tag.name = "Parliament reception 2026"
    errors: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _p, _t, text: errors.append(text))
    shown = main_window.stack.currentWidget()
    main_window.open_view("Reception guests")
    assert errors == [
        "The saved view “Reception guests” names something Kindred no longer holds. "
        "No tag called “reception 2026”. Did you mean “Parliament reception 2026”?"
    ]
    assert main_window.stack.currentWidget() is shown  # no empty list pretending to be the view
