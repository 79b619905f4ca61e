"""The scorer on the variations real lists have: each is a duplicate, with reasons in plain words."""

from __future__ import annotations

from typing import Any

import pytest

from crm.matching.keys import phone_digits, same_given_name, street_key
from crm.matching.scorer import (
    DEFAULT_THRESHOLD,
    NameFrequencies,
    person_record,
    score_organisations,
    score_people,
)
from crm.text import organisation_key

BASE: dict[str, Any] = {
    "first_name": "Elizabeth",
    "last_name": "MacDonald",
    "emails": ["liz.macdonald@fife.gov.uk"],
    "phones": ["07700 900123"],
    "address_line1": "12 High Street",
    "town": "Kirkcaldy",
    "postcode": "KY1 1XX",
    "organisation": "Fife Council",
}


def _score(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, list[str]]:
    return score_people(person_record(1, **a), person_record(2, **b))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"first_name": "MacDonald", "last_name": "Elizabeth"}, "first and last names swapped"),
        ({"first_name": "E."}, "an initial matches the first name"),
        ({"first_name": "Liz"}, "Elizabeth and Liz are the same name"),
        ({"last_name": "McDonald"}, "same name"),  # Mac and Mc are one
        ({"last_name": "MacDonlad"}, "surnames differ by one letter"),
        ({"first_name": "Elisabeth"}, "first names differ by one letter"),
        ({"last_name": "MacDonald-Reid"}, "one surname is part of the other"),
        ({"first_name": "ELIZABETH", "last_name": "MACDONALD"}, "same name"),
    ],
)
def test_name_variations_with_a_second_detail_are_duplicates(change: dict[str, Any], reason: str) -> None:
    other = {**BASE, **change, "emails": [], "phones": [], "organisation": None}
    score, reasons = _score(BASE, other)
    assert score >= DEFAULT_THRESHOLD, reasons
    assert reason in reasons
    assert "same postcode and street" in reasons


def test_accents_are_ignored() -> None:
    a = {"first_name": "Seán", "last_name": "Ó Floinn", "postcode": "EH1 1AA"}
    b = {"first_name": "Sean", "last_name": "O Floinn", "postcode": "eh11aa"}
    score, reasons = _score(a, b)
    assert score >= DEFAULT_THRESHOLD and reasons[:2] == ["same name", "same postcode"]
    assert same_given_name("sean", "sean")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"emails": ["LIZ.MACDONALD@FIFE.GOV.UK"], "phones": []}, "same email address"),
        # A work address on one record and a personal one, as a further email, on the other.
        ({"emails": ["lizzie77@gmail.com", "liz.macdonald@fife.gov.uk"], "phones": []}, "same email address"),
        ({"emails": [], "phones": ["+44 (0)7700 900-123"]}, "same mobile number"),
        ({"emails": [], "phones": ["07700900123"]}, "same mobile number"),
    ],
)
def test_contact_details_in_any_format_are_strong_evidence(change: dict[str, Any], reason: str) -> None:
    # A new job: nothing else in common but the name and the email or phone.
    other = {
        **BASE,
        **change,
        "address_line1": None,
        "postcode": "G1 1AA",
        "town": "Glasgow",
        "organisation": "NHS",
    }
    score, reasons = _score(BASE, other)
    assert score >= DEFAULT_THRESHOLD, reasons
    assert reason in reasons


def test_address_forms_are_one_address() -> None:
    assert street_key("Flat 2, 12 High St") == street_key("12 high street") == ("12", "high street")
    assert phone_digits("(0131) 555 0123") == phone_digits("+44 131 555 0123")
    other = {**BASE, "emails": [], "phones": [], "address_line1": "Flat 2, 12 High St", "postcode": "ky11xx"}
    score, reasons = _score(BASE, other)
    assert score >= DEFAULT_THRESHOLD and "same postcode and street" in reasons


def test_a_shared_mailbox_is_weak_evidence_not_proof() -> None:
    a = {"first_name": "Ann", "last_name": "Lee", "emails": ["info@kindness.org.uk"]}
    b = {"first_name": "Tom", "last_name": "Lee", "emails": ["info@kindness.org.uk"]}
    score, reasons = _score(a, b)
    assert score < 0.05
    assert any("shared mailbox" in r for r in reasons)
    # Two different people at one address and one office are not one person.
    household = {**BASE, "first_name": "Robert", "emails": [], "phones": ["01592 583000"]}
    assert _score({**BASE, "phones": ["01592 583000"]}, household)[0] < DEFAULT_THRESHOLD


def test_namesakes_elsewhere_are_not_duplicates() -> None:
    other = {"first_name": "Elizabeth", "last_name": "MacDonald", "town": "Inverness", "postcode": "IV2 3XX",
             "emails": ["emacd@highland.gov.uk"]}  # fmt: skip
    assert _score(BASE, other)[0] < DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The Robertson Trust", "Robertson Trust"),
        ("NHS Fife", "N.H.S. Fife"),
        ("Fife Council", "Fife Council (Education)"),
    ],
)
def test_organisation_name_variants_are_suggested_with_reasons(a: str, b: str) -> None:
    score, reasons = score_organisations(organisation_key(a), organisation_key(b))
    assert score >= DEFAULT_THRESHOLD and reasons
    assert score_organisations(organisation_key("Fife Council"), organisation_key("Falkirk Council"))[0] < 0.5


@pytest.mark.parametrize(
    ("last", "change", "reason"),
    [
        # Scanned forms: a digit read for a letter, "rn" for "m".
        ("MacDonald", {"first_name": "E1izabe7h"}, "same name"),
        ("Marshall", {"last_name": "Rnarshal"}, "surnames sound alike"),
        ("Bruce", {"last_name": "6ruce"}, "same name"),
        # Spelt as heard.
        ("Ferguson", {"last_name": "Pherguson"}, "surnames sound alike"),
        ("Ferguson", {"last_name": "Phergusen"}, "surnames are spelt differently but sound alike"),
        ("Thomson", {"first_name": "Elisabeth", "last_name": "Tomsson"}, "surnames sound alike"),
    ],
)
def test_ocr_and_phonetic_misspellings_are_duplicates(last: str, change: dict[str, Any], reason: str) -> None:
    base = {**BASE, "last_name": last}
    other = {**base, **change, "emails": [], "phones": [], "organisation": None}
    score, reasons = _score(base, other)
    assert score >= DEFAULT_THRESHOLD, reasons
    assert reason in reasons


def test_a_mistyped_mobile_or_email_is_near_agreement_not_disagreement() -> None:
    moved = {"address_line1": None, "postcode": None, "town": None, "organisation": None}
    phone = {**BASE, **moved, "emails": [], "phones": ["07700 900124"]}
    score, reasons = _score({**BASE, "emails": []}, phone)
    assert score >= DEFAULT_THRESHOLD and "mobile numbers differ by one digit" in reasons
    email = {**BASE, **moved, "phones": [], "emails": ["liz.macdonald@fife.gov.u"]}
    score, reasons = _score({**BASE, "phones": []}, email)
    assert score >= DEFAULT_THRESHOLD and "email addresses differ by one letter" in reasons
    # A different number in a mailbox, or another initial, is another person's mailbox.
    a = {
        "first_name": "Tomos",
        "last_name": "Hughes",
        "emails": ["tomos.hughes538@outlook.com"],
        "town": "Bala",
    }
    assert (
        "email addresses differ by one letter"
        not in _score(a, {**a, "emails": ["tomos.hughes535@outlook.com"]})[1]
    )
    b = {"first_name": "J", "last_name": "Smith", "emails": ["j.smith@fife.gov.uk"]}
    assert (
        "email addresses differ by one letter" not in _score(b, {**b, "emails": ["d.smith@fife.gov.uk"]})[1]
    )
    # Two different mobiles speak against one person.
    other = {**BASE, "emails": [], "phones": ["07911 123456"]}
    assert (
        _score({**BASE, "emails": []}, other)[0] < _score({**BASE, "emails": []}, {**other, "phones": []})[0]
    )


def test_an_initial_whose_email_names_someone_else_is_not_a_duplicate() -> None:
    robert = {"first_name": "Robert", "last_name": "Kinwick", "address_line1": "80 Argyle Road",
              "postcode": "NE28 6RW", "phones": ["07572 549213"]}  # fmt: skip
    roisin = {"first_name": "R", "last_name": "KINWICK", "address_line1": "80 Argyle Rd", "postcode": "NE28 6RW",
              "emails": ["roisin.kinwick78@icloud.com"]}  # fmt: skip
    assert _score(robert, roisin)[0] < DEFAULT_THRESHOLD
    score, reasons = _score({**robert, "first_name": "Roisin"}, roisin)
    assert score >= DEFAULT_THRESHOLD and "the email address gives the same first name" in reasons


def test_two_common_names_a_letter_apart_are_a_household_not_a_typo() -> None:
    # A list of 2,000 people in which Mark and Mary are common names and "Mcihael" is not.
    names = ["Mark", "Mary", "Michael"] * 20 + [
        f"Name{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}" for i in range(1940)
    ]
    records = [person_record(i, first_name=n, last_name=f"S{i}") for i, n in enumerate(names)]
    frequencies = NameFrequencies(records)
    home = {
        "last_name": "Norbrook",
        "address_line1": "57 King Terrace",
        "town": "Inverness",
        "postcode": "IV23 1EU",
    }
    mark, mary = person_record(1, first_name="Mark", **home), person_record(2, first_name="Mary", **home)
    assert score_people(mark, mary, frequencies)[0] < DEFAULT_THRESHOLD
    michael, typo = (
        person_record(3, first_name="Michael", **home),
        person_record(4, first_name="Micheal", **home),
    )
    score, reasons = score_people(michael, typo, frequencies)
    assert score >= DEFAULT_THRESHOLD and "first names differ by one letter" in reasons


def test_colleagues_on_the_office_landline_are_not_counted_twice() -> None:
    """A shared landline and the same organisation are one piece of evidence (the office's
    switchboard): two colleagues with look-alike surnames are not taken for one person, while the
    same name on the office line still is."""
    office = {"phones": ["01786 450000"], "organisation": "Stirling Wellbeing Together", "town": "Stirling"}
    john = {"first_name": "John", "last_name": "Woodstone", "emails": ["j.woodstone@swt.org.uk"], **office}
    colleague = {
        "first_name": "John",
        "last_name": "Woodmont",
        "emails": ["johnwoodmont@gmail.com"],
        **office,
    }
    score, reasons = _score(john, colleague)
    assert score < DEFAULT_THRESHOLD, reasons
    same, reasons = _score(john, {**john, "emails": []})
    assert same >= DEFAULT_THRESHOLD
    assert {"same name", "same phone number", "same organisation"} <= set(reasons)
