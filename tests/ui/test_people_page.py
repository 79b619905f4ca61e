"""Everyday work in the people list: search, filter, save a view, bulk actions, delete, restore, undo."""

from __future__ import annotations

from typing import Any

import pytest

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QDialog

from crm.filters import PersonFilter, count_people
from crm.models import Membership, Person
from crm.services import networks, tags, views

from ui import dialogs


def _page(main_window: Any) -> Any:
    main_window.show_page("people")  # a database with people opens on the dashboard
    return main_window.people_page


def _select_rows(page: Any, rows: list[int]) -> None:
    selection = page.table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(
            page.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def test_search_as_you_type_updates_list_and_count(qtbot: Any, main_window: Any) -> None:
    page = _page(main_window)
    everyone = page.model.rowCount()
    assert page.count_label.text() == f"{everyone:,} people"
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        qtbot.keyClicks(page.search_edit, "floinn")
    matches = page.model.rowCount()
    assert 0 < matches < everyone
    assert page.count_label.text().startswith(f"{matches:,} ")
    assert "Floinn" in page.model.data(page.model.index(0, 0))
    # The panel follows the first match (just after the list has painted).
    qtbot.waitUntil(lambda: page.detail.edits["last_name"].text() == "Ó Floinn", timeout=5_000)


def test_filter_by_nation_matches_the_core_count(qtbot: Any, main_window: Any) -> None:
    page = _page(main_window)
    page.filters_button.setChecked(True)
    assert page.filter_scroll.isVisible()
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        page.filter_panel.nation_combo.setCurrentText("Wales")
    with main_window.db.session() as session:
        expected = count_people(session, PersonFilter(nation="Wales"))
    assert page.model.rowCount() == expected > 0
    assert page.filters_button.text() == "Filters (1)"
    page.model.set_columns(["name", "nation"])
    assert {page.model.data(page.model.index(r, 1)) for r in range(page.model.rowCount())} == {"Wales"}


def test_filter_by_network_role_and_tag(qtbot: Any, main_window: Any) -> None:
    page = _page(main_window)
    page.filters_button.setChecked(True)
    panel = page.filter_panel
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        panel.network_combo.setCurrentText("Kindness Leadership Network")
    with main_window.db.session() as session:
        expected = count_people(session, PersonFilter(network="Kindness Leadership Network"))
    assert page.model.rowCount() == expected > 0


def test_save_a_view_and_open_it_from_the_sidebar(qtbot: Any, main_window: Any) -> None:
    page = _page(main_window)
    page.filters_button.setChecked(True)
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        page.filter_panel.nation_combo.setCurrentText("Scotland")
    scotland = page.model.rowCount()
    dialog = page.open_save_view()
    dialog.findChild(type(page.search_edit)).setText("People in Scotland")
    with qtbot.waitSignal(page.views_changed, timeout=10_000):
        dialog.accept()
    with main_window.db.session() as session:
        assert views.view_filter(session, "People in Scotland").nation == "Scotland"
    items = [main_window.sidebar.item(i).text().strip() for i in range(main_window.sidebar.count())]
    assert "People in Scotland" in items

    # Clear the filters, then open the view from the sidebar.
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        page.filter_panel.clear()
    assert page.model.rowCount() > scotland
    row = items.index("People in Scotland")
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        main_window.sidebar.setCurrentRow(row)
    assert page.model.rowCount() == scotland
    assert page.filter_panel.nation_combo.currentText() == "Scotland"


def test_bulk_add_to_network(qtbot: Any, main_window: Any) -> None:
    page = _page(main_window)
    _select_rows(page, [0, 1, 2])
    chosen = page.selected_ids()
    assert len(chosen) == 3
    assert page.actions_button.text() == "Actions (3)"
    dialog = page.open_bulk_add_to_network()
    assert dialog is not None
    combos = dialog.findChildren(type(page.filter_panel.network_combo))
    combos[0].setCurrentText("Reception 2026 guests")
    combos[1].setCurrentText("champion")
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        dialog.accept()
    with main_window.db.session() as session:
        net = networks.network_by_name(session, "Reception 2026 guests")
        rows = session.query(Membership.person_id, Membership.role).filter_by(network_id=net.id).all()
    assert sorted(r[0] for r in rows) == sorted(chosen)
    assert {r[1] for r in rows} == {"champion"}


def test_bulk_tag_then_untag(qtbot: Any, main_window: Any) -> None:
    page = _page(main_window)
    _select_rows(page, [3, 4])
    chosen = page.selected_ids()
    dialog = page.open_bulk_tag()
    dialog.findChild(type(page.filter_panel.tag_combo)).setCurrentText("summit 2027")
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        dialog.accept()
    with main_window.db.session() as session:
        assert all("summit 2027" in tags.tags_of(session, pid) for pid in chosen)
    _select_rows(page, [page.model.row_of(pid) for pid in chosen])
    dialog = page.open_bulk_untag()
    combo = dialog.findChild(type(page.filter_panel.tag_combo))
    combo.setCurrentText("summit 2027")
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        dialog.accept()
    with main_window.db.session() as session:
        assert not any("summit 2027" in tags.tags_of(session, pid) for pid in chosen)


def test_bulk_log_one_interaction_for_all(qtbot: Any, main_window: Any) -> None:
    page = _page(main_window)
    _select_rows(page, [0, 2])
    chosen = page.selected_ids()
    dialog = page.open_bulk_interaction()
    assert dialog.participant_ids() == chosen
    dialog.subject_edit.setText("Round-table on kindness in housing")
    with qtbot.waitSignal(dialog.logged, timeout=10_000):
        dialog.save_button.click()
    from crm.services import interactions

    with main_window.db.session() as session:
        for pid in chosen:
            assert interactions.timeline(session, pid)[0].subject == "Round-table on kindness in housing"


def test_delete_then_undo_restores(qtbot: Any, main_window: Any) -> None:
    page = _page(main_window)
    before = page.model.rowCount()
    _select_rows(page, [0, 1])
    chosen = page.selected_ids()
    page.table.setFocus()
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        main_window.trash_action.trigger()
    assert page.model.rowCount() == before - 2
    assert page.count_label.text() == f"{before - 2:,} people"
    with main_window.db.session() as session:
        assert all(session.get(Person, pid).deleted_at is not None for pid in chosen)
    # Ctrl+Z brings them back from the Trash.
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        main_window.undo_action.trigger()
    assert page.model.rowCount() == before
    with main_window.db.session() as session:
        assert all(session.get(Person, pid).deleted_at is None for pid in chosen)


def test_many_people_to_trash_asks_first(
    qtbot: Any, main_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _page(main_window)
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, _t, q, **_k: asked.append(q) or False)
    page.table_select_all()
    assert page.trash_selected() is None
    assert asked and "people to the Trash" in asked[0]
    assert page.model.rowCount() > 100


def test_trashed_people_listed_with_in_trash_filter(qtbot: Any, main_window: Any) -> None:
    page = _page(main_window)
    _select_rows(page, [0])
    gone = page.selected_ids()
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        page.trash_selected()
    page.filters_button.setChecked(True)
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        page.filter_panel.in_trash_check.setChecked(True)
    assert page.model.ids() == gone


def test_column_chooser_and_sorting(qtbot: Any, main_window: Any) -> None:
    page = _page(main_window)
    page._fill_columns_menu()
    labels = [a.text() for a in page.columns_menu.actions() if a.isCheckable()]
    assert "Postcode" in labels
    postcode = next(a for a in page.columns_menu.actions() if a.text() == "Postcode")
    postcode.setChecked(True)
    assert "postcode" in page.model.columns
    column = page.model.columns.index("postcode")
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        page.table.horizontalHeader().setSortIndicator(column, Qt.SortOrder.AscendingOrder)
    values = [page.model.data(page.model.index(r, column)) for r in range(page.model.rowCount())]
    filled = [v for v in values if v]
    assert filled == sorted(filled)


def test_dialog_cancel_changes_nothing(qtbot: Any, main_window: Any) -> None:
    page = _page(main_window)
    _select_rows(page, [0])
    dialog = page.open_bulk_tag()
    dialog.reject()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert not main_window.runner.busy


def test_one_letter_searches_as_you_type(qtbot: Any, main_window: Any) -> None:
    page = _page(main_window)
    everyone = page.model.rowCount()
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        qtbot.keyClicks(page.search_edit, "z")
    matches = page.model.rowCount()
    assert 0 < matches < everyone
    with main_window.db.session() as session:
        assert matches == count_people(session, PersonFilter(text="z"))
    # Enter still searches at once.
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)
    assert page.model.rowCount() == matches


def test_bulk_add_to_an_event(qtbot: Any, main_window: Any) -> None:
    from crm.services import events

    page = _page(main_window)
    _select_rows(page, [5, 6, 7])
    chosen = page.selected_ids()
    dialog = page.open_bulk_event()
    combos = dialog.findChildren(type(page.filter_panel.network_combo))
    event_id = combos[0].currentData()
    combos[1].setCurrentText("attended")
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        dialog.accept()
    with main_window.db.session() as session:
        statuses = {pid: status for _a, pid, _n, status, _notes in events.attendance(session, event_id)}
    assert all(statuses[pid] == "attended" for pid in chosen)


def test_no_sort_arrow_over_results_ranked_by_relevance(qtbot: Any, main_window: Any) -> None:
    page = _page(main_window)
    header = page.table.horizontalHeader()
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
    page.model._user_sorted = False  # as after start-up: name order, nothing chosen
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        qtbot.keyClicks(page.search_edit, "floinn")
    assert header.sortIndicatorSection() == -1
    assert page.model.ranked
    # Choosing a column sorts the results by it, and then the arrow says so.
    with qtbot.waitSignal(page.model.ids_loaded, timeout=10_000):
        header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)
    assert not page.model.ranked
    assert header.sortIndicatorSection() == 0
