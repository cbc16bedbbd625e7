"""PostgreSQL advisory locks that keep distributed crawls apart.

- One lock per feed (keyed by the feed's row id), held by the process that crawls it, on a
  connection of its own: a feed is never crawled by two processes at once, and the lock dies with
  its process (``kill -9`` included), so nothing waits for a stale lock.
- The decision lock: a crawl decides stories itself right after storing (the pipeline's writer
  thread), and the decide job decides what a crawl left; two of them on two machines could
  otherwise both open the same new story. Taken at the start of a transaction
  (``pg_advisory_xact_lock``), it lasts until the commit, so the next transaction's reads see the
  story the previous one created.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, event, select, text
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import Feed

# Arbitrary constants naming Raqib's lock spaces among PostgreSQL advisory locks ("RQFD", "RQDC").
FEED_LOCKS = 0x52514644
DECIDE_LOCK = (0x52514443, 0)
DECISION_LOCK_SQL = text("SELECT pg_advisory_xact_lock(:space, :key)")


class FeedLocks:
    """Per-feed session locks on one dedicated connection; released by ``release`` or on exit."""

    def __init__(self, database: Database) -> None:
        self._connection: Connection = database.engine.connect()
        self._connection.execution_options(isolation_level="AUTOCOMMIT")
        self._held: list[int] = []

    def acquire(self, names: Collection[str]) -> list[str]:
        """Lock what is free among ``names``; return those names (the others are being crawled)."""
        ids = dict(
            self._connection.execute(select(Feed.name, Feed.id).where(Feed.name.in_(list(names)))).tuples().all()
        )
        got: list[str] = []
        for name in names:
            feed_id = ids.get(name)
            if feed_id is None:
                continue
            locked = self._connection.execute(
                text("SELECT pg_try_advisory_lock(:space, :id)"), {"space": FEED_LOCKS, "id": feed_id}
            ).scalar()
            if locked:
                self._held.append(feed_id)
                got.append(name)
        return got

    def release(self) -> None:
        for feed_id in self._held:
            self._connection.execute(
                text("SELECT pg_advisory_unlock(:space, :id)"), {"space": FEED_LOCKS, "id": feed_id}
            )
        self._held.clear()
        self._connection.close()


def serialise_decisions() -> None:
    """Every session transaction of this process starts by taking the decision lock (PostgreSQL
    only). For a crawl process that decides inline; its reads are short and few."""
    event.listen(Session, "after_begin", _take_decision_lock)


def lock_decisions(database: Database) -> None:
    """Every transaction of ``database`` starts by taking the decision lock (PostgreSQL only):
    for the decide job, so it never decides beside a crawl that decides inline."""
    event.listen(database.engine, "begin", _take_lock)


def _take_lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(DECISION_LOCK_SQL, {"space": DECIDE_LOCK[0], "key": DECIDE_LOCK[1]})


def _take_decision_lock(session: Session, transaction: Any, connection: Connection) -> None:
    _take_lock(connection)
