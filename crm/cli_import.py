"""``kindred-cli import`` and ``import-undo`` (argument definitions fixed by the import issue)."""

from __future__ import annotations

import argparse
import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    from crm.cli_common import HelpFormatter, add_json, help_epilog

    p = sub.add_parser(
        "import",
        help="import people from a spreadsheet (.xlsx, .xlsm, .xlsb, .xls, .ods, .csv, .txt)",
        description="Import people from a spreadsheet. Columns are matched by their headings (or by "
        "a mapping remembered from the window for the same headings); everything happens in one "
        "transaction, and `kindred-cli import-undo ID` takes it back.",
        epilog=help_epilog(dates=False)
        + "\n\nDates in the file may be real spreadsheet dates, YYYY-MM-DD or DD/MM/YYYY.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="the spreadsheet or CSV file to import")
    p.add_argument(
        "--sheet",
        metavar="NAME",
        help="the sheet to read (default: the visible sheet that looks most like a list of people)",
    )
    p.add_argument("--network", metavar="NAME", help="add everyone imported to this network (default: none)")
    p.add_argument("--role", metavar="ROLE", help="their role in --network (default: member)")
    p.add_argument(
        "--tag",
        dest="tags",
        action="append",
        default=[],
        metavar="TAG",
        help="tag everyone imported with TAG (repeatable; default: no tags)",
    )
    p.add_argument(
        "--type",
        metavar="TYPE",
        help="stakeholder type for everyone imported, e.g. msp (the types are listed below; default: none)",
    )
    p.add_argument(
        "--on-duplicate",
        choices=["skip", "fill", "overwrite", "create"],
        default="fill",
        help="a row matching someone already in Kindred: skip it; fill only their blank fields; "
        "overwrite their fields with the file's; or create a new person anyway (default: %(default)s)",
    )
    p.add_argument("--dry-run", action="store_true", help="report what would happen, change nothing")
    p.add_argument(
        "--report",
        metavar="OUT.xlsx",
        help="save the rejected and flagged rows to this workbook (default: none)",
    )
    add_json(p)
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser(
        "import-undo",
        help="undo an earlier import",
        description="Undo an earlier import: the people it created are removed, the fields it changed "
        "get their old values back and its links go. Refused, changing nothing, if later edits touch "
        "what it did. `kindred-cli imports` lists the imports and their ids.",
    )
    p.add_argument(
        "batch_id", metavar="BATCH_ID", type=int, help="the import's id (see `kindred-cli imports`)"
    )
    add_json(p)
    p.set_defaults(handler=cmd_import_undo)


def cmd_import(args: argparse.Namespace) -> dict[str, Any]:
    """Read, map (remembered mapping or synonyms), then dry-run or import in one transaction."""
    from crm.cli_common import open_db
    from crm.errors import ValidationError
    from crm.importing import ImportOptions, apply_import, dry_run, read_table, suggest_mapping
    from crm.importing.mapping import describe_mapping
    from crm.importing.report import write_problems_report
    from crm.models import StakeholderType
    from crm.services.people import normalise_types

    started = time.perf_counter()
    if args.report:
        _check_report_path(Path(args.report))
    if args.role and not args.network:
        raise ValidationError("--role needs --network.")
    if args.type:
        known = {t.value for t in StakeholderType}
        if normalise_types([args.type])[0] not in known:
            raise ValidationError(f"{args.type!r} is not a stakeholder type ({', '.join(sorted(known))}).")
    options = ImportOptions(
        on_duplicate=args.on_duplicate,
        network=args.network,
        role=args.role or "member",
        tags=list(args.tags),
        type=args.type,
    )
    # The database is opened (and checked: SQLite's quick check reads the whole file without
    # holding Python's lock) on a helper thread while the list is read here.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kindred-open") as pool:
        opening = pool.submit(open_db, args)
        try:
            table = read_table(Path(args.file), args.sheet)
            mapping = suggest_mapping(table.headers, rows=[r for _, r in table.data_rows[:200]])
        except BaseException:
            # The file's problem is the one to report (as when the file was read first).
            with contextlib.suppress(Exception):
                opening.result().dispose()
            raise
        db = opening.result()
    try:
        # Only the problems report reads the file's rows again: otherwise each part of a long list
        # is let go as soon as it is cleaned.
        release = not args.report
        if args.dry_run:
            result = dry_run(db, table, mapping, options, release_rows=release)
        else:
            result = apply_import(db, table, mapping, options, release_rows=release)
    finally:
        db.dispose()
    out = result.as_dict()
    out["seconds"] = round(time.perf_counter() - started, 3)
    out["file"] = table.file_name
    out["sheet"] = table.sheet
    out["header_row"] = table.header_row_number
    out["columns"] = describe_mapping(table.headers, mapping)
    out["new_organisations"] = len(result.plan.new_organisations)
    if args.report:
        out["report"] = str(Path(args.report))
        out["report_rows"] = write_problems_report(result.plan, table, Path(args.report))
    out["problems"] = [f"row {r.row}: {r.describe()}" for r in result.plan.rows if r.action == "reject"][
        :20
    ] + [str(f) for r in result.plan.rows for f in r.flags][:20]
    if args.dry_run and not args.json:
        out["rows"] = "".join(f"\n  row {r.row}: {r.describe()}" for r in result.plan.rows)
    if not args.json:
        out["problems"] = "".join(f"\n  {p}" for p in out["problems"]) or "none"
        out["columns"] = ", ".join(f"{k} → {v}" for k, v in out["columns"].items())
    return out


def cmd_import_undo(args: argparse.Namespace) -> dict[str, Any]:
    from crm.cli_common import open_db
    from crm.importing import undo_import

    db = open_db(args)
    try:
        return undo_import(db, args.batch_id).as_dict()
    finally:
        db.dispose()


def _check_report_path(path: Path) -> None:
    """Refuse a ``--report`` that cannot be written before anything is imported."""
    import os

    from crm.errors import ValidationError

    if path.suffix.lower() != ".xlsx":
        raise ValidationError(f"--report must name an .xlsx file, not {path.name!r}.", "report")
    folder = path.expanduser().parent
    if not folder.is_dir():
        raise ValidationError(
            f"The folder for --report, {folder}, does not exist: create it or choose another; "
            "nothing was imported.",
            "report",
        )
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ValidationError(
            f"--report cannot be written to {path} (read-only): choose another place; nothing was imported.",
            "report",
        )
