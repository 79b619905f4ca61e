"""Re-derives the finder's constants for pairs joined through a third record.

``crm.matching.finder`` suggests two records that each match a third with a score of at least
``STRONG_LINK`` unless their own comparison scores under ``NOT_RULED_OUT``. This script builds the
tuning lists (dupgen seeds 7 and 11, FEBRL-style seeds 1 and 2, 20,000 people each: never the
seeds ``bench_duplicates`` reports), scores every candidate pair once, and prints as JSON the
precision and recall each pair of values gives on each list, with how many true and false pairs
the joining adds. The values kept are the most generous ones that add no false pair on any
tuning list.

    python -m tests.benchmarks.tune_duplicates [PEOPLE]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

TUNING = (("dupgen", 7), ("dupgen", 11), ("febrl", 1), ("febrl", 2))
STRONG = (0.9, 0.95, 0.99)
FLOORS = (0.01, 0.05, 0.2)


def grid(path: Path) -> list[dict[str, Any]]:
    """Precision and recall on one built list for every (strong link, floor) pair of values."""
    from crm.db import open_database
    from crm.matching import finder
    from crm.matching.scorer import DEFAULT_THRESHOLD, NameFrequencies, score_people

    from tests.benchmarks.dupgen import true_pairs

    labels = json.loads(path.with_suffix(".labels.json").read_text())
    truth = true_pairs(labels["clusters"], labels["ids"])
    db = open_database(path)
    try:
        with db.session() as session:
            records = finder.load_people(session)
    finally:
        db.dispose()
    by_id = {r.id: r for r in records}
    frequencies = NameFrequencies(records)
    found: set[tuple[int, int]] = set()
    edges: list[tuple[int, int, float]] = []
    for code in finder.candidate_pairs(records):
        a, b = code >> 32, code & ((1 << 32) - 1)
        score, _ = score_people(by_id[a], by_id[b], frequencies)
        if score >= DEFAULT_THRESHOLD:
            found.add((a, b))
        if score >= min(STRONG):
            edges.append((a, b, score))
    have = {a * (1 << 32) + b for a, b in found}
    hits = len(found & truth)
    out = []
    for strong in STRONG:
        for floor in FLOORS:
            joined = {
                (p.a, p.b)
                for p, _ in finder._implied_pairs(
                    [e for e in edges if e[2] >= strong],
                    by_id,
                    frequencies,
                    have,
                    None,
                    DEFAULT_THRESHOLD,
                    not_ruled_out=floor,
                )
            }
            right = len(joined & truth)
            out.append(
                {
                    "strong_link": strong,
                    "not_ruled_out": floor,
                    "precision": round((hits + right) / max(len(found) + len(joined), 1), 4),
                    "recall": round((hits + right) / len(truth), 4),
                    "added_true": right,
                    "added_false": len(joined) - right,
                }
            )
    return out


def main() -> None:
    from tests.benchmarks.bench_duplicates import build

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="kindred-tune-dups-") as tmp:
        for generator, seed in TUNING:
            path = Path(tmp) / f"{generator}-{seed}.db"
            build(path, count, seed, generator)
            results[f"{generator}-{seed}"] = grid(path)
    clean = [
        (row["strong_link"], row["not_ruled_out"])
        for row in next(iter(results.values()))
        if all(
            r["added_false"] == 0
            for rows in results.values()
            for r in rows
            if (r["strong_link"], r["not_ruled_out"]) == (row["strong_link"], row["not_ruled_out"])
        )
    ]
    # The most generous clean values: the lowest strong link, then the lowest floor.
    results["chosen"] = min(clean) if clean else None
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
