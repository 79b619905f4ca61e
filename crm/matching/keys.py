"""Normalised keys records are matched on. Pure functions, cached: lists repeat their values."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from crm.text import fold, organisation_key

# Names and organisations repeat across a list: fold each distinct value once.
fold_name = functools.lru_cache(maxsize=65_536)(fold)
org_key = functools.lru_cache(maxsize=65_536)(organisation_key)


def name_key(values: Mapping[str, Any]) -> tuple[str, str] | None:
    """(folded first or preferred name, folded last name), or None without both."""
    first = values.get("first_name") or values.get("preferred_name")
    last = values.get("last_name")
    if not first or not last:
        return None
    return fold_name(first), fold_name(last)


def compact_postcode(value: str | None) -> str | None:
    """A postcode without spaces, upper-case: "eh1 1aa" and "EH11AA" are one key."""
    return value.replace(" ", "").upper() if value else None


# --- Finer keys for the duplicate finder ---------------------------------------------------------

_NON_LETTER = re.compile(r"[^a-z ]+")
_APOSTROPHES = re.compile(r"['’`]")
_TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "cllr", "lord", "lady"}
)

# Role addresses many people read: the same one on two records is weak evidence, not proof.
SHARED_MAILBOXES = frozenset(
    {
        "info", "office", "admin", "administrator", "enquiries", "enquiry", "hello", "contact",
        "contactus", "mail", "reception", "team", "general", "secretary", "secretariat", "post",
        "support", "help", "sales", "events", "membership", "members", "communications", "comms",
        "press", "media", "news", "newsletter", "accounts", "finance", "hr", "jobs", "noreply",
        "no-reply", "webmaster", "all", "staff", "mailbox", "inbox", "generalenquiries", "partnerships",
    }
)  # fmt: skip

# Street words written long and short: "St" and "Street" are one street.
_STREET_WORDS = {
    "st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue", "dr": "drive",
    "ln": "lane", "cres": "crescent", "cr": "crescent", "pl": "place", "sq": "square", "ter": "terrace",
    "terr": "terrace", "tce": "terrace", "ct": "court", "crt": "court", "gdns": "gardens", "gdn": "garden",
    "gr": "grove", "gro": "grove", "pk": "park", "cl": "close", "hwy": "highway", "pde": "parade",
    "bvd": "boulevard", "blvd": "boulevard", "wy": "way", "mt": "mount", "n": "north", "s": "south",
    "e": "east", "w": "west", "upr": "upper", "lwr": "lower",
}  # fmt: skip
_UNIT_WORDS = frozenset({"flat", "unit", "apartment", "apt", "suite", "room", "floor", "level", "po", "box"})
_NUMBER = re.compile(r"\d+")
_NON_DIGIT = re.compile(r"\D+")


_HAS_DIGIT = re.compile(r"\d")
_DIGIT_LETTERS = str.maketrans("0123456789", "olzeasbtbg")
# Spellings that sound (or, scanned, look) alike, reduced to one: applied in order.
_SKELETON = (
    ("rn", "m"), ("vv", "w"), ("cl", "d"), ("ph", "f"), ("ck", "k"), ("gh", "g"), ("c", "k"),
    ("q", "k"), ("z", "s"), ("y", "i"), ("ie", "i"), ("ei", "i"), ("ee", "i"), ("ea", "i"), ("ou", "o"),
    ("ow", "o"), ("ae", "e"), ("wr", "r"), ("kn", "n"), ("h", ""),
)  # fmt: skip
_DOUBLE = re.compile(r"(.)\1+")


@functools.lru_cache(maxsize=131_072)
def skeleton(word: str) -> str:
    """A folded word reduced to how it sounds, and to what a scanner may misread it as, so
    spelling and OCR variants meet: "pherguson" and "ferguson" → "ferguson"; "rnarshall" and
    "marshal" → "marsal"; "thomson" and "tomson" → "tomson"."""
    text = word
    for old, new in _SKELETON:
        text = text.replace(old, new)
    return _DOUBLE.sub(r"\1", text)


@functools.lru_cache(maxsize=131_072)
def name_tokens(value: str | None) -> tuple[str, ...]:
    """A name's words, folded: accents, case, apostrophes and hyphens ignored, Mac spelt Mc.

    "Seán" → ("sean",); "O'Neill" → ("oneill",); "MacDonald" → ("mcdonald",);
    "Smith-Jones" → ("smith", "jones"); titles such as "Dr" are dropped.
    """
    if not value:
        return ()
    text = _APOSTROPHES.sub("", fold(value))
    if _HAS_DIGIT.search(text):
        # Names have no digits: one in a name is a misread letter ("Fi0na", "6ruce").
        text = text.translate(_DIGIT_LETTERS)
    words = [w for w in _NON_LETTER.sub(" ", text).split() if w not in _TITLES]
    return tuple("mc" + w[3:] if w.startswith("mac") and len(w) > 5 else w for w in words)


@functools.lru_cache(maxsize=131_072)
def nickname_roots(name: str) -> frozenset[str]:
    """The formal names a given name may stand for, with itself: "bob" → {"bob", "robert", …}."""
    roots = {name}
    roots.update(n.lower() for n in _nicknamer().canonicals_of(name))
    return frozenset(roots)


@functools.lru_cache(maxsize=1)
def _nicknamer() -> Any:
    # Imported late: reading the nickname list takes a moment nobody needs at start-up.
    from nicknames import NickNamer

    return NickNamer()


@functools.lru_cache(maxsize=131_072)
def phonetic(word: str) -> str:
    """A sound-alike code for a word (Soundex): "Thomson" and "Thompson" share one."""
    import jellyfish

    return jellyfish.soundex(word) or word


def email_parts(email: str | None) -> tuple[str, str] | None:
    """(local part, domain) of an address, lower-case; dots and "+tags" squeezed out of a
    Gmail local part, where they do not change the mailbox."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return (local, domain) if local and domain else None


def is_shared_mailbox(local: str) -> bool:
    """Whether a local part names a role (info@, office@) rather than a person."""
    return local in SHARED_MAILBOXES or local.split(".")[0] in SHARED_MAILBOXES


def phone_digits(value: str | None) -> str | None:
    """A phone number's digits without the country code or trunk 0, so "+44 7700 900123",
    "07700 900123" and "(07700) 900-123" are one key; fewer than seven digits is no number."""
    if not value:
        return None
    digits = _NON_DIGIT.sub("", value)
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("44") and len(digits) >= 11:
        digits = digits[2:]
    digits = digits.lstrip("0")
    return digits if len(digits) >= 7 else None


def is_mobile(digits: str) -> bool:
    """UK mobiles start 7 once the trunk 0 is gone."""
    return digits.startswith("7") and len(digits) == 10


@functools.lru_cache(maxsize=131_072)
def street_key(line: str | None) -> tuple[str, str] | None:
    """(house number, street) of an address line, with short forms spelt out and flat numbers
    dropped: "Flat 2, 12 High St" and "12 high street" are ("12", "high street")."""
    if not line:
        return None
    text = _APOSTROPHES.sub("", fold(line))
    # A unit ("Flat 2", "Unit 5") names a door inside the building, not the street number.
    text = re.sub(r"\b(?:flat|unit|apartment|apt|suite|room)\s*\w+\b", " ", text)
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    number = ""
    street: list[str] = []
    for word in words:
        if not number and _NUMBER.fullmatch(word.rstrip("abcdefgh")):
            number = word
            street = []
            continue
        if word in _UNIT_WORDS:
            continue
        if not word.isdigit():
            street.append(_STREET_WORDS.get(word, word))
    if not street:
        return None
    return number, " ".join(street)


def postcode_key(value: str | None) -> str | None:
    """A postcode compacted, or None for nothing useful."""
    key = compact_postcode(value.strip() if value else value)
    return key if key and len(key) >= 3 else None


def outward_code(postcode: str) -> str:
    """The outward half of a compact UK postcode ("EH11AA" → "EH1"); a short code is itself."""
    return postcode[:-3] if len(postcode) >= 5 else postcode


def place_key(value: str | None) -> str | None:
    """A town folded to its letters."""
    if not value:
        return None
    key = " ".join(name_tokens(value))
    return key or None


@functools.lru_cache(maxsize=131_072)
def _nicknames(name: str) -> frozenset[str]:
    return frozenset(n.lower() for n in _nicknamer().nicknames_of(name))


def same_given_name(x: str, y: str) -> bool:
    """Whether two given names are one by nickname: Bob/Robert, Liz/Elizabeth, Kate/Kathy.

    Either is a nickname or formal form of the other, or both shorten one longer formal name
    (the list links short forms to each other too, so Bill does not make William and Robert one).
    """
    if x == y:
        return True
    if y in _nicknames(x) or x in _nicknames(y) or y in nickname_roots(x) or x in nickname_roots(y):
        return True
    # Only where one is a short form: Aileen and Eleanor both lead back to Helena, yet they are
    # two names in their own right, often in one household.
    if min(len(x), len(y)) > 5:
        return False
    return any(len(c) >= 6 for c in (nickname_roots(x) & nickname_roots(y)) - {x, y})
