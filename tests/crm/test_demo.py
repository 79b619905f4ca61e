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


def test_champions_joined_over_the_years_not_all_today(db: Database) -> None:
    import datetime as dt

    from crm import demo
    from crm.models import Membership, MembershipPeriod, Network

    with db.transaction() as session:
        demo.load_sample_data(session)
    today = dt.date.today()
    with db.session() as session:
        joined = list(
            session.scalars(
                select(Membership.joined_on)
                .join(Network, Network.id == Membership.network_id)
                .where(Network.name == "Kindness Champions")
            )
        )
        starts = list(session.scalars(select(MembershipPeriod.joined_on)))
    assert len(joined) == 66 and None not in joined
    assert today not in joined
    assert len(set(joined)) > 40  # a spread of days, not one
    assert min(joined) < today - dt.timedelta(days=3 * 365) and max(joined) < today  # type: ignore[operator]
    # Nobody in any network joined in the future (only a cohort is planned ahead).
    assert all(d is not None and d <= today for d in starts)


def test_the_reception_interaction_lists_only_those_who_came(db: Database) -> None:
    from crm import demo
    from crm.models import Attendance, Event, Interaction, InteractionPerson

    with db.transaction() as session:
        demo.load_sample_data(session)
    with db.session() as session:
        reception = session.scalars(select(Event).where(Event.name.like("%reception at the Scottish%"))).one()
        status = dict(
            session.execute(
                select(Attendance.person_id, Attendance.status).where(Attendance.event_id == reception.id)
            ).all()
        )
        interaction = session.scalars(select(Interaction).where(Interaction.event_id == reception.id)).one()
        participants = set(
            session.scalars(
                select(InteractionPerson.person_id).where(InteractionPerson.interaction_id == interaction.id)
            )
        )
        apologies = {p for p, s in status.items() if s == "apologies"}
        assert len(apologies) > 5
        assert participants == {p for p, s in status.items() if s == "attended"}
        assert not participants & apologies
        # Their "last contacted" is not the evening they sent apologies for (unless met otherwise).
        for pid in apologies:
            other = session.scalars(
                select(Interaction.date)
                .join(InteractionPerson, InteractionPerson.interaction_id == Interaction.id)
                .where(InteractionPerson.person_id == pid, Interaction.date == reception.starts_on)
            ).all()
            person = session.get(Person, pid)
            assert person is not None
            if not other:
                assert person.last_contacted != reception.starts_on
