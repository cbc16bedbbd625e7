"""What the crawler is given (a job per feed) and what it hands on (bytes and headers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class FeedJob:
    """One feed to fetch in this crawl, with the validators remembered from the last fetch."""

    name: str
    url: str
    language: str  # "ar" | "en" | "auto": a hint for the parser, not used by the crawler
    fetch_articles: bool
    interval: timedelta
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    consecutive_failures: int = 0


@dataclass(frozen=True, slots=True)
class FetchedFeed:
    """A feed's answer as it came off the network: status, the headers that matter, the body.

    ``error`` is set (and ``http_status`` is None) when no answer came: timeout, refused address,
    DNS failure, size cap. Header values are stripped of CR/LF: they end up in our requests.
    """

    job: FeedJob
    started_at: datetime
    finished_at: datetime
    url: str  # after redirects
    http_status: int | None
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    retry_after: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """An article page the handler asked for: its body, or why there is none."""

    job: FeedJob
    url: str  # as requested: the handler's key for the entry
    body: bytes = b""
    final_url: str | None = None
    error: str | None = None
