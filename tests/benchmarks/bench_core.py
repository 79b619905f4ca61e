"""Core benchmark: 100,000 generated people; latency of a search page, a search count, filtered counts.

    python -m tests.benchmarks.bench_core [--people 100000] [--db PATH]

Prints one JSON object. Targets at 100,000 people: a search page of 100 under 10 ms, a filtered count
under 20 ms. Each figure is the median of several runs after a warm-up. ``search_first_screen_ms``
and ``search_count_by_prefix_ms`` time the first screen and the count of a search as it is typed,
letter by letter (names, phone numbers, towns).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crm.db import open_database
from crm.filters import PersonFilter, count_people, first_screen_ids, page, person_ids

from tests.benchmarks.generate import populate

SEARCH_AS_YOU_TYPE = ("m", "ma", "mac", "macd", "07", "077", "0131", "ed", "edi")


def median_ms(fn: Callable[[], Any], runs: int = 15) -> float:
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--db", help="reuse or create this database file")
    args = parser.parse_args()
    path = Path(args.db) if args.db else Path(tempfile.mkdtemp()) / "bench.db"
    fresh = not path.exists()
    db = open_database(path)
    figures: dict[str, Any] = {"people": args.people, "database": "sqlite"}
    if fresh:
        figures.update(populate(db, args.people))
    columns = ["name", "organisation", "email", "town", "type"]
    with db.session() as s:
        figures["count_all"] = count_people(s, PersonFilter())
        figures["search_page_100_ms"] = median_ms(
            lambda: page(s, PersonFilter(text="sean"), columns, limit=100)
        )
        figures["search_page_100_prefix_ms"] = median_ms(
            lambda: page(s, PersonFilter(text="mac"), columns, limit=100)
        )
        figures["search_page_100_two_words_ms"] = median_ms(
            lambda: page(s, PersonFilter(text="o floinn"), columns, limit=100)
        )
        figures["search_count_ms"] = median_ms(lambda: count_people(s, PersonFilter(text="sean")))
        figures["search_count_matches"] = count_people(s, PersonFilter(text="sean"))
        f_network_tag = PersonFilter(network="Kindness Leadership Network", tags=["newsletter"])
        figures["filtered_count_network_tag_ms"] = median_ms(lambda: count_people(s, f_network_tag))
        f_mix = PersonFilter(nation="Scotland", has_email=True, can_email=True)
        figures["filtered_count_nation_email_ms"] = median_ms(lambda: count_people(s, f_mix))
        figures["unfiltered_page_100_sorted_ms"] = median_ms(
            lambda: page(s, PersonFilter(), columns, limit=100)
        )
        figures["all_ids_sorted_by_name_ms"] = median_ms(lambda: person_ids(s, PersonFilter()), runs=5)
        figures["search_ids_ranked_ms"] = median_ms(
            lambda: person_ids(s, PersonFilter(text="sean"), sort="rank")
        )
        # What the People search box shows first as each letter is typed (search-as-you-type: the
        # short prefixes shared by many different words are the search index's hardest case).
        figures["search_first_screen_ms"] = {
            query: median_ms(lambda query=query: first_screen_ids(s, PersonFilter(text=query)))
            for query in SEARCH_AS_YOU_TYPE
        }
        figures["search_count_by_prefix_ms"] = {
            query: median_ms(lambda query=query: count_people(s, PersonFilter(text=query)), runs=5)
            for query in SEARCH_AS_YOU_TYPE
        }
    figures["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["targets"] = {"search_page_100_ms": 10, "filtered_count_ms": 20}
    db.dispose()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
