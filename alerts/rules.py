"""Which channel wants which event, and when it may be sent. Pure functions of the config."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Standard Webhooks' retry schedule, stretched to about three days with more 10-hour steps:
# after the last one the alert is dead-lettered with its last error.
BACKOFF: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    *(timedelta(hours=10),) * 6,
)
DAILY_DIGEST_AT = time(7, 0)


@dataclass(frozen=True, slots=True)
class QuietWindow:
    start: time
    end: time
    timezone: str

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone)).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # across midnight: 22:00–07:00

    def ends_after(self, moment: datetime) -> datetime:
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        end = datetime.combine(local.date(), self.end, tzinfo=zone)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ChannelRules:
    name: str
    kind: str  # email | webhook | apprise
    on: frozenset[str]
    watches: frozenset[str] = frozenset()  # empty: all
    languages: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    digest: str = "none"  # none | hourly | daily
    cooldown: timedelta = timedelta(0)
    quiet: QuietWindow | None = None

    def wants(self, event_type: str, watch: str, language: str, categories: Iterable[str]) -> bool:
        if event_type not in self.on:
            return False
        if self.watches and watch not in self.watches:
            return False
        if self.languages and language not in self.languages:
            return False
        # A category filter narrows developments; other events (a new story) pass it.
        if self.categories and event_type == "development":
            return bool(self.categories & set(categories))
        return True

    def first_attempt(self, created: datetime) -> datetime:
        """When a new alert is first due: now, or the next digest time."""
        if self.digest == "hourly":
            return created.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        if self.digest == "daily":
            zone = ZoneInfo(self.quiet.timezone) if self.quiet else UTC
            local = created.astimezone(zone)
            due = datetime.combine(local.date(), DAILY_DIGEST_AT, tzinfo=zone)
            if due <= local:
                due += timedelta(days=1)
            return due.astimezone(UTC)
        return created

    def held_until(self, now: datetime) -> datetime | None:
        """The end of quiet hours, when ``now`` is inside them."""
        if self.quiet is not None and self.quiet.contains(now):
            return self.quiet.ends_after(now)
        return None


def retry_at(attempts: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failed tries; None when it is time to give up."""
    if attempts > len(BACKOFF):
        return None
    return now + BACKOFF[attempts - 1]
