"""The Help menu's windows: the built-in user guide and the keyboard shortcuts.

The guide is Markdown bundled in ``ui/resources/help/`` (with screenshots made by
``python -m ui.screenshots``), shown in a QTextBrowser: no web engine, works offline, and is
searchable. Each top-level heading is a section listed on the left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QKeySequence, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMenuBar,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.resources import resource_path

GUIDE = "help/guide.md"


@dataclass(frozen=True)
class Section:
    title: str
    markdown: str


def guide_sections() -> list[Section]:
    """The guide's sections, in order: each starts at a top-level ``# Heading``."""
    text = resource_path(GUIDE).read_text(encoding="utf-8")
    parts = re.split(r"^# (.+)$", text, flags=re.MULTILINE)
    return [
        Section(title.strip(), f"# {title}{body}")
        for title, body in zip(parts[1::2], parts[2::2], strict=True)
    ]


class HelpDialog(QDialog):
    """Help → Kindred help: sections on the left, the page on the right, a search box above."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Kindred help")
        self.sections = guide_sections()
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search the guide")
        self.search_edit.setAccessibleName("Search the guide")
        self.search_edit.setClearButtonEnabled(True)
        self.no_match = QLabel("")
        self.contents = QListWidget()
        self.contents.setAccessibleName("Sections")
        for section in self.sections:
            self.contents.addItem(QListWidgetItem(section.title))
        self.browser = QTextBrowser()
        self.browser.setAccessibleName("Guide")
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([str(resource_path("help"))])
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.contents)
        splitter.addWidget(self.browser)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 680])
        top = QHBoxLayout()
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.no_match)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self.resize(940, 680)
        self.contents.currentRowChanged.connect(self.show_section)
        self.search_edit.textChanged.connect(self.search)
        self.search_edit.returnPressed.connect(self.find_next)
        self.contents.setCurrentRow(0)

    def show_section(self, row: int) -> None:
        if 0 <= row < len(self.sections):
            self.browser.document().setBaseUrl(QUrl.fromLocalFile(str(resource_path("help")) + "/"))
            self.browser.setMarkdown(self.sections[row].markdown)
            self._highlight()

    def search(self, text: str) -> None:
        """Show only the sections that mention ``text`` (case and accents as typed), open the first."""
        words = text.strip().casefold()
        first = -1
        for row, section in enumerate(self.sections):
            hit = not words or words in section.markdown.casefold()
            item = self.contents.item(row)
            if item is not None:
                item.setHidden(not hit)
            if hit and first < 0:
                first = row
        self.no_match.setText("" if first >= 0 else "Nothing found")
        current = self.contents.currentRow()
        if first >= 0 and (current < 0 or self.contents.item(current).isHidden()):
            self.contents.setCurrentRow(first)
        else:
            self._highlight()

    def find_next(self) -> bool:
        """Enter in the search box: the next place the words appear in this section."""
        words = self.search_edit.text().strip()
        if not words:
            return False
        if self.browser.find(words):
            return True
        cursor = self.browser.textCursor()
        cursor.movePosition(cursor.MoveOperation.Start)
        self.browser.setTextCursor(cursor)
        return self.browser.find(words)

    def _highlight(self) -> None:
        words = self.search_edit.text().strip()
        selections = []
        if words:
            document = self.browser.document()
            cursor = document.find(words, 0)
            while not cursor.isNull():
                selection = QTextBrowser.ExtraSelection()
                selection.cursor = cursor
                selection.format.setBackground(self.palette().highlight())
                selection.format.setForeground(self.palette().highlightedText())
                selections.append(selection)
                cursor = document.find(words, cursor, QTextDocument.FindFlag(0))
        self.browser.setExtraSelections(selections)

    def section_titles_shown(self) -> list[str]:
        return [
            item.text()
            for row in range(self.contents.count())
            if (item := self.contents.item(row)) is not None and not item.isHidden()
        ]


def shortcut_rows(menu_bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, command, keys) for every menu command that has a keyboard shortcut, in menu order."""
    rows: list[tuple[str, str, str]] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(sub, f"{path} → {_plain(action.text())}")
            elif not action.isSeparator() and not action.shortcut().isEmpty():
                keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                rows.append((path, _plain(action.text()), keys))

    for top in menu_bar.actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            walk(menu, _plain(top.text()))
    return rows


# Keys that work without a menu command.
OTHER_KEYS: tuple[tuple[str, str, str], ...] = (
    ("People list", "Search now (even one letter)", "Enter in the search box"),
    ("Anywhere", "Next field or control", "Tab"),
    ("Dialogs", "Close without saving", "Esc"),
)


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


class ShortcutsDialog(QDialog):
    """Help → Keyboard shortcuts: read from the menus themselves, so it is never out of date."""

    def __init__(self, menu_bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [*shortcut_rows(menu_bar), *OTHER_KEYS]
        self.table = QTableWidget(len(rows), 3)
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Where", "What", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(620, 520)

    def shortcuts(self) -> dict[str, str]:
        """What → keys, as listed."""
        out: dict[str, str] = {}
        for r in range(self.table.rowCount()):
            what, keys = self.table.item(r, 1), self.table.item(r, 2)
            if what is not None and keys is not None:
                out[what.text()] = keys.text()
        return out
