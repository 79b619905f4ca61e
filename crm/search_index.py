"""The search index of people on SQLite: the FTS5 table ``person_fts`` over ``person.search_text``.

It is defined by the first migration (external content, so the text is stored once, in
``person``; the ``unicode61`` tokenizer; prefix indexes of two and three letters, which keep
search-as-you-type fast on short prefixes shared by many different words, such as the start of
phone numbers) and kept in step by triggers. A bulk load sets the insert trigger aside and fills
the index itself, a block of people at a time (see ``crm.bulk.BulkPeopleWriter``);
this module holds what that fill shares with the rest of the index's upkeep.

PostgreSQL has no such table: people are searched there through ``person.search_text`` itself.
"""

from __future__ import annotations

from typing import Any

# FTS5's own default for 'automerge' (how many segments of one level it lets gather before it
# merges them as later rows are written).
DEFAULT_AUTOMERGE = 4


def pause_merging(conn: Any) -> int | None:
    """Stop the index merging its segments as rows are written; returns the setting to restore.

    Filling the index block by block, FTS5 would otherwise merge each block's segments into the
    earlier ones as it goes, rewriting the same entries several times over in one transaction
    (about a quarter of the fill's time, measured at 100,000 people into 100,000). Left alone,
    the segments are merged once there are ``crisismerge`` (16) of a level, and later writes go on
    merging little by little as before: searches read the same rows either way. The setting lives
    in the index's own ``person_fts_config`` table, so a rollback restores it too.
    """
    previous = conn.exec_driver_sql("SELECT v FROM person_fts_config WHERE k = 'automerge'").scalar()
    conn.exec_driver_sql("INSERT INTO person_fts(person_fts, rank) VALUES('automerge', 0)")
    return None if previous is None else int(previous)


def resume_merging(conn: Any, previous: int | None) -> None:
    """Undo :func:`pause_merging`: merge as rows are written, as before."""
    conn.exec_driver_sql(
        "INSERT INTO person_fts(person_fts, rank) VALUES('automerge', ?)",
        (DEFAULT_AUTOMERGE if previous is None else previous,),
    )
