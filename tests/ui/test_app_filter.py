"""The application filter: the mouse wheel never changes an unfocused combo box, spin box or date
field; text cut short in a list shows in full as a tooltip."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, QEvent, QPoint, QPointF, Qt
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


def test_text_cut_short_in_a_list_shows_in_full_as_a_tooltip(qtbot: Any) -> None:
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTableView

    from ui.app_filter import elided_text

    model = QStandardItemModel(2, 1)
    long_name = "Kindness Leadership Network: first meeting of the new cohort in Dunfermline"
    model.setItem(0, 0, QStandardItem(long_name))
    model.setItem(1, 0, QStandardItem("Short"))
    view = QTableView()
    view.setModel(model)
    view.setColumnWidth(0, 120)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    assert elided_text(view, model.index(0, 0)) == long_name
    assert elided_text(view, model.index(1, 0)) is None  # fits: no tooltip
    # The tooltip is really shown when the pointer rests on the cell.
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip

    rect = view.visualRect(model.index(0, 0))
    event = QHelpEvent(QEvent.Type.ToolTip, rect.center(), view.viewport().mapToGlobal(rect.center()))
    QApplication.sendEvent(view.viewport(), event)
    qtbot.waitUntil(QToolTip.isVisible, timeout=5_000)
    assert QToolTip.text() == long_name
    QToolTip.hideText()
