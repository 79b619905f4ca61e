"""Text helpers shared by the services, search, import and export."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

# Zero-width and other invisible characters that arrive from web forms and PDFs.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e"), None
)
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
_ORG_NOISE = re.compile(r"\b(the|ltd|limited|plc|llp|cic|scio|inc)\b")
_NON_WORD = re.compile(r"[^\w]+")
_WORD = re.compile(r"\w+")


def clean_text(value: object) -> str | None:
    """Trim, drop invisible characters, fold runs of white space; ``None`` for empty."""
    if value is None:
        return None
    text = str(value).translate(_INVISIBLE)
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub(" ", text).strip()
    return text or None


def clean_multiline(value: object) -> str | None:
    """Like :func:`clean_text` but keeps line breaks (notes, addresses)."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value).translate(_INVISIBLE)).replace("\r\n", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines).strip()
    return joined or None


@functools.lru_cache(maxsize=8_192)
def fold(text: str) -> str:
    """Lower-case without accents: "Seán Ó Floinn" → "sean o floinn".

    Cached: names, towns and organisations repeat throughout a contact list.
    """
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def organisation_key(name: str) -> str:
    """The key organisations are matched on: case, accents, punctuation, "The" and "Ltd" ignored."""
    folded = fold(name).replace("&", " and ")
    words = _NON_WORD.sub(" ", folded)
    words = _ORG_NOISE.sub(" ", words)
    return " ".join(words.split())


def search_digest(*parts: str | None) -> str:
    """The text a person is found by: folded words, plus each word with its punctuation squeezed
    out so that "oneill" finds "O'Neill" and "smithjones" finds "Smith-Jones".

    The words of every part come first, then the squeezed forms. Parts are worked out separately
    (and remembered, since towns, organisations and job titles repeat): folding and splitting never
    cross the space that joins two parts, so this is the digest of the parts joined by spaces.
    """
    return " ".join(digest_pieces(parts))


def digest_pieces(parts: Iterable[str | None]) -> list[str]:
    """:func:`search_digest` before its final join: pieces of words to be joined by spaces.

    For callers that add words of their own to the end (phone numbers) with one join for all:
    an import computes this once per new person.
    """
    pieces: list[str] = []
    squeezed: list[str] = []
    for part in parts:
        if part:
            part_words, part_squeezed = _digest_part(part)
            if part_words:
                pieces.append(part_words)
            if part_squeezed:
                squeezed.append(part_squeezed)
    if squeezed:
        pieces += squeezed
    return pieces


@functools.lru_cache(maxsize=8_192)
def _digest_part(part: str) -> tuple[str, str]:
    """One part's words and squeezed forms, each joined by spaces (either may be empty).

    Worked out a word (run of non-spaces) at a time: most words are letters or digits only, and
    are taken as they are; only the rest (emails, "O'Neill", "Smith-Jones") go through the
    pattern. The result is the same as splitting the whole folded part, since every kind of white
    space is also a non-word character.
    """
    folded = part.lower() if part.isascii() else fold(part)
    if folded.isalnum():  # one plain word: most first names, surnames and towns
        return folded, ""
    words: list[str] = []
    extra: list[str] = []
    for token in folded.split():
        if token.isalnum():
            words.append(token)
            continue
        pieces = _WORD.findall(token)
        words += pieces
        # The squeezed form: the word runs put together (what removing the rest leaves).
        squeezed = "".join(pieces)
        if len(squeezed) > 1:
            extra.append(squeezed)
    return " ".join(words), " ".join(extra)


def sort_key(last_name: str | None, first_name: str | None, fallback: str | None = None) -> str:
    """How people sort by name: by surname then forename, accents and case ignored, so that
    "Ó Floinn" sorts among the Os rather than after "Zyw"."""
    if last_name:
        return f"{fold(last_name)} {fold(first_name or '')}".strip()[:300]
    return fold(first_name or fallback or "")[:300]


def search_tokens(query: str) -> list[str]:
    """Words of a search box query, folded like the digest."""
    return [t for t in _NON_WORD.sub(" ", fold(query)).split() if t]
