"""``kindred-cli``: the headless command line over the core.

    kindred-cli [--db PATH_OR_URL] init | demo | count [filter options] | check
                                   | backup DEST [--force] | backups | restore BACKUP_PATH
                                   | import FILE [...] | import-undo BATCH_ID | export OUT [...]

Every command accepts ``--json`` after its own options and then prints one JSON object. A user error
exits 1 with a one-line message (``{"error": "..."}`` with ``--json``), never a traceback: database and
file-system failures (disk full, read-only, locked, damaged, server gone) are user errors too. Only
``init`` creates a database.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from crm import __version__
from crm.cli_common import (
    HelpFormatter,
    Parser,
    add_filter_options,
    add_json,
    help_epilog,
    open_db,
    people_filter,
)
from crm.errors import UserError

Handler = Callable[[argparse.Namespace], dict[str, Any]]


def _open(args: argparse.Namespace) -> Any:
    return open_db(args)


def cmd_init(args: argparse.Namespace) -> dict[str, Any]:
    db = open_db(args, create=True)
    try:
        return {"database": db.location, "schema": db.check().schema, "warnings": db.warnings}
    finally:
        db.dispose()


def cmd_demo(args: argparse.Namespace) -> dict[str, Any]:
    from crm import demo

    db = _open(args)
    try:
        started = time.perf_counter()
        with db.transaction() as session:
            summary = demo.load_sample_data(session)
        return {**summary, "database": db.location, "seconds": round(time.perf_counter() - started, 3)}
    finally:
        db.dispose()


def cmd_count(args: argparse.Namespace) -> dict[str, Any]:
    from crm.filters import count_people

    db = _open(args)
    try:
        f = people_filter(args, db)
        with db.session() as session:
            return {"count": count_people(session, f)}
    finally:
        db.dispose()


def cmd_check(args: argparse.Namespace) -> dict[str, Any]:
    """Report what is wrong, never crash: a file too damaged to open is itself the finding."""
    from crm.db import check_database, open_database
    from crm.errors import DatabaseDamaged, DatabaseError, NewerSchemaError

    try:
        db = open_database(args.db, create=False)
    except (DatabaseDamaged, NewerSchemaError):
        raise
    except DatabaseError as exc:
        if "No Kindred database" in str(exc) or "not a Kindred database" in str(exc):
            raise
        # Damage can stop the schema being read at all: check what can be read without migrating.
        db = open_database(args.db, create=False, migrate=False)
        db.warnings.append(str(exc))
    try:
        report = check_database(db)
        out = report.as_dict()
        out["database"] = db.location
        out["read_only"] = db.read_only
        if not report.ok:
            out["error"] = "The database has problems: " + "; ".join(report.problems[:3])
            if db.is_sqlite:
                from crm.errors import DAMAGED_WAY_OUT

                out["error"] += f". To recover, {DAMAGED_WAY_OUT.split(' or run')[0]}."
        return out
    finally:
        db.dispose()


def _human(command: str, result: dict[str, Any]) -> str:
    if command == "count":
        return str(result["count"])
    if command == "check":
        lines = ["Database is healthy." if result["ok"] else "Database has problems:"]
        lines += [f"  - {p}" for p in result["problems"]]
        lines += [f"Warning: {w}" for w in result["warnings"]]
        lines += [f"  {table}: {n}" for table, n in result["counts"].items()]
        return "\n".join(lines)
    if command == "init":
        return f"Database ready at {result['database']} (schema {result['schema']})."
    if command == "demo":
        return f"Loaded sample data: {result['people']} people, {result['organisations']} organisations, {result['interactions']} interactions."
    if "summary" in result and len(result) == 1:
        return str(result["summary"])
    from crm import cli_backup

    if (text := cli_backup.human(command, result)) is not None:
        return text
    return "\n".join(f"{k}: {v}" for k, v in result.items())


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="kindred-cli", description="Kindred's command line: the core without the window.")
    parser.add_argument("--version", action="version", version=f"Kindred {__version__}")
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help="database file or postgresql:// URL (default: KINDRED_DB_URL, else the user's data folder)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    p = sub.add_parser("init", help="create or upgrade the database")
    add_json(p)
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("demo", help="load the fictional sample data")
    add_json(p)
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser(
        "count",
        help="count people matching a filter",
        epilog=help_epilog(),
        formatter_class=HelpFormatter,
    )
    add_filter_options(p)
    p.add_argument("--view", metavar="NAME", help="use a saved view instead of the options")
    add_json(p)
    p.set_defaults(handler=cmd_count)

    p = sub.add_parser("check", help="check the database's integrity")
    add_json(p)
    p.set_defaults(handler=cmd_check)

    from crm import (
        cli_backup,
        cli_correspondence,
        cli_duplicates,
        cli_export,
        cli_import,
        cli_imports,
        cli_privacy,
        cli_reports,
        cli_roster,
        cli_topics,
    )

    cli_import.register(sub)
    cli_export.register(sub)
    cli_imports.register(sub)
    cli_backup.register(sub)
    cli_duplicates.register(sub)
    cli_roster.register(sub)
    cli_privacy.register(sub)
    cli_correspondence.register(sub)
    cli_reports.register(sub)
    cli_topics.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from crm.errors import user_error_for

    argv = list(sys.argv[1:] if argv is None else argv)
    wants_json = "--json" in argv
    crm_db: Any = None
    try:
        args = build_parser().parse_args(argv)
        # Only now, past ``--help`` and argument errors: the database module brings SQLAlchemy.
        from crm import db as crm_db

        # A write that must wait for another window says so on stderr (stdout stays one JSON object).
        crm_db.default_wait_notice = crm_db.print_wait_notice
        handler: Handler = args.handler
        result = handler(args)
    except KeyboardInterrupt:
        print(json.dumps({"error": "Interrupted."}) if wants_json else "Interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:
        # Disk full, read-only, locked, damaged, server gone: one plain sentence, not a traceback.
        # Anything else is a bug and keeps its traceback.
        error = user_error_for(exc, _where(argv))
        if error is None:
            raise
        message = str(error)
        print(
            json.dumps({"error": message}, ensure_ascii=False) if wants_json else f"Error: {message}",
            file=sys.stdout if wants_json else sys.stderr,
        )
        return 1
    finally:
        if crm_db is not None:
            crm_db.default_wait_notice = None
    if wants_json:
        print(json.dumps(result, default=str, ensure_ascii=False))
    else:
        # A command group may say how its results read for people (``set_defaults(human=...)``).
        human: Callable[[dict[str, Any]], str] | None = getattr(args, "human", None)
        print(human(result) if human is not None else _human(args.command, result))
    return 2 if result.get("error") else 0


def _where(argv: Sequence[str]) -> str:
    """The database the command was about, for a message about a failure outside any transaction."""
    from crm.db import resolve_url

    target: str | None = None
    for i, arg in enumerate(argv):
        if arg == "--db" and i + 1 < len(argv):
            target = argv[i + 1]
        elif arg.startswith("--db="):
            target = arg.split("=", 1)[1]
    try:
        url = resolve_url(target)
    except UserError:
        return "the database"
    if url.drivername.startswith("sqlite"):
        return str(url.database)
    return f"{url.database} on {url.host or 'localhost'}"
