"""Small hand-counted data sets for the dashboard's aggregates (each test's expected numbers are
worked out in its docstring or comments, not by running the code)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from crm.models import Membership, Person
from crm.services import event_parts, interactions, networks, organisations, people, roles
from crm.services import events as event_service

D = dt.date


def person(session: Session, first: str, last: str, **fields: Any) -> int:
    return people.create_person(session, first_name=first, last_name=last, **fields).id


def meet(session: Session, day: dt.date, ids: list[int], **kw: Any) -> int:
    return interactions.log_interaction(session, subject="Meeting", date=day, person_ids=ids, **kw).id


def set_raw(session: Session, person_id: int, **values: Any) -> None:
    """Store values as a messy import might have left them (no validation)."""
    session.execute(update(Person).where(Person.id == person_id).values(**values))


def engagement_world(session: Session) -> dict[str, int]:
    """Representatives and interactions around the period 2025-01-01 to 2025-12-31."""
    ids: dict[str, int] = {}
    since = D(2021, 5, 13)
    for key, party, region in (
        ("a", "Scottish National Party", "Lothian"),
        ("b", "Scottish Labour", "Glasgow"),
        ("c", "Scottish National Party", "Lothian"),
        ("d", "Scottish Green Party", "Lothian"),
        ("e", "Scottish Labour", "Glasgow"),
        ("f", "Scottish Labour", "Glasgow"),
        ("g", "Scottish Conservative and Unionist Party", "Lothian"),
    ):
        ids[key] = person(session, key.upper(), "Msp")
        end = D(2025, 6, 30) if key == "e" else None  # e is a former member by the period's end
        roles.add_role(
            session,
            ids[key],
            chamber="Scottish Parliament",
            party=party,
            region=region,
            start_date=since,
            end_date=end,
        )
    ids["h"] = person(session, "H", "Ms")
    roles.add_role(session, ids["h"], chamber="Senedd", party="Plaid Cymru", region="South Wales West")
    ids["i"] = person(session, "I", "Mp")
    roles.add_role(session, ids["i"], chamber="House of Commons", party="Labour", constituency="Ayr")
    ids["j"] = person(session, "J", "Partner")
    meet(session, D(2025, 1, 1), [ids["a"], ids["j"]])  # first day of the period
    meet(session, D(2025, 12, 31), [ids["b"]])  # last day
    meet(session, D(2024, 12, 31), [ids["c"]])  # the day before
    meet(session, D(2026, 1, 1), [ids["c"]])  # the day after
    trashed = meet(session, D(2025, 6, 1), [ids["g"]])
    interactions.trash_interactions(session, [trashed])
    meet(session, D(2025, 3, 3), [ids["h"]])
    meet(session, D(2025, 4, 15), [ids["e"]])
    meet(session, D(2025, 5, 20), [ids["f"]])
    meet(session, D(2025, 3, 10), [ids["j"]])
    people.trash_people(session, [ids["f"]])
    return ids


def networks_world(session: Session) -> dict[str, int]:
    """Memberships around the period 2025-01-01 to 2025-03-31."""
    org, _ = organisations.get_or_create_organisation(session, "Kind Trust", sector="Third sector")
    ids = {
        "p1": person(session, "P1", "Member", nation="Scotland", organisation_id=org.id),
        "p2": person(session, "P2", "Member", nation="Wales"),
        "p3": person(session, "P3", "Member", nation="England"),
        "p4": person(session, "P4", "Member", nation="England"),
        "p5": person(session, "P5", "Member", nation="England"),
        "p6": person(session, "P6", "Member", nation="England"),
        "p7": person(session, "P7", "Member"),
        "p8": person(session, "P8", "Member", nation="Scotland"),
    }
    n1 = networks.create_network(session, "Kindness Leadership Network: cohort 1").id
    n2 = networks.create_network(session, "Kindness Champions").id
    n3 = networks.create_network(session, "Old network").id
    ids.update(n1=n1, n2=n2, n3=n3)
    networks.add_members(session, n1, [ids["p1"]], joined_on=D(2024, 6, 1))
    networks.add_members(session, n1, [ids["p2"]], joined_on=D(2025, 1, 31))
    networks.add_members(session, n1, [ids["p3"]], joined_on=D(2025, 2, 1))
    networks.add_members(session, n1, [ids["p4"]], joined_on=D(2025, 1, 10), status="invited")
    networks.add_members(session, n1, [ids["p5"]], joined_on=D(2024, 1, 1))
    networks.add_members(session, n1, [ids["p6"]], joined_on=D(2024, 1, 1))
    networks.add_members(session, n1, [ids["p7"]])
    networks.add_members(session, n1, [ids["p8"]], joined_on=D(2025, 4, 1))
    networks.add_members(session, n2, [ids["p1"]], joined_on=D(2025, 3, 15))
    networks.add_members(session, n3, [ids["p1"], ids["p2"]], joined_on=D(2024, 1, 1))
    session.flush()
    session.execute(
        update(Membership)
        .where(Membership.network_id == n1, Membership.person_id == ids["p3"])
        .values(left_on=D(2025, 3, 31), status="left")
    )
    # No join date (older records): a member all along.
    session.execute(
        update(Membership)
        .where(Membership.network_id == n1, Membership.person_id == ids["p7"])
        .values(joined_on=None)
    )
    # "Left" without a date: left at some time before anyone recorded it.
    session.execute(
        update(Membership)
        .where(Membership.network_id == n1, Membership.person_id == ids["p5"])
        .values(status="left", left_on=None)
    )
    people.trash_people(session, [ids["p6"]])
    networks.trash_networks(session, [n3])
    return ids


def events_world(session: Session) -> dict[str, int]:
    """Events around the period 2025-01-01 to 2025-12-31."""
    a = {f"a{i}": person(session, f"A{i}", "Guest") for i in range(1, 9)}
    e1 = event_service.create_event(session, "Reception", starts_on=D(2025, 1, 1)).id
    e2 = event_service.create_event(session, "Year-end", starts_on=D(2025, 12, 31)).id
    e3 = event_service.create_event(session, "Before", starts_on=D(2024, 12, 31)).id
    e4 = event_service.create_event(session, "After", starts_on=D(2026, 1, 1)).id
    e5 = event_service.create_event(session, "Binned", starts_on=D(2025, 5, 1)).id
    for status, who, notes in (
        ("invited", ["a1"], None),
        ("registered", ["a2"], None),
        ("attended", ["a3", "a4"], "Station 1: Trust"),
        ("attended", ["a5"], "Came late"),
        ("no_show", ["a6"], None),
        ("apologies", ["a7"], None),
        ("attended", ["a8"], "Station 2: Leadership"),
    ):
        event_service.set_attendance(session, e1, [a[k] for k in who], status, notes=notes)
    # Stations: a3 and a4 came to Trust (a2 was placed there but only registered); a8, now in
    # the Trash, was at Leadership; the other events' stations are out of the period or binned.
    trust = event_parts.add_part(session, e1, "Station 1: Trust", host="Ana Host")
    leadership = event_parts.add_part(session, e1, "Station 2: Leadership")
    event_parts.place_people(session, trust.id, [a["a3"], a["a4"], a["a2"]])
    event_parts.place_people(session, leadership.id, [a["a8"]])
    for other in (e3, e4, e5):
        event_service.set_attendance(session, other, [a["a3"]], "attended", notes="Station 1: Trust")
        elsewhere = event_parts.add_part(session, other, "Station 1: Trust")
        event_parts.place_people(session, elsewhere.id, [a["a3"]])
    meet(session, D(2025, 1, 15), [a["a3"]])  # a follow-up, two weeks on
    meet(session, D(2025, 1, 1), [a["a4"]])  # the same day: not after the event
    meet(session, D(2025, 1, 5), [a["a4"]], event_id=e1, kind="event")  # the event's own record
    binned = meet(session, D(2025, 1, 10), [a["a4"]])
    interactions.trash_interactions(session, [binned])
    meet(session, D(2025, 3, 3), [a["a5"]])  # 61 days on: too late to count
    meet(session, D(2025, 1, 20), [a["a8"]])
    people.trash_people(session, [a["a8"]])
    event_service.trash_events(session, [e5])
    return {**a, "e1": e1, "e2": e2, "e3": e3, "e4": e4, "e5": e5}


def follow_up_world(session: Session) -> None:
    """Follow-ups seen on Wednesday 7 January 2026 (the week ends on Sunday the 11th)."""
    who = [person(session, "F", "Contact")]

    def follow(day: dt.date, owner: str | None, *, done: bool = False, trash: bool = False) -> None:
        iid = meet(session, D(2024, 12, 1), who, owner=owner, follow_up_on=day)
        if done:
            interactions.set_follow_up_done(session, iid)
        if trash:
            interactions.trash_interactions(session, [iid])

    follow(D(2026, 1, 6), "Morven")  # overdue
    follow(D(2026, 1, 7), "Morven")  # due today: this week
    follow(D(2026, 1, 11), "Morven")  # Sunday: this week
    follow(D(2026, 1, 12), "Morven")  # next Monday: later
    follow(D(2025, 12, 31), "Gethin", done=True)  # done, due on the period's last day
    follow(D(2026, 1, 2), "Gethin", done=True)  # done, due after the period
    follow(D(2025, 6, 1), None)  # overdue, no owner
    follow(D(2025, 1, 1), "Gethin", trash=True)  # in the Trash
