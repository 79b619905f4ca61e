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
