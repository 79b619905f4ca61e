"""``kindred-cli`` data protection commands (names fixed by the data protection issue).

subject-access (PERSON_ID | --email ADDRESS) OUT.xlsx   erase PERSON_ID --reason TEXT
suppress EMAIL --reason TEXT   unsuppress EMAIL   suppressions
retention [--months N]   history PERSON_ID
"""

from __future__ import annotations

import argparse
from typing import Any

from crm.cli_common import CliError, add_json, open_db


def register(sub: Any) -> None:
    p = sub.add_parser("subject-access", help="write everything held on a person to an .xlsx workbook")
    p.add_argument("person_id", metavar="PERSON_ID", type=int, nargs="?", help="the person's Kindred ID")
    p.add_argument("--email", metavar="ADDRESS", help="find the person by an email address instead")
    p.add_argument("out", metavar="OUT.xlsx")
    add_json(p)
    p.set_defaults(handler=cmd_subject_access, human=_human_subject_access)

    p = sub.add_parser("erase", help="erase a person and their personal data (keeps a minimal trace)")
    p.add_argument("person_id", metavar="PERSON_ID", type=int)
    p.add_argument("--reason", metavar="TEXT", required=True, help="why, e.g. 'erasure request of 3 May'")
    add_json(p)
    p.set_defaults(handler=cmd_erase, human=_human_erase)

    p = sub.add_parser("suppress", help="put an email address on the suppression list")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--reason", metavar="TEXT", required=True)
    add_json(p)
    p.set_defaults(handler=cmd_suppress, human=_human_suppress)

    p = sub.add_parser("unsuppress", help="take an email address off the suppression list")
    p.add_argument("email", metavar="EMAIL")
    add_json(p)
    p.set_defaults(handler=cmd_unsuppress, human=_human_unsuppress)

    p = sub.add_parser("suppressions", help="list the suppression list")
    add_json(p)
    p.set_defaults(handler=cmd_suppressions, human=_human_suppressions)

    p = sub.add_parser("retention", help="people due for review under the retention period")
    p.add_argument(
        "--months", metavar="N", type=int, help="retention period in months (default: the setting)"
    )
    add_json(p)
    p.set_defaults(handler=cmd_retention, human=_human_retention)

    p = sub.add_parser("history", help="every change to a person: when, who, what, and from which source")
    p.add_argument("person_id", metavar="PERSON_ID", type=int)
    add_json(p)
    p.set_defaults(handler=cmd_history, human=_human_history)


def cmd_subject_access(args: argparse.Namespace) -> dict[str, Any]:
    from crm.privacy.subject_access import find_person_id, write_subject_access

    if (args.person_id is None) == (args.email is None):
        raise CliError("subject-access: give either PERSON_ID or --email ADDRESS (one of them).")
    db = open_db(args)
    try:
        with db.session() as session:
            pid = find_person_id(session, person_id=args.person_id, email=args.email)
            result = write_subject_access(session, pid, args.out)
        with db.transaction() as session:
            from crm import audit

            audit.record(session, "export", "person", pid, details=f"Subject access: {result.path.name}")
        return result.as_dict()
    finally:
        db.dispose()


def cmd_erase(args: argparse.Namespace) -> dict[str, Any]:
    from crm.privacy.erasure import backups_holding, erase_person

    db = open_db(args)
    try:
        with db.transaction() as session:
            result = erase_person(session, args.person_id, args.reason)
        result.backups = backups_holding(db, since=result.created_at)
        out = result.as_dict()
        if db.path is None:
            out["backups_note"] = (
                "This is a team (PostgreSQL) database: its backups are made on the server and hold the "
                "person's data until they expire there."
            )
        return out
    finally:
        db.dispose()


def cmd_suppress(args: argparse.Namespace) -> dict[str, Any]:
    from crm.privacy.suppression import suppress

    db = open_db(args)
    try:
        with db.transaction() as session:
            entry, marked = suppress(session, args.email, args.reason)
        return {"suppressed": entry.as_dict(), "people_marked_do_not_contact": marked}
    finally:
        db.dispose()


def cmd_unsuppress(args: argparse.Namespace) -> dict[str, Any]:
    from crm.privacy.suppression import still_do_not_contact, unsuppress

    db = open_db(args)
    try:
        with db.transaction() as session:
            removed = unsuppress(session, args.email)
            still = still_do_not_contact(session, args.email)
        return {
            "unsuppressed": args.email.strip().lower(),
            "entries_removed": removed,
            "people_still_do_not_contact": still,
        }
    finally:
        db.dispose()


def cmd_suppressions(args: argparse.Namespace) -> dict[str, Any]:
    from crm.privacy.suppression import list_suppressions

    db = open_db(args)
    try:
        with db.session() as session:
            entries = list_suppressions(session)
        return {"suppressions": [e.as_dict() for e in entries]}
    finally:
        db.dispose()


def cmd_retention(args: argparse.Namespace) -> dict[str, Any]:
    from crm.privacy.retention import due_for_review

    db = open_db(args)
    try:
        with db.session() as session:
            return due_for_review(session, args.months).as_dict()
    finally:
        db.dispose()


def cmd_history(args: argparse.Namespace) -> dict[str, Any]:
    from crm.privacy.erasure import get_live_person
    from crm.privacy.history import person_history

    db = open_db(args)
    try:
        with db.session() as session:
            get_live_person(session, args.person_id)
            entries = person_history(session, args.person_id)
        return {"entries": [e.as_dict() for e in entries]}
    finally:
        db.dispose()


# --- Plain output -------------------------------------------------------------------------------


def _human_subject_access(result: dict[str, Any]) -> str:
    sheets = ", ".join(f"{name} ({n})" for name, n in result["sheets"].items())
    return f"Wrote everything held on {result['name']} to {result['path']}.\nSheets: {sheets}."


def _human_erase(result: dict[str, Any]) -> str:
    lines = [
        f"Erased person {result['erased']} ({result['reason']}).",
        f"Suppressed {result['suppressed_addresses']} address(es) as keyed hashes; removed "
        f"{result['interactions_removed']} interaction(s) only about them; "
        f"{result['interactions_kept_without_them']} shared interaction(s) kept without them.",
    ]
    backups = result["backups_still_holding_data"]
    if backups:
        lines.append("Backups that still hold their data:")
        lines += [f"  {b['path']} (made {b['modified']})" for b in backups]
    if result.get("backups_note"):
        lines.append(result["backups_note"])
    return "\n".join(lines)


def _human_suppress(result: dict[str, Any]) -> str:
    entry = result["suppressed"]
    text = f"{entry['email']} is on the suppression list ({entry['reason']})."
    if result["people_marked_do_not_contact"]:
        text += f" {result['people_marked_do_not_contact']} person(s) marked do not contact."
    return text


def _human_unsuppress(result: dict[str, Any]) -> str:
    text = f"{result['unsuppressed']} is off the suppression list."
    if result["people_still_do_not_contact"]:
        text += (
            f" {result['people_still_do_not_contact']} person(s) with this address are still marked do not "
            "contact: change that on each person if they really may be contacted again."
        )
    return text


def _human_suppressions(result: dict[str, Any]) -> str:
    rows = result["suppressions"]
    if not rows:
        return "The suppression list is empty."
    return "\n".join(
        f"{(r['added'] or '')[:10]}  {r['email'] or '(erased person: keyed hash)'}  {r['reason'] or ''}"
        for r in rows
    )


def _human_retention(result: dict[str, Any]) -> str:
    lines = [
        f"{result['count']} people due for review (no activity since {result['cutoff']}, {result['months']} months)."
    ]
    lines += [
        f"  {p['id']:>7}  {p['name']}  last activity {p['last_activity'] or 'none'}" for p in result["people"]
    ]
    return "\n".join(lines)


def _human_history(result: dict[str, Any]) -> str:
    if not result["entries"]:
        return "No history recorded."
    out = []
    for e in result["entries"]:
        if not e["field"]:
            change = e["new"]
        elif e["old"]:
            change = f"{e['field']}: {e['old']} → {e['new'] or '(blank)'}"
        else:
            change = f"{e['field']}: {e['new']}"
        source = f" [{e['source']}]" if e["source"] else ""
        out.append(f"{e['at'][:16]}  {e['who']}  {e['action']}  {change}{source}")
    return "\n".join(out)
