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
    "organisation": "Organisation",
    "network": "Network",
    "role": "Role in network",
    "joined_on": "Date joined network",
    "tags": "Tags",
    "type": "Stakeholder type",
    "party": "Party",
    "constituency": "Constituency or ward",
    "chamber": "Chamber or council",
    "last_contacted": "Last contacted",
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
    "tags": ("tags", "tag", "labels", "label", "keywords", "interests", "categories"),
    "type": ("type", "stakeholder type", "contact type", "category", "stakeholder", "kind"),
    "party": ("party", "political party"),
    "constituency": ("constituency", "ward", "seat", "electoral ward", "constituency region"),
    "chamber": ("chamber", "parliament", "council", "legislature"),
    "last_contacted": ("last contacted", "last contact", "last contact date", "date last contacted"),
}

SYNONYMS: dict[str, str] = {}
for _field, _names in _SYNONYMS.items():
    for _name in _names:
        SYNONYMS.setdefault(_name, _field)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_NOISE = re.compile(r"\b(the|your|of|s|please|optional|required)\b")


def normalise_heading(heading: str) -> str:
    """ "E-mail Address:" → "e mail address"; accents, case and punctuation ignored."""
    folded = _NON_ALNUM.sub(" ", fold(heading)).strip()
    folded = re.sub(r"\s*\(\d+\)$", "", folded)
    return " ".join(folded.split())


def field_for_heading(heading: str) -> str | None:
    """The field a heading names, by synonym, or ``None``."""
    key = normalise_heading(heading)
    if not key:
        return None
    if key in SYNONYMS:
        return SYNONYMS[key]
    squeezed = key.replace(" ", "")
    for name, field in SYNONYMS.items():
        if name.replace(" ", "") == squeezed:
            return field
    stripped = " ".join(_NOISE.sub(" ", key).split())
    if stripped in SYNONYMS:
        return SYNONYMS[stripped]
    # "Organisation/Company name", "Email address (work)": try the words one by one
    words = key.split()
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            part = " ".join(words[i : i + size])
            if part in SYNONYMS and SYNONYMS[part] not in ("full_name", "type", "tags", "role"):
                return SYNONYMS[part]
    return None


def suggest_mapping(headers: Sequence[str], *, remembered: bool = True) -> dict[int, str]:
    """Column index → field for these headings: a remembered mapping for the same set of headings
    if there is one, otherwise by synonyms. Each field is used once (duplicates of a column stay
    unmapped, except a second phone becomes the mobile)."""
    if remembered:
        found = recall_mapping(headers)
        if found is not None:
            return found
    mapping: dict[int, str] = {}
    used: set[str] = set()
    for index, heading in enumerate(headers):
        field = field_for_heading(heading)
        if field is None:
            continue
        if field in used:
            if field == "phone" and "mobile" not in used:
                field = "mobile"
            elif field == "email":
                continue
            else:
                continue
        mapping[index] = field
        used.add(field)
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
    return mapping


def find_header_row(rows: Sequence[Sequence[Any]]) -> int:
    """Index of the heading row among the first rows: the row naming the most known fields,
    so title rows ("Reception guest list, March 2026") above the headings are skipped."""
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
    # Nothing recognisable: the first row with two or more text cells.
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
