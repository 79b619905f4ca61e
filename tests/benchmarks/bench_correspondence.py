"""Correspondence benchmark: 1,000 letters from a Word template, 1,000 dropped emails logged.

    python -m tests.benchmarks.bench_correspondence [--people 1000] [--emails 1000] [--repeat 3]

A fresh SQLite database per run holds the people (each with a postal and an email address). The
letters run is the whole action: template checked, people selected with the post rules, one
document with a section per letter (header field, address block, a table), written, and every
letter logged as an interaction in one transaction. A second figure gives one file per person.
The emails run parses 1,000 .eml files (To, Cc, a plain and an HTML part, an attachment), matches
the addresses and logs them in one batch. Prints one JSON object of medians.
Targets: 1,000 letters under 10 s; 1,000 emails under 5 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from crm.correspondence.emails import log_emails
from crm.correspondence.letters import make_letters
from crm.db import open_database
from crm.filters import PersonFilter
from crm.services.people import bulk_insert_people

from tests.crm.correspondence.factories import eml, letter_template


def _database(folder: Path, people: int) -> str:
    path = folder / "bench.db"
    db = open_database(path)
    try:
        with db.transaction() as session:
            bulk_insert_people(
                session,
                [
                    {
                        "title": "Ms",
                        "first_name": f"Person{i}",
                        "last_name": f"Surname{i}",
                        "email": f"person{i}@example.org",
                        "address_line1": f"{i} Kindness Street",
                        "town": "Edinburgh",
                        "postcode": f"EH{i % 99 + 1} {i % 9}AB",
                    }
                    for i in range(people)
                ],
            )
    finally:
        db.dispose()
    return str(path)


def run_once(people: int, emails: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = _database(folder, people)
        template = letter_template(folder / "Letter.docx")
        mails = [
            eml(
                folder / f"m{i}.eml",
                subject=f"Meeting {i}",
                sender=f"Person {i} <person{i % people}@example.org>",
                to=f"person{(i + 1) % people}@example.org, someone{i}@elsewhere.example",
                cc=f"person{(i + 2) % people}@example.org",
                html=f"<p>Thank you for <b>meeting</b> {i}</p>",
                message_id=f"<bench-{i}@example.org>",
            )
            for i in range(emails)
        ]
        db = open_database(url)
        try:
            started = time.perf_counter()
            letters = make_letters(db, template, folder / "letters.docx", PersonFilter())
            one_doc = time.perf_counter() - started
            assert letters.letters == people, letters.letters
            started = time.perf_counter()
            make_letters(db, template, folder / "each", PersonFilter(), one_file_each=True, log=False)
            each = time.perf_counter() - started
            started = time.perf_counter()
            logged = log_emails(db, mails)
            mail_seconds = time.perf_counter() - started
            assert logged.logged == emails, logged.as_dict()
        finally:
            db.dispose()
    return {"letters_one_document_s": one_doc, "letters_file_each_s": each, "emails_s": mail_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = [run_once(args.people, args.emails) for _ in range(args.repeat)]
    medians = {key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0]}
    print(
        json.dumps(
            {
                "people": args.people,
                "emails": args.emails,
                "repeat": args.repeat,
                **medians,
                "target_letters_s": 10.0,
                "target_emails_s": 5.0,
                "letters_ok": medians["letters_one_document_s"] < 10.0,
                "emails_ok": medians["emails_s"] < 5.0,
            }
        )
    )


if __name__ == "__main__":
    main()
