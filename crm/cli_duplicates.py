"""``kindred-cli duplicates``, ``merge``, ``merge-undo`` and ``not-duplicate`` (names and options
fixed by the duplicates issue)."""

from __future__ import annotations

import argparse
import time
from typing import Any


def register(sub: Any) -> None:
    from crm.cli_common import add_json

    p = sub.add_parser("duplicates", help="list likely duplicate people (or organisations), best first")
    p.add_argument(
        "--min-score", type=float, default=None, metavar="S", help="leave out pairs scoring below S (0–1)"
    )
    p.add_argument("--limit", type=int, default=None, metavar="N", help="at most N pairs")
    p.add_argument("--organisations", action="store_true", help="organisations instead of people")
    add_json(p)
    p.set_defaults(handler=cmd_duplicates)

    p = sub.add_parser("merge", help="merge records into one (the first id is kept)")
    p.add_argument("keep", metavar="KEEP_ID", type=int)
    p.add_argument("others", metavar="OTHER_ID", type=int, nargs="+")
    p.add_argument("--organisations", action="store_true", help="the ids are organisations")
    add_json(p)
    p.set_defaults(handler=cmd_merge)

    p = sub.add_parser("merge-undo", help="undo an earlier merge")
    p.add_argument("merge_id", metavar="MERGE_ID", type=int)
    add_json(p)
    p.set_defaults(handler=cmd_merge_undo)

    p = sub.add_parser("not-duplicate", help="mark two people as not the same, so they are never suggested")
    p.add_argument("a", metavar="A", type=int)
    p.add_argument("b", metavar="B", type=int)
    add_json(p)
    p.set_defaults(handler=cmd_not_duplicate)


def cmd_duplicates(args: argparse.Namespace) -> dict[str, Any]:
    from crm.cli_common import open_db
    from crm.errors import ValidationError
    from crm.matching.finder import find_organisation_duplicates, find_people_duplicates
    from crm.matching.scorer import DEFAULT_THRESHOLD

    min_score = DEFAULT_THRESHOLD if args.min_score is None else args.min_score
    if not 0.0 <= min_score <= 1.0:
        raise ValidationError("--min-score is a score between 0 and 1, such as 0.8.")
    if args.limit is not None and args.limit < 1:
        raise ValidationError("--limit must be 1 or more.")
    started = time.perf_counter()
    db = open_db(args)
    try:
        with db.session() as session:
            find = find_organisation_duplicates if args.organisations else find_people_duplicates
            result = find(session, min_score=min_score, limit=args.limit)
    finally:
        db.dispose()
    out: dict[str, Any] = {
        "pairs": [p.as_dict() for p in result.pairs],
        "seconds": round(time.perf_counter() - started, 3),
    }
    if not args.json:
        out["pairs"] = (
            "".join(f"\n  {p.a} and {p.b}: {p.score:.2f} ({'; '.join(p.reasons)})" for p in result.pairs)
            or " none"
        )
    return out


def cmd_merge(args: argparse.Namespace) -> dict[str, Any]:
    from crm.cli_common import open_db
    from crm.services.merge import merge

    db = open_db(args)
    try:
        from crm.backups import automatic_backup

        automatic_backup(db, f"before merging {', '.join(str(i) for i in [args.keep, *args.others])}")
        with db.transaction() as session:
            result = merge(
                session, "organisation" if args.organisations else "person", args.keep, args.others
            )
            return result.as_dict()
    finally:
        db.dispose()


def cmd_merge_undo(args: argparse.Namespace) -> dict[str, Any]:
    from crm.cli_common import open_db
    from crm.services.merge import undo_merge

    db = open_db(args)
    try:
        with db.transaction() as session:
            info = undo_merge(session, args.merge_id)
            return {"merge_id": info.id, "kept": info.kept, "restored": info.merged}
    finally:
        db.dispose()


def cmd_not_duplicate(args: argparse.Namespace) -> dict[str, Any]:
    from crm.cli_common import open_db
    from crm.services.merge import mark_not_duplicate

    db = open_db(args)
    try:
        with db.transaction() as session:
            new = mark_not_duplicate(session, "person", args.a, args.b)
            return {"a": min(args.a, args.b), "b": max(args.a, args.b), "marked": new}
    finally:
        db.dispose()
