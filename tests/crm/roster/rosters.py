"""Generated rosters in the real shapes (EveryPolitician CSV, Members API JSON), for tests and benchmarks."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

EP_HEADER = [
    "id",
    "name",
    "sort_name",
    "email",
    "twitter",
    "facebook",
    "group",
    "group_id",
    "area_id",
    "area",
    "chamber",
    "term",
    "start_date",
    "end_date",
    "image",
    "gender",
    "wikidata",
    "wikidata_group",
    "wikidata_area",
]
FIRST = [
    "Ailsa",
    "Calum",
    "Morag",
    "Iain",
    "Siobhán",
    "Ruaridh",
    "Eilidh",
    "Fraser",
    "Mhairi",
    "Gordon",
    "Àine",
]
LAST = [
    "MacLeod",
    "Campbell",
    "Ó Floinn",
    "Stewart",
    "Robertson",
    "McKenzie",
    "Fraser",
    "Duncan-Glancy",
    "Reid",
]
PARTIES = [
    "Scottish National Party",
    "Scottish Labour",
    "Scottish Conservative and Unionist Party",
    "Scottish Green Party",
    "Scottish Liberal Democrats",
]


@dataclass(frozen=True)
class Member:
    id: str
    first: str
    last: str
    party: str
    area: str
    start: dt.date | None = None
    end: dt.date | None = None
    email: str | None = None
    wikidata: str | None = None
    parliament_id: int | None = None

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def generate(
    n: int, seed: int = 1, *, start: dt.date = dt.date(2021, 5, 13), areas: str = "Seat"
) -> list[Member]:
    """``n`` members with unique names, seats and ids."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        first, last = rng.choice(FIRST), f"{rng.choice(LAST)}{i:04d}"
        out.append(
            Member(
                id=str(uuid.UUID(int=rng.getrandbits(128))),
                first=first,
                last=last,
                party=rng.choice(PARTIES),
                area=f"{areas} {i:04d}",
                start=start,
                email=f"{first.lower()}.{last.lower()}@parliament.example",
                wikidata=f"Q{900000 + seed * 10000 + i}",
                parliament_id=100000 + seed * 10000 + i,
            )
        )
    return out


def newcomer(old: Member, seed: int, start: dt.date) -> Member:
    """Someone else in the same seat."""
    rng = random.Random(seed)
    last = f"Newmember{seed:05d}"
    return replace(
        old,
        id=str(uuid.UUID(int=rng.getrandbits(128))),
        first=rng.choice(FIRST),
        last=last,
        party=rng.choice(PARTIES),
        start=start,
        end=None,
        email=f"{last.lower()}@parliament.example",
        wikidata=f"Q{700000 + seed}",
        parliament_id=500000 + seed,
    )


def write_everypolitician(
    path: Path, members: list[Member], chamber: str = "Scottish Parliament", term: str = "6"
) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(EP_HEADER)
        for m in members:
            w.writerow(
                [
                    m.id,
                    m.name,
                    f"{m.last}, {m.first}",
                    m.email or "",
                    "",
                    "",
                    m.party,
                    m.party.lower().replace(" ", "_"),
                    f"ocd-division/country:gb-sct/constituency:{m.area.lower().replace(' ', '_')}",
                    m.area,
                    chamber,
                    term,
                    m.start.isoformat() if m.start else "",
                    m.end.isoformat() if m.end else "",
                    "",
                    "",
                    m.wikidata or "",
                    "",
                    "",
                ]
            )
    return path


def write_members_api(path: Path, members: list[Member], house: int = 1) -> Path:
    items = []
    for m in members:
        items.append(
            {
                "value": {
                    "id": m.parliament_id,
                    "nameListAs": f"{m.last}, {m.first}",
                    "nameDisplayAs": m.name,
                    "nameFullTitle": f"{m.name} MP",
                    "nameAddressAs": f"Mx {m.last}",
                    "latestParty": {"id": 1, "name": m.party, "abbreviation": m.party[:3]},
                    "gender": "F",
                    "latestHouseMembership": {
                        "membershipFrom": m.area,
                        "membershipFromId": 1,
                        "house": house,
                        "membershipStartDate": f"{m.start.isoformat()}T00:00:00" if m.start else None,
                        "membershipEndDate": f"{m.end.isoformat()}T00:00:00" if m.end else None,
                        "membershipEndReason": None,
                        "membershipStatus": {
                            "statusIsActive": m.end is None,
                            "statusDescription": "Current Member",
                        },
                    },
                    "thumbnailUrl": f"https://members-api.parliament.uk/api/Members/{m.parliament_id}/Thumbnail",
                },
                "links": [{"rel": "self", "href": f"/Members/{m.parliament_id}", "method": "GET"}],
            }
        )
    path.write_text(
        json.dumps({"items": items, "totalResults": len(items), "skip": 0, "take": len(items)}),
        encoding="utf-8",
    )
    return path
