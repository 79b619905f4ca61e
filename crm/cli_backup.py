"""``kindred-cli backup``, ``backups`` and ``restore`` (names and options fixed by the safety issue).

kindred-cli backup DEST [--force] [--json]     a checked copy; refuses an existing DEST without --force
kindred-cli backups [--json]                   the automatic backups of the --db database
kindred-cli restore BACKUP_PATH [--json]       back the database up, then put the backup in its place
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    from crm.cli_common import add_json

    p = sub.add_parser("backup", help="copy the database safely, even while in use")
    p.add_argument("dest", metavar="DEST", help="a file name, or a folder for a dated copy")
    p.add_argument("--force", action="store_true", help="replace DEST if it exists")
    add_json(p)
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("backups", help="list the automatic backups of the database")
    add_json(p)
    p.set_defaults(handler=cmd_backups)

    p = sub.add_parser("restore", help="restore a backup (the current database is backed up first)")
    p.add_argument("backup_path", metavar="BACKUP_PATH")
    add_json(p)
    p.set_defaults(handler=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> dict[str, Any]:
    from crm import audit
    from crm.cli_common import open_db

    db = open_db(args)
    try:
        dest = db.backup(Path(args.dest), force=args.force)
        if not db.read_only:
            with db.transaction() as session:
                audit.record(session, "backup", "database", None, details=str(dest))
        return {"backup": str(dest), "bytes": dest.stat().st_size}
    finally:
        db.dispose()


def cmd_backups(args: argparse.Namespace) -> dict[str, Any]:
    from crm.backups import backup_folder, list_backups
    from crm.cli_common import open_db

    db = open_db(args, quick_check=False)
    try:
        found = list_backups(db)
        return {"folder": str(backup_folder(db)), "backups": [b.as_dict() for b in found]}
    finally:
        db.dispose()


def cmd_restore(args: argparse.Namespace) -> dict[str, Any]:
    from crm import audit
    from crm.backups import inspect_backup, restore_backup
    from crm.cli_common import open_db
    from crm.db import open_database

    # Refuse a wrong file before touching anything, even before opening the database.
    inspect_backup(Path(args.backup_path))
    db = open_db(args, quick_check=False, migrate=False)
    try:
        result = restore_backup(db, Path(args.backup_path))
    finally:
        db.dispose()
    reopened = open_database(result.database, create=False)
    try:
        with reopened.transaction() as session:
            audit.record(session, "restore", "database", None, details=str(result.restored_from))
    finally:
        reopened.dispose()
    return result.as_dict()


def human(command: str, result: dict[str, Any]) -> str | None:
    """Plain-text output for these commands (None: not one of them)."""
    if command == "backup":
        return f"Backed up to {result['backup']}."
    if command == "backups":
        if not result["backups"]:
            return f"No automatic backups yet (they go in {result['folder']})."
        lines = [f"Automatic backups in {result['folder']}, newest first:"]
        for b in result["backups"]:
            people = "?" if b["people"] is None else f"{b['people']:,}"
            lines.append(
                f"  {b['created'].replace('T', ' ')}  {people:>8} people  {b['reason']}\n    {b['path']}"
            )
        return "\n".join(lines)
    if command == "restore":
        before = result["backup_of_previous"]
        return f"Restored {result['restored']} into {result['database']}." + (
            f" The database as it was is backed up at {before}." if before else ""
        )
    return None
