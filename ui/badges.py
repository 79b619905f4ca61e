"""The sidebar's count pills (overdue follow-ups, duplicates to review)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget


class BadgeDelegate(QStyledItemDelegate):
    """Draws a count held in the item's ``role`` as a pill on the right, in the palette's
    highlight colours."""

    def __init__(self, role: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Any) -> None:
        super().paint(painter, option, index)
        count = index.data(self.role)
        if not count:
            return
        text = str(count)
        metrics = option.fontMetrics
        width = max(metrics.horizontalAdvance(text) + 12, metrics.height() + 2)
        height = metrics.height() + 2
        rect = QRect(
            option.rect.right() - width - 8, option.rect.center().y() - height // 2 + 1, width, height
        )
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setBrush(palette.highlightedText() if selected else palette.highlight())
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(palette.highlight().color() if selected else palette.highlightedText().color())
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 36, max(size.height(), option.fontMetrics.height() + 10))
