"""``kindred-cli export`` (argument definitions fixed by the export issue)."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any


def register(sub: Any) -> None:
    from crm.cli_common import HelpFormatter, add_filter_options, add_json, help_epilog

    p = sub.add_parser(
        "export",
        help="export a mailing list to .xlsx or .csv",
        description="Export people to a workbook (or CSV) for a mail merge. People who asked not to "
        "be contacted are always left out, and listed on the Excluded sheet with the reason.",
        epilog=help_epilog(),
        formatter_class=HelpFormatter,
    )
    p.add_argument("out", metavar="OUT.xlsx|OUT.csv", help="the file to write; its ending chooses the format")
    add_filter_options(p)
    p.add_argument("--view", metavar="NAME", help="export a saved view instead of the filter options")
    p.add_argument(
        "--preset",
        choices=["mail-merge", "email", "full"],
        default="mail-merge",
        help="the columns: mail-merge (names, salutations, address block and lines, email), email "
        "(name and email) or full (every field, to edit and import back) (default: %(default)s)",
    )
    p.add_argument(
        "--purpose",
        choices=["email", "post"],
        default=None,
        help="the channel whose rules apply: email leaves out people with no email address or who opted "
        "out of email (one row per address); post leaves out people with no usable postal address or "
        "who opted out of post (default: the preset's own; mail-merge: post, email: email). "
        "Do-not-contact, the suppression list and the Trash always leave people out",
    )
    p.add_argument(
        "--ignore-channel-rules",
        metavar="REASON",
        default=None,
        help="export without the channel's opt-outs (do-not-contact still applies); the reason is recorded",
    )
    p.add_argument(
        "--address-label",
        metavar="LABEL",
        default=None,
        help="letters: use each person's postal address with this label (for example "
        '"Constituency office"), or their preferred address when they have none so labelled',
    )
    add_json(p)
    p.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace) -> dict[str, Any]:
    """Export the filtered people (or a saved view). ``--consent PURPOSE`` does not just filter here:
    people without consent for it are left out *and listed* on the Excluded sheet with the reason."""
    from crm.cli_common import open_db, people_filter
    from crm.exporting import export_people

    db = open_db(args)
    try:
        f = people_filter(args, db)
        consent_purpose = f.consent_purpose
        f = dataclasses.replace(f, consent_purpose=None)
        result = export_people(
            db,
            f,
            args.out,
            preset=args.preset,
            purpose=args.purpose,
            consent_purpose=consent_purpose,
            ignore_channel_rules=args.ignore_channel_rules,
            address_label=args.address_label,
        )
        return result.as_dict()
    finally:
        db.dispose()
