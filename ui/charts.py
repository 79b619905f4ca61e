"""Charts drawn by Qt Charts (PySide6-Addons), from plain figures.

Importing this module loads Qt Charts (and with it Qt OpenGL), which costs start-up time: only the
dashboard imports it, and only once it has figures to draw.

A :class:`ChartSpec` says what to draw; :func:`make_chart_view` draws it in the application's
palette (light or dark) with colours that stay apart for colour-blind readers, and calls ``on_hover``
with a sentence such as "Engaged, Scottish Labour: 4" when the pointer rests on a bar or a point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCharts import (
    QAbstractAxis,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QHorizontalStackedBarSeries,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QWidget

# Okabe and Ito's colour-blind-safe set, readable on light and dark backgrounds alike.
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")
KINDS = ("bar", "stacked", "hbar", "stacked_hbar", "line")


@dataclass
class ChartSpec:
    """What to draw: one value per category for each series."""

    kind: str  # one of KINDS
    categories: list[str]
    series: list[tuple[str, list[float]]]
    value_title: str = ""
    category_title: str = ""
    whole_numbers: bool = True
    colours: Sequence[str] = field(default_factory=lambda: SERIES_COLOURS)

    @property
    def is_empty(self) -> bool:
        return not self.categories or not self.series


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def _number(value: float, whole: bool) -> str:
    return f"{round(value):,}" if whole else f"{value:,.1f}"


def make_chart_view(spec: ChartSpec, palette: QPalette, on_hover: Callable[[str], None]) -> QChartView:
    """A chart view for ``spec``, themed from ``palette``."""
    chart = QChart()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setVisible(len(spec.series) > 1)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    horizontal = spec.kind in ("hbar", "stacked_hbar")
    categories = QBarCategoryAxis()
    # Labels cut to fit beside the bars; the table and the hover text have them in full.
    # Horizontal bars are drawn from the bottom up: reversed, the first category is at the top, as
    # in the table. ``order`` maps a drawn position back to the category.
    order = list(range(len(spec.categories)))[:: -1 if horizontal else 1]
    categories.append(_axis_labels([spec.categories[i] for i in order]))
    values = QValueAxis()
    values.setMin(0)
    if spec.kind in ("stacked", "stacked_hbar"):
        top = max((sum(vals[i] for _n, vals in spec.series) for i in range(len(spec.categories))), default=0)
    else:
        top = max((max(vals, default=0) for _n, vals in spec.series), default=0)
    values.setMax(_nice_top(top))
    values.setTickCount(6)  # 0 and five steps: whole numbers on every round top below
    values.setLabelFormat("%d" if spec.whole_numbers else "%.1f")
    if spec.value_title:
        values.setTitleText(spec.value_title)
    if spec.category_title:
        categories.setTitleText(spec.category_title)
    value_side = Qt.AlignmentFlag.AlignBottom if horizontal else Qt.AlignmentFlag.AlignLeft
    category_side = Qt.AlignmentFlag.AlignLeft if horizontal else Qt.AlignmentFlag.AlignBottom
    chart.addAxis(values, value_side)
    chart.addAxis(categories, category_side)

    if spec.kind == "line":
        for i, (name, numbers) in enumerate(spec.series):
            line = QLineSeries()
            line.setName(name)
            line.setPointsVisible(True)
            pen = QPen(QColor(spec.colours[i % len(spec.colours)]))
            pen.setWidthF(2.5)
            line.setPen(pen)
            for x, y in enumerate(numbers):
                line.append(QPointF(x, y))
            chart.addSeries(line)
            # The category axis places points at 0, 1, 2, …: the months in order.
            line.attachAxis(categories)
            line.attachAxis(values)
            line.hovered.connect(
                lambda point, state, n=name, s=spec: on_hover(_line_text(s, n, point, state))
            )
    else:
        series_type: type = {
            "bar": QBarSeries,
            "stacked": QStackedBarSeries,
            "hbar": QHorizontalBarSeries,
            "stacked_hbar": QHorizontalStackedBarSeries,
        }[spec.kind]
        bars = series_type()
        for i, (name, numbers) in enumerate(spec.series):
            bar_set = QBarSet(name)
            bar_set.append([float(numbers[i]) for i in order])
            colour = QColor(spec.colours[i % len(spec.colours)])
            bar_set.setColor(colour)
            bar_set.setBorderColor(colour)
            bar_set.hovered.connect(
                lambda status, index, n=name, v=numbers, s=spec, o=order: on_hover(
                    f"{n}, {s.categories[o[index]]}: {_number(v[o[index]], s.whole_numbers)}"
                    if status
                    else ""
                )
            )
            bars.append(bar_set)
        chart.addSeries(bars)
        bars.attachAxis(categories)
        bars.attachAxis(values)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    if horizontal:  # room for every bar and its label
        per_category = 12 * (1 if spec.kind == "stacked_hbar" else len(spec.series)) + 10
        view.setMinimumHeight(max(220, 110 + per_category * len(spec.categories)))
    else:
        view.setMinimumHeight(220)
    apply_palette(view, palette)
    return view


def _line_text(spec: ChartSpec, name: str, point: QPointF, state: bool) -> str:
    if not state:
        return ""
    index = min(max(round(point.x()), 0), len(spec.categories) - 1)
    numbers = dict(spec.series)[name]
    return f"{name}, {spec.categories[index]}: {_number(numbers[index], spec.whole_numbers)}"


def _elide(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _axis_labels(labels: Sequence[str]) -> list[str]:
    """Short, and distinct: a category axis silently drops a label it already has."""
    out: list[str] = []
    for label in labels:
        short = _elide(label)
        candidate, n = short, 2
        while candidate in out:
            candidate, n = f"{short} ({n})", n + 1
        out.append(candidate)
    return out


def _nice_top(value: float) -> float:
    """A round upper end for the value axis (5, 10, 20, 50, 100, …), never below 5."""
    if value <= 5:
        return 5
    step = float(10 ** (len(str(int(value))) - 1))
    for multiple in (1, 2, 2.5, 5, 10):
        if value <= multiple * step:
            return multiple * step
    return 10 * step


def apply_palette(view: QChartView, palette: QPalette) -> None:
    """Theme the chart from the application's palette, so it follows light and dark modes."""
    chart = view.chart()
    text = palette.color(QPalette.ColorRole.WindowText)
    base = palette.color(QPalette.ColorRole.Base)
    grid = palette.color(QPalette.ColorRole.Mid)
    chart.setBackgroundBrush(base)
    chart.setBackgroundRoundness(0)
    chart.setPlotAreaBackgroundVisible(False)
    chart.setTitleBrush(text)
    chart.legend().setLabelColor(text)
    font = QFont(view.font())
    font.setPointSizeF(font.pointSizeF() * 0.9)
    chart.legend().setFont(font)
    axes: list[QAbstractAxis] = list(chart.axes())
    for axis in axes:
        axis.setLabelsColor(text)
        axis.setLabelsFont(font)
        axis.setTitleBrush(text)
        axis.setLinePenColor(grid)
        axis.setGridLineColor(grid)
    view.setBackgroundBrush(base)
    view.update()


def save_png(widget: QWidget, path: str | Path) -> bool:
    """Save what the chart shows as a PNG file; False when it cannot be written."""
    return widget.grab().save(str(path), "PNG")
