"""Finding likely duplicates among the people (or organisations) already in Kindred.

Candidate pairs come from blocking: every live person is read once, streamed from SQL as plain
tuples, and filed under several complementary keys (email, personal email name, phone digits,
postcode, house number + street + the sound of a name, sound-alike surname + an initial in both
name orders, nickname roots); only records sharing a key are compared, so 100,000 people never
means 5 billion comparisons.
A key shared by very many people (a busy postcode, "Smith J") is not dropped: its members are
sorted by name and each is compared with its nearest neighbours only. Pairs are then scored by
:mod:`crm.matching.scorer`. Last, two records that each match a third closely are suggested as a
pair too unless their own comparison rules them out (see ``_implied_pairs``): several records of
one person seldom all resemble each other, and blocking never compares some of them. People in
the Trash or merged away are left out, and pairs marked "not the same" never come back.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.errors import Cancelled
from crm.matching.keys import nickname_roots, outward_code, phonetic
from crm.matching.scorer import (
    DEFAULT_THRESHOLD,
    NameFrequencies,
    PersonRecord,
    person_record,
    score_organisations,
    score_people,
    squeezed_key,
)
from crm.models import ContactPoint, NotDuplicate, Organisation, OrganisationAlias, Person
from crm.util import chunked

Progress = Callable[[int, int], None]
ShouldCancel = Callable[[], bool]

MAX_BLOCK = 12  # beyond this a block is compared by sorted neighbourhood
SWITCHBOARD = 6  # people sharing a landline beyond this are colleagues, not duplicates
WINDOW = 6  # neighbours each member of an oversized block is compared with
_SHIFT = 1 << 32
# A link this sure (odds of 19 to 1) vouches for the records it joins to a third (see
# _implied_pairs); a pair whose own comparison scores under NOT_RULED_OUT (odds of 1 to 19, some
# clear disagreement) is not joined that way; MAX_LINKS bounds one record's strong links. Both
# were chosen on the tuning lists only (dupgen seeds 7 and 11, FEBRL-style seeds 1 and 2), where
# 0.95 and 0.05 added no false pair; tests/benchmarks/tune_duplicates.py re-derives them.
STRONG_LINK = 0.95
NOT_RULED_OUT = 0.05
MAX_LINKS = 8


@dataclass(frozen=True)
class DuplicatePair:
    """Two records that are probably one; ``a`` is the smaller id."""

    a: int
    b: int
    score: float
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "score": round(self.score, 3), "reasons": list(self.reasons)}


@dataclass
class ScanResult:
    pairs: list[DuplicatePair]
    compared: int
    records: int
    seconds: float


def _stream(session: Session, stmt: Any, size: int = 10_000) -> Iterator[Any]:
    result = session.connection().execute(stmt.execution_options(yield_per=size))
    for part in result.partitions():
        yield from part


def _tick(progress: Progress | None, should_cancel: ShouldCancel | None, done: int, total: int) -> None:
    if should_cancel is not None and should_cancel():
        raise Cancelled
    if progress is not None:
        progress(done, total)


def load_people(session: Session) -> list[PersonRecord]:
    """Every live person, normalised for matching (one streamed query, plus their further
    emails, phones and mobiles: every one of them counts)."""
    extra: dict[int, list[str]] = defaultdict(list)
    extra_phones: dict[int, list[str]] = defaultdict(list)
    for pid, kind, value in _stream(
        session,
        select(ContactPoint.person_id, ContactPoint.kind, ContactPoint.value)
        .join(Person, Person.id == ContactPoint.person_id)
        .where(
            Person.deleted_at.is_(None),
            ContactPoint.preferred.is_(False),
            ContactPoint.kind.in_(("email", "phone", "mobile")),
        ),
    ):
        (extra if kind == "email" else extra_phones)[pid].append(value)
    stmt = (
        select(
            Person.id,
            Person.first_name,
            Person.last_name,
            Person.preferred_name,
            Person.email,
            Person.phone,
            Person.mobile,
            Person.address_line1,
            Person.address_line2,
            Person.town,
            Person.postcode,
            Organisation.name_key,
        )
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .where(Person.deleted_at.is_(None))
        .order_by(Person.id)
    )
    records = []
    for pid, first, last, preferred, email, phone, mobile, line1, line2, town, pc, org in _stream(
        session, stmt
    ):
        records.append(
            person_record(
                pid,
                first_name=first,
                last_name=last,
                preferred_name=preferred,
                emails=(email, *extra.get(pid, ())),
                phones=(phone, mobile, *extra_phones.get(pid, ())),
                address_line1=line1,
                address_line2=line2,
                town=town,
                postcode=pc,
                organisation=org,
            )
        )
    return records


@functools.lru_cache(maxsize=262_144)
def _name_keys(first: str, last: tuple[str, ...]) -> tuple[str, ...]:
    """The name half of a person's keys (cached: names repeat)."""
    surname = "".join(last)
    sl, sf = phonetic(surname), phonetic(first)
    names: set[str] = set()
    # Sound-alike codes of both names, in either order (swapped names meet), a nickname by the
    # names it stands for.
    for root in nickname_roots(first):
        names.add("n:" + "|".join(sorted((sl, phonetic(root)))))
    for part in last if len(last) > 1 else ():
        names.add("n:" + "|".join(sorted((phonetic(part), sf))))
    # The first three letters of both names in either order: a swap with a typo ("Davison
    # Nicola", "Nicola Davidson") changes a sound-alike code but seldom the start of a name.
    if len(first) >= 3 and len(surname) >= 3:
        names.add("x:" + "|".join(sorted((first[:3], surname[:3]))))
    # An initial and the surname: "J. Smith" meets "James Smith" (see candidate_pairs), "R.
    # Smith" meets "Bob Smith" by the name Bob stands for, and "Smith R." meets "Smith Robert"
    # when the full record has its names swapped.
    names.update(f"i:{sl}{root[0]}" for root in nickname_roots(first))
    if len(first) > 1 and len(last) == 1:
        names.add(f"i:{sf}{last[0][0]}")
    return tuple(names)


def blocking_keys(r: PersonRecord) -> set[str]:
    """The keys a person is filed under; two people are compared when they share one.

    Contact details are keys on their own. Names and streets are keys only together with a
    place or an organisation (the organisation, the town, the postcode district): two records
    that share nothing but a name can never score as duplicates, and "James Smith" alone would
    make a block of hundreds.
    """
    keys: set[str] = set()
    for local, domain in r.emails:
        keys.add(f"e:{local}@{domain}")
    # A mailbox name at another address only where it is personal ("bluebell77"): "j.smith" at
    # two employers made large blocks that found almost no pair the names do not find.
    keys.update(f"l:{local}" for local in r.mailbox_names)
    for digits in r.phones:
        keys.add(f"p:{digits}")
    places = [
        c
        for c in (
            f"t={r.town}" if r.town else None,
            f"a={outward_code(r.postcode)}" if r.postcode else None,
        )
        if c
    ]
    if r.postcode:
        keys.add(f"pc:{r.postcode}")
    if r.street and r.street[0]:
        street = f"s:{r.street[0]}|{phonetic(r.street[1].split()[0])}"
        # A street address with a name's sound needs no place (one record of a pair often has
        # its town and postcode left blank), and with it the street in a place found no pair
        # more. The sound of either name, so swapped names meet too.
        given, surname = (r.first[0] if r.first else ""), "".join(r.last)
        keys.update(f"{street}@{phonetic(name)}" for name in (given, surname) if name)
        # And with a name's initial, for someone written with an initial: "E. Melsham" and
        # "Euan Melham" at one house, a surname misspelt beside an initial, share nothing else.
        # An initial key ("i"), so only a record with an initial is compared by it.
        keys.update(f"i{street}#{name[0]}" for name in (given, surname) if name)
    if not (r.first and r.last):
        return keys
    contexts = [f"o={r.organisation}", *places] if r.organisation else places
    if contexts:
        keys.update(f"{n}#{c}" for n in _name_keys(r.first[0], r.last) for c in contexts)
    return keys


def _sort_name(r: PersonRecord) -> str:
    return "".join(r.last) + " " + " ".join(r.first)


def _not_duplicates(session: Session, entity: str) -> set[int]:
    return {
        a * _SHIFT + b
        for a, b in session.execute(
            select(NotDuplicate.a_id, NotDuplicate.b_id).where(NotDuplicate.entity == entity)
        )
    }


def candidate_pairs(records: list[PersonRecord], *, only: Collection[int] | None = None) -> set[int]:
    """Pairs (encoded ``a << 32 | b``, a < b) of records that share a blocking key.

    Blocks are held by the hash of their key (the key strings are not kept: 100,000 people file
    under about two million of them). Initial blocks ("Smith J") are only filled where someone
    has an initial for a first name, and such a record is compared with everyone in its block.
    """
    return _pairs_in(_file(records), records, set(only) if only is not None else None)


_Blocks = tuple[dict[int, int | list[int]], dict[int, list[int]], set[int]]


def _file(records: list[PersonRecord]) -> _Blocks:
    """(blocks, initial blocks, landline blocks): every record filed under its keys' hashes."""
    initial_keys = {
        hash(key)
        for r in records
        if r.first and len(r.first[0]) == 1
        for key in blocking_keys(r)
        if key[0] == "i"
    }
    # Most keys belong to one person only: such a block holds the index itself, not a list.
    blocks: dict[int, int | list[int]] = {}
    initials: dict[int, list[int]] = defaultdict(list)
    landlines: set[int] = set()
    for index, r in enumerate(records):
        for key in blocking_keys(r):
            h = hash(key)
            if key[0] == "i":
                if h in initial_keys:
                    initials[h].append(index)
                continue
            if key[0] == "p" and key[1] == ":" and not key.startswith("p:7"):
                landlines.add(h)
            held = blocks.get(h)
            if held is None:
                blocks[h] = index
            elif isinstance(held, int):
                blocks[h] = [held, index]
            else:
                held.append(index)
    return blocks, initials, landlines


def _pairs_in(filed: _Blocks, records: list[PersonRecord], wanted: set[int] | None) -> set[int]:
    """The candidate pairs of filed records (only those involving ``wanted`` ids, if given)."""
    blocks, initials, landlines = filed
    pairs: set[int] = set()
    for members in initials.values():
        if wanted is not None and not any(records[i].id in wanted for i in members):
            continue
        for i in members:
            if not records[i].first or len(records[i].first[0]) != 1:
                continue  # no initial: compared by this key only with someone who has one
            for j in members:
                if i != j:
                    a, b = sorted((records[i].id, records[j].id))
                    pairs.add(a * _SHIFT + b)
    for h, block in blocks.items():
        if isinstance(block, int):
            continue
        members = block
        if wanted is not None and not any(records[i].id in wanted for i in members):
            continue
        # A landline many share is a switchboard: only the nearest names are compared.
        switchboard = h in landlines
        cap = SWITCHBOARD if switchboard else MAX_BLOCK
        window = 3 if switchboard else WINDOW
        if len(members) <= cap:
            ids = sorted(records[i].id for i in members)
            for x, a in enumerate(ids):
                for b in ids[x + 1 :]:
                    pairs.add(a * _SHIFT + b)
        else:
            ordered = sorted(members, key=lambda i: _sort_name(records[i]))
            for x, i in enumerate(ordered):
                for j in ordered[x + 1 : x + 1 + window]:
                    a, b = sorted((records[i].id, records[j].id))
                    pairs.add(a * _SHIFT + b)
    if wanted is not None:
        pairs = {p for p in pairs if p >> 32 in wanted or p & (_SHIFT - 1) in wanted}
    return pairs


def find_people_duplicates(
    session: Session,
    *,
    min_score: float = DEFAULT_THRESHOLD,
    limit: int | None = None,
    only: Collection[int] | None = None,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> ScanResult:
    """Likely duplicate people, best first.

    Args:
        min_score: pairs scoring below this are left out.
        limit: at most this many pairs.
        only: pairs involving at least one of these person ids (one person's duplicates, or the
            people an import created).
    """
    started = time.perf_counter()
    _tick(progress, should_cancel, 0, 100)
    records = load_people(session)
    _tick(progress, should_cancel, 30, 100)
    wanted = set(only) if only is not None else None
    # The blocks are large (about two million keys for 100,000 people): kept past this line
    # only for one person's duplicates, which look one step further below.
    filed = _file(records)
    pairs = _pairs_in(filed, records, wanted)
    if wanted is None:
        del filed
    refused = _not_duplicates(session, "person")
    pairs -= refused
    _tick(progress, should_cancel, 40, 100)
    by_id = {r.id: r for r in records}
    frequencies = NameFrequencies(records)
    found: list[DuplicatePair] = []
    strong: list[tuple[int, int, float]] = []
    total = len(pairs)
    for n, code in enumerate(pairs):
        if n % 20_000 == 0:
            _tick(progress, should_cancel, 40 + 55 * n // max(total, 1), 100)
        a, b = code >> 32, code & (_SHIFT - 1)
        score, reasons = score_people(by_id[a], by_id[b], frequencies)
        if score >= min_score:
            found.append(DuplicatePair(a, b, score, tuple(reasons)))
        if score >= STRONG_LINK:
            strong.append((a, b, score))
    if wanted is not None:
        # One person's duplicates: their close matches' own close matches count too (the
        # third record that joins two, see _implied_pairs), so look one step further.
        further = {x for a, b, _ in strong for x in (a, b)} - wanted
        if further:
            for code in _pairs_in(filed, records, further) - pairs - refused:
                a, b = code >> 32, code & (_SHIFT - 1)
                score, _ = score_people(by_id[a], by_id[b], frequencies)
                if score >= STRONG_LINK:
                    strong.append((a, b, score))
                total += 1
    _tick(progress, should_cancel, 98, 100)
    have = {p.a * _SHIFT + p.b for p in found} | refused
    implied = _named(session, _implied_pairs(strong, by_id, frequencies, have, wanted, min_score))
    found.extend(implied)
    total += len(implied)
    found.sort(key=lambda p: (-p.score, p.a, p.b))
    if limit is not None:
        found = found[:limit]
    _tick(progress, should_cancel, 100, 100)
    return ScanResult(found, total, len(records), time.perf_counter() - started)


def _implied_pairs(
    strong: list[tuple[int, int, float]],
    by_id: dict[int, PersonRecord],
    frequencies: NameFrequencies,
    have: set[int],
    wanted: set[int] | None,
    min_score: float,
    *,
    not_ruled_out: float = NOT_RULED_OUT,
) -> list[tuple[DuplicatePair, int]]:
    """Pairs two strong links make through a third record: x ~ m and m ~ y suggest x ~ y.

    Several records of one person rarely all resemble each other pair by pair (one has a new
    surname, another a new email, a third a typo in both names), yet each resembles one of the
    others closely. When x and y each match a record m with a score of at least ``STRONG_LINK``
    and their own comparison does not rule them out (it scores at least ``NOT_RULED_OUT``: no
    clearly different given name, say), the pair is suggested with the score of the two links
    holding together (the product of their scores) or its own score, whichever is higher.
    Only paths of two links are followed, so one wrong link cannot chain whole families
    together, and a record linked strongly to more than ``MAX_LINKS`` others is passed over (a
    hub that size is a household or a switchboard, not one person). Each pair comes with the id
    of the record that joins it.
    """
    links: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for a, b, score in strong:
        links[a].append((b, score))
        links[b].append((a, score))
    best: dict[int, tuple[float, int]] = {}
    for mid, linked in links.items():
        if len(linked) < 2 or len(linked) > MAX_LINKS:
            continue
        for i, (x, sx) in enumerate(linked):
            for y, sy in linked[i + 1 :]:
                a, b = (x, y) if x < y else (y, x)
                code = a * _SHIFT + b
                if code in have or (wanted is not None and a not in wanted and b not in wanted):
                    continue
                through = sx * sy
                if through >= min_score and through > best.get(code, (0.0, 0))[0]:
                    best[code] = (through, mid)
    out: list[tuple[DuplicatePair, int]] = []
    for code, (through, mid) in best.items():
        a, b = code >> 32, code & (_SHIFT - 1)
        score, reasons = score_people(by_id[a], by_id[b], frequencies)
        if score < not_ruled_out:
            continue
        out.append((DuplicatePair(a, b, max(score, through), tuple(reasons)), mid))
    return out


def _named(session: Session, joined: list[tuple[DuplicatePair, int]]) -> list[DuplicatePair]:
    """The joined pairs with the third record named in their reasons ("both closely match Jo Reid
    (ID 12)"): a few thousand ids at most, read in chunks."""
    names: dict[int, str] = {}
    for part in chunked(sorted({mid for _, mid in joined})):
        for pid, first, preferred, last in session.execute(
            select(Person.id, Person.first_name, Person.preferred_name, Person.last_name).where(
                Person.id.in_(part)
            )
        ):
            names[pid] = " ".join(n for n in (preferred or first, last) if n) or "another record"
    return [
        DuplicatePair(
            p.a,
            p.b,
            p.score,
            (*p.reasons, f"both closely match {names.get(mid, 'another record')} (ID {mid})"),
        )
        for p, mid in joined
    ]


def count_groups(pairs: Collection[DuplicatePair]) -> int:
    """How many records-of-one-person the pairs make (three records of one person are one)."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        parent[root(p.a)] = root(p.b)
    return len({root(x) for x in parent})


# --- Organisations ------------------------------------------------------------------------------

_ORG_COMMON = frozenset(
    {"and", "of", "for", "the", "council", "trust", "nhs", "scotland", "scottish", "uk", "group", "centre",
     "association", "society", "foundation", "university", "college", "school", "services", "community",
     "network", "health", "board", "partnership", "national", "city", "county", "borough", "charity"}
)  # fmt: skip


def find_organisation_duplicates(
    session: Session,
    *,
    min_score: float = DEFAULT_THRESHOLD,
    limit: int | None = None,
    only: Collection[int] | None = None,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> ScanResult:
    """Likely duplicate organisations ("NHS Fife" and "N.H.S. Fife"), best first; an organisation's
    aliases (the names of those merged into it) count as its names too."""
    started = time.perf_counter()
    _tick(progress, should_cancel, 0, 100)
    names: dict[int, set[str]] = defaultdict(set)
    extra: dict[int, tuple[str | None, str | None]] = {}
    for oid, key, pc, email in _stream(
        session,
        select(Organisation.id, Organisation.name_key, Organisation.postcode, Organisation.email).where(
            Organisation.deleted_at.is_(None)
        ),
    ):
        names[oid].add(key)
        domain = email.rpartition("@")[2].lower() if email and "@" in email else None
        extra[oid] = (pc.replace(" ", "").upper() if pc else None, domain)
    for oid, key in session.execute(select(OrganisationAlias.organisation_id, OrganisationAlias.name_key)):
        if oid in names:
            names[oid].add(key)
    blocks: dict[str, list[int]] = defaultdict(list)
    for oid, keys in names.items():
        filed: set[str] = set()
        for key in keys:
            squeezed = squeezed_key(key)
            filed.add("k:" + squeezed)
            words = [w for w in squeezed.split() if w not in _ORG_COMMON]
            filed.update("w:" + w for w in words if len(w) >= 3)
            filed.update("p:" + phonetic(w) for w in words if len(w) >= 4)
            if not words:
                filed.add("a:" + squeezed)
        for k in filed:
            blocks[k].append(oid)
    wanted = set(only) if only is not None else None
    pairs: set[int] = set()
    for members in blocks.values():
        ordered = sorted(set(members))
        if len(ordered) > MAX_BLOCK:
            ordered = sorted(ordered, key=lambda o: min(names[o]))
        for x, a in enumerate(ordered):
            for b in ordered[x + 1 : x + 1 + (len(ordered) if len(ordered) <= MAX_BLOCK else WINDOW)]:
                lo, hi = min(a, b), max(a, b)
                if wanted is None or lo in wanted or hi in wanted:
                    pairs.add(lo * _SHIFT + hi)
    pairs -= _not_duplicates(session, "organisation")
    _tick(progress, should_cancel, 50, 100)
    found: list[DuplicatePair] = []
    for code in pairs:
        a, b = code >> 32, code & (_SHIFT - 1)
        best: tuple[float, list[str]] = (0.0, [])
        for ka in names[a]:
            for kb in names[b]:
                result = score_organisations(ka, kb, a_extra=extra[a], b_extra=extra[b])
                if result[0] > best[0]:
                    best = result
        if best[0] >= min_score:
            found.append(DuplicatePair(a, b, best[0], tuple(best[1])))
    found.sort(key=lambda p: (-p.score, p.a, p.b))
    if limit is not None:
        found = found[:limit]
    _tick(progress, should_cancel, 100, 100)
    return ScanResult(found, len(pairs), len(names), time.perf_counter() - started)
