"""Cleaning a sheet's rows into row plans: values cleaned, flags raised, extras parsed."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crm.errors import UserError, ValidationError
from crm.importing import cleaning
from crm.importing.channels import has_channel_fields, take_channels
from crm.importing.cohorts import network_extra_cell, place_network_extras
from crm.importing.mapping import FIELD_LABELS
from crm.importing.plan import (
    _CHAMBER_BY_TYPE,
    _LENGTHS,
    _NAME_FIELDS,
    _PERSON_CLEANERS,
    Flag,
    ImportOptions,
    Progress,
    RowPlan,
    RowValues,
    ShouldCancel,
    _tick,
)
from crm.importing.reader import Table
from crm.matching.keys import org_key as _org_key
from crm.models import (
    StakeholderType,
)
from crm.roster.chambers import normalise_chamber
from crm.services.people import (
    normalise_types,
)


def _check_mapping(table: Table, mapping: Mapping[int, str]) -> None:
    fields = [f for f in mapping.values() if f]
    unknown = [f for f in fields if f not in FIELD_LABELS]
    if unknown:
        raise ValidationError(f"Unknown field {unknown[0]!r} in the column mapping.")
    twice = {f for f in fields if fields.count(f) > 1}
    if twice:
        name = FIELD_LABELS[sorted(twice)[0]]
        raise ValidationError(f"{table.file_name}: two columns are mapped to {name}; choose one.")
    if not any(
        f in ("first_name", "last_name", "full_name", "email", "preferred_name") or f.startswith("email@")
        for f in fields
    ):
        others = [s.name for s in table.sheets if s.is_worksheet and s.name != table.sheet]
        where = f" on sheet {table.sheet!r}" if table.sheet and others else ""
        hint = (
            f" The file has other sheets: {', '.join(repr(n) for n in others)}; choose one." if others else ""
        )
        raise UserError(
            f"{table.file_name}: no recognisable columns{where} — none of the headings names a person's name or email address.{hint}"
        )


# Rows are cleaned this many at a time: one part's columns and cleaned values are let go before the
# next part is read, so a list of a million rows never holds them all at once beside its plans.
CLEAN_CHUNK = 50_000
# From this many rows, each row's cleaned values are held as a RowValues rather than a dict (half
# the memory; a little slower to read, which only a list this long is worth).
COMPACT_FROM = 200_000
# A row whose cells have been let go (``_clean_rows(release=True)``): one shared object.
_RELEASED: tuple[int, list[Any]] = (0, [])


@dataclass(slots=True)
class _Shared:
    """What every part of one file's cleaning shares: whole-column readings, and tuples and memos
    reused across parts (a million rows' plans would otherwise hold a million equal tuples)."""

    date_orders: dict[int, str | None]
    option_types: list[str]
    option_network: str | None
    option_role: str
    option_tags: list[str]
    shared_tags: tuple[str, ...]
    shared_network: tuple[tuple[str, str, Any], ...]
    repeated: dict[int, dict[tuple[type, Any], Any]]
    tag_tuples: dict[tuple[str, ...], tuple[str, ...]]
    compact: bool  # a long list: values held as RowValues


def _clean_rows(
    table: Table,
    headers: list[str],
    data: list[tuple[int, list[Any]]],
    mapping: Mapping[int, str],
    options: ImportOptions,
    progress: Progress | None,
    should_cancel: ShouldCancel | None,
    *,
    release: bool = False,
) -> list[RowPlan]:
    """Clean every mapped cell and give each row its plan.

    Works column by column: a list repeats itself (towns, titles, organisations), so each distinct
    value of a column is cleaned once and the rest is dictionary look-ups in C; only rows with a
    problem get row-by-row attention. Rows are taken :data:`CLEAN_CHUNK` at a time (each row's
    plan depends on that row alone, and on whole-column readings worked out first). With
    ``release``, ``data`` is the table's data rows and the caller will not read their cells again:
    each part's rows are let go in ``data`` and in ``table.rows`` as soon as they are cleaned.
    """
    total = len(data)
    _tick(progress, should_cancel, 0, total)
    blank_cells: dict[int, set[int]] = defaultdict(set)  # column → row numbers read as blank
    for number, col in table.cell_problems:
        blank_cells[col].add(number)
    date_orders: dict[int, str | None] = {}
    for i, f in mapping.items():
        if f in ("joined_on", "last_contacted"):
            blanked = blank_cells.get(i, set())
            date_orders[i] = options.date_order or cleaning.date_order_hint(
                [
                    cells[i]
                    for number, cells in data
                    if i < len(cells) and cells[i] is not None and cells[i] != "" and number not in blanked
                ]
            )
    option_network = options.network.lower() if options.network else None
    option_role = (options.role or "member").lower()
    shared = _Shared(
        date_orders=date_orders,
        option_types=normalise_types([options.type]) if options.type else [],
        option_network=option_network,
        option_role=option_role,
        option_tags=list(options.tags),
        shared_tags=tuple(options.tags),
        shared_network=((options.network or "", option_role, None),),
        repeated=defaultdict(dict),
        tag_tuples={},
        compact=total >= COMPACT_FROM,
    )
    offset = table.header_index + 1
    if release and not (data and len(table.rows) - offset == total and table.rows[offset] is data[0]):
        release = False  # not the table's own data rows
    plans: list[RowPlan] = []
    for start in range(0, total, CLEAN_CHUNK):
        stop = min(start + CLEAN_CHUNK, total)
        plans += _clean_part(
            table, headers, data[start:stop], mapping, options, shared, progress, should_cancel, start, total
        )
        if release:
            for i in range(start, stop):
                data[i] = table.rows[offset + i] = _RELEASED
    return plans


def _clean_part(
    table: Table,
    headers: list[str],
    data: list[tuple[int, list[Any]]],
    mapping: Mapping[int, str],
    options: ImportOptions,
    shared: _Shared,
    progress: Progress | None,
    should_cancel: ShouldCancel | None,
    done_before: int,
    total: int,
) -> list[RowPlan]:
    """One part of :func:`_clean_rows`: these rows' plans."""
    numbers = [number for number, _ in data]
    count = len(data)
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
        _tick(progress, should_cancel, done_before + count * done // (len(person_cols) + 1), total)
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
    del cleaned_columns

    # Everything else: organisation, networks, tags, roles, dates, elected office.
    extra_cols = [(i, f) for i, f in sorted(mapping.items()) if f not in _PERSON_CLEANERS]
    for col, fname in extra_cols:
        heading = headers[col]
        order = shared.date_orders.get(col)
        if fname in _MEMO_EXTRAS:
            _apply_repeated(plans, fname, columns[col], heading, row_flags, shared.repeated[col])
            continue
        for i, raw in enumerate(columns[col]):
            if raw is None or raw == "":
                continue
            plan = plans[i]
            try:
                _apply_extra(plan, fname, raw, order, heading)
            except ValidationError as exc:
                row_flags[i].append(Flag(plan.row, heading, _shown(raw), str(exc)))
    del columns
    for i, found in row_flags.items():
        plans[i].flags += tuple(found)
    if has_channel_fields(mapping.values()):
        take_channels(plans)
    _tick(progress, should_cancel, done_before + count * len(person_cols) // (len(person_cols) + 1), total)

    # Whole-file options, and the rows that cannot be imported at all.
    option_types = shared.option_types
    option_network = shared.option_network
    option_role = shared.option_role
    option_tags = shared.option_tags
    # One tuple shared by every row that gains only the options' tags or network, and one for
    # each combination of tags.
    shared_tags = shared.shared_tags
    shared_network = shared.shared_network
    tag_tuples = shared.tag_tuples
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
            if not plan.networks and not row_role and not row_joined:
                plan.networks = shared_network
            else:
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
        if "_cohort" in values or "_groups" in values:
            place_network_extras(plan, headers, mapping)
        if option_tags:
            if not plan.tags:
                plan.tags = shared_tags
            else:
                have = {x.lower() for x in plan.tags}
                plan.tags += tuple(t for t in option_tags if t.lower() not in have)
        if plan.tags and len(tag_tuples) < 100_000:
            plan.tags = tag_tuples.setdefault(plan.tags, plan.tags)
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
    if shared.compact:
        for plan in plans:
            plan.values = RowValues(plan.values)
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
        distinct = set(column)
        distinct.discard(None)
        distinct.discard("")
        # Plain values, tested for the whole column at once, need no call per value.
        limit = min(_LENGTHS.get(fname) or cleaning.EXCEL_CELL_LIMIT, cleaning.EXCEL_CELL_LIMIT)
        memo: dict[Any, Any] = cleaning.already_clean(
            cleaner, distinct, limit=limit, blanks=_PLACEHOLDERS if fname not in _YES_NO_FIELDS else ()
        )
        if len(memo) < len(distinct):
            memo.update((v, _clean_person_value(fname, cleaner, v)) for v in distinct if v not in memo)
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
    plans: list[RowPlan],
    fname: str,
    column: Sequence[Any],
    heading: str,
    row_flags: dict[int, list[Flag]],
    memo: dict[tuple[type, Any], Any],
) -> None:
    """Organisation, network and tag cells, each distinct value worked out once (``memo`` is
    the column's, shared by every part of the file)."""
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
    elif fname in ("cohort", "working_group"):
        network_extra_cell(plan, fname, raw)
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
            if fname == "chamber":  # "Holyrood", "Welsh Parliament": one name per chamber
                text_value = normalise_chamber(text_value) or text_value
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
                    "not recorded as a seat: say which parliament or council these people are members of "
                    "(the stakeholder type MSP, MS, MP or councillor, or a Chamber column)",
                ),
            )
            plan.elected = None
            return
        plan.elected["chamber"] = chamber


# Tags and repeated text recur across a list: clean and split each distinct value once.
_text = functools.lru_cache(maxsize=65_536)(cleaning.text)


@functools.lru_cache(maxsize=65_536)
def _split(raw: Any) -> tuple[str, ...]:
    return tuple(cleaning.split_tags(raw))
