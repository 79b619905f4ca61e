"""One application-wide event filter for behaviour every widget should have, today's and tomorrow's.

**The mouse wheel scrolls the page; it never changes a value the user is not editing.** Qt lets the
wheel change a combo box, spin box or date field under the pointer even when it does not have
focus, so scrolling a form past them silently changes data (Scotland became "Outside the UK").
Over an unfocused field the wheel event is passed on to the field's parent (the scroll area then
scrolls), and the fields take focus by click or Tab only, not by the wheel.

**Text cut short in a list shows in full as a tooltip.** Any item view (tables, lists) whose cell
text is elided ("Kindness Leadership Network: first me…") shows the whole text when the pointer
rests on it, unless the model gives a tooltip of its own.

One filter rather than one per behaviour: every event in the application passes through it, so
it returns as early as it can.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QStyle,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

# QAbstractSpinBox covers QSpinBox, QDoubleSpinBox, QDateEdit, QTimeEdit and QDateTimeEdit.
GUARDED = (QComboBox, QAbstractSpinBox)
_WHEEL = QEvent.Type.Wheel
_POLISH = QEvent.Type.Polish
_TOOLTIP = QEvent.Type.ToolTip


class AppEventFilter(QObject):
    """An application event filter; see the module docstring. Install with ``install_app_filter``."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == _WHEEL:
            if isinstance(watched, GUARDED) and not _editing(watched):
                # Ignored but filtered: Qt then offers the event to the parent (the scroll area).
                event.ignore()
                return True
        elif kind == _POLISH:
            if isinstance(watched, GUARDED) and watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == _TOOLTIP and isinstance(event, QHelpEvent) and isinstance(watched, QWidget):
            view = watched.parentWidget()
            if isinstance(view, QAbstractItemView) and watched is view.viewport():
                text = elided_text(view, view.indexAt(event.pos()))
                if text:
                    QToolTip.showText(
                        event.globalPos(), text, watched, view.visualRect(view.indexAt(event.pos()))
                    )
                    return True
        return False


def _editing(widget: QWidget) -> bool:
    """The widget (or its line edit or popup) has the keyboard focus: the user chose to edit it."""
    if widget.hasFocus():
        return True
    focus = QApplication.focusWidget()
    return focus is not None and widget.isAncestorOf(focus)


def elided_text(view: QAbstractItemView, index: QModelIndex) -> str | None:
    """The whole text of a cell that is shown cut short, or None (it fits, or has a tooltip)."""
    if not index.isValid() or index.data(Qt.ItemDataRole.ToolTipRole):
        return None
    text = index.data(Qt.ItemDataRole.DisplayRole)
    if not isinstance(text, str) or not text:
        return None
    option = QStyleOptionViewItem()
    option.initFrom(view.viewport())
    option.rect = view.visualRect(index)
    option.font = view.font()
    style = view.style()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, option, view) + 1
    available = option.rect.width() - 2 * margin
    if index.data(Qt.ItemDataRole.DecorationRole) is not None:
        available -= view.iconSize().width() + margin
    width = max(view.fontMetrics().horizontalAdvance(line) for line in text.splitlines() or [text])
    return text if width > available else None


def install_app_filter(app: QApplication) -> AppEventFilter:
    """Install the filter on ``app`` once; later calls return the one already installed."""
    existing = app.findChild(AppEventFilter)
    if isinstance(existing, AppEventFilter):
        return existing
    guard = AppEventFilter(app)
    app.installEventFilter(guard)
    for widget in app.allWidgets():  # widgets made before the filter was installed
        if isinstance(widget, GUARDED) and widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return guard
