"""``kindred-cli report NAME OUT.xlsx [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    from crm.cli_common import _date, add_json

    p = sub.add_parser(
        "report",
        help="write a report with charts to .xlsx (engagement, networks, events, data-quality)",
    )
    p.add_argument("name", metavar="NAME", help="engagement, networks, events or data-quality")
    p.add_argument("out", metavar="OUT.xlsx")
    p.add_argument("--from", dest="start", type=_date, metavar="YYYY-MM-DD", help="first day counted")
    p.add_argument(
        "--to", dest="end", type=_date, metavar="YYYY-MM-DD", help="last day counted (default today)"
    )
    add_json(p)
    p.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> dict[str, Any]:
    """Write one report; the period defaults to the year up to today."""
    from crm.cli_common import open_db
    from crm.reports.excel import check_report_name, write_report
    from crm.reports.period import Period

    # Checked before the database is opened, so a typo costs nothing.
    check_report_name(args.name)
    period = Period.from_options(args.start, args.end)
    db = open_db(args)
    try:
        with db.session() as session:
            result = write_report(session, args.name, args.out, period)
        return result.as_dict()
    finally:
        db.dispose()
