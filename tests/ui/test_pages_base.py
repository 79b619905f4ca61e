"""ListPage's two other ways of reading a list: a long scan with progress and Cancel, and a lazy
model that reads itself (People's)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.errors import ValidationError
from crm.models import Person

from ui import dialogs
from ui.pages.base import ListPage
from ui.people.people_model import PeopleModel
from ui.tasks import TaskContext, TaskRunner

TIMEOUT = 20_000

# The scan's progress window may be shown; the offscreen platform warns it cannot size it.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


class _Scan(ListPage):
    """A scan that counts the people, then waits until the test lets it finish (or cancels it)."""

    SCAN_LABEL = "Comparing records…"

    def __init__(self, runner: TaskRunner, release: threading.Event, fail: bool = False) -> None:
        super().__init__(runner)
        self.release = release
        self.fail = fail
        self.asked = 0
        self.shown: list[tuple[int, int]] = []
        self.stopped: list[BaseException | None] = []

    def scan_loader(self) -> Callable[[Session, TaskContext], tuple[int, int]]:
        self.asked += 1
        asked, release, fail = self.asked, self.release, self.fail

        def read(session: Session, ctx: TaskContext) -> tuple[int, int]:
            people = session.scalar(select(func.count(Person.id))) or 0
            ctx.progress(0, 1, "Comparing records…")
            while not release.wait(0.005):
                ctx.check_cancel()
            if fail:
                raise ValidationError("The comparison could not finish: try again.")
            ctx.progress(1, 1)
            return asked, people

        return read

    def show_list(self, rows: tuple[int, int]) -> None:
        self.shown.append(rows)

    def scan_stopped(self, exc: BaseException | None) -> None:
        self.stopped.append(exc)
        super().scan_stopped(exc)


def test_a_scan_can_be_cancelled_and_shows_nothing(qtbot: QtBot, demo_runner: TaskRunner) -> None:
    page = _Scan(demo_runner, threading.Event())
    qtbot.addWidget(page)
    task = page.refresh()
    with qtbot.waitSignal(task.cancelled, timeout=TIMEOUT):
        task.cancel()
    assert page.stopped == [None]
    assert page.shown == []


def test_the_newest_scan_wins(qtbot: QtBot, demo_runner: TaskRunner) -> None:
    release = threading.Event()
    page = _Scan(demo_runner, release)
    qtbot.addWidget(page)
    page.refresh()
    page.refresh()  # asked again before the first is in: the first answer is dropped
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        release.set()
    demo_runner.wait_for_all()
    with demo_runner.db.session() as session:
        people = session.scalar(select(func.count(Person.id)))
    assert page.shown == [(2, people)]
    assert page.stopped == []


def test_a_failed_scan_is_explained(
    qtbot: QtBot, demo_runner: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _parent, _title, message: said.append(message))
    release = threading.Event()
    release.set()
    page = _Scan(demo_runner, release, fail=True)
    qtbot.addWidget(page)
    task = page.refresh()
    with qtbot.waitSignal(task.finished, timeout=TIMEOUT):
        pass
    assert said == ["The comparison could not finish: try again."]
    assert [type(e) for e in page.stopped] == [ValidationError] and page.shown == []


class _Lazy(ListPage):
    """A page whose list is People's lazy id model: it never says how to read the list itself."""

    def __init__(self, runner: TaskRunner) -> None:
        super().__init__(runner)
        self.model = PeopleModel(runner, parent=self)
        self.use_lazy_model(self.model)


def test_a_lazy_model_is_reloaded_by_refresh_and_says_when_it_is_in(
    qtbot: QtBot, demo_runner: TaskRunner
) -> None:
    page = _Lazy(demo_runner)
    qtbot.addWidget(page)
    heard: list[Any] = []
    page.refreshed.connect(lambda: heard.append(page.model.rowCount()))
    with qtbot.waitSignal(page.refreshed, timeout=TIMEOUT):
        page.refresh()
    with demo_runner.db.session() as session:
        people = session.scalar(select(func.count(Person.id)).where(Person.deleted_at.is_(None)))
    assert heard == [people] and people


class _ListWithDetail(ListPage):
    """A list whose answer opens a detail; the detail's read waits until the test lets it go."""

    def __init__(self, runner: TaskRunner, release: threading.Event) -> None:
        super().__init__(runner)
        self.release = release
        self.query = "everyone"
        self.lists: list[str] = []
        self.details: list[str] = []

    def list_loader(self) -> Callable[[Session], str]:
        query = self.query
        return lambda _session: query

    def show_list(self, rows: str) -> None:
        self.lists.append(rows)
        release = self.release

        def read(_session: Session) -> str:
            release.wait(TIMEOUT / 1000)
            return rows

        self.load_detail(read, self.details.append)


def test_a_detail_opened_before_a_reload_does_not_end_the_reload(
    qtbot: QtBot, demo_runner: TaskRunner
) -> None:
    """The page says it is complete only when the newest list is on screen: a detail the previous
    list opened, arriving in between, does not count (a test or a screen waiting on ``refreshed``
    would otherwise read the old list)."""
    release = threading.Event()
    page = _ListWithDetail(demo_runner, release)
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.lists == ["everyone"], timeout=TIMEOUT)  # its detail is waiting
    page.query = "one topic"
    page.refresh()
    emitted: list[tuple[list[str], list[str]]] = []
    page.refreshed.connect(lambda: emitted.append((list(page.lists), list(page.details))))
    release.set()
    qtbot.waitUntil(lambda: page.details[-1:] == ["one topic"], timeout=TIMEOUT)
    assert emitted and all(lists[-1] == "one topic" for lists, _details in emitted)
