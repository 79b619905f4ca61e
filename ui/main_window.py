"""The main window: sidebar navigation, menus, the people page and the other pages.

Start-up paints the window's frame first (sidebar, menus, "Opening …") from Qt alone, then imports
the database layer and attaches the database (:meth:`MainWindow.attach`): a user sees Kindred at
once, and SQLAlchemy, the models and the pages load behind the first frame. So this module imports
nothing from ``crm`` beyond the package's name and version at the top; the rest is imported where
it is used, once the window has a database.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import time
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only what the frame needs: Qt builds each class's Python enums when the class is first used
# (the Qt namespace alone takes about 0.1 s), so the rest is imported where it is used.
from PySide6.QtCore import QByteArray, QEvent, QObject, QSize, QTimer, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from crm import APP_NAME, __version__

from ui.settings import settings

if TYPE_CHECKING:
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
    from PySide6.QtWidgets import QDialog, QMenu

    from crm.db import Database
    from crm.filters import PersonFilter

    from ui.changes import Change, ChangeHub
    from ui.people.people_page import PeoplePage
    from ui.tasks import TaskContext, TaskRunner

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".csv", ".tsv", ".txt")
# Qt.ItemDataRole.UserRole (256) + 10 and + 11, as plain numbers: the frame does without Qt's namespace.
BADGE_ROLE = 256 + 10
KEY_ROLE = 256 + 11
# Up to this many people the Duplicates badge is counted at open (a scan of a second or two in the
# background); a larger list waits for the page's first scan rather than slow the first minutes.
COUNT_DUPLICATES_AT_OPEN = 30_000

# Sidebar entries after People: key, label, module, class name. A page whose module is not there
# (yet) shows a short note instead, so the window never fails to open.
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("dashboard", "Dashboard", "ui.pages.dashboard_page", "DashboardPage"),
    ("organisations", "Organisations", "ui.pages.organisations_page", "OrganisationsPage"),
    ("networks", "Networks", "ui.pages.networks_page", "NetworksPage"),
    ("representatives", "Representatives", "ui.pages.representatives_page", "RepresentativesPage"),
    ("interactions", "Interactions", "ui.pages.interactions_page", "InteractionsPage"),
    ("events", "Events", "ui.pages.events_page", "EventsPage"),
    ("followups", "Follow-ups", "ui.pages.followups_page", "FollowupsPage"),
    ("duplicates", "Duplicates", "ui.pages.duplicates_page", "DuplicatesPage"),
    ("suppression", "Suppression list", "ui.pages.suppression_page", "SuppressionPage"),
    ("retention", "Due for review", "ui.pages.retention_page", "RetentionPage"),
    ("trash", "Trash", "ui.pages.trash_page", "TrashPage"),
)

# The menu bar's menus: key, title.
MENUS: tuple[tuple[str, str], ...] = (
    ("file", "&File"),
    ("edit", "&Edit"),
    ("view", "&View"),
    ("help", "&Help"),
)

_OPEN_WINDOWS: list[MainWindow] = []


def _opening_page(name: str) -> QWidget:
    """The frame's page while the database opens: "Opening …", centred by stretches and rich
    text rather than Qt's alignment flags (see the imports)."""
    page = QWidget()
    page.setAccessibleName("Opening")
    label = QLabel(f'<p align="center">Opening {escape(name)}…</p>')
    layout = QVBoxLayout(page)
    layout.addStretch(1)
    layout.addWidget(label)
    layout.addStretch(1)
    return page


def _display_name(target: str | None) -> str:
    """What the frame says it is opening, before the database layer is loaded to resolve it."""
    if not target:
        return "your contacts"
    if "://" in target:
        return "the team database"
    return Path(target).name or target


class _Placeholder(QWidget):
    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtCore import Qt

        note = QLabel(f"{label} is not available in this version.")
        note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(note)

    def refresh(self) -> None:
        pass


class MainWindow(QMainWindow):
    """One open database. ``owns_database``: close it when the window closes.

    ``MainWindow(runner)`` builds the whole window at once. ``MainWindow(opening=target)`` builds
    only the frame (sidebar, menus, an "Opening …" page) from Qt alone, to be shown at once;
    :meth:`attach` then gives it its database and fills it.

    Signals:
        frame_painted(): the frame painted for the first time, before the database is attached.
        first_painted(): the people list (or the dashboard) painted for the first time.
    """

    frame_painted = Signal()
    first_painted = Signal()

    def __init__(
        self,
        runner: TaskRunner | Database | None = None,
        *,
        owns_database: bool = False,
        opening: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.owns_database = owns_database
        self.attached = False
        self.pages: dict[str, QWidget] = {}
        self._page_index: dict[str, int] = {}
        self._painted = False
        self._frame_painted = False
        self._people_stale = False
        self._duplicate_count: Any = None  # the Duplicates badge's count at open, while it runs
        self.active_dialog: QDialog | None = None
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.resize(1280, 800)

        self._build_sidebar()
        self.opening_page = _opening_page(_display_name(opening))
        self.opening_page.installEventFilter(self)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.opening_page)
        self.splitter = QSplitter()  # horizontal
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([160, 1120])
        self.setCentralWidget(self.splitter)
        bar = self.menuBar()
        # The menus' titles are there from the first frame (no jump when they fill).
        self._menus = {key: bar.addMenu(title) for key, title in MENUS}
        self.statusBar().showMessage(f"Opening {_display_name(opening)}…")
        self._restore_geometry()
        if runner is not None:
            self.attach(runner, owns_database=owns_database)

    def attach(self, runner: TaskRunner | Database, *, owns_database: bool | None = None) -> None:
        """Give the frame its database: build the pages, fill the menus, load the first screen."""
        from PySide6.QtGui import QUndoStack

        from crm.db import Database

        from ui import preferences
        from ui.badges import BadgeDelegate
        from ui.changes import ChangeHub
        from ui.people.people_page import PeoplePage
        from ui.tasks import TaskRunner

        if isinstance(runner, Database):
            runner = TaskRunner(runner, self)
        self.undo_stack = QUndoStack(self)
        self.sidebar.setItemDelegate(BadgeDelegate(BADGE_ROLE, self.sidebar))
        self._finish_sidebar()
        self.runner = runner
        self.db: Database = runner.db
        if owns_database is not None:
            self.owns_database = owns_database
        preferences.apply(preferences.load())
        # The one "data changed" signal: pages announce their writes here (ui.changes).
        self.changes: ChangeHub = ChangeHub(self)
        self.changes.data_changed.connect(self._data_changed)
        self.setWindowTitle(f"{APP_NAME} — {self.db.name}")

        self.people_page: PeoplePage = PeoplePage(runner, self.undo_stack, self)  # announces on the hub
        self.people_page.views_changed.connect(self.refresh_sidebar_views)
        self.people_page.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.people_page.import_requested.connect(lambda: self.open_import())
        self.people_page.sample_requested.connect(self.load_sample_data)
        self.people_page.find_duplicates_requested.connect(self.find_duplicates_of)
        # The first paint of whichever the people page shows: the list, or the welcome.
        self.people_page.table.viewport().installEventFilter(self)
        self.people_page.welcome.installEventFilter(self)

        self._page_index["people"] = self.stack.addWidget(self.people_page)
        self.pages["people"] = self.people_page
        self.stack.setCurrentWidget(self.people_page)
        self.stack.removeWidget(self.opening_page)
        self.opening_page.deleteLater()
        self._build_menus()
        self._build_status_bar()
        self.people_page.restore_state(settings())
        self.attached = True
        self.sidebar.currentItemChanged.connect(self._sidebar_changed)
        self.statusBar().clearMessage()
        self.people_page.start()
        chosen = self.sidebar.currentItem()
        wanted = chosen.data(KEY_ROLE) if chosen is not None else "people"
        if wanted != "people" and wanted in self.sidebar_items:
            # Picked in the frame's sidebar while the database opened.
            self.show_page(wanted).installEventFilter(self)
            self._people_stale = False
        elif self.people_page._total:
            # A database with people opens on the dashboard; its first paint counts as the window's.
            self.show_page("dashboard").installEventFilter(self)
            self._people_stale = False  # the list has just loaded
        self.refresh_sidebar_views()
        self.refresh_badge()
        if 0 < (self.people_page._total or 0) <= COUNT_DUPLICATES_AT_OPEN:
            self.count_duplicates()
        _OPEN_WINDOWS.append(self)

    # --- building -----------------------------------------------------------------------------

    def _build_sidebar(self) -> None:
        self.sidebar = QListWidget()
        self.sidebar.setAccessibleName("Sections")
        self.sidebar.setMinimumWidth(130)
        self.sidebar_items: dict[str, QListWidgetItem] = {}
        # The dashboard comes first, before People.
        entries = [(p[0], p[1]) for p in PAGES]
        first = [e for e in entries if e[0] == "dashboard"]
        metrics = self.sidebar.fontMetrics()
        for key, label in (*first, ("people", "People"), *(e for e in entries if e not in first)):
            item = QListWidgetItem(label)
            item.setData(KEY_ROLE, key)
            # The height the badge delegate gives a row (ui.badges), from the frame on: the rows
            # do not jump when the delegate is set once the database is open.
            item.setSizeHint(QSize(metrics.horizontalAdvance(label) + 8, metrics.height() + 10))
            self.sidebar.addItem(item)
            self.sidebar_items[key] = item
        self.sidebar.setCurrentItem(self.sidebar_items["people"])

    def _finish_sidebar(self) -> None:
        """What the sidebar needs once there is a database: its menu and the saved views' heading.

        Left out of the frame, which does without Qt's namespace (see the imports)."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QAbstractItemView

        # Labels and badges fit the narrowest sidebar; it never scrolls sideways.
        self.sidebar.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sidebar.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.sidebar.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.sidebar.customContextMenuRequested.connect(self._sidebar_menu)
        header = QListWidgetItem("Saved views")
        header.setFlags(Qt.ItemFlag.NoItemFlags)
        font = header.font()
        font.setBold(True)
        header.setFont(font)
        self.views_header = header
        self.sidebar.addItem(header)

    def _action(
        self,
        menu: QMenu,
        text: str,
        slot: Any,
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
    ) -> QAction:
        from PySide6.QtGui import QKeySequence

        action = menu.addAction(text)
        action.triggered.connect(lambda _checked=False: slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        return action

    def _build_menus(self) -> None:
        from PySide6.QtGui import QAction, QKeySequence

        file_menu = self._menus["file"]
        self._action(file_menu, "&New database…", self.new_database)
        self._action(file_menu, "&Open database…", self.open_database_file, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("&Recent databases")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._action(file_menu, "&Connect to team database (URL)…", self.connect_team_database)
        file_menu.addSeparator()
        self._action(file_menu, "&Import spreadsheet…", lambda: self.open_import())
        self._action(file_menu, "Import &history…", self.open_import_history)
        self._action(file_menu, "&Update representatives…", self.open_roster_update)
        self._action(file_menu, "&Export…", lambda: self.open_export())
        self._add_correspondence_actions(file_menu)
        file_menu.addSeparator()
        self._action(file_menu, "&Back up database…", self.back_up)
        self._action(file_menu, "&Restore from backup…", self.open_restore)
        self._action(file_menu, "Load &sample data", self.load_sample_data)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit = self._menus["edit"]
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        self.new_person_action = self._action(
            edit, "&New person", self.new_person, QKeySequence.StandardKey.New
        )
        self.find_action = self._action(edit, "&Find", self.find_people, QKeySequence.StandardKey.Find)
        self.save_action = self._action(edit, "&Save person", self.save_person, QKeySequence.StandardKey.Save)
        self.trash_action = self._action(
            edit, "Move to &Trash", self.trash_selected, QKeySequence.StandardKey.Delete
        )
        edit.addSeparator()
        self.preferences_action = self._action(
            edit, "&Preferences…", self.open_preferences, QKeySequence.StandardKey.Preferences
        )
        self.preferences_action.setMenuRole(QAction.MenuRole.PreferencesRole)

        view = self._menus["view"]
        filters_action = view.addAction("&Filters")
        filters_action.setCheckable(True)
        filters_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        filters_action.toggled.connect(self.people_page.filters_button.setChecked)
        self.people_page.filters_button.toggled.connect(filters_action.setChecked)
        view.addMenu(self.people_page.columns_menu).setText("&Columns")
        view.addSeparator()
        self._action(view, "&Refresh", self.refresh_all, QKeySequence.StandardKey.Refresh)

        help_menu = self._menus["help"]
        self.help_action = self._action(
            help_menu, "Kindred &help", self.open_help, QKeySequence.StandardKey.HelpContents
        )
        self._action(help_menu, "&Keyboard shortcuts", self.open_shortcuts)
        self._action(help_menu, "Show the &data folder", self.show_data_folder)
        help_menu.addSeparator()
        self._action(help_menu, "&About Kindred", self.about)

    def _build_status_bar(self) -> None:
        from PySide6.QtWidgets import QProgressBar

        status = self.statusBar()
        self.db_label = QLabel(self.db.name)
        self.db_label.setToolTip(self.db.location)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setMaximumHeight(14)
        self.busy.setAccessibleName("Working")
        self.busy.hide()
        status.addPermanentWidget(self.busy)
        status.addPermanentWidget(self.db_label)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(300)
        self._busy_timer.timeout.connect(lambda: self.busy.setVisible(self.runner.busy))
        self.runner.busy_changed.connect(self._busy_changed)
        self.runner.waiting.connect(lambda message: status.showMessage(message, 10000))

    def _busy_changed(self, busy: bool) -> None:
        if busy:
            # Only show the bar for work that lasts; quick queries would make it flicker.
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy.hide()

    # --- state --------------------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        """Where the window was: restored in the frame, so it never jumps once filled."""
        s = settings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        splitter = s.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def save_state(self) -> None:
        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/splitter", self.splitter.saveState())
        self.people_page.save_state(s)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.attached:  # the frame alone: the database never opened
            event.accept()
            return
        from ui import dialogs

        detail = self.people_page.detail
        if detail.is_dirty():
            answer = dialogs.ask_unsaved_changes(self, detail.heading.text())
            if answer == "cancel" or (answer == "save" and not detail.save()):
                event.ignore()
                return
            if answer == "discard":
                detail.discard()
        self.save_state()
        self.people_page.model.cancel_pending()
        if self._duplicate_count is not None:
            self._duplicate_count.cancel()  # no need to wait for a count nobody will see
        self.runner.wait_for_all()
        if self.owns_database:
            self.db.dispose()
        if self in _OPEN_WINDOWS:
            _OPEN_WINDOWS.remove(self)
        event.accept()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            if not self._frame_painted and watched is getattr(self, "opening_page", None):
                self._frame_painted = True
                # After the paint has reached the screen, not inside it.
                QTimer.singleShot(0, self, self._emit_frame_painted)
            elif not self._painted and self.attached:
                self._painted = True
                QTimer.singleShot(0, self, self._emit_first_painted)
        return super().eventFilter(watched, event)

    def _emit_frame_painted(self) -> None:
        # A plain emit: ui.tasks.emit (which works round a PySide reference leak) would import the
        # database layer, and one emit is covered by the reserve it sets aside.
        self.frame_painted.emit()

    def _emit_first_painted(self) -> None:
        from ui.tasks import emit

        emit(self.first_painted)

    # --- navigation ---------------------------------------------------------------------------

    def _sidebar_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is None:
            return
        key = current.data(KEY_ROLE)
        if isinstance(key, str) and key.startswith("view:"):
            self.open_view(key[5:])
            return
        if isinstance(key, str):
            self.show_page(key)

    def show_page(self, key: str) -> QWidget:
        if key not in self.pages:
            self._create_page(key)
        page = self.pages[key]
        self.stack.setCurrentWidget(page)
        item = self.sidebar_items.get(key)
        if item is not None and self.sidebar.currentItem() is not item:
            self.sidebar.blockSignals(True)
            self.sidebar.setCurrentItem(item)
            self.sidebar.blockSignals(False)
        if key == "people":
            if self._people_stale:
                self._people_stale = False
                self.people_page.refresh()
        else:
            self._people_stale = True
            refresh = getattr(page, "refresh", None)
            if callable(refresh):
                refresh()
        self.refresh_badge()
        return page

    def _create_page(self, key: str) -> None:
        entry = next(p for p in PAGES if p[0] == key)
        _key, label, module_name, class_name = entry
        page: QWidget
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            page = _Placeholder(label)
        else:
            cls = getattr(module, class_name, None)
            if cls is None:  # tolerate "FollowUpsPage" beside "FollowupsPage"
                cls = next(
                    v
                    for n, v in vars(module).items()
                    if n.lower() == class_name.lower() and isinstance(v, type)
                )
            page = cls(self.runner, self)
            for name in ("person_activated", "person_opened"):
                signal = getattr(page, name, None)
                if signal is not None:
                    signal.connect(self.show_person)
            if (export := getattr(page, "export_requested", None)) is not None:
                export.connect(lambda f, title=label: self.open_export(f, title=f"Export — {title}"))
            if (people := getattr(page, "people_filter_requested", None)) is not None:
                people.connect(self.show_people_filtered)
            if (wanted := getattr(page, "page_requested", None)) is not None:
                wanted.connect(self.show_page)
            if (report := getattr(page, "report_written", None)) is not None:
                report.connect(lambda path: self.statusBar().showMessage(f"Report saved: {path}", 10000))
            if (overdue := getattr(page, "overdue_count_changed", None)) is not None:
                overdue.connect(self._set_badge)
            if (duplicates := getattr(page, "duplicate_count_changed", None)) is not None:
                duplicates.connect(self.set_duplicates_badge)
        if key == "duplicates" and self._duplicate_count is not None:
            self._duplicate_count.cancel()  # the page scans for itself
        page.setAccessibleName(label)
        self.pages[key] = page
        self._page_index[key] = self.stack.addWidget(page)

    def show_people_filtered(self, person_filter: PersonFilter, name: str) -> None:
        """The People list with a filter (a dashboard tile), shown in the filter panel."""
        self.show_page("people")
        self.people_page.apply_view(name, person_filter)

    def show_person(self, person_id: int) -> None:
        self.show_page("people")
        self.people_page.show_person(person_id)

    def _data_changed(self, _change: Change) -> None:
        """Something was written (``ui.changes``): the People list is refreshed when next shown
        (every write may touch what it shows: names, organisations, last contacted), and the
        follow-ups badge now."""
        self._people_stale = self.stack.currentWidget() is not self.people_page
        self.refresh_badge()

    def refresh_all(self) -> None:
        self.people_page.refresh()
        for key, page in self.pages.items():
            if key != "people" and callable(getattr(page, "refresh", None)):
                page.refresh()  # type: ignore[attr-defined]
        self.refresh_sidebar_views()
        self.refresh_badge()

    def refresh_badge(self) -> None:
        from crm.services import interactions

        with self.db.session() as session:
            self._set_badge(interactions.count_overdue(session))

    def _set_badge(self, overdue: int) -> None:
        from PySide6.QtCore import Qt

        item = self.sidebar_items["followups"]
        item.setData(BADGE_ROLE, overdue)
        item.setToolTip(f"{overdue} overdue follow-up{'s' if overdue != 1 else ''}" if overdue else "")
        item.setData(
            Qt.ItemDataRole.AccessibleTextRole, f"Follow-ups, {overdue} overdue" if overdue else "Follow-ups"
        )

    def set_duplicates_badge(self, count: int) -> None:
        """Possible duplicates left to review (known after a scan), as a pill on Duplicates."""
        from PySide6.QtCore import Qt

        if count < 0:
            return
        item = self.sidebar_items["duplicates"]
        item.setData(BADGE_ROLE, count)
        item.setToolTip(f"{count} possible duplicate{'s' if count != 1 else ''} to review" if count else "")
        item.setData(
            Qt.ItemDataRole.AccessibleTextRole,
            f"Duplicates, {count} to review" if count else "Duplicates",
        )

    def count_duplicates(self) -> None:
        """Count possible duplicates in the background, so the Duplicates badge has a number
        from the start; opening the page scans again and keeps the badge from then on."""

        def work(ctx: TaskContext) -> int:
            from crm.matching.finder import count_groups, find_people_duplicates

            with ctx.db.session() as session:
                return count_groups(find_people_duplicates(session, should_cancel=ctx.should_cancel).pairs)

        def counted(count: int) -> None:
            self._duplicate_count = None
            if "duplicates" not in self.pages:  # the page counts for itself once opened
                self.set_duplicates_badge(count)

        def failed(exc: BaseException) -> None:
            # Only a badge: the page itself reports what stops a scan.
            self._duplicate_count = None
            logging.getLogger(__name__).warning("Counting duplicates at start failed: %s", exc)

        self._duplicate_count = self.runner.run(
            work, on_done=counted, on_error=failed, on_cancelled=lambda: None, owner=self
        )

    def find_duplicates_of(self, person_id: int) -> None:
        """The Duplicates page, checking one person (from the person panel)."""
        page = self.show_page("duplicates")
        page.find_for_person(person_id)  # type: ignore[attr-defined]

    def review_duplicates(self, pairs: Any) -> None:
        """The Duplicates page with pairs found elsewhere (the import wizard's hand-off)."""
        page = self.show_page("duplicates")
        page.show_pairs(pairs)  # type: ignore[attr-defined]

    def refresh_sidebar_views(self) -> None:
        from crm.services import views

        with self.db.session() as session:
            names = [v.name for v in views.list_views(session)]
        first = self.sidebar.row(self.views_header) + 1
        self.sidebar.blockSignals(True)
        while self.sidebar.count() > first:
            self.sidebar.takeItem(first)
        for name in names:
            item = QListWidgetItem(f"  {name}")
            item.setData(KEY_ROLE, f"view:{name}")
            item.setToolTip(f"Saved view: {name}")
            self.sidebar.addItem(item)
        self.views_header.setHidden(not names)
        self.sidebar.blockSignals(False)

    def open_view(self, name: str) -> None:
        from crm.errors import UserError
        from crm.services import views

        from ui import dialogs

        try:
            with self.db.session() as session:
                f = views.view_filter(session, name)
        except UserError as exc:  # a view naming a tag or event that has gone: say so
            dialogs.report_error(self, exc)
            return
        self.stack.setCurrentWidget(self.people_page)
        self.people_page.apply_view(name, f)

    def _sidebar_menu(self, pos: Any) -> None:
        from PySide6.QtWidgets import QMenu

        item = self.sidebar.itemAt(pos)
        key = item.data(KEY_ROLE) if item is not None else None
        if not (isinstance(key, str) and key.startswith("view:")):
            return
        menu = QMenu(self)
        menu.addAction("Delete view").triggered.connect(lambda: self.delete_view(key[5:]))
        menu.exec(self.sidebar.viewport().mapToGlobal(pos))

    def delete_view(self, name: str) -> None:
        from crm.services import views

        from ui import dialogs

        if not dialogs.confirm(
            self, "Delete view", f"Delete the saved view “{name}”? No people are deleted."
        ):
            return

        def work(ctx: TaskContext) -> None:
            with ctx.db.transaction() as session:
                views.delete_view(session, views.get_view(session, name).id)

        self.runner.run(work, on_done=lambda _r: self.refresh_sidebar_views(), parent_widget=self, write=True)

    # --- Edit menu ----------------------------------------------------------------------------

    def new_person(self) -> None:
        self.show_page("people")
        self.people_page.stack.setCurrentIndex(0)
        self.people_page.new_person()

    def find_people(self) -> None:
        self.show_page("people")
        self.people_page.focus_search()

    def save_person(self) -> None:
        if self.stack.currentWidget() is self.people_page:
            self.people_page.detail.save()

    def trash_selected(self) -> None:
        from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit

        # Delete means "delete the selected people" only where the list has focus; in text fields
        # it deletes text (they take the key first) and elsewhere it does nothing.
        focus = QApplication.focusWidget()
        if isinstance(focus, QLineEdit | QPlainTextEdit):
            return
        if self.stack.currentWidget() is self.people_page and focus is self.people_page.table:
            self.people_page.trash_selected()

    # --- File menu ----------------------------------------------------------------------------

    def _ask_open_path(self) -> str:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open database",
            str(self._last_folder()),
            "Kindred databases (*.db *.sqlite);;All files (*)",
        )
        return path

    def _ask_new_path(self) -> str:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(
            self, "New database", str(self._last_folder() / "kindred.db"), "Kindred databases (*.db)"
        )
        return path

    def _last_folder(self) -> Path:
        return self.db.path.parent if self.db.path is not None else Path.home()

    def new_database(self) -> MainWindow | None:
        from ui import dialogs

        path = self._ask_new_path()
        if not path:
            return None
        if Path(path).exists():
            dialogs.show_error(self, "New database", f"{path} already exists. Use Open database to open it.")
            return None
        return self.switch_database(path, create=True)

    def open_database_file(self) -> MainWindow | None:
        path = self._ask_open_path()
        return self.switch_database(path) if path else None

    def connect_team_database(self) -> QDialog:
        from ui.dialogs import FormDialog

        dialog = FormDialog("Connect to team database", self)
        url = dialog.line("&Address")
        url.setPlaceholderText("postgresql://user:password@server/kindred")
        note = QLabel(
            "A team database is a PostgreSQL server your organisation runs, so several people can "
            "work on the same contacts. Ask whoever looks after it for the address."
        )
        note.setWordWrap(True)
        dialog.form.addRow("", note)
        dialog.setMinimumWidth(520)
        dialog.accepted.connect(
            lambda: self.switch_database(url.text().strip()) if url.text().strip() else None
        )
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def switch_database(self, target: str, *, create: bool = False) -> MainWindow | None:
        """Open another database in a new window and close this one (``create``: File → New)."""
        from ui.databases import open_or_report, remember_recent

        if self.people_page.detail.is_dirty() and not self.people_page.detail.maybe_leave():
            return None
        db = open_or_report(target, self, create=create)
        if db is None:
            return None
        remember_recent(target)
        from ui.tasks import TaskRunner

        window = MainWindow(TaskRunner(db), owns_database=True)
        window.setGeometry(self.geometry())
        window.show()
        window.show_startup_notes()
        self.close()
        return window

    def _fill_recent_menu(self) -> None:
        from ui.databases import recent_databases

        self.recent_menu.clear()
        entries = recent_databases()
        for entry in entries:
            action = self.recent_menu.addAction(entry)
            action.triggered.connect(lambda _c=False, e=entry: self.switch_database(e))
        if not entries:
            self.recent_menu.addAction("No recent databases").setEnabled(False)

    def open_import(self, path: str | None = None) -> QDialog | None:
        from ui import dialogs

        try:
            from ui.import_wizard import ImportWizard
        except ModuleNotFoundError:
            dialogs.show_error(self, "Import", "Importing is not available in this version.")
            return None
        wizard = ImportWizard(self.runner, self, path=path)
        wizard.finished.connect(lambda _r: self.refresh_all())
        wizard.review_duplicates_requested.connect(self.review_duplicates)
        self.active_dialog = wizard
        wizard.open()
        return wizard

    def open_roster_update(self) -> QDialog | None:
        """Update representatives from an official roster (EveryPolitician, UK Parliament, a spreadsheet)."""
        from ui.roster_dialog import RosterDialog

        dialog = RosterDialog(self.runner, self)
        dialog.data_changed.connect(self.refresh_all)
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def open_import_history(self) -> QDialog | None:
        from ui import dialogs

        try:
            from ui.import_wizard import ImportHistoryDialog
        except (ModuleNotFoundError, ImportError):
            dialogs.show_error(self, "Import history", "Import history is not available in this version.")
            return None
        dialog = ImportHistoryDialog(self.runner, self)
        dialog.finished.connect(lambda _r: self.refresh_all())
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def open_export(
        self, person_filter: PersonFilter | None = None, *, title: str | None = None
    ) -> QDialog | None:
        from crm.filters import PersonFilter

        from ui import dialogs

        try:
            from ui.export_dialog import ExportDialog
        except ModuleNotFoundError:
            dialogs.show_error(self, "Export", "Exporting is not available in this version.")
            return None
        if person_filter is None:
            selected = self.people_page.selected_ids()
            if len(selected) > 1:
                person_filter = PersonFilter(ids=selected)
                title = title or f"Export {len(selected):,} selected people"
            else:
                person_filter = self.people_page.current_filter()
        dialog = ExportDialog(self.runner, person_filter, self, title=title or "Export people")
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def _ask_backup_path(self) -> str:
        from PySide6.QtWidgets import QFileDialog

        default = self._last_folder() / f"{Path(self.db.name).stem}-backup-{dt.date.today():%Y-%m-%d}.db"
        path, _ = QFileDialog.getSaveFileName(
            self, "Back up database", str(default), "Kindred databases (*.db)"
        )
        return path

    def back_up(self) -> None:
        from ui import dialogs

        if not self.db.is_sqlite:
            dialogs.show_info(
                self,
                "Back up",
                "A team (PostgreSQL) database is backed up on its server, for example with pg_dump.",
            )
            return
        path = self._ask_backup_path()
        if not path:
            return
        self.runner.run(
            lambda ctx: str(ctx.db.backup(path, force=True)),  # the save dialog asked
            on_done=lambda dest: dialogs.show_info(self, "Back up", f"Backed up and checked: {dest}"),
            label="Backing up…",
            parent_widget=self,
            write=True,
        )

    def open_restore(self) -> QDialog | None:
        """File → Restore from backup…; on a team database, say where its backups are."""
        from ui import dialogs

        if not self.db.is_sqlite:
            dialogs.show_info(
                self,
                "Restore from backup",
                "A team (PostgreSQL) database is restored on its server, for example with pg_restore: "
                "ask whoever looks after the server.",
            )
            return None
        from ui.restore_dialog import RestoreDialog

        dialog = RestoreDialog(self.runner, self)

        def reopen(result: Any) -> None:
            new = self.switch_database(str(result.database))
            if new is not None:
                new.statusBar().showMessage(f"Restored the copy {Path(result.restored_from).name}.", 15000)

        dialog.restored.connect(reopen)
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def load_sample_data(self) -> None:
        from crm import demo

        def work(ctx: TaskContext) -> dict[str, int]:
            with ctx.db.transaction() as session:
                return demo.load_sample_data(session)

        def done(summary: dict[str, int]) -> None:
            self.people_page._total = None
            self.refresh_all()
            self.statusBar().showMessage(
                f"Loaded sample data: {summary.get('people', 0)} fictional people.", 8000
            )

        self.runner.run(work, on_done=done, label="Loading sample data…", parent_widget=self, write=True)

    def open_preferences(self) -> QDialog:
        from ui.preferences import PreferencesDialog

        dialog = PreferencesDialog(self)
        # Dates already on show are redrawn in the new format.
        dialog.accepted.connect(self.refresh_all)
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def open_help(self) -> QDialog:
        from ui.help import HelpDialog

        dialog = HelpDialog(self)
        self.active_dialog = dialog
        dialog.show()  # modeless: the guide stays open beside the window
        return dialog

    def open_shortcuts(self) -> QDialog:
        from ui.help import ShortcutsDialog

        dialog = ShortcutsDialog(self.menuBar(), self)
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def data_folder(self) -> Path:
        """The folder holding this database (a SQLite file), else Kindred's own data folder."""
        from crm.db import default_data_dir

        folder = self.db.path.parent if self.db.path is not None else default_data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def show_data_folder(self) -> Path:
        """Open the data folder in the file manager (Explorer, Finder…)."""
        from ui import dialogs

        folder = self.data_folder()
        if not open_folder(folder):
            dialogs.show_info(self, "Data folder", f"Kindred keeps its data in {folder}")
        return folder

    def about(self) -> None:
        from ui import dialogs

        where = self.db.location
        kind = "SQLite file" if self.db.is_sqlite else "team database (PostgreSQL)"
        dialogs.show_info(
            self,
            "About Kindred",
            f"Kindred {__version__}\nA contact manager for a small policy team.\n\n"
            f"Database: {self.db.name} ({kind})\nStored at: {where}",
        )

    def show_startup_notes(self) -> None:
        """Warnings from opening the database, after the window is up."""
        from ui import dialogs

        notes = list(self.db.warnings)
        if self.db.backup_path is not None:
            notes.append(
                f"The database was upgraded. A copy from before the upgrade is at {self.db.backup_path}."
            )
        for note in notes:
            self.statusBar().showMessage(note, 15000)
            dialogs.show_info(self, "Kindred", note)

    # --- drag and drop ------------------------------------------------------------------------

    @staticmethod
    def _dropped_spreadsheet(event: QDragEnterEvent | QDropEvent) -> str | None:
        mime = event.mimeData()
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and url.toLocalFile().lower().endswith(SPREADSHEET_SUFFIXES):
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.attached and (self._dropped_spreadsheet(event) or self._dropped_emails(event)):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_spreadsheet(event)
        if path:
            event.acceptProposedAction()
            self.open_import(path)
            return
        emails = self._dropped_emails(event)
        if emails:
            event.acceptProposedAction()
            self.log_emails(emails, person_id=self._person_under(event.position().toPoint()))

    # --- correspondence (letters, dropped emails, email lists, calendars) ----------------------

    @staticmethod
    def _dropped_emails(event: QDragEnterEvent | QDropEvent) -> list[str]:
        from ui.correspondence import dropped_email_files

        mime = event.mimeData()
        return dropped_email_files(mime.urls()) if mime.hasUrls() else []

    def _person_under(self, pos: QPoint) -> int | None:
        """The person a drop lands on: a row of the people list, or the one shown in the panel."""
        page = self.people_page
        if self.stack.currentWidget() is not page:
            return None
        viewport = page.table.viewport()
        at = viewport.mapFrom(self, pos)
        if viewport.isVisible() and viewport.rect().contains(at):
            index = page.table.indexAt(at)
            return page.model.person_id(index.row()) if index.isValid() else None
        detail = page.detail
        inside = detail.isVisible() and detail.rect().contains(detail.mapFrom(self, pos))
        return detail.person_id if inside else None

    def _add_correspondence_actions(self, file_menu: QMenu) -> None:
        self._action(file_menu, "&Letters and labels…", lambda: self.open_letters())
        self._action(file_menu, "Log saved e&mails…", lambda: self.log_emails())
        self._action(file_menu, "Calendar &feed (.ics)…", lambda: self.save_calendar_feed())
        actions = self.people_page.actions_button.menu()
        if actions is not None:
            actions.addSeparator()
            for text, slot in (
                ("Letters and labels…", lambda: self.open_letters()),
                ("Email these people…", lambda: self.email_people()),
                ("Copy email addresses", lambda: self.email_people(copy_only=True)),
            ):
                actions.addAction(text).triggered.connect(lambda _checked=False, slot=slot: slot())

    def _people_for_action(self) -> tuple[PersonFilter, str]:
        """The selection when several people are selected, else the list as filtered."""
        from crm.filters import PersonFilter

        selected = self.people_page.selected_ids()
        if len(selected) > 1:
            return PersonFilter(ids=selected), f"The {len(selected):,} selected people"
        f = self.people_page.current_filter()
        return f, "Everyone on the current list" if f.is_empty() else f"The current list ({f.describe()})"

    def open_letters(self, person_filter: PersonFilter | None = None, *, view: str | None = None) -> QDialog:
        from crm.services import views

        from ui.correspondence import LettersDialog

        label = "The chosen people"
        if person_filter is None:
            person_filter, label = self._people_for_action()
        with self.db.session() as session:
            names = [v.name for v in views.list_views(session)]
        dialog = LettersDialog(self.runner, person_filter, self, list_label=label, views=names)
        if view is not None and view in names:
            dialog.who_box.setCurrentIndex(names.index(view) + 1)
        dialog.letters_made.connect(lambda _r: self.refresh_all())
        dialog.batch_undone.connect(lambda _b: self.refresh_all())
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def log_emails(self, paths: list[str] | None = None, *, person_id: int | None = None) -> Any:
        from ui.correspondence import Desktop, log_dropped_emails

        if paths is None:
            chosen = Desktop.open_file_name(
                self, "Log saved emails", str(self._last_folder()), "Saved emails (*.eml *.msg)"
            )
            paths = [chosen] if chosen else []
        if not paths:
            return None

        def show(dialog: QDialog) -> None:
            self.active_dialog = dialog
            dialog.open()

        return log_dropped_emails(
            self.runner, paths, self, person_id=person_id, on_logged=lambda _r: self.refresh_all(), show=show
        )

    def email_people(self, *, copy_only: bool = False) -> Any:
        from ui.correspondence import email_people

        person_filter, _label = self._people_for_action()

        def show(dialog: QDialog) -> None:
            self.active_dialog = dialog
            dialog.open()

        return email_people(self.runner, person_filter, self, copy_only=copy_only, show=show)

    def save_calendar_feed(self) -> Any:
        from ui.correspondence import save_calendar_feed

        return save_calendar_feed(self.runner, self)


def open_folder(folder: Path) -> bool:
    """Show a folder in the system's file manager; a seam tests replace (it opens a window)."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def first_paint_report(window: MainWindow, started: float) -> None:
    """For the start-up benchmark: print when the frame first painted (and whether the database
    layer was loaded by then), then when the list or dashboard first painted, then quit."""
    import json
    import sys

    def line(key: str, **extra: object) -> None:
        figures = {key: round(time.time(), 6), "in_process_s": round(time.perf_counter() - started, 6)}
        print(json.dumps({**figures, **extra}), flush=True)

    window.frame_painted.connect(
        lambda: line("first_paint_unix", database_layer_loaded="sqlalchemy" in sys.modules)
    )

    def content() -> None:
        line("content_paint_unix")
        QTimer.singleShot(0, window.close)

    window.first_painted.connect(content)


def environment_wants_report() -> bool:
    return os.environ.get("KINDRED_REPORT_FIRST_PAINT") == "1"
