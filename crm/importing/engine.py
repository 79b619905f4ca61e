"""The import engine: plan (a dry run that changes nothing), apply (one transaction), undo.

    table = read_table(path)
    mapping = suggest_mapping(table.headers, rows=[r for _, r in table.data_rows[:200]])
    with db.session() as session:
        plan = plan_import(session, table, mapping, ImportOptions())      # what would happen, row by row
    result = apply_import(db, table, mapping, ImportOptions(), progress=..., should_cancel=...)
    undo_import(db, result.batch_id)

Duplicates are found with a few set-based queries (emails lower-cased in bulk, then names), never
one query per row: same email (case-insensitive); else same name and organisation; else same name
and postcode. Matching by name is skipped when both records have different email addresses (they
are then two people who share a name). A blank cell never erases a stored value.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.bulk import insert_rows
from crm.db import Database
from crm.errors import Cancelled, ConflictError, NotFoundError, UserError, ValidationError
from crm.importing import cleaning
from crm.importing.mapping import FIELD_LABELS, describe_mapping
from crm.importing.reader import Table
from crm.models import (
    PERSON_FIELDS,
    Attendance,
    AuditEntry,
    Consent,
    ElectedRole,
    ImportBatch,
    InteractionPerson,
    Membership,
    Network,
    Organisation,
    Person,
    PersonTag,
    PersonType,
    StakeholderType,
    Suppression,
    Tag,
    table_of,
    utcnow,
)
from crm.services import networks, tags
from crm.services.organisations import create_organisation
from crm.services.people import (
    BULK_INDEX_THRESHOLD,
    BulkPeopleWriter,
    add_types,
    insert_prepared_people,
    normalise_types,
    prepare_people,
    refresh_derived,
    suppress_emails,
)
from crm.text import fold, organisation_key
from crm.util import chunked, gc_paused

Progress = Callable[[int, int], None]
ShouldCancel = Callable[[], bool]

DUPLICATE_ACTIONS = ("fill", "overwrite", "skip", "create")
DUPLICATE_ACTION_LABELS = {
    "fill": "Fill empty fields only",
    "overwrite": "Overwrite with the file's values",
    "skip": "Skip",
    "create": "Create a new person",
}
WRITE_CHUNK = 5_000
_NAME_FIELDS = ("first_name", "last_name", "email", "preferred_name")
_BOOL_FIELDS = frozenset({"do_not_contact", "email_opt_out", "post_opt_out"})
_LENGTHS: dict[str, int] = {
    c.name: c.type.length  # type: ignore[attr-defined]
    for c in Person.__table__.columns
    if getattr(c.type, "length", None)
}
_UPDATABLE = (*PERSON_FIELDS, "organisation_id", "last_contacted")
_CHAMBER_BY_TYPE = {
    "msp": "Scottish Parliament",
    "ms": "Senedd",
    "mp": "House of Commons",
    "councillor": "Local council",
}
_PERSON_CLEANERS: dict[str, Callable[[Any], Any]] = {
    **{f: cleaning.text for f in PERSON_FIELDS},
    "email": cleaning.email,
    "phone": cleaning.phone,
    "mobile": cleaning.phone,
    "nation": cleaning.nation,
    "postcode": cleaning.postcode,
    "notes": cleaning.multiline,
    "do_not_contact": cleaning.yes_no,
    "email_opt_out": cleaning.yes_no,
    "post_opt_out": cleaning.yes_no,
}


# --- Plans and results --------------------------------------------------------------------------


@dataclass
class ImportOptions:
    """Choices that apply to the whole file (and per-row duplicate decisions)."""

    on_duplicate: str = "fill"
    row_actions: dict[int, str] = field(default_factory=dict)  # row number → duplicate action
    network: str | None = None
    role: str = "member"
    tags: list[str] = field(default_factory=list)
    type: str | None = None
    source: str | None = None
    consent_purpose: str | None = None
    consent_basis: str = "consent"
    consent_date: dt.date | None = None
    consent_source: str | None = None
    consent_wording: str | None = None
    date_order: str | None = None  # "dmy" or "mdy"; None: day first unless a column says otherwise

    def __post_init__(self) -> None:
        if self.on_duplicate not in DUPLICATE_ACTIONS:
            raise ValidationError(
                f"{self.on_duplicate!r} is not a duplicate choice ({', '.join(DUPLICATE_ACTIONS)}).",
                "on_duplicate",
            )
        for row, action in self.row_actions.items():
            if action not in DUPLICATE_ACTIONS:
                raise ValidationError(f"Row {row}: {action!r} is not a duplicate choice.", "on_duplicate")

    def as_json(self) -> dict[str, Any]:
        return {
            "on_duplicate": self.on_duplicate,
            "row_actions": {str(k): v for k, v in self.row_actions.items()},
            "network": self.network,
            "role": self.role,
            "tags": list(self.tags),
            "type": self.type,
            "source": self.source,
            "consent_purpose": self.consent_purpose,
            "consent_basis": self.consent_basis,
            "consent_date": self.consent_date.isoformat() if self.consent_date else None,
            "consent_source": self.consent_source,
        }


@dataclass(frozen=True)
class Flag:
    """A value that could not be used as it stood: where, what and why."""

    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.reason}"


@dataclass(slots=True)
class RowPlan:
    """What happens to one row: create, update, skip or reject, and why."""

    row: int
    action: str
    values: dict[str, Any] = field(default_factory=dict)
    organisation: str | None = None
    # Tuples, empty by default: 100,000 rows' plans would otherwise hold half a million empty lists.
    networks: tuple[tuple[str, str, dt.date | None], ...] = ()  # (name, role, joined)
    tags: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    elected: dict[str, str] | None = None
    person_id: int | None = None
    person_name: str | None = None
    match: str | None = None  # why it is a duplicate
    duplicate_of_row: int | None = None
    kindred_id: int | None = None  # from a Kindred export: who this row is, whatever else changed
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = ()

    @property
    def is_duplicate(self) -> bool:
        return self.person_id is not None or self.duplicate_of_row is not None

    def describe(self) -> str:
        """One line for the dry-run report."""
        if self.action == "create":
            text = "create"
            if self.match:
                text += f" (although {self.match})"
        elif self.action == "update":
            fields = ", ".join(_field_label(f) for f in self.changes) or "no fields"
            text = f"update {self.person_name or 'person ' + str(self.person_id)}: {fields}"
        elif self.action == "skip":
            text = "skip"
        else:
            text = "reject"
        if self.reasons:
            text += ": " + "; ".join(self.reasons)
        return text


def _field_label(name: str) -> str:
    return "Organisation" if name == "organisation_id" else FIELD_LABELS.get(name, name)


@dataclass
class ImportPlan:
    """The dry run: row by row what would happen. Holds plain values only (safe across threads)."""

    file_name: str
    sha256: str
    sheet: str | None
    headers: list[str]
    mapping: dict[int, str]
    options: ImportOptions
    rows: list[RowPlan]
    new_organisations: list[str] = field(default_factory=list)
    new_networks: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # What the database looked like when the plan was made; cleared once the plan is written.
    snapshot: tuple[Any, ...] | None = None

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def flagged(self) -> int:
        return sum(1 for r in self.rows if r.flags)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": self.count("create"),
            "updated": self.count("update"),
            "skipped": self.count("skip"),
            "rejected": self.count("reject"),
            "flagged": self.flagged,
        }

    @property
    def duplicates(self) -> list[RowPlan]:
        return [r for r in self.rows if r.is_duplicate]

    @property
    def problem_rows(self) -> list[RowPlan]:
        return [r for r in self.rows if r.action == "reject" or r.flags]


@dataclass
class ImportResult:
    batch_id: int | None
    created: int
    updated: int
    skipped: int
    rejected: int
    flagged: int
    seconds: float
    plan: ImportPlan
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "flagged": self.flagged,
            "batch_id": self.batch_id,
            "seconds": round(self.seconds, 3),
            "dry_run": self.dry_run,
        }


@dataclass
class UndoResult:
    batch_id: int
    removed: int
    restored: int
    links_removed: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "removed": self.removed,
            "restored": self.restored,
            "links_removed": self.links_removed,
            "seconds": round(self.seconds, 3),
        }


class ImportConflict(ConflictError):
    """An undo refused because later edits touch what the import did; ``conflicts`` lists them."""

    def __init__(self, message: str, conflicts: list[str]) -> None:
        super().__init__(message)
        self.conflicts = conflicts


@dataclass(frozen=True)
class BatchInfo:
    id: int
    file_name: str
    sheet: str | None
    started_at: dt.datetime
    user: str | None
    created: int
    updated: int
    skipped: int
    rejected: int
    flagged: int
    undone_at: dt.datetime | None


# --- Planning -----------------------------------------------------------------------------------


def _tick(progress: Progress | None, should_cancel: ShouldCancel | None, done: int, total: int) -> None:
    if should_cancel is not None and should_cancel():
        raise Cancelled
    if progress is not None:
        progress(done, total)


def _check_mapping(table: Table, mapping: Mapping[int, str]) -> None:
    fields = [f for f in mapping.values() if f]
    unknown = [f for f in fields if f not in FIELD_LABELS]
    if unknown:
        raise ValidationError(f"Unknown field {unknown[0]!r} in the column mapping.")
    twice = {f for f in fields if fields.count(f) > 1}
    if twice:
        name = FIELD_LABELS[sorted(twice)[0]]
        raise ValidationError(f"{table.file_name}: two columns are mapped to {name}; choose one.")
    if not any(f in ("first_name", "last_name", "full_name", "email", "preferred_name") for f in fields):
        others = [s.name for s in table.sheets if s.is_worksheet and s.name != table.sheet]
        where = f" on sheet {table.sheet!r}" if table.sheet and others else ""
        hint = (
            f" The file has other sheets: {', '.join(repr(n) for n in others)}; choose one." if others else ""
        )
        raise UserError(
            f"{table.file_name}: no recognisable columns{where} — none of the headings names a person's name or email address.{hint}"
        )


@gc_paused()
def plan_import(
    session: Session,
    table: Table,
    mapping: Mapping[int, str],
    options: ImportOptions | None = None,
    *,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> ImportPlan:
    """Work out, row by row, what importing would do. Reads the database, changes nothing."""
    started = time.perf_counter()
    options = options or ImportOptions()
    mapping = {int(i): f for i, f in mapping.items() if f}
    if not table.data_rows:
        raise UserError(
            f"{table.file_name}: there are no rows under the headings on row {table.header_row_number}."
        )
    _check_mapping(table, mapping)
    headers = table.headers
    data = table.data_rows
    total = len(data)
    rows = _clean_rows(table, headers, data, mapping, options, progress, should_cancel)
    plan = ImportPlan(
        file_name=table.file_name,
        sha256=table.sha256,
        sheet=table.sheet,
        headers=headers,
        mapping=dict(mapping),
        options=options,
        rows=rows,
    )
    _tick(progress, should_cancel, total, total)
    plan.snapshot = database_snapshot(session)
    _match(session, plan)
    _resolve_organisations_and_networks(session, plan)
    plan.seconds = time.perf_counter() - started
    return plan


def database_snapshot(session: Session) -> tuple[Any, ...]:
    """A cheap fingerprint of what a plan depends on. Every change Kindred makes writes an audit
    entry; the counts and latest edit time also catch changes made some other way."""
    return (
        session.scalar(select(func.max(AuditEntry.id))),
        session.scalar(select(func.count(Person.id))),
        session.scalar(select(func.max(Person.updated_at))),
        session.scalar(select(func.count(Organisation.id))),
        session.scalar(select(func.count(Network.id))),
        session.scalar(select(func.count(Suppression.id))),
    )


def _plan_still_holds(
    session: Session, plan: ImportPlan, table: Table, mapping: Mapping[int, str], options: ImportOptions
) -> bool:
    """Whether a dry run's plan is exactly what planning again now would give."""
    return (
        plan.snapshot is not None
        and plan.sha256 == table.sha256
        and plan.sheet == table.sheet
        and plan.headers == table.headers
        and len(plan.rows) == len(table.data_rows)
        and plan.mapping == {int(i): f for i, f in mapping.items() if f}
        and plan.options == options
        and plan.snapshot == database_snapshot(session)
    )


def _clean_rows(
    table: Table,
    headers: list[str],
    data: list[tuple[int, list[Any]]],
    mapping: Mapping[int, str],
    options: ImportOptions,
    progress: Progress | None,
    should_cancel: ShouldCancel | None,
) -> list[RowPlan]:
    """Clean every mapped cell and give each row its plan.

    Works column by column: a list repeats itself (towns, titles, organisations), so each distinct
    value of a column is cleaned once and the rest is dictionary look-ups in C; only rows with a
    problem get row-by-row attention.
    """
    total = len(data)
    _tick(progress, should_cancel, 0, total)
    numbers = [number for number, _ in data]
    width = max(mapping) + 1
    # The mapped columns, one tuple each (short rows padded with blanks), transposed in C.
    padded = (
        cells[:width] if len(cells) >= width else [*cells, *[None] * (width - len(cells))]
        for _, cells in data
    )
    columns: list[tuple[Any, ...]] = list(zip(*padded, strict=True)) if data else [() for _ in range(width)]
    # Error cells and formulas without values read as blank: flag them where a mapped column has one.
    row_index = {number: i for i, number in enumerate(numbers)} if table.cell_problems else {}
    row_flags: dict[int, list[Flag]] = defaultdict(list)  # row index → its flags (error cells first)
    blanked: dict[int, list[int]] = defaultdict(list)  # column → row indexes read as blank
    for (number, col), reason in table.cell_problems.items():
        if col in mapping and number in row_index:
            i = row_index[number]
            row_flags[i].append(Flag(number, headers[col], _shown(columns[col][i]), reason))
            blanked[col].append(i)
    for col, indexes in blanked.items():
        column = list(columns[col])
        for i in indexes:
            column[i] = None
        columns[col] = tuple(column)

    plans = [RowPlan(row=number, action="create") for number in numbers]

    # Person fields: each distinct value cleaned once.
    person_cols = [(i, f) for i, f in sorted(mapping.items()) if f in _PERSON_CLEANERS]
    person_fields: list[str] = []
    cleaned_columns: list[list[Any]] = []
    for done, (col, fname) in enumerate(person_cols):
        _tick(progress, should_cancel, total * done // (len(person_cols) + 1), total)
        cleaned, problems = _clean_column(fname, columns[col])
        person_fields.append(fname)
        cleaned_columns.append(cleaned)
        for i, problem in problems:
            if problem.kept is not None:
                cleaned[i] = problem.kept
                if fname == "postcode" and _overseas([c[i] for c in columns], mapping):
                    continue
            else:
                cleaned[i] = None
            row_flags[i].append(Flag(numbers[i], headers[col], _shown(columns[col][i]), problem.reason))
    if cleaned_columns:
        for plan, row_values in zip(plans, zip(*cleaned_columns, strict=True), strict=True):
            plan.values = {f: v for f, v in zip(person_fields, row_values, strict=True) if v is not None}

    # Everything else: organisation, networks, tags, roles, dates, elected office.
    extra_cols = [(i, f) for i, f in sorted(mapping.items()) if f not in _PERSON_CLEANERS]
    date_orders = {
        i: options.date_order
        or cleaning.date_order_hint([v for v in columns[i] if v is not None and v != ""])
        for i, f in extra_cols
        if f in ("joined_on", "last_contacted")
    }
    for col, fname in extra_cols:
        heading = headers[col]
        order = date_orders.get(col)
        if fname in _MEMO_EXTRAS:
            _apply_repeated(plans, fname, columns[col], heading, row_flags)
            continue
        for i, raw in enumerate(columns[col]):
            if raw is None or raw == "":
                continue
            plan = plans[i]
            try:
                _apply_extra(plan, fname, raw, order, heading)
            except ValidationError as exc:
                row_flags[i].append(Flag(plan.row, heading, _shown(raw), str(exc)))
    for i, found in row_flags.items():
        plans[i].flags += tuple(found)
    _tick(progress, should_cancel, total * len(person_cols) // (len(person_cols) + 1), total)

    # Whole-file options, and the rows that cannot be imported at all.
    option_types = normalise_types([options.type]) if options.type else []
    option_network = options.network.lower() if options.network else None
    option_role = (options.role or "member").lower()
    option_tags = list(options.tags)
    source = options.source
    for plan in plans:
        values = plan.values
        if "_role" in values or "_joined" in values:
            row_role = values.pop("_role", None)
            row_joined = values.pop("_joined", None)
            if row_role or row_joined:
                plan.networks = tuple((n_, row_role or r_, row_joined or j_) for n_, r_, j_ in plan.networks)
        else:
            row_role = row_joined = None
        if option_network and not any(n_.lower() == option_network for n_, _, _ in plan.networks):
            plan.networks += ((options.network or "", row_role or option_role, row_joined),)
        if (row_role or row_joined) and not plan.networks:
            what = "role in a network" if row_role else "date of joining a network"
            where = next((headers[i] for i, f in mapping.items() if f in ("role", "joined_on")), "")
            plan.flags += (
                Flag(
                    plan.row,
                    where,
                    str(row_role or row_joined),
                    f"a {what} needs a network: choose one in the options",
                ),
            )
        if option_tags:
            if not plan.tags:
                plan.tags = tuple(option_tags)
            else:
                have = {x.lower() for x in plan.tags}
                plan.tags += tuple(t for t in option_tags if t.lower() not in have)
        for t in option_types:
            if t not in plan.types:
                plan.types += (t,)
        if plan.elected is not None:
            _finish_elected(plan, headers, mapping)
        if source:
            values["source"] = source
        if not any(map(values.get, _NAME_FIELDS)):
            plan.action = "reject"
            plan.reasons += ("no name or email address",)
        elif not (values.get("email") or values.get("phone") or values.get("mobile")):
            name = " ".join(str(values.get(f) or "") for f in ("title", "first_name", "last_name")).strip()
            if _TOTALS.fullmatch(name):
                plan.action = "reject"
                plan.reasons += ("a totals row, not a person",)
            elif name and (_NOT_A_NAME.search(name) or name.startswith("#")):
                # The second row of a two-row entry ("1 High Street", "EH1 1AA"), a comment line,
                # or a line under the list ("Generated by Eventbrite on 1 March 2024").
                plan.action = "reject"
                plan.reasons += ("looks like an address, a note or a summary line, not a person",)
    return plans


_TOTALS = re.compile(r"(?i)(grand |sub[- ]?)?totals?:?|sum|count|average")
_NOT_A_NAME = re.compile(
    r"\d|^(?:generated|report|printed|exported|created|downloaded|prepared|page|total|note|notes)\b|:",
    re.IGNORECASE,
)


_MISSING = object()
_MEMO_EXTRAS = frozenset({"organisation", "network", "tags"})


def _clean_column(fname: str, column: Sequence[Any]) -> tuple[list[Any], list[tuple[int, _Problem]]]:
    """A column's cleaned values (``None`` for blank) and the rows whose value could not be used."""
    cleaner = _PERSON_CLEANERS[fname]
    kinds = set(map(type, column))
    if kinds <= {str, type(None)}:
        memo: dict[Any, Any] = {v: _clean_person_value(fname, cleaner, v) for v in set(column) if v}
        memo[None] = memo[""] = None
        cleaned = list(map(memo.__getitem__, column))
        bad = any(type(v) is _Problem for v in memo.values())
    else:
        # Numbers, dates and yes/no cells: 1, 1.0 and True are equal as keys, so the type is part of it.
        typed: dict[tuple[type, Any], Any] = {}
        cleaned = []
        for v in column:
            if v is None or v == "":
                cleaned.append(None)
                continue
            key = (type(v), v)
            value = typed.get(key, _MISSING)
            if value is _MISSING:
                value = typed[key] = _clean_person_value(fname, cleaner, v)
            cleaned.append(value)
        bad = any(type(v) is _Problem for v in typed.values())
    problems = [(i, v) for i, v in enumerate(cleaned) if type(v) is _Problem] if bad else []
    return cleaned, problems


def _apply_repeated(
    plans: list[RowPlan], fname: str, column: Sequence[Any], heading: str, row_flags: dict[int, list[Flag]]
) -> None:
    """Organisation, network and tag cells, each distinct value worked out once."""
    memo: dict[tuple[type, Any], Any] = {}
    for i, raw in enumerate(column):
        if raw is None or raw == "":
            continue
        key = (type(raw), raw)
        result = memo.get(key, _MISSING)
        if result is _MISSING:
            probe = RowPlan(row=0, action="create")
            error = None
            try:
                _apply_extra(probe, fname, raw, None, heading)
            except ValidationError as exc:
                error = str(exc)  # what was taken before the problem still counts (a repaired name)
            result = memo[key] = (probe.organisation, tuple(probe.networks), tuple(probe.tags), error)
        organisation, nets, tag_names, error = result
        plan = plans[i]
        if error is not None:
            row_flags[i].append(Flag(plan.row, heading, _shown(raw), error))
        if organisation is not None:
            plan.organisation = organisation
        if nets:
            plan.networks += tuple(nets)
        if tag_names:
            plan.tags += tuple(tag_names)


@dataclass(frozen=True, slots=True)
class _Problem:
    """A cleaned value that could not be used: the reason, and what to keep (postcodes as typed)."""

    reason: str
    kept: str | None = None


# What people type when there is nothing to give: read as a blank cell, not as a value (yes/no
# columns keep their own reading, where "-" means no).
_PLACEHOLDERS = frozenset(
    {"n/a", "n.a.", "na", "n / a", "-", "--", "—", "–", "none", "tbc", "tba", "tbd", "unknown", "not known"}
    | {"not applicable", "?", "??", "null", "nil", "#n/a", "xxx", "no email", "no phone", "none given"}
)
_YES_NO_FIELDS = frozenset({"do_not_contact", "email_opt_out", "post_opt_out"})


def _is_placeholder(fname: str, raw: Any) -> bool:
    if type(raw) is not str or len(raw) > 16 or fname in _YES_NO_FIELDS:
        return False
    key = raw.strip().lower()
    return key in _PLACEHOLDERS or (fname == "postcode" and key in ("0", "00", "000"))


def _clean_person_value(fname: str, cleaner: Callable[[Any], Any], raw: Any) -> Any:
    if _is_placeholder(fname, raw):
        return None
    repaired = cleaning.repair_mojibake(raw)
    if repaired is not None:
        value = _clean_person_value(fname, cleaner, repaired)
        if value is None or type(value) is _Problem:
            return value
        return _Problem(_repaired(raw, repaired), value)
    try:
        value = cleaner(raw)
    except ValidationError as exc:
        if fname == "email" and (found := cleaning.addresses_in(raw)):
            if len(found) > 1:
                others = ", ".join(found[1:])
                return _Problem(
                    f"holds {len(found)} addresses: {found[0]} is imported, not {others}", found[0]
                )
            return _Problem(f"not a plain email address: {found[0]} is imported", found[0])
        if fname == "postcode":
            kept = cleaning.text(raw)
            if kept is not None and len(kept) <= _LENGTHS["postcode"]:
                return _Problem(f"{exc} (kept as typed)", kept)
            return _Problem(f"{exc}")
        return _Problem(str(exc))
    if type(value) is str:
        if len(value) > cleaning.EXCEL_CELL_LIMIT:
            return _Problem(
                f"longer than a spreadsheet cell can hold ({cleaning.EXCEL_CELL_LIMIT:,} characters)"
            )
        limit = _LENGTHS.get(fname)
        if limit is not None and len(value) > limit:
            return _Problem(f"longer than {limit} characters")
        if "\ufffd" in value:
            return _Problem(_UNREADABLE, value)
    return value


def preview_rows(
    table: Table, mapping: Mapping[int, str], options: ImportOptions | None = None, limit: int = 5
) -> list[RowPlan]:
    """The first rows cleaned as the import would clean them (no database): for live previews."""
    mapping = {int(i): f for i, f in mapping.items() if f}
    return _clean_rows(
        table, table.headers, table.data_rows[:limit], mapping, options or ImportOptions(), None, None
    )


def _shown(raw: Any) -> str:
    text = cleaning.text(raw) if not isinstance(raw, str) else raw
    text = text or ""
    return text if len(text) <= 200 else text[:200] + "…"


def _overseas(cells: list[Any], mapping: Mapping[int, str]) -> bool:
    for col, fname in mapping.items():
        if fname == "country" and col < len(cells):
            country = (cleaning.text(cells[col]) or "").lower()
            return bool(country) and country not in (
                "uk",
                "united kingdom",
                "great britain",
                "gb",
                "england",
                "scotland",
                "wales",
                "northern ireland",
            )
    return False


_UNREADABLE = "holds a character that could not be read (shown as �): check the text"


def _repaired(raw: str, repaired: str) -> str:
    return f"garbled accents repaired: {raw!r} imported as {repaired!r}"


def _apply_extra(plan: RowPlan, fname: str, raw: Any, order: str | None, heading: str) -> None:
    values = plan.values
    if fname == "full_name":
        cleaning.check_excel_limit(raw)
        repaired = cleaning.repair_mojibake(raw)
        for key, value in cleaning.split_name(repaired or raw).items():
            values.setdefault(key, value)
        # Imported, and flagged:
        if repaired is not None:
            raise ValidationError(_repaired(raw, repaired))
        if isinstance(raw, str) and "\ufffd" in raw:
            raise ValidationError(_UNREADABLE)
    elif fname == "organisation":
        if _is_placeholder(fname, raw):
            return
        repaired = cleaning.repair_mojibake(raw)
        name = _text(repaired or raw)
        if name and len(name) > 300:
            raise ValidationError("an organisation name is at most 300 characters")
        if name and _org_key(name):
            plan.organisation = name
        if repaired is not None:
            raise ValidationError(_repaired(raw, repaired))  # imported, and flagged
    elif fname == "network":
        for name in _split(raw):
            plan.networks += ((name, "member", None),)
    elif fname == "role":
        role = (cleaning.text(raw) or "member").lower()
        if len(role) > 50:
            raise ValidationError("a network role is at most 50 characters")
        plan.values["_role"] = role
    elif fname == "joined_on":
        joined, warning = cleaning.parse_date(raw, order)
        plan.values["_joined"] = joined
        if warning:
            plan.flags += (Flag(plan.row, heading, _shown(raw), warning),)
    elif fname == "kindred_id":
        try:
            plan.kindred_id = int(float(str(raw).strip()))
        except ValueError as exc:
            raise ValidationError(f"{raw!r} is not a Kindred ID (a whole number)") from exc
    elif fname == "last_contacted":
        when, warning = cleaning.parse_date(raw, order)
        values["last_contacted"] = when
        if warning:
            plan.flags += (Flag(plan.row, heading, _shown(raw), warning),)
    elif fname == "tags":
        for name in _split(raw):
            if len(name) > 100:
                raise ValidationError("a tag is at most 100 characters")
            plan.tags += (name,)
    elif fname == "type":
        known = {t.value for t in StakeholderType}
        for name in cleaning.split_tags(raw):
            found = normalise_types([name])
            if not found or found[0] not in known:
                raise ValidationError(f"{name!r} is not a stakeholder type")
            if found[0] not in plan.types:
                plan.types += (found[0],)
    elif fname in ("party", "constituency", "chamber"):
        text_value = cleaning.text(raw)
        if text_value:
            if len(text_value) > 100 and fname != "constituency":
                raise ValidationError(f"a {fname} is at most 100 characters")
            plan.elected = {**(plan.elected or {}), fname: text_value}


def _finish_elected(plan: RowPlan, headers: list[str], mapping: Mapping[int, str]) -> None:
    """Party and constituency make an elected role only when the chamber is known."""
    assert plan.elected is not None
    if "chamber" not in plan.elected:
        chamber = next((_CHAMBER_BY_TYPE[t] for t in plan.types if t in _CHAMBER_BY_TYPE), None)
        if chamber is None:
            col = next(i for i, f in mapping.items() if f in ("party", "constituency") and f in plan.elected)
            plan.flags += (
                Flag(
                    plan.row,
                    headers[col],
                    plan.elected.get("party") or plan.elected.get("constituency") or "",
                    "party and constituency need a chamber: give the stakeholder type (MSP, MS, MP or councillor) or a Chamber column",
                ),
            )
            plan.elected = None
            return
        plan.elected["chamber"] = chamber


# Names, organisations and tags repeat across a list: fold and split each distinct value once.
_fold = functools.lru_cache(maxsize=65_536)(fold)
_org_key = functools.lru_cache(maxsize=65_536)(organisation_key)
_text = functools.lru_cache(maxsize=65_536)(cleaning.text)


@functools.lru_cache(maxsize=65_536)
def _split(raw: Any) -> tuple[str, ...]:
    return tuple(cleaning.split_tags(raw))


def _name_key(values: Mapping[str, Any]) -> tuple[str, str] | None:
    first = values.get("first_name") or values.get("preferred_name")
    last = values.get("last_name")
    if not first or not last:
        return None
    return _fold(first), _fold(last)


def _compact_postcode(value: str | None) -> str | None:
    return value.replace(" ", "").upper() if value else None


def _match(session: Session, plan: ImportPlan) -> None:
    """Find duplicates within the file and against the database, then decide each row's action."""
    live = [r for r in plan.rows if r.action != "reject"]

    # Within the file: the first row with an email / name+organisation / name+postcode wins.
    by_email: dict[str, RowPlan] = {}
    by_name_org: dict[tuple[str, str, str], RowPlan] = {}
    by_name_pc: dict[tuple[str, str, str], RowPlan] = {}
    for r in live:
        email = r.values.get("email")
        name = _name_key(r.values)
        org = _org_key(r.organisation) if r.organisation else None
        pc = _compact_postcode(r.values.get("postcode"))
        first: RowPlan | None = None
        why = ""
        if email and email in by_email:
            first, why = by_email[email], "the same email address"
        elif name:
            for key, table, label in (
                ((*name, org), by_name_org, "the same name and organisation"),
                ((*name, pc), by_name_pc, "the same name and postcode"),
            ):
                if key[2] and key in table:
                    other = table[key]
                    other_email = other.values.get("email")
                    if not (email and other_email and email != other_email):
                        first, why = other, label
                        break
        if first is not None:
            r.duplicate_of_row = first.row
            r.match = f"{why} as row {first.row}"
            continue
        if email:
            by_email[email] = r
        if name:
            if org:
                by_name_org.setdefault((*name, org), r)
            if pc:
                by_name_pc.setdefault((*name, pc), r)

    del by_email, by_name_org, by_name_pc  # a long list's keys: let them go before the queries

    # Against the database, with set-based queries.
    originals = [r for r in live if r.duplicate_of_row is None]
    emails = sorted({r.values["email"] for r in originals if r.values.get("email")})
    found_email: dict[str, int] = {}
    suppressed: set[str] = set()
    people_count = session.scalar(select(func.count(Person.id))) or 0
    if len(emails) * 5 > people_count:
        # A list that is large beside the database: one pass over the index beats many IN lists.
        wanted = set(emails)
        stmt = (
            select(Person.id, func.lower(Person.email))
            .where(Person.email.is_not(None), Person.deleted_at.is_(None))
            .order_by(Person.id)
        )
        for pid, email in _stream(session, stmt):
            if email in wanted:
                found_email.setdefault(email, pid)
        del wanted
    else:
        for part in chunked(emails):
            for pid, email in session.execute(
                select(Person.id, func.lower(Person.email))
                .where(func.lower(Person.email).in_(part), Person.deleted_at.is_(None))
                .order_by(Person.id)
            ):
                found_email.setdefault(email, pid)
    if emails:
        if (session.scalar(select(func.count(Suppression.id))) or 0) < 50_000:
            suppressed = set(emails).intersection(session.scalars(select(Suppression.email)))
        else:
            for part in chunked(emails):
                suppressed.update(
                    session.scalars(select(Suppression.email).where(Suppression.email.in_(part)))
                )

    _match_by_kindred_id(session, plan, originals)
    for r in originals:
        email = r.values.get("email")
        if email and email in found_email and r.person_id is None:
            r.person_id = found_email[email]
            r.match = "the same email address is already in Kindred"
    _match_by_name(session, [r for r in originals if r.person_id is None and _name_key(r.values)])

    # Suppressed emails: imported, but flagged and never contactable.
    for r in live:
        email = r.values.get("email")
        if email and email in suppressed:
            r.values["do_not_contact"] = True
            col = next((plan.headers[i] for i, f in plan.mapping.items() if f == "email"), "Email")
            r.flags += (
                Flag(
                    r.row,
                    col,
                    email,
                    "this address is on the do-not-contact list: imported as do not contact",
                ),
            )

    _decide(session, plan)


def _match_by_kindred_id(session: Session, plan: ImportPlan, rows: list[RowPlan]) -> None:
    """Rows carrying a Kindred ID (an export edited and brought back) are that person, whatever
    else changed; an ID not in this database is flagged and the row matched the usual way."""
    wanted = sorted({r.kindred_id for r in rows if r.kindred_id is not None})
    if not wanted:
        return
    known: set[int] = set()
    for part in chunked(wanted):
        known.update(
            session.scalars(select(Person.id).where(Person.id.in_(part), Person.deleted_at.is_(None)))
        )
    col = next((plan.headers[i] for i, f in plan.mapping.items() if f == "kindred_id"), "Kindred ID")
    for r in rows:
        if r.kindred_id is None:
            continue
        if r.kindred_id in known:
            r.person_id = r.kindred_id
            r.match = "the same Kindred ID"
        else:
            r.flags += (
                Flag(
                    r.row,
                    col,
                    str(r.kindred_id),
                    "no one in this database has this Kindred ID: matched by email and name",
                ),
            )


def _stream(session: Session, stmt: Any, size: int = 5_000) -> Iterator[Any]:
    """Rows of a big query through the connection, fetched ``size`` at a time: no ORM row objects,
    and the whole result is never in memory at once."""
    result = session.connection().execute(stmt.execution_options(yield_per=size))
    for part in result.partitions():
        yield from part


_BY_ORG = "the same name and organisation is already in Kindred"
_BY_POSTCODE = "the same name and postcode is already in Kindred"


def _match_by_name(session: Session, rows: list[RowPlan]) -> None:
    """Same name and organisation, else same name and postcode, the lowest id first.

    Two records with different email addresses are two people, so a row with an email can only
    match someone without one, and someone with an email only a row without one. Both small sets
    are indexed; everyone else streams past once, so a big list against a big database stays small.
    """
    if not rows:
        return
    without_email = [r for r in rows if not r.values.get("email")]
    # Rows without an email, by (first, last, organisation) and (first, last, postcode).
    by_org: dict[tuple[str, str, str], list[RowPlan]] = defaultdict(list)
    by_pc: dict[tuple[str, str, str], list[RowPlan]] = defaultdict(list)
    for r in without_email:
        name = _name_key(r.values)
        assert name is not None
        if r.organisation and (org := _org_key(r.organisation)):
            by_org[(*name, org)].append(r)
        if pc := _compact_postcode(r.values.get("postcode")):
            by_pc[(*name, pc)].append(r)
    found_org: dict[int, int] = {}  # id(row) → person id
    found_pc: dict[int, int] = {}
    # People without an email, for the rows that have one.
    db_org: dict[tuple[str, str, str], int] = {}
    db_pc: dict[tuple[str, str, str], int] = {}
    wanted = {_name_key(r.values) for r in rows}
    lasts = sorted({r.values["last_name"].lower() for r in rows})
    for part in chunked(lasts):
        stmt = (
            select(
                Person.id,
                Person.first_name,
                Person.preferred_name,
                Person.last_name,
                Person.email,
                Person.postcode,
                Organisation.name_key,
            )
            .outerjoin(Organisation, Organisation.id == Person.organisation_id)
            .where(func.lower(Person.last_name).in_(part), Person.deleted_at.is_(None))
            .order_by(Person.id)
        )
        # Through the connection, a chunk at a time: plain tuples, no ORM row objects.
        for pid, first, preferred, last, email, pc, org_key in _stream(session, stmt):
            compact = _compact_postcode(pc)
            for given in (first, preferred) if preferred and preferred != first else (first,):
                if not given:
                    continue
                name = (_fold(given), _fold(last))
                if name not in wanted:
                    continue
                if org_key:
                    key = (*name, org_key)
                    for r in by_org.get(key, ()):
                        found_org.setdefault(id(r), pid)
                    if not email:
                        db_org.setdefault(key, pid)
                if compact:
                    key = (*name, compact)
                    for r in by_pc.get(key, ()):
                        found_pc.setdefault(id(r), pid)
                    if not email:
                        db_pc.setdefault(key, pid)
    for r in rows:
        if r.values.get("email"):
            name = _name_key(r.values)
            assert name is not None
            row_org = _org_key(r.organisation) if r.organisation else None
            pc = _compact_postcode(r.values.get("postcode"))
            if row_org and (*name, row_org) in db_org:
                r.person_id, r.match = db_org[(*name, row_org)], _BY_ORG
            elif pc and (*name, pc) in db_pc:
                r.person_id, r.match = db_pc[(*name, pc)], _BY_POSTCODE
        elif id(r) in found_org:
            r.person_id, r.match = found_org[id(r)], _BY_ORG
        elif id(r) in found_pc:
            r.person_id, r.match = found_pc[id(r)], _BY_POSTCODE


def _decide(session: Session, plan: ImportPlan) -> None:
    options = plan.options
    by_row = {r.row: r for r in plan.rows}
    matched_ids = sorted({r.person_id for r in plan.rows if r.person_id is not None})
    current: dict[int, dict[str, Any]] = {}
    cols = [getattr(Person, f) for f in _UPDATABLE]
    for part in chunked(matched_ids):
        for row in session.execute(
            select(Person.id, Person.first_name, Person.last_name, *cols).where(Person.id.in_(part))
        ):
            current[row[0]] = dict(zip(_UPDATABLE, row[3:], strict=True)) | {
                "_name": " ".join(p for p in (row[1], row[2]) if p) or f"person {row[0]}"
            }
    have = _links_held(session, matched_ids)
    for r in plan.rows:
        if r.action == "reject" or not r.is_duplicate:
            continue
        action = options.row_actions.get(r.row, options.on_duplicate)
        if r.duplicate_of_row is not None:
            first = by_row[r.duplicate_of_row]
            if action == "create":
                r.action = "create"
            elif action == "skip":
                r.action = "skip"
                r.reasons += (f"the same person as row {first.row}",)
            else:
                _merge_into(first, r, overwrite=action == "overwrite")
                r.action = "skip"
                r.reasons += (
                    f"merged into row {first.row} ({r.match.split(' as row')[0]})" if r.match else "merged",
                )
            continue
        assert r.person_id is not None
        existing = current.get(r.person_id, {})
        r.person_name = existing.get("_name")
        if action == "create":
            r.action = "create"
        elif action == "skip":
            r.action = "skip"
            r.reasons += (f"already in Kindred as {r.person_name} ({r.match})",)
        else:
            r.action = "update"
            r.changes = _changes(existing, r, overwrite=action == "overwrite")
            # Networks, tags and types the person already has are nothing new.
            pid = r.person_id
            r.networks = tuple(n for n in r.networks if (pid, "network", n[0].lower()) not in have)
            r.tags = tuple(t for t in r.tags if (pid, "tag", t.lower()) not in have)
            r.types = tuple(t for t in r.types if (pid, "type", t) not in have)
            if not r.changes and not (
                r.networks or r.tags or r.types or r.elected or plan.options.consent_purpose
            ):
                r.action = "skip"
                r.reasons += (f"already in Kindred as {r.person_name}, nothing new",)


def _links_held(session: Session, person_ids: Sequence[int]) -> set[tuple[int, str, str]]:
    """(person, "network"/"tag"/"type", lower-cased name) for what these people already have:
    active memberships, tags and stakeholder types."""
    held: set[tuple[int, str, str]] = set()
    for part in chunked(list(person_ids)):
        for pid, name in session.execute(
            select(Membership.person_id, Network.name)
            .join(Network, Network.id == Membership.network_id)
            .where(Membership.person_id.in_(part), Membership.status == "active")
        ):
            held.add((pid, "network", name.lower()))
        for pid, name in session.execute(
            select(PersonTag.person_id, Tag.name)
            .join(Tag, Tag.id == PersonTag.tag_id)
            .where(PersonTag.person_id.in_(part))
        ):
            held.add((pid, "tag", name.lower()))
        for pid, type_ in session.execute(
            select(PersonType.person_id, PersonType.type).where(PersonType.person_id.in_(part))
        ):
            held.add((pid, "type", type_))
    return held


def _merge_into(first: RowPlan, later: RowPlan, *, overwrite: bool) -> None:
    for key, value in later.values.items():
        if value is None or value == "":
            continue
        if overwrite or first.values.get(key) in (None, ""):
            first.values[key] = value
    if later.organisation and (overwrite or not first.organisation):
        first.organisation = later.organisation
    for item in later.networks:
        if item[0].lower() not in {n.lower() for n, _, _ in first.networks}:
            first.networks += (item,)
    for t in later.tags:
        if t.lower() not in {x.lower() for x in first.tags}:
            first.tags += (t,)
    for t in later.types:
        if t not in first.types:
            first.types += (t,)
    if later.elected and (overwrite or not first.elected):
        first.elected = later.elected


def _changes(existing: Mapping[str, Any], r: RowPlan, *, overwrite: bool) -> dict[str, tuple[Any, Any]]:
    """The fields an update would change. Blank cells never erase; "fill" only fills empty fields."""
    out: dict[str, tuple[Any, Any]] = {}
    for key, new in r.values.items():
        if key.startswith("_") or new is None or new == "" or key not in existing:
            continue
        old = existing[key]
        if key in _BOOL_FIELDS:
            # Yes/no preferences only ever tighten: an import never clears a do-not-contact.
            if new and not old:
                out[key] = (old, True)
            continue
        if old == new:
            continue
        if old in (None, "") or overwrite:
            out[key] = (old, new)
    if r.organisation:
        out["organisation_id"] = (existing.get("organisation_id"), r.organisation)  # resolved later
    return out


def _resolve_organisations_and_networks(session: Session, plan: ImportPlan) -> None:
    """Organisations are matched by name key and created once; networks by name."""
    keys: dict[str, str] = {}
    for r in plan.rows:
        if r.organisation and r.action in ("create", "update"):
            keys.setdefault(_org_key(r.organisation), r.organisation)
    existing: dict[str, int] = {}
    for part in chunked(sorted(keys)):
        for oid, key in session.execute(
            select(Organisation.id, Organisation.name_key)
            .where(Organisation.name_key.in_(part), Organisation.deleted_at.is_(None))
            .order_by(Organisation.id)
        ):
            existing.setdefault(key, oid)
    plan.new_organisations = sorted(name for key, name in keys.items() if key not in existing)
    for r in plan.rows:
        if r.action != "update" or "organisation_id" not in r.changes:
            continue
        old, name = r.changes["organisation_id"]
        key = organisation_key(name)
        new_id = existing.get(key)
        if (new_id is not None and new_id == old) or (
            old is not None and plan.options.row_actions.get(r.row, plan.options.on_duplicate) != "overwrite"
        ):
            del r.changes["organisation_id"]
        else:
            r.changes["organisation_id"] = (old, name)
        if not r.changes and not (
            r.networks or r.tags or r.types or r.elected or plan.options.consent_purpose
        ):
            r.action = "skip"
            r.reasons += (f"already in Kindred as {r.person_name}, nothing new",)
    names = {n.lower(): n for r in plan.rows if r.action in ("create", "update") for n, _, _ in r.networks}
    found = {
        n.lower()
        for part in chunked(sorted(names))
        for n in session.scalars(select(Network.name).where(func.lower(Network.name).in_(part)))
    }
    plan.new_networks = sorted(v for k, v in names.items() if k not in found)


# --- Applying -----------------------------------------------------------------------------------


@gc_paused()
def apply_import(
    db: Database,
    table: Table,
    mapping: Mapping[int, str],
    options: ImportOptions | None = None,
    *,
    plan: ImportPlan | None = None,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> ImportResult:
    """Import in one transaction: everything is written, or (on any error or Cancel) nothing.

    The plan is worked out inside the transaction, so it matches the database exactly. A dry run's
    ``plan`` is used instead when the file, mapping and options are the same and the database has
    not changed since (the wizard's summary page is then not worked out twice); a plan is written
    at most once.

    Raises:
        Cancelled: ``should_cancel`` returned true; the database is unchanged.
    """
    started = time.perf_counter()
    options = options or ImportOptions()
    from crm.backups import automatic_backup

    # A copy to go back to (File → Restore from backup…) whatever the import turns out to do.
    automatic_backup(db, f"before importing {table.file_name}")
    with db.transaction(bulk=True) as session:
        total_rows = max(len(table.data_rows), 1)

        def plan_progress(done: int, total: int) -> None:
            if progress is not None:
                progress(done * 3 // 10, total_rows)

        if plan is None or not _plan_still_holds(session, plan, table, mapping, options):
            plan = plan_import(
                session, table, mapping, options, progress=plan_progress, should_cancel=should_cancel
            )
        batch_id = write_plan(
            session, plan, progress=progress, should_cancel=should_cancel, base=total_rows * 3 // 10
        )
    counts = plan.counts
    return ImportResult(
        batch_id=batch_id,
        created=counts["created"],
        updated=counts["updated"],
        skipped=counts["skipped"],
        rejected=counts["rejected"],
        flagged=counts["flagged"],
        seconds=time.perf_counter() - started,
        plan=plan,
    )


@gc_paused()
def dry_run(
    db: Database,
    table: Table,
    mapping: Mapping[int, str],
    options: ImportOptions | None = None,
    *,
    plan: ImportPlan | None = None,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> ImportResult:
    """The plan as a result with no batch: nothing is written. An earlier dry run's ``plan`` is
    given back as it is when nothing it depends on has changed (going back and forth in the wizard)."""
    started = time.perf_counter()
    options = options or ImportOptions()
    with db.session() as session:
        if plan is None or not _plan_still_holds(session, plan, table, mapping, options):
            plan = plan_import(
                session, table, mapping, options, progress=progress, should_cancel=should_cancel
            )
    return ImportResult(
        batch_id=None, seconds=time.perf_counter() - started, plan=plan, dry_run=True, **plan.counts
    )


def write_plan(
    session: Session,
    plan: ImportPlan,
    *,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
    base: int = 0,
) -> int:
    """Carry out a plan in the caller's transaction. Returns the import batch id."""
    options = plan.options
    plan.snapshot = None  # writing changes the rows' plans: never write this plan again
    total = base + len(plan.rows) + 1
    counts = plan.counts
    batch = ImportBatch(
        file_name=plan.file_name[:500],
        sha256=plan.sha256,
        sheet=plan.sheet,
        started_at=utcnow(),
        user=audit.current_user(),
        options={**options.as_json(), "mapping": describe_mapping(plan.headers, plan.mapping)},
        **counts,
    )
    session.add(batch)
    session.flush()
    batch_id = batch.id
    default_source = f"Import: {plan.file_name}"[:300]
    now = utcnow()

    # Organisations: each new one created once.
    org_ids: dict[str, int] = {}
    org_names: dict[int, str] = {}
    keys = {
        _org_key(r.organisation) for r in plan.rows if r.organisation and r.action in ("create", "update")
    }
    for part in chunked(sorted(keys)):
        for oid, key, name in session.execute(
            select(Organisation.id, Organisation.name_key, Organisation.name)
            .where(Organisation.name_key.in_(part), Organisation.deleted_at.is_(None))
            .order_by(Organisation.id.desc())
        ):
            org_ids[key] = oid
            org_names[oid] = name
    for name in plan.new_organisations:
        key = organisation_key(name)
        if key not in org_ids:
            org = create_organisation(session, name=name, source=default_source, batch_id=batch_id)
            org_ids[key] = org.id
            org_names[org.id] = org.name

    # Networks and tags named anywhere in the file: found or created once each.
    live_rows = [r for r in plan.rows if r.action in ("create", "update")]
    net_ids: dict[str, int] = {}
    for r in live_rows:
        for name, _, _ in r.networks:
            if name.lower() not in net_ids:
                network, created = networks.get_or_create_network(session, name)
                net_ids[name.lower()] = network.id
                if created:
                    audit.record(
                        session, "create", "network", network.id, new=network.name, batch_id=batch_id
                    )
    tag_ids: dict[str, tuple[int, str]] = {}
    for r in live_rows:
        for t in r.tags:
            if t.lower() not in tag_ids:
                tag = tags.get_or_create_tag(session, t)
                tag_ids[t.lower()] = (tag.id, tag.name)

    # New people, in chunks so Cancel is noticed and progress moves. Their memberships, tags and
    # types are written with them and described in their one "create" audit entry.
    creates = [r for r in plan.rows if r.action == "create"]
    done = base
    today = dt.date.today()
    # Each chunk of new people is written on a helper thread while the next rows are built.
    with BulkPeopleWriter(session, active=len(creates) >= BULK_INDEX_THRESHOLD) as writer:
        chunks = list(chunked(creates, WRITE_CHUNK))
        ready = _prepare_created(chunks[0], batch_id, default_source, org_ids, org_names) if chunks else []
        for k, chunk in enumerate(chunks):
            _tick(progress, should_cancel, done, total)
            ids = insert_prepared_people(session, ready, writer)
            # While the helper writes this chunk (people, indexes, search index): its links and
            # history, and the next chunk's rows, are built in Python.
            links = _created_links(plan, chunk, ids, batch_id, net_ids, tag_ids, now, today)
            if k + 1 < len(chunks):
                ready = _prepare_created(chunks[k + 1], batch_id, default_source, org_ids, org_names)
            writer.wait()
            for model, rows in zip((Membership, PersonTag, PersonType), links[:3], strict=True):
                if rows:
                    insert_rows(session, table_of(model), rows)
            audit.record_many(session, links[3], batch_id=batch_id)
            done += len(chunk)

    # Updates: field changes recorded with their old values so undo can restore them.
    updates = [r for r in plan.rows if r.action == "update"]
    changed: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for r in updates:
        if "organisation_id" in r.changes:
            # A new dict, swapped in whole: a dry run's plan may be on show in the window meanwhile.
            changes = dict(r.changes)
            old, name = changes["organisation_id"]
            new_id = org_ids.get(_org_key(name))
            if new_id is None or new_id == old:
                del changes["organisation_id"]
            else:
                changes["organisation_id"] = (old, new_id)
            r.changes = changes
        if not r.changes:
            continue
        assert r.person_id is not None
        changed.append(
            {"id": r.person_id, **{k: new for k, (_, new) in r.changes.items()}, "updated_at": now}
        )
        entries.extend(
            {
                "action": "update",
                "entity": "person",
                "entity_id": r.person_id,
                "field": k,
                "old": old,
                "new": new,
            }
            for k, (old, new) in r.changes.items()
        )
    for items_part in chunked(changed, WRITE_CHUNK):
        _tick(progress, should_cancel, done, total)
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for item in items_part:
            groups[tuple(sorted(item))].append(item)
        for items in groups.values():
            session.execute(update(Person), items)
        done += len(items_part)
    audit.record_many(session, entries, batch_id=batch_id)
    refresh_derived(session, [c["id"] for c in changed])
    _suppress_do_not_contact(session, [r.person_id for r in live_rows if r.values.get("do_not_contact")])
    imported = [r for r in live_rows if r.person_id is not None]
    _tick(progress, should_cancel, done, total)

    # People already in Kindred join networks, gain tags and types through the services.
    groups_net: dict[tuple[int, str, dt.date | None], list[int]] = defaultdict(list)
    by_tag: dict[str, list[int]] = defaultdict(list)
    by_type: dict[str, list[int]] = defaultdict(list)
    for r in updates:
        assert r.person_id is not None
        for name, role, joined in r.networks:
            groups_net[(net_ids[name.lower()], role, joined)].append(r.person_id)
        for t in r.tags:
            by_tag[tag_ids[t.lower()][1]].append(r.person_id)
        for t in r.types:
            by_type[t].append(r.person_id)
    for (nid, role, joined), ids in groups_net.items():
        networks.add_members(session, nid, ids, role=role, joined_on=joined, batch_id=batch_id)
    for name, ids in by_tag.items():
        tags.tag_people(session, ids, name, batch_id=batch_id)
    for type_, ids in by_type.items():
        add_types(session, ids, type_, batch_id=batch_id)

    # Elected roles (party and constituency with a known chamber).
    _add_elected_roles(session, [r for r in imported if r.elected], batch_id)

    # Consent, for everyone imported who is not on the do-not-contact list.
    if options.consent_purpose:
        consenting = [r.person_id for r in imported if not r.values.get("do_not_contact")]
        _add_consents(session, consenting, options, batch_id)  # type: ignore[arg-type]

    batch.finished_at = utcnow()
    audit.record(
        session,
        "import",
        "import_batch",
        batch_id,
        new=f"{counts['created']} created, {counts['updated']} updated",
        batch_id=batch_id,
        details=plan.file_name,
    )
    _tick(progress, should_cancel, total, total)
    return batch_id


def _prepare_created(
    chunk: Sequence[RowPlan],
    batch_id: int,
    default_source: str,
    org_ids: Mapping[str, int],
    org_names: Mapping[int, str],
) -> list[dict[str, Any]]:
    """One chunk of new people as rows to insert (pure Python)."""
    payload = []
    for r in chunk:
        # Row values hold person fields only (the row's role and joining date were taken out).
        item = {"source": default_source, **r.values}
        item["organisation_id"] = org_ids.get(_org_key(r.organisation)) if r.organisation else None
        payload.append(item)
    return prepare_people(payload, batch_id=batch_id, organisation_names=org_names)


def _created_links(
    plan: ImportPlan,
    chunk: Sequence[RowPlan],
    ids: Sequence[int],
    batch_id: int,
    net_ids: Mapping[str, int],
    tag_ids: Mapping[str, tuple[int, str]],
    now: dt.datetime,
    today: dt.date,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """New people's memberships, tags and types, and their one "create" audit entry each (which
    carries the file, row, networks and tags into their history). Pure Python."""
    members: list[dict[str, Any]] = []
    person_tags: list[dict[str, Any]] = []
    person_types: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for r, pid in zip(chunk, ids, strict=True):
        r.person_id = pid
        seen_nets: set[int] = set()
        for name, role, joined in r.networks:
            nid = net_ids[name.lower()]
            if nid in seen_nets:
                continue
            seen_nets.add(nid)
            members.append(
                {
                    "person_id": pid,
                    "network_id": nid,
                    "role": role,
                    "status": "active",
                    "joined_on": joined or today,
                    "created_at": now,
                    "updated_at": now,
                    "import_batch_id": batch_id,
                }
            )
        seen_tags: set[int] = set()
        for t in r.tags:
            tid = tag_ids[t.lower()][0]
            if tid not in seen_tags:
                seen_tags.add(tid)
                person_tags.append({"person_id": pid, "tag_id": tid, "import_batch_id": batch_id})
        for t in dict.fromkeys(r.types):
            person_types.append({"person_id": pid, "type": t, "import_batch_id": batch_id})
        entries.append(
            {
                "action": "create",
                "entity": "person",
                "entity_id": pid,
                "new": _display_name(r.values),
                "details": _link_details(plan.file_name, r),
            }
        )
    return members, person_tags, person_types, entries


def _display_name(values: Mapping[str, Any]) -> str:
    name = " ".join(p for p in (values.get("first_name"), values.get("last_name")) if p)
    return name or values.get("preferred_name") or values.get("email") or ""


def _link_details(file_name: str, r: RowPlan) -> str:
    """What came with a new person, for their history: file, row, networks, tags, types."""
    parts = [f"imported from {file_name}, row {r.row}"]
    if r.networks:
        parts.append("networks: " + ", ".join(f"{n} ({role})" for n, role, _ in r.networks))
    if r.tags:
        parts.append("tags: " + ", ".join(r.tags))
    if r.types:
        parts.append("types: " + ", ".join(r.types))
    return "; ".join(parts)


def _suppress_do_not_contact(session: Session, person_ids: Sequence[Any]) -> None:
    """A do-not-contact email goes on the suppression list, through the people service."""
    ids = [i for i in person_ids if i is not None]
    emails: list[str | None] = []
    for part in chunked(ids):
        emails.extend(
            session.scalars(select(Person.email).where(Person.id.in_(part), Person.email.is_not(None)))
        )
    suppress_emails(session, emails, "Do not contact (import)")


def _add_elected_roles(session: Session, rows: list[RowPlan], batch_id: int) -> None:
    if not rows:
        return
    have: set[tuple[int, str]] = set()
    for part in chunked([r.person_id for r in rows if r.action == "update"]):
        have.update(
            (pid, chamber)
            for pid, chamber in session.execute(
                select(ElectedRole.person_id, ElectedRole.chamber).where(
                    ElectedRole.person_id.in_(part), ElectedRole.end_date.is_(None)
                )
            )
        )
    payload = []
    for r in rows:
        assert r.elected is not None and r.person_id is not None
        if (r.person_id, r.elected["chamber"]) in have:
            continue
        payload.append(
            {
                "person_id": r.person_id,
                "chamber": r.elected["chamber"][:100],
                "party": r.elected.get("party"),
                "constituency": r.elected.get("constituency"),
            }
        )
    if payload:
        ids = list(
            session.scalars(
                insert(ElectedRole).returning(ElectedRole.id, sort_by_parameter_order=True), payload
            )
        )
        audit.record_many(
            session,
            (
                {
                    "action": "create",
                    "entity": "elected_role",
                    "entity_id": rid,
                    "details": f"person {p['person_id']}",
                }
                for rid, p in zip(ids, payload, strict=True)
            ),
            batch_id=batch_id,
        )


def _add_consents(session: Session, person_ids: list[int], options: ImportOptions, batch_id: int) -> None:
    from crm.models import LAWFUL_BASES

    purpose = (options.consent_purpose or "").strip().lower()
    basis = (options.consent_basis or "consent").strip().lower()
    if basis not in LAWFUL_BASES:
        raise ValidationError(
            f"{options.consent_basis!r} is not a lawful basis ({', '.join(LAWFUL_BASES)}).", "basis"
        )
    have: set[int] = set()
    for part in chunked(person_ids):
        have.update(
            session.scalars(
                select(Consent.person_id).where(
                    Consent.purpose == purpose, Consent.person_id.in_(part), Consent.withdrawn_on.is_(None)
                )
            )
        )
    new = [pid for pid in dict.fromkeys(person_ids) if pid not in have]
    if not new:
        return
    when = options.consent_date or dt.date.today()
    ids = list(
        session.scalars(
            insert(Consent).returning(Consent.id, sort_by_parameter_order=True),
            [
                {
                    "person_id": pid,
                    "purpose": purpose,
                    "basis": basis,
                    "granted": True,
                    "recorded_on": when,
                    "source": options.consent_source,
                    "wording": options.consent_wording,
                    "import_batch_id": batch_id,
                }
                for pid in new
            ],
        )
    )
    audit.record_many(
        session,
        (
            {
                "action": "create",
                "entity": "consent",
                "entity_id": cid,
                "field": "purpose",
                "new": f"{purpose} ({basis})",
                "details": f"person {pid}",
            }
            for cid, pid in zip(ids, new, strict=True)
        ),
        batch_id=batch_id,
    )


# --- History and undo ---------------------------------------------------------------------------


def list_batches(session: Session, limit: int = 200) -> list[BatchInfo]:
    """Past imports, newest first."""
    rows = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit))
    return [
        BatchInfo(
            id=b.id,
            file_name=b.file_name,
            sheet=b.sheet,
            started_at=b.started_at,
            user=b.user,
            created=b.created,
            updated=b.updated,
            skipped=b.skipped,
            rejected=b.rejected,
            flagged=b.flagged,
            undone_at=b.undone_at,
        )
        for b in rows
    ]


def _from_text(field_: str, value: str | None) -> Any:
    """An audit value back to the column's type."""
    if value is None:
        return None
    if field_ in _BOOL_FIELDS:
        return value in ("true", "True", "1")
    if field_ == "organisation_id":
        return int(value)
    if field_ == "last_contacted":
        return dt.date.fromisoformat(value)
    return value


@gc_paused()
def undo_import(
    db: Database,
    batch_id: int,
    *,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> UndoResult:
    """Take an import back: created people removed, changed fields restored, links removed.

    People the import created are removed outright (they did not exist before it); organisations it
    created go too unless someone else has joined them since.

    Raises:
        NotFoundError: no such import.
        ImportConflict: later edits touch what the import did (the message lists them); nothing changed.
    """
    started = time.perf_counter()
    from crm.backups import automatic_backup

    automatic_backup(db, f"before undoing import {batch_id}")
    with db.transaction(bulk=True) as session:
        batch = session.get(ImportBatch, batch_id)
        if batch is None:
            raise NotFoundError(f"There is no import {batch_id}.")
        if batch.undone_at is not None:
            raise ConflictError(f"Import {batch_id} ({batch.file_name}) was already undone.")
        last_entry = (
            session.scalar(select(func.max(AuditEntry.id)).where(AuditEntry.import_batch_id == batch_id)) or 0
        )
        created_ids = list(session.scalars(select(Person.id).where(Person.import_batch_id == batch_id)))
        field_changes = session.execute(
            select(AuditEntry.entity_id, AuditEntry.field, AuditEntry.old_value, AuditEntry.new_value)
            .where(
                AuditEntry.import_batch_id == batch_id,
                AuditEntry.action == "update",
                AuditEntry.entity == "person",
            )
            .order_by(AuditEntry.id)
        ).all()
        _tick(progress, should_cancel, 1, 4)
        conflicts = _undo_conflicts(session, batch_id, last_entry, created_ids, field_changes)
        if conflicts:
            shown = "; ".join(conflicts[:10])
            more = f" and {len(conflicts) - 10} more" if len(conflicts) > 10 else ""
            raise ImportConflict(
                f"Import {batch_id} ({batch.file_name}) cannot be undone: later edits conflict — {shown}{more}.",
                conflicts,
            )
        undo_entries: list[dict[str, Any]] = []
        links = 0
        for model in (Membership, PersonTag, PersonType, Consent):
            result = session.execute(delete(model).where(model.import_batch_id == batch_id))
            links += result.rowcount or 0  # type: ignore[attr-defined]
        role_ids = list(
            session.scalars(
                select(AuditEntry.entity_id).where(
                    AuditEntry.import_batch_id == batch_id,
                    AuditEntry.entity == "elected_role",
                    AuditEntry.action == "create",
                )
            )
        )
        for part in chunked([i for i in role_ids if i is not None]):
            links += session.execute(delete(ElectedRole).where(ElectedRole.id.in_(part))).rowcount or 0  # type: ignore[attr-defined]
        _tick(progress, should_cancel, 2, 4)
        # Restore changed fields to the values they had before the import.
        restore: dict[int, dict[str, Any]] = defaultdict(dict)
        for pid, field_, old, new in field_changes:
            if pid is None or field_ is None or (pid in restore and field_ in restore[pid]):
                continue
            restore[pid][field_] = _from_text(field_, old)
            undo_entries.append(
                {
                    "action": "undo",
                    "entity": "person",
                    "entity_id": pid,
                    "field": field_,
                    "old": new,
                    "new": old,
                }
            )
        created_set = set(created_ids)
        restore = defaultdict(dict, {pid: v for pid, v in restore.items() if pid not in created_set})
        now = utcnow()
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for pid, values in restore.items():
            item = {"id": pid, **values, "updated_at": now}
            groups[tuple(sorted(item))].append(item)
        for items in groups.values():
            for batch_part in chunked(items, WRITE_CHUNK):
                session.execute(update(Person), list(batch_part))
        refresh_derived(session, list(restore))
        _tick(progress, should_cancel, 3, 4)
        for part in chunked(created_ids):
            session.execute(delete(Person).where(Person.id.in_(part)))
        undo_entries.extend(
            {"action": "undo", "entity": "person", "entity_id": pid, "field": "created"}
            for pid in created_ids
        )
        # Organisations the import created, unless someone else belongs to them now.
        for oid in list(
            session.scalars(select(Organisation.id).where(Organisation.import_batch_id == batch_id))
        ):
            in_use = session.scalar(select(func.count(Person.id)).where(Person.organisation_id == oid))
            if in_use:
                session.execute(
                    update(Organisation).where(Organisation.id == oid).values(import_batch_id=None)
                )
            else:
                session.execute(delete(Organisation).where(Organisation.id == oid))
                undo_entries.append(
                    {"action": "undo", "entity": "organisation", "entity_id": oid, "field": "created"}
                )
        audit.record_many(session, undo_entries, batch_id=batch_id)
        batch.undone_at = utcnow()
        audit.record(session, "undo", "import_batch", batch_id, details=batch.file_name, batch_id=batch_id)
        _tick(progress, should_cancel, 4, 4)
    return UndoResult(
        batch_id=batch_id,
        removed=len(created_ids),
        restored=len(restore),
        links_removed=links,
        seconds=time.perf_counter() - started,
    )


def _undo_conflicts(
    session: Session,
    batch_id: int,
    last_entry: int,
    created_ids: list[int],
    field_changes: Iterable[Any],
) -> list[str]:
    """Later edits that an undo would overwrite or orphan, described for people."""
    changed_fields: dict[int, set[str]] = defaultdict(set)
    for pid, field_, _old, _new in field_changes:
        if pid is not None and field_:
            changed_fields[pid].add(field_)
    created = set(created_ids)
    watched = sorted(created | set(changed_fields))
    conflicts: list[str] = []
    names: dict[int, str] = {}
    later: list[tuple[int, str, str | None, dt.datetime, str | None]] = []
    for part in chunked(watched):
        later.extend(
            session.execute(
                select(
                    AuditEntry.entity_id, AuditEntry.action, AuditEntry.field, AuditEntry.at, AuditEntry.user
                )
                .where(
                    AuditEntry.entity == "person",
                    AuditEntry.entity_id.in_(part),
                    AuditEntry.id > last_entry,
                    (AuditEntry.import_batch_id.is_(None)) | (AuditEntry.import_batch_id != batch_id),
                    AuditEntry.action.notin_(("delete", "restore", "export")),
                )
                .order_by(AuditEntry.id)
            ).all()  # type: ignore[arg-type]
        )
    for pid, action, field_, at, user in later:
        if pid in created or (action == "update" and field_ in changed_fields.get(pid, set())):
            what = f"{(field_ or 'record').replace('_', ' ')} {'changed' if action == 'update' else action + 'ed'}"
            conflicts.append(
                f"{_name(session, pid, names)}: {what} on {at:%d/%m/%Y %H:%M} by {user or 'someone'}"
            )
    if created:
        for part in chunked(sorted(created)):
            for pid in session.scalars(
                select(InteractionPerson.person_id).where(InteractionPerson.person_id.in_(part)).distinct()
            ):
                conflicts.append(f"{_name(session, pid, names)}: has interactions recorded since the import")
            for pid in session.scalars(
                select(Attendance.person_id).where(Attendance.person_id.in_(part)).distinct()
            ):
                conflicts.append(
                    f"{_name(session, pid, names)}: has event attendance recorded since the import"
                )
    return conflicts


def _name(session: Session, pid: int, cache: dict[int, str]) -> str:
    if pid not in cache:
        row = session.execute(
            select(Person.first_name, Person.last_name, Person.email).where(Person.id == pid)
        ).first()
        cache[pid] = (
            (" ".join(p for p in (row[0], row[1]) if p) or row[2] or f"person {pid}")
            if row
            else f"person {pid}"
        )
    return cache[pid]
