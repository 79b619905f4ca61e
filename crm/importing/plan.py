"""What an import would do: options, row plans, flags, results and the shared constants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from crm.errors import Cancelled, ConflictError, ValidationError
from crm.importing import cleaning
from crm.importing.channels import CHANNEL_FIELDS
from crm.importing.mapping import FIELD_LABELS
from crm.models import (
    PERSON_FIELDS,
    Person,
)

Progress = Callable[[int, int], None]
ShouldCancel = Callable[[], bool]

DUPLICATE_ACTIONS = ("fill", "overwrite", "skip", "create")
DUPLICATE_ACTION_LABELS = {
    "fill": "Fill empty fields only",
    "overwrite": "Overwrite with the file's values",
    "skip": "Skip",
    "create": "Create a new person",
}

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
# Labelled contact columns ("Work email") are cleaned like their plain field.
_PERSON_CLEANERS.update({name: _PERSON_CLEANERS[base] for name, (base, _) in CHANNEL_FIELDS.items()})

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
    # Data protection hook: a yes/no column giving consent for a purpose (crm.importing.consent).
    consent_column: int | None = None
    consent_column_purpose: str | None = None
    consent_date_column: int | None = None
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
            "consent_column": self.consent_column,
            "consent_column_purpose": self.consent_column_purpose,
            "consent_date_column": self.consent_date_column,
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


class RowValues(MutableMapping[str, Any]):
    """A row's cleaned values, held compactly: a tuple of values beside a tuple of keys shared by
    every row with the same fields in the same order. A long list's rows take about half the
    memory of a dict each (a dict of 11 to 21 values reserves room for 21). Behaves as the dict it
    stands for, key order included; an edit (rare after cleaning) packs it again."""

    __slots__ = ("_items", "_keys")

    # (keys) → (keys, key → index), shared by the rows that have them.
    _layouts: ClassVar[dict[tuple[str, ...], tuple[tuple[str, ...], dict[str, int]]]] = {}

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._pack(values if values is not None else {})

    def _pack(self, values: Mapping[str, Any]) -> None:
        keys = tuple(values)
        layout = self._layouts.get(keys)
        if layout is None:
            layout = (keys, {k: i for i, k in enumerate(keys)})
            if len(self._layouts) < 10_000:
                self._layouts[keys] = layout
        self._keys = layout
        self._items = tuple(values.values())

    def __getitem__(self, key: str) -> Any:
        i = self._keys[1].get(key)
        if i is None:
            raise KeyError(key)
        return self._items[i]

    def get(self, key: str, default: Any = None) -> Any:
        i = self._keys[1].get(key)
        return default if i is None else self._items[i]

    def __contains__(self, key: object) -> bool:
        return key in self._keys[1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys[0])

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> Any:
        return self._keys[0]

    def items(self) -> Any:
        return zip(self._keys[0], self._items, strict=True)

    def values(self) -> Any:
        return self._items

    def __setitem__(self, key: str, value: Any) -> None:
        values = dict(self.items())
        values[key] = value
        self._pack(values)

    def __delitem__(self, key: str) -> None:
        values = dict(self.items())
        del values[key]
        self._pack(values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def __reduce__(self) -> Any:
        return (RowValues, (dict(self.items()),))


class _NoChanges(dict[str, tuple[Any, Any]]):
    """The changes of a row that changes nothing: one empty dict shared by every such row (a
    million rows' plans would otherwise hold a million empty dicts). Read-only: a row's changes
    are replaced whole, never edited in place from empty."""

    __slots__ = ()

    def __setitem__(self, key: str, value: tuple[Any, Any]) -> None:
        raise TypeError("an unchanged row's changes are replaced, not edited")

    def __delitem__(self, key: str) -> None:
        raise TypeError("an unchanged row's changes are replaced, not edited")

    def __reduce__(self) -> Any:
        return (dict, ())  # a copy is an ordinary empty dict


_NO_CHANGES = _NoChanges()


def _no_changes() -> dict[str, tuple[Any, Any]]:
    return _NO_CHANGES


@dataclass(slots=True)
class RowPlan:
    """What happens to one row: create, update, skip or reject, and why."""

    row: int
    action: str
    # A dict; a RowValues for a long list (rows.COMPACT_FROM rows), which behaves the same.
    values: MutableMapping[str, Any] = field(default_factory=dict)
    organisation: str | None = None
    # Tuples, empty by default: 100,000 rows' plans would otherwise hold half a million empty lists.
    networks: tuple[tuple[str, str, dt.date | None], ...] = ()  # (name, role, joined)
    # The row's cohort and working groups, in the row's network: (network, cohort, groups).
    network_extras: tuple[str, str | None, tuple[str, ...]] | None = None
    tags: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    elected: dict[str, str] | None = None
    person_id: int | None = None
    person_name: str | None = None
    match: str | None = None  # why it is a duplicate
    duplicate_of_row: int | None = None
    kindred_id: int | None = None  # from a Kindred export: who this row is, whatever else changed
    # Labelled contact points from "Work email"-like columns: (kind, label, ((column, value), ...)).
    channels: tuple[tuple[str, str, tuple[tuple[str, Any], ...]], ...] = ()
    changes: dict[str, tuple[Any, Any]] = field(default_factory=_no_changes)
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


def _tick(progress: Progress | None, should_cancel: ShouldCancel | None, done: int, total: int) -> None:
    if should_cancel is not None and should_cancel():
        raise Cancelled
    if progress is not None:
        progress(done, total)
