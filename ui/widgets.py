"""Small widget helpers shared by the main window's panels."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QComboBox, QFormLayout, QWidget


def align_form_labels(forms: Iterable[QFormLayout]) -> None:
    """Give every label of these forms one width, so fields line up across group boxes."""
    labels: list[QWidget] = []
    for form in forms:
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            widget = item.widget() if item is not None else None
            if widget is not None:
                labels.append(widget)
    if not labels:
        return
    width = max(label.sizeHint().width() for label in labels)
    for label in labels:
        label.setMinimumWidth(width)


def compact_combos(parent: QWidget, chars: int = 10) -> None:
    """Let the combo boxes below ``parent`` be narrower than their longest item ("Outside the UK",
    a long network name): the popup still shows items in full. Otherwise the longest item sets the
    whole panel's minimum width, and a narrow window gets a horizontal scroll bar."""
    for box in parent.findChildren(QComboBox):
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        box.setMinimumContentsLength(chars)
