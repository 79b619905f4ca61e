"""A generator of realistic people with planted duplicates, and the measure of a finder on them.

Each planted duplicate is a copy of a person changed the ways real lists change people: typos,
nicknames and initials, swapped first and last names, accents and Mac/Mc, a double-barrelled
surname half-written, fields left blank, different address forms (St/Street, a flat number, a
postcode without its space), phone numbers in other formats, a new job (new email and
organisation), a personal beside a work address, a move. Some people have several duplicates.
Hard cases that are NOT duplicates are there too: households (same surname and address),
namesakes (same name elsewhere) and colleagues (same organisation, switchboard and info@ box).

Deterministic for a seed. The tests use seeds 1–99; the scorer was tuned on seed 2026 only.

    people, clusters = generate(10_000, duplicate_rate=0.04, seed=7)
    ids = load(db, people)                  # person ids in list order
    precision, recall = measure(pairs, clusters, ids)
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from crm.matching.keys import same_given_name

FIRST = [
    "James",
    "John",
    "Robert",
    "Michael",
    "William",
    "David",
    "Richard",
    "Thomas",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "Andrew",
    "Joseph",
    "Steven",
    "Kenneth",
    "Edward",
    "Jonathan",
    "Nicholas",
    "Alexander",
    "Stuart",
    "Callum",
    "Euan",
    "Fraser",
    "Hamish",
    "Iain",
    "Lewis",
    "Ross",
    "Craig",
    "Alan",
    "Gareth",
    "Rhys",
    "Owain",
    "Tomos",
    "Dylan",
    "Amir",
    "Imran",
    "Ravi",
    "Peter",
    "Paul",
    "Mark",
    "Gordon",
    "Neil",
    "Mary",
    "Elizabeth",
    "Margaret",
    "Catherine",
    "Katherine",
    "Jennifer",
    "Susan",
    "Patricia",
    "Rebecca",
    "Samantha",
    "Victoria",
    "Alison",
    "Fiona",
    "Morag",
    "Kirsty",
    "Isla",
    "Emma",
    "Sophie",
    "Hannah",
    "Laura",
    "Megan",
    "Chloe",
    "Anna",
    "Gillian",
    "Heather",
    "Rona",
    "Aileen",
    "Yasmin",
    "Priya",
    "Zainab",
    "Niamh",
    "Gwen",
    "Eilidh",
    "Karen",
    "Julie",
    "Lorraine",
    "Deborah",
    "Caroline",
    "Joanne",
    "Nicola",
    "Seán",
    "Siân",
    "Zoë",
    "Eòghann",
    "Máire",
    "Ciarán",
    "Aoife",
    "Dafydd",
    "Siobhán",
    "Róisín",
]
LAST = [
    "Smith",
    "Brown",
    "Wilson",
    "Campbell",
    "Stewart",
    "Thomson",
    "Robertson",
    "Anderson",
    "MacDonald",
    "Scott",
    "Reid",
    "Murray",
    "Taylor",
    "Clark",
    "Mitchell",
    "Ross",
    "Walker",
    "Paterson",
    "Young",
    "Watson",
    "Morrison",
    "Miller",
    "Fraser",
    "Davidson",
    "Gray",
    "McDonald",
    "Henderson",
    "Johnston",
    "Hamilton",
    "Graham",
    "Kerr",
    "Simpson",
    "Martin",
    "Ferguson",
    "Cameron",
    "Duncan",
    "Hunter",
    "Kelly",
    "Bell",
    "Grant",
    "MacKenzie",
    "Mackay",
    "Allan",
    "Black",
    "MacLeod",
    "McLean",
    "Russell",
    "Gibson",
    "Wallace",
    "Gordon",
    "Marshall",
    "Stevenson",
    "Wood",
    "Sutherland",
    "Craig",
    "Wright",
    "Kennedy",
    "Jones",
    "Burns",
    "White",
    "Muir",
    "Murphy",
    "Johnstone",
    "Hughes",
    "Watt",
    "McMillan",
    "McIntyre",
    "Milne",
    "Williams",
    "Sinclair",
    "Docherty",
    "Munro",
    "Ritchie",
    "Dickson",
    "Bruce",
    "King",
    "Crawford",
    "Millar",
    "Jamieson",
    "Irvine",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Lewis",
    "Morgan",
    "Griffiths",
    "Owen",
    "Price",
    "Patel",
    "Khan",
    "Ahmed",
    "Singh",
    "Ali",
    "Hussain",
    "O'Neill",
    "O'Brien",
    "Ó Floinn",
    "Nic Dhòmhnaill",
    "Ní Bhriain",
    "Lloyd",
    "Jenkins",
    "Powell",
    "Rees",
    "Howells",
    "Baxter",
    "Buchanan",
    "Chalmers",
    "Drummond",
    "Forbes",
    "Galbraith",
    "Haldane",
    "Innes",
    "Lindsay",
    "Lockhart",
    "Maxwell",
    "Napier",
    "Ogilvie",
    "Pringle",
    "Rankin",
    "Shaw",
    "Tait",
    "Urquhart",
    "Wishart",
    "Yule",
    "Abernethy",
    "Balfour",
    "Carnegie",
    "Dalgleish",
    "Elder",
    "Fleming",
    "Gillespie",
    "Hogg",
    "Inglis",
    "Kirk",
    "Laing",
    "Moffat",
    "Nairn",
    "Orr",
    "Pollock",
    "Quinn",
    "Rennie",
    "Souter",
    "Thorburn",
    "Vallance",
    "Weir",
    "Aitken",
    "Bryce",
    "Currie",
    "Dunlop",
    "Erskine",
    "Findlay",
    "Gilchrist",
    "Hendry",
    "Imrie",
    "Jardine",
    "Kidd",
    "Logan",
    "Malcolm",
    "Nisbet",
    "Oliphant",
    "Paton",
    "Ramsay",
    "Scobie",
    "Turnbull",
    "Veitch",
    "Waddell",
    "Adair",
    "Beattie",
    "Christie",
    "Dow",
    "Ewing",
    "Fyfe",
    "Geddes",
    "Hope",
    "Jack",
    "Knox",
    "Lamont",
    "Mowat",
    "Niven",
    "Park",
    "Reilly",
    "Skinner",
    "Todd",
    "Wylie",
]
DOUBLE = ["Smith-Jones", "Campbell-Bannerman", "Hamilton-Reid", "Lloyd-Evans", "Stewart-Clark", "Ross-Hunter"]
NICK = {
    "Robert": ["Bob", "Rob", "Bobby"], "William": ["Bill", "Will", "Billy"], "Elizabeth": ["Liz", "Beth", "Lizzie"],
    "Margaret": ["Maggie", "Peggy", "Meg"], "Catherine": ["Cathy", "Kate"], "Katherine": ["Kathy", "Kate"],
    "James": ["Jim", "Jimmy", "Jamie"], "Thomas": ["Tom", "Tommy"], "Christopher": ["Chris"],
    "Alexander": ["Alex", "Sandy"], "Jennifer": ["Jen", "Jenny"], "Michael": ["Mike", "Mick"],
    "Andrew": ["Andy", "Drew"], "Richard": ["Rick", "Dick", "Richie"], "Susan": ["Sue", "Susie"],
    "Patricia": ["Pat", "Trish"], "Joseph": ["Joe"], "Daniel": ["Dan", "Danny"], "Matthew": ["Matt"],
    "Anthony": ["Tony"], "David": ["Dave", "Davie"], "Steven": ["Steve"], "Edward": ["Ed", "Ted", "Eddie"],
    "Jonathan": ["Jon"], "Nicholas": ["Nick"], "Rebecca": ["Becky", "Becca"], "Samantha": ["Sam"],
    "Victoria": ["Vicky"], "Kenneth": ["Ken", "Kenny"], "Peter": ["Pete"], "Deborah": ["Debbie", "Deb"],
    "Nicola": ["Nicky"], "Caroline": ["Carol"],
}  # fmt: skip
TOWNS = [
    ("Edinburgh", "EH"), ("Glasgow", "G"), ("Aberdeen", "AB"), ("Dundee", "DD"), ("Inverness", "IV"),
    ("Perth", "PH"), ("Stirling", "FK"), ("Kirkcaldy", "KY"), ("Paisley", "PA"), ("Kilmarnock", "KA"),
    ("Dumfries", "DG"), ("Galashiels", "TD"), ("Motherwell", "ML"), ("Kirkwall", "KW"), ("Lerwick", "ZE"),
    ("Cardiff", "CF"), ("Swansea", "SA"), ("Newport", "NP"), ("Wrexham", "LL"), ("London", "SW"),
    ("Manchester", "M"), ("Leeds", "LS"), ("Newcastle upon Tyne", "NE"), ("Belfast", "BT"), ("York", "YO"),
]  # fmt: skip
STREETS = [
    "High",
    "Church",
    "Main",
    "Station",
    "Victoria",
    "Park",
    "Mill",
    "King",
    "Queen",
    "George",
    "Albert",
    "Castle",
    "Bridge",
    "Market",
    "School",
    "Hill",
    "North",
    "South",
    "West",
    "East",
    "Union",
    "Princes",
    "Rose",
    "Thistle",
    "Heather",
    "Oak",
    "Elm",
    "Beech",
    "Birch",
    "Rowan",
    "Willow",
    "Ash",
    "Marchmont",
    "Bruntsfield",
    "Morningside",
    "Leith",
    "Easter",
    "Wester",
    "Hope",
    "Grange",
    "Manse",
    "Kirk",
    "Burn",
    "Glen",
    "Loch",
    "Ben",
    "Craig",
    "Abbey",
    "Priory",
    "Orchard",
    "Meadow",
    "Riverside",
    "Shore",
    "Harbour",
    "Links",
    "Academy",
    "College",
    "Hospital",
    "Wellington",
    "Nelson",
    "Argyle",
    "Montrose",
    "Buccleuch",
    "Dalhousie",
    "Lothian",
    "Clyde",
    "Forth",
    "Tay",
    "Dee",
    "Don",
    "Spey",
    "Tweed",
    "Esk",
    "Almond",
]
STREET_TYPES = [("Street", "St"), ("Road", "Rd"), ("Avenue", "Ave"), ("Drive", "Dr"), ("Lane", "Ln"),
                ("Crescent", "Cres"), ("Place", "Pl"), ("Terrace", "Terr"), ("Court", "Ct"), ("Gardens", "Gdns")]  # fmt: skip
ORG_WORDS = [
    "Kindness",
    "Community",
    "Health",
    "Care",
    "Youth",
    "Action",
    "Carers",
    "Housing",
    "Futures",
    "Learning",
    "Wellbeing",
    "Voices",
    "Together",
    "Hope",
    "Bridges",
    "Pathways",
    "Horizons",
    "Roots",
    "Connect",
    "Thrive",
    "Unity",
    "Harmony",
    "Compass",
    "Beacon",
    "Anchor",
]
ORG_KINDS = ["Trust", "Council", "Partnership", "Network", "Association", "Foundation", "Centre", "Alliance"]
# A long tail of rarer surnames, as real lists have (the common ones above cover about a third).
_HEADS = "Ash Brad Cald Dal Ed Fair Glen Hal Kil Lang Mor New Pen Red Shaw Strath Thorn Wal West Whit Aber Bal Carr Dun Gart Inver Kin Lin Mel Pit Rox Stan Tor Wood Bel Cul Fal Hazel Lock Nor"
_TAILS = "ford ley ton well wood burn field more ham by hill croft gate dale stone brook mont law side rig bank wick haven shaw"
LONG_TAIL = [h + t for h in _HEADS.split() for t in _TAILS.split()]
MAIL = ["gmail.com", "hotmail.co.uk", "yahoo.co.uk", "outlook.com", "btinternet.com", "icloud.com"]


@dataclass
class Organisation:
    name: str
    domain: str
    phone: str
    town: int
    staff: set[tuple[str, str]] = field(default_factory=set)


def _zipf(rng: random.Random, items: Sequence[Any], s: float = 1.0) -> Any:
    # Inverse-rank weights: common names common, rare names rare.
    weights = _WEIGHTS.setdefault((len(items), s), [1 / (i + 1) ** s for i in range(len(items))])
    return rng.choices(items, weights)[0]


_WEIGHTS: dict[tuple[int, float], list[float]] = {}


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _slug(text: str) -> str:
    return "".join(c for c in _ascii(text).lower() if c.isalnum())


def _postcode(rng: random.Random, area: str) -> str:
    return f"{area}{rng.randint(1, 30)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


def _mobile(rng: random.Random) -> str:
    return f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}"


def _landline(rng: random.Random) -> str:
    return f"01{rng.randint(10, 99)}{rng.randint(1, 9)} {rng.randint(100000, 999999)}"


def _address(rng: random.Random) -> tuple[str, int, str]:
    street = rng.choice(STREETS)
    kind = rng.choice(STREET_TYPES)[0]
    town = rng.randrange(len(TOWNS))
    return f"{rng.randint(1, 180)} {street} {kind}", town, _postcode(rng, TOWNS[town][1])


def _organisations(rng: random.Random, count: int) -> list[Organisation]:
    orgs = []
    seen: set[str] = set()
    while len(orgs) < count:
        town = rng.randrange(len(TOWNS))
        name = f"{TOWNS[town][0]} {rng.choice(ORG_WORDS)} {rng.choice(ORG_WORDS)} {rng.choice(ORG_KINDS)}"
        if name in seen:
            continue
        seen.add(name)
        orgs.append(Organisation(name, _slug(name)[:20] + ".org.uk", _landline(rng), town))
    return orgs


def _base_person(
    rng: random.Random, orgs: list[Organisation], household: dict[str, Any] | None, taken: set[str]
) -> dict[str, Any]:
    first = _zipf(rng, FIRST, 0.5)
    r = rng.random()
    last = rng.choice(DOUBLE) if r < 0.01 else _zipf(rng, LAST, 0.6) if r < 0.4 else rng.choice(LONG_TAIL)
    p: dict[str, Any] = {"first_name": first, "last_name": last}
    if household:
        p["last_name"] = household["last_name"] if rng.random() < 0.8 else last
        # Two of one name (or John and Jonathan) at one home is rare.
        while same_given_name(_slug(p["first_name"]), _slug(household["first_name"])):
            p["first_name"] = _zipf(rng, FIRST, 0.5)
        line1, town, pc = household["address_line1"], household["_town"], household["postcode"]
    else:
        line1, town, pc = _address(rng)
    org = rng.choice(orgs) if rng.random() < 0.6 else None
    if org and (first, p["last_name"]) in org.staff:
        org = None  # two people of one name at one organisation is rare
    if org:
        org.staff.add((first, p["last_name"]))
    p["organisation"] = org.name if org else None
    slug_first, slug_last = _slug(first), _slug(p["last_name"])
    r = rng.random()
    if org and r < 0.05:
        p["email"] = f"info@{org.domain}"  # a shared mailbox
    elif org and r < 0.55:
        p["email"] = f"{slug_first[0]}.{slug_last}@{org.domain}"
        if p["email"] in taken:  # a second J. Smith at one organisation gets another address
            p["email"] = f"{slug_first}.{slug_last}{rng.randint(2, 99)}@{org.domain}"
    elif r < 0.85:
        p["email"] = f"{slug_first}.{slug_last}{rng.randint(1, 999)}@{rng.choice(MAIL)}"
        while p["email"] in taken:  # one mailbox, one person
            p["email"] = f"{slug_first}.{slug_last}{rng.randint(1000, 99999)}@{rng.choice(MAIL)}"
    else:
        p["email"] = None
    if p["email"] and not p["email"].startswith("info@"):
        taken.add(p["email"])
    p["mobile"] = _mobile(rng) if rng.random() < 0.5 else None
    p["phone"] = (
        org.phone if org and rng.random() < 0.4 else (_landline(rng) if rng.random() < 0.15 else None)
    )
    p["address_line1"] = line1 if rng.random() < 0.75 else None
    p["town"] = TOWNS[town][0] if rng.random() < 0.85 else None
    p["postcode"] = pc if rng.random() < 0.75 else None
    p["_town"] = town
    return p


# --- Variations ---------------------------------------------------------------------------------


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(1 if rng.random() < 0.8 else 0, len(word))
    kind = rng.randrange(4)
    letters = "abcdefghijklmnoprstuvwy"
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + rng.choice(letters) + word[i:]
    if kind == 2:
        return word[:i] + rng.choice(letters) + word[i + 1 :]
    i = min(i, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _name_variation(rng: random.Random, d: dict[str, Any]) -> str:
    first, last = d["first_name"], d["last_name"]
    options = ["typo_first", "typo_last", "initial", "swap", "case", "accents"]
    if first in NICK:
        options += ["nickname"] * 3
    if last.startswith(("Mac", "Mc")):
        options += ["mac"] * 2
    if "-" in last:
        options += ["half"] * 2
    elif rng.random() < 0.1:
        options.append("double")
    kind = rng.choice(options)
    if kind == "typo_first":
        d["first_name"] = _typo(rng, first)
    elif kind == "typo_last":
        d["last_name"] = _typo(rng, last)
    elif kind == "initial":
        d["first_name"] = first[0] + rng.choice(["", "."])
    elif kind == "swap":
        d["first_name"], d["last_name"] = last, first
    elif kind == "case":
        d["first_name"], d["last_name"] = first.upper(), last.upper()
    elif kind == "accents":
        d["first_name"], d["last_name"] = _ascii(first), _ascii(last).replace("'", "")
    elif kind == "nickname":
        d["first_name"] = rng.choice(NICK[first])
    elif kind == "mac":
        d["last_name"] = "Mc" + last[3:] if last.startswith("Mac") else "Mac" + last[2:]
    elif kind == "half":
        d["last_name"] = rng.choice(last.split("-"))
    elif kind == "double":
        d["last_name"] = f"{last}-{rng.choice(LAST)}"
    return kind


def _address_form(rng: random.Random, d: dict[str, Any]) -> None:
    line = d.get("address_line1")
    if line:
        for long, short in STREET_TYPES:
            if line.endswith(" " + long) and rng.random() < 0.6:
                line = line[: -len(long)] + short
        if rng.random() < 0.3:
            line = f"Flat {rng.randint(1, 12)}, {line}"
        if rng.random() < 0.2:
            line = line.lower()
        d["address_line1"] = line
    if d.get("postcode"):
        d["postcode"] = rng.choice([d["postcode"].replace(" ", ""), d["postcode"].lower(), d["postcode"]])
    for key in ("mobile", "phone"):
        if d.get(key) and rng.random() < 0.6:
            digits = d[key].replace(" ", "")
            d[key] = rng.choice(
                [f"+44 {digits[1:5]} {digits[5:]}", digits, f"({digits[:5]}) {digits[5:8]}-{digits[8:]}"]
            )


def _duplicate(
    rng: random.Random, original: dict[str, Any], orgs: list[Organisation]
) -> dict[str, Any] | None:
    d = dict(original)
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        _name_variation(rng, d)
    if rng.random() < 0.7:
        _address_form(rng, d)
    life = rng.random()
    if life < 0.15:  # a new job: new work email and organisation
        org = rng.choice(orgs)
        d["organisation"] = org.name
        d["email"] = f"{_slug(original['first_name'])[:1]}.{_slug(original['last_name'])}@{org.domain}"
        d["phone"] = None
    elif life < 0.25:  # a personal address beside the work one
        d["email"] = f"{_slug(original['first_name'])}{rng.randint(1, 99)}@{rng.choice(MAIL)}"
    elif life < 0.33:  # moved house
        line1, town, pc = _address(rng)
        d["address_line1"], d["town"], d["postcode"] = line1, TOWNS[town][0], pc
    elif life < 0.38 and d.get("postcode"):  # a postcode mistyped
        pc = d["postcode"]
        i = rng.randrange(len(pc))
        d["postcode"] = pc[:i] + rng.choice("0123456789") + pc[i + 1 :] if pc[i].isdigit() else pc
    blanks = rng.choice((0, 0, 1, 1, 2, 3))
    for key in rng.sample(
        ["email", "mobile", "phone", "address_line1", "town", "postcode", "organisation"], blanks
    ):
        d[key] = None
    # A duplicate a careful person could still recognise: something beside the name agrees.
    same = [
        k
        for k in ("email", "mobile", "phone", "postcode", "address_line1", "organisation")
        if d.get(k) and original.get(k) and _slug(d[k]).replace("flat", "").endswith(_slug(original[k])[-6:])
    ]
    if not same:
        return None
    return d


def generate(
    count: int, *, duplicate_rate: float = 0.03, seed: int = 1, organisations: int | None = None
) -> tuple[list[dict[str, Any]], list[int]]:
    """``count`` people (duplicates included) and, for each, the id of the real person it is."""
    rng = random.Random(seed)
    orgs = _organisations(rng, organisations or max(20, count // 120))
    people: list[dict[str, Any]] = []
    clusters: list[int] = []
    originals = int(count * (1 - duplicate_rate))
    household: dict[str, Any] | None = None
    taken: set[str] = set()
    while len(people) < originals:
        # About one in six people shares a home with the person before them.
        share = household if household and rng.random() < 0.18 else None
        p = _base_person(rng, orgs, share, taken)
        household = p if p.get("address_line1") and p.get("postcode") else None
        people.append(p)
        clusters.append(len(clusters))
    # Namesakes: the same name, someone else entirely.
    for _ in range(count // 200):
        p = rng.choice(people[:originals])
        q = _base_person(rng, orgs, None, taken)
        q["first_name"], q["last_name"] = p["first_name"], p["last_name"]
        people.append(q)
        clusters.append(len(clusters))
    while len(people) < count:
        index = rng.randrange(originals)
        for _ in range(rng.choice((1, 1, 1, 1, 2, 2, 3))):
            d = _duplicate(rng, people[index], orgs)
            if d is None or len(people) >= count:
                continue
            people.append(d)
            clusters.append(clusters[index])
    order = list(range(len(people)))
    rng.shuffle(order)
    return [people[i] for i in order], [clusters[i] for i in order]


def true_pairs(clusters: Sequence[int], ids: Sequence[int]) -> set[tuple[int, int]]:
    """Every pair of ids that are one person."""
    by: dict[int, list[int]] = {}
    for cluster, pid in zip(clusters, ids, strict=True):
        by.setdefault(cluster, []).append(pid)
    out: set[tuple[int, int]] = set()
    for members in by.values():
        members.sort()
        out.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    return out


def measure(
    found: Iterable[tuple[int, int]], clusters: Sequence[int], ids: Sequence[int]
) -> tuple[float, float]:
    """(precision, recall) of found pairs against the planted duplicates."""
    truth = true_pairs(clusters, ids)
    got = {(min(a, b), max(a, b)) for a, b in found}
    hits = len(got & truth)
    return (hits / len(got) if got else 1.0), (hits / len(truth) if truth else 1.0)


def load(db: Any, people: Sequence[dict[str, Any]]) -> list[int]:
    """Insert generated people (and their organisations) in one transaction; their person ids."""
    from sqlalchemy import func, select

    from crm.bulk import insert_rows
    from crm.models import Organisation as OrgModel
    from crm.models import Person, table_of
    from crm.text import organisation_key, sort_key

    with db.transaction() as session:
        names = sorted({p["organisation"] for p in people if p.get("organisation")})
        base_org = (session.scalar(select(func.max(OrgModel.id))) or 0) + 1
        org_ids = {n: base_org + i for i, n in enumerate(names)}
        insert_rows(
            session,
            table_of(OrgModel),
            [{"id": org_ids[n], "name": n, "name_key": organisation_key(n)} for n in names],
        )
        base = (session.scalar(select(func.max(Person.id))) or 0) + 1
        fields = (
            "first_name", "last_name", "email", "phone", "mobile", "address_line1", "address_line2", "town",
            "postcode",
        )  # fmt: skip
        rows = [
            {
                "id": base + i,
                **{f: p.get(f) for f in fields},
                "organisation_id": org_ids.get(p.get("organisation") or ""),
                "sort_name": sort_key(p.get("last_name"), p.get("first_name"), p.get("email")),
            }
            for i, p in enumerate(people)
        ]
        for start in range(0, len(rows), 10_000):
            insert_rows(session, table_of(Person), rows[start : start + 10_000])
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            for table in ("person", "organisation"):
                session.execute(
                    # Explicit ids leave the sequences behind: move them on.
                    __import__("sqlalchemy").text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
    return [base + i for i in range(len(people))]
