"""One filter describes "which people"; it drives the list, counts, saved views and exports.

All filtering, searching and sorting happen in SQL. :func:`person_ids_select` turns a
:class:`PersonFilter` into a ``SELECT person.id ...``; :func:`count_people`, :func:`person_ids` and
:func:`list_rows` build on it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.orm import Session, aliased

from crm.errors import ValidationError
from crm.models import (
    NATIONS,
    Attendance,
    AttendancePart,
    Consent,
    ElectedRole,
    Event,
    EventPart,
    Membership,
    MembershipGroup,
    MembershipPeriod,
    MergedRecord,
    Network,
    NetworkCohort,
    NetworkGroup,
    Organisation,
    Person,
    PersonTag,
    PersonType,
    Tag,
)
from crm.roster import current
from crm.text import search_tokens


@dataclass
class PersonFilter:
    """Which people. Empty fields do not filter.

    Lists within a field mean "any of", except ``tags``, which means "all of".
    """

    text: str | None = None
    types: list[str] = field(default_factory=list)
    network: str | None = None  # network name
    network_role: str | None = None
    network_status: str | None = None  # default: any status
    # With ``network``: members of this cohort / group of it (names), or people who have left it.
    network_cohort: str | None = None
    network_group: str | None = None
    network_left: bool = False
    tags: list[str] = field(default_factory=list)
    organisation: str | None = None  # organisation name (exact, case-insensitive)
    organisation_id: int | None = None
    sector: str | None = None
    nation: str | None = None
    region: str | None = None
    chamber: str | None = None
    party: str | None = None
    constituency: str | None = None  # matches constituency or region of an elected role
    # Current elected roles and network memberships only (stakeholder types of elected members,
    # chamber, party, constituency, network); False also takes in former members and leavers.
    current_roles_only: bool = True
    has_email: bool | None = None
    has_address: bool | None = None
    can_email: bool | None = None  # True: not do-not-contact and not opted out of email
    can_post: bool | None = None
    do_not_contact: bool | None = None
    consent_purpose: str | None = None  # has a granted, not withdrawn consent for this purpose
    last_contacted_before: dt.date | None = None
    last_contacted_after: dt.date | None = None
    never_contacted: bool | None = None
    in_trash: bool = False
    ids: list[int] | None = None  # an explicit selection
    # Data-quality checks (the dashboard's tiles open the list with one of these set).
    invalid_postcode: bool | None = None  # a UK address whose postcode is not a postcode's shape
    invalid_phone: bool | None = None  # a phone or mobile that is not 10 to 15 digits
    possible_duplicate: bool | None = None  # shares an email, or name and postcode, with someone
    has_consent: bool | None = None  # any consent record at all, granted or withdrawn
    # Due for the retention review, as the Due for review page counts it (crm.privacy.retention),
    # over ``retention_months`` (the period set there; None: the default period).
    retention_review_due: bool | None = None
    retention_months: int | None = None
    # Events (revision 0009): people on an event's list (any status), and people placed at a
    # station, workshop or breakout room of that name (of ``event`` when given, else of any event).
    event: str | None = None  # event name (exact, case-insensitive)
    station: str | None = None  # part name (exact, case-insensitive)
    event_id: int | None = None
    station_id: int | None = None  # one part, by id (the event page's "export who was here")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, dropping empty fields (for saved views)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == f.default or (
                f.default_factory is not dataclasses.MISSING and value == f.default_factory()
            ):
                continue
            out[f.name] = value.isoformat() if isinstance(value, dt.date) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PersonFilter:
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                continue  # a view saved by a newer Kindred: ignore what we do not know
            if key.startswith("last_contacted_") and isinstance(value, str):
                value = dt.date.fromisoformat(value)
            values[key] = value
        return cls(**values)

    def is_empty(self) -> bool:
        return not self.to_dict()

    def describe(self) -> str:
        """A short human description, e.g. for export file properties."""
        parts = [f"{k.replace('_', ' ')}: {v}" for k, v in self.to_dict().items() if k != "ids"]
        if self.ids is not None:
            parts.append(f"{len(self.ids)} selected")
        return "; ".join(parts) or "everyone"


def _ci_equal(column: Any, value: str) -> ColumnElement[bool]:
    return func.lower(column) == value.strip().lower()


def _dash_equal(column: Any, value: str) -> ColumnElement[bool]:
    """Case-insensitive, and an en or em dash matches a hyphen ("KLN 2019–20" typed as "KLN 2019-20")."""
    folded = func.replace(func.replace(func.lower(column), "\u2013", "-"), "\u2014", "-")
    return folded == value.strip().lower().replace("\u2013", "-").replace("\u2014", "-")


def fts_match(tokens: Sequence[str]) -> str:
    """An FTS5 query: every word as a quoted prefix, so nothing typed is read as search syntax."""
    return " ".join(f'"{t}"*' for t in tokens)


def search_condition(session_or_dialect: Session | str, query: str) -> ColumnElement[bool] | None:
    """A WHERE condition finding people by the words of ``query`` (prefix match, accents ignored)."""
    tokens = search_tokens(query)
    if not tokens:
        return None
    dialect = session_or_dialect if isinstance(session_or_dialect, str) else _dialect(session_or_dialect)
    if dialect == "sqlite":
        match = fts_match(tokens)
        return Person.id.in_(
            select(literal_column("rowid"))
            .select_from(text("person_fts"))
            .where(text("person_fts MATCH :q").bindparams(q=match))
        )
    # PostgreSQL (and any other): each word must start a word of the digest.
    conditions = [or_(Person.search_text.like(f"{t}%"), Person.search_text.like(f"% {t}%")) for t in tokens]
    return and_(*conditions)


def _dialect(session: Session) -> str:
    bind = session.get_bind()
    return bind.dialect.name


def person_ids_select(f: PersonFilter, dialect: str) -> Select[Any]:
    """``SELECT person.id FROM person WHERE ...`` for the filter (unsorted)."""
    stmt = select(Person.id)
    conditions: list[ColumnElement[bool]] = []
    conditions.append(Person.deleted_at.is_not(None) if f.in_trash else Person.deleted_at.is_(None))
    if f.in_trash:
        # People merged into others are kept for undo, not in the Trash.
        merged = select(MergedRecord.record_id).where(MergedRecord.entity == "person")
        conditions.append(Person.id.not_in(merged))
    if f.ids is not None:
        # Inline literals: a selection can hold more ids than SQLite allows bound parameters.
        ids: Any = bindparam("selected_ids", [int(i) for i in f.ids], expanding=True, literal_execute=True)
        conditions.append(Person.id.in_(ids) if f.ids else false())
    if f.text and (cond := search_condition(dialect, f.text)) is not None:
        conditions.append(cond)
    # Related-table filters are written as ``person.id IN (SELECT person_id ...)``: SQLite then
    # walks the small side through a (key, person_id) index instead of probing once per person.
    if f.types:
        # MSPs, MSs, MPs and councillors mean current members unless former ones are asked for.
        conditions.append(current.type_condition(f.types, current_only=f.current_roles_only))
    if f.network or f.network_cohort or f.network_group or f.network_left:
        # A cohort, group or "has left" without a network means in any network (the People list's
        # filter panel allows it; the command line asks for --network).
        network_ids = select(Network.id)
        if f.network:
            network_ids = network_ids.where(_ci_equal(Network.name, f.network))
        members = select(Membership.person_id)
        if not f.network_cohort:
            # (A cohort is the network's own: its condition says which network, and SQLite walks the
            # cohort's index only when it is the one IN-subquery on the membership.)
            members = members.where(Membership.network_id.in_(network_ids))
        if f.network_role:
            members = members.where(_ci_equal(Membership.role, f.network_role))
        if f.network_cohort:
            cohorts = select(NetworkCohort.id).where(
                NetworkCohort.network_id.in_(network_ids), _dash_equal(NetworkCohort.name, f.network_cohort)
            )
            if f.network_left or not f.current_roles_only:
                # Former members too: anyone with a period in the cohort, whatever came after.
                members = members.where(
                    Membership.id.in_(
                        select(MembershipPeriod.membership_id).where(MembershipPeriod.cohort_id.in_(cohorts))
                    )
                )
            else:
                members = members.where(Membership.cohort_id.in_(cohorts))
        if f.network_group:
            groups = select(NetworkGroup.id).where(
                NetworkGroup.network_id.in_(network_ids), _dash_equal(NetworkGroup.name, f.network_group)
            )
            members = members.where(
                Membership.id.in_(
                    select(MembershipGroup.membership_id).where(MembershipGroup.group_id.in_(groups))
                )
            )
        if f.network_left:
            # Their latest period has ended: no open period (the membership row is the latest one).
            members = members.where(~current.membership_is_current())
        elif f.network_status:
            members = members.where(_ci_equal(Membership.status, f.network_status))
        elif f.current_roles_only:
            # A network's members are the people whose membership is current, as its page shows.
            members = members.where(current.membership_is_current())
        conditions.append(Person.id.in_(members))
    for tag in f.tags:
        tag_ids = select(Tag.id).where(_ci_equal(Tag.name, tag))
        conditions.append(Person.id.in_(select(PersonTag.person_id).where(PersonTag.tag_id.in_(tag_ids))))
    if f.organisation_id is not None:
        conditions.append(Person.organisation_id == f.organisation_id)
    if f.organisation or f.sector:
        org = select(Organisation.id)
        if f.organisation:
            org = org.where(_ci_equal(Organisation.name, f.organisation))
        if f.sector:
            org = org.where(_ci_equal(Organisation.sector, f.sector))
        conditions.append(Person.organisation_id.in_(org))
    if f.nation:
        canonical = [n for n in NATIONS if n.lower() == f.nation.strip().lower()]
        # Stored nations are canonical (the services see to it), so the index serves this.
        conditions.append(Person.nation == canonical[0] if canonical else _ci_equal(Person.nation, f.nation))
    if f.region:
        conditions.append(_ci_equal(Person.region, f.region))
    if f.chamber or f.party or f.constituency:
        role = select(ElectedRole.person_id)
        if f.current_roles_only:
            role = role.where(current.role_is_current())
        if f.chamber:
            role = role.where(current.chamber_condition(f.chamber))
        if f.party:
            role = role.where(_ci_equal(ElectedRole.party, f.party))
        if f.constituency:
            role = role.where(
                or_(
                    _ci_equal(ElectedRole.constituency, f.constituency),
                    _ci_equal(ElectedRole.region, f.constituency),
                )
            )
        conditions.append(Person.id.in_(role))
    if f.has_email is not None:
        has = and_(Person.email.is_not(None), Person.email != "")
        conditions.append(has if f.has_email else ~has)
    if f.has_address is not None:
        has = has_address_condition()
        conditions.append(has if f.has_address else ~has)
    if f.do_not_contact is not None:
        conditions.append(
            Person.do_not_contact.is_(true()) if f.do_not_contact else Person.do_not_contact.is_(false())
        )
    if f.can_email is not None:
        ok = and_(Person.do_not_contact.is_(false()), Person.email_opt_out.is_(false()))
        conditions.append(ok if f.can_email else ~ok)
    if f.can_post is not None:
        ok = and_(Person.do_not_contact.is_(false()), Person.post_opt_out.is_(false()))
        conditions.append(ok if f.can_post else ~ok)
    if f.consent_purpose:
        consents = select(Consent.person_id).where(
            _ci_equal(Consent.purpose, f.consent_purpose),
            Consent.granted.is_(true()),
            Consent.withdrawn_on.is_(None),
        )
        conditions.append(Person.id.in_(consents))
    if f.last_contacted_before:
        conditions.append(
            or_(Person.last_contacted < f.last_contacted_before, Person.last_contacted.is_(None))
        )
    if f.last_contacted_after:
        conditions.append(Person.last_contacted >= f.last_contacted_after)
    if f.never_contacted is not None:
        conditions.append(
            Person.last_contacted.is_(None) if f.never_contacted else Person.last_contacted.is_not(None)
        )
    conditions.extend(_event_conditions(f))
    conditions.extend(_quality_conditions(f, dialect))
    return stmt.where(*conditions)


def _event_conditions(f: PersonFilter) -> list[ColumnElement[bool]]:
    """On an event's list; placed at a station (of that event, when one is named)."""
    if not (f.event or f.station or f.event_id is not None or f.station_id is not None):
        return []
    events = select(Event.id).where(Event.deleted_at.is_(None))
    if f.event:
        events = events.where(_ci_equal(Event.name, f.event))
    if f.event_id is not None:
        events = events.where(Event.id == f.event_id)
    out: list[ColumnElement[bool]] = []
    if f.station or f.station_id is not None:
        parts = select(EventPart.id).where(EventPart.deleted_at.is_(None), EventPart.event_id.in_(events))
        if f.station:
            parts = parts.where(_ci_equal(EventPart.name, f.station))
        if f.station_id is not None:
            parts = parts.where(EventPart.id == f.station_id)
        out.append(Person.id.in_(select(AttendancePart.person_id).where(AttendancePart.part_id.in_(parts))))
    else:
        out.append(Person.id.in_(select(Attendance.person_id).where(Attendance.event_id.in_(events))))
    return out


# --- Data quality -------------------------------------------------------------------------------
# Cheap SQL checks shared by the People list and the dashboard's counts, so a tile's number is
# exactly the length of the list it opens.

_UK_COUNTRIES = (
    "uk",
    "united kingdom",
    "great britain",
    "gb",
    "england",
    "scotland",
    "wales",
    "northern ireland",
)
# A postcode's shape with the space removed: outward code (A9, A99, A9A, AA9, AA99, AA9A), then 9AA.
_POSTCODE_GLOBS = tuple(
    outward + "[0-9][A-Z][A-Z]"
    for outward in (  # the commonest first
        "[A-Z][A-Z][0-9]",
        "[A-Z][A-Z][0-9][0-9]",
        "[A-Z][0-9]",
        "[A-Z][0-9][0-9]",
        "[A-Z][0-9][A-Z]",
        "[A-Z][A-Z][0-9][A-Z]",
    )
)
_POSTCODE_REGEX = (
    "^(([A-Z][0-9]{1,2}|[A-Z][0-9][A-Z]|[A-Z][A-Z][0-9]{1,2}|[A-Z][A-Z][0-9][A-Z])[0-9][A-Z]{2}|GIR0AA)$"
)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _filled(column: Any) -> ColumnElement[bool]:
    return and_(column.is_not(None), column != "")


def _strip(expr: Any, characters: str) -> Any:
    for ch in characters:
        expr = func.replace(expr, ch, "")
    return expr


def has_address_condition() -> ColumnElement[bool]:
    """A first address line, and a postcode or a town."""
    has = and_(Person.address_line1.is_not(None), Person.address_line1 != "")
    return and_(has, or_(and_(Person.postcode.is_not(None), Person.postcode != ""), Person.town.is_not(None)))


def invalid_postcode_condition(dialect: str) -> ColumnElement[bool]:
    """A UK (or unstated) country with a postcode that is not shaped like a UK postcode."""
    compact = func.upper(_strip(Person.postcode, " \t"))
    if dialect == "sqlite":
        # Kindred stores postcodes as "EH99 1SP": that shape is one GLOB each and settles nearly all;
        # the rest are compared without spaces, in any case.
        stored = [Person.postcode.op("GLOB")(g[:-15] + " " + g[-15:]) for g in _POSTCODE_GLOBS]
        shaped: ColumnElement[bool] = or_(
            *stored, compact == "GIR0AA", *[compact.op("GLOB")(g) for g in _POSTCODE_GLOBS]
        )
    else:
        shaped = compact.op("~")(_POSTCODE_REGEX)
    uk = or_(
        Person.country.is_(None),
        Person.country == "",
        func.lower(func.trim(Person.country)).in_(_UK_COUNTRIES),
    )
    return and_(_filled(Person.postcode), uk, ~shaped)


# The shapes Kindred stores UK numbers in (``normalise_phone``): checked first, one GLOB each, so
# the costlier digit count runs only for the rest. SQLite stops at the first shape that fits.
_PHONE_SHAPES = ("0### ### ####", "0## #### ####", "0#### ######", "0#### #####", "0### ### ###")


def _bad_number(column: Any, dialect: str) -> ColumnElement[bool]:
    if dialect != "sqlite":
        digits = func.regexp_replace(column, "[ ()+.-]", "", "g")
        return and_(
            _filled(column), or_(digits.op("~")("[^0-9]"), func.length(digits) < 10, func.length(digits) > 15)
        )
    canonical = or_(*[column.op("GLOB")(shape.replace("#", "[0-9]")) for shape in _PHONE_SHAPES])
    digits = _strip(column, " -()+.")
    return and_(
        _filled(column),
        ~canonical,
        or_(column.op("GLOB")("*[^0-9 ()+.-]*"), func.length(digits) < 10, func.length(digits) > 15),
    )


def invalid_phone_condition(dialect: str = "sqlite") -> ColumnElement[bool]:
    """A phone or mobile that, without spaces and punctuation, is not 10 to 15 digits."""
    return or_(_bad_number(Person.phone, dialect), _bad_number(Person.mobile, dialect))


def possible_duplicate_condition() -> ColumnElement[bool]:
    """Shares an email address, or a name and postcode, with someone else not in the Trash.

    A quick proxy, not the duplicate finder's fuzzy matching. Emails are compared as stored (Kindred
    stores them in lower case); names by their folded sort key, so "Seán" and "Sean" are the same.
    Both groupings read the partial indexes of revision 0008 instead of the table.
    """
    # Another person: an alias, or SQLAlchemy would correlate the subqueries to the outer person.
    other = aliased(Person)
    live = other.deleted_at.is_(None)
    shared_emails = (
        select(other.email)
        .where(live, other.email.is_not(None))
        .group_by(other.email)
        .having(func.count() > 1)
    )
    shared_names = (
        select(other.sort_name, other.postcode)
        .where(live, other.postcode.is_not(None))
        .group_by(other.sort_name, other.postcode)
        .having(func.count() > 1)
    )
    return or_(
        and_(_filled(Person.email), Person.email.in_(shared_emails)),
        and_(
            _filled(Person.sort_name),
            _filled(Person.postcode),
            tuple_(Person.sort_name, Person.postcode).in_(shared_names),
        ),
    )


def has_consent_condition() -> ColumnElement[bool]:
    return Person.id.in_(select(Consent.person_id))


def retention_review_condition(
    months: int | None = None, today: dt.date | None = None
) -> ColumnElement[bool]:
    """Due for the retention review over ``months`` (None: the default period): the review's own
    condition (:func:`crm.privacy.retention.due_condition`), so the list shows who the review shows."""
    # Imported here: the privacy package's modules import the services, which import this module.
    from crm.privacy.retention import cutoff_for, due_condition
    from crm.privacy.settings import DEFAULT_RETENTION_MONTHS

    return due_condition(cutoff_for(months or DEFAULT_RETENTION_MONTHS, today))


def _quality_conditions(f: PersonFilter, dialect: str) -> list[ColumnElement[bool]]:
    checks: list[tuple[bool | None, ColumnElement[bool]]] = []
    if f.invalid_postcode is not None:
        checks.append((f.invalid_postcode, invalid_postcode_condition(dialect)))
    if f.invalid_phone is not None:
        checks.append((f.invalid_phone, invalid_phone_condition(dialect)))
    if f.possible_duplicate is not None:
        checks.append((f.possible_duplicate, possible_duplicate_condition()))
    if f.has_consent is not None:
        checks.append((f.has_consent, has_consent_condition()))
    if f.retention_review_due is not None:
        checks.append((f.retention_review_due, retention_review_condition(f.retention_months)))
    # "Not X" must also hold where X's columns are empty (NULL would make ~X unknown, not true).
    return [cond if wanted else ~func.coalesce(cond, false()) for wanted, cond in checks]


# Columns the people list can show and sort by: key → (label, SQL expression).
def _org_name() -> Any:
    return (
        select(Organisation.name)
        .where(Organisation.id == Person.organisation_id)
        .correlate(Person)
        .scalar_subquery()
    )


def _types_text() -> Any:
    return (
        select(func.min(PersonType.type))
        .where(PersonType.person_id == Person.id)
        .correlate(Person)
        .scalar_subquery()
    )


def list_columns() -> dict[str, tuple[str, Any]]:
    return {
        "name": ("Name", func.coalesce(Person.last_name, "") + ", " + func.coalesce(Person.first_name, "")),
        "first_name": ("First name", Person.first_name),
        "last_name": ("Last name", Person.last_name),
        "title": ("Title", Person.title),
        "job_title": ("Job title", Person.job_title),
        "organisation": ("Organisation", _org_name()),
        "email": ("Email", Person.email),
        "phone": ("Phone", Person.phone),
        "mobile": ("Mobile", Person.mobile),
        "town": ("Town", Person.town),
        "postcode": ("Postcode", Person.postcode),
        "nation": ("Nation", Person.nation),
        "region": ("Region", Person.region),
        "type": ("Type", _types_text()),
        "last_contacted": ("Last contacted", Person.last_contacted),
        "source": ("Source", Person.source),
        "created_at": ("Added", Person.created_at),
        "updated_at": ("Updated", Person.updated_at),
    }


SORT_KEYS = frozenset(list_columns())


@functools.cache
def _sort_columns() -> dict[str, tuple[str, Any]]:
    """:func:`list_columns` built once: its expressions are immutable and every sort reuses them."""
    return list_columns()


def _display_columns() -> dict[str, tuple[str, Any]]:
    """As :func:`list_columns`, but the Type column says "former_msp" for a former MSP (sorting
    keeps the plain type, which the index serves)."""
    return _display_columns_on(dt.date.today())


@functools.lru_cache(maxsize=2)
def _display_columns_on(today: dt.date) -> dict[str, tuple[str, Any]]:
    """The display columns as of ``today``, built once a day: the Type expression has a CASE over
    every elected chamber and took milliseconds to build on every page of the list, but it holds
    today's date (a role ending today is a former one tomorrow), so a new day builds it anew.
    Callers only read the mapping."""
    columns = list_columns()
    columns["type"] = (columns["type"][0], current.type_display_expression(today))
    return columns


def _order_by(sort: str, descending: bool) -> list[Any]:
    if sort == "name":
        # Exactly the sort index's columns, so SQLite reads people in order from the index.
        cols: list[Any] = [Person.sort_name, Person.id]
        return [c.desc() if descending else c.asc() for c in cols]
    columns = _sort_columns()
    if sort not in columns:
        raise ValidationError(f"Cannot sort by {sort!r}.")
    col = columns[sort][1]
    # Empty values last either way, then a stable tiebreak.
    return [
        col.is_(None),
        col.desc() if descending else col.asc(),
        Person.id.desc() if descending else Person.id.asc(),
    ]


def count_people(session: Session, f: PersonFilter) -> int:
    inner = person_ids_select(f, _dialect(session)).subquery()
    return session.execute(select(func.count()).select_from(inner)).scalar_one()


def person_ids(
    session: Session,
    f: PersonFilter,
    sort: str = "name",
    descending: bool = False,
    ranked: bool = True,
    limit: int | None = None,
) -> list[int]:
    """All matching ids in display order. With a search text on SQLite and ``ranked``, best matches first.

    ``limit`` returns only the first ids (the first screen of a list, while the rest loads).
    """
    dialect = _dialect(session)
    stmt = person_ids_select(f, dialect)
    if ranked and f.text and dialect == "sqlite" and search_tokens(f.text) and sort == "rank":
        match = fts_match(search_tokens(f.text))
        ranked_ids = (
            select(literal_column("rowid").label("rid"), literal_column("rank").label("r"))
            .select_from(text("person_fts"))
            .where(text("person_fts MATCH :rq").bindparams(rq=match))
            .subquery()
        )
        stmt = stmt.join(ranked_ids, ranked_ids.c.rid == Person.id).order_by(ranked_ids.c.r, Person.id)
    else:
        stmt = stmt.order_by(*_order_by("name" if sort == "rank" else sort, descending))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def list_rows(session: Session, ids: Sequence[int], columns: Sequence[str]) -> dict[int, tuple[Any, ...]]:
    """Display values of ``columns`` for the given people, keyed by id (order of ``ids`` not kept)."""
    if not ids:
        return {}
    available = _display_columns()
    exprs = [available[c][1].label(c) for c in columns]
    rows = session.execute(select(Person.id, *exprs).where(Person.id.in_(list(ids)))).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def page(
    session: Session,
    f: PersonFilter,
    columns: Sequence[str],
    *,
    sort: str = "name",
    descending: bool = False,
    offset: int = 0,
    limit: int = 100,
) -> list[tuple[Any, ...]]:
    """One page of rows ``(id, *columns)`` in display order: the search-page query of the benchmarks.

    The page's ids are chosen first (filter, sort, limit); display columns such as the
    organisation's name are then computed for those rows only.
    """
    available = _display_columns()
    order = _order_by(sort if sort != "rank" else "name", descending)
    chosen = person_ids_select(f, _dialect(session)).order_by(*order).offset(offset).limit(limit).subquery()
    stmt = (
        select(Person.id, *[available[c][1].label(c) for c in columns])
        .join(chosen, chosen.c.id == Person.id)
        .order_by(*order)
    )
    return [tuple(r) for r in session.execute(stmt).all()]


# A short search matches much of a large list (one letter: half of it), and ranking or sorting all
# of its matches before showing any takes longer than a keystroke. The first screen is taken
# straight from the search index instead (no ranking, no sort over every match); the whole list,
# in its proper order, and its count follow in the background.
FIRST_SCREEN_SCAN = 1_000


def first_screen_ids(
    session: Session, f: PersonFilter, sort: str = "name", descending: bool = False, limit: int = 200
) -> list[int]:
    """Up to ``limit`` matching ids to show at once, in name order among themselves.

    For a search on SQLite, by its text alone and with no column chosen to sort by, they come from
    an index-only query of the search index; otherwise this is :func:`person_ids` with ``limit``.
    Fewer than ``limit`` ids means there are no more.
    """
    tokens = search_tokens(f.text) if f.text else []
    text_only = dataclasses.replace(f, text=None)
    if not tokens or sort != "rank" or _dialect(session) != "sqlite" or not text_only.is_empty():
        return person_ids(session, f, sort=sort, descending=descending, limit=limit)
    hits: list[int] = list(
        session.scalars(
            select(literal_column("rowid"))
            .select_from(text("person_fts"))
            .where(text("person_fts MATCH :q").bindparams(q=fts_match(tokens)))
            .limit(FIRST_SCREEN_SCAN)
        )
    )
    stmt = (
        person_ids_select(text_only, "sqlite")
        .where(Person.id.in_(hits))
        .order_by(*_order_by("name", False))
        .limit(limit)
    )
    ids = list(session.scalars(stmt))
    if len(ids) < limit and len(hits) == FIRST_SCREEN_SCAN:
        # Many matches were in the Trash: there may be more; ask the slow way.
        return person_ids(session, f, sort=sort, descending=descending, limit=limit)
    return ids
