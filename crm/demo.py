"""A realistic, entirely fictional sample data set for trying Kindred out.

Every person here is invented. Places, parliaments and parties are real so that filters behave as
they will with real data. The set is deterministic: loading it twice into empty databases gives
the same records.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.errors import ValidationError
from crm.models import ContactPoint, ElectedRole, Person
from crm.services import (
    channels,
    consent,
    event_parts,
    events,
    interactions,
    networks,
    organisations,
    people,
    tags,
)

NETWORKS = (
    ("Kindness Innovation Network", "Practitioners testing kind approaches in public services.", False),
    (
        "Kindness Leadership Network",
        "Leaders across England, Scotland and Wales championing kindness in public policy.",
        False,
    ),
    (
        "Kindness Champions",
        "An open network anyone may join to champion kindness where they work and live.",
        True,
    ),
)

FIRST = [
    "Aileen",
    "Alasdair",
    "Ailsa",
    "Amir",
    "Anna",
    "Aoife",
    "Beth",
    "Bronwen",
    "Callum",
    "Catriona",
    "Ceri",
    "Chloe",
    "Dafydd",
    "Daniel",
    "Dylan",
    "Eilidh",
    "Elin",
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
    "Iona",
    "Isla",
    "James",
    "Jamie",
    "Kirsty",
    "Lachlan",
    "Laura",
    "Lewis",
    "Lowri",
    "Mairi",
    "Malcolm",
    "Megan",
    "Mhairi",
    "Morag",
    "Niamh",
    "Nia",
    "Owain",
    "Priya",
    "Rhys",
    "Rona",
    "Ruaridh",
    "Saoirse",
    "Seán",
    "Siân",
    "Sophie",
    "Stuart",
    "Tomos",
    "Yasmin",
    "Zainab",
    "Øyvind",
    "Zoë",
    "Renée",
    "José",
    "Ciarán",
    "Bríd",
]
LAST = [
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
    "Ó",
    "Floinn",
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
    "Çelik",
    "Nowak",
    "Smith-Jones",
]
LAST = [n for n in LAST if n not in ("Ó", "Floinn")] + ["Ó Floinn", "Ní Bhriain"]

SCOT_REGIONS = {
    "Central Scotland": ["Airdrie and Shotts", "Falkirk East", "Motherwell and Wishaw"],
    "Glasgow": ["Glasgow Kelvin", "Glasgow Pollok", "Glasgow Southside"],
    "Highlands and Islands": ["Inverness and Nairn", "Orkney Islands", "Na h-Eileanan an Iar"],
    "Lothian": ["Edinburgh Central", "Edinburgh Southern", "Midlothian North and Musselburgh"],
    "Mid Scotland and Fife": ["Dunfermline", "Cowdenbeath", "Perthshire North"],
    "North East Scotland": ["Aberdeen Central", "Dundee City East", "Banffshire and Buchan Coast"],
    "South Scotland": ["Dumfriesshire", "Ayr", "Ettrick, Roxburgh and Berwickshire"],
    "West Scotland": ["Paisley", "Greenock and Inverclyde", "Dumbarton"],
}
SCOT_PARTIES = (
    "Scottish National Party",
    "Scottish Labour",
    "Scottish Conservative and Unionist Party",
    "Scottish Liberal Democrats",
    "Scottish Green Party",
)
WALES_SEATS = (
    "Cardiff Central",
    "Swansea West",
    "Ceredigion",
    "Ynys Môn",
    "Wrexham",
    "Newport West",
    "Arfon",
    "Llanelli",
)
WALES_PARTIES = ("Welsh Labour", "Plaid Cymru", "Welsh Conservatives", "Welsh Liberal Democrats")
MP_SEATS = (
    ("Edinburgh South", "Scotland"),
    ("Dunfermline and Dollar", "Scotland"),
    ("Cardiff South and Penarth", "Wales"),
    ("Leeds Central and Headingley", "England"),
    ("Bristol Central", "England"),
    ("Manchester Rusholme", "England"),
)
UK_PARTIES = (
    "Labour",
    "Conservative",
    "Liberal Democrats",
    "Scottish National Party",
    "Plaid Cymru",
    "Green Party",
)
COUNCILS = (
    ("Fife Council", "Scotland"),
    ("City of Edinburgh Council", "Scotland"),
    ("Glasgow City Council", "Scotland"),
    ("Cardiff Council", "Wales"),
    ("Leeds City Council", "England"),
    ("Gwynedd Council", "Wales"),
)
MINISTER_ROLES = (
    "Minister for Public Health",
    "Convener, Social Justice and Social Security Committee",
    "Deputy Convener, Health, Social Care and Sport Committee",
    "Cabinet Secretary for Communities",
    "Minister for Social Partnership",
)

ORGANISATIONS = (
    ("NHS Fife", "Public sector", "Dunfermline", "KY11 8RZ", "Scotland"),
    ("Public Health Scotland", "Public sector", "Edinburgh", "EH12 9EB", "Scotland"),
    ("Scottish Government", "Government", "Edinburgh", "EH1 3DG", "Scotland"),
    ("Welsh Government", "Government", "Cardiff", "CF10 3NQ", "Wales"),
    ("Fife Council", "Public sector", "Glenrothes", "KY7 5LT", "Scotland"),
    ("Cardiff Council", "Public sector", "Cardiff", "CF10 4UW", "Wales"),
    ("Leeds City Council", "Public sector", "Leeds", "LS1 1UR", "England"),
    ("Glasgow Community Food Network", "Third sector", "Glasgow", "G40 1AT", "Scotland"),
    ("Kinship Care Advice Service", "Third sector", "Glasgow", "G2 4JR", "Scotland"),
    ("Cymru Befriending Trust", "Third sector", "Aberystwyth", "SY23 1DE", "Wales"),
    ("Northern Neighbours CIC", "Third sector", "Leeds", "LS6 2UE", "England"),
    ("Tenants' Voice Scotland", "Third sector", "Dundee", "DD1 4HN", "Scotland"),
    ("University of Stirling", "Academic", "Stirling", "FK9 4LA", "Scotland"),
    ("Cardiff University", "Academic", "Cardiff", "CF10 3AT", "Wales"),
    ("University of Leeds", "Academic", "Leeds", "LS2 9JT", "England"),
    ("Forth Valley Housing Association", "Third sector", "Falkirk", "FK1 1XR", "Scotland"),
    ("Brightwater Energy Ltd", "Private sector", "Aberdeen", "AB10 1XG", "Scotland"),
    ("Kind Coffee Co-operative", "Private sector", "Bristol", "BS1 5TR", "England"),
    ("The Civic Trust for Wales", "Third sector", "Swansea", "SA1 1NW", "Wales"),
    ("Scottish Council for Voluntary Organisations", "Third sector", "Edinburgh", "EH7 4GB", "Scotland"),
    ("Improvement Service", "Public sector", "Livingston", "EH54 6FF", "Scotland"),
    ("The Herald Community Desk", "Media", "Glasgow", "G2 6DB", "Scotland"),
    ("Ffynnon Foundation", "Funder", "Cardiff", "CF10 5BT", "Wales"),
)
JOBS = (
    "Chief Executive",
    "Director of Policy",
    "Head of Communities",
    "Programme Manager",
    "Policy Officer",
    "Research Fellow",
    "Professor of Social Policy",
    "Service Manager",
    "Community Development Worker",
    "Head of Strategy",
    "Chair",
    "Senior Lecturer",
    "Journalist",
    "Grants Manager",
)
STREETS = (
    "High Street",
    "Church Road",
    "Station Road",
    "Main Street",
    "Victoria Street",
    "Park Terrace",
    "Heol y Bont",
    "Queen Street",
    "Mill Lane",
    "Castle Wynd",
)
TOWNS = (
    ("Edinburgh", "EH", "Scotland", "Lothian"),
    ("Glasgow", "G", "Scotland", "Glasgow"),
    ("Dunfermline", "KY", "Scotland", "Fife"),
    ("Inverness", "IV", "Scotland", "Highland"),
    ("Dundee", "DD", "Scotland", "Tayside"),
    ("Cardiff", "CF", "Wales", "South Wales"),
    ("Swansea", "SA", "Wales", "South Wales"),
    ("Bangor", "LL", "Wales", "North Wales"),
    ("Leeds", "LS", "England", "Yorkshire"),
    ("Manchester", "M", "England", "North West"),
    ("Bristol", "BS", "England", "South West"),
    ("Newcastle upon Tyne", "NE", "England", "North East"),
)
TOPICS = (
    "kindness in public services",
    "relational policy",
    "wellbeing economy",
    "loneliness",
    "community participation",
    "social security",
    "health and social care",
    "housing",
    "trust in institutions",
)
STAFF = ("Morven", "Ruth", "Gethin", "Priya")
# The reception's conversation stations: name, topic, host and the host's note on it.
STATIONS = (
    (
        "Health and social care working environments",
        "Kind workplaces for the people who care",
        "Ruth (programme team) with a ward sister from NHS Lothian",
        "Long queue at the start; several MSPs asked for the staff wellbeing evidence.",
    ),
    (
        "Values-based leadership",
        "Leading with values in public bodies",
        "Gethin (programme team)",
        "Good mix of elected members and chief officers.",
    ),
    (
        "Kindness in procurement and commissioning",
        "Relationships, not transactions, in commissioning",
        "Priya (programme team)",
        "Council procurement leads keen on a short guide.",
    ),
    (
        "Food poverty",
        "Dignity in food insecurity responses",
        "Morven (programme team) with a local food larder",
        "One group sat in a circle on the floor for the whole hour.",
    ),
)
# What people said at a station: the host's notes on some of those placed there.
STATION_NOTES = (
    "Wants the briefing on staff wellbeing before the committee session.",
    "Offered to host a round table in their constituency.",
    "Asked how other councils write kindness into contracts.",
    "Runs a community larder; would share their referral-free model.",
    "Interested in the Kindness Leadership Network's next cohort.",
)


# Short forms people really use, for preferred names ("Dear Dan").
NICKNAMES = {
    "Daniel": "Dan",
    "James": "Jim",
    "Catriona": "Cat",
    "Alasdair": "Ali",
    "Callum": "Cal",
    "Lachlan": "Lachie",
    "Malcolm": "Mal",
    "Stuart": "Stu",
    "Sophie": "Soph",
    "Megan": "Meg",
    "Tomos": "Tom",
    "Ruaridh": "Rory",
}


class _Names:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[tuple[str, str]] = set()

    def next(self) -> tuple[str, str]:
        while True:
            pair = (self.rng.choice(FIRST), self.rng.choice(LAST))
            if pair not in self.used:
                self.used.add(pair)
                return pair


def _email(first: str, last: str, domain: str) -> str:
    from crm.text import fold

    def part(s: str) -> str:
        return "".join(ch for ch in fold(s).replace("ø", "o") if ch.isascii() and ch.isalnum())

    return f"{part(first)}.{part(last)}@{domain}"


# Landline numbers by town. Where Ofcom reserves numbers for drama (never given to anyone) they are
# used, so a fictional person never has a real number; other towns get their real area code.
PHONE_PREFIXES = {
    "Edinburgh": "0131 496 0",
    "Glasgow": "0141 496 0",
    "Leeds": "0113 496 0",
    "Manchester": "0161 496 0",
    "Bristol": "0117 496 0",
    "Newcastle upon Tyne": "0191 498 0",
    "Cardiff": "029 2018 0",
    "Dunfermline": "01383 72",
    "Inverness": "01463 23",
    "Dundee": "01382 22",
    "Swansea": "01792 45",
    "Bangor": "01248 35",
}
# Mobile ranges in use with the UK networks (07700 900xxx, the drama range, is not a valid number).
MOBILE_PREFIXES = ("07411", "07712", "07723", "07734", "07745", "07756", "07781", "07802", "07900", "07968")
# Postcode districts that exist in each area (a made-up "CF19" would be refused by a mail merge).
POSTCODE_DISTRICTS = {
    "EH": (1, 3, 4, 6, 7, 8, 9, 10, 11, 12, 16, 17),
    "G": (1, 2, 3, 4, 11, 12, 13, 20, 31, 40, 41, 42),
    "KY": (11, 12),
    "IV": (1, 2, 3),
    "DD": (1, 2, 3, 4, 5),
    "CF": (5, 10, 11, 14, 23, 24),
    "SA": (1, 2, 3),
    "LL": (57,),
    "LS": (1, 2, 6, 7, 8, 11),
    "M": (1, 4, 13, 14, 15, 20),
    "BS": (1, 2, 3, 5, 6, 7, 8),
    "NE": (1, 2, 3, 4, 6),
}


# The draws below are the ones earlier versions made, in the same order, so the rest of the sample
# set (names, networks, events) stays what users and tests know.


def _landline(rng: random.Random, town: str) -> str:
    rng.choice(("131", "141", "29", "113", "117"))
    digits = f"{rng.randint(200, 999)}{rng.randint(1000, 9999)}"
    prefix = PHONE_PREFIXES.get(town, "0131 496 0")
    # A national number has ten digits after the leading 0.
    missing = 11 - sum(ch.isdigit() for ch in prefix)
    return prefix + digits[-missing:]


def _mobile(rng: random.Random) -> str:
    network = rng.randint(700, 999)
    return f"{MOBILE_PREFIXES[network % len(MOBILE_PREFIXES)]} {rng.randint(100000, 999999)}"


def _postcode(rng: random.Random, area: str) -> str:
    districts = POSTCODE_DISTRICTS.get(area, (1,))
    district = districts[(rng.randint(1, 19) - 1) % len(districts)]
    return f"{area}{district} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


def _office_channels(
    session: Session, p: Person, first: str, last: str, constituency: str | None, *, personal: bool
) -> None:
    """A sitting MSP's labelled channels: the Parliament address and email are their work ones,
    a constituency member has a constituency office too, and some give a personal email.
    Made without the random generator, so the rest of the sample data stays as it was."""
    for point in session.scalars(select(ContactPoint).where(ContactPoint.person_id == p.id)):
        point.label = {"address": "Parliament office", "email": "Work"}.get(point.kind)
    if constituency:
        channels.add_channel(
            session,
            person_id=p.id,
            kind="address",
            label="Constituency office",
            address={"address_line1": f"{len(constituency) + 2} High Street", "town": constituency},
        )
    if personal:
        channels.add_channel(
            session, person_id=p.id, kind="email", label="Personal", value=_email(first, last, "home.example")
        )


def load_sample_data(session: Session, *, seed: int = 2026) -> dict[str, int]:
    """Load the sample set into an empty database; returns counts of what was made."""
    if session.scalar(select(func.count(Person.id))):
        raise ValidationError("Sample data can only be loaded into an empty database.")
    rng = random.Random(seed)
    names = _Names(rng)
    today = dt.date.today()

    nets = {}
    for name, description, is_open in NETWORKS:
        nets[name] = networks.create_network(session, name, description, is_open=is_open)

    orgs = []
    for name, sector, town, postcode, nation in ORGANISATIONS:
        status = rng.choice(("Partner", "Partner", "Prospective partner", "Not a partner"))
        domain = "".join(ch for ch in name.lower() if ch.isalnum())[:18] + ".example.org"
        orgs.append(
            organisations.create_organisation(
                session,
                name=name,
                sector=sector,
                town=town,
                postcode=postcode,
                nation=nation,
                partner_status=status,
                website=f"https://www.{domain}",
                source="Sample data",
            )
        )
    parliament = organisations.create_organisation(
        session,
        name="Scottish Parliament",
        sector="Government",
        town="Edinburgh",
        postcode="EH99 1SP",
        nation="Scotland",
        source="Sample data",
    )
    senedd = organisations.create_organisation(
        session,
        name="Senedd Cymru",
        sector="Government",
        town="Cardiff",
        postcode="CF99 1SN",
        nation="Wales",
        source="Sample data",
    )
    commons = organisations.create_organisation(
        session,
        name="House of Commons",
        sector="Government",
        town="London",
        postcode="SW1A 0AA",
        nation="England",
        source="Sample data",
    )

    everyone: list[Person] = []
    representatives: list[Person] = []

    def person(first: str, last: str, **kw: Any) -> Person:
        p = people.create_person(
            session, first_name=first, last_name=last, source=kw.pop("source", "Sample data"), **kw
        )
        everyone.append(p)
        return p

    # MSPs: two per region, constituency and list members, some former.
    for region, seats in SCOT_REGIONS.items():
        for i in range(4):
            first, last = names.next()
            party = rng.choice(SCOT_PARTIES)
            title = rng.choice(("Ms", "Mr", "Dr", "Mx", None))
            p = person(
                first,
                last,
                title=title,
                post_nominals="MSP",
                email=_email(first, last, "parliament.scot.example"),
                phone=f"0131 348 {rng.randint(5000, 6999)}",
                address_line1="The Scottish Parliament",
                town="Edinburgh",
                postcode="EH99 1SP",
                country="United Kingdom",
                nation="Scotland",
                region=region,
                types=["msp"],
                organisation_id=parliament.id,
            )
            constituency = seats[i] if i < len(seats) else None
            former = i == 3
            session.add(
                ElectedRole(
                    person_id=p.id,
                    chamber="Scottish Parliament",
                    party=party,
                    constituency=constituency,
                    region=region if constituency is None else None,
                    start_date=dt.date(2016 if former else 2021, 5, 6),
                    end_date=dt.date(2021, 5, 5) if former else None,
                    role=rng.choice(MINISTER_ROLES) if rng.random() < 0.2 else None,
                )
            )
            if former:
                p.post_nominals = None
            else:
                _office_channels(session, p, first, last, constituency, personal=i == 0)
            representatives.append(p)
    # MSs in the Senedd.
    for seat in WALES_SEATS:
        first, last = names.next()
        p = person(
            first,
            last,
            title=rng.choice(("Ms", "Mr", None)),
            post_nominals="MS",
            email=_email(first, last, "senedd.wales.example"),
            address_line1="Senedd Cymru",
            town="Cardiff",
            postcode="CF99 1SN",
            nation="Wales",
            region="Wales",
            types=["ms"],
            organisation_id=senedd.id,
        )
        session.add(
            ElectedRole(
                person_id=p.id,
                chamber="Senedd",
                party=rng.choice(WALES_PARTIES),
                constituency=seat,
                start_date=dt.date(2021, 5, 7),
            )
        )
        representatives.append(p)
    for seat, nation in MP_SEATS:
        first, last = names.next()
        p = person(
            first,
            last,
            title=rng.choice(("Ms", "Mr", "Dr")),
            post_nominals="MP",
            email=_email(first, last, "parliament.uk.example"),
            address_line1="House of Commons",
            town="London",
            postcode="SW1A 0AA",
            nation=nation,
            types=["mp"],
            organisation_id=commons.id,
        )
        session.add(
            ElectedRole(
                person_id=p.id,
                chamber="House of Commons",
                party=rng.choice(UK_PARTIES),
                constituency=seat,
                start_date=dt.date(2024, 7, 4),
            )
        )
        representatives.append(p)
    for council, nation in COUNCILS:
        for _ in range(2):
            first, last = names.next()
            p = person(
                first,
                last,
                title="Cllr",
                email=_email(first, last, council.lower().replace(" ", "") + ".example"),
                nation=nation,
                types=["councillor"],
            )
            session.add(
                ElectedRole(
                    person_id=p.id,
                    chamber="Local council",
                    party=rng.choice(UK_PARTIES),
                    constituency=f"{council} ward {rng.randint(1, 20)}",
                    start_date=dt.date(2022, 5, 5),
                )
            )
            representatives.append(p)

    # Partner contacts and network members across the three nations.
    contacts: list[Person] = []
    for i in range(150):
        first, last = names.next()
        org = rng.choice(orgs) if i < 110 else None
        town, area, nation, region = rng.choice(TOWNS)
        domain = (
            (org.website or "").removeprefix("https://www.")
            if org
            else rng.choice(("example.com", "mail.example.net"))
        )
        kinds = ["partner_contact"] if org else ["network_member"]
        if org and org.sector == "Academic":
            kinds = ["academic"]
        if org and org.sector == "Media":
            kinds = ["media"]
        if org and org.sector == "Funder":
            kinds = ["funder"]
        if org and org.sector == "Government":
            kinds = ["official"]
        has_address = rng.random() < 0.7
        p = person(
            first,
            last,
            title=rng.choice(("Ms", "Mr", "Dr", "Prof", "Mx", None, None)),
            preferred_name=rng.choice((None, None, None, NICKNAMES.get(first))),
            pronouns=rng.choice((None, None, "she/her", "he/him", "they/them")),
            job_title=rng.choice(JOBS) if org else None,
            email=_email(first, last, domain) if rng.random() < 0.93 else None,
            phone=_landline(rng, town) if rng.random() < 0.5 else None,
            mobile=_mobile(rng) if rng.random() < 0.4 else None,
            address_line1=f"{rng.randint(1, 120)} {rng.choice(STREETS)}" if has_address else None,
            town=town if has_address else None,
            postcode=_postcode(rng, area) if has_address else None,
            country="United Kingdom" if has_address else None,
            nation=nation,
            region=region,
            types=kinds,
            organisation_id=org.id if org else None,
            do_not_contact=rng.random() < 0.03,
            email_opt_out=rng.random() < 0.05,
            post_opt_out=rng.random() < 0.05,
            source=rng.choice(
                ("Sample data", "Reception sign-up sheet", "Partner referral", "Kindness Champions web form")
            ),
        )
        contacts.append(p)

    lead = nets["Kindness Leadership Network"]
    innov = nets["Kindness Innovation Network"]
    champs = nets["Kindness Champions"]
    leaders = rng.sample(contacts[:110], 30)
    networks.add_members(
        session,
        lead.id,
        [p.id for p in leaders[:3]],
        role="co-chair",
        joined_on=dt.date(today.year - 1, 3, 1),
    )
    networks.add_members(
        session, lead.id, [p.id for p in leaders[3:]], role="member", joined_on=dt.date(today.year - 1, 3, 1)
    )
    innovators = rng.sample(contacts, 35)
    networks.add_members(
        session,
        innov.id,
        [p.id for p in innovators[:2]],
        role="lead",
        joined_on=dt.date(today.year - 2, 9, 1),
    )
    networks.add_members(
        session,
        innov.id,
        [p.id for p in innovators[2:]],
        role="member",
        joined_on=dt.date(today.year - 2, 9, 1),
    )
    champions = rng.sample(contacts, 60) + rng.sample(representatives, 6)
    # Champions sign up all year round: each joined on a day of the last four years (their own
    # random numbers, so the rest of the set is as before).
    joined_rng = random.Random(seed + 21)
    by_day: dict[dt.date, list[int]] = {}
    for p in champions:
        by_day.setdefault(today - dt.timedelta(days=joined_rng.randint(21, 4 * 365)), []).append(p.id)
    for day, ids in sorted(by_day.items()):
        networks.add_members(session, champs.id, ids, role="champion", joined_on=day)
    lapsed = rng.sample(innovators[2:], 4)
    networks.set_status(session, innov.id, [p.id for p in lapsed], "paused")
    _cohorts_groups_and_periods(
        session, lead.id, innov.id, champs.id, leaders, innovators, champions, contacts, today, seed
    )

    tag_sets = {
        "reception 2026": rng.sample(everyone, 45),
        "newsletter": rng.sample(contacts, 70),
        "policy roundtable": rng.sample(everyone, 20),
        "funder prospect": [p for p in contacts if p.organisation_id and rng.random() < 0.08],
    }
    for tag, members in tag_sets.items():
        tags.tag_people(session, [p.id for p in members], tag)

    for p in tag_sets["newsletter"]:
        consent.record_consent(
            session,
            p.id,
            "newsletter",
            basis="consent",
            recorded_on=today - dt.timedelta(days=rng.randint(20, 400)),
            source=rng.choice(("Web form", "Reception sign-up sheet", "Email reply")),
            wording="I would like to receive the Kindness in Public Policy newsletter.",
        )
    for p in rng.sample(contacts, 40):
        consent.record_consent(
            session,
            p.id,
            "events",
            basis="legitimate interests",
            recorded_on=today - dt.timedelta(days=rng.randint(20, 400)),
            source="Partnership agreement",
        )

    # A year of interactions.
    n_interactions = 0
    for _ in range(90):
        when = today - dt.timedelta(days=rng.randint(1, 365))
        kind = rng.choice(("meeting", "meeting", "call", "email", "email", "letter"))
        with_people = rng.sample(everyone, rng.choice((1, 1, 1, 2, 3)))
        topic = rng.choice(TOPICS)
        follow = when + dt.timedelta(days=rng.randint(7, 45)) if rng.random() < 0.35 else None
        it = interactions.log_interaction(
            session,
            subject=f"{kind.capitalize()} about {topic}",
            date=when,
            kind=kind,
            person_ids=[p.id for p in with_people],
            organisation_ids=[p.organisation_id for p in with_people if p.organisation_id],
            notes=f"Discussed {topic}. "
            + rng.choice(
                (
                    "Keen to stay involved.",
                    "Will share the briefing with colleagues.",
                    "Asked for evidence from the Innovation Network.",
                    "Suggested a follow-up meeting in the new year.",
                )
            ),
            topics=topic,
            owner=rng.choice(STAFF),
            follow_up_on=follow,
        )
        if follow and follow < today and rng.random() < 0.6:
            interactions.set_follow_up_done(session, it.id)
        n_interactions += 1

    # Two events with attendance.
    reception = events.create_event(
        session,
        "Kindness in Public Policy: reception at the Scottish Parliament",
        starts_on=today - dt.timedelta(days=60),
        location="Garden Lobby, Scottish Parliament, Edinburgh",
        description="An evening reception with themed conversation stations: "
        + "; ".join(name.lower() for name, *_ in STATIONS)
        + ". People moved between them.",
    )
    invited = rng.sample(representatives[:32], 24) + rng.sample(contacts, 50)
    events.set_attendance(session, reception.id, [p.id for p in invited], "invited")
    # Every other guest came; every fifth, from the second, sent apologies instead.
    present = [p for i, p in enumerate(invited) if i % 2 == 0 and i % 5 != 1]
    events.set_attendance(session, reception.id, [p.id for p in present], "attended")
    # Per-attendee notes for a few, as the team jotted them on the night.
    for p, note in zip(
        present[4::9],
        ("Arrived late from a committee meeting.", "Brought a colleague from the council.", "Left early."),
        strict=False,
    ):
        event_parts.set_attendance_notes(session, reception.id, p.id, note)
    events.set_attendance(session, reception.id, [p.id for p in invited[1::5]], "apologies")
    # Everyone who came was at one station; every third person moved on to the next one too.
    stations = [
        event_parts.add_part(session, reception.id, name, topic=topic, host=host, notes=note)
        for name, topic, host, note in STATIONS
    ]
    for i, station in enumerate(stations):
        placed = [p.id for j, p in enumerate(present) if j % len(stations) == i]
        placed += [p.id for j, p in enumerate(present) if j % 3 == 0 and (j + 1) % len(stations) == i]
        event_parts.place_people(session, station.id, placed)
        event_parts.set_placement_notes(session, station.id, placed[0], STATION_NOTES[i])
        if i == len(stations) - 1:
            event_parts.set_placement_notes(session, station.id, placed[1], STATION_NOTES[-1])
    interactions.log_interaction(
        session,
        subject="Reception at the Scottish Parliament",
        date=reception.starts_on,
        kind="event",
        person_ids=[p.id for p in present],  # who came: apologies stay on the event's list
        notes="Conversation stations on care work, leadership, procurement and food poverty.",
        topics="kindness in public services",
        owner="Morven",
        event_id=reception.id,
        follow_up_on=reception.starts_on + dt.timedelta(days=14) if reception.starts_on else None,
    )
    n_interactions += 1

    first_meeting = events.create_event(
        session,
        "Kindness Leadership Network: first meeting",
        starts_on=today - dt.timedelta(days=30),
        location="Carnegie Library and Galleries, Dunfermline",
        description="The network's first gathering: introductions, shared ambitions and a plan for the year.",
        network_id=lead.id,
    )
    events.set_attendance(session, first_meeting.id, [p.id for p in leaders], "registered")
    events.set_attendance(session, first_meeting.id, [p.id for p in leaders[:22]], "attended")
    events.set_attendance(session, first_meeting.id, [p.id for p in leaders[22:27]], "apologies")
    events.set_attendance(session, first_meeting.id, [p.id for p in leaders[27:]], "no_show")
    interactions.log_interaction(
        session,
        subject="Kindness Leadership Network first meeting, Dunfermline",
        date=first_meeting.starts_on,
        kind="event",
        person_ids=[p.id for p in leaders[:22]],
        notes="Agreed three priorities and a rota of hosts.",
        topics="kind leadership",
        owner="Gethin",
        event_id=first_meeting.id,
        follow_up_on=today + dt.timedelta(days=10),
    )
    n_interactions += 1

    session.flush()
    return {
        "people": len(everyone),
        "organisations": len(orgs) + 3,
        "networks": len(nets),
        "interactions": n_interactions,
        "events": 2,
    }


def _cohorts_groups_and_periods(
    session: Session,
    lead_id: int,
    innov_id: int,
    champs_id: int,
    leaders: list[Person],
    innovators: list[Person],
    champions: list[Person],
    contacts: list[Person],
    today: dt.date,
    seed: int,
) -> None:
    """The programme as it runs: the Leadership Network's cohorts (an earlier one finished, the
    current one, the next one planned), the Innovation Network's working groups and regional hubs,
    and Champions who left and came back. Its own random numbers, so the rest of the set is as before."""
    from crm.models import Membership
    from crm.services import cohorts, membership_periods

    rng = random.Random(seed + 15)
    y = today.year

    def label(start: int) -> str:
        return f"KLN {start}–{str(start + 1)[-2:]}"

    first = cohorts.create_cohort(session, lead_id, label(y - 3), dt.date(y - 3, 3, 1), dt.date(y - 2, 2, 28))
    current = cohorts.create_cohort(session, lead_id, label(y - 1), dt.date(y - 1, 3, 1), dt.date(y, 2, 28))
    cohorts.create_cohort(session, lead_id, label(y + 1), dt.date(y + 1, 3, 1), dt.date(y + 2, 2, 28))

    def memberships(network_id: int, people_: list[Person]) -> list[int]:
        ids = [p.id for p in people_]
        return list(
            session.scalars(
                select(Membership.id).where(
                    Membership.network_id == network_id, Membership.person_id.in_(ids)
                )
            )
        )

    cohorts.set_cohort(session, memberships(lead_id, leaders), current.id)
    # The first cohort finished its year; its leaders are former members now.
    held = {p.id for p in leaders}
    alumni = rng.sample([p for p in contacts if p.id not in held], 12)
    networks.add_members(
        session, lead_id, [p.id for p in alumni], joined_on=dt.date(y - 3, 3, 1), cohort_id=first.id
    )
    for mid in memberships(lead_id, alumni):
        membership_periods.leave(session, mid, on=dt.date(y - 2, 2, 28), reason="Cohort year completed")

    # Working groups and regional hubs of the Innovation Network.
    groups = [
        cohorts.create_group(session, innov_id, name, kind)
        for name, kind in (
            ("Health and social care", "working group"),
            ("Housing and homelessness", "working group"),
            ("Local government", "working group"),
            ("Scotland hub", "regional hub"),
            ("Wales hub", "regional hub"),
        )
    ]
    by_person = dict(
        session.execute(
            select(Membership.person_id, Membership.id).where(
                Membership.network_id == innov_id, Membership.person_id.in_([p.id for p in innovators])
            )
        ).all()
    )
    for k, person in enumerate(innovators):
        mid = by_person[person.id]
        chosen = {groups[k % 3].id: "convener" if k < 3 else "member"}
        if rng.random() < 0.3:
            chosen[groups[(k + 1) % 3].id] = "member"
        hub = {"Scotland": groups[3].id, "Wales": groups[4].id}.get(person.nation or "")
        if hub is not None and rng.random() < 0.7:
            chosen[hub] = "member"
        cohorts.set_groups(session, mid, chosen)

    # Champions come and go: some left, most of those came back.
    movers = rng.sample(champions[:60], 8)
    reasons = ("Changed job", "Too busy for now", "Moved away", "Stepping back for a while")
    for k, mid in enumerate(memberships(champs_id, movers)):
        period = membership_periods.periods_of(session, [mid])[mid][-1]
        joined = today - dt.timedelta(days=700 + 20 * k)
        membership_periods.edit_period(session, period.id, joined_on=joined, left_on=None)
        membership_periods.leave(
            session, mid, on=today - dt.timedelta(days=330 - 10 * k), reason=reasons[k % 4]
        )
        if k < 5:
            membership_periods.rejoin(
                session, mid, on=today - dt.timedelta(days=120 - 10 * k), reason="Back after a break"
            )
