"""Contact points: any number of labelled emails, phones, mobiles and postal addresses.

Every channel of a person or an organisation is a :class:`~crm.models.ContactPoint`; one of each
kind is preferred, and the owner's own columns (``Person.email``, ``phone``, ``mobile``,
``address_*``; the organisation's ``email``, ``phone`` and address) mirror it, so lists, filters,
exports, reports and the dashboard read one column. The two directions are kept in step here:

- the channel editors (:func:`add_channel`, :func:`update_channel`, :func:`remove_channel`,
  :func:`make_preferred`) change contact points and then write the preferred ones to the owner;
- code that writes the owner's columns (the person form, imports and their undo, roster refreshes,
  merges) then calls :func:`sync_people` / :func:`sync_organisations`, which make the preferred
  contact points agree with the columns (an emptied column removes its preferred contact point and
  the next one of that kind takes its place).

Like every service, these take the caller's session and leave committing to the caller.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Executable, func, insert, literal, or_, select, true, update
from sqlalchemy.orm import Session

from crm import audit, versions
from crm.errors import NotFoundError, ValidationError
from crm.models import (
    ADDRESS_PARTS,
    ChannelKind,
    ContactPoint,
    Organisation,
    Person,
    table_of,
    utcnow,
)
from crm.text import clean_text
from crm.util import chunked
from crm.validation import check_length, normalise_email, normalise_phone, normalise_postcode

KINDS: tuple[str, ...] = tuple(k.value for k in ChannelKind)
_VALUE_KINDS = ("email", "phone", "mobile")
# The owner's columns mirroring each kind's preferred contact point. An organisation has no mobile
# and two address lines (a third line is joined to the second).
_PERSON_MIRROR: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "phone": ("phone",),
    "mobile": ("mobile",),
    "address": ADDRESS_PARTS,
}
_ORG_ADDRESS = ("address_line1", "address_line2", "town", "postcode", "country")
_ORG_MIRROR: dict[str, tuple[str, ...]] = {"email": ("email",), "phone": ("phone",), "address": _ORG_ADDRESS}
PERSON_MIRROR_FIELDS = frozenset(c for cols in _PERSON_MIRROR.values() for c in cols)
ORGANISATION_MIRROR_FIELDS = frozenset(c for cols in _ORG_MIRROR.values() for c in cols)
_LENGTHS: dict[str, int] = {
    c.name: c.type.length  # type: ignore[attr-defined]
    for c in ContactPoint.__table__.columns
    if getattr(c.type, "length", None)
}


@dataclass(frozen=True)
class Channel:
    """One contact point as screens and exports show it."""

    id: int
    kind: str
    label: str | None
    value: str | None
    address: dict[str, str | None]
    preferred: bool

    @property
    def text(self) -> str:
        """The value, or the address on one line."""
        if self.kind != "address":
            return self.value or ""
        return ", ".join(v for v in self.address.values() if v)

    @property
    def kind_label(self) -> str:
        return ChannelKind(self.kind).label


def _channel(cp: ContactPoint) -> Channel:
    return Channel(
        cp.id,
        cp.kind,
        cp.label,
        cp.value,
        {p: getattr(cp, p) for p in ADDRESS_PARTS},
        bool(cp.preferred),
    )


def clean_label(label: str | None) -> str | None:
    """A label as typed, tidied: "constituency office" stays as typed but trimmed; blank is None."""
    text = clean_text(label)
    if text is not None:
        check_length("label", text, _LENGTHS["label"])
    return text


def clean_channel(
    kind: str, value: str | None = None, address: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The columns of a contact point of ``kind``, validated. Raises ValidationError naming the field."""
    if kind not in KINDS:
        raise ValidationError(f"{kind!r} is not a kind of contact ({', '.join(KINDS)}).", "kind")
    out: dict[str, Any] = {"value": None, **dict.fromkeys(ADDRESS_PARTS)}
    if kind == "address":
        for part, raw in (address or {}).items():
            if part not in ADDRESS_PARTS:
                raise ValidationError(f"Unknown address field {part!r}.", part)
            text = clean_text(raw)
            if text is not None and part == "postcode":
                text = normalise_postcode(text, strict=False)
            if text is not None:
                check_length(part, text, _LENGTHS[part])
            out[part] = text
        if not any(out[p] for p in ADDRESS_PARTS):
            raise ValidationError(
                "An address needs at least one line, a town or a postcode.", "address_line1"
            )
        return out
    text = clean_text(value)
    if text is None:
        raise ValidationError(f"Enter the {ChannelKind(kind).label.lower()}.", "value")
    if kind == "email":
        text = normalise_email(text)
    else:
        try:
            text = normalise_phone(text)
        except ValidationError as exc:
            raise ValidationError(str(exc), "value") from exc
    check_length("value", text or "", _LENGTHS["value"])
    out["value"] = text
    return out


# --- Reading ------------------------------------------------------------------------------------


def list_channels(
    session: Session, *, person_id: int | None = None, organisation_id: int | None = None
) -> list[Channel]:
    """An owner's contact points: by kind (email, phone, mobile, address), preferred first."""
    order = {k: i for i, k in enumerate(KINDS)}
    points = session.scalars(select(ContactPoint).where(_owner_clause(person_id, organisation_id))).all()
    return [
        _channel(cp) for cp in sorted(points, key=lambda cp: (order.get(cp.kind, 9), not cp.preferred, cp.id))
    ]


def address_for(session: Session, person_ids: Sequence[int], label: str) -> dict[int, dict[str, str | None]]:
    """Each person's postal address with this label (case ignored; the preferred one of several),
    for people who have one."""
    wanted = label.strip().lower()
    out: dict[int, dict[str, str | None]] = {}
    for part in chunked(list(person_ids)):
        rows = session.execute(
            select(ContactPoint.person_id, *(getattr(ContactPoint, p) for p in ADDRESS_PARTS))
            .where(
                ContactPoint.person_id.in_(part),
                ContactPoint.kind == "address",
                func.lower(ContactPoint.label) == wanted,
            )
            .order_by(ContactPoint.preferred.desc(), ContactPoint.id)
        ).all()
        for row in rows:
            if row[0] not in out:
                out[row[0]] = dict(zip(ADDRESS_PARTS, row[1:], strict=True))
    return out


def address_labels(session: Session) -> list[str]:
    """The labels postal addresses of people carry, for choosing one for a mail merge."""
    rows = session.scalars(
        select(ContactPoint.label)
        .where(
            ContactPoint.kind == "address",
            ContactPoint.person_id.is_not(None),
            ContactPoint.label.is_not(None),
        )
        .distinct()
    ).all()
    seen: dict[str, str] = {}
    for label in rows:
        if label:
            seen.setdefault(label.lower(), label)
    return sorted(seen.values(), key=str.lower)


def people_by_email(
    session: Session, emails: Iterable[str], *, include_trash: bool = False
) -> dict[str, set[int]]:
    """Lower-cased email → the people having it as any of their emails."""
    wanted = sorted({e.strip().lower() for e in emails if e and e.strip()})
    out: dict[str, set[int]] = defaultdict(set)
    for part in chunked(wanted):
        stmt = (
            select(func.lower(ContactPoint.value), ContactPoint.person_id)
            .join(Person, Person.id == ContactPoint.person_id)
            .where(ContactPoint.kind == "email", func.lower(ContactPoint.value).in_(part))
        )
        if not include_trash:
            stmt = stmt.where(Person.deleted_at.is_(None))
        for email, pid in session.execute(stmt):
            if pid is not None:
                out[email].add(pid)
    return dict(out)


def emails_of(
    session: Session, person_ids: Sequence[int], *, preferred: bool | None = None
) -> dict[int, list[str]]:
    """Each person's email addresses, preferred first (``preferred`` False: only the others)."""
    out: dict[int, list[str]] = defaultdict(list)
    for part in chunked(list(person_ids)):
        stmt = select(ContactPoint.person_id, ContactPoint.value).where(
            ContactPoint.person_id.in_(part), ContactPoint.kind == "email"
        )
        if preferred is not None:
            stmt = stmt.where(ContactPoint.preferred == preferred)
        for pid, value in session.execute(stmt.order_by(ContactPoint.preferred.desc(), ContactPoint.id)):
            if value and pid is not None:
                out[pid].append(value)
    return dict(out)


def search_parts(session: Session, person_ids: Sequence[int]) -> dict[int, list[str]]:
    """What a person is found by beyond their own columns: every contact point that is not the
    preferred one of its kind (those are in the person's columns), numbers also without spaces."""
    out: dict[int, list[str]] = defaultdict(list)
    cols = (ContactPoint.value, ContactPoint.address_line1, ContactPoint.town, ContactPoint.postcode)
    for part in chunked(list(person_ids)):
        rows = session.execute(
            select(ContactPoint.person_id, ContactPoint.kind, *cols)
            .where(ContactPoint.person_id.in_(part), ContactPoint.preferred.is_(False))
            .order_by(ContactPoint.id)
        ).all()
        for pid, kind, value, line1, town, postcode in rows:
            if pid is None:
                continue
            out[pid].extend(p for p in (value, line1, town, postcode) if p)
            if kind in ("phone", "mobile") and value and " " in value:
                out[pid].append(value.replace(" ", ""))
    return dict(out)


# --- Editing (the channel editors) --------------------------------------------------------------


def _owner_clause(person_id: int | None, organisation_id: int | None) -> ColumnElement[bool]:
    if (person_id is None) == (organisation_id is None):
        raise ValueError("A contact point belongs to a person or to an organisation.")
    if person_id is not None:
        return ContactPoint.person_id == person_id
    return ContactPoint.organisation_id == organisation_id


def _owner(session: Session, person_id: int | None, organisation_id: int | None) -> Person | Organisation:
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFoundError(f"There is no person with id {person_id}.")
        return person
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFoundError(f"There is no organisation with id {organisation_id}.")
    return org


def _describe(kind: str, label: str | None, columns: Mapping[str, Any]) -> str:
    text = columns.get("value") or ", ".join(str(columns[p]) for p in ADDRESS_PARTS if columns.get(p))
    return f"{text} ({label})" if label else text


def add_channel(
    session: Session,
    *,
    kind: str,
    person_id: int | None = None,
    organisation_id: int | None = None,
    value: str | None = None,
    address: Mapping[str, Any] | None = None,
    label: str | None = None,
    preferred: bool = False,
    expected_version: int | None = None,
) -> int:
    """Add a contact point; the first of its kind, or one asked for, becomes the preferred one.
    Returns its id."""
    owner = _owner(session, person_id, organisation_id)
    if organisation_id is not None and kind == "mobile":
        raise ValidationError("An organisation has no mobile; add it as a phone.", "kind")
    columns = clean_channel(kind, value, address)
    label = clean_label(label)
    _claim(session, owner, expected_version)
    points = _points(session, person_id, organisation_id, kind)
    key = channel_key(kind, columns)
    if any(channel_key(kind, _columns(cp)) == key for cp in points):
        raise ValidationError(
            f"{owner_name(owner)} already has this {ChannelKind(kind).label.lower()}.", "value"
        )
    make_first = preferred or not any(cp.preferred for cp in points)
    if make_first:
        for cp in points:
            cp.preferred = False
    cp = ContactPoint(
        person_id=person_id,
        organisation_id=organisation_id,
        kind=kind,
        label=label,
        preferred=make_first,
        **columns,
    )
    session.add(cp)
    session.flush()
    audit.record(session, "add", _entity(owner), owner.id, kind, None, _describe(kind, label, columns))
    _write_mirror(session, owner)
    return cp.id


def update_channel(
    session: Session,
    channel_id: int,
    *,
    value: str | None = None,
    address: Mapping[str, Any] | None = None,
    label: str | None = None,
    expected_version: int | None = None,
) -> None:
    """Change a contact point's value or address and its label."""
    cp = _get(session, channel_id)
    owner = _owner(session, cp.person_id, cp.organisation_id)
    columns = clean_channel(cp.kind, value, address)
    label = clean_label(label)
    before = _describe(cp.kind, cp.label, _columns(cp))
    after = _describe(cp.kind, label, columns)
    if before == after:
        return
    key = channel_key(cp.kind, columns)
    others = [o for o in _points(session, cp.person_id, cp.organisation_id, cp.kind) if o.id != cp.id]
    if any(channel_key(cp.kind, _columns(o)) == key for o in others):
        raise ValidationError(
            f"{owner_name(owner)} already has this {ChannelKind(cp.kind).label.lower()}.", "value"
        )
    _claim(session, owner, expected_version)
    for name, new in columns.items():
        setattr(cp, name, new)
    cp.label = label
    cp.updated_at = utcnow()
    session.flush()
    audit.record(session, "update", _entity(owner), owner.id, cp.kind, before, after)
    _write_mirror(session, owner)


def remove_channel(session: Session, channel_id: int, *, expected_version: int | None = None) -> None:
    """Remove a contact point; when it was the preferred one, the next of its kind takes its place.

    The removal is in the record's history (old value) like any field change."""
    cp = _get(session, channel_id)
    owner = _owner(session, cp.person_id, cp.organisation_id)
    _claim(session, owner, expected_version)
    was_preferred = cp.preferred
    kind = cp.kind
    text = _describe(kind, cp.label, _columns(cp))
    session.delete(cp)
    session.flush()
    if was_preferred:
        rest = _points(session, cp.person_id, cp.organisation_id, kind)
        if rest:
            rest[0].preferred = True
            session.flush()
    audit.record(session, "remove", _entity(owner), owner.id, kind, text, None)
    _write_mirror(session, owner)


def make_preferred(session: Session, channel_id: int, *, expected_version: int | None = None) -> None:
    """Make a contact point the preferred one of its kind (the one lists, letters and exports use)."""
    cp = _get(session, channel_id)
    if cp.preferred:
        return
    owner = _owner(session, cp.person_id, cp.organisation_id)
    _claim(session, owner, expected_version)
    for other in _points(session, cp.person_id, cp.organisation_id, cp.kind):
        other.preferred = other.id == cp.id
    session.flush()
    audit.record(
        session,
        "update",
        _entity(owner),
        owner.id,
        f"preferred {cp.kind}",
        None,
        _describe(cp.kind, cp.label, _columns(cp)),
    )
    _write_mirror(session, owner)


def owner_name(owner: Person | Organisation) -> str:
    return owner.display_name if isinstance(owner, Person) else owner.name


def _entity(owner: Person | Organisation) -> str:
    return "person" if isinstance(owner, Person) else "organisation"


def _claim(session: Session, owner: Person | Organisation, expected: int | None) -> None:
    model = type(owner)
    versions.claim(session, model, owner.id, expected, entity=_entity(owner), name=owner_name(owner))


def _get(session: Session, channel_id: int) -> ContactPoint:
    cp = session.get(ContactPoint, channel_id)
    if cp is None:
        raise NotFoundError(f"There is no contact point with id {channel_id}.")
    return cp


def _points(
    session: Session, person_id: int | None, organisation_id: int | None, kind: str
) -> list[ContactPoint]:
    return list(
        session.scalars(
            select(ContactPoint)
            .where(_owner_clause(person_id, organisation_id), ContactPoint.kind == kind)
            .order_by(ContactPoint.preferred.desc(), ContactPoint.id)
        )
    )


def _columns(cp: ContactPoint) -> dict[str, Any]:
    return {"value": cp.value, **{p: getattr(cp, p) for p in ADDRESS_PARTS}}


def channel_key(kind: str, columns: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes two contact points of a kind the same (case and spacing ignored)."""
    if kind == "address":
        return tuple((str(columns.get(p) or "")).lower().replace(" ", "") for p in ADDRESS_PARTS)
    return ((str(columns.get("value") or "")).lower().replace(" ", ""),)


def mirror_values(kind: str, columns: Mapping[str, Any] | None, *, organisation: bool) -> dict[str, Any]:
    """The owner's mirror columns for a preferred contact point (or blanks for none)."""
    names = _ORG_MIRROR[kind] if organisation else _PERSON_MIRROR[kind]
    if columns is None:
        return dict.fromkeys(names)
    if kind != "address":
        return {names[0]: columns.get("value")}
    if not organisation:
        return {p: columns.get(p) for p in ADDRESS_PARTS}
    line2 = (
        ", ".join(str(v) for v in (columns.get("address_line2"), columns.get("address_line3")) if v) or None
    )
    return {
        "address_line1": columns.get("address_line1"),
        "address_line2": line2,
        "town": columns.get("town"),
        "postcode": columns.get("postcode"),
        "country": columns.get("country"),
    }


def _write_mirror(session: Session, owner: Person | Organisation) -> None:
    """Write the preferred contact points into the owner's columns (the channel editors' direction)."""
    is_org = isinstance(owner, Organisation)
    mirror = _ORG_MIRROR if is_org else _PERSON_MIRROR
    preferred = {
        cp.kind: _columns(cp)
        for cp in session.scalars(
            select(ContactPoint).where(
                ContactPoint.organisation_id == owner.id if is_org else ContactPoint.person_id == owner.id,
                ContactPoint.preferred.is_(True),
            )
        )
    }
    changed = False
    for kind in mirror:
        for name, new in mirror_values(kind, preferred.get(kind), organisation=is_org).items():
            if getattr(owner, name) != new:
                setattr(owner, name, new)
                changed = True
    if not changed and isinstance(owner, Organisation):
        return
    owner.updated_at = utcnow()
    if isinstance(owner, Person):
        from crm.services.people import _sync_suppression, refresh_search_text

        if not any(getattr(owner, k) for k in ("first_name", "last_name", "email", "preferred_name")):
            raise ValidationError("A person needs at least a name or an email address.", "value")
        refresh_search_text(session, owner)
        _sync_suppression(session, owner)
    session.flush()


# --- Keeping contact points in step with the owner's columns ------------------------------------


def insert_for_new_people(
    session: Session, person_ids: Sequence[int], *, batch_id: int | None = None
) -> None:
    """Give people just inserted in bulk (who have no contact points yet) their preferred contact
    points from their columns: set-based ``INSERT … SELECT``, a few statements per chunk."""
    for part in chunked(list(person_ids), 20_000):
        if not part:
            continue
        low, high = min(part), max(part)
        ids = Person.id.between(low, high) if high - low + 1 == len(part) else Person.id.in_(part)
        _insert_from(session, ids, batch_id)


def insert_for_import(session: Session, batch_id: int) -> None:
    """Like :func:`insert_for_new_people`, for the people an import created (by its batch)."""
    _insert_from(session, Person.import_batch_id == batch_id, batch_id, only_missing=True)


def _insert_from(
    session: Session, where: ColumnElement[bool], batch_id: int | None, *, only_missing: bool = False
) -> None:
    for statement in _insert_statements(where, batch_id, only_missing=only_missing):
        session.execute(statement)


def insert_for_id_range(low: int, high: int, batch_id: int | None) -> list[Executable]:
    """The statements that give people ``low``…``high`` (ids; just inserted, so without contact
    points yet) their preferred contact points from their columns. A bulk writer runs them on its
    helper thread, straight after the people, while the caller builds its next rows."""
    return _insert_statements(Person.id.between(low, high), batch_id)


def _insert_statements(
    where: ColumnElement[bool], batch_id: int | None, *, only_missing: bool = False
) -> list[Executable]:
    table = table_of(ContactPoint)
    now = utcnow()
    common = {
        "label": literal(None, ContactPoint.label.type),
        "preferred": true(),
        "import_batch_id": literal(batch_id, ContactPoint.import_batch_id.type),
        "created_at": literal(now, ContactPoint.created_at.type),
        "updated_at": literal(now, ContactPoint.updated_at.type),
    }

    def missing(kind: str) -> ColumnElement[bool]:
        if not only_missing:
            return true()
        return (
            ~select(ContactPoint.id)
            .where(ContactPoint.person_id == Person.id, ContactPoint.kind == kind)
            .exists()
        )

    statements: list[Executable] = []
    for kind in _VALUE_KINDS:
        column = getattr(Person, kind)
        sel = select(Person.id, literal(kind), column, *common.values()).where(
            where, column.is_not(None), column != "", missing(kind)
        )
        statements.append(insert(table).from_select(["person_id", "kind", "value", *common], sel))
    parts = [getattr(Person, p) for p in ADDRESS_PARTS]
    sel = select(Person.id, literal("address"), *parts, *common.values()).where(
        where, or_(*(p.is_not(None) for p in parts)), missing("address")
    )
    statements.append(insert(table).from_select(["person_id", "kind", *ADDRESS_PARTS, *common], sel))
    return statements


def sync_people(session: Session, person_ids: Sequence[int], *, batch_id: int | None = None) -> list[int]:
    """Make these people's preferred contact points agree with their columns, after the columns
    were written directly (form, import, undo, roster refresh, merge). Returns the people whose
    columns changed in turn (an emptied preferred one replaced by the next of its kind)."""
    return _sync(session, Person, _PERSON_MIRROR, person_ids, batch_id)


def sync_organisations(session: Session, organisation_ids: Sequence[int]) -> list[int]:
    """:func:`sync_people` for organisations."""
    return _sync(session, Organisation, _ORG_MIRROR, organisation_ids, None)


def _sync(
    session: Session,
    model: type[Person] | type[Organisation],
    mirror: Mapping[str, tuple[str, ...]],
    owner_ids: Sequence[int],
    batch_id: int | None,
) -> list[int]:
    is_org = model is Organisation
    fk = ContactPoint.organisation_id if is_org else ContactPoint.person_id
    fk_name = "organisation_id" if is_org else "person_id"
    names = [c for cols in mirror.values() for c in cols]
    promoted: list[int] = []
    session.flush()
    for part in chunked(sorted(set(owner_ids))):
        owners = {
            row[0]: dict(zip(names, row[1:], strict=True))
            for row in session.execute(
                select(model.id, *(getattr(model, n) for n in names)).where(model.id.in_(part))
            )
        }
        points: dict[tuple[int, str], list[ContactPoint]] = defaultdict(list)
        for cp in session.scalars(
            select(ContactPoint).where(fk.in_(part)).order_by(ContactPoint.preferred.desc(), ContactPoint.id)
        ):
            points[(getattr(cp, fk_name), cp.kind)].append(cp)
        inserts: list[dict[str, Any]] = []
        owner_updates: list[dict[str, Any]] = []
        now = utcnow()
        for oid, values in owners.items():
            owner_changes: dict[str, Any] = {}
            for kind, cols in mirror.items():
                have = points.get((oid, kind), [])
                pref = next((cp for cp in have if cp.preferred), None)
                wanted = {c: (values[c] if values[c] != "" else None) for c in cols}
                if not any(wanted.values()):
                    if pref is None:
                        if have:  # further ones but no preferred: the first takes the place
                            have[0].preferred = True
                            owner_changes.update(mirror_values(kind, _columns(have[0]), organisation=is_org))
                        continue
                    session.delete(pref)
                    rest = [cp for cp in have if cp is not pref]
                    if rest:
                        rest[0].preferred = True
                        owner_changes.update(mirror_values(kind, _columns(rest[0]), organisation=is_org))
                    continue
                if pref is not None and mirror_values(kind, _columns(pref), organisation=is_org) == wanted:
                    continue
                columns = point_from_mirror(kind, wanted)
                same = next(
                    (cp for cp in have if channel_key(kind, _columns(cp)) == channel_key(kind, columns)), None
                )
                if same is not None and same is not pref:
                    if pref is not None:
                        pref.preferred = False
                    same.preferred = True
                elif pref is not None:
                    for name, value in columns.items():
                        setattr(pref, name, value)
                    pref.updated_at = now
                else:
                    inserts.append(
                        {
                            "person_id": None if is_org else oid,
                            "organisation_id": oid if is_org else None,
                            "kind": kind,
                            "label": None,
                            "preferred": True,
                            "import_batch_id": batch_id,
                            "created_at": now,
                            "updated_at": now,
                            **columns,
                        }
                    )
            if owner_changes:
                owner_updates.append({"id": oid, **owner_changes})
                promoted.append(oid)
        session.flush()
        if inserts:
            for group in _same_keys(inserts):
                session.execute(insert(table_of(ContactPoint)), group)
        for group in _same_keys(owner_updates):
            session.execute(update(model), group)
            for item in group:
                obj = session.identity_map.get(session.identity_key(model, item["id"]))
                if obj is not None:
                    session.expire(obj, [k for k in item if k != "id"])
    return promoted


def _same_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    return list(groups.values())


def mirror_columns(owner: str) -> dict[str, tuple[str, ...]]:
    """Each kind's mirror columns on a ``"person"`` or an ``"organisation"``."""
    return dict(_ORG_MIRROR if owner == "organisation" else _PERSON_MIRROR)


def point_from_mirror(kind: str, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """Contact point columns from the owner's mirror columns."""
    out: dict[str, Any] = {"value": None, **dict.fromkeys(ADDRESS_PARTS)}
    if kind == "address":
        out.update({k: v for k, v in wanted.items() if k in ADDRESS_PARTS})
    else:
        out["value"] = next(iter(wanted.values()))
    return out
