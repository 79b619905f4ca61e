"""Cleaning imported values: one function per kind of field, each fast on the common case.

Every cleaner takes a raw cell (text, number, date or ``None``) and returns the value to store, or
raises :class:`~crm.errors.ValidationError` with a plain reason. ``None`` means "blank": a blank
cell never erases a stored value. The slow, thorough checks in :mod:`crm.validation` run only
when the quick test of the common shape fails, so 100,000 rows clean in well under a second.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Container, Iterable
from typing import Any

from crm.errors import ValidationError
from crm.models import NATIONS
from crm.text import clean_multiline, clean_text
from crm.validation import EXCEL_CELL_LIMIT, normalise_email, normalise_phone, normalise_postcode

Cleaner = Callable[[Any], Any]

EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 once its 1900 leap-year bug is allowed for
MAX_EXCEL_SERIAL = 2_958_465  # 31/12/9999


# UTF-8 read as Windows-1252 somewhere along the way ("SiÃ¢n" for "Siân", "â€™" for "’").
_MOJIBAKE_HINT = re.compile(
    "[ÃÂÅÄâ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u2122]"
)


def repair_mojibake(value: Any) -> str | None:
    """The text a double-decoded value was meant to be ("SiÃ¢n" → "Siân"), or ``None`` when it
    is not garbled text. ftfy does the repair; it leaves text alone unless it is sure."""
    if type(value) is not str or value.isascii() or not _MOJIBAKE_HINT.search(value):
        return None
    import ftfy

    fixed = ftfy.fix_encoding(value)
    return fixed if fixed != value else None


_TEXT_FORCED = re.compile(r'="((?:[^"]|"")*)"')


def unforce_text(value: str) -> str:
    """="0131 496 0000" → 0131 496 0000: how spreadsheets are told to keep a value as text (for
    headings too). Anything else is returned as it is, the same object."""
    forced = _TEXT_FORCED.fullmatch(value)
    return forced.group(1).replace('""', '"') if forced else value


_MADE_SAFE = frozenset("=+-@＝＋－＠")


def text(value: Any) -> str | None:
    """Trimmed text without invisible characters; ``None`` for blank."""
    if value is None:
        return None
    if type(value) is str:
        if not value:
            return None
        if (
            value.isascii()
            and value.isprintable()
            and value[0] not in " '="
            and value[-1] != " "
            and "  " not in value
        ):
            return value
        cleaned = clean_text(value)
        if cleaned and cleaned[0] == "=" and (unforced := unforce_text(cleaned)) is not cleaned:
            return clean_text(unforced)
        if cleaned and cleaned[0] == "'" and cleaned[1:2] in _MADE_SAFE:
            # Kindred's own CSV exports (and OWASP's advice) put an apostrophe before a value that
            # would start a formula ("'+353 1 234 5678"): the value is what follows it.
            return cleaned[1:]
        return cleaned
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean_text(value)


def already_clean(
    cleaner: Cleaner, values: Iterable[str], *, limit: int, blanks: Container[str] = ()
) -> dict[str, str]:
    """The ``values`` (distinct texts of one column) that ``cleaner`` would return unchanged (or,
    for email, lower-cased) by its quick test, with what it returns; the rest need the cleaner.

    Plain typed values are most of a list: printable, trimmed, single-spaced, not starting a
    formula, at most ``limit`` characters, not in ``blanks`` (lower-cased placeholders such as
    "n/a"), and ASCII or else composed (NFC) without garbled accents or unreadable characters. Testing a whole column's values in one comprehension costs a fraction of a call per
    value. Other cleaners get nothing back.
    """
    plain = [
        v
        for v in values
        if v
        and v.isprintable()  # no control, invisible or unusual space characters
        and v[0] not in " '="
        and v[-1] != " "
        and "  " not in v
        and len(v) <= limit
        and (
            v.isascii()
            # Accented text as it should be: composed, readable, not garbled.
            or (unicodedata.is_normalized("NFC", v) and "\ufffd" not in v and not _MOJIBAKE_HINT.search(v))
        )
    ]
    if cleaner is text:
        return {v: v for v in plain if v.lower() not in blanks}
    if cleaner is email:
        # No placeholder looks like an address.
        match = _SIMPLE_EMAIL.match
        return {v: lowered for v in plain if len(lowered := v.lower()) <= 254 and match(lowered)}
    if cleaner is postcode:
        match = _POSTCODE_CANONICAL.match
        return {v: v for v in plain if match(v)}
    if cleaner is phone:
        # UK numbers typed as digits and spaces ("0131 348 5000", "07700900123"): grouped as
        # phone() groups them, without its checks for other shapes. No placeholder is all digits.
        out: dict[str, str] = {}
        for v in plain:
            national = v.replace(" ", "")
            if (
                len(national) == 11
                and national[0] == "0"
                and national[1] != "0"
                and national.isascii()
                and national.isdigit()
            ):
                try:
                    cleaned = _uk_national(national, v)
                except ValidationError:
                    continue  # the cleaner says why
                if len(cleaned) <= limit:
                    out[v] = cleaned
        return out
    return {}


def multiline(value: Any) -> str | None:
    if isinstance(value, str):
        return clean_multiline(value)
    return text(value)


def check_excel_limit(value: Any) -> None:
    if isinstance(value, str) and len(value) > EXCEL_CELL_LIMIT:
        raise ValidationError(
            f"the cell holds {len(value):,} characters, more than a spreadsheet cell can hold ({EXCEL_CELL_LIMIT:,})"
        )


# --- Email --------------------------------------------------------------------------------------

_SIMPLE_EMAIL = re.compile(
    r"^[a-z0-9_%+'-]+(?:\.[a-z0-9_%+'-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$"
)


_ANGLE_ADDRESS = re.compile(r"<\s*(?:mailto:)?([^<>\s]+@[^<>\s]+?)\s*>")
_ADDRESS_SEPARATORS = re.compile(r"[;,/|\s]+")


def email(value: Any) -> str | None:
    """A lower-cased, syntax-checked email address; "Ann Lee <ann@example.org>" gives the address."""
    raw = text(value)
    if raw is None:
        return None
    lowered = raw.lower()
    if len(lowered) <= 254 and _SIMPLE_EMAIL.match(lowered):
        return lowered
    angle = _ANGLE_ADDRESS.findall(raw)
    if len(angle) == 1 and raw.count("@") == 1:
        raw = angle[0]
    try:
        return normalise_email(raw)
    except ValidationError as exc:
        raise ValidationError(f"{raw!r} is not a valid email address", "email") from exc


def addresses_in(value: Any) -> list[str]:
    """Every email address a cell holds, in order ("a@x.org; b@y.org", "jo@x.org (work)")."""
    raw = text(value)
    if raw is None or "@" not in raw:
        return []
    found: list[str] = []
    for token in _ADDRESS_SEPARATORS.split(raw):
        token = token.strip("<>()[]\"'").removeprefix("mailto:")
        if "@" not in token:
            continue
        try:
            address = email(token)
        except ValidationError:
            continue
        if address and address not in found:
            found.append(address)
    return found


# --- Phone --------------------------------------------------------------------------------------

_NON_DIGIT = re.compile(r"[^\d+]")
# (first six digits, length) → lengths of the groups phonenumbers formats a UK national number in
# (None: not a plain grouping of its digits), for the next number of the same shape.
_UK_SHAPES: dict[tuple[str, int], tuple[int, ...] | None] = {}
# (phonenumbers' UK format, length) → the same: numbers with other leading digits that share a
# format (every 07… mobile, most 01… and 02… landlines) are grouped alike.
_UK_FORMAT_SHAPES: dict[tuple[int, int], tuple[int, ...] | None] = {}


def phone(value: Any) -> str | None:
    """UK numbers in national format ("0131 348 5000"), others in international format.

    phonenumbers is thorough but takes tens of microseconds a call, over a hundred for the first
    number of a kind. UK numbers format by the first of phonenumbers' UK formats whose leading
    digits and shape they match, and numbers of one format and length are grouped alike: the
    grouping found for one number is reused for the next with the same leading digits, or else
    the same format (found with phonenumbers' own patterns, as phonenumbers finds it).
    """
    if isinstance(value, float) and value.is_integer():
        value = str(int(value))  # a number cell: the leading zero was lost; normalise_phone restores it
    raw = text(value)
    if raw is None:
        return None
    digits = _NON_DIGIT.sub("", raw)
    national: str | None = None
    if digits.startswith("+44") and len(digits) == 13:
        national = "0" + digits[3:]
    elif digits.startswith("0") and len(digits) == 11 and digits.isdigit():
        national = digits
    elif digits.startswith("7") and len(digits) == 10 and digits.isdigit():
        national = "0" + digits
    if national is not None and national[1] != "0":
        return _uk_national(national, raw)
    return _full_phone(raw)


def _uk_national(national: str, raw: str) -> str:
    """:func:`phone` for a UK national number (11 digits from 01 to 09) typed as ``raw``."""
    key = (national[:6], len(national))
    if key in _UK_SHAPES:
        groups = _UK_SHAPES[key]
    else:
        by_format = _uk_format(national[1:])
        if by_format is not None and (by_format, len(national)) in _UK_FORMAT_SHAPES:
            groups = _UK_SHAPES[key] = _UK_FORMAT_SHAPES[(by_format, len(national))]
        else:
            formatted = _full_phone(raw)
            parts = formatted.split(" ")
            groups = tuple(len(p) for p in parts) if "".join(parts) == national else None
            _UK_SHAPES[key] = groups
            if by_format is not None:
                _UK_FORMAT_SHAPES[(by_format, len(national))] = groups
            return formatted
    if groups is None:
        return _full_phone(raw)
    parts, start = [], 0
    for size in groups:
        parts.append(national[start : start + size])
        start += size
    return " ".join(parts)


_UK_FORMATS: list[tuple[re.Pattern[str] | None, re.Pattern[str]]] | None = None


def _uk_format(number: str) -> int | None:
    """Which of phonenumbers' UK formats a national significant number (no leading 0) takes:
    the first whose last, most detailed leading-digits pattern matches its start and whose
    pattern matches it whole, as phonenumbers chooses (``None``: none does)."""
    global _UK_FORMATS
    if _UK_FORMATS is None:
        from phonenumbers import PhoneMetadata

        metadata = PhoneMetadata.metadata_for_region("GB")
        formats = metadata.number_format if metadata is not None else []
        _UK_FORMATS = [
            (
                re.compile(f.leading_digits_pattern[-1]) if f.leading_digits_pattern else None,
                re.compile(str(f.pattern)),
            )
            for f in formats
        ]
    for index, (leading, pattern) in enumerate(_UK_FORMATS):
        if (leading is None or leading.match(number)) and pattern.fullmatch(number):
            return index
    return None


def _full_phone(raw: str) -> str:
    try:
        result = normalise_phone(raw)
    except ValidationError as exc:
        raise ValidationError(f"{raw!r} is not a phone number", "phone") from exc
    assert result is not None
    return result


# --- Postcode, nation, yes/no ------------------------------------------------------------------


# The shape normalise_postcode returns: already-clean postcodes need no further work.
_POSTCODE_CANONICAL = re.compile(
    r"^(?:GIR 0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? [0-9][ABD-HJLNP-UW-Z]{2})$"
)


def postcode(value: Any) -> str | None:
    """A UK postcode in capitals with its space. Anything else raises, so the caller can keep it
    as typed and flag it (overseas codes are legitimate)."""
    raw = text(value)
    if raw is None:
        return None
    if _POSTCODE_CANONICAL.match(raw):
        return raw
    try:
        return normalise_postcode(raw, strict=True)
    except ValidationError as exc:
        raise ValidationError(f"{raw!r} is not a UK postcode", "postcode") from exc


_NATIONS = {n.lower(): n for n in NATIONS} | {
    "uk": None,
    "n ireland": "Northern Ireland",
    "ni": "Northern Ireland",
    "cymru": "Wales",
    "alba": "Scotland",
}


def nation(value: Any) -> str | None:
    raw = text(value)
    if raw is None:
        return None
    key = raw.lower().replace(".", "")
    if _NATIONS.get(key):
        return _NATIONS[key]
    return raw


# Plain yes and no, whatever the column asks; each kind of column adds its own words to these.
PLAIN_YES = frozenset({"yes", "y", "true", "t", "1", "x", "✓", "✔", "ticked", "on"})
PLAIN_NO = frozenset({"no", "n", "false", "f", "0", "off"})
# The opt-out and do-not-contact columns: mailing tools write "unsubscribed" and "subscribed".
_TRUE = PLAIN_YES | {"unsubscribed", "opted out", "opt out", "do not contact"}
_FALSE = PLAIN_NO | {"-", "subscribed", "opted in", "opt in"}


def yes_no(value: Any) -> bool | None:
    """Yes/No, True/False, 1/0, x. Blank is ``None`` (leave as is)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    raw = text(value)
    if raw is None:
        return None
    key = raw.lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValidationError(f"{raw!r} is not yes or no")


# --- Dates --------------------------------------------------------------------------------------

# A date, maybe followed by a time of day (Excel's UK CSV writes "01/03/2024 10:15").
_DATE_NUMERIC = re.compile(
    r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?:[ T]+\d{1,2}[:.]\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?)?$",
    re.IGNORECASE,
)
_MONTHS = {
    m.lower(): i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_DATE_WORDS = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([a-z]+)\.?,?[\s\-]+(\d{2,4})$")
_DATE_WORDS_MONTH_FIRST = re.compile(r"^([a-z]+)\.?[\s\-]+(\d{1,2})(?:st|nd|rd|th)?,?[\s\-]+(\d{4})$")
_WEEKDAY = re.compile(r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+")
_TIME_AFTER = re.compile(r"(?:,?\s+(?:at\s+)?\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?)$")


def date_order_hint(values: list[Any]) -> str | None:
    """ "dmy" or "mdy" when a column's text dates settle the order (a part above 12), else ``None``."""
    day_first = month_first = False
    for value in values:
        if isinstance(value, str) and (m := _DATE_NUMERIC.match(value.strip())) and len(m.group(1)) <= 2:
            a, b = int(m.group(1)), int(m.group(2))
            day_first |= a > 12 >= b
            month_first |= b > 12 >= a
    if day_first and not month_first:
        return "dmy"
    if month_first and not day_first:
        return "mdy"
    return None


def parse_date(value: Any, order: str | None = None) -> tuple[dt.date | None, str | None]:
    """A date from a date cell, an Excel serial number or text; day-first (UK) unless ``order``
    is "mdy". Returns (date, warning); the warning says when the text could be read both ways.

    Raises:
        ValidationError: not a date.
    """
    if value is None or value == "":
        return None, None
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value <= MAX_EXCEL_SERIAL:
            return EXCEL_EPOCH + dt.timedelta(days=int(value)), None
        raise ValidationError(f"{value!r} is not a date")
    raw = text(value)
    if raw is None:
        return None, None
    if re.fullmatch(r"\d{5}(\.\d+)?", raw):  # a serial number that arrived as text (CSV from Excel)
        return parse_date(float(raw), order)
    m = _DATE_NUMERIC.match(raw)
    try:
        if m:
            a, b, c = m.group(1), m.group(2), m.group(3)
            if len(a) == 4:
                return dt.date(int(a), int(b), int(c)), None
            year = _year(c)
            first, second = int(a), int(b)
            if order == "mdy":
                return dt.date(year, first, second), None
            day, month = (first, second)
            warning = None
            if order is None and first <= 12 and second <= 12 and first != second:
                result = dt.date(year, month, day)
                warning = f"{raw!r} could be read either way: taken as {result:%-d %B %Y} (day first)"
                return result, warning
            return dt.date(year, month, day), warning
        words = _TIME_AFTER.sub("", _WEEKDAY.sub("", raw.lower()))
        m = _DATE_WORDS.match(words)
        if m and m.group(2) in _MONTHS:
            return dt.date(_year(m.group(3)), _MONTHS[m.group(2)], int(m.group(1))), None
        m = _DATE_WORDS_MONTH_FIRST.match(words)  # "Mar 1, 2024", "March 1st 2024"
        if m and m.group(1) in _MONTHS:
            return dt.date(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2))), None
        return dt.date.fromisoformat(raw[:10]), None
    except ValueError as exc:
        raise ValidationError(f"{raw!r} is not a date") from exc


def _year(text_: str) -> int:
    year = int(text_)
    if year < 100:
        year += 2000 if year < 70 else 1900
    return year


# --- Names --------------------------------------------------------------------------------------

TITLES = {
    t.lower().rstrip("."): t
    for t in (
        "Mr",
        "Mrs",
        "Ms",
        "Miss",
        "Mx",
        "Dr",
        "Prof",
        "Professor",
        "Cllr",
        "Councillor",
        "Sir",
        "Dame",
        "Lord",
        "Lady",
        "Baroness",
        "Baron",
        "Rev",
        "Revd",
        "Reverend",
        "Rt Hon",
        "Hon",
        "Fr",
        "Capt",
    )
}
POST_NOMINALS = frozenset(
    {
        "msp",
        "ms",
        "mp",
        "mla",
        "mbe",
        "obe",
        "cbe",
        "kbe",
        "dbe",
        "phd",
        "frse",
        "fcipd",
        "qc",
        "kc",
        "frs",
        "ma",
        "msc",
        "bsc",
        "ba",
        "dl",
        "jp",
        "fcca",
        "fca",
        "frcp",
        "frsa",
        "cb",
        "kcb",
        "dcb",
        "cvo",
        "lvo",
        "mvo",
        "qpm",
        "bem",
        "llb",
        "mba",
        "mphil",
        "dphil",
        "ceng",
    }
)
# Generational suffixes stay with the surname's side of the name, not as the surname.
_GENERATIONS = frozenset({"jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii", "iv"})


def split_name(full: Any) -> dict[str, str]:
    """Split "Dr Jane Smith OBE" or a sort name "Smith, Dr Jane" into title, first, last, post-nominals.

    The last word is the surname, except that Gaelic, Welsh and Dutch particles stay with it
    ("Seán Ó Floinn", "Ni Bhriain", "van der Berg").
    """
    raw = text(full)
    if raw is None:
        return {}
    out: dict[str, str] = {}
    if raw.count(",") == 1:
        surname, rest = (p.strip() for p in raw.split(","))
        # "Smith, Jane" is a sort name; "Jane Smith, OBE" carries post-nominals
        if rest and rest.replace(".", "").lower() not in POST_NOMINALS and surname:
            words = rest.split()
            title_words, words = _take_title(words)
            if title_words:
                out["title"] = title_words
            if words:
                out["first_name"] = " ".join(words)
            out["last_name"] = surname
            return out
        raw = raw.replace(",", " ")
    words = raw.split()
    title_words, words = _take_title(words)
    if title_words:
        out["title"] = title_words
    nominals: list[str] = []
    while len(words) > 1 and words[-1].replace(".", "").replace(",", "").lower() in POST_NOMINALS:
        nominals.insert(0, words.pop())
    if nominals:
        out["post_nominals"] = " ".join(nominals)
    if not words:
        return out
    if len(words) == 1:
        out["last_name"] = words[0]
        return out
    cut = len(words) - 1
    if len(words) > 2 and words[-1].replace(".", "").lower() in _GENERATIONS:
        cut -= 1  # "John Smith Jr": the surname is "Smith Jr"
    while cut > 1 and words[cut - 1].lower() in _PARTICLES:
        cut -= 1
    out["first_name"] = " ".join(words[:cut])
    out["last_name"] = " ".join(words[cut:])
    return out


_PARTICLES = frozenset(
    {
        "ó",
        "o",
        "ní",
        "ni",
        "nic",
        "mac",
        "mc",
        "ap",
        "van",
        "von",
        "der",
        "den",
        "de",
        "la",
        "le",
        "da",
        "di",
        "du",
        "bin",
        "al",
        "el",
        "uí",
        "ui",
    }
)


def _take_title(words: list[str]) -> tuple[str | None, list[str]]:
    titles: list[str] = []
    while words:
        key = words[0].lower().rstrip(".")
        if (
            key == "the"
            and len(words) > 2
            and words[1].lower().rstrip(".") in ("rt", "right", "hon", "honourable")
        ):
            words = words[1:]  # "The Rt Hon …": "the" belongs to the style, not the name
            continue
        if key == "right" and len(words) > 2 and words[1].lower().rstrip(".") in ("hon", "honourable"):
            titles.append("Rt Hon")
            words = words[2:]
            continue
        if key == "rt" and len(words) > 1 and words[1].lower().rstrip(".") == "hon":
            titles.append("Rt Hon")
            words = words[2:]
            continue
        if key in TITLES and len(words) > 1:
            titles.append(TITLES[key])
            words = words[1:]
            continue
        break
    return (" ".join(titles) or None), words


_TAG_SEPARATORS = re.compile(r"[;,|]")


def split_tags(value: Any) -> list[str]:
    """Tags typed in one cell: separated by semicolons, commas or line breaks."""
    if type(value) is str and value.isascii() and value.isprintable() and not _TAG_SEPARATORS.search(value):
        one = text(value)
        return [one] if one else []
    raw = multiline(value)
    if raw is None:
        return []
    parts = re.split(r"[;,\n|]", raw)
    out: list[str] = []
    for part in parts:
        cleaned = clean_text(
            part.strip().strip("\"'\u201c\u201d\u2018\u2019")
        )  # Mailchimp: "Policy","Events"
        if cleaned and cleaned.lower() not in {o.lower() for o in out}:
            out.append(cleaned)
    return out
