"""``kindred-cli roster`` and ``roster-undo``: refresh a chamber's members from an official roster.

kindred-cli roster FILE [--chamber NAME] [--as-of YYYY-MM-DD] [--dry-run] [--json]
kindred-cli roster-undo BATCH_ID [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any


def _as_of(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: give it as YYYY-MM-DD") from None


def register(sub: Any) -> None:
    from crm.cli_common import add_json

    p = sub.add_parser(
        "roster",
        help="refresh representatives from a roster (EveryPolitician CSV or JSON, Parliament JSON, spreadsheet)",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--chamber", metavar="NAME", help="the chamber, when the file does not say (e.g. Senedd)")
    p.add_argument(
        "--as-of",
        type=_as_of,
        metavar="YYYY-MM-DD",
        help="when members absent from the roster left (default: the roster's own date, else today)",
    )
    p.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    add_json(p)
    p.set_defaults(handler=cmd_roster)

    p = sub.add_parser("roster-undo", help="undo an earlier roster refresh")
    p.add_argument("batch_id", metavar="BATCH_ID", type=int)
    add_json(p)
    p.set_defaults(handler=cmd_roster_undo)


def cmd_roster(args: argparse.Namespace) -> dict[str, Any]:
    """Read the roster first (a bad file changes nothing), then dry-run or refresh."""
    import time

    from crm.cli_common import open_db
    from crm.roster.readers import read_roster
    from crm.roster.reconcile import refresh_roster

    started = time.perf_counter()
    roster = read_roster(args.file, args.chamber)
    db = open_db(args)
    try:
        result = refresh_roster(db, roster, args.as_of, dry_run=args.dry_run)
    finally:
        db.dispose()
    out = result.as_dict()
    out["seconds"] = round(time.perf_counter() - started, 3)
    if not args.json:
        lines = [
            f"{'Dry run: would refresh' if args.dry_run else 'Refreshed'} {roster.chamber} from {roster.file_name} "
            f"(as of {out['as_of']}): {out['added']} added, {out['changed']} changed, {out['ended']} ended, "
            f"{out['continuing']} continuing, {out['unmatched']} unmatched, {out['vacant']} vacant seats, "
            f"{out['duplicates']} repeated rows collapsed."
        ]
        lines += [
            f"  {c['kind']}: {c['name']}{' – ' + c['detail'] if c['detail'] else ''}" for c in out["changes"]
        ]
        lines += [f"  problem: {p}" for p in out["problems"]]
        lines += [f"Warning: {w}" for w in out["warnings"]]
        if out["batch_id"] is not None:
            lines.append(f"Undo with: kindred-cli roster-undo {out['batch_id']}")
        return {"summary": "\n".join(lines)}
    return out


def cmd_roster_undo(args: argparse.Namespace) -> dict[str, Any]:
    from crm.cli_common import open_db
    from crm.roster.reconcile import undo_refresh

    db = open_db(args)
    try:
        out = undo_refresh(db, args.batch_id).as_dict()
    finally:
        db.dispose()
    if not args.json:
        return {
            "summary": f"Roster refresh {out['batch_id']} undone: {out['people_removed']} people and "
            f"{out['roles_removed']} roles removed, {out['roles_restored']} roles current again."
        }
    return out
