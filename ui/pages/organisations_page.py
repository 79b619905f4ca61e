"""Organisations: a searchable list, an editable detail pane with explicit Save, and their people."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from PySide6.QtCore import QItemSelection, Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from crm import filters
from crm.errors import StaleEdit, ValidationError
from crm.filters import PersonFilter
from crm.models import NATIONS, PARTNER_STATUSES, SECTORS, Organisation
from crm.services import organisations
from crm.validation import check_length, normalise_email, normalise_phone, normalise_postcode

from ui import dialogs, preferences
from ui.changes import Change
from ui.channels import ChannelEditor
from ui.pages.base import ListPage
from ui.pages.common import (
    Column,
    EmptyState,
    PageCommand,
    RowsModel,
    SearchBox,
    fit_columns,
    make_table,
    on_delete_key,
    push_undo,
    report_error,
    run_task,
    selected_rows,
    write_undoable,
)
from ui.pages.history_view import HistoryView
from ui.tasks import TaskContext, TaskRunner

# Field key → label, in form order.
FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("sector", "Sector"),
    ("partner_status", "Partner status"),
    ("website", "Website"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("address_line1", "Address line 1"),
    ("address_line2", "Address line 2"),
    ("town", "Town"),
    ("postcode", "Postcode"),
    ("nation", "Nation"),
    ("notes", "Notes"),
)
_LENGTHS: dict[str, int] = {
    c.name: c.type.length  # type: ignore[attr-defined]
    for c in Organisation.__table__.columns
    if getattr(c.type, "length", None)
}
PEOPLE_LIMIT = 500


def validate_fields(values: dict[str, str]) -> dict[str, str | None]:
    """Check and tidy what was typed; raises ValidationError naming the field at fault."""
    out: dict[str, str | None] = {}
    for key, raw in values.items():
        text = raw.strip()
        value: str | None = text or None
        if key == "name" and not value:
            raise ValidationError("An organisation needs a name.", "name")
        if value is not None:
            if key == "email":
                value = normalise_email(value)
            elif key == "phone":
                value = normalise_phone(value)
            elif key == "postcode":
                value = normalise_postcode(value, strict=False)
            elif key == "website":
                value = _normalise_website(value)
            if key in _LENGTHS and value is not None:
                check_length(key, value, _LENGTHS[key])
        out[key] = value
    return out


def _normalise_website(value: str) -> str:
    if "://" not in value:
        value = "https://" + value  # what people type is "www.example.org"; the web is https now
    url = QUrl(value, QUrl.ParsingMode.StrictMode)
    host = url.host()
    if " " in value or not url.isValid() or url.scheme() not in ("http", "https") or "." not in host:
        raise ValidationError(f"{value!r} is not a web address (for example www.example.org).", "website")
    return url.toString()


class OrganisationsPage(ListPage):
    """Organisations with their sector, partner status and people; edit, create and trash them.

    Signals (besides :class:`~ui.pages.base.ListPage`'s):
        organisation_saved(int): an organisation was created or edited.
    """

    organisation_saved = Signal(int)
    # People's organisation details changed: the People list is stale.
    CHANGES = Change(people=True, organisations=True)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(runner, parent)
        self._shown_text: str | None = None
        self._current_id: int | None = None  # None with the form enabled: a new organisation
        self._loaded: dict[str, str] = {}
        self._loaded_version: int | None = None  # the version the form shows (crm.versions)
        self._dirty = False
        self._select_after_refresh: int | None = None
        self._heading_base = ""

        # List side.
        self.search = SearchBox("Search organisations", "Search organisations")
        self.new_button = QPushButton("&New organisation")
        self.new_button.setAccessibleName("New organisation")
        self.trash_button = QPushButton("Move to &Trash")
        self.trash_button.setAccessibleName("Move selected organisations to the Trash")
        self.trash_button.setEnabled(False)
        self.count_label = QLabel()
        self.model = RowsModel(
            [
                Column("Name", 1),
                Column("Sector", 2),
                Column("Partner status", 3),
                Column("People", 4, numeric=True),
            ],
            self,
        )
        self.table = make_table(self.model, "Organisations")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        fit_columns(self.table, [30, 12, 15, 6])
        self.list_stack = EmptyState(self.table, "")

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.new_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(top)
        left_layout.addWidget(self.list_stack, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.trash_button)
        left_layout.addLayout(bottom)

        # Detail side.
        self.heading = QLabel()
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setWordWrap(True)
        self.inputs: dict[str, QLineEdit | QComboBox | QPlainTextEdit] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, label in FIELDS:
            widget: QLineEdit | QComboBox | QPlainTextEdit
            if key in ("sector", "partner_status", "nation"):
                widget = QComboBox()
                choices = {"sector": SECTORS, "partner_status": PARTNER_STATUSES, "nation": NATIONS}[key]
                widget.addItem("")
                widget.addItems(list(choices))
                widget.setEditable(key == "sector")  # sectors are an open list; the others are not
                widget.currentTextChanged.connect(self._mark_dirty)
            elif key == "notes":
                widget = QPlainTextEdit()
                widget.setTabChangesFocus(True)
                lines = widget.fontMetrics().lineSpacing()
                widget.setFixedHeight(lines * 4 + 12)
                widget.textChanged.connect(self._mark_dirty)
            else:
                widget = QLineEdit()
                widget.textEdited.connect(self._mark_dirty)
            if key == "website":
                widget.setPlaceholderText("www.example.org")
            widget.setAccessibleName(label)
            self.inputs[key] = widget
            form.addRow(f"{label}:", widget)
        self.error_icon = QLabel()
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        size = self.fontMetrics().height()
        self.error_icon.setPixmap(icon.pixmap(size, size))
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName("Problem with the organisation")
        error_row = QHBoxLayout()
        error_row.addWidget(self.error_icon, 0, Qt.AlignmentFlag.AlignTop)
        error_row.addWidget(self.error_label, 1)
        self.error_box = QWidget()
        self.error_box.setLayout(error_row)
        self.error_box.setVisible(False)
        self.save_button = QPushButton("&Save")
        self.save_button.setAccessibleName("Save organisation")
        self.save_button.setDefault(True)
        self.revert_button = QPushButton("&Revert")
        self.revert_button.setAccessibleName("Discard unsaved changes")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)

        self.people_label = QLabel("People")
        self.people_label.setFont(self._bold())
        self.people_model = RowsModel([Column("Name", 1), Column("Job title", 2), Column("Email", 3)], self)
        self.people_table = make_table(self.people_model, "People at this organisation", multi=False)
        fit_columns(self.people_table, [15, 13, 20], stretch=2)
        self.people_stack = EmptyState(self.people_table, "No one at this organisation yet.")

        self.detail = QWidget()
        detail_layout = QVBoxLayout(self.detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.heading)
        detail_layout.addLayout(form)
        detail_layout.addWidget(self.error_box)
        detail_layout.addLayout(buttons)
        people_box = QWidget()
        people_layout = QVBoxLayout(people_box)
        people_layout.setContentsMargins(0, 4, 0, 0)
        people_layout.addWidget(self.people_label)
        people_layout.addWidget(self.people_stack, 1)
        self.history_view = HistoryView(self.runner, "organisation")
        self.detail_tabs = QTabWidget()
        self.detail_tabs.setDocumentMode(True)
        self.detail_tabs.addTab(people_box, "People")
        # Every labelled email, phone and address; the fields above are the preferred ones.
        self.channel_editor = ChannelEditor(self.runner, "organisation")
        self.channel_editor.changed.connect(self._channels_changed)
        channels_box = QWidget()
        channels_layout = QVBoxLayout(channels_box)
        channels_layout.setContentsMargins(0, 4, 0, 0)
        channels_layout.addWidget(self.channel_editor)
        channels_layout.addStretch(1)
        self.detail_tabs.addTab(channels_box, "Emails, phones and addresses")
        self.detail_tabs.addTab(self.history_view, "History")
        detail_layout.addWidget(self.detail_tabs, 1)
        self.detail_stack = EmptyState(
            self.detail, "Choose an organisation to see and edit it, or create one with New organisation."
        )

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail_stack)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([600, 400])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        # Signals.
        self.search.search_changed.connect(lambda _t: self.refresh())
        self.new_button.clicked.connect(self.new_organisation)
        self.trash_button.clicked.connect(self.trash_selected)
        on_delete_key(self.table, self.trash_selected)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self._revert)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.activated.connect(lambda _index: self.inputs["name"].setFocus())
        self.people_table.activated.connect(
            lambda index: self.person_activated.emit(self.people_model.id_at(index.row()))
        )

        QWidget.setTabOrder(self.search, self.new_button)
        QWidget.setTabOrder(self.new_button, self.table)
        QWidget.setTabOrder(self.table, self.trash_button)
        previous: QWidget = self.trash_button
        for key, _label in FIELDS:
            QWidget.setTabOrder(previous, self.inputs[key])
            previous = self.inputs[key]
        QWidget.setTabOrder(previous, self.revert_button)
        QWidget.setTabOrder(self.revert_button, self.save_button)
        QWidget.setTabOrder(self.save_button, self.people_table)
        self._show_detail(None)

    def _bold(self) -> Any:
        font = self.font()
        font.setBold(True)
        return font

    # Loading -------------------------------------------------------------------------------

    def list_loader(self) -> Callable[[Session], list[tuple[Any, ...]]]:
        """The list (the open organisation follows, in show_list)."""
        text = self._shown_text = self.search.text().strip() or None
        return lambda session: organisations.list_organisations(session, text)

    def show_list(self, rows: list[tuple[Any, ...]]) -> None:
        text = self._shown_text
        keep = self._select_after_refresh or self._current_id
        self._select_after_refresh = None
        header = self.table.horizontalHeader()
        self.table.selectionModel().blockSignals(True)
        self.model.set_rows(rows)
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.table.selectionModel().blockSignals(False)
        n = len(rows)
        self.count_label.setText(f"{n:,} organisation{'s' if n != 1 else ''}")
        if n:
            self.list_stack.set_empty(False)
        elif text:
            self.list_stack.set_empty(True, f"No organisations match “{text}”.")
        else:
            self.list_stack.set_empty(True, "No organisations yet — create one with New organisation.")
        row = self.model.row_of_id(keep) if keep is not None else -1
        if row < 0 and n and keep is None and self.detail_stack.is_empty:
            row = 0  # open the first rather than leave the detail pane empty
        if row >= 0:
            self.table.selectionModel().blockSignals(True)
            self.table.selectRow(row)
            self.table.selectionModel().blockSignals(False)
            self.table.scrollTo(self.model.index(row, 0))
            if not self._dirty:
                self._load_detail(self.model.id_at(row))
                return
        elif self._current_id is not None and not self._dirty:
            self._show_detail(None)
        if not n and self.detail_stack.is_empty:
            self.detail_stack.set_empty(True, "" if text else None)
        self._update_buttons()

    def _load_detail(self, org_id: int, retype: dict[str, Any] | None = None) -> None:
        """Show an organisation; ``retype``: the user's unsaved values, typed in again on top."""

        def load(session: Session) -> tuple[dict[str, Any], list[tuple[Any, ...]], int]:
            org = organisations.get_organisation(session, org_id)
            values = {key: getattr(org, key) for key, _label in FIELDS}
            rows = filters.page(
                session,
                PersonFilter(organisation_id=org_id),
                ["name", "job_title", "email"],
                limit=PEOPLE_LIMIT,
            )
            people = [(r[0], _display_name(r[1]), r[2], r[3]) for r in rows]
            return values, people, org.version

        def show(result: tuple[dict[str, Any], list[tuple[Any, ...]], int]) -> None:
            values, people, version = result
            self._show_detail(org_id, values, people)
            # The copy this edit is based on: a save after someone else's is refused (crm.versions).
            self._loaded_version = version
            self.channel_editor.show_owner(org_id, version)
            if retype:
                self._retype(retype)
            self._update_buttons()

        self.load_detail(load, show)

    def _retype(self, values: dict[str, Any]) -> None:
        """Type the user's unsaved values in again over a freshly loaded organisation."""
        for key, value in values.items():
            widget = self.inputs.get(key)
            text = "" if value is None else str(value)
            if isinstance(widget, QComboBox):
                if widget.findText(text) < 0:
                    widget.addItem(text)
                widget.setCurrentText(text)
            elif isinstance(widget, QPlainTextEdit):
                widget.setPlainText(text)
            elif widget is not None:
                widget.setText(text)
        self._mark_dirty()

    def _show_detail(
        self,
        org_id: int | None,
        values: dict[str, Any] | None = None,
        people: list[tuple[Any, ...]] | None = None,
        *,
        new: bool = False,
    ) -> None:
        self._current_id = org_id
        self.error_box.setVisible(False)
        if org_id is None or new:
            self._loaded_version = None
        if org_id is None and not new:
            self.detail_stack.set_empty(True)
            self._loaded = {}
            self._dirty = False
            return
        self.detail_stack.set_empty(False)
        loaded: dict[str, str] = {}
        for key, _label in FIELDS:
            value = "" if values is None or values.get(key) is None else str(values[key])
            if new and key == "nation":
                value = preferences.current().default_nation  # the user's own, from Preferences
            widget = self.inputs[key]
            widget.blockSignals(True)
            if isinstance(widget, QComboBox):
                if widget.findText(value) < 0:
                    widget.addItem(value)  # a value from an import that is not in the usual list
                widget.setCurrentText(value)
            elif isinstance(widget, QPlainTextEdit):
                widget.setPlainText(value)
            else:
                widget.setText(value)
                widget.setCursorPosition(0)
            widget.blockSignals(False)
            loaded[key] = value
        self._loaded = loaded
        self._dirty = False
        self._heading_base = "New organisation" if new else loaded["name"]
        self.heading.setText(self._heading_base)
        self.people_label.setVisible(not new)
        self.people_stack.setVisible(not new)
        self.detail_tabs.setVisible(not new)
        self.history_view.show_record(None if new else org_id)
        self.people_model.set_rows(people or [])
        n = len(people or [])
        self.people_label.setText(f"People ({n:,}{'+' if n >= PEOPLE_LIMIT else ''})")
        self.people_stack.set_empty(not people)
        self._update_buttons()

    # Editing -------------------------------------------------------------------------------

    def form_values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for key, widget in self.inputs.items():
            if isinstance(widget, QComboBox):
                values[key] = widget.currentText()
            elif isinstance(widget, QPlainTextEdit):
                values[key] = widget.toPlainText()
            else:
                values[key] = widget.text()
        return values

    def _mark_dirty(self, *_args: object) -> None:
        self._dirty = self.form_values() != self._loaded
        self._update_buttons()

    @property
    def has_unsaved_changes(self) -> bool:
        return self._dirty

    def _update_buttons(self) -> None:
        new = self._current_id is None and not self.detail_stack.is_empty
        self.save_button.setEnabled(self._dirty or new)
        self.revert_button.setEnabled(self._dirty)
        self.channel_editor.set_locked(self._dirty)
        self.trash_button.setEnabled(bool(selected_rows(self.table)))
        # Say so in words, not only by an enabled button, when there is something to save.
        self.heading.setText(f"{self._heading_base} (not saved)" if self._dirty else self._heading_base)

    def _show_problem(self, message: str, field: str | None) -> None:
        self.error_label.setText(message)
        self.error_box.setVisible(True)
        if field in self.inputs:
            self.inputs[field].setFocus()

    def _revert(self) -> None:
        if self._current_id is None:
            self._show_detail(None)
        else:
            self._dirty = False
            self._load_detail(self._current_id)

    def _confirm_leave(self) -> bool:
        """True when it is fine to show something else (nothing unsaved, or the user lets it go)."""
        if not self._dirty:
            return True
        return dialogs.confirm(
            self,
            "Unsaved changes",
            f"You have not saved your changes to “{self._loaded.get('name') or 'the new organisation'}”. "
            "Discard them?",
        )

    def _selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        rows = selected_rows(self.table)
        self._update_buttons()
        if len(rows) != 1:
            return
        org_id = self.model.id_at(rows[0])
        if org_id == self._current_id:
            return
        if not self._confirm_leave():
            # Put the selection back on the organisation being edited.
            model = self.table.selectionModel()
            model.blockSignals(True)
            model.select(selected, model.SelectionFlag.Deselect)
            model.select(deselected, model.SelectionFlag.Select)
            model.blockSignals(False)
            return
        self._dirty = False
        self._load_detail(org_id)

    def select_organisation(self, org_id: int) -> None:
        """Show this organisation (selecting it in the list when it is there)."""
        row = self.model.row_of_id(org_id)
        if row >= 0:
            self.table.selectRow(row)
        else:
            self._select_after_refresh = org_id
            self.refresh()

    def new_organisation(self) -> None:
        if not self._confirm_leave():
            return
        self.table.selectionModel().blockSignals(True)
        self.table.clearSelection()
        self.table.selectionModel().blockSignals(False)
        self._show_detail(None, new=True)
        self.inputs["name"].setFocus()

    def save(self) -> None:
        if self.detail_stack.is_empty or not self.save_button.isEnabled():
            return
        try:
            values = validate_fields(self.form_values())
        except ValidationError as exc:
            self._show_problem(str(exc), exc.field)
            return
        self.error_box.setVisible(False)
        org_id = self._current_id
        expected = self._loaded_version
        before: dict[str, Any] = {}
        if org_id is not None:
            # Only what changed, so the audit log names exactly the edited fields.
            values = {k: v for k, v in values.items() if (v or "") != self._loaded.get(k, "")}
            before = {k: self._loaded.get(k) or None for k in values}

        def write(ctx: TaskContext) -> tuple[int, int]:
            with ctx.db.transaction() as session:
                if org_id is None:
                    fields: dict[str, Any] = dict(values)
                    org = organisations.create_organisation(session, **fields)
                    return org.id, org.version
                # Refused (StaleEdit) when someone else saved this organisation since it was shown.
                organisations.update_organisation(session, org_id, values, expected_version=expected)
                return org_id, organisations.get_organisation(session, org_id).version

        def done(saved: tuple[int, int]) -> None:
            saved_id, self._loaded_version = saved
            name = values.get("name") or self._loaded.get("name") or "organisation"
            if org_id is None:
                self._undoable(
                    f"Add {name}",
                    lambda s: organisations.restore_organisations(s, [saved_id]),
                    lambda s: organisations.trash_organisations(s, [saved_id]),
                )
            elif values:
                after = dict(values)
                self._undoable(
                    f"Edit {name}",
                    lambda s: organisations.update_organisation(s, saved_id, after),
                    lambda s: organisations.update_organisation(s, saved_id, before),
                )
            self._dirty = False
            self._current_id = saved_id
            self._select_after_refresh = saved_id
            self.organisation_saved.emit(saved_id)
            self.after_change()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValidationError):
                self._show_problem(str(exc), exc.field)
            elif isinstance(exc, StaleEdit) and org_id is not None:
                if dialogs.ask_reload_stale(self, str(exc)):
                    self._load_detail(org_id, retype=values)
            else:
                report_error(self, exc)

        run_task(self, self.runner, write, on_done=done, on_error=failed, write=True)

    def trash_selected(self) -> None:
        ids = [self.model.id_at(r) for r in selected_rows(self.table)]
        if not ids:
            return
        names = [self.model.row_at(r)[1] for r in selected_rows(self.table)]
        what = f"“{names[0]}”" if len(ids) == 1 else f"{len(ids)} organisations"
        if not dialogs.confirm(
            self,
            "Move to Trash",
            f"Move {what} to the Trash? Their people stay in Kindred. You can restore it from the Trash.",
        ):
            return

        def done(_n: int) -> None:
            if self._current_id in ids:
                self._dirty = False
                self._show_detail(None)

        write_undoable(
            self,
            self.runner,
            lambda session: organisations.trash_organisations(session, ids),
            changed=self.after_change,
            undo_text=f"Move {what} to the Trash",
            reverse=lambda session: organisations.restore_organisations(session, ids),
            on_done=done,
        )

    def _channels_changed(self, org_id: int) -> None:
        """An email, phone or address changed: the preferred ones in the form may have too."""
        if org_id == self._current_id and not self._dirty:
            self._load_detail(org_id)
        self.data_changed.emit()

    def _undoable(
        self, text: str, do: Callable[[Session], object], reverse: Callable[[Session], object]
    ) -> None:
        push_undo(self, PageCommand(self.runner, text, do, reverse, self.after_change))


def _display_name(sort_name: str | None) -> str:
    """ "Last, First" from the list's sort column turned back into "First Last"."""
    if not sort_name:
        return ""
    last, _sep, first = sort_name.partition(", ")
    return " ".join(p for p in (first.strip(), last.strip()) if p)
