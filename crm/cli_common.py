"""Option helpers shared by every ``kindred-cli`` command group.

Each command group lives in its own module (``crm/cli_import.py``, ``crm/cli_export.py``, …) with a
``register(sub)`` function that ``crm.cli.build_parser`` calls; they take their shared options from
here, so no command module imports another.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from crm.errors import UserError


class CliError(UserError):
    """A problem with the command line itself."""


class Parser(argparse.ArgumentParser):
    """Argument errors become CliError so ``--json`` callers still get JSON."""

    def error(self, message: str) -> Any:
        raise CliError(f"{self.prog}: {message}")


def _date(value: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"{value!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


class HelpFormatter(argparse.HelpFormatter):
    """Wraps each paragraph of a description or epilog on its own (argparse runs them together)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        return "\n\n".join(
            textwrap.fill(" ".join(part.split()), width, initial_indent=indent, subsequent_indent=indent)
            for part in text.split("\n\n")
        )


DATE_HELP = "Dates are YYYY-MM-DD (2026-03-31) or DD/MM/YYYY (31/03/2026)."


def stakeholder_types_help() -> str:
    """The stakeholder types a ``--type`` option takes, for help texts."""
    from crm.stakeholders import STAKEHOLDER_LABELS

    return ", ".join(f"{t.value} ({label})" for t, label in STAKEHOLDER_LABELS.items())


def help_epilog(*, types: bool = True, dates: bool = True) -> str:
    """The notes under a command's options: stakeholder types and date formats."""
    parts = []
    if types:
        parts.append(f"Stakeholder types: {stakeholder_types_help()}.")
    if dates:
        parts.append(DATE_HELP)
    return "\n\n".join(parts)


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help='print one JSON object (errors too, as {"error": …})'
    )


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """The filter options shared by ``count`` and ``export``."""
    g = parser.add_argument_group(
        "filter", "Who to include (default: everyone not in the Trash; all options must match)."
    )
    g.add_argument("--search", metavar="TEXT", help="names, email, organisation, town (accents ignored)")
    g.add_argument(
        "--type",
        dest="types",
        action="append",
        default=[],
        metavar="TYPE",
        help="stakeholder type, e.g. msp (repeatable: any of them; the types are listed below)",
    )
    g.add_argument("--network", metavar="NAME", help="current members of this network")
    g.add_argument("--network-role", metavar="ROLE", help="with this role in --network (e.g. co-chair)")
    g.add_argument(
        "--network-status",
        metavar="STATUS",
        help="with this membership status in --network: active, invited, paused or left",
    )
    g.add_argument("--cohort", metavar="NAME", help="in this cohort of --network (e.g. 'KLN 2019-20')")
    g.add_argument("--group", metavar="NAME", help="in this working group or hub of --network")
    g.add_argument(
        "--left", action="store_true", help="people whose membership of --network has ended (no open period)"
    )
    g.add_argument(
        "--tag",
        dest="tags",
        action="append",
        default=[],
        metavar="TAG",
        help="tagged with TAG (repeatable: all of them)",
    )
    g.add_argument("--organisation", metavar="NAME", help="working for this organisation")
    g.add_argument("--sector", metavar="SECTOR", help="whose organisation is in this sector")
    g.add_argument(
        "--nation", metavar="NATION", help="England, Scotland, Wales, Northern Ireland or 'Outside the UK'"
    )
    g.add_argument("--region", metavar="REGION", help="e.g. Lothian, South Wales")
    g.add_argument(
        "--chamber", metavar="CHAMBER", help="elected to this chamber (e.g. 'Scottish Parliament', Senedd)"
    )
    g.add_argument("--party", metavar="PARTY", help="elected for this party")
    g.add_argument("--constituency", metavar="NAME", help="elected for this constituency or ward")
    g.add_argument(
        "--former",
        action="store_true",
        help="elected roles that have ended count too (default: current only)",
    )
    g.add_argument("--has-email", action="store_true", default=None, help="only people with an email address")
    g.add_argument(
        "--has-address", action="store_true", default=None, help="only people with a postal address"
    )
    g.add_argument(
        "--can-email",
        action="store_true",
        default=None,
        help="only people who may be emailed (an address, no opt-out, not do-not-contact)",
    )
    g.add_argument(
        "--can-post",
        action="store_true",
        default=None,
        help="only people who may be written to (an address, no opt-out, not do-not-contact)",
    )
    g.add_argument(
        "--consent",
        metavar="PURPOSE",
        help="with consent or a lawful basis for this purpose (e.g. newsletter)",
    )
    g.add_argument(
        "--contacted-before", type=_date, metavar="DATE", help="last contacted before DATE, or never"
    )
    g.add_argument("--contacted-after", type=_date, metavar="DATE", help="last contacted on or after DATE")
    g.add_argument("--event", metavar="NAME", help="on this event's list (invited, came or sent apologies)")
    g.add_argument(
        "--station",
        metavar="NAME",
        help="placed at this station, workshop or breakout room (of --event, else of any event)",
    )
    g.add_argument(
        "--trash", action="store_true", help="people in the Trash instead (default: not in the Trash)"
    )


def filter_from_args(args: argparse.Namespace) -> Any:
    from crm.filters import PersonFilter

    if (args.cohort or args.group or args.left) and not args.network:
        raise CliError("--cohort, --group and --left need --network NAME to say which network.")

    return PersonFilter(
        text=args.search,
        types=args.types,
        network=args.network,
        network_role=args.network_role,
        network_status=args.network_status,
        network_cohort=args.cohort,
        network_group=args.group,
        network_left=args.left,
        tags=args.tags,
        organisation=args.organisation,
        sector=args.sector,
        nation=args.nation,
        region=args.region,
        chamber=args.chamber,
        party=args.party,
        constituency=args.constituency,
        current_roles_only=not args.former,
        has_email=args.has_email,
        has_address=args.has_address,
        can_email=args.can_email,
        can_post=args.can_post,
        consent_purpose=args.consent,
        last_contacted_before=args.contacted_before,
        last_contacted_after=args.contacted_after,
        in_trash=args.trash,
        event=args.event,
        station=args.station,
    )


def people_filter(args: argparse.Namespace, db: Any) -> Any:
    """The filter a command that selects people was given (its options, or ``--view NAME``),
    with every name in it checked: a name Kindred does not hold is an error, not 0 people."""
    from crm.filter_names import check_names

    f = filter_from_args(args)
    with db.session() as session:
        if getattr(args, "view", None):
            from crm.services import views

            return views.view_filter(session, args.view)
        check_names(session, f)
    return f


def open_db(
    args: argparse.Namespace, *, create: bool = False, quick_check: bool = True, migrate: bool = True
) -> Any:
    """The database named by ``--db`` (else the default), checked and migrated.

    Only ``init`` passes ``create``: every other command refuses a missing or empty file, so a typo
    in ``--db`` never silently makes an empty database. The quick check refuses a damaged file
    with the way out before any command reads or writes it.
    """
    from crm.db import open_database

    return open_database(args.db, create=create, quick_check=quick_check, migrate=migrate)
