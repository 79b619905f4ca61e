"""Export columns, the built-in presets, saved presets, and salutations.

A column is a key the engine knows how to fill: most are plain person fields, a few are composed
(full name, salutations, addressee). Presets are ordered lists of keys. Saved presets live in a
small JSON file, ``export_presets.json``, in the user's data folder (``crm.db.default_data_dir()``).
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from crm.errors import FileProblem, ValidationError
from crm.text import clean_text


class Kind(enum.Enum):
    """How a column's values are written."""

    TEXT = "text"  # always a string cell, whatever it looks like
    DATE = "date"  # a real date cell
    NUMBER = "number"  # an integer written by Kindred itself (the record id)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind = Kind.TEXT
    width: int = 16  # starting width in characters; widened to the data up to ``MAX_WIDTH``
    # Whether contact data may make this cell longer than Excel's 32,767-character limit; only
    # unbounded database columns can.
    unbounded: bool = False
    # Column formatted as text in the sheet, so a value typed in later keeps its leading zeros.
    text_format: bool = False


MAX_WIDTH = 50

_COLUMN_LIST: tuple[Column, ...] = (
    Column("title", "Title", width=8),
    Column("first_name", "First name", width=14),
    Column("last_name", "Last name", width=16),
    Column("preferred_name", "Preferred name", width=14),
    Column("full_name", "Full name", width=24),
    Column("salutation_informal", "Informal salutation", width=20),
    Column("salutation_formal", "Formal salutation", width=22),
    Column("addressee", "Addressee", width=30),
    # The whole address in one cell, one line per line (Word's merge field keeps the breaks).
    Column("address_block", "Address block", width=34),
    Column("post_nominals", "Post-nominals", width=10),
    Column("pronouns", "Pronouns", width=10),
    Column("job_title", "Job title", width=22),
    Column("organisation", "Organisation", width=28),
    Column("address_line1", "Address line 1", width=26),
    Column("address_line2", "Address line 2", width=20),
    Column("address_line3", "Address line 3", width=16),
    Column("town", "Town", width=14),
    Column("postcode", "Postcode", width=10, text_format=True),
    Column("country", "Country", width=14),
    Column("nation", "Nation", width=12),
    Column("region", "Region", width=14),
    Column("email", "Email", width=32),
    Column("phone", "Phone", width=16, text_format=True),
    Column("mobile", "Mobile", width=16, text_format=True),
    Column("types", "Stakeholder types", width=18),
    Column("tags", "Tags", width=24),
    Column("do_not_contact", "Do not contact", width=8),
    Column("email_opt_out", "No email", width=8),
    Column("post_opt_out", "No post", width=8),
    Column("last_contacted", "Last contacted", Kind.DATE, width=12),
    Column("source", "Source", width=18),
    Column("notes", "Notes", width=40, unbounded=True),
    Column("created_at", "Added", Kind.DATE, width=12),
    Column("updated_at", "Updated", Kind.DATE, width=12),
    Column("id", "Kindred ID", Kind.NUMBER, width=10),
)

COLUMNS: dict[str, Column] = {c.key: c for c in _COLUMN_LIST}

# Columns built in Python from several fields rather than read from one SQL column.
COMPOSED = frozenset({"full_name", "salutation_informal", "salutation_formal", "addressee", "address_block"})
# The fields an address block is made from, beside the names.
ADDRESS_BLOCK_FIELDS = (
    "organisation",
    "address_line1",
    "address_line2",
    "address_line3",
    "town",
    "postcode",
    "country",
)

MAIL_MERGE = (
    "title",
    "first_name",
    "last_name",
    "full_name",
    "salutation_informal",
    "salutation_formal",
    "addressee",
    "address_block",
    "job_title",
    "organisation",
    "address_line1",
    "address_line2",
    "address_line3",
    "town",
    "postcode",
    "country",
    "email",
)

BUILTIN_PRESETS: dict[str, tuple[str, ...]] = {
    "mail-merge": MAIL_MERGE,
    "email": ("full_name", "email"),
    "full": tuple(c.key for c in _COLUMN_LIST),
}

PRESET_LABELS: dict[str, str] = {"mail-merge": "Mail merge", "email": "Email list", "full": "Full record"}

PRESETS_FILE = "export_presets.json"


def column_label(key: str) -> str:
    """The header for a column key."""
    return COLUMNS[key].label


def check_columns(columns: Sequence[str]) -> list[str]:
    """The columns as a list, without repeats. Raises ValidationError naming an unknown key."""
    out: list[str] = []
    for key in columns:
        if key not in COLUMNS:
            known = ", ".join(COLUMNS)
            raise ValidationError(f"There is no export column {key!r} (known: {known}).", "columns")
        if key not in out:
            out.append(key)
    if not out:
        raise ValidationError("Choose at least one column to export.", "columns")
    return out


# --- Saved presets ----------------------------------------------------------------------------


def presets_path() -> Path:
    from crm.db import default_data_dir

    return default_data_dir() / PRESETS_FILE


def saved_presets() -> dict[str, list[str]]:
    """The user's own presets, by name. A missing or unreadable file means none."""
    path = presets_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}  # a damaged file must not stop exports; saving a preset rewrites it
    if not isinstance(data, dict):
        return {}
    out: dict[str, list[str]] = {}
    for name, cols in data.items():
        if isinstance(name, str) and isinstance(cols, list):
            keys = [c for c in cols if isinstance(c, str) and c in COLUMNS]
            if keys:
                out[name] = keys
    return out


def all_presets() -> dict[str, list[str]]:
    """Built-in presets (by key) followed by saved ones (by name)."""
    return {**{k: list(v) for k, v in BUILTIN_PRESETS.items()}, **saved_presets()}


def preset_columns(name: str) -> list[str]:
    """Columns of a built-in preset (key or label) or a saved preset. Raises ValidationError."""
    lowered = name.strip().lower()
    for key, cols in BUILTIN_PRESETS.items():
        if lowered in (key, PRESET_LABELS[key].lower()):
            return list(cols)
    for saved, keys in saved_presets().items():
        if saved.lower() == lowered:
            return keys
    raise ValidationError(f"There is no export preset called {name!r}.", "preset")


def save_preset(name: str, columns: Sequence[str]) -> Path:
    """Save (or replace) a preset of the user's own. Returns the file it is kept in."""
    cleaned = clean_text(name)
    if not cleaned:
        raise ValidationError("A preset needs a name.", "name")
    lowered = cleaned.lower()
    if any(lowered in (k, PRESET_LABELS[k].lower()) for k in BUILTIN_PRESETS):
        raise ValidationError(f"{cleaned!r} is a built-in preset; choose another name.", "name")
    cols = check_columns(columns)
    presets = {k: v for k, v in saved_presets().items() if k.lower() != lowered}
    presets[cleaned] = cols
    path = presets_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".partial")
        tmp.write_text(json.dumps(presets, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise FileProblem(f"Cannot save the preset to {path}: {exc.strerror or exc}") from exc
    return path


# --- Salutations --------------------------------------------------------------------------------

# Knights and dames are addressed by first name ("Dear Sir Alan"), everyone else by surname.
_FIRST_NAME_TITLES = frozenset({"sir", "dame"})
FALLBACK_SALUTATION = "Dear colleague"


def _join(*parts: str | None) -> str:
    return " ".join([p for p in parts if p])  # a list joins faster than a generator


def full_name(first: str | None, last: str | None) -> str:
    return _join(first, last)


def informal_greeting_name(first: str | None, preferred: str | None) -> str | None:
    return preferred or first


def formal_greeting_name(title: str | None, first: str | None, last: str | None) -> str | None:
    """ "Ms Beamish", "Sir Alan", or the plain name when there is no title."""
    if title and title.rstrip(".").lower() in _FIRST_NAME_TITLES and first:
        return f"{title} {first}"
    if title and last:
        return f"{title} {last}"
    name = _join(first, last)
    return name or None


def informal_salutation(first: str | None, preferred: str | None, last: str | None = None) -> str:
    """ "Dear Claudia" (the preferred name when there is one)."""
    name = informal_greeting_name(first, preferred) or last
    return f"Dear {name}" if name else FALLBACK_SALUTATION


def formal_salutation(title: str | None, first: str | None, last: str | None) -> str:
    """ "Dear Ms Beamish"; "Dear Claudia Beamish" without a title; "Dear Sir Alan" for a knight."""
    name = formal_greeting_name(title, first, last)
    return f"Dear {name}" if name else FALLBACK_SALUTATION


def addressee(title: str | None, first: str | None, last: str | None, post_nominals: str | None) -> str:
    """The name line of an address: "Ms Claudia Beamish MSP"."""
    return _join(title, first, last, post_nominals)


# Letters posted within the UK leave the country off (Royal Mail); these name the home country.
HOME_COUNTRIES = frozenset(
    {
        "united kingdom",
        "uk",
        "u.k.",
        "gb",
        "great britain",
        "britain",
        "england",
        "scotland",
        "wales",
        "northern ireland",
        "united kingdom of great britain and northern ireland",
    }
)
# Excel's own line break inside a cell (Alt+Enter); Word's merge shows each as a new line.
ADDRESS_LINE_BREAK = "\n"


def address_block(
    name_line: str | None,
    organisation: str | None,
    lines: Sequence[str | None],
    town: str | None,
    postcode: str | None,
    country: str | None,
) -> str:
    """The whole postal address as Royal Mail sets it out, one item a line: the addressee, the
    organisation, the address lines, the town, the postcode on a line of its own, and the country
    only for an address abroad (in capitals). Blank items and an organisation already written as
    the first address line are left out. No usable address (no line, town or postcode): ``""``."""
    place = [clean for value in (*lines, town, postcode) if (clean := (value or "").strip())]
    if not place:
        return ""
    out = [clean for value in (name_line,) if (clean := (value or "").strip())]
    org = (organisation or "").strip()
    if org and org.casefold() != place[0].casefold():
        out.append(org)
    out.extend(place)
    abroad = (country or "").strip()
    if abroad and abroad.casefold() not in HOME_COUNTRIES:
        out.append(abroad.upper())
    return ADDRESS_LINE_BREAK.join(out)


def compose_names(
    title: str | None, first: str | None, preferred: str | None, last: str | None, post_nominals: str | None
) -> tuple[str, str, str, str]:
    """Full name, informal and formal salutation, and addressee at once: the export's per-row path.

    The same results as :func:`full_name`, :func:`informal_salutation`, :func:`formal_salutation`
    and :func:`addressee`, in one call with no intermediate lists (100,000 rows add up).
    """
    full = f"{first} {last}" if first and last else first or last or ""
    informal_name = preferred or first or last
    informal = f"Dear {informal_name}" if informal_name else FALLBACK_SALUTATION
    if title:
        if first and title.rstrip(".").lower() in _FIRST_NAME_TITLES:
            formal = f"Dear {title} {first}"
        elif last:
            formal = f"Dear {title} {last}"
        else:
            formal = f"Dear {full}" if full else FALLBACK_SALUTATION
        name_line = f"{title} {full}" if full else title
    else:
        formal = f"Dear {full}" if full else FALLBACK_SALUTATION
        name_line = full
    if post_nominals:
        name_line = f"{name_line} {post_nominals}" if name_line else post_nominals
    return full, informal, formal, name_line


def _and(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class NameParts:
    title: str | None
    first: str | None
    preferred: str | None
    last: str | None
    post_nominals: str | None


def joint_informal(people: Sequence[NameParts]) -> str:
    """ "Dear Claudia and James"."""
    names = [n for p in people if (n := informal_greeting_name(p.first, p.preferred) or p.last)]
    return f"Dear {_and(names)}" if names else FALLBACK_SALUTATION


def joint_formal(people: Sequence[NameParts]) -> str:
    """ "Dear Ms Beamish and Mr Smith"; "Dear Ms and Mr Beamish" when they share a surname."""
    lasts = {p.last for p in people}
    knighted = any((p.title or "").rstrip(".").lower() in _FIRST_NAME_TITLES for p in people)
    if len(lasts) == 1 and people[0].last and all(p.title for p in people) and not knighted:
        return f"Dear {_and([p.title or '' for p in people])} {people[0].last}"
    names = [n for p in people if (n := formal_greeting_name(p.title, p.first, p.last))]
    return f"Dear {_and(names)}" if names else FALLBACK_SALUTATION


def joint_addressee(people: Sequence[NameParts]) -> str:
    """ "Ms Claudia Beamish MSP and Mr James Smith"."""
    return _and([a for p in people if (a := addressee(p.title, p.first, p.last, p.post_nominals))])


def joint_full_name(people: Sequence[NameParts]) -> str:
    return _and([n for p in people if (n := full_name(p.first, p.last))])
