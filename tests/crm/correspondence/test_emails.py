"""Saved emails logged as interactions: matching, Message-ID, bodies, and hostile files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.correspondence.batches import undo_batch
from crm.correspondence.emails import add_people_for, log_emails, parse_email_file
from crm.db import Database
from crm.errors import FileProblem
from crm.models import Interaction, InteractionPerson, Person
from crm.services import people

from .factories import eml, outlook_msg


@pytest.fixture
def team(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        ann = people.create_person(s, first_name="Ann", last_name="Example", email="ann@example.org").id
        bob = people.create_person(s, first_name="Bob", last_name="Example", email="bob@work.example").id
        people.set_other_emails(s, bob, [("Bob@Example.org", "home")])
        gone = people.create_person(s, first_name="Gone", last_name="Person", email="gone@example.org").id
        people.trash_people(s, [gone])
    return {"ann": ann, "bob": bob, "gone": gone}


def _interactions(db: Database) -> list[tuple[Interaction, list[int]]]:
    with db.session() as s:
        out = []
        for item in s.scalars(select(Interaction).order_by(Interaction.id)):
            pids = sorted(
                s.scalars(
                    select(InteractionPerson.person_id).where(InteractionPerson.interaction_id == item.id)
                )
            )
            s.expunge(item)
            out.append((item, pids))
        return out


def test_an_email_is_logged_with_every_matched_participant(
    db: Database, team: dict[str, int], tmp_path: Path
) -> None:
    path = eml(tmp_path / "a.eml", cc="Carol New <carol@new.example>, gone@example.org")
    result = log_emails(db, [path])
    assert (result.logged, result.already_logged) == (1, 0)
    assert result.unmatched == ["carol@new.example", "gone@example.org"]  # people in the Trash do not match
    assert result.names["carol@new.example"] == "Carol New"
    [(item, pids)] = _interactions(db)
    assert pids == sorted([team["ann"], team["bob"]])  # Bob by his second address, case ignored
    assert (item.kind, item.subject, item.date, item.direction) == (
        "email",
        "Kindness in policy",
        dt.date(2026, 11, 3),
        "in",
    )
    assert item.message_id == "m1@example.org"
    assert "thank you for meeting us" in (item.notes or "")
    assert "secret" not in (item.notes or "") and "report.pdf" not in (item.notes or "")  # no attachments
    with db.session() as s:
        assert s.get(Person, team["ann"]).last_contacted == dt.date(2026, 11, 3)  # type: ignore[union-attr]


def test_a_message_already_logged_is_recognised(db: Database, team: dict[str, int], tmp_path: Path) -> None:
    first = eml(tmp_path / "a.eml")
    copy = eml(tmp_path / "copy.eml", subject="Re-saved copy")  # same Message-ID
    assert log_emails(db, [first]).logged == 1
    again = log_emails(db, [first, copy])
    assert (again.logged, again.already_logged) == (0, 2)
    no_id = eml(tmp_path / "noid.eml", message_id=None)
    assert log_emails(db, [no_id]).logged == 1
    assert log_emails(db, [no_id]).already_logged == 1  # recognised by its content
    assert len(_interactions(db)) == 2


def test_dropped_on_a_person_links_them_and_outgoing_direction(
    db: Database, team: dict[str, int], tmp_path: Path
) -> None:
    with db.transaction() as s:
        dora = people.create_person(
            s, first_name="Dora", last_name="Other", email="dora@elsewhere.example"
        ).id
    path = eml(
        tmp_path / "out.eml",
        sender="Me <me@foundation.example>",
        to="nobody@unknown.example",
        message_id="<o@x>",
    )
    assert log_emails(db, [path]).not_logged == ["out.eml"]  # involves nobody known
    result = log_emails(db, [path], person_id=dora)
    assert result.logged == 1
    [(item, pids)] = _interactions(db)
    assert pids == [dora] and item.direction == "out"


def test_outlook_msg_files(db: Database, team: dict[str, int], tmp_path: Path) -> None:
    path = outlook_msg(
        tmp_path / "meeting.msg",
        subject="Budget for kindness",
        sender="ann@example.org",
        to=["bob@example.org", "new@elsewhere.example"],
        body="Dear Bob,\r\nsee you on Tuesday.",
        message_id="<msg-1@example.org>",
        when=dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC),
    )
    parsed = parse_email_file(path)
    assert parsed.subject == "Budget for kindness" and parsed.date == dt.date(2026, 10, 1)
    result = log_emails(db, [path])
    assert result.logged == 1 and result.unmatched == ["new@elsewhere.example"]
    [(item, pids)] = _interactions(db)
    assert pids == sorted([team["ann"], team["bob"]])
    assert "see you on Tuesday" in (item.notes or "")
    assert log_emails(db, [path]).already_logged == 1


def test_broken_and_hostile_messages_never_crash(db: Database, team: dict[str, int], tmp_path: Path) -> None:
    files: list[Path] = []
    # Malformed headers, encoded-word tricks (control characters, right-to-left override, a
    # newline that tries to add a header), an unknown charset, and HTML only with a script.
    tricky = tmp_path / "tricky.eml"
    tricky.write_bytes(
        b"From: =?utf-8?q?Ann=0D=0ABcc:_evil@x.example?= <ann@example.org>\r\n"
        b'To: <<<bob@example.org>>>, "unterminated <x@\r\n'
        b"Subject: =?utf-8?b?SW52b2ljZSDigK5mZHAuZXhl?= =?bogus?q?x?= \x00\x07\r\n"
        b"Date: 31 Feb 2026 99:99:99 +9999\r\n"
        b"Message-ID: <tricky@example.org>\r\n"
        b"Content-Type: text/html; charset=x-no-such-charset\r\n"
        b"\r\n"
        b"<html><head><script>alert('x')</script><style>p{}</style></head>"
        b"<body><p>Visible &amp; kept</p><img src=http://tracker.example/x.gif></body></html>\r\n"
    )
    files.append(tricky)
    html_only = eml(
        tmp_path / "html.eml",
        body="",
        html="<p>Hello <b>Bob</b></p><script>bad()</script>",
        message_id="<h@x>",
    )
    files.append(html_only)
    garbage = tmp_path / "garbage.eml"
    garbage.write_bytes(bytes(range(256)) * 40)
    files.append(garbage)
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    files.append(empty)
    fake_msg = tmp_path / "fake.msg"
    fake_msg.write_bytes(b"From: someone\r\n\r\nnot outlook")
    files.append(fake_msg)
    broken_ole = tmp_path / "broken.msg"
    broken_ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    files.append(broken_ole)
    huge = tmp_path / "huge.eml"
    with huge.open("wb") as fh:
        fh.truncate(31 * 1024 * 1024)
    files.append(huge)
    long_headers = tmp_path / "long.eml"
    long_headers.write_bytes(
        b"From: ann@example.org\r\nTo: "
        + b", ".join(b"p%d@example.org" % i for i in range(5000))
        + b"\r\nSubject: "
        + b"x" * 100_000
        + b"\r\nMessage-ID: <long@x>\r\n\r\nbody\r\n"
    )
    files.append(long_headers)
    result = log_emails(db, files)
    failed = dict(result.failed)
    assert "empty.eml" in failed and "is empty" in failed["empty.eml"]
    assert "not an Outlook message" in failed["fake.msg"]
    assert "cannot be read as an Outlook message" in failed["broken.msg"]
    assert "larger than 30 MB" in failed["huge.eml"]
    items = {i.message_id: (i, pids) for i, pids in _interactions(db)}
    tricky_item, pids = items["tricky@example.org"]
    assert team["ann"] in pids
    assert (
        "\n" not in tricky_item.subject
        and "\u202e" not in tricky_item.subject
        and "\x00" not in tricky_item.subject
    )
    assert "Visible & kept" in (tricky_item.notes or "")
    assert "alert" not in (tricky_item.notes or "") and "p{}" not in (tricky_item.notes or "")
    html_item, _ = items["h@x"]
    assert "Hello Bob" in (html_item.notes or "") and "bad()" not in (html_item.notes or "")
    long_item, _ = items["long@x"]
    assert len(long_item.subject) <= 300
    assert len(result.unmatched) <= 500 + 10


def test_unmatched_addresses_become_people_then_log(
    db: Database, team: dict[str, int], tmp_path: Path
) -> None:
    path = eml(tmp_path / "a.eml", to='"Smith, Jo" <jo@new.example>', sender="Nobody Known <nk@new.example>")
    result = log_emails(db, [path])
    assert result.logged == 0 and sorted(result.unmatched) == ["jo@new.example", "nk@new.example"]
    with db.transaction() as s:
        ids = add_people_for(s, result.unmatched, result.names)
        made = {
            p.email: (p.first_name, p.last_name) for p in s.scalars(select(Person).where(Person.id.in_(ids)))
        }
    assert made == {"jo@new.example": ("Jo", "Smith"), "nk@new.example": ("Nobody", "Known")}
    assert log_emails(db, [path]).logged == 1


def test_an_email_batch_can_be_undone(db: Database, team: dict[str, int], tmp_path: Path) -> None:
    paths = [eml(tmp_path / f"{i}.eml", message_id=f"<{i}@x>") for i in range(3)]
    result = log_emails(db, paths)
    assert result.logged == 3 and result.batch_id is not None
    with db.transaction() as s:
        assert undo_batch(s, result.batch_id).removed == 3
    # Undone messages can be logged again.
    assert log_emails(db, paths).logged == 3


def test_not_an_email_file(tmp_path: Path) -> None:
    other = tmp_path / "list.xlsx"
    other.write_bytes(b"PK")
    with pytest.raises(FileProblem, match="not a saved email"):
        parse_email_file(other)
