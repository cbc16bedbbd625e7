"""When a feed is fetched next, and what a server's answer means for it. Pure functions."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Protocol

# A failing feed is retried later and later, but at least once a day, so it recovers on its own.
MAX_BACKOFF = timedelta(days=1)
# A Retry-After further out than this is treated as this: a typo on the server must not silence
# a feed for a year.
MAX_RETRY_AFTER = timedelta(days=2)


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After as delay-seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    when: datetime | None
    if value.isdigit():
        when = now + timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
    return min(max(when, now), now + MAX_RETRY_AFTER)


def next_due(started: datetime, interval: timedelta, consecutive_failures: int) -> datetime:
    """The next fetch time: one interval after this one, doubled per consecutive failure."""
    if consecutive_failures <= 0:
        return started + interval
    backoff = interval * (2 ** min(consecutive_failures - 1, 10))
    return started + min(backoff, max(MAX_BACKOFF, interval))


# A feed failing for this long is dead: reported as such (it is still tried, once a day).
DEAD_AFTER = timedelta(days=3)
# A feed that answers but brought nothing new for this long (or 20 intervals) is quiet.
QUIET_AFTER = timedelta(days=7)


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
