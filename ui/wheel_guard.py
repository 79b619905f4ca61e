"""The mouse wheel scrolls the page; it never changes a value the user is not editing.

Qt lets the wheel change a combo box, spin box or date field under the pointer even when it does
not have focus, so scrolling a form past them silently changes data (Scotland became "Outside the
UK"). One application-wide event filter stops that everywhere, for widgets that exist today and
those added later: over an unfocused field the wheel event is passed on to the field's parent (the
scroll area then scrolls), and the fields take focus by click or Tab only, not by the wheel.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget

# QAbstractSpinBox covers QSpinBox, QDoubleSpinBox, QDateEdit, QTimeEdit and QDateTimeEdit.
GUARDED = (QComboBox, QAbstractSpinBox)


class WheelGuard(QObject):
    """An application event filter; see the module docstring. Install with ``install_wheel_guard``."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Wheel and isinstance(watched, GUARDED) and not _editing(watched):
            # Ignored but filtered: Qt then offers the event to the parent (the scroll area).
            event.ignore()
            return True
        if (
            kind == QEvent.Type.Polish
            and isinstance(watched, GUARDED)
            and watched.focusPolicy() == Qt.FocusPolicy.WheelFocus
        ):
            watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return False


def _editing(widget: QWidget) -> bool:
    """The widget (or its line edit or popup) has the keyboard focus: the user chose to edit it."""
    if widget.hasFocus():
        return True
    focus = QApplication.focusWidget()
    return focus is not None and widget.isAncestorOf(focus)


def install_wheel_guard(app: QApplication) -> WheelGuard:
    """Install the guard on ``app`` once; later calls return the one already installed."""
    existing = app.findChild(WheelGuard)
    if isinstance(existing, WheelGuard):
        return existing
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    for widget in app.allWidgets():  # widgets made before the guard was installed
        if isinstance(widget, GUARDED) and widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return guard
