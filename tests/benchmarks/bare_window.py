"""A bare PySide6 window with the same Qt imports as Kindred's first window: the yardstick the
start-up benchmark divides by. Prints the same JSON line as ``kindred`` with
``KINDRED_REPORT_FIRST_PAINT=1`` when its table first paints, then quits.

    python -m tests.benchmarks.bare_window
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()

import sys  # noqa: E402  (the clock starts before any import, as in ui.app)

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402
from PySide6.QtGui import QStandardItem, QStandardItemModel  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QListWidget,
    QMainWindow,
    QSplitter,
    QTableView,
)


class _FirstPaint(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.done = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.done and event.type() == QEvent.Type.Paint:
            self.done = True
            print(
                f'{{"first_paint_unix": {time.time():.6f}, '
                f'"in_process_s": {time.perf_counter() - _STARTED:.6f}}}',
                flush=True,
            )
            QTimer.singleShot(0, self.window.close)
        return False


def main() -> int:
    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.resize(1280, 800)
    sidebar = QListWidget()
    sidebar.addItems(["People", "Organisations", "Networks", "Interactions", "Events"])
    model = QStandardItemModel(200, 4)
    for row in range(200):
        for col in range(4):
            model.setItem(row, col, QStandardItem(f"Person {row} field {col}"))
    table = QTableView()
    table.setModel(model)
    splitter = QSplitter()
    splitter.addWidget(sidebar)
    splitter.addWidget(table)
    window.setCentralWidget(splitter)
    window.menuBar().addMenu("&File")
    window.statusBar().showMessage("Ready")
    table.viewport().installEventFilter(_FirstPaint(window))
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
