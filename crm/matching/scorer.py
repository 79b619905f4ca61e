"""How alike two records are: field by field evidence, added up as log-odds, with reasons.

Each field comparison gives a weight in bits (log2 of how much likelier the agreement is between
two records of one person than between two different people), the way probabilistic record
linkage does; the sum plus a prior becomes a score between 0 and 1. The weights were set by hand
and tuned on generated lists with planted duplicates (``tests/benchmarks/dupgen.py``), on a
seed the tests do not use. The graded levels (a name spelt as heard or misread from a scan, a
phone or email one character out, two common names a letter apart) came from studying the misses
on two further dupgen seeds and on two seeds of an independent FEBRL-style generator
(``tests/benchmarks/febrlgen.py``); the benchmark reports precision and recall on other seeds of
both.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein
from rapidfuzz.fuzz import token_set_ratio

from crm.matching.keys import (
    email_parts,
    is_mobile,
    is_shared_mailbox,
    name_tokens,
    nickname_roots,
    org_key,
    outward_code,
    phone_digits,
    place_key,
    postcode_key,
    same_given_name,
    skeleton,
    street_key,
)

DEFAULT_THRESHOLD = 0.8
SWAPPED = "first and last names swapped"
FIRST_ONE_LETTER = "first names differ by one letter"
PRIOR = -10.5  # bits: a pair that shares a blocking key is still most likely two people


@dataclass(slots=True)
class PersonRecord:
    """What the scorer compares of one person, normalised once."""

    id: int
    first: tuple[str, ...] = ()
    last: tuple[str, ...] = ()
    emails: frozenset[tuple[str, str]] = frozenset()
    phones: frozenset[str] = frozenset()
    postcode: str | None = None
    street: tuple[str, str] | None = None
    town: str | None = None
    organisation: str | None = None
    # Personal mailbox names not made from the surname ("bluebell77"), for "same email name".
    mailbox_names: frozenset[str] = frozenset()
    # A given name read from a personal address ("roisin.kinwick78@…") when the record has
    # only an initial or no first name: "R. Kinwick" is then not Robert Kinwick at one address.
    email_given: str | None = None


def person_record(
    pid: int,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    preferred_name: str | None = None,
    emails: Iterable[str | None] = (),
    phones: Iterable[str | None] = (),
    address_line1: str | None = None,
    address_line2: str | None = None,
    town: str | None = None,
    postcode: str | None = None,
    organisation: str | None = None,
) -> PersonRecord:
    """Normalise one person's fields for scoring and blocking."""
    first = name_tokens(first_name) or name_tokens(preferred_name)
    street = street_key(address_line1)
    if street is None or not street[0]:
        # "12 High Street" is sometimes split over two lines ("Flat 2" / "12 High Street").
        street = street_key(address_line2) or street
    last = name_tokens(last_name)
    surname = "".join(last)
    parts: frozenset[tuple[str, str]] = _EMPTY
    names: frozenset[str] = _EMPTY_NAMES
    found = [p for p in map(email_parts, filter(None, emails)) if p]
    if found:
        parts = frozenset(found)
        names = frozenset(
            local
            for local, _ in parts
            if len(local) >= 5 and not is_shared_mailbox(local) and not (surname and surname in local)
        )
    digits = [d for d in map(phone_digits, filter(None, phones)) if d]
    email_given = None
    if surname and (not first or len(first[0]) == 1):
        email_given = next((g for local, _ in parts if (g := _given_from_mailbox(local, surname))), None)
    return PersonRecord(
        id=pid,
        first=first,
        last=last,
        emails=parts,
        mailbox_names=names,
        phones=frozenset(digits) if digits else _EMPTY_NAMES,
        postcode=postcode_key(postcode) if postcode else None,
        street=street,
        town=place_key(town) if town else None,
        organisation=org_key(organisation) if organisation else None,
        email_given=email_given,
    )


_SEPARATORS = re.compile(r"[._\-]+")


def _given_from_mailbox(local: str, surname: str) -> str | None:
    """The given name of a "given.surname" mailbox ("roisin.kinwick78" → "roisin"), if any."""
    if is_shared_mailbox(local):
        return None
    parts = [p.rstrip("0123456789") for p in _SEPARATORS.split(local)]
    if surname not in parts:
        return None
    given = next((p for p in parts if p != surname), "")
    return given if len(given) >= 3 and given.isalpha() else None


_EMPTY: frozenset[tuple[str, str]] = frozenset()
_EMPTY_NAMES: frozenset[str] = frozenset()


@dataclass(slots=True)
class Evidence:
    """The weight of evidence for a pair and the reasons, in plain words."""

    bits: float = PRIOR
    reasons: list[str] = field(default_factory=list)

    def add(self, bits: float, reason: str | None = None) -> None:
        self.bits += bits
        if reason:
            self.reasons.append(reason)

    @property
    def score(self) -> float:
        return 1.0 / (1.0 + math.pow(2.0, -self.bits))


def _one_edit(a: str, b: str) -> bool:
    return Levenshtein.distance(a, b, score_cutoff=1) <= 1 or (
        len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 2 and sorted(a) == sorted(b)
    )


@functools.lru_cache(maxsize=262_144)
def _first_names(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[float, str | None]:
    """Weight and reason for two given names (their first words)."""
    x, y = a[0], b[0]
    if x == y:
        return 4.0, None
    if len(x) == 1 or len(y) == 1:
        full = y if len(x) == 1 else x
        initial = (x if len(x) == 1 else y)[0]
        if full[0] == initial or any(root[0] == initial for root in nickname_roots(full)):
            return 2.0, "an initial matches the first name"
        return -5.0, None
    if same_given_name(x, y):
        return 3.0, f"{x.title()} and {y.title()} are the same name"
    if len(x) >= 3 and len(y) >= 3 and (x.startswith(y) or y.startswith(x)):
        return 2.5, "one first name is short for the other"
    if _one_edit(x, y):
        return 2.5, FIRST_ONE_LETTER
    sx, sy = skeleton(x), skeleton(y)
    if sx == sy:
        return 2.0, "first names sound alike"
    if JaroWinkler.similarity(x, y) >= 0.92 and x[0] == y[0]:
        return 0.5, "first names differ by two letters" if Levenshtein.distance(
            x, y
        ) == 2 else "first names sound alike"
    if min(len(x), len(y)) >= 5 and (Levenshtein.distance(x, y) <= 2 or JaroWinkler.similarity(x, y) >= 0.85):
        # Gillian and William share an address as often as a misspelling: not evidence either way
        # unless the first letters agree, and then only a little.
        return (0.0, "first names are alike") if x[0] == y[0] else (-4.0, None)
    if x[0] == y[0] and min(len(x), len(y)) >= 4 and (Levenshtein.distance(x, y) <= 2 or _one_edit(sx, sy)):
        # Two slips in one short name ("Joab" and "Joqn"): unlike, but not the clear
        # disagreement two different names are.
        return -3.0, None
    # A nickname beside a misspelt full name ("Becca" and "Rebecwca").
    if any(_one_edit(root, y) for root in nickname_roots(x) if len(root) >= 4) or any(
        _one_edit(root, x) for root in nickname_roots(y) if len(root) >= 4
    ):
        return 1.5, "first names are alike once a nickname is read in full"
    # A middle name used as the first ("J. Michael Smith" as "Michael Smith").
    if any(w in b for w in a[1:]) or any(w in a for w in b[1:]):
        return 1.0, "a middle name matches"
    # Given names hardly ever change: clearly different ones outweigh nearly everything else.
    return -12.0, None


@functools.lru_cache(maxsize=262_144)
def _last_names(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[float, str | None]:
    """Weight and reason for two surnames; double-barrelled and hyphenated parts count."""
    x, y = "".join(a), "".join(b)
    if x == y:
        return 6.0, None
    if set(a) & set(b):
        return 4.5, "one surname is part of the other"
    if (len(a) > 1 or len(b) > 1) and any(_one_edit(p, q) for p in a for q in b if min(len(p), len(q)) >= 4):
        return 3.0, "one surname is nearly part of the other"
    if _one_edit(x, y):
        return 5.0, "surnames differ by one letter"
    sx, sy = skeleton(x), skeleton(y)
    if sx == sy:
        return 4.0, "surnames sound alike"
    if min(len(sx), len(sy)) >= 4 and _one_edit(sx, sy):
        return 2.5, "surnames are spelt differently but sound alike"
    if Levenshtein.distance(x, y) == 2 and min(len(x), len(y)) >= 6 and JaroWinkler.similarity(x, y) >= 0.85:
        return 2.5, "surnames differ by two letters"
    if JaroWinkler.similarity(x, y) >= 0.9:
        return 1.5, "surnames sound alike"
    if min(len(x), len(y)) >= 5 and OSA.distance(x, y, score_cutoff=2) <= 2:
        return 1.0, "surnames differ by two letters"
    if len(a) == 1 and len(b) == 1 and same_given_name(x, y):
        # Given names typed into the surname field on both records ("Thomas" and "Tom").
        return 2.0, "the surnames are forms of one given name"
    if x[0] == y[0] and min(len(x), len(y)) >= 5 and JaroWinkler.similarity(x, y) >= 0.8:
        # Two typos in one surname: too unlike to count for the pair, too alike to rule it out.
        return -3.0, None
    return -8.0, None


def _names(a: PersonRecord, b: PersonRecord) -> tuple[float, list[str]]:
    if not (a.first or a.last) or not (b.first or b.last):
        return 0.0, []
    return _compare_names(a.first, a.last, b.first, b.last)


def _oriented(
    af: tuple[str, ...], al: tuple[str, ...], bf: tuple[str, ...], bl: tuple[str, ...]
) -> tuple[float, list[str]]:
    bits = 0.0
    why: list[str] = []
    if af and bf:
        w, reason = _first_names(af, bf)
        bits += w
        if reason:
            why.append(reason)
    if al and bl:
        w, reason = _last_names(al, bl)
        bits += w
        if reason:
            why.append(reason)
    return bits, why


@functools.lru_cache(maxsize=524_288)
def _compare_names(
    af: tuple[str, ...], al: tuple[str, ...], bf: tuple[str, ...], bl: tuple[str, ...]
) -> tuple[float, list[str]]:
    # Cached whole: lists repeat name pairs (James Smith beside Jim Smith) over and over.
    straight = _oriented(af, al, bf, bl)
    if (
        af
        and al
        and bf
        and bl
        and straight[0] < 8.0
        and (af[0][0] == bl[0][0] or al[0][0] == bf[0][0])  # a swap keeps initials in place
    ):
        # Either record may be the swapped one: try both readings.
        swapped = max(_oriented(al, af, bf, bl), _oriented(af, al, bl, bf), key=lambda result: result[0])
        if swapped[0] > straight[0]:
            return swapped[0], [SWAPPED, *swapped[1]]
    bits, why = straight
    why = list(why)
    if af == bf and al == bl and af and al:
        why.insert(0, "same name")
    elif not why and bits > 0:
        why.insert(0, "same surname" if al == bl else "same first name")
    return bits, why


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _emails(a: PersonRecord, b: PersonRecord) -> tuple[float, str | None]:
    if not a.emails or not b.emails:
        return 0.0, None
    same = a.emails & b.emails
    if same:
        if all(is_shared_mailbox(local) for local, _ in same):
            return 1.5, f"same shared mailbox ({next(iter(same))[0]}@…), weak evidence"
        return 12.0, "same email address"
    for la, da in a.emails:
        for lb, db in b.emails:
            if (
                la[0] == lb[0]  # "j.smith" and "d.smith" are two people's
                and len(la) >= 5
                and Levenshtein.distance(la, lb, score_cutoff=1)
                + Levenshtein.distance(da, db, score_cutoff=1)
                == 1
                and _digits(la) == _digits(lb)  # "tomos538" and "tomos535" are two mailboxes
                and not is_shared_mailbox(la)
            ):
                # A mistyped letter ("aol.cm", "gibsonn"): one mailbox written twice.
                return 7.0, "email addresses differ by one letter"
    if a.mailbox_names & b.mailbox_names:
        return 1.0, "same email name at a different address"
    # Most people have one address: a plain loop beats building sets per pair.
    for la, _ in a.emails:
        for lb, _ in b.emails:
            if la == lb and not is_shared_mailbox(la):
                # "t.wright" at two employers: the usual work form of a name, so it says
                # little, but it is not the disagreement two unrelated addresses are.
                return 0.5, "same email name at a different address"
    return -1.0, None


def _phones(a: PersonRecord, b: PersonRecord) -> tuple[float, str | None]:
    if not a.phones or not b.phones:
        return 0.0, None
    same = a.phones & b.phones
    if same:
        if any(is_mobile(d) for d in same):
            return 14.0, "same mobile number"
        # Landlines are shared by colleagues and households: good evidence, not proof.
        return 6.0, "same phone number"
    for x in a.phones:
        for y in b.phones:
            if len(x) == len(y) and Levenshtein.distance(x, y, score_cutoff=1) <= 1:
                # One digit mistyped: far likelier in one person's number than in two people's.
                return (
                    (4.0, "mobile numbers differ by one digit")
                    if is_mobile(x)
                    else (
                        2.0,
                        "phone numbers differ by one digit",
                    )
                )
    if any(is_mobile(d) for d in a.phones) and any(is_mobile(d) for d in b.phones):
        # Most people keep one mobile for years: two different ones are two people, mostly.
        return -2.5, None
    return -0.5, None


@functools.lru_cache(maxsize=262_144)
def _streets_alike(a: str, b: str) -> bool:
    return a == b or JaroWinkler.similarity(a, b) >= 0.9 or token_set_ratio(a, b) >= 90


@functools.lru_cache(maxsize=262_144)
def _postcodes(a: str, b: str) -> tuple[float, str | None]:
    if a == b:
        return 6.0, "same postcode"
    if Levenshtein.distance(a, b, score_cutoff=1) <= 1:
        return 1.0, "postcodes differ by one character"
    return (0.0, None) if outward_code(a) == outward_code(b) else (-2.0, None)


@functools.lru_cache(maxsize=262_144)
def _streets(a: tuple[str, str], b: tuple[str, str]) -> tuple[float, str | None]:
    (na, sa), (nb, sb) = a, b
    alike = sa == sb or JaroWinkler.similarity(sa, sb) >= 0.9 or token_set_ratio(sa, sb) >= 90
    if alike and na == nb:
        return (5.5, "same street address") if na else (1.5, "same street")
    if alike and na and nb:
        return -1.0, None
    if na and na == nb and JaroWinkler.similarity(sa, sb) >= 0.8:
        return 2.0, "same house number, street spelt differently"
    return -1.5, None


@functools.lru_cache(maxsize=65_536)
def _towns(a: str, b: str) -> float:
    if a == b:
        return 0.5
    return 0.5 if JaroWinkler.similarity(a, b) >= 0.9 else -1.0


def _addresses(a: PersonRecord, b: PersonRecord) -> tuple[float, list[str]]:
    bits = 0.0
    why: list[str] = []
    if a.postcode and b.postcode:
        w, reason = _postcodes(a.postcode, b.postcode)
        bits += w
        if reason:
            why.append(reason)
    if a.street and b.street:
        w, reason = _streets(a.street, b.street)
        bits += w
        if reason:
            if why and why[0] == "same postcode" and reason == "same street address":
                # A postcode is a handful of addresses: the street on top adds little more.
                bits -= 4.0
                why[0] = "same postcode and street"
            else:
                why.append(reason)
    if a.town and b.town:
        w = _towns(a.town, b.town)
        bits += w
        if not why and a.town == b.town:
            why.append("same town")
    return bits, why


class NameFrequencies:
    """How common each surname and first name is among the people compared: agreeing on a rare
    name is stronger evidence than agreeing on "Smith" (a term-frequency adjustment)."""

    def __init__(self, records: Iterable[PersonRecord]) -> None:
        self.last: dict[str, int] = {}
        self.first: dict[str, int] = {}
        self.total = 0
        for r in records:
            self.total += 1
            if r.last:
                key = "".join(r.last)
                self.last[key] = self.last.get(key, 0) + 1
            if r.first and len(r.first[0]) > 1:
                self.first[r.first[0]] = self.first.get(r.first[0], 0) + 1

    def common_first(self, name: str) -> bool:
        """Whether a first name is in common use here (one in two thousand people or more)."""
        return self.total >= 1000 and self.first.get(name, 0) >= max(5, self.total // 2000)

    def adjustment(self, a: PersonRecord, b: PersonRecord) -> float:
        """Bits to add (rare) or take away (common) for exact name agreement."""
        if self.total < 1000:
            return 0.0  # too few people to say what is common
        bits = 0.0
        if a.last and a.last == b.last:
            count = self.last.get("".join(a.last), 1)
            bits += min(10.0, math.log2(0.9 * self.total / count)) - 6.0
        if a.first and b.first and a.first[0] == b.first[0] and len(a.first[0]) > 1:
            count = self.first.get(a.first[0], 1)
            bits += min(7.0, math.log2(0.9 * self.total / count)) - 4.0
        # Capped: however rare, a name alone never makes two records one.
        return max(-2.0, min(1.5, bits))


def _implied_given_name(a: PersonRecord, b: PersonRecord, reasons: list[str]) -> float:
    """Bits from the given name in ``a``'s email address against ``b``'s first name."""
    if a.email_given is None or not b.first or len(b.first[0]) == 1:
        return 0.0
    weight, _ = _first_names((a.email_given,), b.first)
    if weight <= -4.0:
        return -8.0
    if weight >= 2.5:
        reasons.append("the email address gives the same first name")
        return 1.0
    return 0.0


def score_people(
    a: PersonRecord, b: PersonRecord, frequencies: NameFrequencies | None = None
) -> tuple[float, list[str]]:
    """(score between 0 and 1, reasons in plain words) for two people."""
    bits, name_reasons = _names(a, b)
    reasons = list(name_reasons)
    if name_reasons and name_reasons[0] != SWAPPED:
        bits += _implied_given_name(a, b, reasons) + _implied_given_name(b, a, reasons)
        # Two common names a letter apart (Mark and Mary, Sean and Sian) are two people far
        # more often than one name mistyped: a typo makes a rare name.
        if (
            frequencies is not None
            and FIRST_ONE_LETTER in reasons
            and frequencies.common_first(a.first[0])
            and frequencies.common_first(b.first[0])
        ):
            bits -= 2.5 + 6.0  # from the typo's +2.5 to a disagreement
            reasons.remove(FIRST_ONE_LETTER)
    if frequencies is not None and bits > 0:
        bits += frequencies.adjustment(a, b)
    for compare in (_emails, _phones):
        w, reason = compare(a, b)
        bits += w
        if reason:
            reasons.append(reason)
    # The address and organisation add at most 12 bits: a pair that stays far below even with
    # them is not worth comparing further (most candidate pairs end here).
    if bits + 12.0 + PRIOR < -4.0:
        return 1.0 / (1.0 + math.pow(2.0, -(bits + 12.0 + PRIOR))), reasons
    w, why = _addresses(a, b)
    bits += w
    reasons.extend(why)
    if a.organisation and b.organisation:
        if a.organisation == b.organisation:
            # Colleagues share the office's landline: at one organisation a shared landline and
            # the organisation are one piece of evidence, not two.
            bits += 1.0 if "same phone number" in reasons else 4.0
            reasons.append("same organisation")
        else:
            bits -= 0.5
    return 1.0 / (1.0 + math.pow(2.0, -(bits + PRIOR))), reasons


# --- Organisations ------------------------------------------------------------------------------


def squeezed_key(key: str) -> str:
    """An organisation key with its initials joined: "n h s fife" → "nhs fife"."""
    words = key.split()
    out: list[str] = []
    run = ""
    for w in words:
        if len(w) == 1:
            run += w
            continue
        if run:
            out.append(run)
            run = ""
        out.append(w)
    if run:
        out.append(run)
    return " ".join(out)


def score_organisations(
    a_key: str,
    b_key: str,
    *,
    a_extra: tuple[str | None, str | None] = (None, None),
    b_extra: tuple[str | None, str | None] = (None, None),
) -> tuple[float, list[str]]:
    """(score, reasons) for two organisation name keys; ``*_extra`` is (postcode, email domain)."""
    a, b = squeezed_key(a_key), squeezed_key(b_key)
    evidence = Evidence(bits=-4.0)
    if a == b:
        evidence.add(
            10.0, "same name once punctuation and initials are ignored" if a_key != b_key else "same name"
        )
    else:
        wa, wb = set(a.split()), set(b.split())
        if wa <= wb or wb <= wa:
            evidence.add(6.0, "one name contains the other")
        elif _one_edit(a, b) or (min(len(a), len(b)) >= 8 and Levenshtein.distance(a, b) <= 2):
            evidence.add(7.0, "names differ by a letter or two")
        elif token_set_ratio(a, b) >= 90:
            evidence.add(4.0, "names share nearly every word")
        else:
            evidence.add(-6.0)
    (pa, da), (pb, db) = a_extra, b_extra
    if pa and pb:
        evidence.add(2.0, "same postcode") if pa == pb else evidence.add(-1.0)
    if da and db:
        evidence.add(3.0, "same email domain") if da == db else evidence.add(-0.5)
    return evidence.score, evidence.reasons
