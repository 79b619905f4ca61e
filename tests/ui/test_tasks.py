"""The background-task helper: every answer reaches its own caller, on the GUI thread, once."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QThread

from crm.errors import UserError

from ui.tasks import TaskContext, TaskRunner


def test_many_short_tasks_each_answer_their_own_caller(qtbot: Any, runner: TaskRunner) -> None:
    """Hundreds of tasks that end at once, reads and writes mixed: no answer lost or crossed.

    This is the shape of load under which an answer's messenger used to be deleted while its
    worker was still handing the answer over.
    """
    gui_thread = QThread.currentThread()
    answers: dict[int, int] = {}
    on_gui: list[bool] = []

    def record(i: int) -> Any:
        def done(value: int) -> None:
            on_gui.append(QThread.currentThread() is gui_thread)
            answers[i] = value

        return done

    count = 400
    for i in range(count):
        runner.run(lambda ctx, i=i: i * i, on_done=record(i), write=i % 3 == 0)
    qtbot.waitUntil(lambda: len(answers) == count and not runner.busy, timeout=30_000)
    assert answers == {i: i * i for i in range(count)}
    assert all(on_gui)


def test_a_user_error_goes_to_its_own_handler_and_the_others_succeed(qtbot: Any, runner: TaskRunner) -> None:
    errors: list[str] = []
    results: list[str] = []

    def refuse(ctx: TaskContext) -> str:
        raise UserError("The file sheet.xlsx is open in Excel; close it and try again.")

    runner.run(refuse, on_error=lambda exc: errors.append(str(exc)))
    runner.run(lambda ctx: "fine", on_done=results.append)
    qtbot.waitUntil(lambda: bool(errors) and bool(results) and not runner.busy, timeout=10_000)
    assert errors == ["The file sheet.xlsx is open in Excel; close it and try again."]
    assert results == ["fine"]


def test_a_cancelled_task_says_so_and_nothing_else(qtbot: Any, runner: TaskRunner) -> None:
    started = threading.Event()
    done: list[Any] = []
    cancelled: list[bool] = []

    def wait_for_cancel(ctx: TaskContext) -> str:
        started.set()
        ctx._cancel.wait(10)  # the core polls should_cancel(); here it simply waits for the flag
        ctx.check_cancel()
        return "not cancelled"

    task = runner.run(wait_for_cancel, on_done=done.append, on_cancelled=lambda: cancelled.append(True))
    assert started.wait(10)
    with qtbot.waitSignal(task.cancelled, timeout=10_000):
        task.cancel()
    assert cancelled == [True]
    assert done == []
    assert not runner.busy
