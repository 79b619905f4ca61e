"""Edit → Preferences: the user's name is recorded wherever a person's name is, the default nation
fills new records, and dates follow the chosen format."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from crm import audit
from crm.models import AuditEntry

from ui import preferences
from ui.preferences import PreferencesDialog


def _choose(main_window: Any, name: str, nation: str, date_format: str) -> None:
    dialog = main_window.open_preferences()
    assert isinstance(dialog, PreferencesDialog)
    dialog.name_edit.setText(name)
    dialog.nation_combo.setCurrentIndex(dialog.nation_combo.findData(nation))
    dialog.date_combo.setCurrentIndex(dialog.date_combo.findData(date_format))
    dialog.accept()


def test_preferences_are_in_the_edit_menu(main_window: Any) -> None:
    texts = [a.text() for a in main_window.menuBar().actions()[1].menu().actions()]
    assert "&Preferences…" in texts


def test_your_name_is_recorded_instead_of_the_login(qtbot: Any, main_window: Any) -> None:
    _choose(main_window, "Morven Ross", "Scotland", "d mmm yyyy")
    detail = main_window.people_page.detail
    qtbot.waitUntil(lambda: detail.person_id is not None, timeout=10_000)
    dialog = detail.open_log_interaction()
    assert dialog is not None
    assert dialog.owner_edit.text() == "Morven Ross"
    dialog.subject_edit.setText("Call about the reception")
    with qtbot.waitSignal(detail.interaction_logged, timeout=10_000):
        dialog.save_button.click()
    with main_window.db.session() as session:
        latest = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert latest is not None and latest.user == "Morven Ross"
    # Kept for next time.
    assert preferences.load().user_name == "Morven Ross"


def test_default_nation_and_date_format(qtbot: Any, main_window: Any) -> None:
    _choose(main_window, "", "Wales", "yyyy-mm-dd")
    main_window.new_person_action.trigger()
    detail = main_window.people_page.detail
    assert detail.nation_combo.currentText() == "Wales"
    assert not detail.is_dirty()  # nothing typed yet: leaving asks nothing
    assert preferences.format_date(dt.date(2026, 3, 4)) == "2026-03-04"
    assert preferences.qt_date_format() == "yyyy-MM-dd"
    _choose(main_window, "", "", "d mmm yyyy")
    assert preferences.format_date(dt.date(2026, 3, 4)) == "4 Mar 2026"
    # A blank name goes back to the login name.
    assert audit.current_user() != ""
