"""Names as rosters write them, reduced to what matching compares.

Rosters give one name field in several forms: "Ms Diane Abbott", "Abbott, Ms Diane", "Rt Hon Sir
Keir Starmer KCB KC MP", "Ó Floinn, Seán". :func:`name_key` reduces each to folded "forename
surname" words without titles, honours or letters, so the forms compare equal.
"""

from __future__ import annotations

import functools
import re

from crm.text import clean_text, fold

TITLES = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "professor",
        "sir",
        "dame",
        "lord",
        "lady",
        "baroness",
        "baron",
        "viscount",
        "earl",
        "rev",
        "revd",
        "reverend",
        "cllr",
        "councillor",
        "hon",
        "rt",
        "right",
        "honourable",
        "the",
    }
)
# Letters after a name: parliaments, honours, professions.
POST_NOMINAL_WORDS = frozenset(
    {
        "msp",
        "mp",
        "ms",
        "am",
        "mla",
        "mep",
        "kc",
        "qc",
        "pc",
        "obe",
        "mbe",
        "cbe",
        "kbe",
        "dbe",
        "kcb",
        "frse",
        "frs",
        "fmedsci",
        "jp",
        "dl",
        "phd",
    }
)
# Titles worth keeping on the record (honorifics a letter uses), by their folded form.
KEPT_TITLES = {
    "mr": "Mr",
    "mrs": "Mrs",
    "ms": "Ms",
    "miss": "Miss",
    "mx": "Mx",
    "dr": "Dr",
    "prof": "Prof",
    "professor": "Professor",
    "sir": "Sir",
    "dame": "Dame",
    "lord": "Lord",
    "lady": "Lady",
    "baroness": "Baroness",
    "rev": "Rev",
    "revd": "Revd",
    "cllr": "Cllr",
}
_WORDS = re.compile(r"[^\w']+")
_PARENS = re.compile(r"\([^)]*\)")
# "Ms" is a title before a name and Senedd letters after it: only the last words are letters.


@functools.lru_cache(maxsize=16_384)
def name_key(name: str | None) -> str:
    """Folded forename and surname words: titles, honours and letters dropped, "Surname, Forename"
    turned round. Empty when nothing is left."""
    text = clean_text(name)
    if not text:
        return ""
    text = _PARENS.sub(" ", text)
    if text.count(",") == 1:
        surname, rest = (p.strip() for p in text.split(","))
        rest_words = _WORDS.sub(" ", fold(rest)).split()
        # "Smith, Jane" but not "Jane Smith, MSP" (letters after a comma)
        if rest_words and not all(w in POST_NOMINAL_WORDS for w in rest_words):
            text = f"{rest} {surname}"
        else:
            text = surname
    words = [w.replace("'", "") for w in _WORDS.sub(" ", fold(text)).split()]
    words = [w for w in words if w]
    while words and words[0] in TITLES:
        words.pop(0)
    while len(words) > 1 and words[-1] in POST_NOMINAL_WORDS:
        words.pop()
    return " ".join(words)


def person_key(first: str | None, last: str | None) -> str:
    """The :func:`name_key` of a stored person's first and last name."""
    return name_key(" ".join(p for p in (first, last) if p))


def split_name(
    name: str | None, *, sort_name: str | None = None
) -> tuple[str | None, str | None, str | None]:
    """(title, first name, last name) of a roster's one name field.

    ``sort_name`` ("Abbott, Diane" or "Abbott Diane"), when the roster has one, says where the
    surname starts: "Ruth Davidson" is easy, "Anas Sarwar" too, but "Fergus Ewing" and "Mairi
    McAllan" only guess right because the last word is the surname, which ``sort_name`` confirms
    for "Pam Duncan-Glancy" and "Christine Grahame" alike.
    """
    text = clean_text(name)
    if not text:
        return None, None, None
    text = clean_text(_PARENS.sub(" ", text)) or text
    if text.count(",") == 1:
        surname, rest = (p.strip() for p in text.split(","))
        rest_words = fold(rest).split()
        if rest_words and not all(w.strip(".") in POST_NOMINAL_WORDS for w in rest_words):
            text = f"{rest} {surname}"
    words = text.split()
    title_words: list[str] = []
    while len(words) > 1 and fold(words[0]).strip(".") in TITLES:
        title_words.append(words.pop(0))
    while len(words) > 1 and fold(words[-1]).strip(".") in POST_NOMINAL_WORDS:
        words.pop()
    title = None
    for word in reversed(title_words):  # "Rt Hon Sir" → "Sir"
        kept = KEPT_TITLES.get(fold(word).strip("."))
        if kept:
            title = kept
            break
    if len(words) == 1:
        return title, None, words[0]
    surname_words = 1
    if sort_name:
        sort_text = clean_text(sort_name) or ""
        head = sort_text.split(",")[0] if "," in sort_text else ""
        if head:
            n = len(head.split())
            if 0 < n < len(words) and fold(" ".join(words[-n:])) == fold(head.strip()):
                surname_words = n
    # Gaelic and Irish particles belong to the surname ("Ó Floinn", "Mac an t-Saoir").
    while len(words) - surname_words > 1 and fold(words[-surname_words - 1]) in {
        "o",
        "mac",
        "van",
        "de",
        "da",
        "von",
        "le",
        "la",
        "du",
        "di",
    }:
        surname_words += 1
    return title, " ".join(words[:-surname_words]), " ".join(words[-surname_words:])


VACANT = frozenset(
    {"vacant", "vacancy", "vacant seat", "seat vacant", "tbc", "tba", "to be confirmed", "none"}
)


def is_vacant(name: str | None) -> bool:
    """An empty or placeholder seat ("Vacant", "(vacant)", "—"): not a person."""
    text = clean_text(name)
    if not text:
        return True
    key = " ".join(_WORDS.sub(" ", fold(text)).split())
    return not key or key in VACANT or key.startswith("vacant ")
