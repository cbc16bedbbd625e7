"""A feed's schedule and health from its stored fetch record. Pure functions over stored values,
here so the crawl (which writes them) and the web page and CLI (which show them) share them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

# A failing feed is retried later and later, but at least once a day, so it recovers on its own.
MAX_BACKOFF = timedelta(days=1)
# A feed failing for this long is dead: reported as such (it is still tried, once a day).
DEAD_AFTER = timedelta(days=3)
# A feed that answers but brought nothing new for this long (or 20 intervals) is quiet.
QUIET_AFTER = timedelta(days=7)


def next_due(started: datetime, interval: timedelta, consecutive_failures: int) -> datetime:
    """The next fetch time: one interval after this one, doubled per consecutive failure."""
    if consecutive_failures <= 0:
        return started + interval
    backoff = interval * (2 ** min(consecutive_failures - 1, 10))
    return started + min(backoff, max(MAX_BACKOFF, interval))


class FeedStateLike(Protocol):
    last_fetch_at: datetime | None
    last_success_at: datetime | None
    last_new_entry_at: datetime | None
    consecutive_failures: int
    created_at: datetime | None


def feed_health(state: FeedStateLike, now: datetime, interval: timedelta) -> str:
    """new | ok | failing | dead | quiet: failing is a passing problem, dead lasts for days,
    quiet is a feed that answers but has had no new entry for a long time (not broken)."""
    if state.last_fetch_at is None:
        return "new"
    if state.consecutive_failures > 0:
        since = state.last_success_at or state.created_at or state.last_fetch_at
        return "dead" if now - since >= DEAD_AFTER else "failing"
    newest = state.last_new_entry_at or state.created_at
    if newest is not None and now - newest >= max(QUIET_AFTER, 20 * interval):
        return "quiet"
    return "ok"
