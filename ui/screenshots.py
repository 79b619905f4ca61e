"""Render Kindred's main screens with the sample data to PNG files, offscreen.

    python -m ui.screenshots OUTDIR [--size 1280x800] [--scale 1.5] [--check]

By default every screen is rendered at 1280×800 and at 1920×1080, each size in a folder of its own;
``--check`` also checks that each main window screen fits (no sideways scrolling, every tab in
sight, the list not squeezed by the filters) and exits 1 naming what does not.

Everything happens in a throwaway folder (database, settings), never in the user's own. The import
wizard and export dialog are included when this copy of Kindred has them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

SAMPLE_SHEET = (
    ("First name", "Last name", "Email", "Organisation", "Town", "Postcode", "Happy to be contacted?"),
    ("Morven", "Achnacarry", "morven@example.org", "Highland Kindness Trust", "Inverness", "IV2 3AB", "Yes"),
    ("Dafydd", "Pritchard", "dafydd@example.org", "Cymru Befriending Trust", "Bangor", "LL57 1AA", "No"),
    ("Morven", "Achnacarry", "Morven@Example.org", "", "Inverness", "", "Yes"),
    ("Iona", "MacLeod", "iona.macleod@example", "Highland Kindness Trust", "Portree", "IV51 9X", ""),
)
WIZARD_PAGES = ("sheet", "mapping", "duplicates", "options", "summary")


def _settle(app: object, rounds: int = 8) -> None:
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    for _ in range(rounds):
        app.processEvents()


def _wait_idle(app: object, runner: object) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    from ui.tasks import TaskRunner

    assert isinstance(runner, TaskRunner)
    while runner.busy:
        loop = QEventLoop()
        runner.busy_changed.connect(loop.quit)
        QTimer.singleShot(5_000, loop.quit)
        loop.exec()
        runner.busy_changed.disconnect(loop.quit)
    _settle(app)


def _wait_for(signal: object, timeout_ms: int = 10_000) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    signal.connect(loop.quit)  # type: ignore[attr-defined]
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def _dark_palette(app: object) -> None:
    """A dark Fusion palette, to check nothing in Kindred assumes a light background."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    app.setStyle("Fusion")
    palette = QPalette()
    role = QPalette.ColorRole
    for name, colour in (
        (role.Window, "#2b2b2b"),
        (role.WindowText, "#e6e6e6"),
        (role.Base, "#1f1f1f"),
        (role.AlternateBase, "#2a2a2a"),
        (role.Text, "#e6e6e6"),
        (role.Button, "#353535"),
        (role.ButtonText, "#e6e6e6"),
        (role.Highlight, "#2f65ca"),
        (role.HighlightedText, "#ffffff"),
        (role.ToolTipBase, "#353535"),
        (role.ToolTipText, "#e6e6e6"),
        (role.PlaceholderText, "#8a8a8a"),
    ):
        palette.setColor(name, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for name in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, name, QColor("#7a7a7a"))
    app.setPalette(palette)


def layout_problems(window: QWidget) -> list[str]:
    """What does not fit in the main window as it is shown now: horizontal scroll bars where there
    should be none, tabs out of sight, a list squeezed by the filters, cut-short roles."""
    from PySide6.QtWidgets import QAbstractItemView

    from ui.main_window import MainWindow
    from ui.people.people_page import LIST_MIN_WIDTH

    assert isinstance(window, MainWindow)
    problems: list[str] = []
    size = f"{window.width()}×{window.height()}"
    if window.sidebar.horizontalScrollBar().isVisible():
        problems.append(f"{size}: the sidebar scrolls sideways")
    page = window.people_page
    if page.detail.isVisible():
        detail = page.detail
        scroll = detail.details_scroll
        form = scroll.widget()
        if (
            scroll.isVisible()
            and form is not None
            and form.minimumSizeHint().width() > scroll.viewport().width()
        ):
            problems.append(f"{size}: the person panel's fields are wider than the panel")
        bar = detail.tabs.tabBar()
        for i in range(bar.count()):
            if bar.tabRect(i).right() > bar.width():
                problems.append(f"{size}: the person panel's tab {bar.tabText(i)!r} is out of sight")
        if page.list_stack.isVisible() and page.list_stack.width() < LIST_MIN_WIDTH:
            problems.append(f"{size}: the people list is squeezed to {page.list_stack.width()} px")
        roles = detail.roles_table
        for column in range(roles.columnCount()):
            if roles.rowCount() and roles.columnWidth(column) < roles.sizeHintForColumn(column):
                name = roles.horizontalHeaderItem(column)
                problems.append(f"{size}: elected roles' {name.text() if name else column} is cut short")
    for view in window.findChildren(QAbstractItemView):
        if view.isVisible() and view.property("noSideScroll") and view.horizontalScrollBar().isVisible():
            problems.append(f"{size}: {view.accessibleName() or type(view).__name__} scrolls sideways")
    return problems


def render(
    outdir: Path, width: int = 1280, height: int = 800, *, dark: bool = False, check: bool = False
) -> list[Path]:
    """Write the screenshots; returns the files written. With ``check``, the layout of each main
    window screen is checked too; problems are printed and raise ``LayoutProblem`` at the end."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="kindred-shots-"))
    os.environ["KINDRED_DATA_DIR"] = str(work / "data")
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ui.app_filter import install_app_filter

    app = QApplication.instance() or QApplication(["kindred-screenshots"])
    assert isinstance(app, QApplication)
    install_app_filter(app)
    if dark:
        _dark_palette(app)
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(work / "config"))

    from crm import demo
    from crm.db import open_database

    from ui.main_window import MainWindow
    from ui.tasks import TaskRunner

    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    problems: list[str] = []

    def shot(widget: QWidget, name: str) -> None:
        _settle(app)
        path = outdir / f"{name}.png"
        widget.grab().save(str(path))
        written.append(path)
        if check and isinstance(widget, MainWindow) and widget.attached:
            problems.extend(f"{name}: {p}" for p in layout_problems(widget))
            if widget.width() > width or widget.height() > height:
                problems.append(
                    f"{name}: the window cannot shrink to {width}×{height} ({widget.width()}×{widget.height()})"
                )

    # The window's first frame at start-up, while the database opens (ui.app).
    window = MainWindow(opening=str(work / "empty.db"))
    window.resize(width, height)
    window.show()
    shot(window, "opening")
    # Then the empty database: the welcome screen.
    empty = open_database(work / "empty.db")
    window.attach(TaskRunner(empty))
    shot(window, "welcome")
    window.close()
    empty.dispose()

    db = open_database(work / "sample.db")
    with db.transaction() as session:
        demo.load_sample_data(session)
    runner = TaskRunner(db)
    window = MainWindow(runner)
    window.resize(width, height)
    window.show()
    _wait_idle(app, runner)
    # A database with people opens on the dashboard: its top, then its charts further down.
    dashboard = window.pages.get("dashboard")
    if dashboard is not None:
        # It counts once it has painted: wait for its figures rather than shooting "Counting…".
        if getattr(dashboard, "_outstanding", 0) or not getattr(dashboard, "_cache", None):
            _wait_for(dashboard.loaded, 60_000)  # type: ignore[attr-defined]
        _wait_idle(app, runner)
        shot(window, "dashboard")
        scroll = getattr(dashboard, "scroll_area", None)
        if scroll is not None:
            bar = scroll.verticalScrollBar()
            bar.setValue(bar.maximum() // 3)
            shot(window, "dashboard-charts")
            bar.setValue(bar.maximum())
            shot(window, "dashboard-lists")
            bar.setValue(0)
    window.show_page("people")
    _wait_idle(app, runner)
    page = window.people_page
    page.splitter.setSizes([0, int(width * 0.45), int(width * 0.4)])

    # Show someone with a full record: memberships, roles, interactions.
    from sqlalchemy import func, select

    from crm.models import ElectedRole, InteractionPerson, Membership

    with db.session() as s:
        busiest = s.execute(
            select(InteractionPerson.person_id)
            .join(ElectedRole, ElectedRole.person_id == InteractionPerson.person_id)
            .join(Membership, Membership.person_id == InteractionPerson.person_id)
            .group_by(InteractionPerson.person_id)
            .order_by(func.count(func.distinct(InteractionPerson.interaction_id)).desc())
            .limit(1)
        ).scalar()
    if busiest is not None:
        page.show_person(busiest)
        _wait_idle(app, runner)
    page.table.setFocus()
    shot(window, "people")

    page.detail.tabs.setCurrentIndex(4)
    shot(window, "person-timeline")
    _edit_dialog(page.detail.timeline_table, page.detail.open_edit_interaction, "edit-interaction", shot)
    page.detail.tabs.setCurrentIndex(1)
    shot(window, "person-networks")
    page.detail.tabs.setCurrentIndex(2)
    shot(window, "person-roles")
    _edit_dialog(page.detail.roles_table, page.detail.open_edit_role, "edit-role", shot)
    page.detail.tabs.setCurrentIndex(page.detail.tabs.indexOf(page.detail.history_view))
    _wait_idle(app, runner)
    shot(window, "person-history")
    page.detail.tabs.setCurrentIndex(0)
    _channel_screens(app, runner, window, db, shot)

    page.filters_button.setChecked(True)
    page.filter_panel.nation_combo.setCurrentText("Scotland")
    page.filter_panel.type_combo.setCurrentText("MSP")
    _wait_idle(app, runner)
    page.save_view("MSPs in Scotland")
    _wait_idle(app, runner)
    shot(window, "people-filters")
    page.filter_panel.clear()
    page.filters_button.setChecked(False)
    page.search_edit.setText("floinn")
    page.apply_filter()
    _wait_idle(app, runner)
    shot(window, "people-search")
    page.search_edit.setText("")
    page.apply_filter()
    _wait_idle(app, runner)

    dialog: QWidget | None = page.detail.open_log_interaction()
    if dialog is not None:
        shot(dialog, "log-interaction")
        dialog.close()
    page.table.selectAll()
    bulk = page.open_bulk_add_to_network()
    if bulk is not None:
        shot(bulk, "bulk-add-to-network")
        bulk.close()
    page.table.clearSelection()

    for key in (
        "organisations",
        "networks",
        "representatives",
        "interactions",
        "events",
        "followups",
        "trash",
    ):
        window.show_page(key)
        _wait_idle(app, runner)
        shot(window, key)
        if key == "interactions":
            _interactions_extras(app, runner, window, shot)
    _event_stations(app, runner, window, shot)
    _network_pages(app, runner, window, db, shot)
    _duplicates_page(app, runner, window, db, shot)
    _privacy_pages(app, runner, window, db, shot)
    window.show_page("people")
    _wait_idle(app, runner)

    def restore_dialog() -> QWidget | None:
        from crm.backups import automatic_backup

        automatic_backup(db, "daily")
        automatic_backup(db, "before importing reception-signups.xlsx")
        return window.open_restore()

    extras: list[tuple[str, Callable[[], QWidget | None]]] = [
        ("import-wizard", lambda: _import_wizard(window, work)),
        ("export-dialog", lambda: window.open_export()),
        ("help", window.open_help),
        ("keyboard-shortcuts", window.open_shortcuts),
        ("preferences", window.open_preferences),
        ("restore-from-backup", restore_dialog),
    ]
    for name, make in extras:
        try:
            widget = make()
        except ModuleNotFoundError:
            continue
        if widget is not None:
            # The export preview starts after a short pause for typing; wait for it to arrive.
            preview = getattr(widget, "preview_updated", None)
            if preview is not None:
                _wait_for(preview)
            _wait_idle(app, runner)
            shot(widget, name)
            if name == "import-wizard":
                _wizard_pages(app, runner, widget, shot)
            widget.close()

    _roster_update(app, runner, window, db, work, shot)
    _correspondence(app, runner, window, work, shot)

    window.close()
    db.dispose()
    if problems:
        raise LayoutProblem("\n".join(problems))
    return written


def _edit_dialog(
    table: Any, open_dialog: Callable[[], QWidget | None], name: str, shot: Callable[[QWidget, str], None]
) -> None:
    """An Edit… form from the person panel, for the first row of its table."""
    if table.rowCount():
        table.setCurrentCell(0, 0)
        dialog = open_dialog()
        if dialog is not None:
            shot(dialog, name)
            dialog.close()


def _interactions_extras(
    app: object, runner: object, window: Any, shot: Callable[[QWidget, str], None]
) -> None:
    """The Interactions page's History tab, its Edit form and the Topics list."""
    page = window.pages.get("interactions")
    if page is None or not hasattr(page, "detail_tabs"):
        return
    page.detail_tabs.setCurrentIndex(1)
    _wait_idle(app, runner)
    shot(window, "interaction-history")
    page.detail_tabs.setCurrentIndex(0)
    from ui.interaction_dialog import InteractionDialog

    if page.model.rowCount():
        dialog = InteractionDialog(runner, (), page, interaction_id=page.model.row_at(0).id)  # type: ignore[arg-type]
        dialog.show()
        shot(dialog, "edit-interaction-from-list")
        dialog.close()
    topics = page.open_topics()
    _wait_for(topics.refreshed)
    _wait_idle(app, runner)
    shot(topics, "topics")
    topics.close()


def _event_stations(app: object, runner: object, window: Any, shot: Callable[[QWidget, str], None]) -> None:
    """The Parliament reception: its stations, who was at Food poverty, follow-ups, and the dialogs."""
    from ui.pages.event_stations import FollowUpDialog, PartDialog

    window.show_page("events")
    _wait_idle(app, runner)
    page = window.pages.get("events")
    if page is None:
        return
    for row in range(page.model.rowCount()):
        if "reception" in str(page.model.row_at(row)[1]):
            page.table.selectRow(row)
    _wait_idle(app, runner)
    page.tabs.setCurrentWidget(page.stations)
    parts = page.stations.parts_model
    page.stations.parts_table.selectRow(max(0, parts.rowCount() - 1))
    _wait_idle(app, runner)
    shot(window, "event-stations")
    page.tabs.setCurrentWidget(page.follow_ups)
    shot(window, "event-follow-ups")
    page.tabs.setCurrentIndex(0)
    shot(window, "event-people")
    part = page.stations.current_part()
    if part is not None:
        dialog = PartDialog(
            {
                "name": part.name,
                "kind": part.kind,
                "topic": part.topic,
                "host": part.host,
                "notes": part.notes,
            },
            window,
        )
        dialog.show()
        shot(dialog, "event-station-dialog")
        dialog.close()
        placed = page.stations.people_model
        noted = [placed.row_at(r) for r in range(placed.rowCount()) if placed.row_at(r)[3]]
        if noted:
            follow = FollowUpDialog([noted[0][2]], part.name, noted[0][3], window)
            follow.show()
            shot(follow, "event-follow-up-dialog")
            follow.close()


def _network_pages(
    app: object, runner: object, window: Any, db: Any, shot: Callable[[QWidget, str], None]
) -> None:
    """The Leadership Network by cohort with its leavers, a rejoined Champion's periods, the
    cohorts-and-groups dialog and the person panel's periods."""
    from sqlalchemy import func, select

    from crm.models import Membership, MembershipPeriod

    window.show_page("networks")
    _wait_idle(app, runner)
    page = window.pages.get("networks")
    if page is None:
        return

    def open_network(name: str) -> None:
        row = next(r for r in range(page.model.rowCount()) if page.model.row_at(r)[1] == name)
        page.table.selectRow(row)
        _wait_idle(app, runner)

    open_network("Kindness Leadership Network")
    page.scope_box.setCurrentIndex(1)  # the first cohort: finished, its leaders have left
    page.show_left.setChecked(True)
    page.members_table.selectRow(0)
    shot(window, "networks-cohort")
    page.show_left.setChecked(False)
    page.scope_box.setCurrentIndex(0)

    open_network("Kindness Innovation Network")
    dialog = page.open_cohorts()
    if dialog is not None:
        _wait_idle(app, runner)
        shot(dialog, "cohorts-and-groups")
        dialog.close()

    open_network("Kindness Champions")
    rejoined = next(
        (r for r in range(page.members_model.rowCount()) if page.members_model.row_at(r)[8] > 1), None
    )
    if rejoined is not None:
        page.members_table.selectRow(rejoined)
        page.members_table.scrollTo(page.members_model.index(rejoined, 0))
    shot(window, "networks-history")

    with db.session() as s:
        person = s.execute(
            select(Membership.person_id)
            .join(MembershipPeriod, MembershipPeriod.membership_id == Membership.id)
            .group_by(Membership.id, Membership.person_id)
            .order_by(func.count().desc(), Membership.person_id)
            .limit(1)
        ).scalar()
    if person is not None:
        window.show_page("people")
        _wait_idle(app, runner)
        people_page = window.people_page
        people_page.show_person(person)
        _wait_idle(app, runner)
        detail = people_page.detail
        detail.tabs.setCurrentIndex(1)
        row = next(
            (
                r
                for r in range(detail.membership_table.rowCount())
                if detail.membership_table.item(r, 0).text() == "Kindness Champions"
            ),
            0,
        )
        detail.membership_table.selectRow(row)
        shot(window, "person-network-periods")
        detail.tabs.setCurrentIndex(0)
    window.show_page("networks")
    _wait_idle(app, runner)


def _channel_screens(
    app: object, runner: object, window: Any, db: Any, shot: Callable[[QWidget, str], None]
) -> None:
    """Every channel: an MSP's emails and offices in the person panel, the dialog adding an
    address, and an organisation's tab of them."""
    from sqlalchemy import select

    from crm.models import ContactPoint, Organisation
    from crm.services import channels

    page = window.people_page
    with db.session() as s:
        msp = s.scalar(
            select(ContactPoint.person_id)
            .where(ContactPoint.label == "Constituency office")
            .order_by(ContactPoint.person_id)
            .limit(1)
        )
        parliament = s.scalar(select(Organisation.id).where(Organisation.name == "Scottish Parliament"))
    if msp is None:
        return
    page.show_person(msp)
    _wait_idle(app, runner)
    editor = page.detail.channel_editor
    page.detail.details_scroll.ensureWidgetVisible(editor, 0, 40)
    editor.table.selectRow(1)
    shot(window, "person-channels")
    dialog = editor.open_add("address")
    dialog.label_combo.setEditText("Home")
    dialog.address_edits["address_line1"].setText("4 Kirk Wynd")
    shot(dialog, "channel-dialog")
    dialog.close()
    page.detail.details_scroll.verticalScrollBar().setValue(0)
    if parliament is not None:
        with db.transaction() as s:
            channels.add_channel(
                s, organisation_id=parliament, kind="phone", value="0131 348 5000", label="Public information"
            )
            channels.add_channel(
                s,
                organisation_id=parliament,
                kind="email",
                value="info@parliament.scot.example",
                label="General enquiries",
            )
        orgs = window.show_page("organisations")
        _wait_idle(app, runner)
        orgs.select_organisation(parliament)
        _wait_idle(app, runner)
        orgs.detail_tabs.setCurrentIndex(1)
        shot(window, "organisation-channels")
        orgs.detail_tabs.setCurrentIndex(0)
        window.show_page("people")
        _wait_idle(app, runner)


def _duplicates_page(
    app: object, runner: object, window: Any, db: Any, shot: Callable[[QWidget, str], None]
) -> None:
    """The Duplicates review, after planting a few look-alikes of sample people (a typed-again
    record with a nickname, another with names swapped, a third copy of one person)."""
    from sqlalchemy import select

    from crm.models import Person
    from crm.services import people

    with db.transaction() as session:
        sample = list(
            session.scalars(
                select(Person)
                .where(Person.email.is_not(None), Person.deleted_at.is_(None))
                .order_by(Person.id)
                .limit(3)
            )
        )
        for n, p in enumerate(sample):
            first, last = p.first_name or "", p.last_name or ""
            if n == 0:  # typed again by someone else, with a personal address
                people.create_person(
                    session, first_name=first, last_name=last.upper(), email=f"{first.lower()}.home@example.org",
                    mobile=p.mobile or "07700 900123", town=p.town, postcode=(p.postcode or "").replace(" ", "") or None,
                )  # fmt: skip
                people.create_person(
                    session,
                    first_name=first[:1] + ".",
                    last_name=last,
                    email=p.email.upper() if p.email else None,
                )
            elif n == 1:  # first and last names swapped on a sign-up sheet
                people.create_person(session, first_name=last, last_name=first, email=p.email, town=p.town)
            else:  # a typo and an old phone format
                people.create_person(
                    session,
                    first_name=first,
                    last_name=last[:-1] + last[-1] * 2,
                    email=p.email,
                    phone=p.phone,
                )
    page = window.show_page("duplicates")
    _wait_for(page.refreshed, 60_000)
    _wait_idle(app, runner)
    shot(window, "duplicates")


def _sample_roster(db: object, path: Path) -> Path:
    """An EveryPolitician-style roster of the sample MSPs a year on: most continue, one changes
    party, two have gone and three are new."""
    import csv
    import datetime as dt

    from sqlalchemy import select

    from crm.db import Database
    from crm.models import ElectedRole, Person

    assert isinstance(db, Database)
    with db.session() as s:
        rows = s.execute(
            select(
                Person.first_name,
                Person.last_name,
                Person.email,
                ElectedRole.party,
                ElectedRole.constituency,
                ElectedRole.region,
            )
            .join(ElectedRole, ElectedRole.person_id == Person.id)
            .where(ElectedRole.chamber == "Scottish Parliament", ElectedRole.end_date.is_(None))
            .order_by(Person.last_name)
        ).all()
    header = [
        "id",
        "name",
        "sort_name",
        "email",
        "twitter",
        "facebook",
        "group",
        "group_id",
        "area_id",
        "area",
        "chamber",
        "term",
        "start_date",
        "end_date",
        "image",
        "gender",
        "wikidata",
        "wikidata_group",
        "wikidata_area",
    ]
    out = []
    for i, (first, last, email, party, constituency, region) in enumerate(rows):
        if i in (1, 4):
            continue  # stood down
        if i == 2:
            out.append(
                [
                    f"sp-{i}",
                    f"{first} {last}",
                    f"{last}, {first}",
                    email or "",
                    "",
                    "",
                    party,
                    "",
                    "",
                    constituency or region,
                    "Scottish Parliament",
                    "6",
                    "2021-05-13",
                    "2025-09-30",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
            party = "Independent"
        out.append(
            [
                f"sp-{i}",
                f"{first} {last}",
                f"{last}, {first}",
                email or "",
                "",
                "",
                party,
                "",
                "",
                constituency or region,
                "Scottish Parliament",
                "6",
                "2021-05-13" if i != 2 else "2025-09-30",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    for j, (name, party, area) in enumerate(
        (
            ("Eilidh Mac an t-Saoir", "Scottish Green Party", "Highlands and Islands"),
            ("Ruaridh Ó Dónaill", "Scottish National Party", "Glasgow Kelvin"),
            ("Siobhán Duncan-Reid", "Scottish Labour", "Lothian"),
        )
    ):
        out.append(
            [
                f"new-{j}",
                name,
                "",
                "",
                "",
                "",
                party,
                "",
                "",
                area,
                "Scottish Parliament",
                "6",
                (dt.date.today() - dt.timedelta(days=40 + j)).isoformat(),
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(out)
    return path


def _roster_update(
    app: object, runner: object, window: object, db: object, work: Path, shot: Callable[[QWidget, str], None]
) -> None:
    """The Update representatives dialog's three steps, and the Representatives page after it."""
    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    roster = _sample_roster(db, work / "msps-term-6.csv")
    dialog = window.open_roster_update()
    if dialog is None:
        return
    from ui.roster_dialog import RosterDialog

    assert isinstance(dialog, RosterDialog)
    dialog.resize(900, 620)
    dialog.path_edit.setText(str(roster))
    shot(dialog, "roster-update-choose")
    dialog.check()
    _wait_idle(app, runner)
    shot(dialog, "roster-update-review")
    dialog.apply()
    _wait_idle(app, runner)
    shot(dialog, "roster-update-result")
    dialog.close()
    window.show_page("representatives")
    _wait_idle(app, runner)
    page = window.pages["representatives"]
    page.show_former.setChecked(True)  # type: ignore[attr-defined]
    _wait_idle(app, runner)
    shot(window, "representatives-former")


def _correspondence(
    app: object, runner: object, window: object, work: Path, shot: Callable[[QWidget, str], None]
) -> None:
    """Letters and labels (before and after making letters), dropped emails, the email list."""
    from email.message import EmailMessage

    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    from ui.correspondence import EmailListDialog, LettersDialog
    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    doc = Document()
    for name in ("Address_block", "Formal_salutation"):
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), f" MERGEFIELD {name} ")
        run, text = OxmlElement("w:r"), OxmlElement("w:t")
        text.text = f"«{name}»"
        run.append(text)
        field.append(run)
        doc.add_paragraph()._p.append(field)
    template = work / "Winter reception invitation.docx"
    doc.save(str(template))
    letters = window.open_letters()
    assert isinstance(letters, LettersDialog)
    letters.set_template(str(template))
    _wait_idle(app, runner)
    shot(letters, "letters-dialog")
    letters.make_into(str(work / "letters.docx"))
    _wait_idle(app, runner)
    shot(letters, "letters-dialog-made")
    letters.close()

    msg = EmailMessage()
    msg["From"] = "Morven Achnacarry <morven@example.org>"
    with runner.db.session() as session:  # type: ignore[attr-defined]
        from sqlalchemy import select

        from crm.models import Person

        known = session.scalars(select(Person.email).where(Person.email.is_not(None)).limit(1)).first()
    msg["To"] = f"{known}, Dafydd Pritchard <dafydd@example.org>"
    msg["Subject"] = "Kindness in public policy: next steps"
    msg["Message-ID"] = "<screenshot@example.org>"
    msg.set_content("Thank you for the meeting on Tuesday.")
    path = work / "next steps.eml"
    path.write_bytes(bytes(msg))
    window.log_emails([str(path)])
    _wait_idle(app, runner)
    dialog = window.active_dialog
    if dialog is not None:
        shot(dialog, "emails-logged")
        dialog.close()
    addresses = [f"person{i}@example.org" for i in range(120)]
    email_list = EmailListDialog(addresses, window)
    email_list.show()
    shot(email_list, "email-list")
    email_list.close()


def _privacy_pages(
    app: object, runner: object, window: object, db: object, shot: Callable[[QWidget, str], None]
) -> None:
    """The Suppression list and Due for review pages (sample people aged so some are due), an
    organisation's History tab and the erasure confirmation."""
    import datetime as dt

    from sqlalchemy import update

    from crm.models import Person

    from ui.main_window import MainWindow
    from ui.privacy_actions import EraseDialog

    assert isinstance(window, MainWindow)
    with db.transaction() as session:  # type: ignore[attr-defined]
        session.execute(update(Person).values(created_at=dt.datetime(2019, 4, 1, tzinfo=dt.UTC)))
    window.show_page("suppression")
    _wait_idle(app, runner)
    shot(window, "suppression")
    window.show_page("retention")
    _wait_idle(app, runner)
    shot(window, "retention")
    orgs = window.show_page("organisations")
    _wait_idle(app, runner)
    orgs.table.selectRow(0)  # type: ignore[attr-defined]
    _wait_idle(app, runner)
    orgs.detail_tabs.setCurrentIndex(1)  # type: ignore[attr-defined]
    shot(window, "organisation-history")
    dialog = EraseDialog(["Morven Achnacarry"], window)
    dialog.reason_edit.setText("Erasure request by email of 3 May")
    dialog.confirm_edit.setText("ERASE")
    dialog.show()
    shot(dialog, "erase-person")
    dialog.close()


class LayoutProblem(Exception):
    """Something on a screen does not fit (``render(check=True)``)."""


def _wizard_pages(app: object, runner: object, wizard: object, shot: Callable[[QWidget, str], None]) -> None:
    """The import wizard's pages up to the dry-run summary (nothing is imported)."""
    from PySide6.QtWidgets import QWizard

    assert isinstance(wizard, QWizard)
    for page in WIZARD_PAGES:
        if not wizard.currentPage().isComplete():
            _wait_idle(app, runner)
        wizard.next()
        _wait_idle(app, runner)
        consent = getattr(wizard.currentPage(), "consent_box", None)
        if page == "mapping" and consent is not None:
            consent.setChecked(True)  # show the consent-from-a-column choice filled in
            consent.purpose_combo.setCurrentText("newsletter")
            _settle(app)
        shot(wizard, f"import-wizard-{page}")


def _import_wizard(window: object, work: Path) -> QWidget | None:
    import importlib.util

    if importlib.util.find_spec("ui.import_wizard") is None:
        raise ModuleNotFoundError("ui.import_wizard")
    import csv

    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    sheet = work / "contacts.csv"
    with sheet.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(SAMPLE_SHEET)
    return window.open_import(str(sheet))


SIZES = ("1280x800", "1920x1080")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render Kindred's main screens to PNG files.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument(
        "--size",
        action="append",
        help="screen size, WIDTHxHEIGHT (repeatable; default: 1280x800 and 1920x1080, each in a folder of its own)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=None,
        help="display scaling, e.g. 1.25 or 1.5 (QT_SCALE_FACTOR): the window is the screen size divided by it",
    )
    parser.add_argument("--dark", action="store_true", help="render with a dark palette")
    parser.add_argument(
        "--check", action="store_true", help="check the layout too; exit 1 naming what does not fit"
    )
    args = parser.parse_args(argv)
    if args.scale:
        os.environ["QT_SCALE_FACTOR"] = str(args.scale)  # before the QApplication exists
    sizes = args.size or list(SIZES)
    failed = False
    for size in sizes:
        width, height = (int(v) for v in size.lower().split("x"))
        if args.scale:
            width, height = round(width / args.scale), round(height / args.scale)
        outdir = args.outdir / size if len(sizes) > 1 else args.outdir
        try:
            for path in render(outdir, width, height, dark=args.dark, check=args.check):
                print(path)
        except LayoutProblem as exc:
            print(exc, file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
