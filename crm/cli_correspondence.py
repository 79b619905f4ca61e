"""``kindred-cli letters``, ``log-email``, ``calendar`` and ``letters-undo`` (names fixed by the issue)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    from crm.cli_common import add_filter_options, add_json

    p = sub.add_parser(
        "letters", help="fill a Word template (or address labels) for a list, and log the letters"
    )
    p.add_argument(
        "template",
        metavar="TEMPLATE.docx",
        help="a .docx with merge fields (with --labels: '-' for plain addresses)",
    )
    p.add_argument("out", metavar="OUT.docx", help="the document to write (a folder with --each)")
    add_filter_options(p)
    p.add_argument("--view", metavar="NAME", help="the people of a saved view")
    p.add_argument(
        "--labels", choices=["L7160", "L7163"], help="address labels on this A4 sheet instead of letters"
    )
    p.add_argument("--no-log", action="store_true", help="do not log the letters as interactions")
    p.add_argument("--each", action="store_true", help="one file per person, in the folder OUT")
    p.add_argument("--joint", action="store_true", help="one letter per household (joint salutation)")
    add_json(p)
    p.set_defaults(handler=cmd_letters)

    p = sub.add_parser("letters-undo", help="take back the interactions a letters or emails batch logged")
    p.add_argument("batch_id", type=int, metavar="BATCH_ID")
    add_json(p)
    p.set_defaults(handler=cmd_letters_undo)

    p = sub.add_parser("log-email", help="log saved emails (.eml, .msg) as interactions")
    p.add_argument("files", nargs="+", metavar="FILE")
    add_json(p)
    p.set_defaults(handler=cmd_log_email)

    p = sub.add_parser("calendar", help="write events and follow-ups as an .ics calendar")
    p.add_argument("out", metavar="OUT.ics")
    p.add_argument("--events", action="store_true", help="events (default: both)")
    p.add_argument("--followups", action="store_true", help="open follow-ups (default: both)")
    add_json(p)
    p.set_defaults(handler=cmd_calendar)


def _people_filter(args: argparse.Namespace, db: Any) -> Any:
    from crm.cli_common import people_filter

    return people_filter(args, db)


def cmd_letters(args: argparse.Namespace) -> dict[str, Any]:
    from crm.cli_common import open_db
    from crm.correspondence.letters import make_labels, make_letters

    db = open_db(args)
    try:
        f = _people_filter(args, db)
        if args.labels:
            template = None if args.template in ("-", "") else args.template
            result = make_labels(
                db, args.out, f, sheet_code=args.labels, template_path=template, joint=args.joint
            )
        else:
            result = make_letters(
                db, args.template, args.out, f, one_file_each=args.each, joint=args.joint, log=not args.no_log
            )
        return result.as_dict()
    finally:
        db.dispose()


def cmd_letters_undo(args: argparse.Namespace) -> dict[str, Any]:
    from crm.cli_common import open_db
    from crm.correspondence.batches import undo_batch

    db = open_db(args)
    try:
        with db.transaction() as session:
            return undo_batch(session, args.batch_id).as_dict()
    finally:
        db.dispose()


def cmd_log_email(args: argparse.Namespace) -> dict[str, Any]:
    from crm.cli_common import open_db
    from crm.correspondence.emails import log_emails

    db = open_db(args)
    try:
        return log_emails(db, args.files).as_dict()
    finally:
        db.dispose()


def cmd_calendar(args: argparse.Namespace) -> dict[str, Any]:
    from crm.cli_common import open_db
    from crm.correspondence.calendar import write_calendar

    both = not args.events and not args.followups
    db = open_db(args)
    try:
        with db.session() as session:
            path, count = write_calendar(
                session, args.out, events=both or args.events, followups=both or args.followups
            )
        return {"calendar": str(path), "entries": count}
    finally:
        db.dispose()
