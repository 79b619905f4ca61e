"""The people table model: ids in SQL order, rows fetched lazily, sorting and search in SQL."""

from __future__ import annotations

from typing import Any

import pytest

from PySide6.QtCore import Qt

from crm import filters
from crm.filters import PersonFilter

from ui.people.people_model import PAGE_SIZE, PERSON_ID_ROLE, PeopleModel
from ui.tasks import TaskRunner


def _loaded(qtbot: Any, model: PeopleModel, action: Any) -> None:
    with qtbot.waitSignal(model.ids_loaded, timeout=10_000):
        action()


def test_model_passes_qt_model_tester(qtmodeltester: Any, demo_runner: TaskRunner) -> None:
    model = PeopleModel(demo_runner)
    model.reload_now()
    assert model.rowCount() > 100
    qtmodeltester.check(model, force_py=True)


def test_rows_come_from_sql_in_name_order(demo_runner: TaskRunner) -> None:
    model = PeopleModel(demo_runner, ["name", "email"])
    model.reload_now()
    with demo_runner.db.session() as session:
        expected = filters.person_ids(session, PersonFilter())
        first = filters.list_rows(session, expected[:1], ["email"])[expected[0]]
    assert model.ids() == expected
    assert model.data(model.index(0, 1)) == (first[0] or "")
    assert model.data(model.index(0, 0), PERSON_ID_ROLE) == expected[0]
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Email"


def test_only_the_pages_looked_at_are_fetched(qtbot: Any, demo_runner: TaskRunner) -> None:
    model = PeopleModel(demo_runner)
    model.reload_now()
    assert model.queries == 0  # nothing read until a row is shown
    model.data(model.index(0, 0))
    model.data(model.index(5, 1))
    assert model.queries == 1
    model.data(model.index(min(PAGE_SIZE, model.rowCount() - 1), 0))
    assert model.queries <= 2


def test_sort_requeries_in_sql(qtbot: Any, demo_runner: TaskRunner) -> None:
    model = PeopleModel(demo_runner, ["name", "town"])
    model.reload_now()
    _loaded(qtbot, model, lambda: model.sort(1, Qt.SortOrder.DescendingOrder))
    towns = [model.data(model.index(r, 1)) for r in range(model.rowCount())]
    filled = [t for t in towns if t]
    assert filled == sorted(filled, reverse=True)
    assert towns[-1] == "" or all(towns)  # people without a town come last


def test_search_ranks_and_ignores_accents(qtbot: Any, demo_runner: TaskRunner) -> None:
    model = PeopleModel(demo_runner, ["name"])
    model.reload_now()
    everyone = model.rowCount()
    _loaded(qtbot, model, lambda: model.set_filter(PersonFilter(text="o floinn")))
    names = [model.data(model.index(r, 0)) for r in range(model.rowCount())]
    assert 0 < len(names) < everyone
    assert all("Floinn" in n or "floinn" in n.lower() for n in names[:1])
    assert model.sort_key == "rank"


def test_columns_can_be_chosen(demo_runner: TaskRunner) -> None:
    model = PeopleModel(demo_runner, ["name"])
    model.reload_now()
    model.set_columns(["name", "postcode", "nation"])
    assert model.columnCount() == 3
    assert model.headerData(2, Qt.Orientation.Horizontal) == "Nation"
    assert model.data(model.index(0, 2)) in {"England", "Scotland", "Wales", "Northern Ireland", ""}


def test_first_screen_shows_before_the_full_list(
    qtbot: Any, demo_runner: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.people.people_model as people_model

    monkeypatch.setattr(people_model, "FIRST_SCREEN", 20)
    model = PeopleModel(demo_runner, ["name"])
    screens: list[int] = []
    model.first_screen_loaded.connect(lambda n: screens.append(model.rowCount()))
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    _loaded(qtbot, model, model.reload)
    assert screens == [20]
    assert inserted == [(20, model.rowCount() - 1)]  # grown in place: selection and scroll stay
    with demo_runner.db.session() as session:
        assert model.ids() == filters.person_ids(session, PersonFilter())


def test_search_and_sort_on_every_database(qtbot: Any, qapp: Any, db: Any) -> None:
    """SQLite and, when configured, PostgreSQL: the list's queries are portable."""
    from crm import demo

    with db.transaction() as session:
        demo.load_sample_data(session)
    runner = TaskRunner(db)
    try:
        model = PeopleModel(runner, ["name", "town"])
        _loaded(qtbot, model, model.reload)
        everyone = model.rowCount()
        _loaded(qtbot, model, lambda: model.set_filter(PersonFilter(text="floinn")))
        assert 0 < model.rowCount() < everyone
        assert all("Floinn" in model.data(model.index(r, 0)) for r in range(model.rowCount()))
        _loaded(qtbot, model, lambda: model.set_filter(PersonFilter()))
        _loaded(qtbot, model, lambda: model.sort(1, Qt.SortOrder.AscendingOrder))
        towns = [t for t in (model.data(model.index(r, 1)) for r in range(model.rowCount())) if t]
        assert towns == sorted(towns)
    finally:
        runner.wait_for_all()
        qapp.processEvents()


def test_a_search_paints_its_first_screen_from_rows_fetched_with_it(
    qtbot: Any, demo_runner: TaskRunner
) -> None:
    """The rows a keystroke's first paint shows come with its ids, from the worker: painting them
    asks the database nothing on the GUI thread (what kept a one-letter search over 50 ms)."""
    from ui.people.people_model import PREFETCH_ROWS

    model = PeopleModel(demo_runner, ["name", "email"])
    _loaded(qtbot, model, lambda: model.set_filter(PersonFilter(text="a")))
    assert model.rowCount() > 1
    shown = min(model.rowCount(), PREFETCH_ROWS)
    names = [model.data(model.index(row, 0)) for row in range(shown)]
    assert model.queries == 0
    with demo_runner.db.session() as session:
        expected = filters.list_rows(session, model.ids()[:shown], ["name", "email"])
    assert all(names)
    assert [model.data(model.index(r, 1)) for r in range(shown)] == [
        expected[pid][1] or "" for pid in model.ids()[:shown]
    ]
    assert model.queries == 0
