"""Which column holds which field: header-row detection, synonyms, remembered mappings.

A mapping is a dict of column index → field name (columns not in it are ignored). Mappings the
user confirmed are remembered by the *set* of normalised headings, so the same list arriving next
month with its columns moved still maps itself.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from crm.importing import channels as labelled
from crm.importing.cleaning import TITLES
from crm.models import PERSON_FIELD_LABELS
from crm.text import fold

MAPPINGS_FILE = "import-mappings.json"
MAX_REMEMBERED = 200

# Fields an imported column can fill, with the label shown in the wizard. Besides the person's own
# fields: a full or sort name to split, the organisation, per-row network, role, tags and type,
# elected office (party, constituency, chamber) and dates.
FIELD_LABELS: dict[str, str] = {
    "full_name": "Full name (split into title, first, last)",
    **{k: v for k, v in PERSON_FIELD_LABELS.items()},
    **labelled.CHANNEL_FIELD_LABELS,
    "organisation": "Organisation",
    "network": "Network",
    "role": "Role in network",
    "joined_on": "Date joined network",
    "cohort": "Cohort (in the network)",
    "working_group": "Working group (in the network)",
    "tags": "Tags",
    "type": "Stakeholder type",
    "party": "Party",
    "constituency": "Constituency or ward",
    "chamber": "Chamber or council",
    "last_contacted": "Last contacted",
    "kindred_id": "Kindred ID (finds the person in Kindred)",
}
FIELDS: tuple[str, ...] = tuple(FIELD_LABELS)

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("title", "salutation", "honorific", "prefix", "mr mrs ms"),
    "first_name": (
        "first name",
        "firstname",
        "forename",
        "forenames",
        "given name",
        "given names",
        "christian name",
        "first",
        "fname",
        "first names",
    ),
    "last_name": (
        "last name",
        "lastname",
        "surname",
        "family name",
        "second name",
        "last",
        "lname",
        "sur name",
    ),
    "full_name": (
        "name",
        "full name",
        "fullname",
        "contact name",
        "contact",
        "person",
        "attendee",
        "attendee name",
        "delegate",
        "delegate name",
        "sort name",
        "display name",
        "your name",
        "participant",
        "member name",
        "name surname title firstname",
        "surname title firstname",
        "first and last name",
        "first name and surname",
        "first name and last name",
        "forename and surname",
        "name and surname",
        "names",
        "main contact",
        "primary contact",
        "key contact",
        "contact person",
        "guest name",
        "msp name",
        "mp name",
        "ms name",
        "councillor name",
        "councillor",
        "representative name",
        "speaker name",
        "respondent name",
        "customer name",
        "volunteer name",
        "participant name",
        "name display as",
        "name list as",
        "display as",
        "list as",
    ),
    "preferred_name": ("preferred name", "known as", "nickname", "preferred first name"),
    "post_nominals": ("post nominals", "postnominals", "letters after name", "honours"),
    "pronouns": ("pronouns", "pronoun"),
    "job_title": (
        "job title",
        "jobtitle",
        "position",
        "job",
        "job role",
        "designation",
        "occupation",
        "post",
        "role title",
        "job title role",
        "job title position",
        "role job title",
    ),
    "organisation": (
        "organisation",
        "organization",
        "company",
        "employer",
        "organisation company",
        "organization company",
        "company organisation",
        "org",
        "organisation name",
        "organization name",
        "company name",
        "body",
        "institution",
        "agency",
        "affiliation",
        "organisation employer",
        "place of work",
        "charity",
        "charity name",
        "business name",
        "employer name",
        "institution name",
        "school",
        "university",
    ),
    "email": (
        "email",
        "e mail",
        "email address",
        "e mail address",
        "mail",
        "work email",
        "email 1",
        "emailaddress",
        "contact email",
        "your email",
    ),
    "phone": (
        "phone",
        "telephone",
        "tel",
        "phone number",
        "telephone number",
        "landline",
        "work phone",
        "direct line",
        "office phone",
        "tel no",
        "phone no",
        "contact number",
    ),
    "mobile": (
        "mobile",
        "mobile phone",
        "mobile number",
        "cell",
        "cell phone",
        "mob",
        "mobile no",
        "cellphone",
        "mobile phone number",
        "mobile telephone",
        "mobile telephone number",
        "mobile tel",
    ),
    "address_line1": (
        "address",
        "address 1",
        "address line 1",
        "street",
        "address1",
        "street address",
        "line 1",
        "addr 1",
    ),
    "address_line2": ("address 2", "address line 2", "address2", "line 2", "addr 2"),
    "address_line3": ("address 3", "address line 3", "address3", "line 3", "locality", "district"),
    "town": ("town", "city", "town city", "city town", "post town", "town or city"),
    "postcode": (
        "postcode",
        "post code",
        "postal code",
        "zip",
        "zip code",
        "postcode zip",
        "zipcode",
        "pcode",
    ),
    "country": ("country",),
    "nation": ("nation", "uk nation"),
    "region": ("region", "area", "county", "local authority", "council area", "locality area"),
    "notes": (
        "notes",
        "note",
        "comments",
        "comment",
        "remarks",
        "additional information",
        "other information",
    ),
    "source": ("source", "how heard", "lead source", "where from"),
    "do_not_contact": ("do not contact", "dnc", "no contact", "do not contact flag"),
    "email_opt_out": ("unsubscribed", "email opt out", "no email", "opted out", "opt out", "unsubscribe"),
    "post_opt_out": ("no post", "post opt out", "no mail"),
    "network": ("network", "group", "programme", "network name", "networks", "groups"),
    "role": ("network role", "role", "member role", "role in network", "membership role"),
    "joined_on": ("joined", "date joined", "joined on", "member since", "joined network"),
    "cohort": ("cohort", "network cohort", "cohort name", "intake"),
    "working_group": (
        "working group",
        "working groups",
        "network group",
        "regional hub",
        "hub",
        "working group name",
    ),
    "tags": ("tags", "tag", "labels", "label", "keywords", "interests", "categories"),
    "type": ("type", "stakeholder type", "contact type", "category", "stakeholder", "kind"),
    "party": ("party", "political party"),
    "constituency": (
        "constituency",
        "ward",
        "seat",
        "electoral ward",
        "constituency region",
        "ward name",
        "constituency name",
    ),
    "chamber": ("chamber", "parliament", "council", "legislature"),
    "last_contacted": ("last contacted", "last contact", "last contact date", "date last contacted"),
    "kindred_id": ("kindred id", "kindred person id", "kindred number"),
}

SYNONYMS: dict[str, str] = {}
for _field, _names in _SYNONYMS.items():
    for _name in _names:
        SYNONYMS.setdefault(_name, _field)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_NOISE = re.compile(r"\b(the|your|of|s|please|optional|required|what|is|are)\b")
_BRACKETS = re.compile(r"\(([^)]*)\)")
# Words too general to name a field when other words come before them ("Ticket type", "Age
# group", "Event name"): they count only as the whole heading.
_WEAK_SUFFIXES = frozenset(
    [
        "name",
        "contact",
        "person",
        "attendee",
        "delegate",
        "participant",
        "first",
        "last",
        "post",
        "body",
        "job",
        "mail",
        "cell",
        "seat",
        "council",
        "parliament",
        "area",
        "type",
        "kind",
        "category",
        "tag",
        "label",
        "labels",
        "role",
        "group",
        "groups",
        "programme",
        "position",
        "designation",
        "prefix",
        "title",
        "source",
        "note",
        "comment",
        "zip",
        "salutation",
    ]
)
# Words that, before "name", make it a person's name ("MSP name", "Guest name").
_PERSON_WORDS = frozenset(
    [
        "msp",
        "mp",
        "ms",
        "mla",
        "councillor",
        "member",
        "attendee",
        "guest",
        "delegate",
        "contact",
        "participant",
        "person",
        "respondent",
        "customer",
        "speaker",
        "volunteer",
        "champion",
        "leader",
        "representative",
        "rep",
        "visitor",
        "applicant",
        "nominee",
    ]
)
# Headings about someone other than the person listed: used only when nothing better is there.
_OTHER_PARTY = re.compile(
    r"\b(buyer|purchaser|billing|booker|booked by|ordered by|payer|assistant|manager s)\b"
)


def normalise_heading(heading: str) -> str:
    """ "E-mail Address:" → "e mail address"; accents, case and punctuation ignored."""
    folded = _NON_ALNUM.sub(" ", fold(heading)).strip()
    folded = re.sub(r"\s*\(\d+\)$", "", folded)
    return " ".join(folded.split())


def field_for_heading(heading: str) -> str | None:
    """The field a heading names, by synonym, or ``None``.

    Beyond the synonyms themselves, English puts the word that matters last ("Work email",
    "Organisation/Company name"), so the heading's last words are tried; "Last modified time",
    "Company size" or "Title of talk" therefore name nothing, rather than the wrong field.
    """
    if "@" in heading:
        return None  # an email address: data, not a heading
    key = normalise_heading(heading)
    if not key:
        return None
    if found_labelled := labelled.field_for_heading(key):  # "Work email", "Constituency office address"
        return found_labelled
    if key in SYNONYMS:
        return SYNONYMS[key]
    squeezed = key.replace(" ", "")
    for name, field in SYNONYMS.items():
        if name.replace(" ", "") == squeezed:
            return field
    stripped = " ".join(_NOISE.sub(" ", key).split())
    if stripped in SYNONYMS:
        return SYNONYMS[stripped]
    # A name's order given in brackets: "MSP name (Surname, Firstname)".
    hint = normalise_heading(" ".join(_BRACKETS.findall(heading)))
    base = " ".join(_NOISE.sub(" ", normalise_heading(_BRACKETS.sub(" ", heading))).split()).split()
    if (
        base
        and base[-1] in ("name", "names")
        and any(w in hint for w in ("surname", "last name"))
        and any(w in hint for w in ("first", "forename", "given"))
    ):
        return "full_name"
    while base and base[-1].isdigit():  # "Email address 2", "Home Address 1"
        base.pop()
    if not base or "and" in base:  # "Job title and organisation": two things in one column
        return None
    if " ".join(base) in SYNONYMS:
        found: str | None = SYNONYMS[" ".join(base)]
    else:
        found = None
        for size in (3, 2, 1):
            if len(base) <= size:
                continue
            part = " ".join(base[-size:])
            if part not in SYNONYMS:
                continue
            if size == 1 and part in _WEAK_SUFFIXES:
                if part == "name" and base[-2] in _PERSON_WORDS:
                    found = "full_name"
                break
            found = SYNONYMS[part]
            break
    if found == "phone" and any(w in hint.split() for w in ("mobile", "cell", "mob")):
        return "mobile"  # "Telephone (mobile)"
    return found


def suggest_mapping(
    headers: Sequence[str], *, remembered: bool = True, rows: Sequence[Sequence[Any]] | None = None
) -> dict[int, str]:
    """Column index → field for these headings: a remembered mapping for the same set of headings
    if there is one, otherwise by synonyms. Each field is used once (a second phone becomes the
    mobile). When several columns name the same field, the one whose values in ``rows`` (the
    first data rows) fit it best wins: a web form's own empty "Name" column or its "Email" of
    "anonymous" lose to the answers given; a buyer's email loses to the attendee's."""
    if remembered and not all(_LETTER_HEADING.fullmatch(h) for h in headers):
        found = recall_mapping(headers)
        if found is not None:
            return found
    candidates: dict[str, list[int]] = {}
    exact: set[int] = set()  # columns whose whole heading is a known name for their field
    for index, heading in enumerate(headers):
        field = field_for_heading(heading)
        if field is not None:
            candidates.setdefault(field, []).append(index)
            if _is_exact(heading):
                exact.add(index)
    # A list with no heading row: its columns are judged by their values.
    for index, heading in enumerate(headers):
        if rows and _LETTER_HEADING.fullmatch(heading):
            guess = _guess_from_values(_column_values(rows, index))
            if guess and guess not in candidates:
                candidates[guess] = [index]
    mapping: dict[int, str] = {}
    for wanted, columns in candidates.items():
        # A heading that is wholly a name for the field ("Title") beats one that only ends with
        # one ("Informal salutation"), however empty; then the values decide.
        ranked = sorted(columns, key=lambda i: (i not in exact, -_column_fit(wanted, headers[i], i, rows)))
        mapping[ranked[0]] = wanted
        if wanted == "phone" and len(ranked) > 1 and "mobile" not in candidates:
            mapping[ranked[1]] = "mobile"
    mapping = dict(sorted(mapping.items()))
    used = set(mapping.values())
    # A "Title" column of whole names ("Dr Bob Ray") is a name column, not titles.
    for index, field in list(mapping.items()):
        if (
            field == "title"
            and rows
            and _column_values(rows, index)
            and _column_fit("title", headers[index], index, rows) < 0.5
        ):
            del mapping[index]
            used.discard("title")
            if not used & _NAME_FIELDS:
                mapping[index] = "full_name"
                used.add("full_name")
    # "Role" with no network column is someone's job.
    if "network" not in used:
        for index, field in list(mapping.items()):
            if field == "role" and "job_title" not in used:
                mapping[index] = "job_title"
                used.add("job_title")
    # A "Name" column next to first and last name columns is not to be split.
    if "full_name" in used and ("first_name" in used and "last_name" in used):
        for index, field in list(mapping.items()):
            if field == "full_name":
                del mapping[index]
    return dict(sorted(mapping.items()))


_NAME_FIELDS = frozenset({"full_name", "first_name", "last_name", "preferred_name"})
_LETTER_HEADING = re.compile(r"Column [A-Z]{1,3}")
_PHONE_LIKE = re.compile(r"^\+?[\d ()\-]{7,20}$")
_NAME_LIKE = re.compile(r"^[^\W\d_][\w'’.\-]*(?: [^\W\d_][\w'’.\-]*){1,4}$")


def _column_values(rows: Sequence[Sequence[Any]], index: int) -> list[str]:
    """A column's non-blank values among the first 200 rows, as trimmed text."""
    return [
        text
        for row in rows[:200]
        if index < len(row) and row[index] is not None and (text := str(row[index]).strip())
    ]


def _guess_from_values(texts: Sequence[str]) -> str | None:
    """The field a column without a heading holds, when nearly all its values say so."""
    if not texts:
        return None

    def share(test: Any) -> float:
        return sum(1 for t in texts if test(t)) / len(texts)

    if share(lambda t: "@" in t and " " not in t) >= 0.8:
        return "email"
    if share(lambda t: _PHONE_LIKE.match(t) and sum(c.isdigit() for c in t) >= 9) >= 0.8:
        return "phone"
    if share(lambda t: _NAME_LIKE.match(t)) >= 0.8:
        return "full_name"
    return None


_TITLE_WORDS = frozenset(
    {"the", "right", "honourable", "rt", "hon", "father", "captain", "major", "colonel", "col", "rabbi"}
    | {"imam", "sister", "brother", "canon", "bishop", "pastor", "judge", "sheriff", "provost", "bailie"}
)


def _title_like(value: str) -> bool:
    """ "Dr", "Rt Hon", "Cllr", or something short: not "Dr Bob Ray" or "Dear Ann"."""
    words = [w.lower().rstrip(".") for w in value.split()]
    return all(w in TITLES or w in _TITLE_WORDS for w in words) or (len(words) == 1 and len(value) <= 6)


def _is_exact(heading: str) -> bool:
    key = normalise_heading(heading)
    return key in SYNONYMS or " ".join(_NOISE.sub(" ", key).split()) in SYNONYMS


def _column_fit(field: str, heading: str, index: int, rows: Sequence[Sequence[Any]] | None) -> float:
    """How well a column suits a field: the share of its first values that look right for it,
    less a little for headings about someone else (a buyer, a booker); earlier columns win ties."""
    score = -index / 10_000
    if _OTHER_PARTY.search(normalise_heading(heading)):
        score -= 0.5
    if not rows:
        return score
    values = _column_values(rows, index)
    if not values:
        return score - 1
    if field == "email":
        good = sum(1 for v in values if "@" in v and " " not in v)
    elif field in _NAME_FIELDS:
        good = sum(
            1 for v in values if "@" not in v and not any(c.isdigit() for c in v) and v.lower() != "anonymous"
        )
    elif field == "title":
        good = sum(1 for v in values if _title_like(v))
    elif field in ("phone", "mobile"):
        good = sum(1 for v in values if sum(c.isdigit() for c in v) >= 7)
    else:
        good = len(values)
    return score + good / len(values)


# Lists of elected members say so in their headings, sheet or file name ("MSP name", "MSPs.xlsx").
_OFFICE_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bMSPs?\b|\bmsps?\b|Scottish Parliament", re.IGNORECASE), "msp"),
    (re.compile(r"\bMSs?\b|\bSenedd\b|Members? of the Senedd"), "ms"),
    (re.compile(r"\bMPs?\b|House of Commons", re.IGNORECASE), "mp"),
    (re.compile(r"\bcouncillors?\b|\bcllrs?\b", re.IGNORECASE), "councillor"),
)


def suggest_type(headers: Sequence[str], *names: str | None) -> str | None:
    """The stakeholder type a list of elected members implies by its headings, sheet or file
    name, when exactly one office is named; ``None`` otherwise."""
    text = " ".join([*headers, *(n for n in names if n)])
    found = {kind for pattern, kind in _OFFICE_WORDS if pattern.search(text)}
    return found.pop() if len(found) == 1 else None


def find_header_row(rows: Sequence[Sequence[Any]]) -> int:
    """Index of the heading row among the first rows: the row naming the most known fields,
    so title rows ("Reception guest list, March 2026") above the headings are skipped; -1 when
    the list has no heading row."""
    best, best_score = 0, 0.0
    for index, row in enumerate(rows):
        texts = [v for v in row if isinstance(v, str) and v.strip()]
        if not texts:
            continue
        known = sum(1 for v in texts if field_for_heading(v) is not None)
        numbers = sum(1 for v in row if isinstance(v, (int, float)) and not isinstance(v, bool))
        score = known * 2 + (len(texts) if len(texts) >= 2 else 0) * 0.1 - numbers
        if "@" in "".join(texts):
            score -= 2  # a row of data, not headings
        if known >= 2 and score > best_score:
            best, best_score = index, score
    if best_score:
        return best
    # Nothing recognisable: the first row with two or more text cells, unless the list starts
    # straight away with data (an email address in the first row): then it has no heading row.
    first = next((row for row in rows if any(v not in (None, "") for v in row)), [])
    if any(isinstance(v, str) and "@" in v for v in first):
        return -1
    for index, row in enumerate(rows):
        if sum(1 for v in row if isinstance(v, str) and v.strip()) >= 2:
            return index
    return 0


# --- Remembered mappings ------------------------------------------------------------------------


def heading_set_key(headers: Sequence[str]) -> str:
    return "|".join(sorted({normalise_heading(h) for h in headers if normalise_heading(h)}))


def _store_path() -> Path:
    from crm.db import default_data_dir

    return default_data_dir() / MAPPINGS_FILE


def _load_store() -> dict[str, dict[str, str]]:
    path = _store_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def recall_mapping(headers: Sequence[str]) -> dict[int, str] | None:
    """The mapping confirmed earlier for the same set of headings, by heading (not position)."""
    saved = _load_store().get(heading_set_key(headers))
    if not isinstance(saved, dict):
        return None
    mapping: dict[int, str] = {}
    for index, heading in enumerate(headers):
        field = saved.get(normalise_heading(heading))
        if field in FIELD_LABELS and field not in mapping.values():
            mapping[index] = field
    return mapping


def remember_mapping(headers: Sequence[str], mapping: Mapping[int, str]) -> None:
    """Keep a confirmed mapping (a small JSON file in the data folder; best effort)."""
    store = _load_store()
    key = heading_set_key(headers)
    store.pop(key, None)
    store[key] = {normalise_heading(headers[i]): f for i, f in mapping.items() if i < len(headers)}
    while len(store) > MAX_REMEMBERED:
        store.pop(next(iter(store)))
    path = _store_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(store, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # remembering is a convenience; the import itself does not depend on it


def describe_mapping(headers: Sequence[str], mapping: Mapping[int, str]) -> dict[str, str]:
    """{heading: field label} for reports and the batch record."""
    return {headers[i]: FIELD_LABELS.get(f, f) for i, f in sorted(mapping.items()) if i < len(headers)}
