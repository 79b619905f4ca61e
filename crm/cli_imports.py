"""``kindred-cli imports``: the past imports, newest first, with the ids ``import-undo`` takes."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    from crm.cli_common import add_json

    p = sub.add_parser(
        "imports",
        help="list past imports with their ids (for import-undo)",
        description="List past imports, newest first: id, when, who, file and sheet, and what each "
        "did. Undo one with `kindred-cli import-undo ID`.",
    )
    p.add_argument(
        "--limit", type=int, default=50, metavar="N", help="show at most N imports (default: %(default)s)"
    )
    add_json(p)
    p.set_defaults(handler=cmd_imports, human=human_imports)


def cmd_imports(args: argparse.Namespace) -> dict[str, Any]:
    from crm.cli_common import CliError, open_db
    from crm.importing import list_batches

    if args.limit < 1:
        raise CliError("--limit must be 1 or more.")
    db = open_db(args)
    try:
        with db.session() as session:
            batches = list_batches(session, limit=args.limit)
    finally:
        db.dispose()
    return {
        "imports": [
            {
                "id": b.id,
                "file": b.file_name,
                "sheet": b.sheet,
                "started_at": b.started_at.isoformat(),
                "user": b.user,
                "created": b.created,
                "updated": b.updated,
                "skipped": b.skipped,
                "rejected": b.rejected,
                "flagged": b.flagged,
                "undone_at": b.undone_at.isoformat() if b.undone_at else None,
            }
            for b in batches
        ]
    }


def human_imports(result: dict[str, Any]) -> str:
    """One line an import, for people rather than scripts."""
    rows = result["imports"]
    if not rows:
        return "No imports yet."
    lines = []
    for r in rows:
        when = r["started_at"][:16].replace("T", " ")
        where = f"{r['file']}" + (f" (sheet {r['sheet']})" if r["sheet"] else "")
        did = f"{r['created']} new, {r['updated']} updated, {r['skipped']} skipped, {r['rejected']} rejected"
        state = (
            f"undone {r['undone_at'][:10]}"
            if r["undone_at"]
            else "undo with: kindred-cli import-undo " + str(r["id"])
        )
        lines.append(f"{r['id']:>5}  {when}  {r['user'] or ''}  {where}: {did}; {state}")
    return "\n".join(lines)
