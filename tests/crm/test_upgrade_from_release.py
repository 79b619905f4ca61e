"""A database made by the first release opens with today's code, upgraded, with its data intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from crm.db import check_database, head_revision, open_database

COUNTS_0_1_0 = {
    "person": 210,
    "organisation": 27,
    "membership": 131,
    "interaction": 92,
    "event": 2,
    "attendance": 104,
    "elected_role": 58,
    "consent": 110,
    "suppression": 5,
    "import_batch": 1,
}


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTS_0_1_0}
    finally:
        conn.close()


def test_release_database_upgrades_with_its_data(release_db_path: Path) -> None:
    assert _counts(release_db_path) == COUNTS_0_1_0
    db = open_database(release_db_path)
    try:
        report = check_database(db)
        assert report.ok, report.problems
        assert report.schema == head_revision()
    finally:
        db.dispose()
    assert _counts(release_db_path) == COUNTS_0_1_0


COUNTS_0008 = {
    "person": 209,
    "organisation": 26,
    "membership": 131,
    "interaction": 92,
    "event": 2,
    "attendance": 103,
    "elected_role": 57,
    "consent": 110,
    "suppression": 6,
    "import_batch": 1,
    "merge_record": 1,
    "not_duplicate": 1,
    "export_log": 1,
}


def test_database_at_0008_upgrades_with_its_data(schema_0008_db_path: Path) -> None:
    """The last schema before the programme-depth revisions: every row of it is still there."""

    def counts() -> dict[str, int]:
        conn = sqlite3.connect(schema_0008_db_path)
        try:
            return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTS_0008}
        finally:
            conn.close()

    assert counts() == COUNTS_0008
    db = open_database(schema_0008_db_path)
    try:
        report = check_database(db)
        assert report.ok, report.problems
        assert report.schema == head_revision()
    finally:
        db.dispose()
    assert counts() == COUNTS_0008


def test_typed_topics_become_managed_topics_with_variants_folded(release_db_path: Path) -> None:
    from crm.services import topics

    conn = sqlite3.connect(release_db_path)
    try:
        typed = dict(conn.execute("SELECT id, topics FROM interaction ORDER BY id").fetchall())
        ids = sorted(typed)
        # Spellings as people really type them, on top of the release's own topics.
        conn.execute("UPDATE interaction SET topics = 'Food Poverty, housing' WHERE id = ?", (ids[0],))
        conn.execute("UPDATE interaction SET topics = 'food-poverty; Housing.' WHERE id = ?", (ids[1],))
        conn.execute("UPDATE interaction SET topics = 'food poverty' WHERE id IN (?, ?)", (ids[2], ids[4]))
        conn.execute("UPDATE interaction SET topics = 'Health & Social Care' WHERE id = ?", (ids[3],))
        conn.commit()
    finally:
        conn.close()
    db = open_database(release_db_path)
    try:
        with db.session() as session:
            counts = {r.name: r.count for r in topics.list_topics(session)}
            # "food poverty" is one topic, named by its most used spelling, not three.
            assert [n for n in counts if topics.fold_topic(n) == "food poverty"] == ["food poverty"]
            assert counts["food poverty"] == 4
            assert "Health & Social Care" not in counts and counts["health and social care"] >= 1
            assert sum(1 for n in counts if topics.fold_topic(n) == "housing") == 1
            assert topics.topic_names(session, ids[1]) == ["food poverty", "housing"]
    finally:
        db.dispose()
    untouched = [t for i, t in typed.items() if i not in ids[:5] and t]
    conn = sqlite3.connect(release_db_path)
    try:
        assert conn.execute("SELECT count(*) FROM interaction_topic").fetchone()[0] == len(untouched) + 7
        # The readable mirror: one spelling a topic, in the order typed.
        assert conn.execute("SELECT topics FROM interaction WHERE id = ?", (ids[1],)).fetchone()[0] == (
            "food poverty, housing"
        )
    finally:
        conn.close()
    assert _counts(release_db_path) == COUNTS_0_1_0


def test_topics_typed_five_ways_at_0008_become_one(schema_0008_db_path: Path) -> None:
    """The 0008 fixture's "Food poverty", "food poverty ", "food-poverty" … are one topic after the
    upgrade, and "Procurement" typed twice is one more."""
    from crm.services import topics

    db = open_database(schema_0008_db_path)
    try:
        with db.session() as session:
            counts = {r.name: r.count for r in topics.list_topics(session)}
    finally:
        db.dispose()
    poverty = [n for n in counts if topics.fold_topic(n) == "food poverty"]
    assert len(poverty) == 1 and counts[poverty[0]] == 4
    assert sum(1 for n in counts if topics.fold_topic(n) == "procurement") == 1


def test_station_notes_at_0008_place_people_at_stations(schema_0008_db_path: Path) -> None:
    """Before stations existed, a station could only be written in an attendance note; the upgrade
    turns "Station: food poverty; wants the report" into a place at the event's Food poverty station
    (made once), with "wants the report" as the note there, and keeps the note itself."""
    from crm.services import event_parts

    db = open_database(schema_0008_db_path)
    try:
        with db.session() as session:
            parts = event_parts.list_parts(session, 1)
            placed = event_parts.placements(session, 1)
    finally:
        db.dispose()
    assert sorted((p.name, p.kind, p.placed) for p in parts) == [
        ("Food poverty", "station", 6),
        ("Health and social care working environments", "station", 6),
        ("Kindness in procurement and commissioning", "station", 6),
        ("Values-based leadership", "station", 6),
    ]
    assert sorted(p.notes for p in placed if p.notes) == ["wants the report"] * 5
    conn = sqlite3.connect(schema_0008_db_path)
    try:
        kept = conn.execute("SELECT count(*) FROM attendance WHERE notes LIKE 'Station:%'").fetchone()[0]
    finally:
        conn.close()
    assert kept == 24


def test_every_email_phone_mobile_and_address_becomes_a_contact_point(release_db_path: Path) -> None:
    """Revision 0012: each value the release held, and each further email, is a contact point."""
    conn = sqlite3.connect(release_db_path)
    try:
        # The release's sample data has no further emails: give two people some, one without a
        # main email (the further one then becomes preferred).
        with_email, without_email = (
            conn.execute("SELECT id FROM person WHERE email IS NOT NULL ORDER BY id LIMIT 1").fetchone()[0],
            conn.execute("SELECT id FROM person WHERE email IS NULL ORDER BY id LIMIT 1").fetchone()[0],
        )
        conn.executemany(
            "INSERT INTO person_email (person_id, email, label) VALUES (?, ?, ?)",
            [(with_email, "home.address@example.org", "home"), (without_email, "only@example.org", None)],
        )
        conn.commit()
        people = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT id, email, phone, mobile, address_line1, address_line2, address_line3, town, postcode,"
                " country FROM person"
            )
        }
        orgs = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT id, email, phone, address_line1, address_line2, town, postcode, country FROM organisation"
            )
        }
    finally:
        conn.close()
    db = open_database(release_db_path)
    db.dispose()
    conn = sqlite3.connect(release_db_path)
    try:
        assert (
            conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'person_email'").fetchone()[0] == 0
        )
        points = conn.execute(
            "SELECT person_id, organisation_id, kind, label, value, address_line1, address_line2, address_line3,"
            " town, postcode, country, preferred FROM contact_point"
        ).fetchall()
        after = {r[0]: r[1] for r in conn.execute("SELECT id, email FROM person")}
        found = {
            r[0] for r in conn.execute("SELECT rowid FROM person_fts WHERE person_fts MATCH '\"home\"*'")
        }
    finally:
        conn.close()
    by_person: dict[tuple[int, str], list[tuple[object, ...]]] = {}
    for p in points:
        if p[0] is not None:
            by_person.setdefault((p[0], p[2]), []).append(p)
    for pid, (email, phone, mobile, *address) in people.items():
        for kind, value in (("email", email), ("phone", phone), ("mobile", mobile)):
            if value:
                assert [(p[4], p[11]) for p in by_person[(pid, kind)] if p[11]] == [(value, 1)]
        if any(address):
            assert [tuple(p[5:11]) for p in by_person[(pid, "address")]] == [tuple(address)]
    assert sum(bool(v) for row in people.values() for v in row[:3]) + sum(
        any(row[3:]) for row in people.values()
    ) + 2 == sum(p[0] is not None for p in points)
    # The further emails: one beside the main address, one now the preferred (and mirrored) one.
    assert ("home.address@example.org", "home", 0) in [
        (p[4], p[3], p[11]) for p in by_person[(with_email, "email")]
    ]
    assert [(p[4], p[11]) for p in by_person[(without_email, "email")]] == [("only@example.org", 1)]
    assert after[without_email] == "only@example.org" and after[with_email] == people[with_email][0]
    assert with_email in found  # the search finds a further email
    for oid, (email, phone, *address) in orgs.items():
        mine = [p for p in points if p[1] == oid]
        assert sorted(p[4] for p in mine if p[2] in ("email", "phone")) == sorted(
            v for v in (email, phone) if v
        )
        if any(address):
            (addr,) = [p for p in mine if p[2] == "address"]
            assert (addr[5], addr[6], addr[8], addr[9], addr[10]) == tuple(address)


def test_every_email_and_phone_at_0008_becomes_a_contact_point(schema_0008_db_path: Path) -> None:
    """Person 5 of the 0008 fixture has a main email, phone and address, and a further email from a
    merge: after the upgrade all four are contact points, the main ones preferred."""
    db = open_database(schema_0008_db_path)
    db.dispose()
    conn = sqlite3.connect(schema_0008_db_path)
    try:
        points = conn.execute(
            "SELECT kind, value, preferred FROM contact_point WHERE person_id = 5 AND kind != 'address'"
            " ORDER BY kind, value"
        ).fetchall()
        addresses = conn.execute(
            "SELECT count(*) FROM contact_point WHERE person_id = 5 AND kind = 'address' AND preferred"
        ).fetchone()[0]
    finally:
        conn.close()
    assert points == [
        ("email", "lowri.owen@parliament.scot.example", 1),
        ("email", "rory@example.org", 0),
        ("phone", "0131 348 6037", 1),
    ]
    assert addresses == 1


def test_release_database_gains_the_dashboard_indexes_of_0014(release_db_path: Path) -> None:
    """Revision 0014 adds one index and nothing else: the follow-ups counted from the new partial
    index are the ones the released file holds."""
    import datetime as dt

    from crm.reports import aggregates
    from crm.reports.period import Period

    conn = sqlite3.connect(release_db_path)
    try:
        with_follow_up = conn.execute(
            "SELECT count(*) FROM interaction WHERE follow_up_on IS NOT NULL AND deleted_at IS NULL"
        ).fetchone()[0]
    finally:
        conn.close()
    db = open_database(release_db_path)
    try:
        with db.engine.connect() as c:
            indexes = {
                r[0]: r[1]
                for r in c.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
            }
        assert (
            "WHERE follow_up_on IS NOT NULL AND deleted_at IS NULL"
            in indexes["ix_interaction_follow_ups_owner"]
        )
        today = dt.date.today()
        with db.session() as session:
            data = aggregates.follow_ups(session, Period(dt.date(1900, 1, 1), today), today=today)
        counted = sum(o.overdue + o.due_this_week + o.due_later + o.done for o in data.by_owner)
        # Open follow-ups are all counted; done ones only when due in the period (all, here, bar
        # any due after today).
        assert counted <= with_follow_up
        assert counted >= with_follow_up - sum(o.due_later for o in data.by_owner)
    finally:
        db.dispose()
    assert _counts(release_db_path) == COUNTS_0_1_0


def test_redundant_person_id_indexes_go_and_lookups_by_person_use_the_unique_ones(
    release_db_path: Path,
) -> None:
    """Revision 0013: the links' separate person_id indexes are dropped; a person's tags, types and
    memberships are still found through an index, and the links survive the upgrade."""
    dropped = {"ix_person_tag_person_id", "ix_person_type_person_id", "ix_membership_person_id"}
    conn = sqlite3.connect(release_db_path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert dropped <= names
        links = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("person_tag", "membership")
        }
    finally:
        conn.close()
    open_database(release_db_path).dispose()
    conn = sqlite3.connect(release_db_path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert not dropped & names
        assert {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in links} == links
        for table in ("person_tag", "person_type", "membership"):
            plan = " ".join(
                str(r[-1])
                for r in conn.execute(f"EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE person_id = 7")
            )
            assert f"sqlite_autoindex_{table}_1" in plan, plan
    finally:
        conn.close()


def test_release_database_gains_the_trash_and_member_indexes_of_0015(release_db_path: Path) -> None:
    """Revision 0015 adds two indexes and nothing else: the Trash's index holds exactly the people
    binned in the released file, and the dashboard's counts read through the new indexes match
    the released rows counted by hand."""
    import datetime as dt

    from crm.reports import aggregates
    from crm.reports.period import Period

    conn = sqlite3.connect(release_db_path)
    try:
        binned = [r[0] for r in conn.execute("SELECT id FROM person ORDER BY id LIMIT 3")]
        conn.executemany(
            "UPDATE person SET deleted_at = '2026-01-01 09:00:00.000000' WHERE id = ?", [(i,) for i in binned]
        )
        conn.commit()
        # Current members (not invited, not left) of people not in the Trash, per network.
        members = dict(
            conn.execute(
                "SELECT n.name, count(*) FROM membership m JOIN person p ON p.id = m.person_id"
                " JOIN network n ON n.id = m.network_id WHERE p.deleted_at IS NULL"
                " AND n.deleted_at IS NULL AND m.status NOT IN ('invited', 'left')"
                " AND m.left_on IS NULL GROUP BY n.name"
            ).fetchall()
        )
    finally:
        conn.close()
    before = _counts(release_db_path)
    db = open_database(release_db_path)
    try:
        with db.engine.connect() as c:
            indexes = {
                r[0]: r[1]
                for r in c.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
            }
            in_trash = [
                r[0]
                for r in c.exec_driver_sql(
                    "SELECT id FROM person INDEXED BY ix_person_in_trash WHERE deleted_at IS NOT NULL"
                    " ORDER BY id"
                )
            ]
        assert "WHERE deleted_at IS NOT NULL" in indexes["ix_person_in_trash"]
        assert "ix_membership_person_dates" in indexes
        assert in_trash == binned
        today = dt.date.today()
        with db.session() as session:
            split = aggregates.network_split(session, Period(dt.date(2000, 1, 1), today))
            quality = aggregates.data_quality(session)
        by_network: dict[str, int] = {}
        for s in split.by_nation:
            by_network[s.network] = by_network.get(s.network, 0) + s.members
        assert by_network == members
        assert quality.people == COUNTS_0_1_0["person"] - len(binned)
    finally:
        db.dispose()
    assert _counts(release_db_path) == before
