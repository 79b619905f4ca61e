"""A second, independent generator of messy people, in the style of FEBRL's data set generator.

``dupgen.py`` plants duplicates the way a CRM's own lists drift (new jobs, nicknames, St and
Street). This one is written apart from it and from the scorer, after the "freely extensible
biomedical record linkage" generator (Christen's FEBRL ``dsgen``): original records are made
first, then for some of them one to five duplicates, each copied from the original and then
corrupted field by field with the kinds of error FEBRL models:

- keyboard typos (a neighbouring key, a letter dropped, doubled or transposed),
- OCR errors (``rn``/``m``, ``l``/``1``, ``O``/``0``, ``cl``/``d``),
- phonetic errors (``ph``/``f``, ``ck``/``k``, ``ie``/``y``, ``son``/``sen``),
- missing values (a field left blank),
- swapped fields (given name and surname, the two address lines) and words run together or
  split ("Mac Donald", "Vanderberg"),
- a given name as a nickname or an initial, a postcode or phone number in another format.

Its name lists, its addresses and its error rates are its own, so a scorer tuned on
``dupgen.py`` is checked here on data it has never seen. Originals have missing values too, and
households (one surname at one address) and namesakes that are not duplicates.

Deterministic for a seed:

    people, clusters = generate(20_000, duplicate_rate=0.1, seed=3)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any


def _words(text: str) -> list[str]:
    return text.split()


GIVEN = _words(
    "Aileen Alasdair Alice Alistair Amelia Angus Anna Archie Arthur Ava Barbara Ben Benjamin Bethany "
    "Brian Bruce Caitlin Carol Charles Charlotte Chloe Christine Colin Connor Deborah Derek Diane "
    "Dominic Donald Dorothy Douglas Duncan Eilidh Eleanor Elaine Ellie Emily Emma Eric Ewan Fiona "
    "Finlay Frances Francis Frank Gail George Georgia Gillian Grace Graham Hannah Harry Hazel Heather "
    "Helen Henry Hugh Ian Isabel Isla Jack Jacqueline Jamie Janet Jean Jessica Joan Joanne Judith "
    "Julie Karen Keith Kirsty Lachlan Laura Lauren Leah Linda Lindsay Lorna Lucy Malcolm Marion Martin "
    "Megan Moira Morag Murray Nathan Niamh Nicola Norman Oliver Olivia Patrick Pauline Philip Rachel "
    "Raymond Rhona Robyn Ronald Rory Rosemary Ruth Ryan Samuel Sandra Sarah Scott Sean Sheila Shona "
    "Simon Sophie Stephen Struan Teresa Timothy Valerie Victoria Walter Wendy Yvonne Zoe Aisha Arjun "
    "Bilal Chen Fatima Hamza Mei Priya Sanjay Wei Yusuf Zainab Agnieszka Krzysztof Tomasz Magdalena"
)

SURNAME = _words(
    "Anderson Armstrong Baird Baxter Bell Black Boyd Brown Bruce Buchanan Burns Cameron Campbell "
    "Carmichael Christie Clark Cochrane Craig Crawford Cunningham Davidson Dickson Docherty Donaldson "
    "Douglas Duncan Dunlop Ferguson Findlay Fleming Forbes Fraser Gallacher Gibson Gilmour Gordon "
    "Graham Grant Gray Hamilton Hay Henderson Hogg Houston Hughes Hunter Hutchison Irvine Jamieson "
    "Johnston Kennedy Kerr Lamont Lindsay Logan Lyon MacDonald MacKenzie MacLean MacLeod MacPherson "
    "Marshall Martin McCallum McDougall McGregor McIntyre McKay McLaren McMillan Milne Mitchell Moffat "
    "Morrison Muir Munro Murdoch Murray Nicol O'Brien O'Donnell Paterson Pollock Quinn Ramsay Reid "
    "Rennie Ritchie Robertson Russell Scott Shaw Sinclair Smith Stewart Sutherland Taylor Thomson "
    "Urquhart Walker Wallace Watson Watt Welsh White Wilson Wright Young Ahmed Akhtar Chowdhury Hussain "
    "Khan Kowalski Nowak Patel Singh Wang Zhang"
)

# A long tail of rarer surnames, built from syllables dupgen does not use.
_ONSETS = "Ard Bram Cor Drum Elph Farq Glas Hal Inch Kel Leck Mon Nair Orr Pol Quar Rath Skel Tarb Uis Yar"
_CODAS = "bie dane ie mont rick sley stoun tie wart gill hame lees more nock shiel"
RARE = [o + c for o in _ONSETS.split() for c in _CODAS.split()]

NICKNAMES = {
    "Alasdair": ["Ali"], "Alistair": ["Ally", "Alec"], "Archie": ["Archibald"], "Barbara": ["Babs"],
    "Benjamin": ["Ben", "Benny"], "Charles": ["Charlie", "Chas"], "Charlotte": ["Lottie", "Charlie"],
    "Christine": ["Chris", "Chrissie"], "Deborah": ["Debbie", "Deb"], "Dominic": ["Dom"],
    "Donald": ["Don", "Donnie"], "Dorothy": ["Dot", "Dolly"], "Douglas": ["Doug", "Dougie"],
    "Eleanor": ["Ellie", "Nora"], "Frances": ["Fran"], "Francis": ["Frank"], "Gillian": ["Gill"],
    "Harry": ["Henry"], "Isabel": ["Izzy", "Bella"], "Jacqueline": ["Jackie"], "Jessica": ["Jess"],
    "Joanne": ["Jo"], "Judith": ["Judy"], "Kirsty": ["Kirstin"], "Malcolm": ["Mal"], "Nicola": ["Nicky"],
    "Patrick": ["Pat", "Paddy"], "Philip": ["Phil"], "Raymond": ["Ray"], "Ronald": ["Ron", "Ronnie"],
    "Samuel": ["Sam", "Sammy"], "Sandra": ["Sandy"], "Stephen": ["Steve", "Stevie"],
    "Timothy": ["Tim"], "Valerie": ["Val"], "Victoria": ["Vicky", "Tori"], "Walter": ["Wattie", "Walt"],
    "Rosemary": ["Rosie"], "Teresa": ["Tess", "Terri"], "Samantha": ["Sam"],
}  # fmt: skip

STREET = _words(
    "Abbey Ashgrove Balmoral Beech Bellfield Braid Bruntsfield Caledonian Castle Cathcart Clyde "
    "Corstorphine Craigleith Dalkeith Dundas Dykehead Eglinton Fountainbridge Gala Glebe Gorgie "
    "Greenbank Hawthorn Heriot Hillhead Holyrood Inverleith Jubilee Kelvin Kirkgate Lanark Leven "
    "Marchmont Meadow Merchiston Millbrae Moray Netherby Newhaven Oakfield Pentland Polwarth Portobello "
    "Queensferry Ravelston Regent Rosebank Sciennes Seafield Spylaw Stenhouse Thistle Tollcross "
    "Victoria Warrender Waverley Whitehouse Willowbrae"
)
STREET_KIND = [
    "Street",
    "Road",
    "Avenue",
    "Place",
    "Terrace",
    "Crescent",
    "Gardens",
    "Drive",
    "Court",
    "Lane",
]
LOCALITY = ["", "", "", "Morningside", "Leith", "Partick", "Stockbridge", "Govan", "Newington", "Dennistoun"]
TOWN = [
    ("Edinburgh", "EH"), ("Glasgow", "G"), ("Aberdeen", "AB"), ("Dundee", "DD"), ("Inverness", "IV"),
    ("Perth", "PH"), ("Stirling", "FK"), ("Kilmarnock", "KA"), ("Dumfries", "DG"), ("Paisley", "PA"),
    ("Kirkcaldy", "KY"), ("Galashiels", "TD"), ("Motherwell", "ML"), ("Cardiff", "CF"), ("Swansea", "SA"),
]  # fmt: skip
MAILHOST = ["gmail.com", "hotmail.com", "btinternet.com", "yahoo.com", "aol.com", "live.co.uk", "sky.com"]

# --- Errors, as FEBRL models them ----------------------------------------------------------------

_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
_NEAR: dict[str, str] = {}
for _r, _row in enumerate(_ROWS):
    for _c, _ch in enumerate(_row):
        near = [_row[i] for i in (_c - 1, _c + 1) if 0 <= i < len(_row)]
        for _other in (_r - 1, _r + 1):
            if 0 <= _other < len(_ROWS):
                near += [_ROWS[_other][i] for i in (_c - 1, _c) if 0 <= i < len(_ROWS[_other])]
        _NEAR[_ch] = "".join(near)
_OCR = [("m", "rn"), ("rn", "m"), ("l", "1"), ("i", "l"), ("o", "0"), ("cl", "d"), ("d", "cl"), ("h", "b"),
        ("e", "c"), ("u", "v"), ("g", "q"), ("s", "5"), ("b", "6"), ("n", "ri"), ("w", "vv")]  # fmt: skip
_PHONETIC = [("ph", "f"), ("f", "ph"), ("ck", "k"), ("c", "k"), ("k", "c"), ("ie", "y"), ("y", "ie"),
             ("son", "sen"), ("ou", "ow"), ("ei", "ie"), ("th", "t"), ("z", "s"), ("s", "z"), ("ll", "l"),
             ("l", "ll"), ("tt", "t"), ("nn", "n"), ("ae", "e"), ("mac", "mc"), ("mc", "mac"), ("ey", "y"),
             ("gh", ""), ("wr", "r"), ("kn", "n"), ("ch", "gh"), ("ai", "ay"), ("ee", "ea")]  # fmt: skip


def _keep_case(original: str, new: str) -> str:
    if original.isupper():
        return new.upper()
    if original[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


def typo(rng: random.Random, value: str) -> str:
    """One keyboard error: a neighbouring key, a letter dropped, doubled or transposed."""
    if len(value) < 2:
        return value
    i = rng.randrange(len(value))
    kind = rng.choices(("sub", "del", "ins", "swap"), (0.4, 0.25, 0.2, 0.15))[0]
    c = value[i].lower()
    if kind == "sub" and c in _NEAR:
        new = rng.choice(_NEAR[c])
        return value[:i] + (new.upper() if value[i].isupper() else new) + value[i + 1 :]
    if kind == "del" and len(value) > 3:
        return value[:i] + value[i + 1 :]
    if kind == "ins":
        return value[:i] + value[i] + value[i:]
    if i < len(value) - 1:
        return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    return value


def _rewrite(rng: random.Random, value: str, rules: Sequence[tuple[str, str]]) -> str:
    low = value.lower()
    usable = [(a, b) for a, b in rules if a in low]
    if not usable:
        return typo(rng, value)
    a, b = rng.choice(usable)
    starts = [i for i in range(len(low)) if low.startswith(a, i)]
    i = rng.choice(starts)
    return (
        _keep_case(value, low[:i] + b + low[i + len(a) :]) if i == 0 else value[:i] + b + value[i + len(a) :]
    )


def ocr(rng: random.Random, value: str) -> str:
    """One OCR misreading."""
    return _rewrite(rng, value, _OCR)


def phonetic(rng: random.Random, value: str) -> str:
    """One spelling as it sounds."""
    return _rewrite(rng, value, _PHONETIC)


def _split_or_join(rng: random.Random, value: str) -> str:
    if " " in value:
        i = rng.choice([i for i, c in enumerate(value) if c == " "])
        return value[:i] + value[i + 1 :]
    if len(value) >= 6:
        i = rng.randrange(2, len(value) - 2)
        return value[:i] + " " + value[i:]
    return value


# --- Records ------------------------------------------------------------------------------------


def _weighted(rng: random.Random, items: Sequence[str]) -> str:
    # Earlier names in a list are commoner, but far less steeply than a Zipf law.
    return items[min(int(rng.expovariate(3.0 / len(items))), len(items) - 1)]


def _phone(rng: random.Random, area: str) -> str:
    if rng.random() < 0.55:
        return f"07{rng.randint(300, 999)}{rng.randint(100000, 999999)}"
    return f"01{rng.randint(20, 99)}{rng.randint(1, 9)}{rng.randint(100000, 999999)}"


def _national(value: str) -> str:
    """A phone number's eleven national digits, whatever its format."""
    digits = "".join(c for c in value if c.isdigit())
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits.replace("00", "0", 1) if digits.startswith("00") else digits


def _formatted_phone(rng: random.Random, digits: str) -> str:
    forms: list[Callable[[str], str]] = [
        lambda d: d,
        lambda d: f"{d[:5]} {d[5:]}",
        lambda d: f"+44 {d[1:5]} {d[5:]}",
        lambda d: f"+44 (0){d[1:5]} {d[5:8]} {d[8:]}",
        lambda d: f"{d[:4]}-{d[4:7]}-{d[7:]}",
        lambda d: f"0044{d[1:]}",
    ]
    return rng.choice(forms)(digits)


def _original(
    rng: random.Random, household: dict[str, Any] | None, taken: set[str], name: tuple[str, str] | None = None
) -> dict[str, Any]:
    given = _weighted(rng, GIVEN)
    surname = _weighted(rng, SURNAME) if rng.random() < 0.7 else rng.choice(RARE)
    if name is not None:
        given, surname = name
    if household is not None:
        surname = household["last_name"]
        # No two of one household share an initial (the household keeps everyone's).
        while given[0] in household["_initials"]:
            given = _weighted(rng, GIVEN)
        street, locality, town, postcode = (
            household[k] for k in ("address_line1", "address_line2", "town", "postcode")
        )
    else:
        number = str(rng.randint(1, 250))
        street = f"{number} {rng.choice(STREET)} {rng.choice(STREET_KIND)}"
        locality = rng.choice(LOCALITY) or None
        name, area = rng.choice(TOWN)
        town = name
        postcode = f"{area}{rng.randint(1, 40)} {rng.randint(0, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    p: dict[str, Any] = {
        "first_name": given,
        "last_name": surname,
        "address_line1": street,
        "address_line2": locality,
        "town": town,
        "postcode": postcode,
    }
    phone = _phone(rng, "")
    p["mobile" if phone.startswith("07") else "phone"] = phone
    if rng.random() < 0.6:
        host = rng.choice(MAILHOST)
        style = rng.randrange(4)
        g, s = given.lower(), surname.lower().replace("'", "").replace(" ", "")
        local = [f"{g}.{s}", f"{g[0]}{s}", f"{g}{s}{rng.randint(1, 99)}", f"{s}.{g}{rng.randint(60, 99)}"][
            style
        ]
        p["email"] = f"{local}{rng.randint(100, 9999)}@{host}" if rng.random() < 0.3 else f"{local}@{host}"
        while p["email"] in taken:  # one mailbox, one person
            p["email"] = f"{local}{rng.randint(100, 99999)}@{host}"
        taken.add(p["email"])
    # FEBRL's originals have missing values too.
    for key, rate in (
        ("address_line1", 0.08),
        ("town", 0.05),
        ("postcode", 0.1),
        ("mobile", 0.1),
        ("phone", 0.1),
    ):
        if rng.random() < rate:
            p[key] = None
    return p


_FIELD_ODDS = {
    "first_name": 0.22, "last_name": 0.22, "address_line1": 0.16, "address_line2": 0.04, "town": 0.08,
    "postcode": 0.12, "phone": 0.08, "email": 0.08,
}  # fmt: skip


def _corrupt_field(rng: random.Random, d: dict[str, Any], key: str) -> None:
    if key == "phone":
        key = "mobile" if d.get("mobile") else "phone"
    value = d.get(key)
    if not value:
        return
    if key == "first_name":
        kind = rng.choices(
            ("typo", "ocr", "phonetic", "missing", "nickname", "initial", "swap"),
            (0.3, 0.1, 0.2, 0.05, 0.15, 0.1, 0.1),
        )[0]
    elif key == "last_name":
        kind = rng.choices(
            ("typo", "ocr", "phonetic", "missing", "swap", "split"), (0.35, 0.15, 0.3, 0.02, 0.1, 0.08)
        )[0]
    elif key in ("address_line1", "address_line2"):
        kind = rng.choices(("typo", "ocr", "missing", "swap", "abbreviate"), (0.35, 0.15, 0.2, 0.1, 0.2))[0]
    elif key in ("mobile", "phone"):
        kind = rng.choices(("digit", "missing", "format"), (0.3, 0.3, 0.4))[0]
    elif key == "postcode":
        kind = rng.choices(("typo", "missing", "format"), (0.3, 0.3, 0.4))[0]
    else:
        kind = rng.choices(("typo", "ocr", "missing"), (0.5, 0.2, 0.3))[0]
    if kind == "missing":
        d[key] = None
    elif kind == "typo":
        d[key] = typo(rng, value)
    elif kind == "ocr":
        d[key] = ocr(rng, value)
    elif kind == "phonetic":
        d[key] = phonetic(rng, value)
    elif kind == "nickname":
        d[key] = rng.choice(NICKNAMES.get(value, [value[:3] if len(value) > 4 else value]))
    elif kind == "initial":
        d[key] = value[0] + rng.choice(("", "."))
    elif kind == "swap" and key in ("first_name", "last_name"):
        d["first_name"], d["last_name"] = d["last_name"], d["first_name"]
    elif kind == "swap":
        d["address_line1"], d["address_line2"] = d.get("address_line2"), d.get("address_line1")
    elif kind == "split":
        d[key] = _split_or_join(rng, value)
    elif kind == "abbreviate":
        for long, short in (("Street", "St."), ("Road", "Rd"), ("Avenue", "Av."), ("Terrace", "Ter"),
                            ("Crescent", "Cres"), ("Gardens", "Gdns"), ("Place", "Pl"), ("Drive", "Dr.")):  # fmt: skip
            if long in value:
                d[key] = value.replace(long, short)
                break
        else:
            d[key] = value.upper()
    elif kind == "digit":
        digits = list(_national(value))
        i = rng.randrange(3, len(digits))
        digits[i] = str(rng.randrange(10))
        d[key] = _formatted_phone(rng, "".join(digits))
    elif kind == "format":
        d[key] = (
            _formatted_phone(rng, _national(value))
            if key != "postcode"
            else rng.choice((value.replace(" ", ""), value.lower()))
        )


def _duplicate(rng: random.Random, original: dict[str, Any]) -> dict[str, Any]:
    d = dict(original)
    # FEBRL: up to three modifications a record, at most two in one field.
    for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3))):
        key = rng.choices(list(_FIELD_ODDS), list(_FIELD_ODDS.values()))[0]
        _corrupt_field(rng, d, key)
    for key in ("mobile", "phone"):
        if d.get(key) and d[key] == original.get(key) and rng.random() < 0.5:
            d[key] = _formatted_phone(rng, d[key])
    return d


def generate(
    count: int, *, duplicate_rate: float = 0.1, seed: int = 1
) -> tuple[list[dict[str, Any]], list[int]]:
    """``count`` records, about ``duplicate_rate`` of them duplicates; and, for each, its person."""
    rng = random.Random(seed * 7919 + 17)
    people: list[dict[str, Any]] = []
    clusters: list[int] = []
    originals = int(count * (1 - duplicate_rate))
    household: dict[str, Any] | None = None
    taken: set[str] = set()
    while len(people) < originals:
        share = household if household and rng.random() < 0.15 else None
        p = _original(rng, share, taken)
        if share is not None:
            share["_initials"] += p["first_name"][0]
        elif p.get("address_line1"):
            p["_initials"] = p["first_name"][0]
            household = p
        else:
            household = None
        people.append(p)
        clusters.append(len(clusters))
    # Namesakes: another person of the same name elsewhere.
    for _ in range(count // 100):
        p = rng.choice(people)
        q = _original(rng, None, taken, (p["first_name"], p["last_name"]))
        people.append(q)
        clusters.append(len(clusters))
    while len(people) < count:
        index = rng.randrange(originals)
        # FEBRL's duplicates per original follow a Zipf-like law, up to five.
        for _ in range(rng.choices((1, 2, 3, 4, 5), (0.6, 0.2, 0.1, 0.06, 0.04))[0]):
            if len(people) >= count:
                break
            people.append(_duplicate(rng, people[index]))
            clusters.append(clusters[index])
    order = list(range(len(people)))
    rng.shuffle(order)
    return [people[i] for i in order], [clusters[i] for i in order]
