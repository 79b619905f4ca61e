"""Help: a searchable, illustrated user guide, the keyboard shortcuts, and the data folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ui import main_window as main_window_module
from ui.help import HelpDialog, ShortcutsDialog, guide_sections
from ui.resources import resource_path


def test_the_guide_is_bundled_with_its_pictures() -> None:
    sections = guide_sections()
    titles = [s.title for s in sections]
    assert titles[0] == "Getting started"
    assert {"Finding people", "Importing a spreadsheet", "Exporting for a mail merge"} <= set(titles)
    pictures = [p for s in sections for p in __import__("re").findall(r"\]\((images/[^)]+)\)", s.markdown)]
    assert len(pictures) >= 5
    for picture in pictures:
        assert resource_path(f"help/{picture}").stat().st_size > 1000, picture


def test_help_menu_opens_the_guide_and_search_finds_sections(qtbot: Any, main_window: Any) -> None:
    texts = [a.text() for a in main_window.menuBar().actions()[-1].menu().actions()]
    assert {"Kindred &help", "&Keyboard shortcuts", "Show the &data folder", "&About Kindred"} <= set(texts)
    dialog = main_window.open_help()
    assert isinstance(dialog, HelpDialog)
    qtbot.addWidget(dialog)
    assert "Kindred keeps the people" in dialog.browser.toPlainText()
    # The pictures are found and drawn (an image that failed to load has no size).
    dialog.contents.setCurrentRow(1)
    assert dialog.browser.document().resource(2, "images/people.png") is not None  # 2: ImageResource
    dialog.search_edit.setText("Address block")
    assert dialog.section_titles_shown() == ["Exporting for a mail merge"]
    assert "Address block" in dialog.browser.toPlainText()
    assert dialog.find_next()
    assert dialog.browser.textCursor().selectedText() == "Address block"
    dialog.search_edit.setText("zzzz no such words")
    assert dialog.section_titles_shown() == [] and dialog.no_match.text() == "Nothing found"
    dialog.close()


def test_keyboard_shortcuts_come_from_the_menus(main_window: Any) -> None:
    dialog = main_window.open_shortcuts()
    assert isinstance(dialog, ShortcutsDialog)
    shortcuts = dialog.shortcuts()
    assert shortcuts["Find"] == "Ctrl+F"
    assert shortcuts["Save person"] == "Ctrl+S"
    assert shortcuts["Undo"] == "Ctrl+Z"
    assert "Kindred help" in shortcuts
    dialog.close()


def test_show_the_data_folder(main_window: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Path] = []
    monkeypatch.setattr(main_window_module, "open_folder", lambda folder: opened.append(folder) or True)
    folder = main_window.show_data_folder()
    assert opened == [folder]
    assert main_window.db.path is not None and folder == main_window.db.path.parent
