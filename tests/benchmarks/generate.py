"""Generator of realistic people for the benchmarks.

About 17% accented names (Seán Ó Floinn, Siân, Zoë), gaps in different columns, a few hundred
organisations, three networks and several tags. Deterministic for a given seed.

    rows = list(generate_people(100_000))
    populate(db, 100_000)     # bulk-load a database through the service layer's bulk paths
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

FIRST_PLAIN = [
    "Aileen",
    "Alasdair",
    "Amir",
    "Anna",
    "Beth",
    "Callum",
    "Chloe",
    "Daniel",
    "Dylan",
    "Emma",
    "Euan",
    "Fiona",
    "Fraser",
    "Gareth",
    "Gwen",
    "Hamish",
    "Hannah",
    "Iain",
    "Imran",
    "Isla",
    "James",
    "Jamie",
    "Kirsty",
    "Laura",
    "Lewis",
    "Malcolm",
    "Megan",
    "Morag",
    "Niamh",
    "Owain",
    "Priya",
    "Rhys",
    "Rona",
    "Sophie",
    "Stuart",
    "Tomos",
    "Yasmin",
    "Zainab",
    "Ross",
    "Alan",
    "Craig",
    "Gillian",
    "Heather",
    "Karen",
    "Lorna",
    "Neil",
    "Paul",
    "Sarah",
]
FIRST_ACCENTED = [
    "Seán",
    "Siân",
    "Zoë",
    "Aoife",
    "Renée",
    "José",
    "Ciarán",
    "Bríd",
    "Dafydd",
    "Eílis",
    "Órla",
    "Séamus",
    "Øyvind",
    "Ailéan",
    "Màiri",
]
LAST_PLAIN = [
    "Anderson",
    "Bell",
    "Boyd",
    "Brown",
    "Campbell",
    "Davies",
    "Douglas",
    "Edwards",
    "Evans",
    "Ferguson",
    "Fraser",
    "Gallacher",
    "Gray",
    "Hughes",
    "Hussain",
    "Jenkins",
    "Jones",
    "Kerr",
    "Khan",
    "Lewis",
    "Lloyd",
    "MacDonald",
    "MacKenzie",
    "MacLeod",
    "McAllister",
    "McGregor",
    "Morgan",
    "Morrison",
    "Munro",
    "Murray",
    "O'Neill",
    "Owen",
    "Patel",
    "Paterson",
    "Price",
    "Reid",
    "Roberts",
    "Robertson",
    "Ross",
    "Scott",
    "Sinclair",
    "Smith",
    "Stewart",
    "Thomas",
    "Thomson",
    "Watson",
    "Williams",
    "Wilson",
    "Smith-Jones",
]
LAST_ACCENTED = ("Ó Floinn", "Ní Bhriain", "Çelik", "Núñez", "Mac Aonghais", "Gérard", "Løvlie", "Müller")
TITLES = ("Ms", "Mr", "Dr", "Mrs", "Mx", "Prof", "Cllr", None, None, None)
JOBS = (
    "Chief Executive",
    "Policy Officer",
    "Programme Manager",
    "Director",
    "Researcher",
    "Councillor",
    "Head of Service",
    None,
)
TOWNS = (
    ("Edinburgh", "EH", "Scotland", "Lothian"),
    ("Glasgow", "G", "Scotland", "Glasgow"),
    ("Dunfermline", "KY", "Scotland", "Fife"),
    ("Inverness", "IV", "Scotland", "Highland"),
    ("Cardiff", "CF", "Wales", "South Wales"),
    ("Bangor", "LL", "Wales", "North Wales"),
    ("Leeds", "LS", "England", "Yorkshire"),
    ("Bristol", "BS", "England", "South West"),
    ("Manchester", "M", "England", "North West"),
)
STREETS = ("High Street", "Church Road", "Station Road", "Main Street", "Heol y Bont", "Mill Lane")
NETWORKS = ("Kindness Innovation Network", "Kindness Leadership Network", "Kindness Champions")
TAGS = ("newsletter", "reception 2026", "policy roundtable", "funder prospect", "research panel")
SECTORS = ("Public sector", "Third sector", "Private sector", "Academic", "Government")


def organisation_names(n: int = 400, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    kinds = (
        "Council",
        "Trust",
        "Foundation",
        "Housing Association",
        "University",
        "Ltd",
        "CIC",
        "Network",
        "NHS Board",
    )
    return sorted(
        {f"{rng.choice(LAST_PLAIN)} {rng.choice(TOWNS)[0]} {rng.choice(kinds)}" for _ in range(n * 2)}
    )[:n]


def generate_people(n: int, seed: int = 1, *, email_domain: str = "example.org") -> Iterator[dict[str, Any]]:
    """Rows of person fields (plus ``organisation``, ``network`` and ``tag`` names)."""
    rng = random.Random(seed)
    orgs = organisation_names()
    for i in range(n):
        accented = rng.random() < 0.17
        first = rng.choice(FIRST_ACCENTED if accented and rng.random() < 0.6 else FIRST_PLAIN)
        last = rng.choice(LAST_ACCENTED if accented else LAST_PLAIN)
        town, area, nation, region = rng.choice(TOWNS)
        gaps = rng.random()
        ascii_first = "".join(c for c in first.lower() if c.isascii() and c.isalpha()) or "x"
        ascii_last = "".join(c for c in last.lower() if c.isascii() and c.isalpha()) or "y"
        yield {
            "title": rng.choice(TITLES),
            "first_name": first,
            "last_name": last,
            "email": None if gaps < 0.06 else f"{ascii_first}.{ascii_last}.{seed}x{i}@{email_domain}",
            "phone": None if gaps > 0.5 else f"0131 {rng.randint(200, 999)} {rng.randint(1000, 9999)}",
            "mobile": None
            if rng.random() < 0.6
            else f"07{rng.randint(700, 999)} {rng.randint(100000, 999999)}",
            "job_title": rng.choice(JOBS),
            "organisation": None if rng.random() < 0.25 else rng.choice(orgs),
            "address_line1": None if 0.3 < gaps < 0.45 else f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
            "town": None if 0.3 < gaps < 0.4 else town,
            "postcode": None
            if 0.35 < gaps < 0.45
            else f"{area}{rng.randint(1, 19)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLN')}{rng.choice('PQRSTUWXYZ')}",
            "country": "United Kingdom",
            "nation": nation,
            "region": region,
            "source": rng.choice(("Reception sign-up", "Partner list", "Web form", None)),
            "network": rng.choice((*NETWORKS, None, None)),
            "tag": rng.choice((*TAGS, None)),
        }


def populate(db: Any, n: int, seed: int = 1, *, chunk: int = 20_000) -> dict[str, float]:
    """Bulk-load ``n`` generated people, with organisations, memberships and tags, in one transaction."""
    from crm.services import networks, organisations, people, tags

    started = time.perf_counter()
    with db.transaction() as session:
        org_ids: dict[str, int] = {}
        for name in organisation_names():
            org, _ = organisations.get_or_create_organisation(
                session, name, sector=random.Random(name).choice(SECTORS)
            )
            org_ids[name] = org.id
        names_by_id = {v: k for k, v in org_ids.items()}
        net_ids = {name: networks.get_or_create_network(session, name)[0].id for name in NETWORKS}
        by_network: dict[str, list[int]] = {name: [] for name in NETWORKS}
        by_tag: dict[str, list[int]] = {name: [] for name in TAGS}
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            rows = [
                {k: v for k, v in r.items() if k not in ("organisation", "network", "tag")} for r in batch
            ]
            for row, src in zip(rows, batch, strict=True):
                row["organisation_id"] = org_ids.get(src["organisation"]) if src["organisation"] else None
            ids = people.bulk_insert_people(session, rows, organisation_names=names_by_id)
            for pid, src in zip(ids, batch, strict=True):
                if src["network"]:
                    by_network[src["network"]].append(pid)
                if src["tag"]:
                    by_tag[src["tag"]].append(pid)
            batch.clear()

        for row in generate_people(n, seed):
            batch.append(row)
            if len(batch) >= chunk:
                flush()
        flush()
        for name, ids in by_network.items():
            networks.add_members(session, net_ids[name], ids)
        for name, ids in by_tag.items():
            tags.tag_people(session, ids, name)
    return {"populate_seconds": round(time.perf_counter() - started, 3)}
