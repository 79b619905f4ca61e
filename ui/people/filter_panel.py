"""The filter panel of the people list: one control for every field of :class:`crm.filters.PersonFilter`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm.filters import PersonFilter
from crm.models import (
    CHAMBERS,
    CONSENT_PURPOSES,
    MEMBERSHIP_ROLES,
    MEMBERSHIP_STATUSES,
    NATIONS,
    SECTORS,
    ElectedRole,
    EventPart,
    NetworkCohort,
    NetworkGroup,
    Organisation,
    Person,
    StakeholderType,
)
from crm.privacy.settings import retention_months
from crm.services import events, networks, tags

from ui import preferences
from ui.tasks import TaskRunner, emit
from ui.widgets import align_form_labels

ANY = "Any"
_TRI = ((ANY, None), ("Yes", True), ("No", False))
_NO_DATE = QDate(1900, 1, 1)


def _combo(name: str, items: list[str] | tuple[str, ...] = (), *, editable: bool = False) -> QComboBox:
    box = QComboBox()
    box.setAccessibleName(name)
    box.setEditable(editable)
    box.addItem(ANY if not editable else "")
    box.addItems(list(items))
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(10)
    return box


def _tri(name: str) -> QComboBox:
    box = QComboBox()
    box.setAccessibleName(name)
    for label, value in _TRI:
        box.addItem(label, value)
    return box


def _date(name: str) -> QDateEdit:
    edit = QDateEdit()
    edit.setAccessibleName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(preferences.qt_date_format())
    edit.setMinimumDate(_NO_DATE)
    edit.setSpecialValueText(ANY)
    edit.setDate(_NO_DATE)
    return edit


def _text(box: QComboBox) -> str | None:
    value = box.currentText().strip()
    return None if not value or value == ANY else value


def _set_text(box: QComboBox, value: str | None) -> None:
    if not value:
        box.setCurrentIndex(0)
        return
    i = box.findText(value)
    if i < 0 and not box.isEditable():
        box.addItem(value)
        i = box.findText(value)
    if i >= 0:
        box.setCurrentIndex(i)
    else:
        box.setEditText(value)


class FilterPanel(QWidget):
    """Emits ``changed`` whenever a control changes; :meth:`person_filter` reads them all."""

    changed = Signal()

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._quiet = False
        # The retention period set on the Due for review page, so this filter lists who it lists.
        self._retention_months: int | None = None

        self.type_combo = _combo("Stakeholder type")
        for kind in StakeholderType:
            self.type_combo.addItem(kind.label, kind.value)
        self.network_combo = _combo("Network")
        self.role_combo = _combo("Network role", MEMBERSHIP_ROLES)
        self.status_combo = _combo("Membership status", MEMBERSHIP_STATUSES)
        # Cohorts and groups of the chosen network (names; every network's, as the network may change).
        self.cohort_combo = _combo("Cohort")
        self.group_combo = _combo("Working group or hub")
        self.left_check = QCheckBox("Has left the network")
        self.left_check.setAccessibleName("Has left the network")
        self.left_check.setToolTip("People whose membership of the network has ended (no open period)")
        self.tag_combo = _combo("Tag")
        self.event_combo = _combo("Event")
        self.station_combo = _combo("Station, workshop or room", editable=True)
        self.organisation_combo = _combo("Organisation", editable=True)
        self.sector_combo = _combo("Sector", SECTORS)
        self.nation_combo = _combo("Nation", NATIONS)
        self.region_combo = _combo("Region", editable=True)
        self.chamber_combo = _combo("Chamber", CHAMBERS)
        self.party_combo = _combo("Party", editable=True)
        self.constituency_edit = QLineEdit()
        self.constituency_edit.setAccessibleName("Constituency or region")
        self.constituency_edit.setPlaceholderText(ANY)
        self.current_roles_check = QCheckBox("Current members only")
        self.current_roles_check.setToolTip(
            "MSPs, MSs, MPs, councillors, chambers and networks mean current members; untick to include former ones"
        )
        self.current_roles_check.setChecked(True)
        self.has_email_combo = _tri("Has an email address")
        self.has_address_combo = _tri("Has a postal address")
        self.can_email_combo = _tri("Can be emailed")
        self.can_post_combo = _tri("Can be sent post")
        self.dnc_combo = _tri("Do not contact")
        self.consent_combo = _combo("Consent for", CONSENT_PURPOSES)
        self.contacted_after = _date("Last contacted on or after")
        self.contacted_before = _date("Last contacted before, or never")
        self.never_combo = _tri("Never contacted")
        self.in_trash_check = QCheckBox("In the Trash")
        # Data quality (the dashboard's tiles open the list with one of these).
        self.invalid_postcode_combo = _tri("Invalid postcode")
        self.invalid_phone_combo = _tri("Invalid phone")
        self.duplicate_combo = _tri("Shares an email, or name and postcode, with someone")
        self.has_consent_combo = _tri("Has a consent record")
        self.retention_combo = _tri("Due for retention review")
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.clicked.connect(self.clear)

        who = QGroupBox("Who")
        f1 = QFormLayout(who)
        f1.addRow("Type", self.type_combo)
        f1.addRow("Organisation", self.organisation_combo)
        f1.addRow("Sector", self.sector_combo)
        f1.addRow("Nation", self.nation_combo)
        f1.addRow("Region", self.region_combo)
        groups = QGroupBox("Networks and tags")
        f2 = QFormLayout(groups)
        f2.addRow("Network", self.network_combo)
        f2.addRow("Role", self.role_combo)
        f2.addRow("Status", self.status_combo)
        f2.addRow("Cohort", self.cohort_combo)
        f2.addRow("Group", self.group_combo)
        f2.addRow("", self.left_check)
        f2.addRow("Tag", self.tag_combo)
        at_events = QGroupBox("Events")
        f7 = QFormLayout(at_events)
        f7.addRow("On the list of", self.event_combo)
        f7.addRow("At station", self.station_combo)
        elected = QGroupBox("Elected office")
        f3 = QFormLayout(elected)
        f3.addRow("Chamber", self.chamber_combo)
        f3.addRow("Party", self.party_combo)
        f3.addRow("Constituency", self.constituency_edit)
        f3.addRow("", self.current_roles_check)
        comms = QGroupBox("Communication")
        f4 = QFormLayout(comms)
        f4.addRow("Has email", self.has_email_combo)
        f4.addRow("Has address", self.has_address_combo)
        f4.addRow("Can email", self.can_email_combo)
        f4.addRow("Can post", self.can_post_combo)
        f4.addRow("Do not contact", self.dnc_combo)
        f4.addRow("Consent for", self.consent_combo)
        contact = QGroupBox("Last contacted")
        f5 = QFormLayout(contact)
        f5.addRow("On or after", self.contacted_after)
        f5.addRow("Before", self.contacted_before)
        f5.addRow("Never", self.never_combo)
        f5.addRow("", self.in_trash_check)
        quality = QGroupBox("Data quality")
        f6 = QFormLayout(quality)
        f6.addRow("Invalid postcode", self.invalid_postcode_combo)
        f6.addRow("Invalid phone", self.invalid_phone_combo)
        f6.addRow("Shares email/name", self.duplicate_combo)
        f6.addRow("Consent recorded", self.has_consent_combo)
        f6.addRow("Retention review", self.retention_combo)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.clear_button)
        f6.addRow(bottom)

        # One label width for every group, so the controls line up down the panel.
        align_form_labels((f1, f2, f7, f3, f4, f5, f6))
        # A column of groups: the panel sits beside the list, so it scrolls down, never sideways.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        for box in (who, groups, at_events, elected, comms, contact, quality):
            layout.addWidget(box)
        layout.addStretch(1)

        for combo in self.findChildren(QComboBox):
            combo.currentIndexChanged.connect(self._emit)
            if combo.isEditable() and (line := combo.lineEdit()) is not None:
                line.editingFinished.connect(self._emit)
        self.constituency_edit.editingFinished.connect(self._emit)
        for check in (self.current_roles_check, self.in_trash_check, self.left_check):
            check.toggled.connect(self._emit)
        for edit in (self.contacted_after, self.contacted_before):
            edit.dateChanged.connect(self._emit)

    def _emit(self, *_args: Any) -> None:
        if not self._quiet:
            emit(self.changed)

    def refresh_choices(self) -> None:
        """Networks, tags, organisations, regions and parties as they are in the database now."""
        keep = self.person_filter()
        with self.runner.db.session() as session:
            self._retention_months = retention_months(session)
            network_names = [n for _id, n, _c in networks.list_networks(session)]
            cohort_names = sorted(set(session.scalars(select(NetworkCohort.name))), key=str.lower)
            group_names = sorted(set(session.scalars(select(NetworkGroup.name))), key=str.lower)
            tag_names = [t for t, _n in tags.all_tags(session)]
            org_names = list(
                session.scalars(
                    select(Organisation.name)
                    .where(Organisation.deleted_at.is_(None))
                    .order_by(Organisation.name)
                )
            )
            regions = [
                r for r in session.scalars(select(Person.region).distinct().order_by(Person.region)) if r
            ]
            event_names = [r[1] for r in events.list_events(session)]
            station_names = list(
                session.scalars(
                    select(EventPart.name)
                    .where(EventPart.deleted_at.is_(None))
                    .distinct()
                    .order_by(EventPart.name)
                )
            )
            parties = [
                p
                for p in session.scalars(select(ElectedRole.party).distinct().order_by(ElectedRole.party))
                if p
            ]
        self._quiet = True
        try:
            for box, items in (
                (self.network_combo, network_names),
                (self.cohort_combo, cohort_names),
                (self.group_combo, group_names),
                (self.tag_combo, tag_names),
                (self.organisation_combo, org_names),
                (self.region_combo, regions),
                (self.party_combo, parties),
                (self.event_combo, event_names),
                (self.station_combo, station_names),
            ):
                box.clear()
                box.addItem("" if box.isEditable() else ANY)
                box.addItems(items)
            self.set_filter(keep)
        finally:
            self._quiet = False

    def person_filter(self, text: str | None = None) -> PersonFilter:
        after = self.contacted_after.date()
        before = self.contacted_before.date()
        kind = self.type_combo.currentData()
        return PersonFilter(
            text=text or None,
            types=[kind] if kind else [],
            network=_text(self.network_combo),
            network_role=_text(self.role_combo),
            network_status=_text(self.status_combo),
            network_cohort=_text(self.cohort_combo),
            network_group=_text(self.group_combo),
            network_left=self.left_check.isChecked(),
            tags=[t] if (t := _text(self.tag_combo)) else [],
            organisation=_text(self.organisation_combo),
            sector=_text(self.sector_combo),
            nation=_text(self.nation_combo),
            region=_text(self.region_combo),
            chamber=_text(self.chamber_combo),
            party=_text(self.party_combo),
            constituency=self.constituency_edit.text().strip() or None,
            current_roles_only=self.current_roles_check.isChecked(),
            has_email=self.has_email_combo.currentData(),
            has_address=self.has_address_combo.currentData(),
            can_email=self.can_email_combo.currentData(),
            can_post=self.can_post_combo.currentData(),
            do_not_contact=self.dnc_combo.currentData(),
            consent_purpose=_text(self.consent_combo),
            last_contacted_after=None
            if after == _NO_DATE
            else dt.date(after.year(), after.month(), after.day()),
            last_contacted_before=None
            if before == _NO_DATE
            else dt.date(before.year(), before.month(), before.day()),
            never_contacted=self.never_combo.currentData(),
            in_trash=self.in_trash_check.isChecked(),
            invalid_postcode=self.invalid_postcode_combo.currentData(),
            invalid_phone=self.invalid_phone_combo.currentData(),
            possible_duplicate=self.duplicate_combo.currentData(),
            has_consent=self.has_consent_combo.currentData(),
            retention_review_due=(due := self.retention_combo.currentData()),
            retention_months=self._retention_months if due is not None else None,
            event=_text(self.event_combo),
            station=_text(self.station_combo),
        )

    def set_filter(self, f: PersonFilter) -> None:
        """Show a filter (a saved view) in the controls, without emitting ``changed`` for each."""
        was_quiet = self._quiet
        self._quiet = True
        if f.retention_months is not None:
            self._retention_months = f.retention_months
        try:
            i = self.type_combo.findData(f.types[0]) if f.types else 0
            self.type_combo.setCurrentIndex(max(i, 0))
            _set_text(self.network_combo, f.network)
            _set_text(self.role_combo, f.network_role)
            _set_text(self.status_combo, f.network_status)
            _set_text(self.cohort_combo, f.network_cohort)
            _set_text(self.group_combo, f.network_group)
            self.left_check.setChecked(f.network_left)
            _set_text(self.tag_combo, f.tags[0] if f.tags else None)
            _set_text(self.organisation_combo, f.organisation)
            _set_text(self.sector_combo, f.sector)
            _set_text(self.nation_combo, f.nation)
            _set_text(self.region_combo, f.region)
            _set_text(self.chamber_combo, f.chamber)
            _set_text(self.party_combo, f.party)
            _set_text(self.event_combo, f.event)
            _set_text(self.station_combo, f.station)
            self.constituency_edit.setText(f.constituency or "")
            self.current_roles_check.setChecked(f.current_roles_only)
            for box, value in (
                (self.has_email_combo, f.has_email),
                (self.has_address_combo, f.has_address),
                (self.can_email_combo, f.can_email),
                (self.can_post_combo, f.can_post),
                (self.dnc_combo, f.do_not_contact),
                (self.never_combo, f.never_contacted),
                (self.invalid_postcode_combo, f.invalid_postcode),
                (self.invalid_phone_combo, f.invalid_phone),
                (self.duplicate_combo, f.possible_duplicate),
                (self.has_consent_combo, f.has_consent),
                (self.retention_combo, f.retention_review_due),
            ):
                box.setCurrentIndex(max(box.findData(value), 0) if value is not None else 0)
            _set_text(self.consent_combo, f.consent_purpose)
            for edit, day in (
                (self.contacted_after, f.last_contacted_after),
                (self.contacted_before, f.last_contacted_before),
            ):
                edit.setDate(QDate(day.year, day.month, day.day) if day else _NO_DATE)
            self.in_trash_check.setChecked(f.in_trash)
        finally:
            self._quiet = was_quiet

    def clear(self) -> None:
        self.set_filter(PersonFilter())
        emit(self.changed)

    def active_count(self) -> int:
        """How many filter fields are set (for the "Filters (n)" button)."""
        data = self.person_filter().to_dict()
        return len(data)
