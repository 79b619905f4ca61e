"""Topics benchmark: 100,000 interactions with typed topics (and their spelling variants).

    python -m tests.benchmarks.bench_topics [--interactions 100000] [--repeat 3]

A fresh SQLite database holds the interactions, their topics typed with variants ("Food Poverty",
"food-poverty", "food poverties"). The migration's parsing is timed as the upgrade would run it
(topics folded, links written, readable topics rewritten), then the Topics list with its counts, the
Interactions list filtered by one topic (count and first page), a rename of the biggest topic (every
interaction's readable topics rewritten), a merge and its undo, and one interaction edited with
participants and topics. Prints one JSON object of medians in seconds.
Targets: the list and the filter under 0.3 s; rename, merge and undo under 3 s; an edit under 0.1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from crm.bulk import insert_rows
from crm.db import MIGRATIONS_DIR, open_database
from crm.models import Interaction, InteractionPerson, table_of
from crm.services import interactions, topics
from crm.services.interactions import InteractionQuery, count_interactions, fetch_page
from crm.services.people import bulk_insert_people

BASE = [
    "food poverty",
    "housing",
    "loneliness",
    "social security",
    "health and social care",
    "trust in institutions",
    "wellbeing economy",
    "relational policy",
    "community participation",
    "kindness in public services",
]


def _variant(rng: random.Random, name: str) -> str:
    pick = rng.random()
    if pick < 0.6:
        return name
    if pick < 0.75:
        return name.title()
    if pick < 0.85:
        return name.replace(" ", "-")
    if pick < 0.95:
        return name.replace(" and ", " & ")
    if name.endswith("ty"):
        return f"{name[:-1]}ies"  # "food poverties"
    return f" {name.replace(' ', '  ')}."


def _migration() -> Any:
    path = next(MIGRATIONS_DIR.joinpath("versions").glob("0011_*.py"))
    spec = importlib.util.spec_from_file_location("revision_0011", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_once(n: int) -> dict[str, float]:
    rng = random.Random(15)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "bench.db")
        try:
            with db.transaction() as session:
                bulk_insert_people(
                    session, [{"first_name": f"P{i}", "last_name": f"S{i}"} for i in range(2_000)]
                )
                start = dt.date(2020, 1, 1)
                rows = [
                    {
                        "date": start + dt.timedelta(days=i % 2000),
                        "kind": "meeting",
                        "subject": f"Meeting {i}",
                        "topics": ", ".join(_variant(rng, t) for t in rng.sample(BASE, rng.randint(1, 3))),
                        "follow_up_done": False,
                        "version": 1,
                    }
                    for i in range(n)
                ]
                insert_rows(session, table_of(Interaction), rows)
                ids = list(session.scalars(sa.select(Interaction.id)))
                insert_rows(
                    session,
                    table_of(InteractionPerson),
                    [{"interaction_id": i, "person_id": 1 + i % 2_000} for i in ids],
                )
            module = _migration()
            t = time.perf_counter()
            with db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
                module._parse_existing_topics()
            out["migrate_parse"] = time.perf_counter() - t

            with db.session() as session:
                t = time.perf_counter()
                listed = topics.list_topics(session)
                out["list_topics"] = time.perf_counter() - t
                assert len(listed) == len(BASE), [r.name for r in listed]
                biggest = max(listed, key=lambda r: r.count)
                other = min(listed, key=lambda r: r.count)
                t = time.perf_counter()
                query = InteractionQuery(topic_id=biggest.id)
                count_interactions(session, query)
                fetch_page(session, query)
                out["filter_by_topic"] = time.perf_counter() - t

            t = time.perf_counter()
            with db.transaction() as session:
                topics.rename_topic(session, biggest.id, biggest.name.upper())
            out["rename_biggest"] = time.perf_counter() - t
            out["rename_interactions"] = biggest.count

            t = time.perf_counter()
            with db.transaction() as session:
                result = topics.merge_topics(session, biggest.id, other.id)
            out["merge"] = time.perf_counter() - t
            t = time.perf_counter()
            with db.transaction() as session:
                topics.unmerge_topics(session, result)
            out["unmerge"] = time.perf_counter() - t

            t = time.perf_counter()
            with db.transaction() as session:
                interactions.update_interaction(
                    session,
                    ids[0],
                    {
                        "add_person_ids": [5, 6, 7],
                        "topics": "housing, food banks",
                        "date": dt.date(2026, 1, 1),
                    },
                )
            out["edit_one"] = time.perf_counter() - t
        finally:
            db.dispose()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    runs = [run_once(args.interactions) for _ in range(args.repeat)]
    result: dict[str, Any] = {"interactions": args.interactions, "repeat": args.repeat}
    for key in runs[0]:
        result[key] = round(statistics.median(r[key] for r in runs), 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
