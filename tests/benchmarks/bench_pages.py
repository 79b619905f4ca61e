"""The secondary pages at scale, offscreen: interactions, follow-ups, organisations, the Trash.

    python -m tests.benchmarks.bench_pages [--people 20000] [--interactions 100000]

Builds a database of generated people and interactions (two participants each, one in ten with an
open follow-up, a fifth of those overdue) and prints one JSON object:

- ``interactions_first_page_ms``: ``InteractionsPage.refresh()`` until the first page is shown.
- ``interactions_fetch_more_ms``: median and worst of one more page while scrolling 10,000 rows.
- ``interactions_search_ms``: a search applied until its first page is shown, per query.
- ``followups_refresh_ms``, ``organisations_refresh_ms``, ``trash_refresh_ms``: one refresh each.
- ``model_rows_after_first_page``: rows the interactions model holds before any scrolling.
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
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

QUERIES = ("housing", "loneliness", "morven", "o floinn", "zz-no-match")
TOPICS = ("housing", "loneliness", "social security", "wellbeing economy", "relational policy")
STAFF = ("Morven", "Ruth", "Gethin", "Priya")


def _populate_interactions(db: Any, n: int, seed: int = 3) -> float:
    """Bulk-insert ``n`` interactions with two participants each (Core inserts, one transaction)."""
    from sqlalchemy import insert, select

    from crm.models import Interaction, InteractionPerson, Person

    rng = random.Random(seed)
    started = time.perf_counter()
    today = dt.date.today()
    with db.transaction() as session:
        people = list(session.scalars(select(Person.id)))
        first_id = (session.scalar(select(Interaction.id).order_by(Interaction.id.desc()).limit(1)) or 0) + 1
        rows = []
        links = []
        for i in range(n):
            topic = rng.choice(TOPICS)
            follow = None
            if rng.random() < 0.1:
                follow = today + dt.timedelta(days=rng.randint(-10, 40))
            rows.append(
                {
                    "id": first_id + i,
                    "date": today - dt.timedelta(days=rng.randint(0, 3650)),
                    "kind": rng.choice(("meeting", "call", "email", "letter")),
                    "subject": f"Conversation about {topic}",
                    "notes": f"Discussed {topic}.",
                    "topics": topic,
                    "owner": rng.choice(STAFF),
                    "follow_up_on": follow,
                    "follow_up_done": False,
                    "created_at": dt.datetime.now(dt.UTC),
                    "updated_at": dt.datetime.now(dt.UTC),
                }
            )
            for pid in rng.sample(people, 2):
                links.append({"interaction_id": first_id + i, "person_id": pid})
        session.execute(insert(Interaction), rows)
        session.execute(insert(InteractionPerson), links)
    return time.perf_counter() - started


def _timed_refresh(app: Any, page: Any, action: Any = None) -> float:
    """Milliseconds from ``action`` (default ``page.refresh``) until the page's ``refreshed`` signal."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    page.refreshed.connect(loop.quit)
    QTimer.singleShot(60_000, loop.quit)
    started = time.perf_counter()
    (action or page.refresh)()
    loop.exec()
    app.processEvents()  # the repaint
    page.refreshed.disconnect(loop.quit)
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--interactions", type=int, default=100_000)
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from crm.db import open_database
    from crm.models import Person
    from crm.services import trash

    from ui.pages.followups_page import FollowUpsPage
    from ui.pages.interactions_page import InteractionsPage
    from ui.pages.organisations_page import OrganisationsPage
    from ui.pages.trash_page import TrashPage
    from ui.tasks import TaskRunner

    from tests.benchmarks.generate import populate

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "bench.db")
        populate(db, args.people)
        build_s = _populate_interactions(db, args.interactions)
        with db.transaction() as session:
            ids = list(session.scalars(Person.__table__.select().with_only_columns(Person.id).limit(2000)))
            trash.trash(session, "person", ids)
        runner = TaskRunner(db)
        results: dict[str, Any] = {
            "people": args.people,
            "interactions": args.interactions,
            "build_interactions_s": round(build_s, 2),
        }

        page = InteractionsPage(runner)
        page.resize(1000, 700)
        page.show()
        results["interactions_first_page_ms"] = round(_timed_refresh(app, page), 1)
        results["model_rows_after_first_page"] = page.model.rowCount()
        steps = []
        while page.model.rowCount() < 10_000 and page.model.canFetchMore():
            started = time.perf_counter()
            page.model.fetchMore()
            page.table.scrollToBottom()
            app.processEvents()
            steps.append((time.perf_counter() - started) * 1000)
        results["interactions_fetch_more_ms"] = {
            "median": round(statistics.median(steps), 2),
            "worst": round(max(steps), 2),
            "pages": len(steps),
        }
        searches = {}
        for query in QUERIES:
            # Bypass the debounce: this measures the query and repaint, not the typing pause.
            searches[query] = round(_timed_refresh(app, page, lambda q=query: _search(page, q)), 1)
        results["interactions_search_ms"] = searches

        for name, cls in (
            ("followups", FollowUpsPage),
            ("organisations", OrganisationsPage),
            ("trash", TrashPage),
        ):
            widget = cls(runner)
            widget.resize(1000, 700)
            widget.show()
            results[f"{name}_refresh_ms"] = round(_timed_refresh(app, widget), 1)
            if name == "followups":
                results["followups_rows"] = widget.model.rowCount()
            widget.close()
        page.close()
        runner.wait_for_all()
        db.dispose()
    print(json.dumps(results))


def _search(page: Any, query: str) -> None:
    page.search.blockSignals(True)
    page.search.setText(query)
    page.search.blockSignals(False)
    page.refresh()


if __name__ == "__main__":
    main()
