"""Subject access ("what do you hold on me?"): everything Kindred holds on one person, as a workbook.

One sheet per kind of data, named in plain words, with dates as real dates and every text written
as text (never a formula or a link). Interactions name the organisations involved and the staff
member responsible, but other people taking part are reduced to a count ("2 other people"): their
names are their personal data, not the requester's. Notes are given in full: read them before
sending, and redact what is about someone else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from crm import audit
from crm.errors import FileProblem, NotFoundError, ValidationError
from crm.models import (
    PERSON_FIELD_LABELS,
    PERSON_FIELDS,
    STAKEHOLDER_LABELS,
    Attendance,
    AttendancePart,
    AuditEntry,
    Consent,
    ContactPoint,
    ElectedRole,
    Event,
    EventPart,
    ExportLog,
    ExportPerson,
    ImportBatch,
    Interaction,
    InteractionOrganisation,
    InteractionPerson,
    Organisation,
    Person,
    PersonTag,
    PersonType,
    RetentionReview,
    StakeholderType,
    Suppression,
    Tag,
)
from crm.privacy.erasure import get_live_person
from crm.privacy.history import person_history
from crm.privacy.settings import existing_suppression_key
from crm.privacy.suppression import email_hash
from crm.validation import normalise_email

Progress = Callable[[int, int], None]
EXCEL_CELL_LIMIT = 32_767
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
OTHERS_NOTE = (
    "Other people who took part are shown only as a number: their names are their own personal data. "
    "Organisations and the staff member responsible are named."
)


@dataclass(frozen=True)
class SubjectAccessResult:
    person_id: int
    name: str
    path: Path
    sheets: dict[str, int]  # sheet → rows of data

    def as_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "name": self.name, "path": str(self.path), "sheets": self.sheets}


def find_person_id(session: Session, *, person_id: int | None = None, email: str | None = None) -> int:
    """The person by id or by any of their email addresses. Raises NotFoundError or ValidationError."""
    if (person_id is None) == (email is None):
        raise ValidationError("Give either a person's id or their email address.")
    if person_id is not None:
        return get_live_person(session, person_id).id
    assert email is not None
    address = normalise_email(email)
    if not address:
        raise ValidationError("Give an email address.", "email")
    ids = sorted(
        set(session.scalars(select(Person.id).where(func.lower(Person.email) == address)))
        | set(
            session.scalars(
                select(func.coalesce(ContactPoint.person_id, 0)).where(
                    ContactPoint.kind == "email",
                    func.lower(ContactPoint.value) == address,
                    ContactPoint.person_id.is_not(None),
                )
            )
        )
    )
    if not ids:
        raise NotFoundError(f"Nobody in Kindred has the email address {address}.")
    if len(ids) > 1:
        listed = ", ".join(str(i) for i in ids[:10])
        raise ValidationError(
            f"{len(ids)} people have the email address {address} (ids {listed}): give the id of the one asking."
        )
    return ids[0]


class _Book:
    """A workbook whose every cell is written safely: text as text, dates as dates."""

    def __init__(self, path: Path) -> None:
        import xlsxwriter

        self.tmp = path.with_name(f".{path.name}.partial")
        self.workbook = xlsxwriter.Workbook(
            str(self.tmp),
            {
                # One person's data fits in memory; shared strings write faster than inline ones.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "tmpdir": str(path.parent),
            },
        )
        wb = self.workbook
        self.header = wb.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
        self.text = wb.add_format({"valign": "top"})
        self.quoted = wb.add_format({"quote_prefix": True, "valign": "top"})
        self.date = wb.add_format({"num_format": "dd/mm/yyyy", "valign": "top", "align": "left"})
        self.stamp = wb.add_format({"num_format": "dd/mm/yyyy hh:mm", "valign": "top", "align": "left"})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.counts: dict[str, int] = {}

    def sheet(
        self, name: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int]
    ) -> None:
        ws = self.workbook.add_worksheet(name)
        for c, (heading, width) in enumerate(zip(headers, widths, strict=True)):
            ws.set_column(c, c, width)
            ws.write_string(0, c, heading, self.header)
        ws.freeze_panes(1, 0)
        n = 0
        for n, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                self.cell(ws, n, c, value)
        if n == 0:
            ws.write_string(1, 0, "Nothing held.", self.text)
        self.counts[name] = n

    def cell(self, ws: Any, r: int, c: int, value: Any) -> None:
        if value is None or value == "":
            return
        if type(value) is str:  # the common case first: most cells are text
            text = _ILLEGAL.sub("", value) if _ILLEGAL.search(value) else value
            if len(text) > EXCEL_CELL_LIMIT // 2:
                text = text.encode("utf-16-le")[: EXCEL_CELL_LIMIT * 2].decode("utf-16-le", errors="ignore")
            ws.write_string(r, c, text, self.quoted if text[0] in FORMULA_STARTS else self.text)
        elif isinstance(value, bool):
            ws.write_string(r, c, "Yes" if value else "No", self.text)
        elif isinstance(value, dt.datetime):
            local = value.astimezone() if value.tzinfo else value
            ws.write_datetime(r, c, local.replace(tzinfo=None), self.stamp)
        elif isinstance(value, dt.date):
            ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), self.date)
        elif isinstance(value, (int, float)):
            ws.write_number(r, c, value, self.text)
        else:
            self.cell(ws, r, c, str(value))

    def close(self, path: Path) -> None:
        self.workbook.close()
        try:
            os.replace(self.tmp, path)
        except OSError as exc:
            self.tmp.unlink(missing_ok=True)
            raise FileProblem(
                f"Cannot save {path}: {exc.strerror or exc}. If the file is open in Excel, close it and try again."
            ) from exc

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # already broken: the partial file goes either way
            self.workbook.close()
        self.tmp.unlink(missing_ok=True)


def write_subject_access(
    session: Session, person_id: int, path: str | Path, *, progress: Progress | None = None
) -> SubjectAccessResult:
    """Write everything held on one person to ``path`` (.xlsx). Raises NotFoundError or FileProblem."""
    person = get_live_person(session, person_id)
    target = Path(path).expanduser()
    if target.suffix.lower() != ".xlsx":
        target = target.with_suffix(".xlsx")
    if not target.parent.is_dir():
        raise FileProblem(f"Cannot save {target}: the folder {target.parent} does not exist.")
    try:
        book = _Book(target.resolve())
    except OSError as exc:
        raise FileProblem(f"Cannot save {target}: {exc.strerror or exc}.") from exc
    steps = 12
    step = 0

    def tick() -> None:
        nonlocal step
        step += 1
        if progress is not None:
            progress(step, steps)

    try:
        _about(book, session, person)
        tick()
        _details(book, session, person)
        tick()
        _contact_details(book, session, person)
        tick()
        _roles(book, session, person_id)
        tick()
        _networks(book, session, person_id)
        tick()
        _events(book, session, person_id)
        tick()
        _interactions(book, session, person_id)
        tick()
        _consents(book, session, person_id)
        tick()
        _preferences(book, session, person)
        tick()
        _history(book, session, person_id)
        tick()
        _imports(book, session, person_id)
        tick()
        _exports(book, session, person_id)
        tick()
        book.close(target.resolve())
    except BaseException:
        book.abort()
        raise
    return SubjectAccessResult(person_id, person.display_name, target.resolve(), dict(book.counts))


def _about(book: _Book, session: Session, person: Person) -> None:
    ws = book.workbook.add_worksheet("About this file")
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 100)
    ws.write_string(0, 0, f"What Kindred holds on {person.display_name}", book.title)
    lines: list[tuple[str, Any]] = [
        ("Kindred ID", person.id),
        ("Made on", dt.datetime.now().astimezone()),
        ("Made by", audit.current_user()),
        ("Details", "Name, job, organisation, stakeholder types, tags and notes."),
        ("Contact details", "Every email address, phone number and postal address."),
        ("Elected roles", "Seats and offices, current and past."),
        ("Networks", "Network memberships, current and past."),
        ("Events", "Events they were invited to or attended, with notes."),
        ("Interactions", "Meetings, calls, emails and letters. " + OTHERS_NOTE),
        ("Consents", "Consent or another lawful basis per purpose, refusals and withdrawals."),
        ("Preferences", "Do not contact, email and post opt-outs, the suppression list, retention reviews."),
        ("History", "Every change to the record: when, who, which field, from what to what, and why."),
        ("Imports and merges", "The spreadsheets and merges that added to or changed the record."),
        ("Exports", "Lists exported from Kindred that included them or left them out."),
    ]
    for r, (label, value) in enumerate(lines, start=2):
        ws.write_string(r, 0, label, book.header)
        book.cell(ws, r, 1, value)


def _details(book: _Book, session: Session, person: Person) -> None:
    org = session.get(Organisation, person.organisation_id) if person.organisation_id else None
    types = [
        STAKEHOLDER_LABELS.get(StakeholderType(t), t) if t in {s.value for s in StakeholderType} else t
        for t in session.scalars(select(PersonType.type).where(PersonType.person_id == person.id))
    ]
    tags = list(
        session.scalars(
            select(Tag.name)
            .join(PersonTag, PersonTag.tag_id == Tag.id)
            .where(PersonTag.person_id == person.id)
        )
    )
    contact = {
        "email",
        "phone",
        "mobile",
        "address_line1",
        "address_line2",
        "address_line3",
        "town",
        "postcode",
        "country",
    }
    prefs = {"do_not_contact", "email_opt_out", "post_opt_out"}
    rows: list[tuple[str, Any]] = [("Kindred ID", person.id)]
    rows += [
        (PERSON_FIELD_LABELS[f], getattr(person, f))
        for f in PERSON_FIELDS
        if f not in contact and f not in prefs and getattr(person, f) not in (None, "")
    ]
    rows += [
        ("Organisation", org.name if org else None),
        ("Stakeholder types", ", ".join(types)),
        ("Tags", "; ".join(tags)),
        ("Last contacted", person.last_contacted),
        ("Added on", person.created_at),
        ("Last changed on", person.updated_at),
        ("In the Trash since", person.deleted_at),
    ]
    book.sheet("Details", ["What", "Held"], [r for r in rows if r[1] not in (None, "")], [26, 90])


def _contact_details(book: _Book, session: Session, person: Person) -> None:
    # Every contact point held, labelled, the preferred one of each kind marked.
    from crm.services.channels import list_channels

    rows: list[tuple[Any, ...]] = []
    for channel in list_channels(session, person_id=person.id):
        note = ", ".join(p for p in (channel.label, "preferred" if channel.preferred else None) if p)
        rows.append((channel.kind_label, channel.text, note))
    book.sheet("Contact details", ["Kind", "Held", "Note"], rows, [16, 60, 24])


def _roles(book: _Book, session: Session, person_id: int) -> None:
    rows = session.execute(
        select(
            ElectedRole.chamber,
            ElectedRole.party,
            ElectedRole.constituency,
            ElectedRole.region,
            ElectedRole.role,
            ElectedRole.start_date,
            ElectedRole.end_date,
        )
        .where(ElectedRole.person_id == person_id)
        .order_by(ElectedRole.start_date, ElectedRole.id)
    ).all()
    book.sheet(
        "Elected roles",
        ["Chamber or council", "Party", "Constituency or ward", "Region", "Office", "From", "Until"],
        [tuple(r) for r in rows],
        [24, 20, 26, 20, 20, 12, 12],
    )


def _networks(book: _Book, session: Session, person_id: int) -> None:
    """One row per period of membership: joining, leaving and rejoining each show."""
    from crm.services.membership_periods import person_history

    rows: list[tuple[Any, ...]] = []
    for h in sorted(person_history(session, person_id, with_trash=True), key=lambda h: h.network):
        groups = ", ".join(f"{name} ({role})" for _gid, name, role in h.groups)
        if not h.periods:
            rows.append((h.network, h.role, h.status, h.cohort, groups, None, None, None, None))
        for p in h.periods:
            rows.append(
                (
                    h.network,
                    h.role,
                    h.status,
                    p.cohort,
                    groups,
                    p.joined_on,
                    p.left_on,
                    p.join_reason,
                    p.leave_reason,
                )
            )
    book.sheet(
        "Networks",
        ["Network", "Role", "Status", "Cohort", "Working groups", "Joined", "Left", "Why joined", "Why left"],
        rows,
        [36, 14, 12, 18, 30, 12, 12, 30, 30],
    )


def _events(book: _Book, session: Session, person_id: int) -> None:
    rows = session.execute(
        select(Event.id, Event.name, Event.starts_on, Event.location, Attendance.status, Attendance.notes)
        .join(Event, Event.id == Attendance.event_id)
        .where(Attendance.person_id == person_id)
        .order_by(Event.starts_on, Event.id)
    ).all()
    # Where they were placed (stations, workshops, breakout rooms) and their notes there, each on
    # its own line; removed parts too, as their placements are still held.
    stations: dict[int, list[str]] = {}
    for event_id, name, notes in session.execute(
        select(EventPart.event_id, EventPart.name, AttendancePart.notes)
        .join(EventPart, EventPart.id == AttendancePart.part_id)
        .where(AttendancePart.person_id == person_id)
        .order_by(EventPart.position, EventPart.id)
    ):
        stations.setdefault(event_id, []).append(f"{name}: {notes}" if notes else name)
    labels = {"no_show": "Did not come"}
    book.sheet(
        "Events",
        ["Event", "Date", "Where", "Attendance", "Notes", "Stations, workshops and rooms"],
        [
            (n, d, w, labels.get(s, (s or "").capitalize()), notes, "\n".join(stations.get(i, [])) or None)
            for i, n, d, w, s, notes in rows
        ],
        [36, 12, 24, 14, 60, 60],
    )


def _interactions(book: _Book, session: Session, person_id: int) -> None:
    dialect = session.get_bind().dialect.name
    mine = select(InteractionPerson.interaction_id).where(InteractionPerson.person_id == person_id)
    others = (
        select(InteractionPerson.interaction_id.label("iid"), (func.count() - 1).label("n"))
        .where(InteractionPerson.interaction_id.in_(mine))
        .group_by(InteractionPerson.interaction_id)
        .subquery()
    )
    agg = (
        func.group_concat(Organisation.name, "; ")
        if dialect == "sqlite"
        else func.string_agg(Organisation.name, "; ")
    )
    orgs = (
        select(InteractionOrganisation.interaction_id.label("iid"), agg.label("names"))
        .join(Organisation, Organisation.id == InteractionOrganisation.organisation_id)
        .where(InteractionOrganisation.interaction_id.in_(mine))
        .group_by(InteractionOrganisation.interaction_id)
        .subquery()
    )
    stmt = (
        select(
            Interaction.date,
            Interaction.kind,
            Interaction.subject,
            Interaction.notes,
            Interaction.topics,
            Interaction.owner,
            orgs.c.names,
            others.c.n,
            Interaction.follow_up_on,
            Interaction.deleted_at,
        )
        .join(others, others.c.iid == Interaction.id)
        .outerjoin(orgs, orgs.c.iid == Interaction.id)
        .order_by(Interaction.date, Interaction.id)
    )

    def rows() -> Iterable[tuple[Any, ...]]:
        for date, kind, subject, notes, topics, owner, org_names, n, follow, deleted in session.execute(stmt):
            people = "" if not n else f"{n} other {'person' if n == 1 else 'people'}"
            yield (
                date,
                (kind or "").capitalize(),
                subject,
                notes,
                topics,
                owner,
                org_names,
                people,
                follow,
                "In the Trash" if deleted else "",
            )

    book.sheet(
        "Interactions",
        [
            "Date",
            "Kind",
            "Subject",
            "Notes",
            "Topics",
            "Staff member",
            "Organisations",
            "Others taking part",
            "Follow up on",
            "Deleted",
        ],
        rows(),
        [12, 10, 36, 60, 20, 16, 30, 18, 12, 12],
    )


def _consents(book: _Book, session: Session, person_id: int) -> None:
    rows = session.execute(
        select(
            Consent.purpose,
            Consent.basis,
            Consent.granted,
            Consent.recorded_on,
            Consent.source,
            Consent.wording,
            Consent.withdrawn_on,
        )
        .where(Consent.person_id == person_id)
        .order_by(Consent.recorded_on, Consent.id)
    ).all()
    book.sheet(
        "Consents",
        [
            "Purpose",
            "Lawful basis",
            "Given or refused",
            "Recorded on",
            "How (source)",
            "What they were told",
            "Withdrawn on",
        ],
        [
            (p, (b or "").capitalize(), "Given" if g else "Refused", when, src, words, gone)
            for p, b, g, when, src, words, gone in rows
        ],
        [20, 20, 16, 12, 30, 60, 12],
    )


def _preferences(book: _Book, session: Session, person: Person) -> None:
    rows: list[tuple[Any, ...]] = [
        ("Do not contact", person.do_not_contact, ""),
        ("No email", person.email_opt_out, ""),
        ("No post", person.post_opt_out, ""),
    ]
    emails = [
        e.lower()
        for e in [
            person.email,
            *session.scalars(
                select(ContactPoint.value).where(
                    ContactPoint.person_id == person.id, ContactPoint.kind == "email"
                )
            ),
        ]
        if e
    ]
    key = existing_suppression_key(session)
    if emails:
        match: ColumnElement[bool] = Suppression.email.in_(emails)
        if key is not None:
            match = or_(match, Suppression.email_hash.in_([email_hash(key, e) for e in emails]))
        for email, reason, added in session.execute(
            select(Suppression.email, Suppression.reason, Suppression.created_at).where(match)
        ):
            rows.append(
                (
                    "On the suppression list",
                    email or "(address kept as a keyed hash)",
                    f"{reason or ''} (added {added:%d/%m/%Y})" if added else reason,
                )
            )
    for kept_on, user, note in session.execute(
        select(RetentionReview.kept_on, RetentionReview.user, RetentionReview.note)
        .where(RetentionReview.person_id == person.id)
        .order_by(RetentionReview.kept_on)
    ):
        rows.append(
            (
                "Kept for another period (retention review)",
                kept_on,
                f"by {user or 'unknown'}" + (f": {note}" if note else ""),
            )
        )
    book.sheet("Preferences", ["What", "Held", "Note"], rows, [40, 40, 50])


def _history(book: _Book, session: Session, person_id: int) -> None:
    entries = person_history(session, person_id)
    book.sheet(
        "History",
        ["When", "Who", "What happened", "Field", "From", "To", "Source"],
        [(e.at, e.who, e.action, e.field, e.old, e.new, e.source) for e in reversed(entries)],
        [16, 14, 16, 24, 30, 30, 40],
    )


def _imports(book: _Book, session: Session, person_id: int) -> None:
    batch_ids = select(AuditEntry.import_batch_id).where(
        AuditEntry.entity == "person",
        AuditEntry.entity_id == person_id,
        AuditEntry.import_batch_id.is_not(None),
    )
    rows: list[tuple[Any, ...]] = [
        (
            started,
            "Import",
            f"{name}" + (f" (sheet {sheet})" if sheet else ""),
            user,
            "Undone" if undone else "",
        )
        for started, name, sheet, user, undone in session.execute(
            select(
                ImportBatch.started_at,
                ImportBatch.file_name,
                ImportBatch.sheet,
                ImportBatch.user,
                ImportBatch.undone_at,
            )
            .where(ImportBatch.id.in_(batch_ids))
            .order_by(ImportBatch.started_at)
        )
    ]
    for at, user, details in session.execute(
        select(AuditEntry.at, AuditEntry.user, AuditEntry.details)
        .where(AuditEntry.entity == "person", AuditEntry.entity_id == person_id, AuditEntry.action == "merge")
        .order_by(AuditEntry.at)
    ):
        rows.append((at, "Merge", details or "Merged with a duplicate record", user, ""))
    rows.sort(key=lambda r: r[0])
    book.sheet(
        "Imports and merges", ["When", "What", "File or details", "Who", "Note"], rows, [16, 10, 50, 14, 10]
    )


def _exports(book: _Book, session: Session, person_id: int) -> None:
    rows = session.execute(
        select(
            ExportLog.at,
            ExportLog.file_name,
            ExportLog.preset,
            ExportLog.filter,
            ExportLog.user,
            ExportPerson.included,
        )
        .join(ExportPerson, ExportPerson.export_id == ExportLog.id)
        .where(ExportPerson.person_id == person_id)
        .order_by(ExportLog.at)
    ).all()
    book.sheet(
        "Exports",
        ["When", "File", "Kind of list", "Which people", "Who", "On the list"],
        [
            (at, f, p, flt, u, "On the list" if inc else "Left out (Excluded sheet)")
            for at, f, p, flt, u, inc in rows
        ],
        [16, 36, 16, 40, 14, 24],
    )
