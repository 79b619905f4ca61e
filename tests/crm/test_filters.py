"""The one person filter and text search: what the list, counts, views and exports all use."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.db import Database
from crm.filters import PersonFilter, count_people, list_rows, page, person_ids
from crm.models import ElectedRole
from crm.services import networks, organisations, people, tags
from crm.text import fold, organisation_key, search_digest


@pytest.fixture
def sample(db: Database) -> Database:
    with db.transaction() as session:
        org = organisations.create_organisation(session, name="NHS Fife", sector="Public sector")
        uni = organisations.create_organisation(session, name="University of Stirling", sector="Academic")
        rows = [
            dict(
                first_name="Seán",
                last_name="Ó Floinn",
                email="sean@example.org",
                town="Dunfermline",
                nation="Scotland",
                organisation_id=org.id,
                types=["partner_contact"],
            ),
            dict(
                first_name="Siân",
                last_name="O'Neill",
                email="sian@example.org",
                town="Cardiff",
                nation="Wales",
                types=["ms"],
            ),
            dict(
                first_name="Zoë",
                last_name="Smith-Jones",
                town="Leeds",
                nation="England",
                organisation_id=uni.id,
                types=["academic"],
                address_line1="1 High Street",
                postcode="LS1 1AA",
            ),
            dict(
                first_name="Sean",
                last_name="Murray",
                email="murray@example.org",
                nation="Scotland",
                types=["msp"],
                email_opt_out=True,
            ),
            dict(
                first_name="Fiona",
                last_name="Campbell",
                email="fiona@example.org",
                nation="Scotland",
                types=["msp"],
                do_not_contact=True,
            ),
        ]
        ids = [people.create_person(session, **r).id for r in rows]
        session.add(
            ElectedRole(
                person_id=ids[3],
                chamber="Scottish Parliament",
                party="Scottish Labour",
                constituency="Glasgow Kelvin",
            )
        )
        session.add(
            ElectedRole(
                person_id=ids[4],
                chamber="Scottish Parliament",
                party="Scottish Green Party",
                region="Lothian",
            )
        )
        net = networks.create_network(session, "Kindness Leadership Network")
        networks.add_members(session, net.id, ids[:2], role="lead")
        networks.add_members(session, net.id, ids[2:3])
        tags.tag_people(session, ids[:3], "reception 2026")
        tags.tag_people(session, ids[1:2], "newsletter")
    return db


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sean", 2),  # accents ignored: Seán and Sean
        ("SEÁN", 2),
        ("o floinn", 1),
        ("ó floinn", 1),
        ("oneill", 1),  # punctuation squeezed
        ("o'neill", 1),
        ("smith", 1),
        ("smithjones", 1),
        ("zo", 1),  # prefix, as typed
        ("nhs fife", 1),  # organisation name
        ("dunfermline", 1),
        ("sian@example", 1),
        ("nobody", 0),
        ("", 5),
        ("   ", 5),
        ('"*)(', 5),  # search syntax characters never reach the engine
    ],
)
def test_search_matches_loosely_and_by_prefix(sample: Database, query: str, expected: int) -> None:
    with sample.session() as session:
        assert count_people(session, PersonFilter(text=query)) == expected


def test_filters_combine(sample: Database) -> None:
    with sample.session() as session:

        def n(**kw: object) -> int:
            return count_people(session, PersonFilter(**kw))

        assert n(types=["MSP"]) == 2
        assert n(types=["msp", "ms"]) == 3
        assert n(network="kindness leadership network") == 3
        assert n(network="Kindness Leadership Network", network_role="lead") == 2
        assert n(tags=["reception 2026", "newsletter"]) == 1
        assert n(organisation="nhs fife") == 1
        assert n(sector="academic") == 1
        assert n(nation="scotland") == 3
        assert n(chamber="Scottish Parliament", party="scottish labour") == 1
        assert n(constituency="Lothian") == 1
        assert n(has_email=True) == 4
        assert n(has_email=False) == 1
        assert n(has_address=True) == 1
        assert n(can_email=True) == 3
        assert n(do_not_contact=True) == 1
        assert n(text="sean", nation="Scotland", types=["msp"]) == 1


def test_explicit_selection_handles_more_ids_than_sqlite_parameters(sample: Database) -> None:
    with sample.session() as session:
        all_ids = person_ids(session, PersonFilter())
        f = PersonFilter(ids=[*all_ids, *range(10_000_000, 10_040_000)])
        assert count_people(session, f) == 5
        assert count_people(session, PersonFilter(ids=[])) == 0


def test_sorting_and_paging_happen_in_sql(sample: Database) -> None:
    with sample.session() as session:
        ids = person_ids(session, PersonFilter(), sort="name")
        rows = list_rows(session, ids, ["last_name", "organisation"])
        # Accents and case do not push anyone to the end: Ó Floinn sorts among the Os.
        assert [rows[i][0] for i in ids] == ["Campbell", "Murray", "Ó Floinn", "O'Neill", "Smith-Jones"]
        desc = person_ids(session, PersonFilter(), sort="town", descending=True)
        towns = [list_rows(session, [i], ["town"])[i][0] for i in desc]
        assert towns[:3] == ["Leeds", "Dunfermline", "Cardiff"]  # empty towns last
        first_page = page(session, PersonFilter(), ["name", "email"], limit=2)
        second_page = page(session, PersonFilter(), ["name", "email"], offset=2, limit=2)
        assert [r[1] for r in first_page] == ["Campbell, Fiona", "Murray, Sean"]
        assert [r[1] for r in second_page] == ["Ó Floinn, Seán", "O'Neill, Siân"]


def test_ranked_search_puts_better_matches_first(db: Database) -> None:
    with db.transaction() as session:
        people.create_person(session, first_name="Ann", last_name="Lewis", job_title="Kindness lead")
        people.create_person(session, first_name="Kindness", last_name="Kindness")
    with db.session() as session:
        ids = person_ids(session, PersonFilter(text="kindness"), sort="rank")
        assert len(ids) == 2
        if db.is_sqlite:
            assert list_rows(session, ids[:1], ["last_name"])[ids[0]][0] == "Kindness"


def test_filter_round_trips_through_a_dict() -> None:
    f = PersonFilter(text="x", types=["msp"], last_contacted_before=dt.date(2026, 1, 2), has_email=True)
    assert PersonFilter.from_dict(f.to_dict()) == f
    assert PersonFilter().is_empty()
    assert PersonFilter.from_dict({"text": "x", "from_a_newer_version": 1}) == PersonFilter(text="x")


def test_text_helpers() -> None:
    assert fold("Seán Ó Floinn") == "sean o floinn"
    assert organisation_key("The Brightwater Energy Ltd.") == organisation_key("brightwater  energy")
    assert "oneill" in search_digest("O'Neill")


@pytest.mark.parametrize(
    "parts",
    [
        (
            "Seán",
            None,
            "Ó Floinn",
            "sean.o'floinn@example.org",
            "Smith-Jones & Co.",
            "Chief Exec.",
            "Leeds",
            "LS1 1AA",
        ),
        ("e\u0301", "\u0301a", "", "ﬁnance", "Straße", "İstanbul"),
        ("  spaced  out ", "\u00a0nbsp\u00a0", "x", "1⁄4 ¼", "O'Neill-Brown"),
    ],
)
def test_search_digest_of_parts_is_the_digest_of_the_whole(parts: tuple[str | None, ...]) -> None:
    # Parts are folded one by one (and remembered, for speed); the result must be exactly the
    # digest of the whole text, so stored search text and search queries agree.
    import re
    import unicodedata

    whole = unicodedata.normalize("NFKD", " ".join(p for p in parts if p).casefold())
    whole = "".join(ch for ch in whole if not unicodedata.combining(ch))
    words = re.sub(r"[^\w]+", " ", whole).split()
    squeezed = [
        s for t in whole.split() if not t.isalnum() and (s := re.sub(r"[^\w]+", "", t)) and len(s) > 1
    ]
    assert search_digest(*parts) == " ".join(words + squeezed)
    assert search_digest(*parts) == search_digest(*parts)  # and again, from the cache


@pytest.fixture(scope="module")
def search_db(tmp_path_factory: pytest.TempPathFactory):
    from crm.db import open_database

    database = open_database(tmp_path_factory.mktemp("search") / "search.db")
    with database.transaction() as session:
        people.create_person(session, first_name="Seán", last_name="Ó Floinn")
    yield database
    database.dispose()


@settings(max_examples=80, deadline=None)
@given(query=st.text(max_size=30))
def test_any_typed_search_text_is_safe(search_db: Database, query: str) -> None:
    """Whatever is typed in the search box, the query runs (no search-syntax errors)."""
    with search_db.session() as session:
        assert count_people(session, PersonFilter(text=query)) in (0, 1)
