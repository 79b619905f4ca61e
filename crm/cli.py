"""``kindred-cli``: the headless command line over the core.

    kindred-cli [--db PATH_OR_URL] init | demo | count [filter options] | check | backup DEST
                                   | import FILE [...] | import-undo BATCH_ID | export OUT [...]

Every command accepts ``--json`` after its own options and then prints one JSON object. A user error
exits 1 with a one-line message (``{"error": "..."}`` with ``--json``), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from crm import __version__
from crm.cli_common import (
    HelpFormatter,
    Parser,
    add_filter_options,
    add_json,
    filter_from_args,
    help_epilog,
    open_db,
)
from crm.errors import UserError

Handler = Callable[[argparse.Namespace], dict[str, Any]]


def _open(args: argparse.Namespace) -> Any:
    return open_db(args)


def cmd_init(args: argparse.Namespace) -> dict[str, Any]:
    db = _open(args)
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
        f = filter_from_args(args)
        if args.view:
            from crm.services import views

            with db.session() as session:
                f = views.view_filter(session, args.view)
        with db.session() as session:
            return {"count": count_people(session, f)}
    finally:
        db.dispose()


def cmd_check(args: argparse.Namespace) -> dict[str, Any]:
    from crm.db import check_database

    db = _open(args)
    try:
        report = check_database(db)
        out = report.as_dict()
        out["database"] = db.location
        if not report.ok:
            out["error"] = "The database has problems: " + "; ".join(report.problems[:3])
        return out
    finally:
        db.dispose()


def cmd_backup(args: argparse.Namespace) -> dict[str, Any]:
    db = _open(args)
    try:
        dest = db.backup(Path(args.dest))
        from crm import audit

        with db.transaction() as session:
            audit.record(session, "backup", "database", None, details=str(dest))
        return {"backup": str(dest), "bytes": dest.stat().st_size}
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
    if command == "backup":
        return f"Backed up to {result['backup']}."
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

    p = sub.add_parser("backup", help="copy the database safely, even while in use")
    p.add_argument("dest", metavar="DEST", help="a file name, or a folder for a dated copy")
    add_json(p)
    p.set_defaults(handler=cmd_backup)

    from crm import (
        cli_correspondence,
        cli_duplicates,
        cli_export,
        cli_import,
        cli_imports,
        cli_privacy,
        cli_reports,
        cli_roster,
    )

    cli_import.register(sub)
    cli_export.register(sub)
    cli_imports.register(sub)
    cli_duplicates.register(sub)
    cli_roster.register(sub)
    cli_privacy.register(sub)
    cli_correspondence.register(sub)
    cli_reports.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    wants_json = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
        handler: Handler = args.handler
        result = handler(args)
    except UserError as exc:
        message = str(exc)
        print(
            json.dumps({"error": message}) if wants_json else f"Error: {message}",
            file=sys.stdout if wants_json else sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print(json.dumps({"error": "Interrupted."}) if wants_json else "Interrupted.", file=sys.stderr)
        return 130
    if wants_json:
        print(json.dumps(result, default=str, ensure_ascii=False))
    else:
        # A command group may say how its results read for people (``set_defaults(human=...)``).
        human: Callable[[dict[str, Any]], str] | None = getattr(args, "human", None)
        print(human(result) if human is not None else _human(args.command, result))
    return 2 if result.get("error") else 0
