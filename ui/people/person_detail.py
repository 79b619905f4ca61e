"""The person panel beside the list: every field editable, validated as you go, saved explicitly.

Edits stay in the form until Save (Ctrl+S). Leaving a person with unsaved edits asks
Save / Discard / Cancel through :mod:`ui.dialogs`, so nothing is lost silently. Memberships, elected
roles and consent records are changed with their own buttons, each one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from PySide6.QtCore import QDate, QStringListModel, Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateEdit,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from crm import versions
from crm.errors import StaleEdit, UserError, ValidationError
from crm.models import (
    CHAMBERS,
    CONSENT_PURPOSES,
    LAWFUL_BASES,
    MEMBERSHIP_ROLES,
    MEMBERSHIP_STATUSES,
    NATIONS,
    PERSON_FIELD_LABELS,
    PERSON_FIELDS,
    Organisation,
    Person,
    StakeholderType,
)
from crm.roster import current
from crm.services import cohorts, consent, interactions, membership_periods, networks, people, roles
from crm.validation import normalise_email, normalise_phone, normalise_postcode

from ui import dialogs, preferences
from ui.channels import ChannelEditor
from ui.dialogs import ERROR_STYLE, FormDialog
from ui.pages.history_view import HistoryView
from ui.privacy_actions import start_erasure, start_subject_access
from ui.tasks import Task, TaskContext, TaskRunner, emit
from ui.undo import CreatePersonCommand, EditPersonCommand, Snapshot, apply_snapshot, person_snapshot
from ui.widgets import align_form_labels, compact_combos

_TEXT_FIELDS = tuple(
    f for f in PERSON_FIELDS if f not in ("notes", "do_not_contact", "email_opt_out", "post_opt_out")
)
_BOOL_FIELDS = ("do_not_contact", "email_opt_out", "post_opt_out")
TITLES = ("", "Ms", "Mr", "Mrs", "Miss", "Mx", "Dr", "Prof", "Cllr", "Rev", "Sir", "Dame", "Lord", "Baroness")


def _date_text(value: dt.date | None) -> str:
    return preferences.format_date(value) if value else ""


def _pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def _table(headers: list[str], name: str, empty: str = "") -> QTableWidget:
    """A read-only table; ``empty`` is shown instead while it has no rows."""
    table = QTableWidget(0, len(headers))
    table.setProperty("emptyText", empty)
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(name)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    header = table.horizontalHeader()
    # Every column as wide as its text ("Pentlands", never "P…"); the last takes what is left. In
    # a narrow panel the table scrolls sideways rather than cutting a value short.
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    table.setAlternatingRowColors(True)
    return table


def _with_empty_note(table: QTableWidget) -> QStackedWidget:
    """The table, or a short note saying there is nothing yet."""
    stack = QStackedWidget()
    stack.addWidget(table)
    note = QLabel(str(table.property("emptyText") or ""))
    note.setAlignment(Qt.AlignmentFlag.AlignCenter)
    note.setWordWrap(True)
    stack.addWidget(note)
    table.setProperty("stack", stack)
    return stack


def _cell(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    item = table.item(row, column)
    assert item is not None  # every cell is filled by _fill
    return item


def _fill(table: QTableWidget, rows: list[tuple[Any, list[str]]]) -> None:
    table.setRowCount(len(rows))
    stack = table.property("stack")
    if isinstance(stack, QStackedWidget):
        stack.setCurrentIndex(0 if rows else 1)
    for r, (key, values) in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setData(Qt.ItemDataRole.UserRole, key)
            table.setItem(r, c, item)


def optional_date(edit: QDateEdit) -> dt.date | None:
    if edit.specialValueText() and edit.date() == edit.minimumDate():
        return None
    return _pydate(edit.date())


def _merge_links(session: Any, person_id: int, before: Snapshot, snap: Snapshot) -> Snapshot:
    """The form's tags and types as changes (added, removed) on top of what is stored now, so a
    tag or type given by a bulk action or import since the form was shown is kept, not undone."""
    from crm.services import tags as tag_service

    now_tags = tag_service.tags_of(session, person_id)
    shown_tags = {t.lower() for t in before.get("tags") or []}
    form_tags = [t.strip() for t in snap.get("tags") or [] if t.strip()]
    form_lower = {t.lower() for t in form_tags}
    removed = shown_tags - form_lower
    added = [t for t in form_tags if t.lower() not in shown_tags]
    tags_out = [t for t in now_tags if t.lower() not in removed] + added

    now_types = {t.type for t in people.get_person(session, person_id).types}
    shown_types = set(before.get("types") or [])
    form_types = set(snap.get("types") or [])
    types_out = sorted((now_types - (shown_types - form_types)) | (form_types - shown_types))
    return {**snap, "tags": tags_out, "types": types_out}


class PersonDetail(QWidget):
    """Edits one person. ``load(None)`` starts a new person.

    Signals:
        person_saved(int): saved (created or edited); carries the id.
        dirty_changed(bool): the form has (or no longer has) unsaved edits.
        interaction_logged(int): an interaction was logged from here.
        related_changed(int): memberships, roles or consent of the person changed.
    """

    person_saved = Signal(int)
    dirty_changed = Signal(bool)
    interaction_logged = Signal(int)
    related_changed = Signal(int)
    find_duplicates_requested = Signal(int)
    person_erased = Signal(int)

    def __init__(
        self, runner: TaskRunner, undo_stack: QUndoStack | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.undo_stack = undo_stack
        self.person_id: int | None = None
        self._loaded: Snapshot = {}
        self._loaded_org_name = ""
        # The record's version when it was shown: saving refuses to overwrite a later change.
        self._loaded_version: int | None = None
        self._loading = False
        self._dirty = False
        self._saving = False
        self.active_dialog: QDialog | None = None
        self.edits: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        self._build()
        self.load(None)

    # --- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.heading = QLabel()
        self.heading.setObjectName("personHeading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subheading = QLabel()
        self.subheading.setWordWrap(True)
        self.save_button = QPushButton("Save")
        self.save_button.setToolTip("Save changes (Ctrl+S)")
        self.save_button.setAccessibleName("Save person")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setAccessibleName("Discard changes")
        self.revert_button.clicked.connect(self.discard)
        self.log_button = QPushButton("Log interaction…")
        self.log_button.setAccessibleName("Log interaction with this person")
        self.log_button.clicked.connect(self.open_log_interaction)
        self.duplicates_button = QPushButton("Find duplicates")
        self.duplicates_button.setToolTip("Find duplicates of this person")
        self.duplicates_button.setAccessibleName("Find duplicates of this person")
        self.duplicates_button.clicked.connect(self._find_duplicates)
        # "MSP for Glasgow Kelvin (SNP)" or "Former MSP": what they are now, from their roles.
        self.standing_label = QLabel()
        self.standing_label.setObjectName("personStanding")
        self.standing_label.setWordWrap(True)
        self.standing_label.setAccessibleName("Elected office")
        self.standing_label.setVisible(False)
        head_text = QVBoxLayout()
        head_text.addWidget(self.heading)
        head_text.addWidget(self.standing_label)
        head_text.addWidget(self.subheading)
        # Name and standing on top, Revert and Save beside them; the actions on a row of their own
        # below, so that the panel stays as narrow as its tabs at 1280×800.
        top = QHBoxLayout()
        top.addLayout(head_text, 1)
        top.addWidget(self.revert_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)
        actions = QHBoxLayout()
        actions.addWidget(self.log_button)
        actions.addWidget(self.duplicates_button)
        actions.addWidget(self._build_privacy_button())
        actions.addStretch(1)
        header = QVBoxLayout()
        header.addLayout(top)
        header.addLayout(actions)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        # Every tab always in view: the panel is never narrower than its tabs (no scroll arrows).
        self.tabs.setUsesScrollButtons(False)
        self.tabs.addTab(self._build_details(), "Details")
        self.tabs.addTab(self._build_networks(), "Networks")
        self.tabs.addTab(self._build_roles(), "Roles")
        self.tabs.addTab(self._build_consent(), "Consent")
        self.tabs.addTab(self._build_timeline(), "Timeline")
        self.history_view = HistoryView(self.runner, "person")
        self.tabs.addTab(self.history_view, "History")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)

    def _line(self, key: str, form: QFormLayout, *, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(key)
        edit.setAccessibleName(PERSON_FIELD_LABELS[key])
        edit.setPlaceholderText(placeholder)
        edit.textEdited.connect(self._mark_dirty)
        self.edits[key] = edit
        form.addRow(f"{PERSON_FIELD_LABELS[key]}", edit)
        if key in ("email", "phone", "mobile", "postcode"):
            error = QLabel()
            error.setObjectName("fieldError")
            error.setStyleSheet(ERROR_STYLE)
            error.setWordWrap(True)
            error.hide()
            self.errors[key] = error
            form.addRow("", error)
            edit.editingFinished.connect(lambda k=key: self.validate_field(k))
        return edit

    def _build_details(self) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)

        who = QGroupBox("Person")
        form = QFormLayout(who)
        self.title_combo = QComboBox()
        self.title_combo.setEditable(True)
        self.title_combo.addItems(TITLES)
        self.title_combo.setAccessibleName("Title")
        self.title_combo.editTextChanged.connect(self._mark_dirty)
        form.addRow("Title", self.title_combo)
        for key in ("first_name", "last_name", "preferred_name", "post_nominals", "pronouns", "job_title"):
            self._line(key, form)
        self.organisation_edit = QLineEdit()
        self.organisation_edit.setAccessibleName("Organisation")
        self.organisation_edit.setPlaceholderText("Type to find an organisation, or a new name to create it")
        self.organisation_edit.textEdited.connect(self._mark_dirty)
        self.organisation_edit.textChanged.connect(self._organisation_hint)
        self._org_model = QStringListModel(self)
        completer = QCompleter(self._org_model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.organisation_edit.setCompleter(completer)
        completer.activated.connect(lambda _text: self._mark_dirty())
        self.organisation_note = QLabel()
        self.organisation_note.hide()
        form.addRow("Organisation", self.organisation_edit)
        form.addRow("", self.organisation_note)

        contact = QGroupBox("Contact (preferred)")
        cform = QFormLayout(contact)
        self._line("email", cform, placeholder="e.g. name@example.org")
        self._line("phone", cform, placeholder="e.g. 0131 496 0000")
        self._line("mobile", cform, placeholder="e.g. 07700 900000")

        address = QGroupBox("Address (preferred)")
        aform = QFormLayout(address)
        for key in ("address_line1", "address_line2", "address_line3", "town", "postcode", "country"):
            self._line(key, aform)
        self.nation_combo = QComboBox()
        self.nation_combo.setEditable(True)
        self.nation_combo.addItems(["", *NATIONS])
        self.nation_combo.setAccessibleName("Nation")
        self.nation_combo.editTextChanged.connect(self._mark_dirty)
        aform.addRow("Nation", self.nation_combo)
        self._line("region", aform)

        kinds = QGroupBox("Stakeholder types")
        grid = QGridLayout(kinds)
        self.type_checks: dict[str, QCheckBox] = {}
        for i, kind in enumerate(StakeholderType):
            check = QCheckBox(kind.label)
            check.setAccessibleName(f"Stakeholder type {kind.label}")
            check.toggled.connect(self._mark_dirty)
            self.type_checks[kind.value] = check
            # Two columns, so the form fits a narrow panel (1280 × 800 with the filters open).
            grid.addWidget(check, i // 2, i % 2)

        prefs = QGroupBox("Tags and communication")
        pform = QFormLayout(prefs)
        self.tags_edit = QLineEdit()
        self.tags_edit.setAccessibleName("Tags")
        self.tags_edit.setPlaceholderText("Comma-separated, e.g. newsletter, reception 2026")
        self.tags_edit.textEdited.connect(self._mark_dirty)
        pform.addRow("Tags", self.tags_edit)
        self.bool_checks: dict[str, QCheckBox] = {}
        checks = QGridLayout()
        for i, (key, label) in enumerate(
            (
                ("do_not_contact", "Do not contact"),
                ("email_opt_out", "No email"),
                ("post_opt_out", "No post"),
            )
        ):
            check = QCheckBox(label)
            check.setAccessibleName(label)
            check.toggled.connect(self._mark_dirty)
            self.bool_checks[key] = check
            checks.addWidget(check, i // 2, i % 2)
        checks.setColumnStretch(2, 1)
        pform.addRow("Preferences", checks)

        other = QGroupBox("Notes")
        oform = QFormLayout(other)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setAccessibleName("Notes")
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setMinimumHeight(70)
        self.notes_edit.textChanged.connect(self._mark_dirty)
        oform.addRow("Notes", self.notes_edit)
        self._line("source", oform)

        # Every labelled email, phone and address; the fields above are the preferred ones.
        every = QGroupBox("All emails, phones and addresses")
        every_layout = QVBoxLayout(every)
        self.channel_editor = ChannelEditor(self.runner, "person")
        self.channel_editor.changed.connect(self._channels_changed)
        every_layout.addWidget(self.channel_editor)

        for box in (who, contact, address, every, kinds, prefs, other):
            outer.addWidget(box)
        # One label width for every group, so the fields line up down the whole form.
        align_form_labels([form, cform, aform, pform, oform])
        outer.addStretch(1)
        compact_combos(page, 8)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # The form narrows with the panel; it never scrolls sideways.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(page)
        self.details_scroll = scroll
        return scroll

    def _build_networks(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.membership_table = _table(
            ["Network", "Role", "Status", "Joined", "Left", "Cohort", "Groups"],
            "Network memberships",
            "Not in any network yet. Add them with “Add to network…”.",
        )
        self.membership_table.itemSelectionChanged.connect(self._show_periods)
        # Every period of the chosen membership: joining, leaving and rejoining all stay.
        self.periods_heading = QLabel("Periods of membership")
        self.periods_table = _table(
            ["From", "Until", "Cohort", "Why joined", "Why left"],
            "Periods of membership",
            "Choose a membership to see when they belonged.",
        )
        self._histories: dict[int, membership_periods.MembershipHistory] = {}
        buttons = QHBoxLayout()
        self.add_network_button = QPushButton("Add to network…")
        self.add_network_button.clicked.connect(self.open_add_to_network)
        self.change_membership_button = QPushButton("Change role or status…")
        self.change_membership_button.clicked.connect(self.open_change_membership)
        self.leave_button = QPushButton("Leave…")
        self.leave_button.setAccessibleName("Leave the network, with a date and a reason")
        self.leave_button.clicked.connect(self.open_leave)
        self.rejoin_button = QPushButton("Rejoin…")
        self.rejoin_button.setAccessibleName("Rejoin the network, keeping the earlier periods")
        self.rejoin_button.clicked.connect(self.open_rejoin)
        self.cohort_button = QPushButton("Cohort and groups…")
        self.cohort_button.setAccessibleName("Change the cohort and working groups")
        self.cohort_button.clicked.connect(self.open_cohort_and_groups)
        buttons.addWidget(self.add_network_button)
        buttons.addWidget(self.change_membership_button)
        buttons.addStretch(1)
        # Two short rows, so the panel stays narrow enough beside the list and the filters.
        period_buttons = QHBoxLayout()
        period_buttons.addWidget(self.leave_button)
        period_buttons.addWidget(self.rejoin_button)
        period_buttons.addWidget(self.cohort_button)
        period_buttons.addStretch(1)
        layout.addWidget(_with_empty_note(self.membership_table), 3)
        layout.addLayout(buttons)
        layout.addWidget(self.periods_heading)
        layout.addWidget(_with_empty_note(self.periods_table), 2)
        layout.addLayout(period_buttons)
        return page

    def _build_roles(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.roles_table = _table(
            ["Chamber", "Party", "Seat", "Role", "Dates"],
            "Elected roles",
            "No elected roles. Add a seat or office with “Add role…”; ended roles stay here as history.",
        )
        buttons = QHBoxLayout()
        self.add_role_button = QPushButton("Add role…")
        self.add_role_button.clicked.connect(self.open_add_role)
        self.end_role_button = QPushButton("End role")
        self.end_role_button.setToolTip("Record that the selected role ended today")
        self.end_role_button.clicked.connect(self.end_selected_role)
        self.edit_role_button = QPushButton("Edit…")
        self.edit_role_button.setAccessibleName("Edit the selected role")
        self.edit_role_button.setToolTip("Correct the party, seat, role or dates of the selected role")
        self.edit_role_button.clicked.connect(self.open_edit_role)
        self.roles_table.doubleClicked.connect(lambda _index: self.open_edit_role())
        # Five columns of names and dates rarely fit the panel: the last one keeps its text's width
        # (the table scrolls sideways) rather than being stretched, or squeezed, to what is left.
        self.roles_table.horizontalHeader().setStretchLastSection(False)
        buttons.addWidget(self.add_role_button)
        buttons.addWidget(self.edit_role_button)
        buttons.addWidget(self.end_role_button)
        buttons.addStretch(1)
        # Where else this person is known (EveryPolitician, UK Parliament, Wikidata): what roster
        # refreshes match them by.
        self.identifiers_label = QLabel()
        self.identifiers_label.setObjectName("personIdentifiers")
        self.identifiers_label.setWordWrap(True)
        self.identifiers_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.identifiers_label.setAccessibleName("Identifiers elsewhere")
        layout.addWidget(_with_empty_note(self.roles_table), 1)
        layout.addWidget(self.identifiers_label)
        layout.addLayout(buttons)
        return page

    def _build_consent(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.consent_table = _table(
            ["Purpose", "Basis", "Recorded", "Source", "Withdrawn"],
            "Consent records",
            "No consent recorded. Record who agreed to what, when and how with “Record consent…”.",
        )
        buttons = QHBoxLayout()
        self.add_consent_button = QPushButton("Record consent…")
        self.add_consent_button.clicked.connect(self.open_record_consent)
        self.withdraw_button = QPushButton("Withdraw")
        self.withdraw_button.setToolTip("Record that the selected consent was withdrawn today")
        self.withdraw_button.clicked.connect(self.withdraw_selected_consent)
        buttons.addWidget(self.add_consent_button)
        buttons.addWidget(self.withdraw_button)
        buttons.addStretch(1)
        layout.addWidget(_with_empty_note(self.consent_table), 1)
        layout.addLayout(buttons)
        return page

    def _build_timeline(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.timeline_table = _table(
            ["Date", "Kind", "Subject", "Owner", "Follow-up"],
            "Timeline of interactions",
            "No interactions yet. Log a meeting, call, email or letter with “Log interaction…”.",
        )
        buttons = QHBoxLayout()
        log = QPushButton("Log interaction…")
        log.clicked.connect(self.open_log_interaction)
        self.edit_interaction_button = QPushButton("Edit…")
        self.edit_interaction_button.setAccessibleName("Edit the selected interaction")
        self.edit_interaction_button.clicked.connect(self.open_edit_interaction)
        self.timeline_table.doubleClicked.connect(lambda _index: self.open_edit_interaction())
        buttons.addWidget(log)
        buttons.addWidget(self.edit_interaction_button)
        buttons.addStretch(1)
        layout.addWidget(_with_empty_note(self.timeline_table), 1)
        layout.addLayout(buttons)
        return page

    def _find_duplicates(self) -> None:
        if self.person_id is not None:
            self.find_duplicates_requested.emit(self.person_id)

    # --- loading ------------------------------------------------------------------------------

    def load(self, person_id: int | None) -> None:
        """Show a person (``None``: a blank form for a new person). Does not ask about unsaved edits."""
        self._loading = True
        try:
            self.person_id = person_id
            with self.runner.db.session() as session:
                org_names = list(
                    session.scalars(
                        select(Organisation.name)
                        .where(Organisation.deleted_at.is_(None))
                        .order_by(Organisation.name)
                    )
                )
                self._org_model.setStringList(org_names)
                if person_id is None:
                    # A new person starts at the start: their details, not the tab last used.
                    self.tabs.setCurrentIndex(0)
                    snap: Snapshot = {f: None for f in PERSON_FIELDS}
                    snap["nation"] = preferences.current().default_nation or None
                    snap.update({f: False for f in _BOOL_FIELDS}, organisation_id=None, types=[], tags=[])
                    org_name = ""
                    version = None
                    self._fill_related(session, None)
                else:
                    snap = person_snapshot(session, person_id)
                    person = people.get_person(session, person_id)
                    org_name = person.organisation.name if person.organisation else ""
                    version = person.version
                    self._fill_related(session, person_id)
            self._loaded = snap
            self._loaded_org_name = org_name
            self._loaded_version = version
            self._show_snapshot(snap, org_name)
            self.channel_editor.show_owner(person_id, version)
            for label in self.errors.values():
                label.hide()
            self._set_dirty(False)
        finally:
            self._loading = False
        self._update_heading()
        self.duplicates_button.setEnabled(person_id is not None)
        self.history_view.show_record(person_id)
        self.privacy_button.setEnabled(person_id is not None)

    def _show_snapshot(self, snap: Snapshot, org_name: str) -> None:
        for key in _TEXT_FIELDS:
            if key in self.edits:
                self.edits[key].setText(snap.get(key) or "")
        self.title_combo.setEditText(snap.get("title") or "")
        self.nation_combo.setEditText(snap.get("nation") or "")
        self.notes_edit.setPlainText(snap.get("notes") or "")
        for key, check in self.bool_checks.items():
            check.setChecked(bool(snap.get(key)))
        for value, check in self.type_checks.items():
            check.setChecked(value in (snap.get("types") or []))
        self.tags_edit.setText(", ".join(snap.get("tags") or []))
        self.organisation_edit.setText(org_name)

    def _fill_related(self, session: Any, person_id: int | None) -> None:
        related = person_id is not None
        for widget in (
            self.add_network_button,
            self.change_membership_button,
            self.leave_button,
            self.rejoin_button,
            self.cohort_button,
            self.add_role_button,
            self.edit_role_button,
            self.end_role_button,
            self.add_consent_button,
            self.withdraw_button,
            self.log_button,
        ):
            widget.setEnabled(related)
        if person_id is None:
            for table in (self.membership_table, self.roles_table, self.consent_table, self.timeline_table):
                table.setRowCount(0)
            self._histories = {}
            self._show_periods()
            self.standing_label.setVisible(False)
            self.identifiers_label.setText("")
            # A new person has no history: no count left over from whoever was shown before.
            self.tabs.setTabText(4, "Timeline")
            return
        standing = current.standing_of(session, person_id)
        self.standing_label.setText(" · ".join(standing))
        self.standing_label.setVisible(bool(standing))
        idents = current.identifiers_of(session, person_id)
        self.identifiers_label.setText(
            "Identifiers: " + "; ".join(f"{label} {value}" for _s, label, value in idents) if idents else ""
        )
        histories = sorted(
            membership_periods.person_history(session, person_id, with_trash=True), key=lambda h: h.network
        )
        self._histories = {h.membership_id: h for h in histories}
        latest = {h.membership_id: (h.periods[-1] if h.periods else None) for h in histories}
        _fill(
            self.membership_table,
            [
                (
                    h.membership_id,
                    [
                        h.network,
                        h.role.capitalize(),
                        h.status.capitalize(),
                        _date_text(p.joined_on if (p := latest[h.membership_id]) else None),
                        _date_text(p.left_on if p else None),
                        h.cohort or "",
                        ", ".join(
                            name if role == "member" else f"{name} ({role})" for _g, name, role in h.groups
                        ),
                    ],
                )
                for h in histories
            ],
        )
        self._show_periods()
        _fill(
            self.roles_table,
            [
                (
                    r.id,
                    [
                        r.chamber,
                        r.party or "",
                        ", ".join(p for p in (r.constituency, r.region) if p),
                        r.role or "",
                        f"{_date_text(r.start_date) or '?'} – {_date_text(r.end_date) or 'now'}",
                    ],
                )
                for r in roles.roles_of(session, person_id)
            ],
        )
        _fill(
            self.consent_table,
            [
                (
                    c.id,
                    [
                        c.purpose,
                        c.basis,
                        _date_text(c.recorded_on),
                        c.source or "",
                        _date_text(c.withdrawn_on),
                    ],
                )
                for c in consent.consents_of(session, person_id)
            ],
        )
        _fill(
            self.timeline_table,
            [
                (
                    i.id,
                    [
                        _date_text(i.date),
                        i.kind.capitalize(),
                        i.subject,
                        i.owner or "",
                        ("done" if i.follow_up_done else _date_text(i.follow_up_on))
                        if i.follow_up_on
                        else "",
                    ],
                )
                for i in interactions.timeline(session, person_id)
            ],
        )
        self.tabs.setTabText(4, f"Timeline ({len(interactions.timeline(session, person_id))})")

    def _channels_changed(self, person_id: int) -> None:
        """A contact point was added, changed or removed: the preferred fields (and the record's
        version) may have changed with it, so the person is shown afresh."""
        if person_id == self.person_id and not self._dirty:
            self.load(person_id)
        emit(self.related_changed, person_id)

    def reload_related(self) -> None:
        if self.person_id is not None:
            with self.runner.db.session() as session:
                self._fill_related(session, self.person_id)
            self.history_view.reload()

    # --- data protection ------------------------------------------------------------------------

    def _build_privacy_button(self) -> QPushButton:
        self.privacy_button = QPushButton("Data protection")
        self.privacy_button.setAccessibleName("Data protection actions for this person")
        menu = QMenu(self.privacy_button)
        self.subject_access_action = menu.addAction("Subject access…", self.subject_access)
        menu.addSeparator()
        self.erase_action = menu.addAction("Erase this person…", self.erase_person)
        self.privacy_button.setMenu(menu)
        return self.privacy_button

    def subject_access(self) -> Task[Any] | None:
        """Write everything held on this person to a workbook."""
        if self.person_id is None:
            return None
        return start_subject_access(self, self.runner, self.person_id, self.heading.text())

    def erase_person(self) -> Task[Any] | None:
        """Erase this person, after a reason and a typed confirmation."""
        pid = self.person_id
        if pid is None:
            return None

        def erased(_results: Any) -> None:
            self.load(None)
            emit(self.person_erased, pid)

        return start_erasure(self, self.runner, [pid], [self.heading.text()], erased)

    def _update_heading(self) -> None:
        if self.person_id is None:
            self.heading.setText("New person")
            self.subheading.setText("Fill in at least a name or an email address, then Save.")
            return
        first = self.edits["preferred_name"].text() or self.edits["first_name"].text()
        name = " ".join(p for p in (first, self.edits["last_name"].text()) if p)
        self.heading.setText(name or self.edits["email"].text() or f"Person {self.person_id}")
        bits = [b for b in (self.edits["job_title"].text(), self.organisation_edit.text()) if b]
        self.subheading.setText(", ".join(bits))

    # --- editing and validation ---------------------------------------------------------------

    def _mark_dirty(self, *_args: Any) -> None:
        if not self._loading:
            self._set_dirty(self.form_snapshot() != self._comparable_loaded())

    def _set_dirty(self, dirty: bool) -> None:
        self.channel_editor.set_locked(dirty)
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(dirty)
        if dirty != self._dirty:
            self._dirty = dirty
            emit(self.dirty_changed, dirty)

    def is_dirty(self) -> bool:
        return self._dirty

    def _comparable_loaded(self) -> Snapshot:
        snap = {k: v for k, v in self._loaded.items() if k != "organisation_id"}
        snap["organisation_name"] = self._loaded_org_name
        snap["types"] = sorted(snap.get("types") or [])
        return self._normalise(snap)

    @staticmethod
    def _normalise(snap: Snapshot) -> Snapshot:
        out = dict(snap)
        for key in (*_TEXT_FIELDS, "notes"):
            value = out.get(key)
            out[key] = (value or "").strip() or None if isinstance(value, str) or value is None else value
        out["organisation_name"] = (out.get("organisation_name") or "").strip()
        out["tags"] = sorted({t.strip() for t in out.get("tags") or [] if t.strip()}, key=str.lower)
        return out

    def form_snapshot(self) -> Snapshot:
        """What the form holds now, in the shape :func:`ui.undo.apply_snapshot` takes."""
        snap: Snapshot = {key: self.edits[key].text() for key in _TEXT_FIELDS if key in self.edits}
        snap["title"] = self.title_combo.currentText()
        snap["nation"] = self.nation_combo.currentText()
        snap["notes"] = self.notes_edit.toPlainText()
        for key, check in self.bool_checks.items():
            snap[key] = check.isChecked()
        snap["types"] = sorted(v for v, check in self.type_checks.items() if check.isChecked())
        snap["tags"] = [t for t in self.tags_edit.text().split(",")]
        snap["organisation_name"] = self.organisation_edit.text()
        return self._normalise(snap)

    def _organisation_hint(self, text: str) -> None:
        name = text.strip()
        known = {n.lower() for n in self._org_model.stringList()}
        if name and name.lower() not in known:
            self.organisation_note.setText(
                f"“{name}” is new: it will be added as an organisation when you save."
            )
            self.organisation_note.show()
        else:
            self.organisation_note.hide()

    def validate_field(self, key: str) -> bool:
        """Check email, phone or postcode now; shows the reason under the field. True when fine."""
        text = self.edits[key].text().strip()
        label = self.errors[key]
        message = ""
        if text:
            try:
                if key == "email":
                    normalise_email(text)
                elif key in ("phone", "mobile"):
                    normalise_phone(text)
                elif key == "postcode" and normalise_postcode(text, strict=False) == text and " " not in text:
                    message = "Not a UK postcode: it will be kept as typed."
            except ValidationError as exc:
                message = str(exc)
        label.setText(message)
        label.setVisible(bool(message))
        self.edits[key].setProperty("invalid", bool(message) and key != "postcode")
        return not message or key == "postcode"

    def validate(self) -> bool:
        ok = all([self.validate_field(k) for k in ("email", "phone", "mobile", "postcode")])
        snap = self.form_snapshot()
        if not any(snap.get(k) for k in ("first_name", "last_name", "email", "preferred_name")):
            self.errors["email"].setText("A person needs at least a name or an email address.")
            self.errors["email"].show()
            self.edits["first_name"].setFocus()
            return False
        if not ok:
            for key in ("email", "phone", "mobile"):
                if self.errors[key].isVisible():
                    self.tabs.setCurrentIndex(0)
                    self.edits[key].setFocus()
                    break
        return ok

    # --- saving -------------------------------------------------------------------------------

    def save(self) -> bool:
        """Validate, then save in the background. False when validation stopped it."""
        if self._saving:
            return False
        if not self.validate():
            return False
        snap = self.form_snapshot()
        values = {k: v for k, v in snap.items() if k in PERSON_FIELDS}
        try:
            people.clean_person_fields(values)
        except ValidationError as exc:
            dialogs.show_error(self, "Kindred", str(exc))
            return False
        person_id = self.person_id
        before = dict(self._loaded)
        expected = self._loaded_version
        name = self.heading.text() or "This person"

        def work(ctx: TaskContext) -> tuple[int, Snapshot, bool]:
            with ctx.db.transaction() as session:
                if person_id is None:
                    org_name = (snap.get("organisation_name") or "").strip()
                    org_id = None
                    if org_name:
                        from crm.services import organisations

                        org_id = organisations.get_or_create_organisation(session, org_name)[0].id
                    person = people.create_person(
                        session, types=snap["types"], organisation_id=org_id, **values
                    )
                    apply_snapshot(session, person.id, {"tags": snap["tags"]})
                    return person.id, person_snapshot(session, person.id), True
                # Refused (StaleEdit) when someone else saved this person since it was shown.
                versions.claim(session, Person, person_id, expected, entity="person", name=name)
                apply_snapshot(session, person_id, _merge_links(session, person_id, before, snap))
                return person_id, person_snapshot(session, person_id), False

        self._saving = True
        self.save_button.setEnabled(False)
        self.runner.run(
            work, on_done=lambda r: self._saved(before, *r), on_error=self._save_failed, write=True
        )
        return True

    def _saved(self, before: Snapshot, person_id: int, after: Snapshot, created: bool) -> None:
        self._saving = False
        name = self.heading.text()
        if self.undo_stack is not None:
            if created:
                self.undo_stack.push(
                    CreatePersonCommand(self.runner, person_id, name, self._changed_elsewhere)
                )
            elif before != after:
                self.undo_stack.push(
                    EditPersonCommand(self.runner, person_id, name, before, after, self._changed_elsewhere)
                )
        self.load(person_id)
        emit(self.person_saved, person_id)

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        self._set_dirty(True)
        if isinstance(exc, ValidationError) and exc.field in self.errors:
            self.errors[exc.field].setText(str(exc))
            self.errors[exc.field].show()
        elif isinstance(exc, StaleEdit):
            if dialogs.ask_reload_stale(self, str(exc)):
                self.reload_keeping_edits()
        elif isinstance(exc, UserError):
            dialogs.show_error(self, "Kindred", str(exc))
        else:
            import traceback

            dialogs.show_bug(self, exc, "".join(traceback.format_exception(exc)))

    def _changed_elsewhere(self, ids: list[int]) -> None:
        """An undo or redo changed people: reload when it is the one on show."""
        if self.person_id in ids and not self._dirty:
            self.load(self.person_id)
        if self.person_id is not None:
            emit(self.person_saved, self.person_id)
        for pid in ids:
            if pid != self.person_id:
                emit(self.person_saved, pid)

    def reload_keeping_edits(self) -> None:
        """Show the record as it is now, with what the user changed typed in again on top, so they
        can check it against the other change and save."""
        base = self._comparable_loaded()
        typed = {k: v for k, v in self.form_snapshot().items() if base.get(k) != v}
        self.load(self.person_id)
        merged = {**self._comparable_loaded(), **typed}
        self._loading = True
        try:
            self._show_snapshot(merged, merged.get("organisation_name") or "")
        finally:
            self._loading = False
        self._mark_dirty()

    def discard(self) -> None:
        self.load(self.person_id)

    def maybe_leave(self) -> bool:
        """Before showing another person: True when it is fine to go on (saved, discarded or clean)."""
        if not self._dirty:
            return True
        answer = dialogs.ask_unsaved_changes(self, self.heading.text() or "this person")
        if answer == "cancel":
            return False
        if answer == "save":
            return self.save()
        self.load(self.person_id) if self.person_id is not None else self.load(None)
        return True

    # --- related records ----------------------------------------------------------------------

    def _run_change(self, fn: Any, *, tab: int) -> None:
        """A one-transaction change of related records, then refresh the tables."""
        person_id = self.person_id

        def work(ctx: TaskContext) -> None:
            with ctx.db.transaction() as session:
                fn(session)

        def done(_result: None) -> None:
            self.reload_related()
            self.tabs.setCurrentIndex(tab)
            if person_id is not None:
                emit(self.related_changed, person_id)

        self.runner.run(work, on_done=done, parent_widget=self, write=True)

    def _open(self, dialog: QDialog, on_accept: Any) -> QDialog:
        self.active_dialog = dialog
        dialog.accepted.connect(on_accept)
        dialog.open()
        return dialog

    def open_add_to_network(self) -> QDialog:
        with self.runner.db.session() as session:
            names = [n for _id, n, _count in networks.list_networks(session)]
        dialog = FormDialog("Add to network", self)
        network = dialog.combo("&Network", names)
        role = dialog.combo("&Role", MEMBERSHIP_ROLES, editable=True)
        status = dialog.combo("&Status", MEMBERSHIP_STATUSES)
        person_id = self.person_id
        assert person_id is not None

        def accept() -> None:
            name, role_value, status_value = network.currentText(), role.currentText(), status.currentText()

            def change(session: Any) -> None:
                net = networks.network_by_name(session, name)
                networks.add_members(session, net.id, [person_id], role=role_value, status=status_value)

            self._run_change(change, tab=1)

        return self._open(dialog, accept)

    def open_change_membership(self) -> QDialog | None:
        row = self.membership_table.currentRow()
        if row < 0:
            dialogs.show_info(self, "Kindred", "Select a membership first.")
            return None
        membership_id = _cell(self.membership_table, row, 0).data(Qt.ItemDataRole.UserRole)
        dialog = FormDialog("Change membership", self)
        role = dialog.combo("&Role", MEMBERSHIP_ROLES, editable=True)
        role.setCurrentText(_cell(self.membership_table, row, 1).text().lower())
        status = dialog.combo("&Status", MEMBERSHIP_STATUSES)
        status.setCurrentText(_cell(self.membership_table, row, 2).text().lower())

        def accept() -> None:
            role_value, status_value = role.currentText(), status.currentText()
            self._run_change(
                lambda s: networks.update_membership(s, membership_id, role=role_value, status=status_value),
                tab=1,
            )

        return self._open(dialog, accept)

    # --- membership periods, cohorts and groups ------------------------------------------------

    def _chosen_history(self) -> membership_periods.MembershipHistory | None:
        row = self.membership_table.currentRow()
        if row < 0 and self.membership_table.rowCount() == 1:
            row = 0
        if row < 0:
            return None
        return self._histories.get(_cell(self.membership_table, row, 0).data(Qt.ItemDataRole.UserRole))

    def _show_periods(self) -> None:
        history = self._chosen_history()
        self.periods_heading.setText(
            f"Periods in {history.network}" if history is not None else "Periods of membership"
        )
        _fill(
            self.periods_table,
            [
                (
                    p.id,
                    [
                        _date_text(p.joined_on) or "not known",
                        _date_text(p.left_on) or "now",
                        p.cohort or "",
                        p.join_reason or "",
                        p.leave_reason or "",
                    ],
                )
                for p in reversed(history.periods)
            ]
            if history is not None
            else [],
        )
        if history is not None:
            self.leave_button.setEnabled(history.current)
            self.rejoin_button.setEnabled(not history.current)
        else:
            self.leave_button.setEnabled(self.person_id is not None)
            self.rejoin_button.setEnabled(self.person_id is not None)

    def _need_membership(self) -> membership_periods.MembershipHistory | None:
        history = self._chosen_history()
        if history is None:
            dialogs.show_info(self, "Kindred", "Select a membership first.")
        return history

    def open_leave(self) -> QDialog | None:
        history = self._need_membership()
        if history is None:
            return None
        dialog = FormDialog(
            "Leave network", self, f"{self._heading_name()} leaves {history.network}. The period is kept."
        )
        when = dialog.date("&Left on")
        reason = dialog.line("&Reason")
        reason.setPlaceholderText("Optional, e.g. moved job")
        membership_id = history.membership_id

        def accept() -> None:
            on, why = _pydate(when.date()), reason.text()
            self._run_change(lambda s: membership_periods.leave(s, membership_id, on=on, reason=why), tab=1)

        return self._open(dialog, accept)

    def open_rejoin(self) -> QDialog | None:
        history = self._need_membership()
        if history is None:
            return None
        with self.runner.db.session() as session:
            cohort_rows = cohorts.list_cohorts(session, history.network_id)
        dialog = FormDialog(
            "Rejoin network",
            self,
            f"{self._heading_name()} rejoins {history.network}: a new period starts, the earlier ones stay.",
        )
        when = dialog.date("&Rejoined on")
        reason = dialog.line("&Reason")
        reason.setPlaceholderText("Optional, e.g. back after a break")
        cohort = dialog.combo("&Cohort", ["(none)", *[c.name for c in cohort_rows]])
        ids = [None, *[c.id for c in cohort_rows]]
        membership_id = history.membership_id

        def accept() -> None:
            on, why, cohort_id = _pydate(when.date()), reason.text(), ids[cohort.currentIndex()]
            self._run_change(
                lambda s: membership_periods.rejoin(s, membership_id, on=on, reason=why, cohort_id=cohort_id),
                tab=1,
            )

        return self._open(dialog, accept)

    def open_cohort_and_groups(self) -> QDialog | None:
        history = self._need_membership()
        if history is None:
            return None
        with self.runner.db.session() as session:
            cohort_rows = cohorts.list_cohorts(session, history.network_id)
            group_rows = cohorts.list_groups(session, history.network_id)
        dialog = FormDialog("Cohort and groups", self, f"{self._heading_name()} in {history.network}.")
        cohort = dialog.combo("&Cohort", ["(none)", *[c.name for c in cohort_rows]])
        cohort_ids = [None, *[c.id for c in cohort_rows]]
        cohort.setCurrentIndex(cohort_ids.index(history.cohort_id) if history.cohort_id in cohort_ids else 0)
        held = {gid: role for gid, _name, role in history.groups}
        checks: list[tuple[int, QCheckBox, QComboBox]] = []
        for g in group_rows:
            check = QCheckBox(g.name)
            check.setAccessibleName(f"In the group {g.name}")
            check.setChecked(g.id in held)
            role = QComboBox()
            role.setEditable(True)
            role.addItems(["member", "convener", "co-chair", "lead"])
            role.setCurrentText(held.get(g.id, "member"))
            role.setAccessibleName(f"Role in {g.name}")
            row = QHBoxLayout()
            row.addWidget(check, 1)
            row.addWidget(role)
            dialog.form.addRow(g.kind.capitalize(), row)
            checks.append((g.id, check, role))
        if not group_rows:
            dialog.form.addRow(
                "Groups", QLabel("This network has no groups yet (add them on the Networks page).")
            )
        membership_id = history.membership_id

        def accept() -> None:
            cohort_id = cohort_ids[cohort.currentIndex()]
            wanted = {gid: role.currentText() for gid, check, role in checks if check.isChecked()}

            def change(s: Any) -> None:
                cohorts.set_cohort(s, [membership_id], cohort_id)
                cohorts.set_groups(s, membership_id, wanted)

            self._run_change(change, tab=1)

        return self._open(dialog, accept)

    def _heading_name(self) -> str:
        snap = self._loaded or {}
        name = " ".join(str(snap.get(k) or "") for k in ("first_name", "last_name")).strip()
        return name or "This person"

    def open_add_role(self) -> QDialog:
        dialog = FormDialog("Add elected role", self)
        chamber = dialog.combo("&Chamber", CHAMBERS, editable=True)
        party = dialog.line("&Party")
        constituency = dialog.line("C&onstituency")
        region = dialog.line("R&egion")
        role_name = dialog.line("R&ole")
        start = dialog.date("&From", optional=True)
        end = dialog.date("&To", optional=True)
        person_id = self.person_id
        assert person_id is not None

        def accept() -> None:
            values: dict[str, Any] = {
                "chamber": chamber.currentText(),
                "party": party.text(),
                "constituency": constituency.text(),
                "region": region.text(),
                "role": role_name.text(),
                "start_date": optional_date(start),
                "end_date": optional_date(end),
            }
            self._run_change(lambda s: roles.add_role(s, person_id, **values), tab=2)

        return self._open(dialog, accept)

    def open_edit_role(self) -> QDialog | None:
        """Correct the selected role (chamber, party, seat, role, dates); undoable."""
        row = self.roles_table.currentRow()
        if row < 0 or self.person_id is None:
            dialogs.show_info(self, "Kindred", "Select a role first.")
            return None
        role_id = _cell(self.roles_table, row, 0).data(Qt.ItemDataRole.UserRole)
        person_id = self.person_id
        with self.runner.db.session() as session:
            before = roles.role_snapshot(session, role_id)
            version = roles.get_role(session, role_id).version
        dialog = FormDialog("Edit elected role", self)
        chamber = dialog.combo("&Chamber", CHAMBERS, editable=True)
        chamber.setCurrentText(before["chamber"])
        fields = {
            "party": dialog.line("&Party"),
            "constituency": dialog.line("C&onstituency"),
            "region": dialog.line("R&egion"),
            "role": dialog.line("R&ole"),
        }
        for name, edit in fields.items():
            edit.setText(before[name] or "")
        start = dialog.date("&From", optional=True)
        end = dialog.date("&To", optional=True)
        for date_edit, value in ((start, before["start_date"]), (end, before["end_date"])):
            if value is not None:
                date_edit.setDate(QDate(value.year, value.month, value.day))

        def accept() -> None:
            form: dict[str, Any] = {
                "chamber": chamber.currentText(),
                **{name: edit.text() for name, edit in fields.items()},
                "start_date": optional_date(start),
                "end_date": optional_date(end),
            }
            changes = {k: v for k, v in form.items() if v != (before[k] or ("" if k in fields else None))}
            if not changes:
                return

            def work(ctx: TaskContext) -> Snapshot:
                with ctx.db.transaction() as session:
                    roles.update_role(session, role_id, changes, expected_version=version)
                    return roles.role_snapshot(session, role_id)

            def done(after: Snapshot) -> None:
                if self.undo_stack is not None:
                    from ui.undo import EditRoleCommand

                    self.undo_stack.push(
                        EditRoleCommand(self.runner, role_id, person_id, before, after, self._related_undone)
                    )
                self.reload_related()
                self.tabs.setCurrentIndex(2)
                emit(self.related_changed, person_id)

            self.runner.run(work, on_done=done, parent_widget=self, write=True)

        return self._open(dialog, accept)

    def open_edit_interaction(self) -> QDialog | None:
        """Edit the interaction selected on the timeline; undoable."""
        row = self.timeline_table.currentRow()
        if row < 0 or self.person_id is None:
            dialogs.show_info(self, "Kindred", "Select an interaction first.")
            return None
        from ui.interaction_dialog import InteractionDialog

        interaction_id = _cell(self.timeline_table, row, 0).data(Qt.ItemDataRole.UserRole)
        dialog = InteractionDialog(self.runner, (), self, interaction_id=interaction_id)
        dialog.edited.connect(lambda _id: self._interaction_edited(dialog))
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def _interaction_edited(self, dialog: Any) -> None:
        if self.undo_stack is not None:
            from ui.undo import EditInteractionCommand

            self.undo_stack.push(
                EditInteractionCommand(
                    self.runner, dialog.interaction_id, dialog.before, dialog.after, self._related_undone
                )
            )
        self.reload_related()
        self.tabs.setCurrentIndex(4)
        if self.person_id is not None:
            emit(self.related_changed, self.person_id)

    def _related_undone(self, _ids: Any) -> None:
        """An edit of a role or interaction was undone or redone from Edit ▸ Undo."""
        self.reload_related()
        if self.person_id is not None:
            emit(self.related_changed, self.person_id)

    def end_selected_role(self) -> None:
        row = self.roles_table.currentRow()
        if row < 0:
            dialogs.show_info(self, "Kindred", "Select a role first.")
            return
        role_id = _cell(self.roles_table, row, 0).data(Qt.ItemDataRole.UserRole)
        self._run_change(lambda s: roles.end_role(s, role_id), tab=2)

    def open_record_consent(self) -> QDialog:
        dialog = FormDialog("Record consent", self)
        purpose = dialog.combo("&Purpose", CONSENT_PURPOSES, editable=True)
        basis = dialog.combo("&Lawful basis", LAWFUL_BASES)
        source = dialog.line("&How given")
        source.setPlaceholderText("e.g. sign-up form at the reception")
        wording = dialog.line("&What they were told")
        person_id = self.person_id
        assert person_id is not None

        def accept() -> None:
            values: dict[str, Any] = {
                "basis": basis.currentText(),
                "source": source.text(),
                "wording": wording.text(),
            }
            text = purpose.currentText()
            self._run_change(lambda s: consent.record_consent(s, person_id, text, **values), tab=3)

        return self._open(dialog, accept)

    def withdraw_selected_consent(self) -> None:
        row = self.consent_table.currentRow()
        if row < 0:
            dialogs.show_info(self, "Kindred", "Select a consent record first.")
            return
        consent_id = _cell(self.consent_table, row, 0).data(Qt.ItemDataRole.UserRole)
        self._run_change(lambda s: consent.withdraw_consent(s, consent_id), tab=3)

    def open_log_interaction(self) -> QDialog | None:
        if self.person_id is None:
            return None
        from ui.interaction_dialog import InteractionDialog

        dialog = InteractionDialog(self.runner, [self.person_id], self)
        dialog.logged.connect(self._interaction_logged)
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def _interaction_logged(self, interaction_id: int) -> None:
        self.reload_related()
        self.tabs.setCurrentIndex(4)
        emit(self.interaction_logged, interaction_id)
