"""The mouse wheel scrolls forms; it never changes a combo box, spin box or date field without focus."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDateEdit, QLineEdit, QScrollArea, QSpinBox, QVBoxLayout, QWidget

from ui.people.person_detail import PersonDetail
from ui.tasks import TaskRunner


def _wheel(widget: QWidget, notches: int = -1) -> None:
    """A real wheel event over the middle of ``widget``, delivered as the platform delivers one."""
    top = widget.window()
    window = top.windowHandle()
    assert window is not None
    QTest.wheelEvent(window, QPointF(widget.mapTo(top, widget.rect().center())), QPoint(0, 120 * notches))
    QApplication.processEvents()


def test_wheel_over_the_unfocused_nation_box_scrolls_the_panel_not_the_value(
    qtbot: Any, runner: TaskRunner
) -> None:
    detail = PersonDetail(runner)
    qtbot.addWidget(detail)
    detail.resize(900, 420)  # short enough for the details form to scroll
    detail.show()
    qtbot.waitExposed(detail)
    detail.nation_combo.setEditText("Scotland")
    detail.discard()
    detail.nation_combo.setCurrentText("Scotland")
    detail.edits["first_name"].setFocus()
    scroll = detail.nation_combo.parentWidget()
    while scroll is not None and not isinstance(scroll, QScrollArea):
        scroll = scroll.parentWidget()
    assert isinstance(scroll, QScrollArea)
    bar = scroll.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    before_scroll = bar.value()
    dirty_before = detail.is_dirty()

    for _ in range(3):
        _wheel(detail.nation_combo, -1)

    assert detail.nation_combo.currentText() == "Scotland"
    assert detail.is_dirty() == dirty_before
    assert bar.value() != before_scroll  # the wheel went to the page instead
    assert detail.nation_combo.focusPolicy() == Qt.FocusPolicy.StrongFocus


def test_a_focused_field_still_takes_the_wheel(qtbot: Any) -> None:
    page = QWidget()
    layout = QVBoxLayout(page)
    name = QLineEdit()
    layout.addWidget(name)
    spin = QSpinBox()
    spin.setRange(0, 10)
    date = QDateEdit(QDate(2026, 5, 1))
    layout.addWidget(spin)
    layout.addWidget(date)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    name.setFocus()

    _wheel(spin, 1)
    _wheel(date, 1)
    assert spin.value() == 0 and date.date() == QDate(2026, 5, 1)

    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    _wheel(spin, 1)
    assert spin.value() == 1
