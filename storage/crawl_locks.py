"""PostgreSQL advisory locks that keep distributed crawls apart: one lock per feed (keyed by the
feed's row id), held by the process that crawls it, on a connection of its own. A feed is never
crawled by two processes at once, and the lock dies with its process (``kill -9`` included), so
nothing waits for a stale lock. (Watches have locks of their own: storage.watch_locks.)
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, select, text

from storage.db import Database
from storage.models import Feed

# An arbitrary constant naming Raqib's lock space among PostgreSQL advisory locks ("RQFD").
FEED_LOCKS = 0x52514644


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
