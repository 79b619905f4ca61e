"""Every record's history: each change with when, who, what field from what to what, and its source.

Read from the audit log (:mod:`crm.audit`). A person's history holds the changes made to them and to
what hangs off them (consents, elected roles, network memberships), the imports that touched them
and the exports that included them or left them out.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from crm.models import (
    ORGANISATION_FIELDS,
    PERSON_FIELD_LABELS,
    AuditEntry,
    Consent,
    ElectedRole,
    Event,
    ExportLog,
    ExportPerson,
    ImportBatch,
    Membership,
    MembershipPeriod,
    Network,
)

ACTION_LABELS: dict[str, str] = {
    "create": "Added",
    "add": "Added",
    "remove": "Removed",
    "update": "Changed",
    "delete": "Moved to the Trash",
    "restore": "Restored",
    "erase": "Erased",
    "import": "Imported",
    "export": "Exported",
    "undo": "Undone",
    "link": "Linked",
    "unlink": "Unlinked",
    "merge": "Merged",
    "review": "Reviewed",
}
_ENTITY_LABELS = {
    "consent": "Consent",
    "elected_role": "Elected role",
    "membership": "Network membership",
    "membership_period": "Period of network membership",
}
_OTHER_FIELD_LABELS = {
    "organisation_id": "Organisation",
    "types": "Stakeholder types",
    "other_emails": "Other email addresses",
    "network": "Network",
    "tags": "Tags",
    "purpose": "Purpose",
    "withdrawn_on": "Withdrawn on",
    "end_date": "End date",
    "status": "Status",
    "retention": "Retention review",
    # Interactions and roles as edited (revision 0011).
    "subject": "Subject",
    "kind": "Kind",
    "date": "Date",
    "owner": "Owner",
    "topics": "Topics",
    "follow_up_on": "Follow-up date",
    "follow_up_done": "Follow-up done",
    "participants": "People",
    "organisations": "Organisations",
    "chamber": "Chamber",
    "party": "Party",
    "constituency": "Constituency",
    "region": "Region",
    "start_date": "Start date",
    # Contact points (crm.services.channels): one added, changed or removed, or made preferred.
    "address": "Postal address",
    "preferred email": "Preferred email",
    "preferred phone": "Preferred phone",
    "preferred mobile": "Preferred mobile",
    "preferred address": "Preferred postal address",
    **{f: f.replace("_", " ").capitalize() for f in ORGANISATION_FIELDS},
}
LIMIT = 5_000


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    who: str
    action: str
    field: str
    old: str
    new: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(timespec="seconds"),
            "who": self.who,
            "action": self.action,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "source": self.source,
        }

    def matches(self, text: str) -> bool:
        needle = text.strip().lower()
        return not needle or any(
            needle in v.lower() for v in (self.who, self.action, self.field, self.old, self.new, self.source)
        )


def field_label(entity: str, name: str | None) -> str:
    if name and name.startswith("event:"):
        return "Event attendance"
    label = PERSON_FIELD_LABELS.get(name or "") or _OTHER_FIELD_LABELS.get(name or "") or (name or "")
    prefix = _ENTITY_LABELS.get(entity)
    if prefix:
        return f"{prefix}: {label.lower()}" if label else prefix
    return label


def display_value(value: str | None) -> str:
    """A stored value in plain words: flags as Yes/No, lists joined, ISO dates as UK dates."""
    if value is None:
        return ""
    if value in ("true", "false"):
        return "Yes" if value == "true" else "No"
    if value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            return value
        if isinstance(items, list):
            return ", ".join(str(i) for i in items)
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _sources(session: Session, entries: Sequence[AuditEntry]) -> dict[int, str]:
    ids = sorted({e.import_batch_id for e in entries if e.import_batch_id is not None})
    if not ids:
        return {}
    return {
        bid: f"Import of {name} (import {bid})"
        for bid, name in session.execute(
            select(ImportBatch.id, ImportBatch.file_name).where(ImportBatch.id.in_(ids))
        )
    }


def _source(entry: AuditEntry, batches: dict[int, str]) -> str:
    if entry.import_batch_id is not None:
        return batches.get(entry.import_batch_id, f"Import {entry.import_batch_id}")
    details = entry.details or ""
    if details.startswith("person ") and details[7:].isdigit():
        return ""  # the link back to the person, not a source
    return details


def _names(session: Session, entries: Sequence[AuditEntry]) -> tuple[dict[int, str], dict[int, str]]:
    """Network and event names the entries refer to by id ("3:champion", "event:1")."""
    network_ids: set[int] = set()
    event_ids: set[int] = set()
    for e in entries:
        if e.field == "network":
            for value in (e.old_value, e.new_value):
                head = (value or "").split(":", 1)[0]
                if head.isdigit():
                    network_ids.add(int(head))
        elif e.field and e.field.startswith("event:") and e.field.split(":")[1].isdigit():
            event_ids.add(int(e.field.split(":")[1]))
    networks = (
        dict(session.execute(select(Network.id, Network.name).where(Network.id.in_(network_ids))).all())
        if network_ids
        else {}
    )
    events = (
        dict(session.execute(select(Event.id, Event.name).where(Event.id.in_(event_ids))).all())
        if event_ids
        else {}
    )
    return networks, events


def _entry(
    e: AuditEntry, batches: dict[int, str], networks: dict[int, str], events: dict[int, str]
) -> HistoryEntry:
    field = field_label(e.entity, e.field)
    old, new = display_value(e.old_value), display_value(e.new_value)
    if e.field == "network":
        old, new = (_membership(v, networks) for v in (old, new))
    elif e.field and e.field.startswith("event:") and e.field[6:].isdigit():
        field = f"Attendance at {events.get(int(e.field[6:]), 'an event')}"
        old, new = (v.replace("_", " ").capitalize() for v in (old, new))
    elif e.field and e.field.startswith("event:") and e.field.endswith(":notes"):
        head = e.field.split(":")[1]
        field = f"Notes at {events.get(int(head), 'an event') if head.isdigit() else 'an event'}"
    elif e.field and e.field.startswith("event_part:"):
        field = "Notes at a station" if e.field.endswith(":notes") else "Station"
    return HistoryEntry(
        at=_aware(e.at),
        who=e.user or "",
        action=ACTION_LABELS.get(e.action, e.action.capitalize()),
        field=field,
        old=old,
        new=new,
        source=_source(e, batches),
    )


def _membership(value: str, networks: dict[int, str]) -> str:
    """ "3:champion" → "Kindness Champions (champion)"."""
    head, _, role = value.partition(":")
    if not head.isdigit():
        return value
    name = networks.get(int(head), f"network {head}")
    return f"{name} ({role})" if role else name


def person_history(session: Session, person_id: int, limit: int = LIMIT) -> list[HistoryEntry]:
    """Newest first: what changed on a person and what hangs off them, and the exports they were on."""
    consent_ids = select(Consent.id).where(Consent.person_id == person_id)
    role_ids = select(ElectedRole.id).where(ElectedRole.person_id == person_id)
    membership_ids = select(Membership.id).where(Membership.person_id == person_id)
    stmt = (
        select(AuditEntry)
        .where(
            or_(
                and_(AuditEntry.entity == "person", AuditEntry.entity_id == person_id),
                and_(AuditEntry.entity == "consent", AuditEntry.entity_id.in_(consent_ids)),
                and_(AuditEntry.entity == "elected_role", AuditEntry.entity_id.in_(role_ids)),
                and_(AuditEntry.entity == "membership", AuditEntry.entity_id.in_(membership_ids)),
                and_(
                    AuditEntry.entity == "membership_period",
                    AuditEntry.entity_id.in_(
                        select(MembershipPeriod.id).where(MembershipPeriod.membership_id.in_(membership_ids))
                    ),
                ),
            )
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    entries = list(session.scalars(stmt))
    batches = _sources(session, entries)
    networks, events = _names(session, entries)
    out = [_entry(e, batches, networks, events) for e in entries]
    for log, included in session.execute(
        select(ExportLog, ExportPerson.included)
        .join(ExportPerson, ExportPerson.export_id == ExportLog.id)
        .where(ExportPerson.person_id == person_id)
        .order_by(ExportLog.at.desc())
        .limit(limit)
    ):
        what = "On the list" if included else "Left out (on the Excluded sheet)"
        out.append(
            HistoryEntry(
                at=_aware(log.at),
                who=log.user or "",
                action="Exported",
                field="",
                old="",
                new=what,
                source=f"Export to {log.file_name} ({log.preset or 'export'}; {log.filter or 'everyone'})",
            )
        )
    out.sort(key=lambda h: h.at, reverse=True)
    return out[:limit]


def organisation_history(session: Session, organisation_id: int, limit: int = LIMIT) -> list[HistoryEntry]:
    """Newest first: what changed on an organisation."""
    entries = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "organisation", AuditEntry.entity_id == organisation_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )
    batches = _sources(session, entries)
    return [_entry(e, batches, {}, {}) for e in entries]


def interaction_history(session: Session, interaction_id: int, limit: int = LIMIT) -> list[HistoryEntry]:
    """Newest first: what changed on an interaction (logged, edited, trashed, restored)."""
    entries = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "interaction", AuditEntry.entity_id == interaction_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )
    batches = _sources(session, entries)
    return [_entry(e, batches, {}, {}) for e in entries]


def filter_entries(
    entries: Sequence[HistoryEntry], text: str = "", action: str | None = None
) -> list[HistoryEntry]:
    """Entries containing ``text`` anywhere (case ignored), of one action if given."""
    return [e for e in entries if (action is None or e.action == action) and e.matches(text)]
