"""``kindred-cli export`` (argument definitions fixed by the export issue)."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any


def register(sub: Any) -> None:
    from crm.cli_common import add_filter_options, add_json

    p = sub.add_parser("export", help="export a mailing list to .xlsx or .csv")
    p.add_argument("out", metavar="OUT.xlsx|OUT.csv")
    add_filter_options(p)
    p.add_argument("--view", metavar="NAME", help="export a saved view")
    p.add_argument("--preset", choices=["mail-merge", "email", "full"], default="mail-merge")
    p.add_argument("--purpose", choices=["email", "post"], default=None)
    add_json(p)
    p.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace) -> dict[str, Any]:
    """Export the filtered people (or a saved view). ``--consent PURPOSE`` does not just filter here:
    people without consent for it are left out *and listed* on the Excluded sheet with the reason."""
    from crm.cli_common import filter_from_args, open_db
    from crm.exporting import export_people

    db = open_db(args)
    try:
        f = filter_from_args(args)
        if args.view:
            from crm.services import views

            with db.session() as session:
                f = views.view_filter(session, args.view)
        consent_purpose = f.consent_purpose
        f = dataclasses.replace(f, consent_purpose=None)
        result = export_people(
            db, f, args.out, preset=args.preset, purpose=args.purpose, consent_purpose=consent_purpose
        )
        return result.as_dict()
    finally:
        db.dispose()
