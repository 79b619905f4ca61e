"""Cohort, group and leaver filters at 100,000 people.

    python -m tests.benchmarks.bench_networks [--people 100000] [--repeat 7] [--db PATH_OR_URL]

``--db`` may name an existing SQLite file (filled on first use, then reused), a new one, or an empty
PostgreSQL database. Besides the generated people (about 20,000 in each of three networks), each
network gets four cohorts and six groups; every membership is in a cohort, about half are in one or
two groups, one in eight has left and one in twenty left and rejoined (two periods).

Prints one JSON object: for each filter, the median milliseconds of counting its people and of
the first page of the People list (100 rows by name), with how many people match, each as wall
time and as this process's CPU time (steadier on a shared machine), with the load average.
Target: every count and page under 20 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from crm.bulk import insert_rows
from crm.db import Database, open_database
from crm.filters import PersonFilter, count_people, page
from crm.models import Membership, MembershipGroup, MembershipPeriod, NetworkCohort, table_of
from crm.services import cohorts, networks

from tests.benchmarks.generate import NETWORKS, populate

TARGET_MS = 20.0
COHORTS = ("2019–20", "2021–22", "2023–24", "2025–26")
GROUPS = (
    ("Health and social care", "working group"),
    ("Housing", "working group"),
    ("Local government", "working group"),
    ("Education", "working group"),
    ("Scotland hub", "regional hub"),
    ("Wales hub", "regional hub"),
)


def fill(db: Database, people: int, seed: int = 15) -> dict[str, float]:
    started = time.perf_counter()
    populate(db, people)
    rng = random.Random(seed)
    today = dt.date.today()
    with db.transaction(bulk=True) as session:
        for name in NETWORKS:
            network_id = networks.network_by_name(session, name).id
            cohort_ids = [
                cohorts.create_cohort(session, network_id, f"{name[:3]} {label}").id for label in COHORTS
            ]
            group_ids = [cohorts.create_group(session, network_id, g, kind).id for g, kind in GROUPS]
            rows = session.execute(
                select(Membership.id).where(Membership.network_id == network_id).order_by(Membership.id)
            ).all()
            by_cohort: dict[int, list[int]] = {c: [] for c in cohort_ids}
            links: list[dict[str, Any]] = []
            for (mid,) in rows:
                by_cohort[rng.choice(cohort_ids)].append(mid)
                if rng.random() < 0.5:
                    for gid in rng.sample(group_ids, rng.choice((1, 1, 2))):
                        links.append({"membership_id": mid, "group_id": gid, "role": "member"})
            for cid, mids in by_cohort.items():
                for part in range(0, len(mids), 5_000):
                    chunk = mids[part : part + 5_000]
                    session.execute(update(Membership).where(Membership.id.in_(chunk)).values(cohort_id=cid))
                    session.execute(
                        update(MembershipPeriod)
                        .where(MembershipPeriod.membership_id.in_(chunk))
                        .values(cohort_id=cid)
                    )
            insert_rows(session, table_of(MembershipGroup), links)
        # One in eight left; one in twenty left once and came back (an earlier closed period).
        ids = list(session.scalars(select(Membership.id)))
        left = [m for m in ids if m % 8 == 0]
        back = [m for m in ids if m % 20 == 1]
        for part in range(0, len(left), 5_000):
            chunk = left[part : part + 5_000]
            session.execute(
                update(Membership).where(Membership.id.in_(chunk)).values(status="left", left_on=today)
            )
            session.execute(
                update(MembershipPeriod)
                .where(MembershipPeriod.membership_id.in_(chunk))
                .values(left_on=today)
            )
        insert_rows(
            session,
            table_of(MembershipPeriod),
            [
                {
                    "membership_id": m,
                    "joined_on": today - dt.timedelta(days=900),
                    "left_on": today - dt.timedelta(days=400),
                    "leave_reason": "Too busy",
                    "created_at": dt.datetime.now(dt.UTC),
                }
                for m in back
            ],
        )
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return {"fill_seconds": round(time.perf_counter() - started, 1)}


def _median(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        walls.append((time.perf_counter() - w) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    return round(statistics.median(walls), 2), round(statistics.median(cpus), 2), result


def measure(db: Database, repeat: int) -> dict[str, Any]:
    kin, kln, champs = NETWORKS
    filters = {
        "cohort": PersonFilter(network=kln, network_cohort=f"{kln[:3]} 2023-24"),  # typed with a hyphen
        "cohort_former_too": PersonFilter(
            network=kln, network_cohort=f"{kln[:3]} 2019–20", current_roles_only=False
        ),
        "group": PersonFilter(network=kin, network_group="Housing"),
        "left": PersonFilter(network=champs, network_left=True),
        "cohort_and_group": PersonFilter(
            network=kin, network_cohort=f"{kin[:3]} 2025–26", network_group="Scotland hub"
        ),
        "left_of_cohort": PersonFilter(network=kln, network_cohort=f"{kln[:3]} 2021–22", network_left=True),
    }
    out: dict[str, Any] = {}
    worst = 0.0
    with db.session() as session:
        for name, f in filters.items():
            count_people(session, f)  # warm the cache: the list is open when the user filters
            wall, cpu, n = _median(lambda f=f: count_people(session, f), repeat)  # type: ignore[misc]
            pwall, pcpu, _rows = _median(
                lambda f=f: page(session, f, ["name", "email", "organisation"], limit=100),  # type: ignore[misc]
                repeat,
            )
            out[name] = {
                "matches": n,
                "count_ms": wall,
                "count_cpu_ms": cpu,
                "page_ms": pwall,
                "page_cpu_ms": pcpu,
            }
            worst = max(worst, wall, pwall)
    out["worst_ms"] = worst
    out["target_ms"] = TARGET_MS
    out["ok"] = worst < TARGET_MS
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", help="database to fill (or reuse, when already filled)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_name:
        db = open_database(args.db or Path(tmp_name) / "bench.db")
        figures: dict[str, Any] = {"people": args.people, "dialect": db.engine.dialect.name}
        try:
            with db.session() as session:
                filled = bool(session.scalar(select(func.count()).select_from(NetworkCohort)))
            if not filled:
                figures.update(fill(db, args.people))
            figures.update(measure(db, args.repeat))
        finally:
            db.dispose()
    print(json.dumps(figures))
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
