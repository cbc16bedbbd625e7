"""PostgreSQL advisory locks that keep distributed crawls apart: one lock per feed (keyed by the
feed's row id), held by the process that crawls it, on a connection of its own. A feed is never
crawled by two processes at once, and the lock dies with its process (``kill -9`` included), so
nothing waits for a stale lock. (Watches have locks of their own: storage.watch_locks.)
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, text

from storage.db import Database

# An arbitrary constant naming Raqib's lock space among PostgreSQL advisory locks ("RQFD").
FEED_LOCKS = 0x52514644


class FeedLocks:
    """Per-feed session locks on one dedicated connection; released by ``release`` or on exit."""

    def __init__(self, database: Database) -> None:
        self._connection: Connection = database.engine.connect()
        self._connection.execution_options(isolation_level="AUTOCOMMIT")
        self._held: list[int] = []

    def acquire(self, names: Collection[str]) -> list[str]:
        """Lock what is free among ``names``; return those names (the others are being crawled).
        One statement for the batch, not a round trip per feed: the fence (``OFFSET 0``) keeps
        the lock calls to the named feeds' rows, whatever order the planner would test them in."""
        wanted = list(names)
        got = [
            (str(name), int(feed_id))
            for name, feed_id in self._connection.execute(
                text(
                    "SELECT named.name, named.id FROM (SELECT name, id FROM feeds WHERE name = ANY(:names) OFFSET 0)"
                    " AS named WHERE pg_try_advisory_lock(:space, named.id)"
                ),
                {"space": FEED_LOCKS, "names": wanted},
            )
        ]
        self._held.extend(feed_id for _, feed_id in got)
        locked = {name for name, _ in got}
        return [name for name in wanted if name in locked]

    def release(self) -> None:
        if self._held:
            self._connection.execute(
                text("SELECT pg_advisory_unlock(:space, held) FROM unnest(CAST(:ids AS integer[])) AS held"),
                {"space": FEED_LOCKS, "ids": self._held},
            )
        self._held.clear()
        self._connection.close()
