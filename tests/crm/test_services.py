"""The service layer: people, organisations, networks, tags, interactions, events, consent, Trash, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from crm import audit
from crm.db import Database
from crm.errors import NotFoundError, ValidationError
from crm.filters import PersonFilter, count_people
from crm.models import AuditEntry, ElectedRole, Person, Suppression
from crm.privacy.suppression import is_suppressed
from crm.services import consent, events, interactions, networks, organisations, people, tags, trash, views


def test_create_person_cleans_values_and_is_audited(db: Database) -> None:
    with db.transaction() as session:
        p = people.create_person(
            session,
            first_name="  Claudia\u200b ",
            last_name="Beamish",
            email=" Claudia.Beamish@Parliament.Scot ",
            phone="+44 131 348 5000",
            postcode="eh99 1sp",
            types=["MSP", "Councillor"],
        )
        pid = p.id
    with db.session() as session:
        person = session.get(Person, pid)
        assert person is not None
        assert person.first_name == "Claudia"
        assert person.email == "claudia.beamish@parliament.scot"
        assert person.phone == "0131 348 5000"
        assert person.postcode == "EH99 1SP"
        assert sorted(t.type for t in person.types) == ["councillor", "msp"]
        entries = audit.history(session, "person", pid)
        assert [e.action for e in entries] == ["create"]
        assert entries[0].user


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "not a valid email"),
        ("phone", "12", "phone number"),
    ],
)
def test_invalid_values_are_refused_with_the_field_named(
    db: Database, field: str, value: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as info, db.transaction() as session:
        people.create_person(session, first_name="Ada", **{field: value})
    assert info.value.field == field
    with db.session() as session:
        assert count_people(session, PersonFilter()) == 0


def test_a_person_needs_a_name_or_email(db: Database) -> None:
    with pytest.raises(ValidationError, match="name or an email"), db.transaction() as session:
        people.create_person(session, job_title="Director")


def test_update_records_old_and_new_values(db: Database) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Ada", last_name="Lovelace", town="London").id
    with db.transaction() as session:
        changes = people.update_person(session, pid, {"town": "Edinburgh", "first_name": "Ada"})
    assert [(c.field, c.old, c.new) for c in changes] == [("town", "London", "Edinburgh")]
    with db.session() as session:
        latest = audit.history(session, "person", pid)[0]
        assert (latest.action, latest.field, latest.old_value, latest.new_value) == (
            "update",
            "town",
            "London",
            "Edinburgh",
        )


def test_a_failed_action_changes_nothing(db: Database) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Ada").id
    with pytest.raises(ValidationError), db.transaction() as session:
        people.update_person(session, pid, {"town": "Leeds"})
        people.update_person(session, pid, {"email": "broken@"})
    with db.session() as session:
        person = session.get(Person, pid)
        assert person is not None and person.town is None
        assert len(audit.history(session, "person", pid)) == 1


def test_trash_and_restore_keep_the_record_and_log_both(db: Database) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Ada").id
    with db.transaction() as session:
        assert people.trash_people(session, [pid]) == 1
    with db.session() as session:
        assert count_people(session, PersonFilter()) == 0
        assert count_people(session, PersonFilter(in_trash=True)) == 1
        assert [i.name for i in trash.list_trash(session)] == ["Ada"]
    with db.transaction() as session:
        assert trash.restore(session, "person", [pid]) == 1
    with db.session() as session:
        assert count_people(session, PersonFilter()) == 1
        assert [e.action for e in audit.history(session, "person", pid)] == ["restore", "delete", "create"]


def test_organisations_are_matched_ignoring_case_punctuation_the_and_ltd(db: Database) -> None:
    with db.transaction() as session:
        org, created = organisations.get_or_create_organisation(session, "The Brightwater Energy Ltd.")
        assert created
        again, created_again = organisations.get_or_create_organisation(session, "brightwater energy")
        assert not created_again and again.id == org.id
        other, _ = organisations.get_or_create_organisation(session, "Brightwater Housing")
        assert other.id != org.id


def test_renaming_an_organisation_makes_its_people_findable_by_the_new_name(db: Database) -> None:
    with db.transaction() as session:
        org = organisations.create_organisation(session, name="Old Name Trust")
        people.create_person(session, first_name="Ada", organisation_id=org.id)
    with db.transaction() as session:
        organisations.update_organisation(session, org.id, {"name": "Ffynnon Foundation"})
    with db.session() as session:
        assert count_people(session, PersonFilter(text="ffynnon")) == 1
        assert count_people(session, PersonFilter(organisation="ffynnon foundation")) == 1


def test_network_membership_roles_statuses_and_history(db: Database) -> None:
    with db.transaction() as session:
        net = networks.create_network(session, "Kindness Leadership Network")
        a = people.create_person(session, first_name="Ada").id
        b = people.create_person(session, first_name="Bronwen").id
        assert networks.add_members(session, net.id, [a, b, a], role="Co-chair") == 2
        assert networks.add_members(session, net.id, [a]) == 0
    with db.transaction() as session:
        networks.remove_member(session, net.id, b)
    with db.session() as session:
        rows = {name: (role, status) for _, _, name, role, status, _ in networks.members(session, net.id)}
        assert rows == {"Ada": ("co-chair", "active"), "Bronwen": ("co-chair", "left")}
        assert (
            count_people(
                session, PersonFilter(network="kindness leadership network", network_status="active")
            )
            == 1
        )
        assert networks.list_networks(session)[0][2] == 1
    with pytest.raises(ValidationError, match="already a network"), db.transaction() as session:
        networks.create_network(session, "kindness leadership network")


def test_tags_are_case_insensitive_and_removable(db: Database) -> None:
    with db.transaction() as session:
        ids = [people.create_person(session, first_name=n).id for n in ("Ada", "Bea", "Cal")]
        assert tags.tag_people(session, ids, "Reception 2026") == 3
        assert tags.tag_people(session, ids[:1], "reception 2026") == 0
        assert tags.untag_people(session, ids[1:], "RECEPTION 2026") == 2
    with db.session() as session:
        assert tags.all_tags(session) == [("Reception 2026", 1)]
        assert tags.tags_of(session, ids[0]) == ["Reception 2026"]


def test_interactions_update_last_contacted_and_follow_ups(db: Database) -> None:
    today = dt.date.today()
    with db.transaction() as session:
        a = people.create_person(session, first_name="Ada").id
        b = people.create_person(session, first_name="Bea").id
        it = interactions.log_interaction(
            session,
            subject="Call about loneliness",
            kind="call",
            date=today - dt.timedelta(days=10),
            person_ids=[a, b],
            follow_up_on=today - dt.timedelta(days=1),
        )
        interactions.log_interaction(
            session, subject="Older email", kind="email", date=today - dt.timedelta(days=40), person_ids=[a]
        )
    with db.session() as session:
        assert session.get(Person, a).last_contacted == today - dt.timedelta(days=10)  # never moves back
        assert interactions.count_overdue(session) == 1
        assert [i.subject for i in interactions.timeline(session, a)] == [
            "Call about loneliness",
            "Older email",
        ]
        assert count_people(session, PersonFilter(last_contacted_after=today - dt.timedelta(days=20))) == 2
        assert count_people(session, PersonFilter(last_contacted_before=today - dt.timedelta(days=20))) == 0
    with db.transaction() as session:
        interactions.set_follow_up_done(session, it.id)
    with db.session() as session:
        assert interactions.count_overdue(session) == 0
    with pytest.raises(ValidationError, match="kind of interaction"), db.transaction() as session:
        interactions.log_interaction(session, subject="x", kind="telepathy")


def test_event_attendance_statuses(db: Database) -> None:
    with db.transaction() as session:
        ev = events.create_event(
            session, "Reception at the Scottish Parliament", starts_on=dt.date(2026, 9, 1)
        )
        ids = [people.create_person(session, first_name=n).id for n in ("Ada", "Bea", "Cal")]
        events.set_attendance(session, ev.id, ids, "invited")
        events.set_attendance(session, ev.id, ids[:2], "attended", notes="Station 1: Kindness and trust")
        events.set_attendance(session, ev.id, ids[2:], "apologies")
    with db.session() as session:
        statuses = {name: status for _, _, name, status, _ in events.attendance(session, ev.id)}
        assert statuses == {"Ada": "attended", "Bea": "attended", "Cal": "apologies"}
        assert events.list_events(session)[0][4:] == (3, 2)
        assert session.get(Person, ids[0]).last_contacted == dt.date(2026, 9, 1)
    with pytest.raises(ValidationError, match="attendance status"), db.transaction() as session:
        events.set_attendance(session, ev.id, ids, "maybe")


def test_consent_is_recorded_and_withdrawn(db: Database) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Ada", email="ada@example.org").id
        c = consent.record_consent(
            session, pid, "Newsletter", source="Web form", wording="Send me the newsletter"
        )
    with db.session() as session:
        assert count_people(session, PersonFilter(consent_purpose="newsletter")) == 1
    with db.transaction() as session:
        consent.withdraw_consent(session, c.id)
    with db.session() as session:
        assert count_people(session, PersonFilter(consent_purpose="newsletter")) == 0
        assert consent.consents_of(session, pid)[0].withdrawn_on == dt.date.today()


def test_do_not_contact_puts_the_email_on_the_suppression_list(db: Database) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Ada", email="Ada@Example.org").id
    with db.transaction() as session:
        consent.set_preferences(session, pid, do_not_contact=True)
    with db.session() as session:
        assert people.is_suppressed(session, "ADA@example.org")
        assert count_people(session, PersonFilter(can_email=True)) == 0


def test_erasure_removes_the_person_but_keeps_suppression_and_an_audit_trace(db: Database) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Ada", email="ada@example.org").id
        people.update_person(session, pid, {"town": "Leeds"})
    with db.transaction() as session:
        people.erase_person(session, pid, "Subject's erasure request of 1 November")
    with db.session() as session:
        assert session.get(Person, pid) is None
        # Kept only as a keyed hash, which still matches the address.
        assert session.scalars(select(Suppression.email)).all() == [None]
        assert is_suppressed(session, "Ada@example.org")
        entries = audit.history(session, "person", pid)
        assert entries[0].action == "erase"
        assert all(e.old_value is None and e.new_value is None for e in entries[1:])


def test_saved_views_round_trip_the_filter(db: Database) -> None:
    f = PersonFilter(
        network="Kindness Champions", tags=["newsletter"], last_contacted_before=dt.date(2026, 1, 1)
    )
    with db.transaction() as session:
        # A view's names must be ones Kindred holds when it is opened (an unknown one is an error).
        networks.create_network(session, "Kindness Champions")
        tags.get_or_create_tag(session, "newsletter")
        views.save_view(session, "Champions to re-engage", f)
    with db.session() as session:
        assert views.view_filter(session, "champions to re-engage") == f
    with pytest.raises(ValidationError, match="already a view"), db.transaction() as session:
        views.save_view(session, "Champions to re-engage", PersonFilter())
    with pytest.raises(NotFoundError), db.session() as session:
        views.view_filter(session, "nope")


def test_elected_role_history_stays_after_leaving_office(db: Database) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Ada", types=["msp"]).id
        session.add(
            ElectedRole(
                person_id=pid,
                chamber="Scottish Parliament",
                party="Scottish Green Party",
                region="Lothian",
                start_date=dt.date(2016, 5, 6),
                end_date=dt.date(2021, 5, 5),
            )
        )
    with db.session() as session:
        assert count_people(session, PersonFilter(chamber="Scottish Parliament")) == 0
        assert (
            count_people(session, PersonFilter(chamber="Scottish Parliament", current_roles_only=False)) == 1
        )
        assert count_people(session, PersonFilter(constituency="lothian", current_roles_only=False)) == 1


def test_every_change_is_in_the_audit_log(db: Database) -> None:
    with db.transaction() as session:
        pid = people.create_person(session, first_name="Ada").id
        net = networks.create_network(session, "Kindness Champions")
        networks.add_members(session, net.id, [pid])
        tags.tag_people(session, [pid], "newsletter")
        people.trash_people(session, [pid])
    with db.session() as session:
        actions = [
            (e.action, e.entity, e.field) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert ("create", "person", None) in actions
    assert ("link", "person", "network") in actions
    assert ("link", "person", "tag") in actions
    assert ("delete", "person", None) in actions


def test_bulk_insert_keeps_people_searchable_and_the_index_consistent(db: Database) -> None:
    rows = [
        {"first_name": "Seán" if i % 2 else "Ann", "last_name": f"Ó Floinn{i}", "email": f"p{i}@example.org"}
        for i in range(1200)
    ]
    with db.transaction() as session:
        ids = people.bulk_insert_people(session, rows)
    assert len(ids) == len(set(ids)) == 1200
    with db.session() as session:
        assert session.get(Person, ids[5]).email == "p5@example.org"  # ids in input order
        assert count_people(session, PersonFilter(text="sean")) == 600
    # Rows added one at a time afterwards are still indexed (the trigger was restored).
    with db.transaction() as session:
        people.create_person(session, first_name="Zebedee")
    with db.session() as session:
        assert count_people(session, PersonFilter(text="zebedee")) == 1
    from crm.db import check_database

    assert check_database(db).ok


def test_a_failed_bulk_insert_leaves_nothing_behind(db: Database) -> None:
    rows = [{"first_name": f"P{i}"} for i in range(800)]
    with pytest.raises(RuntimeError), db.transaction() as session:
        people.bulk_insert_people(session, rows)
        raise RuntimeError("cancelled half-way")
    with db.transaction() as session:
        people.create_person(session, first_name="Zebedee")
    with db.session() as session:
        assert count_people(session, PersonFilter()) == 1
        assert count_people(session, PersonFilter(text="zebedee")) == 1


def test_a_network_in_the_trash_comes_back_with_its_members(db: Database) -> None:
    with db.transaction() as session:
        net = networks.create_network(session, "Kindness Innovation Network")
        pid = people.create_person(session, first_name="Ada").id
        networks.add_members(session, net.id, [pid], role="lead")
        assert trash.trash(session, "network", [net.id]) == 1
    with db.session() as session:
        assert networks.list_networks(session) == []
        assert [(i.kind, i.name) for i in trash.list_trash(session)] == [
            ("network", "Kindness Innovation Network")
        ]
    with db.transaction() as session:
        assert trash.restore(session, "network", [net.id]) == 1
    with db.session() as session:
        assert networks.list_networks(session) == [(net.id, "Kindness Innovation Network", 1)]


def test_a_person_added_as_do_not_contact_is_suppressed_straight_away(db: Database) -> None:
    with db.transaction() as session:
        people.create_person(session, first_name="Ada", email="Ada@Example.org", do_not_contact=True)
        people.create_person(session, first_name="Bea", email="bea@example.org")
    with db.session() as session:
        assert people.is_suppressed(session, "ada@example.org")
        assert not people.is_suppressed(session, "bea@example.org")
