"""Labelled contact columns in an import: "Work email", "Home phone", "Constituency office address".

Such a column maps to a field named ``BASE@LABEL`` ("email@work", "address_line1@constituency",
"postcode@parliament"); its values are cleaned like the plain field's. After cleaning, each row's
labelled values leave ``RowPlan.values`` for ``RowPlan.channels``; where the row has no plain
value of that kind (no "Email" column, say), the first labelled one also fills it, so it becomes
the preferred contact point of a new person (and fills an empty one as any value does). After
writing, the labelled ones are added to each person's contact points (ones already there get
their label), tagged with the import batch so that undo removes exactly what the import added.

Everything here is skipped for files without such columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm.bulk import insert_rows
from crm.models import ADDRESS_PARTS, ContactPoint, Person, table_of, utcnow
from crm.util import chunked

# Label slug → the label the contact point gets.
LABELS: dict[str, str] = {
    "work": "Work",
    "personal": "Personal",
    "home": "Home",
    "constituency": "Constituency office",
    "parliament": "Parliament office",
}
# Words a heading starts with → label slug (longest first when read).
_LABEL_WORDS: dict[str, str] = {
    "work": "work",
    "business": "work",
    "personal": "personal",
    "private": "personal",
    "home": "home",
    "constituency office": "constituency",
    "constituency": "constituency",
    "parliament office": "parliament",
    "parliamentary office": "parliament",
    "parliament": "parliament",
    "parliamentary": "parliament",
}
# What the rest of the heading may say, per field.
_BASE_WORDS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e mail", "email address", "e mail address", "mail address"),
    "phone": ("phone", "telephone", "tel", "phone number", "telephone number", "landline", "number"),
    "mobile": ("mobile", "mobile phone", "mobile number", "cell", "cell phone", "mob"),
    "address_line1": ("address", "address 1", "address line 1", "street", "street address", "addr"),
    "address_line2": ("address 2", "address line 2", "line 2"),
    "address_line3": ("address 3", "address line 3", "line 3"),
    "town": ("town", "city", "town city", "post town", "address town"),
    "postcode": ("postcode", "post code", "postal code", "zip", "zip code", "address postcode"),
    "country": ("country", "address country"),
}
_BASE_BY_WORDS = {w: base for base, words in _BASE_WORDS.items() for w in words}
_LABEL_PHRASES = sorted(_LABEL_WORDS, key=len, reverse=True)
# Which labels each kind of column is offered with.
_OFFERED: dict[str, tuple[str, ...]] = {
    "email": ("work", "personal", "home", "constituency", "parliament"),
    "phone": ("work", "home", "constituency", "parliament", "personal"),
    "mobile": ("work", "personal"),
    **{part: ("home", "work", "constituency", "parliament") for part in ADDRESS_PARTS},
}
_BASE_LABELS = {
    "email": "Email",
    "phone": "Phone",
    "mobile": "Mobile",
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "address_line3": "Address line 3",
    "town": "Town",
    "postcode": "Postcode",
    "country": "Country",
}
# Field name → (base field, label slug), and the wizard's label for each.
CHANNEL_FIELDS: dict[str, tuple[str, str]] = {
    f"{base}@{slug}": (base, slug) for base, slugs in _OFFERED.items() for slug in slugs
}
CHANNEL_FIELD_LABELS: dict[str, str] = {
    name: f"{_BASE_LABELS[base]} ({LABELS[slug]})" for name, (base, slug) in CHANNEL_FIELDS.items()
}


def field_for_heading(key: str) -> str | None:
    """The labelled field a normalised heading names ("work email" → "email@work"), or None."""
    for phrase in _LABEL_PHRASES:
        if key.startswith(phrase + " "):
            rest = key[len(phrase) + 1 :]
            base = _BASE_BY_WORDS.get(rest)
            name = f"{base}@{_LABEL_WORDS[phrase]}"
            return name if base and name in CHANNEL_FIELDS else None
    return None


def has_channel_fields(fields: Iterable[str]) -> bool:
    return any(f in CHANNEL_FIELDS for f in fields)


def _kind(base: str) -> str:
    return "address" if base in ADDRESS_PARTS else base


def take_channels(plans: Sequence[Any]) -> None:
    """Move each row's labelled values from ``values`` to ``channels``; the first of a kind the
    row has no plain value for also fills the plain field(s)."""
    for plan in plans:
        values = plan.values
        labelled = [k for k in values if k in CHANNEL_FIELDS]
        if not labelled:
            continue
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        for name in labelled:
            base, slug = CHANNEL_FIELDS[name]
            grouped.setdefault((_kind(base), slug), {})[base] = values.pop(name)
        found: list[tuple[str, str, tuple[tuple[str, Any], ...]]] = []
        for (kind, slug), parts in grouped.items():
            if kind == "address":
                if not any(values.get(p) for p in ADDRESS_PARTS):
                    values.update(parts)
                columns = tuple((p, parts.get(p)) for p in ADDRESS_PARTS)
            else:
                if not values.get(kind):
                    values[kind] = parts[kind]
                columns = (("value", parts[kind]),)
            found.append((kind, LABELS[slug], columns))
        plan.channels = tuple(found)


def channel_value(plan: Any, name: str) -> Any:
    """The cleaned value a row holds for a labelled field ("email@work"), for previews."""
    base, slug = CHANNEL_FIELDS[name]
    for kind, label, items in plan.channels:
        if kind == _kind(base) and label == LABELS[slug]:
            return dict(items).get("value" if kind != "address" else base)
    return None


def row_emails(plan: Any) -> list[str]:
    """A row's labelled email addresses (for matching on any email), lower-cased."""
    return [dict(c)["value"].lower() for kind, _, c in plan.channels if kind == "email"]


def further_email_matches(session: Session, emails: Sequence[str]) -> dict[str, int]:
    """Lower-cased email → the live person holding it as a further (not preferred) email.

    Further emails are few beside a big list's: then they are read once and compared here."""
    found: dict[str, int] = {}
    wanted = sorted(set(emails))
    if not wanted:
        return found
    further = (
        select(ContactPoint.person_id, func.lower(ContactPoint.value))
        .join(Person, Person.id == ContactPoint.person_id)
        .where(ContactPoint.kind == "email", ContactPoint.preferred.is_(False), Person.deleted_at.is_(None))
        .order_by(ContactPoint.person_id)
    )
    held = session.scalar(
        select(func.count(ContactPoint.id)).where(
            ContactPoint.kind == "email", ContactPoint.preferred.is_(False)
        )
    )
    if (held or 0) < len(wanted):
        look = set(wanted)
        for pid, email in session.execute(further):
            if pid is not None and email in look:
                found.setdefault(email, pid)
        return found
    for part in chunked(wanted):
        for pid, email in session.execute(
            select(ContactPoint.person_id, func.lower(ContactPoint.value))
            .join(Person, Person.id == ContactPoint.person_id)
            .where(
                ContactPoint.kind == "email",
                ContactPoint.preferred.is_(False),
                func.lower(ContactPoint.value).in_(part),
                Person.deleted_at.is_(None),
            )
            .order_by(ContactPoint.person_id)
        ):
            if pid is not None and email is not None:
                found.setdefault(email, pid)
    return found


def _key(kind: str, columns: Mapping[str, Any]) -> tuple[str, ...]:
    from crm.services.channels import channel_key

    return channel_key(kind, columns)


def write_channels(session: Session, rows: Sequence[Any], batch_id: int) -> list[int]:
    """Add the rows' labelled contact points to their people (after the people are written).
    One a person already has keeps its place and, if the import itself created it unlabelled,
    gains the label. Returns the people given new contact points."""
    wanted = [r for r in rows if r.channels and r.person_id is not None]
    if not wanted:
        return []
    ids = sorted({r.person_id for r in wanted})
    held: dict[int, dict[tuple[str, tuple[str, ...]], tuple[int, str | None, int | None]]] = defaultdict(dict)
    for part in chunked(ids):
        for cp in session.scalars(select(ContactPoint).where(ContactPoint.person_id.in_(part))):
            columns = {"value": cp.value, **{p: getattr(cp, p) for p in ADDRESS_PARTS}}
            held[cp.person_id or 0][(cp.kind, _key(cp.kind, columns))] = (cp.id, cp.label, cp.import_batch_id)
    now = utcnow()
    new: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    touched: set[int] = set()
    for r in wanted:
        mine = held[r.person_id]
        for kind, label, items in r.channels:
            columns = dict(items)
            key = (kind, _key(kind, columns))
            if key in mine:
                cid, old_label, batch = mine[key]
                if old_label is None and batch == batch_id:
                    labels.append({"id": cid, "label": label})
                continue
            mine[key] = (0, label, batch_id)
            new.append(
                {
                    "person_id": r.person_id,
                    "organisation_id": None,
                    "kind": kind,
                    "label": label,
                    "value": columns.get("value"),
                    **{p: columns.get(p) for p in ADDRESS_PARTS},
                    "preferred": False,
                    "import_batch_id": batch_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            touched.add(r.person_id)
    if new:
        insert_rows(session, table_of(ContactPoint), new)
    if labels:
        session.execute(update(ContactPoint), labels)
    return sorted(touched)
