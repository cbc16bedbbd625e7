"""When a feed is fetched next, and how healthy it is: what an operator sees in `raqib feeds list`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ingest.outcome import parse_retry_after
from storage.health import MAX_BACKOFF, feed_health, next_due

NOW = datetime(2025, 2, 4, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@dataclass
class State:
    last_fetch_at: datetime | None = NOW
    last_success_at: datetime | None = NOW
    last_new_entry_at: datetime | None = NOW
    consecutive_failures: int = 0
    created_at: datetime | None = NOW - timedelta(days=30)


def test_retry_after_in_seconds_or_as_a_date_and_capped() -> None:
    assert parse_retry_after("120", NOW) == NOW + timedelta(seconds=120)
    assert parse_retry_after("Tue, 04 Feb 2025 13:00:00 GMT", NOW) == NOW + HOUR
    assert parse_retry_after("99999999", NOW) == NOW + timedelta(days=2)
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


def test_failures_back_off_exponentially_up_to_a_day() -> None:
    interval = timedelta(minutes=15)
    waits = [next_due(NOW, interval, failures) - NOW for failures in range(0, 12)]
    assert waits[:4] == [interval, interval, 2 * interval, 4 * interval]
    assert max(waits) == MAX_BACKOFF


def test_health_tells_failing_from_dead_and_quiet_from_broken() -> None:
    interval = timedelta(minutes=15)
    assert feed_health(State(), NOW, interval) == "ok"
    assert feed_health(State(last_fetch_at=None), NOW, interval) == "new"
    failing = State(consecutive_failures=3, last_success_at=NOW - timedelta(hours=5))
    assert feed_health(failing, NOW, interval) == "failing"
    dead = State(consecutive_failures=40, last_success_at=NOW - timedelta(days=4))
    assert feed_health(dead, NOW, interval) == "dead"
    never = State(consecutive_failures=5, last_success_at=None, created_at=NOW - timedelta(days=5))
    assert feed_health(never, NOW, interval) == "dead"
    quiet = State(last_new_entry_at=NOW - timedelta(days=9))
    assert feed_health(quiet, NOW, interval) == "quiet"
    slow_feed = State(last_new_entry_at=NOW - timedelta(days=9))
    assert feed_health(slow_feed, NOW, timedelta(days=1)) == "ok", "a daily feed is quiet only after 20 days"
