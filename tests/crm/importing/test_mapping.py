"""Mapping columns to fields: synonyms, header rows, remembered mappings."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.importing import find_header_row, remember_mapping, suggest_mapping
from crm.importing.mapping import field_for_heading


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Forename", "first_name"),
        ("Surname", "last_name"),
        ("E-mail address", "email"),
        ("EMAIL", "email"),
        ("Organisation/Company", "organisation"),
        ("Organization", "organisation"),
        ("Post code", "postcode"),
        ("Full name", "full_name"),
        ("Name (Surname, Title Firstname)", "full_name"),
        ("Party", "party"),
        ("Constituency", "constituency"),
        ("Group", "network"),
        ("Area", "region"),
        ("Telephone", "phone"),
        ("Mobile number", "mobile"),
        ("Job title", "job_title"),
        ("Tags", "tags"),
        ("Stakeholder type", "type"),
        ("Favourite colour", None),
    ],
)
def test_synonyms(heading: str, field: str | None) -> None:
    assert field_for_heading(heading) == field


@pytest.mark.parametrize(
    "heading",
    [
        "Last modified time",  # Microsoft Forms
        "LAST_CHANGED",  # Mailchimp
        "Date of last event",
        "Address verified",
        "Town twinning",
        "Title of talk",
        "Post-event survey",
        "Company size",
        "Email opt-in",
        "Ticket Type",
        "Event name",
        "Job title and organisation",
    ],
)
def test_headings_about_something_else_map_to_nothing(heading: str) -> None:
    assert field_for_heading(heading) is None


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("First and last name", "full_name"),
        ("MSP name (Surname, Firstname)", "full_name"),
        ("What is your name?", "full_name"),
        ("Councillor name", "full_name"),
        ("Main contact", "full_name"),
        ("Attendee email", "email"),
        ("Email address 2", "email"),
        ("Home Address 1", "address_line1@home"),  # a labelled address (issue 15)
        ("Telephone (mobile)", "mobile"),
        ("Charity name", "organisation"),
        ("Ward name", "constituency"),
        ("Name of organisation", "organisation"),
    ],
)
def test_headings_from_forms_and_open_data(heading: str, field: str) -> None:
    assert field_for_heading(heading) == field


def test_form_answers_win_over_the_forms_own_empty_columns() -> None:
    """Microsoft Forms adds its own "Email" ("anonymous") and "Name" (empty) columns before the
    questions; the answers are what to import."""
    headers = ["ID", "Start time", "Email", "Name", "Last modified time", "Your name", "Your email address"]
    rows = [
        [1, "3/1/24 10:15", "anonymous", "", "3/1/24 10:17", "Ann Lee", "ann@example.org"],
        [2, "3/1/24 10:20", "anonymous", "", "3/1/24 10:21", "Bob Ray", "bob@example.org"],
    ]
    assert suggest_mapping(headers, rows=rows) == {5: "full_name", 6: "email"}


def test_attendee_email_wins_over_the_buyers() -> None:
    headers = ["First Name", "Surname", "Buyer email", "Attendee email"]
    rows = [["Ann", "Lee", "bob@example.org", "ann@example.org"]]
    assert suggest_mapping(headers, rows=rows) == {0: "first_name", 1: "last_name", 3: "email"}


def test_columns_without_headings_are_judged_by_their_values() -> None:
    headers = ["Column A", "Column B", "Column C", "Column D"]
    rows = [
        ["Jane Smith", "jane@example.org", "Acme", "0131 496 0000"],
        ["John Roe", "john@example.org", "Beta", "07700 900123"],
    ]
    assert suggest_mapping(headers, rows=rows) == {0: "full_name", 1: "email", 3: "phone"}
    assert field_for_heading("ann@example.org") is None  # a first row of data is not headings


def test_reimporting_a_kindred_export_keeps_titles_out_of_salutations() -> None:
    headers = ["Title", "First name", "Last name", "Informal salutation", "Formal salutation", "Email"]
    rows = [["", "Ann", "Lee", "Dear Ann", "Dear Ms Lee", "ann@example.org"]]
    assert suggest_mapping(headers, rows=rows) == {0: "title", 1: "first_name", 2: "last_name", 5: "email"}


def test_title_column_of_whole_names_is_a_name_column() -> None:
    rows = [["Dr Bob Ray", "bob@example.org"], ["Ms Ann Lee", "ann@example.org"]]
    assert suggest_mapping(["Title", "Email"], rows=rows) == {0: "full_name", 1: "email"}
    rows = [["Dr", "Bob Ray", "bob@example.org"], ["Rt Hon", "Ann Lee", "ann@example.org"]]
    assert suggest_mapping(["Title", "Name", "Email"], rows=rows) == {0: "title", 1: "full_name", 2: "email"}


def test_uk_parliament_member_list_headings() -> None:
    rows = [["Diane Abbott", "Abbott, Diane", "diane.abbott.mp@parliament.uk"]]
    assert suggest_mapping(["Display As", "List As", "Email"], rows=rows) == {0: "full_name", 2: "email"}


def test_lists_of_elected_members_imply_their_type() -> None:
    from crm.importing import suggest_type

    assert suggest_type(["MSP name (Surname, Firstname)", "Party", "Constituency/Region"]) == "msp"
    assert suggest_type(["Name", "Party", "Ward"], "Councillors 2026.xlsx") == "councillor"
    assert suggest_type(["Name", "Party"], "MPs.csv", "Sheet1") == "mp"
    assert suggest_type(["Name", "Email"], "Members of the Senedd.csv") == "ms"
    assert suggest_type(["Title", "Name", "Email"], "guests.csv") is None  # "Ms" as a title is not an office
    assert suggest_type(["MSP", "MP"]) is None  # two offices: the user chooses


def test_suggest_mapping_uses_each_field_once() -> None:
    headers = ["Name", "Email", "Email (2)", "Phone", "Phone (2)", "Role"]
    mapping = suggest_mapping(headers)
    assert mapping == {0: "full_name", 1: "email", 3: "phone", 4: "mobile", 5: "job_title"}


def test_role_is_network_role_when_there_is_a_network_column() -> None:
    assert suggest_mapping(["Name", "Network", "Role"]) == {0: "full_name", 1: "network", 2: "role"}


def test_name_column_ignored_beside_first_and_last() -> None:
    assert suggest_mapping(["First name", "Last name", "Name"]) == {0: "first_name", 1: "last_name"}


def test_header_row_under_titles() -> None:
    rows = [
        ["Guest list"],
        ["Printed 3 March"],
        ["Name", "Email", "Organisation"],
        ["Ada", "a@example.org", "X"],
    ]
    assert find_header_row(rows) == 2


def test_remembered_mapping_follows_headings_not_positions() -> None:
    headers = ["Who", "Contact at", "Where"]
    assert suggest_mapping(headers) == {}
    remember_mapping(headers, {0: "full_name", 1: "email", 2: "town"})
    moved = ["Where", "Who", "Contact at"]
    assert suggest_mapping(moved) == {0: "town", 1: "full_name", 2: "email"}
    assert suggest_mapping(["Who", "Contact at"]) == {}  # another set of headings: not remembered


EXACT_HEADINGS = ["First name", "Last name", "Email", "Organisation", "Phone"]
EXACT_MAPPING = {0: "first_name", 1: "last_name", 2: "email", 3: "organisation", 4: "phone"}
# First names a sign-up sheet really holds: initials, titles typed in the wrong box, a whole
# name, a phone number, an email address, "anonymous", blanks, numbers, and words that are headings.
ODD_FIRST_NAMES = [
    ["J.", "Dr", "Ann Lee", "anonymous", ""],
    ["0131 496 0000", "07700 900123", "1", "2", "3"],
    ["ann@example.org", "bob@example.org", "n/a", "-", "?"],
    ["Name", "Email", "Phone", "Organisation", "First name"],
    ["Rt Hon", "Cllr", "Prof", "Sir", "Lady"],
]


@pytest.mark.parametrize("firsts", ODD_FIRST_NAMES)
def test_exact_headings_win_whatever_the_values(firsts: list[str]) -> None:
    """A heading that is exactly a field's name is mapped to it; values may only choose among
    ambiguous headings, never overrule an exact one."""
    rows = [
        [first, "Smith", f"p{i}@example.org", "Acme Trust", f"0131 496 000{i}"]
        for i, first in enumerate(firsts)
    ]
    assert find_header_row([EXACT_HEADINGS, *rows]) == 0
    assert suggest_mapping(EXACT_HEADINGS, rows=rows, remembered=False) == EXACT_MAPPING
    # Even when every other column is odd too.
    rows = [[first, first, first, first, first] for first in firsts]
    assert suggest_mapping(EXACT_HEADINGS, rows=rows, remembered=False) == EXACT_MAPPING


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="aZé1@ .,-'()", max_size=14),
            st.sampled_from(["Name", "Title", "Email", "Dr", "N/A", "Column A", "Role", "Surname"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_no_first_name_value_unseats_an_exact_heading(firsts: list[str]) -> None:
    rows = [[first, "Smith", f"p{i}@example.org", "Acme", "0131 496 0000"] for i, first in enumerate(firsts)]
    assert find_header_row([EXACT_HEADINGS, *rows]) == 0
    assert suggest_mapping(EXACT_HEADINGS, rows=rows, remembered=False) == EXACT_MAPPING
