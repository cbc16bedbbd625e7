"""The one clock of a crawl cycle. Stages take times from it (first-seen, windows, ages, alert
times), so ``raqib crawl --as-of TIME`` replays a cycle as if the clock read TIME."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Clock:
    offset: timedelta = timedelta(0)

    @classmethod
    def as_of(cls, when: datetime | None) -> Clock:
        """A clock that reads ``when`` now and runs on from there (the wall clock when None)."""
        return cls() if when is None else cls(when.astimezone(UTC) - datetime.now(UTC))

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def shift(self, real: datetime) -> datetime:
        """A wall-clock time (from the crawler) on this clock."""
        return real + self.offset
