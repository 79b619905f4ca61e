"""Chambers: their many names, the stakeholder type of their members, and what members are called.

Rosters name a chamber as the legislature called itself then ("National Assembly for Wales"), in
short ("Commons", "Holyrood") or by its members ("MSPs"); Kindred keeps one name for each, the names
in :data:`crm.models.CHAMBERS`.
"""

from __future__ import annotations

import re

from crm.models import StakeholderType
from crm.text import fold

SCOTTISH_PARLIAMENT = "Scottish Parliament"
SENEDD = "Senedd"
COMMONS = "House of Commons"
LORDS = "House of Lords"
LOCAL_COUNCIL = "Local council"
NI_ASSEMBLY = "Northern Ireland Assembly"

_ALIASES: dict[str, str] = {
    "scottish parliament": SCOTTISH_PARLIAMENT,
    "the scottish parliament": SCOTTISH_PARLIAMENT,
    "holyrood": SCOTTISH_PARLIAMENT,
    "parlamaid na h alba": SCOTTISH_PARLIAMENT,
    "scottish parliament msps": SCOTTISH_PARLIAMENT,
    "msp": SCOTTISH_PARLIAMENT,
    "msps": SCOTTISH_PARLIAMENT,
    "senedd": SENEDD,
    "senedd cymru": SENEDD,
    "welsh parliament": SENEDD,
    "senedd cymru welsh parliament": SENEDD,
    "welsh parliament senedd cymru": SENEDD,
    "national assembly for wales": SENEDD,
    "welsh assembly": SENEDD,
    "cynulliad cenedlaethol cymru": SENEDD,
    "ms": SENEDD,
    "mss": SENEDD,
    "am": SENEDD,
    "ams": SENEDD,
    "house of commons": COMMONS,
    "commons": COMMONS,
    "house of commons of the united kingdom": COMMONS,
    "uk parliament": COMMONS,
    "parliament": COMMONS,
    "westminster": COMMONS,
    "mp": COMMONS,
    "mps": COMMONS,
    "1": COMMONS,  # the Members API's house number
    "house of lords": LORDS,
    "lords": LORDS,
    "2": LORDS,
    "local council": LOCAL_COUNCIL,
    "council": LOCAL_COUNCIL,
    "councillor": LOCAL_COUNCIL,
    "councillors": LOCAL_COUNCIL,
    "northern ireland assembly": NI_ASSEMBLY,
    "ni assembly": NI_ASSEMBLY,
    "stormont": NI_ASSEMBLY,
    "mla": NI_ASSEMBLY,
    "mlas": NI_ASSEMBLY,
}
_NON_WORD = re.compile(r"[^\w]+")

# The stakeholder type of a chamber's members, and back.
TYPE_OF_CHAMBER: dict[str, str] = {
    SCOTTISH_PARLIAMENT: StakeholderType.MSP.value,
    SENEDD: StakeholderType.MS.value,
    COMMONS: StakeholderType.MP.value,
    LOCAL_COUNCIL: StakeholderType.COUNCILLOR.value,
}
CHAMBER_OF_TYPE: dict[str, str] = {t: c for c, t in TYPE_OF_CHAMBER.items()}

# What members are called after their name ("Jane Smith MSP"): the letters a former member loses.
POST_NOMINALS: dict[str, tuple[str, ...]] = {
    SCOTTISH_PARLIAMENT: ("MSP",),
    SENEDD: ("MS", "AM"),
    COMMONS: ("MP",),
    NI_ASSEMBLY: ("MLA",),
}

# What a member is called in a sentence or a list ("3 MSPs", "Former MSP").
MEMBER_NOUN: dict[str, str] = {
    SCOTTISH_PARLIAMENT: "MSP",
    SENEDD: "MS",
    COMMONS: "MP",
    LORDS: "Peer",
    LOCAL_COUNCIL: "Councillor",
    NI_ASSEMBLY: "MLA",
}

# Regions of the additional-member systems: an "area" with one of these names is a region (list
# members), anything else a constituency.
REGIONS: dict[str, frozenset[str]] = {
    SCOTTISH_PARLIAMENT: frozenset(
        {
            "central scotland",
            "glasgow",
            "highlands and islands",
            "lothian",
            "lothians",
            "mid scotland and fife",
            "north east scotland",
            "south scotland",
            "south of scotland",
            "west scotland",
            "west of scotland",
        }
    ),
    SENEDD: frozenset(
        {"mid and west wales", "north wales", "south wales central", "south wales east", "south wales west"}
    ),
}


def _key(name: str) -> str:
    return " ".join(_NON_WORD.sub(" ", fold(name)).split())


def normalise_chamber(name: str | None) -> str | None:
    """Kindred's name for a chamber, or ``None`` when the name is not one it knows.

    A council keeps its own name ("Glasgow City Council"): each council is a chamber of its own,
    so refreshing one council's councillors leaves every other council's alone.

    >>> normalise_chamber("National Assembly for Wales")
    'Senedd'
    """
    if name is None:
        return None
    key = _key(str(name))
    if not key:
        return None
    if key in _ALIASES:
        return _ALIASES[key]
    if is_council(key):
        return " ".join(str(name).split())
    return None


def is_council(chamber: str) -> bool:
    """A local council ("Fife Council", "Comhairle nan Eilean Siar", "Local council")."""
    key = _key(chamber)
    return key == "local council" or "council" in key.split() or key.startswith("comhairle ")


def chamber_kind(chamber: str) -> str:
    """The kind of chamber: itself for a parliament, :data:`LOCAL_COUNCIL` for any council."""
    return LOCAL_COUNCIL if is_council(chamber) else (normalise_chamber(chamber) or chamber)


def chamber_of_file_name(text: str) -> str | None:
    """A chamber named in a file or sheet name ("msps-2021.csv", "Senedd members.xlsx")."""
    # Camel case splits too: "getMSPs.json" names MSPs.
    words = [fold(w) for w in re.findall(r"[A-Z]+[a-z]*|[a-z]+|\d+", text.replace("_", " "))]
    words = [w for w in words if w] or _key(text).split()
    joined = " ".join(words)
    for alias in sorted(_ALIASES, key=len, reverse=True):
        if len(alias) <= 2 and alias not in {"ms", "mp"}:
            continue  # "1", "2", "am": too easily part of something else
        if " " in alias:
            if f" {alias} " in f" {joined} ":
                return _ALIASES[alias]
        elif alias in words:
            return _ALIASES[alias]
    return None


def is_region(chamber: str, area: str) -> bool:
    """Whether ``area`` is one of the chamber's electoral regions rather than a constituency."""
    return _key(area) in REGIONS.get(chamber, frozenset())


def former_label(chamber: str) -> str:
    """ "Former MSP"."""
    return f"Former {MEMBER_NOUN.get(chamber, 'member')}"
