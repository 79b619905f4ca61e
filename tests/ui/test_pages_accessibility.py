"""Every control on the secondary pages has a name a screen reader can announce."""

from __future__ import annotations

import importlib

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from ui.tasks import TaskRunner

PAGES = [
    ("organisations_page", "OrganisationsPage"),
    ("networks_page", "NetworksPage"),
    ("events_page", "EventsPage"),
    ("interactions_page", "InteractionsPage"),
    ("followups_page", "FollowUpsPage"),
    ("trash_page", "TrashPage"),
    ("suppression_page", "SuppressionPage"),
    ("retention_page", "RetentionPage"),
]
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _inside_combo(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QComboBox):
            return True
        parent = parent.parentWidget()
    return False


@pytest.mark.parametrize(("module", "name"), PAGES)
def test_controls_have_accessible_names(
    qtbot: QtBot, demo_runner: TaskRunner, module: str, name: str
) -> None:
    page = getattr(importlib.import_module(f"ui.pages.{module}"), name)(demo_runner)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    with qtbot.waitSignal(page.refreshed, timeout=5000):
        page.refresh()
    controls = [
        w
        for kind in (QAbstractButton, QLineEdit, QPlainTextEdit, QComboBox, QAbstractItemView)
        for w in page.findChildren(kind)
        if not _inside_combo(w) and not isinstance(w, QHeaderView) and w.isVisibleTo(page)
    ]
    assert controls
    unnamed = [
        f"{type(w).__name__} {w.objectName()!r}"
        for w in controls
        if not (w.accessibleName() or (isinstance(w, QAbstractButton) and w.text()))
    ]
    assert unnamed == []
