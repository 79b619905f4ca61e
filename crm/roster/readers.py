"""Reading rosters: a chamber's members as of a date, from the shapes users actually have.

- EveryPolitician term CSVs (``id,name,sort_name,email,…,group,area,chamber,term,start_date,end_date``);
- EveryPolitician Popolo JSON (``persons``, ``organizations``, ``memberships``, ``events``);
- the UK Parliament Members API's JSON (``items`` of ``{"value": {...}}``, or one member);
- any spreadsheet of members with names, party and constituency or region, read by the importer's
  own reader and mapped by its heading synonyms (.xlsx, .xls, .ods, .csv).

Each row is a *membership*: one person may have several (a party change within a term); a row with
an end date is a past membership. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm.errors import FileProblem, UserError
from crm.roster import chambers
from crm.roster.names import is_vacant, name_key, split_name
from crm.text import clean_text, fold

# Where identifiers come from: the names stored in ``person_identifier.source``.
EVERYPOLITICIAN = "everypolitician"
PARLIAMENT = "parliament"
WIKIDATA = "wikidata"
THEYWORKFORYOU = "theyworkforyou"
SOURCE_LABELS = {
    EVERYPOLITICIAN: "EveryPolitician",
    PARLIAMENT: "UK Parliament",
    WIKIDATA: "Wikidata",
    THEYWORKFORYOU: "TheyWorkForYou",
}
# Popolo identifier schemes Kindred keeps, and under which source.
_POPOLO_SCHEMES = {"wikidata": WIKIDATA, "datadotparl_id": PARLIAMENT, "parliament": PARLIAMENT}
MAX_JSON_BYTES = 200 * 1024 * 1024


class RosterError(UserError):
    """The file is not a roster Kindred can read, or the chamber cannot be told."""


@dataclass
class RosterRow:
    """One membership of one person."""

    row: int  # as the user finds it: the spreadsheet row, or the item's position in a JSON file
    name: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    party: str | None = None
    constituency: str | None = None
    region: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    identifiers: dict[str, str] = field(default_factory=dict)
    term: str | None = None

    @property
    def key(self) -> str:
        """Who this row is about within the roster: a source id when it has one, else the name."""
        for source in (PARLIAMENT, EVERYPOLITICIAN, WIKIDATA):
            if source in self.identifiers:
                return f"{source}:{self.identifiers[source]}"
        return f"name:{name_key(self.name)}"

    @property
    def seat(self) -> str:
        return self.constituency or self.region or ""

    def ended_by(self, when: dt.date) -> bool:
        """Whether this membership had ended by ``when`` (an end date on or before it)."""
        return self.end_date is not None and self.end_date <= when


@dataclass
class Roster:
    """A chamber's members as of a date, as read from one file."""

    file_name: str
    sha256: str
    kind: str  # everypolitician-csv, popolo, parliament-api, spreadsheet
    chamber: str
    rows: list[RosterRow]
    as_of: dt.date | None = None  # the roster's own date, when it says
    vacant: list[int] = field(default_factory=list)  # rows of empty seats
    problems: list[tuple[int, str]] = field(default_factory=list)  # rows that cannot be used
    warnings: list[str] = field(default_factory=list)
    # False when the file says it holds only part of the chamber (one page of search results, one
    # member): members missing from it are then not taken to have left.
    complete: bool = True


# --- Small parsers ------------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_UK = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")


def parse_roster_date(value: Any) -> dt.date | None:
    """A roster's date: ISO (with or without a time, as the Members API writes it), a partial ISO
    date ("2016-05", "2016": its first day), UK day-first, or a date cell.

    Raises:
        ValueError: not a date.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean_text(value)
    if not text:
        return None
    if m := _ISO.match(text):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if m := _YEAR_MONTH.match(text):
        return dt.date(int(m[1]), int(m[2]), 1)
    if m := _YEAR.match(text):
        return dt.date(int(m[1]), 1, 1)
    if m := _UK.match(text):
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    raise ValueError(f"{text!r} is not a date")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(value)


def _email(value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    text = text.removeprefix("mailto:").strip().lower()
    first = re.split(r"[;,\s]+", text)[0]
    return first if "@" in first else None


def _place(chamber: str, area: str | None, row: RosterRow) -> None:
    if not area:
        return
    if chamber and chambers.is_region(chamber, area):
        row.region = area
    else:
        row.constituency = area


def _resolve_chamber(given: str | None, found: Iterable[str | None], file_name: str) -> str:
    """The chamber: the one asked for, else the one the file names. A council must be named: a
    roster of "councillors" cannot say which of Scotland's 32 councils it lists."""
    chamber = _resolve_any_chamber(given, found, file_name)
    if chamber == chambers.LOCAL_COUNCIL:
        raise RosterError(
            f"{file_name} lists councillors but does not say which council: "
            'name it with --chamber (for example "Glasgow City Council").'
        )
    return chamber


def _resolve_any_chamber(given: str | None, found: Iterable[str | None], file_name: str) -> str:
    if given:
        chamber = chambers.normalise_chamber(given)
        if chamber is None:
            known = ", ".join(
                ["Scottish Parliament", "Senedd", "House of Commons", "House of Lords", "a council"]
            )
            raise RosterError(f"{given!r} is not a chamber Kindred knows: give one of {known}.")
        return chamber
    names = {c for c in (chambers.normalise_chamber(f) for f in found if f) if c}
    if len(names) == 1:
        return names.pop()
    by_name = chambers.chamber_of_file_name(file_name)
    if len(names) > 1:
        raise RosterError(
            f"{file_name} lists members of several chambers ({', '.join(sorted(names))}): "
            "say which one to refresh with --chamber."
        )
    if by_name:
        return by_name
    raise RosterError(
        f"{file_name} does not say which chamber its members sit in: "
        'say which with --chamber (for example "Scottish Parliament").'
    )


def _finish(
    roster_rows: list[tuple[RosterRow | None, str | None, str | None]],
    *,
    chamber: str,
    file_name: str,
    sha256: str,
    kind: str,
    as_of: dt.date | None,
    problems: list[tuple[int, str]],
    vacant: list[int],
) -> Roster:
    """Keep the rows of the chamber (and, in a file of several terms, of the latest term)."""
    rows: list[RosterRow] = []
    warnings: list[str] = []
    other_chambers = 0
    for row, row_chamber, area in roster_rows:
        if row is None:
            continue
        if row_chamber and (normalised := chambers.normalise_chamber(row_chamber)) and normalised != chamber:
            other_chambers += 1
            continue
        _place(chamber, area, row)
        rows.append(row)
    if not rows:
        # An empty roster would record every sitting member as having left: refuse it instead.
        elsewhere = f" (its {other_chambers:,} rows are members of another chamber)" if other_chambers else ""
        raise RosterError(
            f"{file_name} lists no members of the {chamber}{elsewhere}: check the file and the chamber chosen."
        )
    if other_chambers:
        warnings.append(f"{other_chambers} rows of other chambers left out.")
    terms = {r.term for r in rows if r.term}
    if len(terms) > 1:
        latest = max(terms, key=_term_order)
        before = len(rows)
        rows = [r for r in rows if r.term in (None, latest)]
        warnings.append(
            f"The file holds several terms: only the latest ({latest}) is used ({before - len(rows)} rows of earlier terms left out)."
        )
    return Roster(
        file_name=file_name,
        sha256=sha256,
        kind=kind,
        chamber=chamber,
        rows=rows,
        as_of=as_of,
        vacant=vacant,
        problems=problems,
        warnings=warnings,
    )


def _term_order(term: str) -> tuple[int, str]:
    digits = re.findall(r"\d+", term)
    return (int(digits[-1]) if digits else -1, term)


def _sha256(path: Path) -> str:
    from crm.importing.reader import sha256_of

    return sha256_of(path)


# --- Entry point --------------------------------------------------------------------------------


def read_roster(path: str | Path, chamber: str | None = None) -> Roster:
    """Read a roster file of any supported shape.

    Args:
        path: the file.
        chamber: the chamber, when the file does not say (or to pick one from a file of several).

    Raises:
        RosterError: not a roster (no name column or field), or the chamber cannot be told.
        FileProblem: the file cannot be read.
    """
    path = Path(path)
    if not path.exists():
        raise FileProblem(f"{path.name}: there is no such file (looked in {path.parent}).")
    if path.suffix.lower() == ".json" or _starts_like_json(path):
        return _read_json(path, chamber)
    return _read_table(path, chamber)


def _starts_like_json(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        raise FileProblem(f"Cannot read {path.name}: {exc.strerror or exc}") from exc
    return head[:1] in (b"{", b"[")


# --- JSON ---------------------------------------------------------------------------------------


def _read_json(path: Path, chamber: str | None) -> Roster:
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise FileProblem(f"{path.name} is too large to be a roster ({path.stat().st_size // 2**20} MB).")
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise FileProblem(f"Cannot read {path.name}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise RosterError(f"{path.name} is not valid JSON ({exc}): save the roster again and retry.") from exc
    digest = _sha256(path)
    if (
        isinstance(data, dict)
        and isinstance(data.get("persons"), list)
        and isinstance(data.get("memberships"), list)
    ):
        return _read_popolo(data, path.name, digest, chamber)
    found = _parliament_members(data)
    if found is not None:
        members, expected = found
        roster = _read_parliament(members, path.name, digest, chamber)
        ids = {m.get("id") for m in members}
        if expected == -1:
            roster.complete = False
            roster.warnings.append(
                f"{path.name} is one member's record, not a list of the House: nobody else is recorded as having left."
            )
        elif expected is not None and expected > len(ids):
            roster.complete = False
            roster.warnings.append(
                f"{path.name} holds {len(ids):,} of the {expected:,} members the Parliament listed (one page of "
                "search results): nobody missing from it is recorded as having left. Save every page into "
                "one file to refresh the whole House."
            )
        return roster
    if isinstance(data, list) and data and all(isinstance(d, dict) for d in data):
        return _read_flat_json(data, path.name, digest, chamber)
    raise RosterError(
        f"{path.name} is not a roster: it is neither EveryPolitician (Popolo) JSON nor the UK Parliament "
        "Members API's JSON, and has no members with names."
    )


def _parliament_members(data: Any) -> tuple[list[dict[str, Any]], int | None] | None:
    """The member objects of a Members API response (a search page, a list of pages, a list of
    items, or one member) and how many the API said there were (``None`` when it did not say)."""
    pages: list[Any] = data if isinstance(data, list) else [data]
    out: list[dict[str, Any]] = []
    totals: set[int] = set()
    singles = 0
    for page in pages:
        if not isinstance(page, dict):
            return None
        items = page.get("items")
        if isinstance(items, list):
            for item in items:
                value = item.get("value") if isinstance(item, dict) else None
                if isinstance(value, dict):
                    out.append(value)
            if isinstance(page.get("totalResults"), int):
                totals.add(page["totalResults"])
        elif isinstance(page.get("value"), dict):
            out.append(page["value"])
            singles += 1
        elif "nameDisplayAs" in page or "nameListAs" in page:
            out.append(page)
            singles += 1
        else:
            return None
    if out and not any("nameDisplayAs" in m or "nameListAs" in m for m in out):
        return None
    if totals:
        return out, max(totals)
    # One member's own record (GET /api/Members/{id}): a member, not a chamber.
    return out, (-1 if singles and not isinstance(data, list) else None)


def _read_parliament(
    members: list[dict[str, Any]], file_name: str, digest: str, chamber: str | None
) -> Roster:
    found: list[tuple[RosterRow | None, str | None, str | None]] = []
    problems: list[tuple[int, str]] = []
    vacant: list[int] = []
    houses: list[str | None] = []
    for number, member in enumerate(members, start=1):
        membership = member.get("latestHouseMembership") or {}
        house = membership.get("house")
        house_name = {1: chambers.COMMONS, 2: chambers.LORDS}.get(house) if isinstance(house, int) else None
        houses.append(house_name)
        display = _text(member.get("nameDisplayAs"))
        list_as = _text(member.get("nameListAs"))
        if is_vacant(display or list_as):
            vacant.append(number)
            found.append((None, None, None))
            continue
        name = display or list_as or ""
        title, first, last = split_name(list_as or name, sort_name=list_as)
        if title is None and (address_as := _text(member.get("nameAddressAs"))):
            title, _f, _l = split_name(address_as)
        try:
            start = parse_roster_date(membership.get("membershipStartDate"))
            end = parse_roster_date(membership.get("membershipEndDate"))
        except ValueError as exc:
            problems.append((number, f"{name}: {exc}"))
            found.append((None, None, None))
            continue
        party = member.get("latestParty") or {}
        row = RosterRow(
            row=number,
            name=name,
            title=title,
            first_name=first,
            last_name=last,
            party=_text(party.get("name")) if isinstance(party, dict) else None,
            start_date=start,
            end_date=end,
        )
        if (member_id := _text(member.get("id"))) is not None:
            row.identifiers[PARLIAMENT] = member_id
        # Peers sit for a peerage ("Life peer"), not a seat.
        area = _text(membership.get("membershipFrom")) if house_name != chambers.LORDS else None
        found.append((row, house_name, area))
    resolved = _resolve_chamber(chamber, houses, file_name)
    return _finish(
        found,
        chamber=resolved,
        file_name=file_name,
        sha256=digest,
        kind="parliament-api",
        as_of=None,
        problems=problems,
        vacant=vacant,
    )


def _read_popolo(data: dict[str, Any], file_name: str, digest: str, chamber: str | None) -> Roster:
    persons = {p.get("id"): p for p in data["persons"] if isinstance(p, dict)}
    orgs = {o.get("id"): o for o in data.get("organizations") or [] if isinstance(o, dict)}
    areas = {a.get("id"): a for a in data.get("areas") or [] if isinstance(a, dict)}
    periods = {
        e.get("id"): e
        for e in data.get("events") or []
        if isinstance(e, dict) and "legislative" in str(e.get("classification", "")).lower()
    }
    legislatures = {
        oid for oid, o in orgs.items() if str(o.get("classification", "")).lower() == "legislature"
    }
    found: list[tuple[RosterRow | None, str | None, str | None]] = []
    problems: list[tuple[int, str]] = []
    vacant: list[int] = []
    chamber_names: list[str | None] = []
    for number, m in enumerate(data["memberships"], start=1):
        if not isinstance(m, dict):
            continue
        org_id = m.get("organization_id")
        if legislatures and org_id not in legislatures:
            continue  # membership of a party or committee, not of the chamber
        person = persons.get(m.get("person_id"))
        org_name = _text((orgs.get(org_id) or {}).get("name"))
        chamber_names.append(org_name)
        if person is None or is_vacant(_text(person.get("name"))):
            vacant.append(number)
            found.append((None, None, None))
            continue
        name = _text(person.get("name")) or ""
        title, first, last = split_name(name, sort_name=_text(person.get("sort_name")))
        given, family = _text(person.get("given_name")), _text(person.get("family_name"))
        if given and family:
            first, last = given, family
        period = periods.get(m.get("legislative_period_id")) or {}
        try:
            start = parse_roster_date(m.get("start_date")) or parse_roster_date(period.get("start_date"))
            end = parse_roster_date(m.get("end_date"))
        except ValueError as exc:
            problems.append((number, f"{name}: {exc}"))
            found.append((None, None, None))
            continue
        row = RosterRow(
            row=number,
            name=name,
            title=title or _text(person.get("honorific_prefix")),
            first_name=first,
            last_name=last,
            email=_email(person.get("email")) or _popolo_email(person),
            party=_text((orgs.get(m.get("on_behalf_of_id")) or {}).get("name")),
            start_date=start,
            end_date=end,
            term=_text(m.get("legislative_period_id")),
        )
        if (pid := _text(person.get("id"))) is not None:
            row.identifiers[EVERYPOLITICIAN] = pid
        for ident in person.get("identifiers") or []:
            if isinstance(ident, dict):
                source = _POPOLO_SCHEMES.get(str(ident.get("scheme", "")).lower())
                value = _text(ident.get("identifier"))
                if source and value:
                    row.identifiers.setdefault(source, value)
        area = _text((areas.get(m.get("area_id")) or {}).get("name"))
        found.append((row, org_name, area))
    if not found:
        raise RosterError(f"{file_name} is not a roster: its Popolo data has no memberships of a chamber.")
    resolved = _resolve_chamber(chamber, chamber_names, file_name)
    return _finish(
        found,
        chamber=resolved,
        file_name=file_name,
        sha256=digest,
        kind="popolo",
        as_of=None,
        problems=problems,
        vacant=vacant,
    )


def _popolo_email(person: Mapping[str, Any]) -> str | None:
    for contact in person.get("contact_details") or []:
        if isinstance(contact, dict) and str(contact.get("type", "")).lower() == "email":
            return _email(contact.get("value"))
    return None


# --- Spreadsheets (EveryPolitician CSV and any list of members) --------------------------------

_EP_REQUIRED = {"id", "name", "group", "area"}


def _heading(h: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", fold(h)).split())


# Headings the importer's mapping does not know, by their folded form.
_START_HEADINGS = {
    "start date",
    "start",
    "elected",
    "date elected",
    "elected on",
    "from",
    "member since",
    "membership start date",
    "start_date",
}
_END_HEADINGS = {
    "end date",
    "end",
    "left",
    "date left",
    "left on",
    "until",
    "to",
    "membership end date",
    "end_date",
}
_ID_HEADINGS = {
    "parliament id": PARLIAMENT,
    "parliament member id": PARLIAMENT,
    "theyworkforyou id": THEYWORKFORYOU,
    "twfy id": THEYWORKFORYOU,
    "mnis id": PARLIAMENT,
    "members api id": PARLIAMENT,
    "wikidata": WIKIDATA,
    "wikidata id": WIKIDATA,
    "everypolitician id": EVERYPOLITICIAN,
}
_MEMBER_HEADINGS = {
    "msp",
    "msps",
    "ms",
    "mp",
    "mps",
    "mla",
    "member",
    "members",
    "member name",
    "name of member",
    "councillor",
    "councillors",
    "representative",
    "elected member",
    "parliamentary name",
    "display name",
}
_CURRENT_HEADINGS = {"is current", "iscurrent", "current", "current member", "is active", "active"}
_FALSE = {"false", "no", "n", "0", "former"}
_REGION_HEADINGS = {"region", "electoral region", "list region", "regional list"}
_AREA_HEADINGS = {"constituency or region", "constituency region", "seat", "area"}


def _read_table(path: Path, chamber: str | None) -> Roster:
    from crm.importing.reader import read_table

    table = read_table(path)
    headers = table.headers
    folded = [_heading(h) for h in headers]
    if set(headers) >= _EP_REQUIRED or set(folded) >= _EP_REQUIRED:
        return _read_everypolitician(table, folded, chamber)
    return _read_members_sheet(table, headers, folded, chamber)


def _cell(values: Sequence[Any], index: int | None) -> Any:
    if index is None or index >= len(values):
        return None
    return values[index]


def _read_everypolitician(table: Any, folded: list[str], chamber: str | None) -> Roster:
    col = {h: i for i, h in reversed(list(enumerate(folded)))}

    def get(values: Sequence[Any], name: str) -> Any:
        return _cell(values, col.get(name))

    found: list[tuple[RosterRow | None, str | None, str | None]] = []
    problems: list[tuple[int, str]] = []
    vacant: list[int] = []
    chamber_names: list[str | None] = []
    for number, values in table.data_rows:
        name = _text(get(values, "name"))
        row_chamber = _text(get(values, "chamber"))
        chamber_names.append(row_chamber)
        if is_vacant(name):
            vacant.append(number)
            found.append((None, None, None))
            continue
        assert name is not None
        try:
            start = parse_roster_date(get(values, "start date"))
            end = parse_roster_date(get(values, "end date"))
        except ValueError as exc:
            problems.append((number, f"{name}: {exc}"))
            found.append((None, None, None))
            continue
        title, first, last = split_name(name, sort_name=_text(get(values, "sort name")))
        row = RosterRow(
            row=number,
            name=name,
            title=title,
            first_name=first,
            last_name=last,
            email=_email(get(values, "email")),
            party=_text(get(values, "group")),
            start_date=start,
            end_date=end,
            term=_text(get(values, "term")),
        )
        if ep_id := _text(get(values, "id")):
            row.identifiers[EVERYPOLITICIAN] = ep_id
        if wikidata := _text(get(values, "wikidata")):
            row.identifiers[WIKIDATA] = wikidata
        found.append((row, row_chamber, _text(get(values, "area"))))
    resolved = _resolve_chamber(chamber, chamber_names, table.file_name)
    return _finish(
        found,
        chamber=resolved,
        file_name=table.file_name,
        sha256=table.sha256,
        kind="everypolitician-csv",
        as_of=None,
        problems=problems,
        vacant=vacant,
    )


def _read_members_sheet(table: Any, headers: list[str], folded: list[str], chamber: str | None) -> Roster:
    from crm.importing.mapping import suggest_mapping, suggest_type

    mapping = suggest_mapping(headers, remembered=False, rows=[r for _, r in table.data_rows[:200]])
    by_field: dict[str, int] = {}
    for index, fname in sorted(mapping.items()):
        by_field.setdefault(fname, index)
    start_col = next((i for i, h in enumerate(folded) if h in _START_HEADINGS), None)
    end_col = next((i for i, h in enumerate(folded) if h in _END_HEADINGS), None)
    id_cols = {i: _ID_HEADINGS[h] for i, h in enumerate(folded) if h in _ID_HEADINGS}
    region_col = next((i for i, h in enumerate(folded) if h in _REGION_HEADINGS), by_field.get("region"))
    area_col = by_field.get("constituency")
    if area_col is None:
        area_col = next((i for i, h in enumerate(folded) if h in _AREA_HEADINGS), None)
    name_fields = {"full_name", "first_name", "last_name"}
    if not name_fields & set(by_field):
        # Lists of members often head their names by the office: "MSP", "Member", "Councillor".
        named = next((i for i, h in enumerate(folded) if h in _MEMBER_HEADINGS and i not in mapping), None)
        if named is not None:
            by_field["full_name"] = named
    if not name_fields & set(by_field):
        shown = ", ".join(headers[:8]) + ("…" if len(headers) > 8 else "")
        raise RosterError(
            f"{table.file_name} is not a roster: no column holds members' names (its headings are {shown}). "
            "Add a Name column, or First name and Last name columns."
        )
    type_hint = suggest_type(headers, table.file_name, table.sheet)
    hinted = chambers.CHAMBER_OF_TYPE.get(type_hint or "")

    found: list[tuple[RosterRow | None, str | None, str | None]] = []
    problems: list[tuple[int, str]] = []
    vacant: list[int] = []
    chamber_names: list[str | None] = [hinted] if hinted else []
    get: Callable[[Sequence[Any], str], Any] = lambda values, f: _cell(values, by_field.get(f))  # noqa: E731
    current_col = next((i for i, h in enumerate(folded) if h in _CURRENT_HEADINGS), None)
    left_out = 0
    for number, values in table.data_rows:
        if not any(v not in (None, "") for v in values):
            continue
        flag = _cell(values, current_col)
        if current_col is not None and (flag is False or fold(str(flag)).strip() in _FALSE):
            left_out += 1  # a former member: absent members are ended anyway
            continue
        full = _text(get(values, "full_name"))
        first, last = _text(get(values, "first_name")), _text(get(values, "last_name"))
        title = _text(get(values, "title"))
        name = full or " ".join(p for p in (first, last) if p)
        if is_vacant(name):
            vacant.append(number)
            found.append((None, None, None))
            continue
        if full and not (first or last):
            split_title, first, last = split_name(full)
            title = title or split_title
        try:
            start = parse_roster_date(_cell(values, start_col))
            end = parse_roster_date(_cell(values, end_col))
        except ValueError as exc:
            problems.append((number, f"{name}: {exc}"))
            found.append((None, None, None))
            continue
        row_chamber = _text(get(values, "chamber"))
        chamber_names.append(row_chamber)
        row = RosterRow(
            row=number,
            name=name,
            title=title,
            first_name=first,
            last_name=last,
            email=_email(get(values, "email")),
            party=_text(get(values, "party")),
            start_date=start,
            end_date=end,
        )
        for index, source in id_cols.items():
            if value := _text(_cell(values, index)):
                row.identifiers[source] = value
        area = _text(_cell(values, area_col))
        region = (
            _text(_cell(values, region_col)) if region_col is not None and region_col != area_col else None
        )
        if region:
            row.region = region
        found.append((row, row_chamber, area))
    resolved = _resolve_chamber(chamber, chamber_names, table.file_name)
    roster = _finish(
        found,
        chamber=resolved,
        file_name=table.file_name,
        sha256=table.sha256,
        kind="spreadsheet",
        as_of=None,
        problems=problems,
        vacant=vacant,
    )
    if left_out:
        roster.warnings.append(f"{left_out:,} rows marked as former members left out.")
    return roster


@dataclass
class _JsonTable:
    """A JSON list of flat objects presented as a table (keys as headings)."""

    file_name: str
    sha256: str
    headers: list[str]
    data_rows: list[tuple[int, list[Any]]]
    sheet: str | None = None


def _read_flat_json(data: list[dict[str, Any]], file_name: str, digest: str, chamber: str | None) -> Roster:
    """A JSON list of members as flat objects (TheyWorkForYou's getMPs and getMSPs, open-data
    exports): read like a spreadsheet whose headings are the keys."""
    headers: list[str] = []
    for item in data[:200]:
        for key in item:
            if key not in headers and not isinstance(item[key], (dict, list)):
                headers.append(str(key))
    rows = [(i, [item.get(h) for h in headers]) for i, item in enumerate(data, start=1)]
    shown = list(headers)
    if {"person_id", "member_id", "name", "party", "constituency"} <= set(headers):
        # TheyWorkForYou's getMPs/getMSPs: its person_id stays the same across elections.
        shown[headers.index("person_id")] = "TheyWorkForYou ID"
    table = _JsonTable(file_name, digest, shown, rows)
    return _read_members_sheet(table, shown, [_heading(h) for h in shown], chamber)


def describe_kind(kind: str) -> str:
    return {
        "everypolitician-csv": "EveryPolitician CSV",
        "popolo": "EveryPolitician Popolo JSON",
        "parliament-api": "UK Parliament Members API JSON",
        "spreadsheet": "spreadsheet of members",
    }.get(kind, kind)


def identifiers_of(rows: Iterable[RosterRow]) -> Mapping[str, set[str]]:
    """Every identifier in the rows, by source."""
    out: dict[str, set[str]] = {}
    for row in rows:
        for source, value in row.identifiers.items():
            out.setdefault(source, set()).add(value)
    return out
