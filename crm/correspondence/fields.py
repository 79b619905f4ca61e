"""The merge fields a Word template may use, and their values for one letter.

Word names a spreadsheet column's merge field after its heading with spaces turned into
underscores, so a template made against an exported list ("Address line 1" → ``Address_line_1``)
works unchanged: every export column is a field under that name. A few fields exist only here:
``Address_block`` (the whole address, one line each), ``Constituency`` and ``Party`` (the current
elected role) and ``Letter_date``. Names are matched as Word does, ignoring case; punctuation and
underscores are ignored too, so ``Postnominals`` and ``Post_nominals`` both work.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm.exporting.columns import COLUMNS, Kind
from crm.exporting.columns import address_block as address_block_lines
from crm.models import ElectedRole
from crm.util import chunked

# Letter-only fields, by Word name: what each is, for the list shown to users.
ADDRESS_BLOCK = "Address_block"
CONSTITUENCY = "Constituency"
PARTY = "Party"
LETTER_DATE = "Letter_date"
EXTRA_FIELDS: dict[str, str] = {
    ADDRESS_BLOCK: "Addressee, organisation and postal address, one line each",
    CONSTITUENCY: "Constituency or region of the current elected role",
    PARTY: "Party of the current elected role",
    LETTER_DATE: "Today's date, e.g. 6 December 2026",
}
# Export columns an address block is made of.
ADDRESS_KEYS = (
    "addressee",
    "organisation",
    "address_line1",
    "address_line2",
    "address_line3",
    "town",
    "postcode",
    "country",
)
_NOT_ALNUM = re.compile(r"[\W_]+")
# Characters XML 1.0 forbids (and Word's own field delimiters, U+0013-U+0015): never written.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def word_name(key: str) -> str:
    """The merge field name of an export column: its heading with spaces as underscores."""
    return COLUMNS[key].label.replace(" ", "_")


def normalise(name: str) -> str:
    """The key a field name is matched on: lower case, letters and digits only."""
    return _NOT_ALNUM.sub("", name).lower()


@dataclass(frozen=True)
class FieldSpec:
    """One known field: its Word name and what fills it (an export column, or a letter extra)."""

    name: str
    column: str | None  # export column key, or None for the extras
    description: str


def catalogue() -> list[FieldSpec]:
    """Every field a template may use, export columns first in their usual order."""
    out = [FieldSpec(word_name(k), k, c.label) for k, c in COLUMNS.items()]
    out += [FieldSpec(name, None, text) for name, text in EXTRA_FIELDS.items()]
    return out


def available_names() -> list[str]:
    return [spec.name for spec in catalogue()]


def resolve(template_fields: Iterable[str]) -> tuple[dict[str, FieldSpec], list[str]]:
    """Map the template's field names to known fields; also returns the unknown names."""
    known = {normalise(spec.name): spec for spec in catalogue()}
    mapped: dict[str, FieldSpec] = {}
    unknown: list[str] = []
    for name in sorted(template_fields, key=str.lower):
        spec = known.get(normalise(name))
        if spec is None:
            unknown.append(name)
        else:
            mapped[name] = spec
    return mapped, unknown


def columns_needed(specs: Iterable[FieldSpec]) -> list[str]:
    """The export columns to select for these fields (always the addressee, for file names)."""
    out: list[str] = ["addressee"]
    for spec in specs:
        keys: Sequence[str] = ADDRESS_KEYS if spec.name == ADDRESS_BLOCK else ()
        if spec.column:
            keys = (spec.column,)
        for key in keys:
            if key not in out:
                out.append(key)
    return out


def xml_safe(value: str) -> str:
    """Text Word can hold: characters XML forbids removed, line ends as ``\\n``."""
    return _XML_UNSAFE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def display(value: Any, kind: Kind) -> str:
    """A value as the letter shows it (UK dates, no "None")."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone().date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y") if kind is Kind.DATE else value.isoformat()
    return xml_safe(str(value))


def address_block(values: Mapping[str, Any]) -> str:
    """The address lines of one letter: the mail-merge export's own "Address block", so a letter
    and a merge from an exported list set an address out the same way."""

    def text(key: str) -> str:
        return display(values.get(key), Kind.TEXT)

    return address_block_lines(
        text("addressee"),
        text("organisation"),
        (text("address_line1"), text("address_line2"), text("address_line3")),
        text("town"),
        text("postcode"),
        text("country"),
    )


def letter_date(today: dt.date | None = None) -> str:
    day = today or dt.date.today()
    return f"{day.day} {day:%B %Y}"


def current_roles(session: Session, person_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Each person's current elected role's (constituency or region, party), the latest started."""
    today = dt.date.today()
    out: dict[int, tuple[str, str]] = {}
    for part in chunked(list(dict.fromkeys(person_ids))):
        rows = session.execute(
            select(ElectedRole.person_id, ElectedRole.constituency, ElectedRole.region, ElectedRole.party)
            .where(
                ElectedRole.person_id.in_(part),
                or_(ElectedRole.end_date.is_(None), ElectedRole.end_date >= today),
            )
            .order_by(
                ElectedRole.person_id, ElectedRole.start_date.desc().nulls_last(), ElectedRole.id.desc()
            )
        )
        for pid, constituency, region, party in rows:
            if pid not in out:
                out[pid] = (xml_safe(constituency or region or ""), xml_safe(party or ""))
    return out
