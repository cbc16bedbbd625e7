"""One line per feed after a crawl, and the summary line."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from storage.types import FetchResult


@dataclass(frozen=True, slots=True)
class FeedReport:
    feed: str
    url: str
    status: str  # ok | not_modified | unchanged | error | deferred
    http_status: int | None
    entries: int
    new: int
    updated: int
    seen: int
    matched: int
    seconds: float
    error: str | None

    @property
    def failed(self) -> bool:
        return self.status == "error"

    def line(self) -> str:
        http = f" HTTP {self.http_status}" if self.http_status else ""
        text = (
            f"{self.feed}: {self.status}{http}, {self.entries} entries, {self.new} new, "
            f"{self.updated} updated, {self.seen} seen, {self.matched} matched, {self.seconds:.2f}s"
        )
        if self.error:
            text += f" — {self.url}: {self.error}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summary_line(reports: list[FeedReport], seconds: float) -> str:
    failed = sum(r.failed for r in reports)
    return (
        f"{len(reports)} feeds ({failed} failed), {sum(r.entries for r in reports)} entries, "
        f"{sum(r.new for r in reports)} new, {sum(r.updated for r in reports)} updated, "
        f"{sum(r.seen for r in reports)} seen, {sum(r.matched for r in reports)} matched in {seconds:.1f}s"
    )


def feed_report(result: FetchResult) -> FeedReport:
    return FeedReport(
        feed=result.feed,
        url=result.url,
        status=result.status.value,
        http_status=result.http_status,
        entries=result.entries,
        new=result.new,
        updated=result.updated,
        seen=result.seen,
        matched=result.matched,
        seconds=(result.finished_at - result.started_at).total_seconds(),
        error=result.error,
    )
