"""The sample data teaches good habits: every value is one a real, careful list would hold."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from crm.db import Database
from crm.models import Organisation, Person

UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][ABD-HJLNP-UW-Z]{2}$")


def test_every_sample_phone_number_is_a_valid_uk_number(demo_db: Database) -> None:
    with demo_db.session() as session:
        numbers = [
            (p.first_name, kind, value)
            for p in session.scalars(select(Person))
            for kind, value in (("phone", p.phone), ("mobile", p.mobile))
            if value
        ]
    assert len(numbers) > 50
    for name, kind, value in numbers:
        assert value.startswith("0"), (name, kind, value)
        parsed = phonenumbers.parse(value, "GB")
        assert phonenumbers.is_valid_number(parsed), (name, kind, value)
        # Shown as a person would write it: the national format.
        assert value == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        if kind == "mobile":
            assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE, value


def test_every_sample_postcode_and_email_is_well_formed(demo_db: Database) -> None:
    with demo_db.session() as session:
        people = list(session.scalars(select(Person)))
        postcodes = [p.postcode for p in people if p.postcode]
        postcodes += [o.postcode for o in session.scalars(select(Organisation)) if o.postcode]
        emails = [p.email for p in people if p.email]
    assert postcodes and emails
    for postcode in postcodes:
        assert UK_POSTCODE.match(postcode), postcode
        district = int(re.sub(r"\D", "", postcode.split()[0]))
        assert 1 <= district <= 99, postcode
    for email in emails:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError as exc:  # pragma: no cover - the message names the address
            raise AssertionError(f"{email}: {exc}") from exc
