"""``kindred-cli export`` (argument definitions fixed by the export issue)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    from crm.cli import add_filter_options, add_json

    p = sub.add_parser("export", help="export a mailing list to .xlsx or .csv")
    p.add_argument("out", metavar="OUT.xlsx|OUT.csv")
    add_filter_options(p)
    p.add_argument("--view", metavar="NAME", help="export a saved view")
    p.add_argument("--preset", choices=["mail-merge", "email", "full"], default="mail-merge")
    p.add_argument("--purpose", choices=["email", "post"], default=None)
    add_json(p)
    p.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace) -> dict[str, Any]:
    raise NotImplementedError("export engine lands with the export issue")
