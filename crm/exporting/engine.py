"""The export engine: which people, which columns, who is left out and why, written safely.

Everything that decides who is left out runs in SQL: one streamed ``SELECT`` returns the chosen
columns of every selected person with a reason code (0 = include). Python only composes names and
salutations, removes duplicates and writes; no ORM object is made per row, and rows are written as
they arrive, so memory stays flat however long the list.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import insert_rows
from crm.db import Database
from crm.errors import Cancelled, NotFoundError, ValidationError
from crm.exporting import columns as colmod
from crm.exporting.columns import ADDRESS_BLOCK_FIELDS, COLUMNS, COMPOSED, Kind, NameParts
from crm.exporting.writers import open_writer
from crm.filters import PersonFilter, person_ids_select
from crm.models import (
    Attendance,
    AttendanceStatus,
    Consent,
    ContactPoint,
    Event,
    ExportLog,
    ExportPerson,
    Organisation,
    Person,
    PersonTag,
    PersonType,
    Suppression,
    Tag,
    table_of,
    utcnow,
)
from crm.roster.current import FormerIn, addressable, former_members

Purpose = Literal["email", "post"]
Progress = Callable[[int, int], None]

# Reason codes computed in SQL, in order of precedence, and what the Excluded sheet says.
INCLUDE = 0
IN_TRASH = 1
DO_NOT_CONTACT = 2
SUPPRESSED = 3
EMAIL_OPT_OUT = 4
POST_OPT_OUT = 5
NO_CONSENT = 6
NO_EMAIL = 7
NO_ADDRESS = 8

REASONS: dict[int, str] = {
    IN_TRASH: "In the Trash",
    DO_NOT_CONTACT: "Do not contact",
    SUPPRESSED: "On the suppression list (asked not to be contacted)",
    EMAIL_OPT_OUT: "Opted out of email",
    POST_OPT_OUT: "Opted out of post",
    NO_CONSENT: "No consent or lawful basis for {purpose}",
    NO_EMAIL: "No email address",
    NO_ADDRESS: "No usable postal address",
}
DUPLICATE_EMAIL = "Same email address as {name} (row {row})"
DUPLICATE_ADDRESS = "Same postal address as {name} (row {row})"

# The channel whose rules a preset applies unless the user deliberately ignores them (with a reason):
# a mail merge is for letters, an email list for email. A full record is not a mailing.
PRESET_CHANNELS: dict[str, Purpose | None] = {"mail-merge": "post", "email": "email", "full": None}
CHANNEL_LABELS: dict[str | None, str] = {"post": "post", "email": "email", None: "none"}
IGNORE_REASON_MAX = 500

PROGRESS_EVERY = 500
JOINT_NAMES_MAX = 3
FETCH_CHUNK = 2_000

# Fields every export reads, whatever the columns: names for salutations, email and address for
# duplicates and the Excluded sheet.
_BASE_FIELDS = (
    "id",
    "title",
    "first_name",
    "last_name",
    "preferred_name",
    "post_nominals",
    "email",
    "address_line1",
    "town",
    "postcode",
    "organisation_id",
)
_BOOL_COLUMNS = frozenset({"do_not_contact", "email_opt_out", "post_opt_out"})
_COMPOSED_ORDER = ("full_name", "salutation_informal", "salutation_formal", "addressee")
_ADDRESS_NOISE = re.compile(r"[\s,.]+")


@dataclass
class ExportResult:
    """What an export did. ``exported`` counts rows; ``people`` everyone on them (joint letters)."""

    exported: int
    excluded: int
    path: Path
    seconds: float
    warnings: list[str] = field(default_factory=list)
    people: int = 0
    files: list[Path] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    interaction_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "exported": self.exported,
            "excluded": self.excluded,
            "people": self.people,
            "path": str(self.path),
            "files": [str(p) for p in self.files],
            "seconds": round(self.seconds, 3),
            "warnings": self.warnings,
            "excluded_reasons": self.reasons,
            "interaction_id": self.interaction_id,
        }


@dataclass(frozen=True)
class ExportOptions:
    """Who is left out and how rows are formed; shared by the export and its preview."""

    purpose: Purpose | None = None  # the channel: email merge, postal merge, or neither
    consent_purpose: str | None = None  # e.g. "newsletter": leave out people without a basis for it
    dedupe: bool = True  # one row per email address (per postal address for letters)
    joint_salutation: bool = False  # letters: people at one address share a row, "Dear Ann and Bob"
    event_id: int | None = None  # only people on this event's attendance list
    attendance_statuses: tuple[str, ...] = ()  # and only with these statuses (default: any)
    # Letters: each person's postal address with this label ("Constituency office"), falling back
    # to their preferred one when they have none so labelled.
    address_label: str | None = None

    def check(self) -> None:
        if self.purpose not in (None, "email", "post"):
            raise ValidationError(f"{self.purpose!r} is not a channel (email or post).", "purpose")
        if self.joint_salutation and self.purpose != "post":
            raise ValidationError(
                "Joint salutations are for letters: choose the post channel to use them.", "joint_salutation"
            )
        valid = {s.value for s in AttendanceStatus}
        for status in self.attendance_statuses:
            if status not in valid:
                raise ValidationError(
                    f"{status!r} is not an attendance status ({', '.join(sorted(valid))}).", "status"
                )


# --- SQL --------------------------------------------------------------------------------------


def _types_aggregate(dialect: str) -> Any:
    agg = (
        func.group_concat(PersonType.type, ", ")
        if dialect == "sqlite"
        else func.string_agg(PersonType.type, ", ")
    )
    return select(agg).where(PersonType.person_id == Person.id).correlate(Person).scalar_subquery()


def _tags_aggregate(dialect: str) -> Any:
    """A person's tags in one cell, separated as the importer reads them back."""
    agg = func.group_concat(Tag.name, "; ") if dialect == "sqlite" else func.string_agg(Tag.name, "; ")
    return (
        select(agg)
        .select_from(PersonTag)
        .join(Tag, Tag.id == PersonTag.tag_id)
        .where(PersonTag.person_id == Person.id)
        .correlate(Person)
        .scalar_subquery()
    )


_ADDRESS_PARTS = ("address_line1", "address_line2", "address_line3", "town", "postcode", "country")


def address_columns(options: ExportOptions | None = None) -> dict[str, Any]:
    """The SQL for each part of the address an export uses: the person's preferred address, or
    with ``address_label`` their address of that label where they have one (else the preferred)."""
    label = (options.address_label or "").strip().lower() if options is not None else ""
    if not label:
        return {p: getattr(Person, p) for p in _ADDRESS_PARTS}
    mine = (
        ContactPoint.person_id == Person.id,
        ContactPoint.kind == "address",
        func.lower(ContactPoint.label) == label,
    )
    has = exists().where(*mine)

    def part(name: str) -> Any:
        return (
            select(getattr(ContactPoint, name))
            .where(*mine)
            .order_by(ContactPoint.preferred.desc(), ContactPoint.id)
            .limit(1)
            .correlate(Person)
            .scalar_subquery()
        )

    return {p: case((has, part(p)), else_=getattr(Person, p)) for p in _ADDRESS_PARTS}


def _sql_expression(key: str, dialect: str, address: dict[str, Any] | None = None) -> Any:
    if address is not None and key in address:
        return address[key]
    if key == "organisation":
        return Organisation.name
    if key == "types":
        return _types_aggregate(dialect)
    if key == "tags":
        return _tags_aggregate(dialect)
    return getattr(Person, key)


def _has_text(column: Any) -> ColumnElement[bool]:
    return and_(column.is_not(None), column != "")


def usable_address(address: dict[str, Any] | None = None) -> ColumnElement[bool]:
    """A first address line and a postcode or town: enough for Royal Mail to deliver."""
    a = address or address_columns()
    return and_(_has_text(a["address_line1"]), or_(_has_text(a["postcode"]), _has_text(a["town"])))


def reason_expression(options: ExportOptions) -> Any:
    """The SQL ``CASE`` giving each person's reason code (0 to include), first reason wins."""
    whens: list[tuple[ColumnElement[bool], int]] = [
        (Person.deleted_at.is_not(None), IN_TRASH),
        (Person.do_not_contact.is_(true()), DO_NOT_CONTACT),
        # Any of the person's email addresses on the suppression list, not only the preferred one.
        (
            exists().where(
                ContactPoint.person_id == Person.id,
                ContactPoint.kind == "email",
                Suppression.email == func.lower(ContactPoint.value),
            ),
            SUPPRESSED,
        ),
    ]
    if options.purpose == "email":
        whens.append((Person.email_opt_out.is_(true()), EMAIL_OPT_OUT))
    elif options.purpose == "post":
        whens.append((Person.post_opt_out.is_(true()), POST_OPT_OUT))
    if options.consent_purpose:
        has_basis = exists().where(
            Consent.person_id == Person.id,
            Consent.purpose == options.consent_purpose.strip().lower(),
            Consent.granted.is_(true()),
            Consent.withdrawn_on.is_(None),
        )
        whens.append((~has_basis, NO_CONSENT))
    if options.purpose == "email":
        whens.append((~_has_text(Person.email), NO_EMAIL))
    elif options.purpose == "post":
        whens.append((~usable_address(address_columns(options)), NO_ADDRESS))
    return case(*whens, else_=literal(INCLUDE))


def selection(f: PersonFilter, dialect: str, options: ExportOptions) -> Select[tuple[int]]:
    """The ids of everyone the export looks at, including people in the Trash who would otherwise
    match (they appear on the Excluded sheet, so nobody wonders where they went)."""
    live = person_ids_select(f, dialect)
    if f.in_trash:
        stmt: Select[tuple[int]] = live
    else:
        trashed = person_ids_select(dataclasses.replace(f, in_trash=True), dialect)
        both = union_all(live, trashed).subquery()
        stmt = select(both.c.id)
    if options.event_id is not None:
        attendees = select(Attendance.person_id).where(Attendance.event_id == options.event_id)
        if options.attendance_statuses:
            attendees = attendees.where(Attendance.status.in_(list(options.attendance_statuses)))
        inner = stmt.subquery()
        stmt = select(inner.c.id).where(inner.c.id.in_(attendees))
    return stmt


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _address_order(address: dict[str, Any]) -> list[Any]:
    return [
        func.lower(func.replace(func.coalesce(address["postcode"], ""), " ", "")),
        func.lower(func.coalesce(address["address_line1"], "")),
        func.lower(func.coalesce(address["town"], "")),
    ]


def build_query(
    f: PersonFilter, columns: Sequence[str], options: ExportOptions, dialect: str
) -> tuple[Select[Any], dict[str, int]]:
    """The streamed query and the position of each field in its rows."""
    keys: list[str] = list(_BASE_FIELDS)
    wanted = list(columns)
    if "address_block" in wanted:
        wanted += ADDRESS_BLOCK_FIELDS
    for key in wanted:
        if key not in COMPOSED and key not in keys:
            keys.append(key)
    address = address_columns(options)
    exprs = [_sql_expression(k, dialect, address).label(f"c_{k}") for k in keys]
    exprs.append(reason_expression(options).label("reason"))
    exprs.append(literal(None).label("blank"))
    stmt = (
        select(*exprs)
        .select_from(Person)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .where(Person.id.in_(selection(f, dialect, options)))
    )
    order = [Person.last_name, Person.first_name, Person.id]
    if options.purpose == "post":
        # Letters come out in postcode order (handy for posting), which also puts the people of
        # one address next to each other for joint salutations.
        order = [*_address_order(address), *order]
    stmt = stmt.order_by(*order)
    positions = {k: i for i, k in enumerate(keys)}
    positions["reason"] = len(keys)
    positions["blank"] = len(keys) + 1
    return stmt, positions


# --- Rows -------------------------------------------------------------------------------------


@dataclass
class _Row:
    values: list[Any]
    person_ids: list[int]


@dataclass
class _Excluded:
    values: list[Any]


# Public names for what iter_export_rows yields, for other outputs of the same selection (letters
# and labels): an ExcludedRow's values are name, email, postcode, reason and person id.
ExportRow = _Row
ExcludedRow = _Excluded


def address_key(line1: str | None, town: str | None, postcode: str | None) -> str:
    """Two people share a postal address when line 1 and postcode (or town) match, case and
    spacing aside."""
    place = postcode or town or ""
    return _ADDRESS_NOISE.sub(" ", f"{line1 or ''}|{place}".lower()).strip()


class _RowMaker:
    """Turns SQL rows into sheet rows for the chosen columns."""

    def __init__(self, columns: Sequence[str], pos: dict[str, int]) -> None:
        self.columns = list(columns)
        self.pos = pos
        # Plain columns come straight from the SQL row; composed ones read the blank column and
        # are filled in afterwards.
        self.getter = itemgetter(*[pos["blank"] if k in COMPOSED else pos[k] for k in self.columns])
        self.single = len(self.columns) == 1
        # (position in the row, index into compose_names' result)
        self.composed = [
            (i, _COMPOSED_ORDER.index(k))
            for i, k in enumerate(self.columns)
            if k in COMPOSED and k != "address_block"
        ]
        self.blocks = [i for i, k in enumerate(self.columns) if k == "address_block"]
        self.i_block = [pos[k] for k in ADDRESS_BLOCK_FIELDS] if self.blocks else []
        # Former members, and what they are no longer called (set by the export when names show).
        self.former: dict[int, FormerIn] = {}
        self.title_columns = [i for i, k in enumerate(self.columns) if k == "title"]
        self.letter_columns = [i for i, k in enumerate(self.columns) if k == "post_nominals"]
        self.bools = [i for i, k in enumerate(self.columns) if k in _BOOL_COLUMNS]
        p = pos
        self.i_title, self.i_first, self.i_last = p["title"], p["first_name"], p["last_name"]
        self.i_pref, self.i_post, self.i_id = p["preferred_name"], p["post_nominals"], p["id"]
        self.i_email, self.i_line1, self.i_town, self.i_pc = (
            p["email"],
            p["address_line1"],
            p["town"],
            p["postcode"],
        )

    def title_and_letters(self, r: Any) -> tuple[str | None, str | None]:
        """Title and post-nominals as a letter may use them: a former MSP is no "… MSP"."""
        former = self.former.get(r[self.i_id]) if self.former else None
        if former is None:
            return r[self.i_title], r[self.i_post]
        return addressable(r[self.i_title], r[self.i_post], former)

    def values(self, r: Any) -> list[Any]:
        out = [self.getter(r)] if self.single else list(self.getter(r))
        title, post = self.title_and_letters(r) if self.former else (r[self.i_title], r[self.i_post])
        if self.composed:
            names = colmod.compose_names(title, r[self.i_first], r[self.i_pref], r[self.i_last], post)
            for i, which in self.composed:
                out[i] = names[which]
        if self.former:
            for i in self.title_columns:
                out[i] = title
            for i in self.letter_columns:
                out[i] = post
        if self.blocks:
            # The block's name line is addressed as the letter is: a former MSP is no "… MSP".
            name_line = colmod.addressee(title, r[self.i_first], r[self.i_last], post)
            self._fill_blocks(out, r, name_line)
        for i in self.bools:
            out[i] = "Yes" if out[i] else "No"
        return out

    def _fill_blocks(self, out: list[Any], r: Any, name_line: str) -> None:
        org, line1, line2, line3, town, postcode, country = (r[i] for i in self.i_block)
        block = colmod.address_block(name_line, org, (line1, line2, line3), town, postcode, country)
        for i in self.blocks:
            out[i] = block

    def joint_values(self, rows: Sequence[Any]) -> list[Any]:
        """One row for several people at one address: names joined, the rest from the first.

        More than ``JOINT_NAMES_MAX`` people at one address is a workplace, not a household: the
        letter goes to the first of them "and colleagues", with "Dear colleagues".
        """
        out = self.values(rows[0])
        parts = [self.name_parts(r) for r in rows]
        if len(parts) > JOINT_NAMES_MAX:
            first = parts[0]
            for i, which in self.composed:
                key = _COMPOSED_ORDER[which]
                if key in ("salutation_informal", "salutation_formal"):
                    out[i] = "Dear colleagues"
                elif key == "full_name":
                    out[i] = f"{colmod.full_name(first.first, first.last)} and colleagues"
                else:
                    name = colmod.addressee(first.title, first.first, first.last, first.post_nominals)
                    out[i] = f"{name} and colleagues"
            if self.blocks:
                name = colmod.addressee(first.title, first.first, first.last, first.post_nominals)
                self._fill_blocks(out, rows[0], f"{name} and colleagues")
            return out
        for i, which in self.composed:
            key = _COMPOSED_ORDER[which]
            if key == "full_name":
                out[i] = colmod.joint_full_name(parts)
            elif key == "salutation_informal":
                out[i] = colmod.joint_informal(parts)
            elif key == "salutation_formal":
                out[i] = colmod.joint_formal(parts)
            else:
                out[i] = colmod.joint_addressee(parts)
        if self.blocks:
            self._fill_blocks(out, rows[0], colmod.joint_addressee(parts))
        return out

    def name_parts(self, r: Any) -> NameParts:
        title, post = self.title_and_letters(r)
        return NameParts(title, r[self.i_first], r[self.i_pref], r[self.i_last], post)

    def who(self, r: Any) -> tuple[Any, ...]:
        """What names a person later, kept instead of the name itself (cheaper per row)."""
        return (r[self.i_pref] or r[self.i_first], r[self.i_last], r[self.i_email], r[self.i_id])

    def display_name(self, r: Any) -> str:
        first = r[self.i_pref] or r[self.i_first]
        return (
            " ".join(p for p in (first, r[self.i_last]) if p) or r[self.i_email] or f"Person {r[self.i_id]}"
        )

    def excluded(self, r: Any, reason: str) -> _Excluded:
        return _Excluded([self.display_name(r), r[self.i_email], r[self.i_pc], reason, r[self.i_id]])


def _name(first: str | None, last: str | None, email: str | None, person_id: int) -> str:
    return " ".join([p for p in (first, last) if p]) or email or f"Person {person_id}"


def iter_export_rows(
    session: Session, f: PersonFilter, columns: Sequence[str], options: ExportOptions
) -> Generator[_Row | _Excluded, None, None]:
    """Sheet rows and Excluded entries in order, streamed from one query."""
    options.check()
    cols = colmod.check_columns(columns)
    if options.event_id is not None and session.get(Event, options.event_id) is None:
        raise NotFoundError(f"There is no event with id {options.event_id}.")
    stmt, pos = build_query(f, cols, options, _dialect(session))
    maker = _RowMaker(cols, pos)
    if maker.composed or maker.title_columns or maker.letter_columns:
        maker.former = former_members(session)
    i_reason, i_id, i_email = pos["reason"], pos["id"], pos["email"]
    i_line1, i_town, i_pc = pos["address_line1"], pos["town"], pos["postcode"]
    i_org = pos["organisation_id"]
    consent_reason = REASONS[NO_CONSENT].format(purpose=f"{options.consent_purpose!r}")
    by_post = options.purpose == "post"
    seen: dict[str, tuple[Any, ...]] = {}  # dedupe key -> (sheet row, *what names the person)
    sheet_row = 1  # the header is row 1, as Excel numbers rows
    group: list[Any] = []  # letters: people at the address of the row not yet written
    group_key = ""

    def flush_group() -> _Row:
        nonlocal sheet_row
        sheet_row += 1
        if len(group) == 1:
            return _Row(maker.values(group[0]), [group[0][i_id]])
        return _Row(maker.joint_values(group), [g[i_id] for g in group])

    result = session.connection().execute(stmt.execution_options(yield_per=FETCH_CHUNK))
    try:
        for r in result:
            code = r[i_reason]
            if code:
                reason = consent_reason if code == NO_CONSENT else REASONS[code]
                yield maker.excluded(r, reason)
                continue
            if not options.dedupe:
                sheet_row += 1
                yield _Row(maker.values(r), [r[i_id]])
                continue
            if by_post:
                key = address_key(r[i_line1], r[i_town], r[i_pc])
                if r[i_org] is not None:
                    # A workplace address (MSPs at Holyrood, colleagues at a council): each person
                    # there gets their own letter; only households are merged.
                    key = f"{key}|person:{r[i_id]}"
                if options.joint_salutation and group and key == group_key:
                    group.append(r)
                    continue
                if key in seen:
                    row_no, *who = seen[key]
                    yield maker.excluded(r, DUPLICATE_ADDRESS.format(name=_name(*who), row=row_no))
                    continue
                if options.joint_salutation:
                    if group:
                        yield flush_group()
                    group = [r]
                    group_key = key
                    seen[key] = (sheet_row + 1, *maker.who(r))
                    continue
                sheet_row += 1
                seen[key] = (sheet_row, *maker.who(r))
                yield _Row(maker.values(r), [r[i_id]])
                continue
            email = r[i_email]
            if email:
                key = email.strip().lower()
                if key in seen:
                    row_no, *who = seen[key]
                    yield maker.excluded(r, DUPLICATE_EMAIL.format(name=_name(*who), row=row_no))
                    continue
                seen[key] = (sheet_row + 1, *maker.who(r))
            sheet_row += 1
            yield _Row(maker.values(r), [r[i_id]])
        if group:
            yield flush_group()
    finally:
        # A server-side cursor (PostgreSQL) must be closed when a preview stops early or the user cancels.
        result.close()


def default_channel(preset: str | None, columns: Sequence[str] | None = None) -> Purpose | None:
    """The channel whose rules apply by default: a built-in preset's own; for a saved preset or
    chosen columns, post when they hold an address, email when they hold an email address."""
    if preset:
        lowered = preset.strip().lower()
        for key, label in colmod.PRESET_LABELS.items():
            if lowered in (key, label.lower()):
                return PRESET_CHANNELS.get(key)
    keys: Sequence[str] = columns or ()
    if not keys and preset:
        with contextlib.suppress(ValidationError):
            keys = colmod.preset_columns(preset)
    if "address_line1" in keys or "addressee" in keys:
        return "post"
    if "email" in keys:
        return "email"
    return None


@dataclass(frozen=True)
class ExportCount:
    """What an export would do: rows written (as the dialog shows), people on them, people left out."""

    rows: int
    people: int
    excluded: int


def count_export(
    session: Session,
    f: PersonFilter,
    options: ExportOptions,
    should_cancel: Callable[[], bool] | None = None,
) -> ExportCount:
    """Exactly what :func:`export_people` will write with these options: the same rows are formed
    (duplicates, joint letters), only not written, so the preview's number is the file's."""
    rows = people = excluded = 0
    with contextlib.closing(iter_export_rows(session, f, ["email"], options)) as items:
        for n, item in enumerate(items, start=1):
            if isinstance(item, _Row):
                rows += 1
                people += len(item.person_ids)
            else:
                excluded += 1
            if should_cancel is not None and n % PROGRESS_EVERY == 0 and should_cancel():
                raise Cancelled
    return ExportCount(rows, people, excluded)


def count_selected(session: Session, f: PersonFilter, options: ExportOptions) -> int:
    """How many people the export will look at (included and excluded)."""
    inner = selection(f, _dialect(session), options).subquery()
    return session.execute(select(func.count()).select_from(inner)).scalar_one()


def preview_rows(
    session: Session,
    f: PersonFilter,
    columns: Sequence[str],
    limit: int = 20,
    options: ExportOptions | None = None,
) -> list[list[str]]:
    """The first rows the export would write, as display text (for the dialog's preview)."""
    cols = colmod.check_columns(columns)
    out: list[list[str]] = []
    with contextlib.closing(iter_export_rows(session, f, cols, options or ExportOptions())) as items:
        for item in items:
            if isinstance(item, _Row):
                out.append([_display(v, COLUMNS[k].kind) for k, v in zip(cols, item.values, strict=True)])
                if len(out) >= limit:
                    break
    return out


def email_addresses(session: Session, f: PersonFilter, options: ExportOptions | None = None) -> list[str]:
    """The addresses an email export would hold, in its order: for pasting into Bcc.

    The email channel's rules always apply (do-not-contact, suppression, email opt-out, no address,
    one entry per address), whatever channel ``options`` names; its consent purpose and event are kept.
    """
    base = options or ExportOptions()
    email_options = dataclasses.replace(base, purpose="email", dedupe=True, joint_salutation=False)
    with contextlib.closing(iter_export_rows(session, f, ["email"], email_options)) as items:
        return [item.values[0] for item in items if isinstance(item, _Row)]


def batches(items: Sequence[str], size: int) -> list[list[str]]:
    """``items`` in consecutive groups of at most ``size``."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _display(value: Any, kind: Kind) -> str:
    if value is None:
        return ""
    if kind is Kind.DATE and isinstance(value, dt.date):
        day = value.astimezone().date() if isinstance(value, dt.datetime) and value.tzinfo else value
        return day.strftime("%d/%m/%Y")
    return str(value)


# --- The export -------------------------------------------------------------------------------


def mailing_subject(name: str) -> str:
    """ "Autumn newsletter" → "Mailing: Autumn newsletter"."""
    cleaned = " ".join(name.split())
    return cleaned if cleaned.lower().startswith("mailing") else f"Mailing: {cleaned}"


def export_people(
    db: Database,
    f: PersonFilter,
    path: str | Path,
    *,
    preset: str = "mail-merge",
    columns: Sequence[str] | None = None,
    purpose: Purpose | None = None,
    consent_purpose: str | None = None,
    dedupe: bool = True,
    joint_salutation: bool = False,
    event_id: int | None = None,
    attendance_statuses: Sequence[str] = (),
    record_mailing: str | None = None,
    title: str | None = None,
    progress: Progress | None = None,
    should_cancel: Callable[[], bool] | None = None,
    ignore_channel_rules: str | None = None,
    address_label: str | None = None,
) -> ExportResult:
    """Export the people of a filter to ``.xlsx`` (or ``.csv``), leaving out who must be left out.

    Args:
        db: the open database; the export reads in its own session and, at the end, writes the
            audit entry (and the mailing, if asked) in one transaction.
        f: which people (a saved view's filter, a network, an explicit selection in ``f.ids``...).
        path: the file to write; ``.xlsx`` or ``.csv`` (a CSV gets ``NAME-excluded.csv`` beside it).
        preset: "mail-merge", "email", "full", or a saved preset's name; ignored with ``columns``.
        purpose: the channel, "email" or "post", whose opt-outs and missing details exclude people;
            None means the preset's own (mail merge: post; email list: email; see default_channel).
        ignore_channel_rules: the reason for exporting without any channel's rules (do-not-contact
            and suppression still apply); recorded in the audit log with the export.
        consent_purpose: leave out people without consent or a lawful basis for this purpose.
        dedupe: one row per email address, or per postal address for letters.
        joint_salutation: letters to one address share a row and a joint salutation.
        event_id, attendance_statuses: only people on this event's list (with these statuses).
        address_label: use each person's postal address with this label ("Constituency office"),
            or their preferred one when they have none so labelled.
        record_mailing: log one interaction with this subject (kind email, or letter for post)
            against everyone exported.
        progress, should_cancel: called every few hundred rows; cancelling raises Cancelled and
            leaves no file behind.

    Raises:
        UserError: a bad option, unknown column, unwritable file, missing event.
        Cancelled: the user cancelled.
    """
    started = time.perf_counter()
    target = Path(path).expanduser().resolve()
    ignore_reason = " ".join((ignore_channel_rules or "").split()) or None
    if ignore_channel_rules is not None and ignore_reason is None:
        raise ValidationError("Say why this export ignores the channel's rules.", "ignore_channel_rules")
    if ignore_reason is not None and len(ignore_reason) > IGNORE_REASON_MAX:
        raise ValidationError(
            f"The reason for ignoring the channel's rules is too long: keep it under {IGNORE_REASON_MAX} characters.",
            "ignore_channel_rules",
        )
    if ignore_reason is not None:
        purpose = None
    elif purpose is None:
        purpose = default_channel(preset, columns)
    options = ExportOptions(
        purpose=purpose,
        consent_purpose=(consent_purpose or "").strip().lower() or None,
        dedupe=dedupe,
        joint_salutation=joint_salutation,
        event_id=event_id,
        attendance_statuses=tuple(attendance_statuses),
        address_label=" ".join((address_label or "").split()) or None,
    )
    options.check()
    cols = colmod.check_columns(columns if columns is not None else colmod.preset_columns(preset))
    preset_label = colmod.PRESET_LABELS.get(preset, preset) if columns is None else "Custom columns"
    now = dt.datetime.now()
    description = f.describe()
    if event_id is not None:
        description += f"; event {event_id}"
    doc_title = title or f"Kindred export: {preset_label}, {now:%d %B %Y}"
    writer = open_writer(
        target,
        [COLUMNS[k] for k in cols],
        title=doc_title,
        subject=f"People: {description}",
        comments=_comments(options),
        author=audit.current_user(),
        created=now,
    )
    exported = excluded = people = 0
    reasons: dict[str, int] = {}
    mailed: list[int] = []
    left_out: list[int] = []
    try:
        with db.session() as session, contextlib.closing(iter_export_rows(session, f, cols, options)) as rows:
            total = count_selected(session, f, options) if progress is not None else 0
            seen = 0
            for items, item in enumerate(rows, start=1):
                if isinstance(item, _Row):
                    writer.write_row(item.values)
                    exported += 1
                    people += len(item.person_ids)
                    mailed.extend(item.person_ids)
                    seen += len(item.person_ids)
                else:
                    writer.write_excluded(item.values)
                    excluded += 1
                    left_out.append(item.values[4])
                    reason = item.values[3]
                    bucket = reason.split(" as ", 1)[0] if reason.startswith("Same ") else reason
                    reasons[bucket] = reasons.get(bucket, 0) + 1
                    seen += 1
                if items % PROGRESS_EVERY == 0:
                    if should_cancel is not None and should_cancel():
                        raise Cancelled
                    if progress is not None:
                        progress(seen, total)
        files = writer.close()
    except BaseException:
        writer.abort()
        raise
    interaction_id: int | None = None
    with db.transaction() as session:
        if record_mailing and mailed:
            from crm.services.interactions import log_interaction

            interaction = log_interaction(
                session,
                subject=mailing_subject(record_mailing),
                kind="letter" if purpose == "post" else "email",
                person_ids=mailed,
                notes=f"Exported to {target.name}: {description}.",
            )
            interaction_id = interaction.id
        channel = CHANNEL_LABELS[options.purpose]
        details = (
            f"{exported} rows ({people} people), {excluded} excluded; {preset_label}; channel rules: {channel}; "
            f"{description}"
        )
        if ignore_reason is not None:
            details += f"; channel rules ignored because: {ignore_reason}"
        log = ExportLog(
            at=utcnow(),
            user=audit.current_user(),
            file_name=target.name,
            preset=preset_label,
            channel=options.purpose,
            filter=description,
            exported=exported,
            excluded=excluded,
            rules_ignored_reason=ignore_reason,
        )
        session.add(log)
        session.flush()
        _record_export_people(session, log.id, mailed, left_out)
        audit.record(session, "export", "export_log", log.id, new=target.name, details=details)
    if progress is not None:
        progress(total, total)
    return ExportResult(
        exported=exported,
        excluded=excluded,
        path=target,
        seconds=time.perf_counter() - started,
        warnings=writer.warnings.as_list(),
        people=people,
        files=files,
        reasons=reasons,
        interaction_id=interaction_id,
    )


def _record_export_people(session: Session, export_id: int, included: list[int], excluded: list[int]) -> None:
    """Who was on the export and who was left out, for subject access ("which exports had me?")."""
    rows = [{"export_id": export_id, "person_id": pid, "included": True} for pid in dict.fromkeys(included)]
    rows += [{"export_id": export_id, "person_id": pid, "included": False} for pid in dict.fromkeys(excluded)]
    for start in range(0, len(rows), 20_000):
        insert_rows(session, table_of(ExportPerson), rows[start : start + 20_000])


def _comments(options: ExportOptions) -> str:
    parts = ["Exported from Kindred."]
    if options.purpose:
        parts.append(f"Channel: {options.purpose}.")
    if options.consent_purpose:
        parts.append(f"Consent or lawful basis for: {options.consent_purpose}.")
    if options.address_label:
        parts.append(f"Postal address: {options.address_label} (else the preferred one).")
    parts.append("People left out are listed with the reason on the Excluded sheet.")
    return " ".join(parts)


__all__ = [
    "PRESET_CHANNELS",
    "REASONS",
    "ExportCount",
    "ExportOptions",
    "ExportResult",
    "batches",
    "count_export",
    "count_selected",
    "default_channel",
    "email_addresses",
    "export_people",
    "iter_export_rows",
    "preview_rows",
]
