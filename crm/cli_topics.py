"""``kindred-cli topics``: the managed topics with how many interactions each has.

kindred-cli topics [--search TEXT] [--json]
"""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    from crm.cli_common import add_json

    p = sub.add_parser("topics", help="list interaction topics with how many interactions each has")
    p.add_argument("--search", metavar="TEXT", help="only topics whose name contains this (spelling folded)")
    add_json(p)
    p.set_defaults(handler=cmd_topics)


def cmd_topics(args: argparse.Namespace) -> dict[str, Any]:
    from crm.cli_common import open_db
    from crm.services.topics import list_topics

    db = open_db(args)
    try:
        with db.session() as session:
            rows = list_topics(session, args.search)
    finally:
        db.dispose()
    topics: list[dict[str, Any]] = [{"id": r.id, "name": r.name, "interactions": r.count} for r in rows]
    if not args.json:
        if not topics:
            return {"summary": "No topics yet."}
        width = max(len(t["name"]) for t in topics)
        lines = [f"{t['name']:<{width}}  {t['interactions']:>6,}" for t in topics]
        return {"summary": "\n".join([*lines, f"{len(topics):,} topics"])}
    return {"topics": topics, "count": len(topics)}
