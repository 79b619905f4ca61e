"""The one way to build a list page, or a list-plus-detail page (Vorta's ``BaseTab`` is the idea).

A page reads in the background and shows on the GUI thread; when it writes, it tells the window
(one "data changed" signal, :mod:`ui.changes`) and reloads. :class:`ListPage` holds that set-up
once, so a page only says what to read and how to show it::

    class TrashPage(ListPage):
        CHANGES = Change(people=True, ...)     # what the page's writes change

        def list_loader(self):                 # on the GUI thread: capture the search text, etc.
            text = self.search.text()
            return lambda session: trash.list_trash(session, text)   # on a worker

        def show_list(self, rows):             # back on the GUI thread, the newest answer only
            self.model.set_rows(rows)

A page with a detail pane loads it with :meth:`ListPage.load_detail`, which drops answers
overtaken by a newer selection in the same way.

A page whose list is a long scan (the duplicate finder compares every record) sets
:attr:`ListPage.SCAN_LABEL` and implements :meth:`ListPage.scan_loader` instead of
:meth:`ListPage.list_loader`: the read then shows a progress window with Cancel, and its function
is given the task's context to report progress and notice Cancel.

A page whose list is too long to read in one answer (People: 100,000 ids, shown a screen at a
time) hands its lazy model to :meth:`ListPage.use_lazy_model`. The model reads itself: the first
screen from an index-only query (on the GUI thread at start-up, so the first paint has rows; in the
background on a search, so one letter repaints at once), then every id, dropping its own stale
answers, because it is also reloaded by its own header's sort and used on its own. The page's
:meth:`ListPage.refresh` then reloads the model, and ``refreshed`` fires once it is complete; the
announcing and ``after_change`` are the same as for any page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol, TypeVar

from sqlalchemy.orm import Session

from PySide6.QtCore import Signal, SignalInstance
from PySide6.QtWidgets import QWidget

from ui import dialogs
from ui.changes import Change, announce_on
from ui.pages.common import run_task
from ui.tasks import Task, TaskContext, TaskRunner

T = TypeVar("T")


class LazyListModel(Protocol):
    """A list model that reads its own rows lazily and drops its own stale answers (People's)."""

    @property
    def ids_loaded(self) -> SignalInstance:
        """Fires (with the number of rows) when a reload is complete."""
        ...

    def reload(self) -> Task[Any]:
        """Read the list again in the background; the newest request wins."""
        ...


class ListPage(QWidget):
    """A page over a list read from the database in the background.

    Subclasses set :attr:`CHANGES` and implement :meth:`list_loader` and :meth:`show_list`.

    Signals:
        person_activated(int): a person was opened from the page (the window shows them).
        refreshed(): the page is complete after a reload: the list, and the detail the list
            opened if it opened one (then once that is in); or a detail loaded on its own.
        data_changed(): the page wrote something; announced on the window's hub as :attr:`CHANGES`.
    """

    person_activated = Signal(int)
    refreshed = Signal()
    data_changed = Signal()

    #: What this page's writes change, for the other screens (:mod:`ui.changes`).
    CHANGES: ClassVar[Change] = Change()
    #: Set for a list that is a long scan: the progress window's text (see :meth:`scan_loader`).
    SCAN_LABEL: ClassVar[str] = ""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        announce_on(self.data_changed, parent, self.CHANGES)
        self.runner = runner
        self._generation = 0
        self._shown_generation = 0  # the reload whose list is on screen
        self._detail_generation = 0
        self._lazy_model: LazyListModel | None = None

    # --- template methods ---------------------------------------------------------------------

    def list_loader(self) -> Callable[[Session], Any]:
        """On the GUI thread: what the list reads, as a function of a session run on a worker.

        Read widgets (a search box, a filter) here, never in the returned function."""
        raise NotImplementedError

    def show_list(self, rows: Any) -> None:
        """On the GUI thread: show what :meth:`list_loader`'s function returned (and open a
        detail with :meth:`load_detail` if the page has one)."""
        raise NotImplementedError

    def scan_loader(self) -> Callable[[Session, TaskContext], Any]:
        """On the GUI thread, for a page with :attr:`SCAN_LABEL`: the long read, as a function of a
        session and the task's context (``ctx.progress``, ``ctx.should_cancel``) run on a worker."""
        raise NotImplementedError

    def scan_stopped(self, exc: BaseException | None) -> None:
        """On the GUI thread: a scan was cancelled (``exc`` is None) or failed. A failure is
        reported to the user here; a page overrides this to put its controls back as well."""
        if exc is not None:
            dialogs.report_error(self, exc)

    def use_lazy_model(self, model: LazyListModel) -> None:
        """The list is ``model``, which reads itself (see the module's docstring): :meth:`refresh`
        reloads it, and ``refreshed`` fires each time a reload of it is complete."""
        self._lazy_model = model
        model.ids_loaded.connect(lambda *_args: self.refreshed.emit())

    # --- the shared behaviour -----------------------------------------------------------------

    def refresh(self) -> Task[Any]:
        """Reload the list in the background; an answer overtaken by a newer reload is dropped."""
        if self._lazy_model is not None:
            return self._lazy_model.reload()
        self._generation += 1
        generation = self._generation

        def done(rows: Any) -> None:
            if generation != self._generation:
                return
            self._shown_generation = generation
            details = self._detail_generation
            self.show_list(rows)
            if self._detail_generation == details:
                self.refreshed.emit()  # else the detail the list opened says so once it is in

        if self.SCAN_LABEL:
            scan = self.scan_loader()

            def load_scan(ctx: TaskContext) -> Any:
                with ctx.db.session() as session:
                    return scan(session, ctx)

            return self.runner.run(
                load_scan,
                on_done=done,
                on_error=self.scan_stopped,
                on_cancelled=lambda: self.scan_stopped(None),
                label=self.SCAN_LABEL,
                parent_widget=self,
            )

        read = self.list_loader()

        def load(ctx: TaskContext) -> Any:
            with ctx.db.session() as session:
                return read(session)

        return run_task(self, self.runner, load, on_done=done)

    def drop_pending(self) -> None:
        """Answers to reads already asked are dropped: the page shows something else meanwhile
        (rows handed over by another screen)."""
        self._generation += 1
        self._shown_generation = self._generation

    def load_detail(self, read: Callable[[Session], T], show: Callable[[T], None]) -> Task[Any]:
        """Read the detail pane's contents in the background and ``show`` them, unless another
        selection has asked for its own meanwhile."""
        self._detail_generation += 1
        generation = self._detail_generation

        def load(ctx: TaskContext) -> T:
            with ctx.db.session() as session:
                return read(session)

        def done(result: T) -> None:
            if generation != self._detail_generation:
                return
            show(result)
            # The page is complete only if no newer list is on its way: a detail opened by the
            # list before a reload was asked for is not the reloaded page.
            if self._shown_generation == self._generation:
                self.refreshed.emit()

        return run_task(self, self.runner, load, on_done=done)

    def after_change(self) -> None:
        """A write of this page's is done: the other screens hear of it, and the list reloads."""
        self.data_changed.emit()
        self.refresh()
