"""PostgreSQL advisory locks per watch, held until the transaction ends: the two writers of a
watch's story memories take turns. A decide job rewrites the memories of the stories it places
reports in; a crawl that stores a revised report rewrites the memory of that report's story.
Each reads the memory, adds to it and writes it back, so two at once would lose one update (the
story would forget what a report said and a later report repeating it would be alerted as new).

Both take the watch's lock before reading any story of the watch. On SQLite this does nothing:
writers already take turns on the database's write lock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import select, text, union

from storage.chunking import in_chunks
from storage.db import Executor, core
from storage.tables import articles, undecided_matches, watch_matches

# Raqib's lock space for watches among PostgreSQL advisory locks ("RQWT"), beside the feeds'
# (storage.crawl_locks.FEED_LOCKS, "RQFD").
WATCH_LOCKS = 0x52515754


def applies(session: Executor) -> bool:
    """Whether the session's database needs watch locks (PostgreSQL) or serialises writers itself."""
    return core(session).dialect.name == "postgresql"


def lock_watches(session: Executor, watches: Iterable[str]) -> None:
    """Wait for and hold each watch until the session's transaction ends, in name order (two
    transactions wanting the same watches then cannot each hold one the other waits for).
    Taking a watch the transaction already holds returns at once."""
    if not applies(session):
        return
    for watch in sorted(set(watches)):
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:watch))"), {"space": WATCH_LOCKS, "watch": watch}
        )


def matched_watches(session: Executor, identities: Collection[str]) -> set[str]:
    """The watches the stored articles with these identities have a match in, or are queued for
    (no row locked). The queued ones count because a decide job of that watch may be turning the
    queue entry into a match at this moment: asked in one statement (one snapshot), the answer
    has each article either still queued or matched, never neither. So a store holds, before its
    row locks, every watch whose decide job could write a match for its articles, all in name
    order: it neither takes a watch out of order afterwards (a deadlock with a transaction holding
    that watch and waiting for one it holds) nor waits for an article row a decide job holds
    while that job waits for a row the store holds (two revised reports leaving one watch)."""
    watches: set[str] = set()
    for chunk in in_chunks(sorted(set(identities))):
        ids = select(articles.c.id).where(articles.c.identity.in_(chunk))
        matched = select(watch_matches.c.watch).where(watch_matches.c.article_id.in_(ids))
        queued = select(undecided_matches.c.watch).where(undecided_matches.c.article_id.in_(ids))
        watches.update(session.scalars(union(matched, queued)))
    return watches
