"""The one background-task helper: core work off the GUI thread, results back on it.

Usage::

    runner.run(
        lambda ctx: importing.apply(ctx.db, plan, progress=ctx.progress, should_cancel=ctx.should_cancel),
        on_done=self.show_result,
        label="Importing…",
        write=True,
    )

- The function runs on a worker thread and gets a :class:`TaskContext`: the database, a
  ``progress(done, total)`` callable and a ``should_cancel()`` callable for the core to poll.
- ``on_done`` runs on the GUI thread with the function's result. Threads exchange plain values and
  ids, never ORM objects; the worker opens its own sessions.
- Writes are serialised on one writer thread (SQLite allows one writer at a time); reads use a
  small pool.
- A :class:`~crm.errors.UserError` is shown as a plain message; so is a database or file-system
  failure a user can meet (disk full, read-only, locked, damaged, server gone), mapped by
  :meth:`crm.db.Database.user_error` after the transaction has rolled back. :class:`~crm.errors.Cancelled`
  ends quietly; anything else is a bug, logged and shown with its details. This is the window's one
  error path.
- A write that has to wait for another Kindred window or program says so (``waiting`` signal, and
  in the progress dialog) and carries on when its turn comes.
- With ``label`` a progress dialog with Cancel appears if the work takes longer than a moment;
  repaints are throttled to one every 100 ms.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from crm.db import Database, wait_notice
from crm.errors import Cancelled, UserError

from ui import dialogs

log = logging.getLogger(__name__)
T = TypeVar("T")

PROGRESS_DELAY_MS = 400
PROGRESS_REFRESH_MS = 100


def _emit_drops_a_reference() -> bool:
    """PySide6 6.12's ``SignalInstance.emit()`` returns ``True`` without owning a reference to it,
    so each emit from Python lowers True's reference count by one for good and, after enough of
    them, CPython aborts at exit ("bool_dealloc: deallocating True or False"). Measured once at
    import, so a fixed PySide costs nothing."""

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(4):
        probe.ping.emit()
    dropped = sys.getrefcount(True) < before
    if dropped:
        # Give back the four references taken above, plus a reserve against emits that do not go
        # through emit() below (pytest-qt, third-party code). True and False are never freed, so
        # references given to them for good cost nothing; a list would let go of them at exit.
        for value in (True, False):
            for _ in range(_RESERVE):
                _incref(value)
        for _ in range(4):
            _incref(True)
    return dropped


_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None
_RESERVE = 10_000
_EMIT_DROPS_A_REFERENCE = _emit_drops_a_reference()


def emit(signal: Any, *args: Any) -> None:
    """Emit a Qt signal from Python; use this instead of ``signal.emit(...)`` (see above)."""
    result = signal.emit(*args)
    if _EMIT_DROPS_A_REFERENCE and isinstance(result, bool):
        _incref(result)


@dataclass
class TaskContext:
    """What a background function may use. Everything here is safe to call from the worker."""

    db: Database
    _cancel: threading.Event = field(default_factory=threading.Event)
    _progress: list[int] = field(default_factory=lambda: [0, 0])
    _message: list[str] = field(default_factory=lambda: [""])

    def progress(self, done: int, total: int, message: str | None = None) -> None:
        self._progress[0] = done
        self._progress[1] = total
        if message is not None:
            self._message[0] = message

    def should_cancel(self) -> bool:
        return self._cancel.is_set()

    def check_cancel(self) -> None:
        if self._cancel.is_set():
            raise Cancelled

    def cancel(self) -> None:
        self._cancel.set()


class _Signals(QObject):
    """The workers' way back to the GUI thread: one per runner, living as long as it does.

    Each answer carries its task's number. One long-lived object, rather than one per task deleted
    when the task ends, because a per-task object could be deleted on the GUI thread while its
    worker was still inside ``emit`` (a crash seen once under heavy load).
    """

    succeeded = Signal(int, object)
    failed = Signal(int, object, str)
    waiting = Signal(str)


class _Runnable(QRunnable):
    def __init__(
        self, fn: Callable[[TaskContext], Any], ctx: TaskContext, signals: _Signals, number: int
    ) -> None:
        super().__init__()
        self.fn = fn
        self.ctx = ctx
        self.signals = signals
        self.number = number
        self.setAutoDelete(True)

    def run(self) -> None:
        def waiting(message: str) -> None:
            self.ctx.progress(0, 0, message)
            emit(self.signals.waiting, message)

        try:
            with wait_notice(waiting):
                result = self.fn(self.ctx)
        except BaseException as exc:  # everything goes back to the GUI thread to be reported
            emit(self.signals.failed, self.number, exc, traceback.format_exc())
        else:
            emit(self.signals.succeeded, self.number, result)


class Task(QObject, Generic[T]):
    """A running piece of work. ``finished`` fires on the GUI thread when it has ended either way."""

    finished = Signal()
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, ctx: TaskContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None

    def cancel(self) -> None:
        self.ctx.cancel()


class TaskRunner(QObject):
    """Runs core functions on worker threads for one open database."""

    busy_changed = Signal(bool)
    # A write is waiting for another Kindred window or program to finish (the message to show).
    waiting = Signal(str)

    def __init__(self, db: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self._readers = QThreadPool(self)
        self._readers.setMaxThreadCount(2)
        self._writer = QThreadPool(self)
        self._writer.setMaxThreadCount(1)
        self._running: set[Task[Any]] = set()
        # Callbacks of the tasks still running, by task number.
        self._answers: dict[int, tuple[Callable[[Any], None], Callable[[BaseException, str], None]]] = {}
        self._numbers = itertools.count(1)
        self._signals = _Signals(self)
        self._signals.waiting.connect(
            lambda message: emit(self.waiting, message), Qt.ConnectionType.QueuedConnection
        )
        self._signals.succeeded.connect(self._succeeded, Qt.ConnectionType.QueuedConnection)
        self._signals.failed.connect(self._failed, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def run(
        self,
        fn: Callable[[TaskContext], T],
        *,
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        label: str | None = None,
        parent_widget: QWidget | None = None,
        owner: QObject | None = None,
        write: bool = False,
    ) -> Task[T]:
        """Start ``fn`` on a worker. Callbacks run on the GUI thread.

        ``owner`` (default ``parent_widget``) is what the work is for: if it has been deleted by the
        time the answer arrives (its window closed, another database opened), the callbacks are
        skipped; a bug is still logged.
        """
        ctx = TaskContext(self.db)
        guard = owner if owner is not None else parent_widget

        def alive() -> bool:
            return guard is None or shiboken6.isValid(guard)

        task: Task[T] = Task(ctx, self)
        number = next(self._numbers)
        dialog = _ProgressDialog(label, ctx, parent_widget) if label else None

        def finish() -> None:
            task.done = True
            self._running.discard(task)
            self._answers.pop(number, None)
            if dialog is not None:
                dialog.close_for_good()
            if not self._running:
                emit(self.busy_changed, False)
            emit(task.finished)

        def succeeded(result: Any) -> None:
            task.result = result
            finish()
            emit(task.succeeded, result)
            if on_done is not None and alive():
                on_done(result)

        def failed(exc: BaseException, details: str) -> None:
            if not isinstance(exc, UserError | Cancelled):
                # Disk full, read-only, locked, damaged, server gone: the user's to fix, not a bug.
                exc = self.db.user_error(exc) or exc
            task.error = exc
            finish()
            if isinstance(exc, Cancelled):
                emit(task.cancelled)
                if on_cancelled is not None and alive():
                    on_cancelled()
                return
            emit(task.failed, str(exc))
            if not alive():
                if not isinstance(exc, UserError):
                    log.error("Background task failed after its window closed:\n%s", details)
                return
            if on_error is not None:
                on_error(exc)
            else:
                dialogs.report_error(parent_widget, exc, details)

        self._answers[number] = (succeeded, failed)
        if not self._running:
            emit(self.busy_changed, True)
        self._running.add(task)
        (self._writer if write else self._readers).start(_Runnable(fn, ctx, self._signals, number))
        return task

    def _succeeded(self, number: int, result: Any) -> None:
        answer = self._answers.get(number)
        if answer is not None:
            answer[0](result)

    def _failed(self, number: int, exc: BaseException, details: str) -> None:
        answer = self._answers.get(number)
        if answer is not None:
            answer[1](exc, details)

    def wait_for_all(self, msecs: int = 30_000) -> bool:
        """Block until workers are idle (used on close, so no write is cut off)."""
        return self._writer.waitForDone(msecs) and self._readers.waitForDone(msecs)


class _ProgressDialog(QProgressDialog):
    """Appears after a short delay; reads the context's progress every 100 ms; Cancel sets the flag."""

    def __init__(self, label: str, ctx: TaskContext, parent: QWidget | None) -> None:
        super().__init__(label, "Cancel", 0, 0, parent)
        self.setWindowTitle("Kindred")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(PROGRESS_DELAY_MS)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.setMinimumWidth(380)
        self._label = label
        self._ctx = ctx
        self._started = time.monotonic()
        self.canceled.connect(self._on_cancel)
        self._timer = QTimer(self)
        self._timer.setInterval(PROGRESS_REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        self._timer.start()
        self.setValue(0)

    def _on_cancel(self) -> None:
        self._ctx.cancel()
        self.setLabelText("Cancelling…")

    def _refresh(self) -> None:
        done, total = self._ctx._progress
        message = self._ctx._message[0]
        if total > 0:
            if self.maximum() != total:
                self.setMaximum(total)
            self.setValue(min(done, total))
            if not self.wasCanceled():
                self.setLabelText(f"{message or self._label}\n{done:,} of {total:,}")
        else:
            if message and not self.wasCanceled() and self.labelText() != message:
                self.setLabelText(message)
            if time.monotonic() - self._started > PROGRESS_DELAY_MS / 1000 and not self.isVisible():
                self.show()

    def close_for_good(self) -> None:
        self._timer.stop()
        self.reset()
        self.hide()
        self.deleteLater()
